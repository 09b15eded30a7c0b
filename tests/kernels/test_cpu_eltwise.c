/*
 * test_cpu_eltwise.c: the elementwise CPU kernels (eltwise.c, cast.c) against naive references
 * written from the ONNX spec in double: every unary op on f32 over its domain, binary ops in the
 * broadcasting forms CNNs use (same shape, trailing vector, [3,1,5]+[1,4,1], scalars,
 * per-channel), integer arithmetic with its truncation and sign rules, comparisons to bool,
 * variadic ops, Where, Clip with either bound, Round's halves, Cast round trips through f16, bf16
 * and bool, and a 2-thread context that must give bit-identical results on large tensors. The
 * polynomial Tanh, Exp, Log, Softplus, Elu, Mish and tanh-form Gelu are also measured in ulps
 * against double over the whole float range.
 */
#include "ktest.h"

#include <stdarg.h>

static RtCtx *ctx;

#define DIMS(...) ((int64_t[]){__VA_ARGS__})
/* A tensor of dtype dt and the given dims, zeroed; a scalar (rank 0) */
#define T(dt, ...) kt_new(dt, (int)(sizeof DIMS(__VA_ARGS__) / sizeof(int64_t)), DIMS(__VA_ARGS__))
#define SCALAR(dt) kt_new(dt, 0, NULL)

static int
call(RtKernel k, const Attr *a, RtTensor **in, int nin, RtTensor *out)
{
    Attr none = {0};
    return k(ctx, a ? a : &none, in, nin, &out, 1);
}

/* ---- naive references -------------------------------------------------------------------------
 */

/* Element of t that broadcasts to flat element e of an output o (numpy rules). */
static int64_t
bidx(const RtTensor *t, const RtTensor *o, int64_t e)
{
    int64_t c[RT_MAXRANK], k = 0;
    for (int d = o->rank - 1; d >= 0; d--) {
        c[d] = e % o->dim[d];
        e /= o->dim[d];
    }
    for (int d = 0; d < t->rank; d++)
        k = k * t->dim[d] + (t->dim[d] == 1 ? 0 : c[o->rank - t->rank + d]);
    return k;
}

static double
getf(const RtTensor *t, int64_t i)
{
    switch (t->dt) {
    case DT_F32: return ((float *)t->data)[i];
    case DT_F64: return ((double *)t->data)[i];
    case DT_I32: return ((int32_t *)t->data)[i];
    case DT_I64: return (double)((int64_t *)t->data)[i];
    case DT_BOOL:
    case DT_U8: return ((uint8_t *)t->data)[i];
    default: return NAN;
    }
}

static int64_t
geti(const RtTensor *t, int64_t i)
{
    switch (t->dt) {
    case DT_I32: return ((int32_t *)t->data)[i];
    case DT_I64: return ((int64_t *)t->data)[i];
    case DT_BOOL:
    case DT_U8: return ((uint8_t *)t->data)[i];
    case DT_I8: return ((int8_t *)t->data)[i];
    case DT_U32: return ((uint32_t *)t->data)[i];
    default: return (int64_t)getf(t, i);
    }
}

/* The spec's formula of each unary op. */
static double
ref_unary(OpKind op, const Attr *a, double x)
{
    double al = a->act.alpha, be = a->act.beta, ga = a->act.gamma;
    switch (op) {
    case OP_ABS: return x < 0 ? -x : x;
    case OP_ACOS: return acos(x);
    case OP_ACOSH: return log(x + sqrt(x * x - 1));
    case OP_ASIN: return asin(x);
    case OP_ASINH: return log(x + sqrt(x * x + 1));
    case OP_ATAN: return atan(x);
    case OP_ATANH: return 0.5 * log((1 + x) / (1 - x));
    case OP_CEIL: return ceil(x);
    case OP_CELU: return fmax(0, x) + fmin(0, al * (exp(x / al) - 1));
    case OP_COS: return cos(x);
    case OP_COSH: return (exp(x) + exp(-x)) / 2;
    case OP_ELU: return x >= 0 ? x : al * (exp(x) - 1);
    case OP_ERF: return erf(x);
    case OP_EXP: return exp(x);
    case OP_FLOOR: return floor(x);
    case OP_GELU:
        if (a->act.approximate)
            return 0.5 * x *
                   (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * pow(x, 3))));
        return 0.5 * x * (1 + erf(x / sqrt(2)));
    case OP_HARDSIGMOID: return fmax(0, fmin(1, al * x + be));
    case OP_HARDSWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
    case OP_LEAKYRELU: return x >= 0 ? x : al * x;
    case OP_LOG: return log(x);
    case OP_MISH: return x * tanh(log(1 + exp(x)));
    case OP_NEG: return -x;
    case OP_RECIPROCAL: return 1 / x;
    case OP_RELU: return x > 0 ? x : 0;
    case OP_SELU: return x > 0 ? ga * x : ga * (al * exp(x) - al);
    case OP_SIGMOID: return 0.5 * (1 + tanh(x / 2));
    case OP_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case OP_SIN: return sin(x);
    case OP_SINH: return (exp(x) - exp(-x)) / 2;
    case OP_SOFTPLUS: return log(1 + exp(x));
    case OP_SOFTSIGN: return x / (1 + fabs(x));
    case OP_SQRT: return sqrt(x);
    case OP_TAN: return sin(x) / cos(x);
    case OP_TANH: return tanh(x);
    case OP_THRESHOLDEDRELU: return x > al ? x : 0;
    default: return NAN;
    }
}

/* Binary ops on doubles; Mod with fmod=1 (floats require it). */
static double
ref_binary(OpKind op, double x, double y)
{
    switch (op) {
    case OP_ADD: return x + y;
    case OP_SUB: return x - y;
    case OP_MUL: return x * y;
    case OP_DIV: return x / y;
    case OP_MAX: return x > y ? x : y;
    case OP_MIN: return x < y ? x : y;
    case OP_POW: return pow(x, y);
    case OP_PRELU: return x < 0 ? y * x : x;
    case OP_MOD: return fmod(x, y);
    case OP_EQUAL: return x == y;
    case OP_GREATER: return x > y;
    case OP_GREATEROREQUAL: return x >= y;
    case OP_LESS: return x < y;
    case OP_LESSOREQUAL: return x <= y;
    default: return NAN;
    }
}

/* Compares a float output with ref[] within the f32 tolerance. */
static int
close_f32(const char *what, const RtTensor *o, const double *ref)
{
    int64_t n = rt_numel(o);
    float *r = malloc((size_t)(n ? n : 1) * sizeof *r);
    for (int64_t i = 0; i < n; i++)
        r[i] = (float)ref[i];
    int ok = kt_close(what, o->data, r, n, 1e-6, 1e-5);
    free(r);
    return ok;
}

/* Exact comparison of a non-float output, read through geti. */
static int
same_i(const char *what, const RtTensor *o, const int64_t *ref, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (geti(o, i) != ref[i]) {
            fprintf(stderr, "%s: element %lld: got %lld, want %lld\n", what, (long long)i,
                    (long long)geti(o, i), (long long)ref[i]);
            return 0;
        }
    }
    return 1;
}

/* Sets the elements of an integer or float tensor from a list of doubles. */
static void
setv(RtTensor *t, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        double v = va_arg(ap, double);
        switch (t->dt) {
        case DT_F32: ((float *)t->data)[i] = (float)v; break;
        case DT_F64: ((double *)t->data)[i] = v; break;
        case DT_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
        case DT_I64: ((int64_t *)t->data)[i] = (int64_t)v; break;
        case DT_U8:
        case DT_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
        case DT_I8: ((int8_t *)t->data)[i] = (int8_t)v; break;
        case DT_U32: ((uint32_t *)t->data)[i] = (uint32_t)v; break;
        default: break;
        }
    }
    va_end(ap);
}

/* Random integers in [lo, hi] (skipping 0 when nozero) into an I32 or I64 tensor. */
static void
fill_int(RtTensor *t, uint32_t seed, int lo, int hi, int nozero)
{
    uint32_t s = seed;
    for (int64_t i = 0; i < rt_numel(t); i++) {
        int v;
        do
            v = lo + (int)(kt_rand(&s) % (uint32_t)(hi - lo + 1));
        while (nozero && v == 0);
        if (t->dt == DT_I32)
            ((int32_t *)t->data)[i] = v;
        else
            ((int64_t *)t->data)[i] = v;
    }
}

/* ---- unary ------------------------------------------------------------------------------------
 */

static const struct {
    RtKernel fn;
    OpKind op;
    const char *name;
    float lo, hi; /* input domain */
} unary_ops[] = {
    {cpu_abs, OP_ABS, "abs", -5, 5},
    {cpu_acos, OP_ACOS, "acos", -0.99f, 0.99f},
    {cpu_acosh, OP_ACOSH, "acosh", 1.01f, 6},
    {cpu_asin, OP_ASIN, "asin", -0.99f, 0.99f},
    {cpu_asinh, OP_ASINH, "asinh", -5, 5},
    {cpu_atan, OP_ATAN, "atan", -5, 5},
    {cpu_atanh, OP_ATANH, "atanh", -0.9f, 0.9f},
    {cpu_ceil, OP_CEIL, "ceil", -5, 5},
    {cpu_celu, OP_CELU, "celu", -5, 5},
    {cpu_cos, OP_COS, "cos", -5, 5},
    {cpu_cosh, OP_COSH, "cosh", -4, 4},
    {cpu_elu, OP_ELU, "elu", -5, 5},
    {cpu_erf, OP_ERF, "erf", -3, 3},
    {cpu_exp, OP_EXP, "exp", -5, 5},
    {cpu_floor, OP_FLOOR, "floor", -5, 5},
    {cpu_gelu, OP_GELU, "gelu", -5, 5},
    {cpu_hardsigmoid, OP_HARDSIGMOID, "hardsigmoid", -5, 5},
    {cpu_hardswish, OP_HARDSWISH, "hardswish", -5, 5},
    {cpu_leakyrelu, OP_LEAKYRELU, "leakyrelu", -5, 5},
    {cpu_log, OP_LOG, "log", 0.01f, 5},
    {cpu_mish, OP_MISH, "mish", -5, 5},
    {cpu_neg, OP_NEG, "neg", -5, 5},
    {cpu_reciprocal, OP_RECIPROCAL, "reciprocal", 0.5f, 4},
    {cpu_relu, OP_RELU, "relu", -5, 5},
    {cpu_selu, OP_SELU, "selu", -5, 5},
    {cpu_sigmoid, OP_SIGMOID, "sigmoid", -8, 8},
    {cpu_sign, OP_SIGN, "sign", -5, 5},
    {cpu_sin, OP_SIN, "sin", -5, 5},
    {cpu_sinh, OP_SINH, "sinh", -4, 4},
    {cpu_softplus, OP_SOFTPLUS, "softplus", -8, 8},
    {cpu_softsign, OP_SOFTSIGN, "softsign", -5, 5},
    {cpu_sqrt, OP_SQRT, "sqrt", 0, 5},
    {cpu_tan, OP_TAN, "tan", -1.2f, 1.2f},
    {cpu_tanh, OP_TANH, "tanh", -5, 5},
    {cpu_thresholdedrelu, OP_THRESHOLDEDRELU, "thresholdedrelu", -5, 5},
};

/* The attributes the frontend would decode, with non-default values where the op has them. */
static Attr
unary_attr(OpKind op, int approximate)
{
    Attr a = {0};
    switch (op) {
    case OP_LEAKYRELU: a.act.alpha = 0.1f; break;
    case OP_ELU: a.act.alpha = 0.7f; break;
    case OP_CELU: a.act.alpha = 1.3f; break;
    case OP_THRESHOLDEDRELU: a.act.alpha = 0.5f; break;
    case OP_HARDSIGMOID:
        a.act.alpha = 0.25f;
        a.act.beta = 0.4f;
        break;
    case OP_SELU:
        a.act.alpha = 1.6732632f;
        a.act.gamma = 1.0507010f;
        break;
    case OP_GELU: a.act.approximate = approximate; break;
    default: break;
    }
    return a;
}

static void
test_unary_f32(void)
{
    int64_t n = 3 * 37;
    for (size_t k = 0; k < sizeof unary_ops / sizeof *unary_ops; k++) {
        for (int approx = 0; approx <= (unary_ops[k].op == OP_GELU); approx++) {
            Attr a = unary_attr(unary_ops[k].op, approx);
            RtTensor *x = T(DT_F32, 3, 37), *y = T(DT_F32, 3, 37);
            double ref[3 * 37];
            kt_fill(x, (uint32_t)k + 11, unary_ops[k].lo, unary_ops[k].hi);
            for (int64_t i = 0; i < n; i++)
                ref[i] = ref_unary(unary_ops[k].op, &a, ((float *)x->data)[i]);
            CHECK(call(unary_ops[k].fn, &a, &x, 1, y) == RT_OK);
            CHECK(close_f32(unary_ops[k].name, y, ref));
            kt_free(x);
            kt_free(y);
        }
    }
}

/* The generic path: f64 (tight), and integer ops exactly. */
/* |got - want| in units in the last place of want rounded to float (a denormal's is 2^-149);
 * NaN against NaN and an infinity against itself are 0, any other mismatch of those is huge */
static double
ulps(float got, double want)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got) ? 0 : 1e30;
    float w = (float)want;
    if (isinf(w) || isinf(got))
        return got == w ? 0 : 1e30;
    double a = fabs(want) < 0x1p-126 ? 0x1p-149 : nextafterf(fabsf(w), INFINITY) - fabsf(w);
    return fabs((double)got - want) / a;
}

/* ref_unary, with Softplus and Elu written so that double keeps their tails and large ends */
static double
ref_precise(OpKind op, const Attr *a, double x)
{
    double sp = fmax(x, 0) + log1p(exp(-fabs(x)));
    if (op == OP_ELU)
        return x >= 0 ? x : a->act.alpha * expm1(x);
    return op == OP_SOFTPLUS ? sp : op == OP_MISH ? x * tanh(sp) : ref_unary(op, a, x);
}

/*
 * The vectorised transcendental kernels (ir/scalar.h's polynomials) against the functions in
 * double, in ulps, over the whole float range: about 2^22 points spread evenly over the bit
 * patterns of each sign (so every binade, tiny and huge, is visited), then NaN, +-inf, +-0,
 * denormals and FLT_MAX. Gelu's tanh form and Mish are checked relative to max(|want|, |x| / 16,
 * 2^-20) instead: the spec's 0.5 x (1 + tanh(...)) keeps no more than x times float's epsilon
 * where tanh nears -1, whatever tanh's accuracy.
 */
static void
test_transcendental_ulps(void)
{
    enum { STEP = 2027 }; /* 0x7f800000 / STEP: about 1M magnitudes, each of both signs */
    const float special[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-45f, -1e-45f, 1e-39f,
                             -3e-39f, 1.1754944e-38f, 3.4028235e38f, -3.4028235e38f, 0.625f,
                             -0.625f, 20.0f, -20.0f, 88.72f, 89.0f, -87.34f, -103.0f, 1.0f};
    const int nspecial = (int)(sizeof special / sizeof *special);
    int64_t nmag = 0x7f800000 / STEP + 1, n = 2 * nmag + nspecial;
    RtTensor *x = T(DT_F32, n), *y = T(DT_F32, n);
    float *xv = x->data, *yv = y->data;
    for (int64_t i = 0; i < nmag; i++) {
        uint32_t b = (uint32_t)(i * STEP);
        memcpy(&xv[2 * i], &b, sizeof b);
        xv[2 * i + 1] = -xv[2 * i];
    }
    memcpy(xv + 2 * nmag, special, sizeof special);
    static const struct {
        RtKernel fn;
        OpKind op;
        const char *name;
        int approximate;
        double ulps; /* the bound, in ulps; 0: relative, within 1e-6 */
    } ops[] = {{cpu_tanh, OP_TANH, "tanh", 0, 2},
               {cpu_exp, OP_EXP, "exp", 0, 1.5},
               {cpu_log, OP_LOG, "log", 0, 1.5},
               {cpu_softplus, OP_SOFTPLUS, "softplus", 0, 3},
               {cpu_elu, OP_ELU, "elu", 0, 3},
               {cpu_mish, OP_MISH, "mish", 0, 0},
               {cpu_gelu, OP_GELU, "gelu tanh", 1, 0}};
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        Attr a = {0};
        a.act.approximate = ops[k].approximate;
        a.act.alpha = 1.0f; /* Elu's default: the result is e^x - 1 itself */
        CHECK(call(ops[k].fn, &a, &x, 1, y) == RT_OK);
        double worst = 0;
        int64_t at = 0;
        for (int64_t i = 0; i < n; i++) {
            double want = ref_precise(ops[k].op, &a, xv[i]), e;
            if (ops[k].ulps > 0)
                e = ulps(yv[i], want);
            else if (isnan(want) || isinf(want))
                e = ulps(yv[i], want) > 0 ? 1e30 : 0;
            else
                e = fabs(yv[i] - want) / fmax(fmax(fabs(want), fabs(xv[i]) / 16), 0x1p-20) / 1e-6;
            if (e > worst) {
                worst = e;
                at = i;
            }
        }
        double bound = ops[k].ulps > 0 ? ops[k].ulps : 1;
        if (worst > bound || getenv("KT_VERBOSE"))
            fprintf(stderr, "%s: x = %a: got %a, want %a (%g %s)\n", ops[k].name,
                    (double)xv[at], (double)yv[at], ref_precise(ops[k].op, &a, xv[at]), worst,
                    ops[k].ulps > 0 ? "ulps" : "millionths");
        CHECK(worst <= bound);
    }
    kt_free(x);
    kt_free(y);
}

static void
test_unary_other(void)
{
    RtTensor *x = T(DT_F64, 50), *y = T(DT_F64, 50);
    for (int i = 0; i < 50; i++)
        ((double *)x->data)[i] = -4.9 + 0.2 * i;
    for (size_t k = 0; k < sizeof unary_ops / sizeof *unary_ops; k++) {
        OpKind op = unary_ops[k].op;
        Attr a = unary_attr(op, 0);
        int bad = 0;
        for (int i = 0; i < 50; i++) {
            double v = ((double *)x->data)[i];
            v = unary_ops[k].lo + (unary_ops[k].hi - unary_ops[k].lo) * (v + 5) / 10;
            ((double *)x->data)[i] = v;
        }
        CHECK(call(unary_ops[k].fn, &a, &x, 1, y) == RT_OK);
        for (int i = 0; i < 50; i++) {
            double r = ref_unary(op, &a, ((double *)x->data)[i]), g = ((double *)y->data)[i];
            if (fabs(g - r) > 1e-12 * (1 + fabs(r))) {
                fprintf(stderr, "f64 %s(%g): got %.17g, want %.17g\n", unary_ops[k].name,
                        ((double *)x->data)[i], g, r);
                bad = 1;
                break;
            }
        }
        CHECK(!bad);
        for (int i = 0; i < 50; i++) /* back to [-4.9, 4.9] */
            ((double *)x->data)[i] = -4.9 + 0.2 * i;
    }
    kt_free(x);
    kt_free(y);

    static const struct {
        RtKernel fn;
        int64_t want[6];
    } iops[] = {
        {cpu_abs, {7, 2, 0, 3, 2147483647, 2147483647}},
        {cpu_neg, {7, -2, 0, 3, -2147483647, 2147483647}},
        {cpu_sign, {-1, 1, 0, -1, 1, -1}},
        {cpu_relu, {0, 2, 0, 0, 2147483647, 0}},
    };
    for (int dt = 0; dt < 2; dt++) {
        RtTensor *xi = T(dt ? DT_I64 : DT_I32, 6), *yi = T(xi->dt, 6);
        setv(xi, 6, -7.0, 2.0, 0.0, -3.0, 2147483647.0, -2147483647.0);
        for (size_t k = 0; k < sizeof iops / sizeof *iops; k++) {
            CHECK(call(iops[k].fn, NULL, &xi, 1, yi) == RT_OK);
            CHECK(same_i("int unary", yi, iops[k].want, 6));
        }
        kt_free(xi);
        kt_free(yi);
    }
}

static void
test_round_and_predicates(void)
{
    static const double in[] = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, 2.6, -2.6, 0.0};
    static const double want[] = {-2, -2, -0.0, 0, 2, 2, 2, 3, -3, 0};
    for (int dt = 0; dt < 2; dt++) {
        RtTensor *x = T(dt ? DT_F64 : DT_F32, 10), *y = T(x->dt, 10);
        for (int i = 0; i < 10; i++) {
            if (dt)
                ((double *)x->data)[i] = in[i];
            else
                ((float *)x->data)[i] = (float)in[i];
        }
        CHECK(call(cpu_round, NULL, &x, 1, y) == RT_OK);
        int ok = 1;
        for (int i = 0; i < 10; i++)
            ok &= getf(y, i) == want[i];
        CHECK(ok);
        kt_free(x);
        kt_free(y);
    }

    /* IsInf with each mode, IsNaN, Not */
    RtTensor *x = T(DT_F32, 5), *b = T(DT_BOOL, 5);
    float v[5] = {INFINITY, -INFINITY, NAN, 1.0f, -0.0f};
    memcpy(x->data, v, sizeof v);
    static const int64_t want_inf[4][5] = {
        {0, 0, 0, 0, 0}, {1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {1, 1, 0, 0, 0}};
    for (int m = 0; m < 4; m++) {
        Attr a = {.mode.mode = m};
        CHECK(call(cpu_isinf, &a, &x, 1, b) == RT_OK);
        CHECK(same_i("isinf", b, want_inf[m], 5));
    }
    CHECK(call(cpu_isnan, NULL, &x, 1, b) == RT_OK);
    CHECK(same_i("isnan", b, (int64_t[]){0, 0, 1, 0, 0}, 5));
    RtTensor *nb = T(DT_BOOL, 5);
    setv(b, 5, 1.0, 0.0, 1.0, 0.0, 0.0);
    CHECK(call(cpu_not, NULL, &b, 1, nb) == RT_OK);
    CHECK(same_i("not", nb, (int64_t[]){0, 1, 0, 1, 1}, 5));
    kt_free(x);
    kt_free(b);
    kt_free(nb);
}

static void
test_clip(void)
{
    RtTensor *x = T(DT_F32, 7), *y = T(DT_F32, 7), *lo = SCALAR(DT_F32), *hi = SCALAR(DT_F32);
    setv(x, 7, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0);
    setv(lo, 1, -0.75);
    setv(hi, 1, 0.75);
    RtTensor *both[3] = {x, lo, hi}, *onlymin[2] = {x, lo}, *onlymax[3] = {x, NULL, hi};
    CHECK(call(cpu_clip, NULL, both, 3, y) == RT_OK);
    CHECK(close_f32("clip", y, (double[]){-0.75, -0.75, -0.5, 0, 0.5, 0.75, 0.75}));
    CHECK(call(cpu_clip, NULL, onlymin, 2, y) == RT_OK);
    CHECK(close_f32("clip min", y, (double[]){-0.75, -0.75, -0.5, 0, 0.5, 1, 3}));
    CHECK(call(cpu_clip, NULL, onlymax, 3, y) == RT_OK);
    CHECK(close_f32("clip max", y, (double[]){-3, -1, -0.5, 0, 0.5, 0.75, 0.75}));
    CHECK(call(cpu_clip, NULL, &x, 1, y) == RT_OK);
    CHECK(close_f32("clip none", y, (double[]){-3, -1, -0.5, 0, 0.5, 1, 3}));
    /* crossed bounds: the spec's min(max(x, lo), hi) is hi everywhere */
    RtTensor *crossed[3] = {x, hi, lo};
    CHECK(call(cpu_clip, NULL, crossed, 3, y) == RT_OK);
    CHECK(close_f32("clip crossed", y, (double[]){-0.75, -0.75, -0.75, -0.75, -0.75, -0.75, -0.75}));

    RtTensor *xi = T(DT_I64, 5), *yi = T(DT_I64, 5), *li = SCALAR(DT_I64), *hi2 = SCALAR(DT_I64);
    setv(xi, 5, -10.0, -2.0, 0.0, 4.0, 9.0);
    setv(li, 1, -3.0);
    setv(hi2, 1, 5.0);
    RtTensor *ib[3] = {xi, li, hi2};
    CHECK(call(cpu_clip, NULL, ib, 3, yi) == RT_OK);
    CHECK(same_i("clip i64", yi, (int64_t[]){-3, -2, 0, 4, 5}, 5));
    kt_free(x);
    kt_free(y);
    kt_free(lo);
    kt_free(hi);
    kt_free(xi);
    kt_free(yi);
    kt_free(li);
    kt_free(hi2);
}

/* ---- binary -------------------------------------------------------------------------------------
 */

/* Shapes of operand a, operand b and the output, as rank then dims. */
typedef struct Form {
    const char *name;
    int ra, rb, ro;
    int64_t a[4], b[4], o[4];
} Form;

static const Form forms[] = {
    {"same", 3, 3, 3, {3, 4, 5}, {3, 4, 5}, {3, 4, 5}},
    {"vector", 3, 1, 3, {3, 4, 5}, {5}, {3, 4, 5}},
    {"vector first", 1, 3, 3, {5}, {3, 4, 5}, {3, 4, 5}},
    {"both ways", 3, 3, 3, {3, 1, 5}, {1, 4, 1}, {3, 4, 5}},
    {"scalar", 3, 0, 3, {3, 4, 5}, {0}, {3, 4, 5}},
    {"scalar first", 0, 3, 3, {0}, {3, 4, 5}, {3, 4, 5}},
    {"one-element", 3, 1, 3, {2, 3, 7}, {1}, {2, 3, 7}},
    {"per-channel", 4, 3, 4, {2, 3, 4, 5}, {3, 1, 1}, {2, 3, 4, 5}},
    {"per-channel 4d", 4, 4, 4, {2, 3, 4, 5}, {1, 3, 1, 1}, {2, 3, 4, 5}},
    {"middle", 4, 4, 4, {2, 1, 4, 5}, {2, 3, 1, 5}, {2, 3, 4, 5}},
    {"scalars", 0, 0, 0, {0}, {0}, {0}},
};

static const struct {
    RtKernel fn;
    OpKind op;
    const char *name;
    int cmp; /* gives bool */
} binary_ops[] = {
    {cpu_add, OP_ADD, "add", 0},
    {cpu_sub, OP_SUB, "sub", 0},
    {cpu_mul, OP_MUL, "mul", 0},
    {cpu_div, OP_DIV, "div", 0},
    {cpu_max, OP_MAX, "max", 0},
    {cpu_min, OP_MIN, "min", 0},
    {cpu_pow, OP_POW, "pow", 0},
    {cpu_prelu, OP_PRELU, "prelu", 0},
    {cpu_mod, OP_MOD, "mod", 0},
    {cpu_equal, OP_EQUAL, "equal", 1},
    {cpu_greater, OP_GREATER, "greater", 1},
    {cpu_greaterorequal, OP_GREATEROREQUAL, "greaterorequal", 1},
    {cpu_less, OP_LESS, "less", 1},
    {cpu_lessorequal, OP_LESSOREQUAL, "lessorequal", 1},
};

static void
test_binary_f32(void)
{
    Attr fmod1 = {.mode.mode = 1};
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        const Form *fm = &forms[f];
        for (size_t k = 0; k < sizeof binary_ops / sizeof *binary_ops; k++) {
            OpKind op = binary_ops[k].op;
            int cmp = binary_ops[k].cmp;
            if (op == OP_PRELU && (fm->ra != fm->ro || memcmp(fm->a, fm->o, sizeof fm->a)))
                continue; /* the slope broadcasts to X, not the other way */
            RtTensor *a = kt_new(DT_F32, fm->ra, fm->a), *b = kt_new(DT_F32, fm->rb, fm->b);
            RtTensor *o = kt_new(cmp ? DT_BOOL : DT_F32, fm->ro, fm->o);
            RtTensor *in[2] = {a, b};
            kt_fill(a, 3 + (uint32_t)f, op == OP_POW ? 0.1f : -3, 3);
            kt_fill(b, 5 + (uint32_t)k, -3, 3);
            for (int64_t i = 0; i < rt_numel(b); i++) {
                float *p = (float *)b->data + i;
                if (op == OP_DIV || op == OP_MOD) /* away from 0 */
                    *p = *p < 0 ? *p - 0.5f : *p + 0.5f;
                if (cmp) /* small integers, so that some are equal */
                    *p = roundf(*p);
            }
            for (int64_t i = 0; cmp && i < rt_numel(a); i++)
                ((float *)a->data)[i] = roundf(((float *)a->data)[i]);
            int64_t n = rt_numel(o);
            double *ref = malloc((size_t)n * sizeof *ref);
            int64_t *iref = malloc((size_t)n * sizeof *iref);
            for (int64_t e = 0; e < n; e++) {
                ref[e] = ref_binary(op, getf(a, bidx(a, o, e)), getf(b, bidx(b, o, e)));
                iref[e] = (int64_t)ref[e];
            }
            int rc = call(binary_ops[k].fn, &fmod1, in, 2, o);
            CHECK(rc == RT_OK);
            int ok = rc == RT_OK && (cmp ? same_i(binary_ops[k].name, o, iref, n)
                                         : close_f32(binary_ops[k].name, o, ref));
            if (!ok)
                fprintf(stderr, "  in form %s\n", fm->name);
            CHECK(ok);
            free(ref);
            free(iref);
            kt_free(a);
            kt_free(b);
            kt_free(o);
        }
    }
}

/* Integer arithmetic: Div truncates, Mod follows the divisor's sign (fmod=0) or the dividend's
 * (fmod=1); wrapping, Pow, comparisons and BitShift. */
static void
test_binary_int(void)
{
    for (int dt = 0; dt < 2; dt++) {
        DType t = dt ? DT_I64 : DT_I32;
        RtTensor *a = T(t, 8), *b = T(t, 8), *o = T(t, 8), *in[2] = {a, b};
        setv(a, 8, -7.0, 7.0, -7.0, 7.0, 6.0, -6.0, 0.0, 5.0);
        setv(b, 8, 3.0, -3.0, -3.0, 3.0, 3.0, 4.0, -5.0, 1.0);
        Attr m0 = {.mode.mode = 0}, m1 = {.mode.mode = 1};
        CHECK(call(cpu_div, NULL, in, 2, o) == RT_OK);
        CHECK(same_i("div", o, (int64_t[]){-2, -2, 2, 2, 2, -1, 0, 5}, 8));
        CHECK(call(cpu_mod, &m0, in, 2, o) == RT_OK);
        CHECK(same_i("mod", o, (int64_t[]){2, -2, -1, 1, 0, 2, 0, 0}, 8));
        CHECK(call(cpu_mod, &m1, in, 2, o) == RT_OK);
        CHECK(same_i("fmod", o, (int64_t[]){-1, 1, -1, 1, 0, -2, 0, 0}, 8));
        CHECK(call(cpu_mul, NULL, in, 2, o) == RT_OK);
        CHECK(same_i("mul", o, (int64_t[]){-21, -21, 21, 21, 18, -24, 0, 5}, 8));
        CHECK(call(cpu_sub, NULL, in, 2, o) == RT_OK);
        CHECK(same_i("sub", o, (int64_t[]){-10, 10, -4, 4, 3, -10, 5, 4}, 8));
        CHECK(call(cpu_max, NULL, in, 2, o) == RT_OK);
        CHECK(same_i("max", o, (int64_t[]){3, 7, -3, 7, 6, 4, 0, 5}, 8));
        setv(b, 8, 3.0, 2.0, 0.0, 1.0, 2.0, 3.0, 5.0, 1.0);
        CHECK(call(cpu_pow, NULL, in, 2, o) == RT_OK);
        CHECK(same_i("pow", o, (int64_t[]){-343, 49, 1, 7, 36, -216, 0, 5}, 8));
        setv(b, 8, 3.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0);
        CHECK(call(cpu_div, NULL, in, 2, o) == RT_EINPUT); /* division by zero: no crash */

        /* wrapping at the dtype's width */
        setv(a, 2, dt ? 0.0 : 2147483647.0, 0.0);
        setv(b, 2, 1.0, 0.0);
        CHECK(call(cpu_add, NULL, in, 2, o) == RT_OK);
        CHECK(geti(o, 0) == (dt ? 1 : -2147483647 - 1));

        /* random broadcast [3,1,5] op [1,4,1] against the reference */
        RtTensor *ra = T(t, 3, 1, 5), *rb = T(t, 1, 4, 1), *ro = T(t, 3, 4, 5), *rin[2] = {ra, rb};
        RtTensor *rc = T(DT_BOOL, 3, 4, 5);
        fill_int(ra, 9, -50, 50, 0);
        fill_int(rb, 13, -9, 9, 1);
        int64_t want[60], wc[60];
        for (int64_t e = 0; e < 60; e++) {
            int64_t x = geti(ra, bidx(ra, ro, e)), y = geti(rb, bidx(rb, ro, e));
            int64_t r = x % y;
            want[e] = x / y;
            wc[e] = r != 0 && (r < 0) != (y < 0) ? r + y : r;
        }
        CHECK(call(cpu_div, NULL, rin, 2, ro) == RT_OK);
        CHECK(same_i("div bcast", ro, want, 60));
        CHECK(call(cpu_mod, &m0, rin, 2, ro) == RT_OK);
        CHECK(same_i("mod bcast", ro, wc, 60));
        for (int64_t e = 0; e < 60; e++)
            want[e] = geti(ra, bidx(ra, ro, e)) >= geti(rb, bidx(rb, ro, e));
        CHECK(call(cpu_greaterorequal, NULL, rin, 2, rc) == RT_OK);
        CHECK(same_i("ge bcast", rc, want, 60));
        kt_free(ra);
        kt_free(rb);
        kt_free(ro);
        kt_free(rc);
        kt_free(a);
        kt_free(b);
        kt_free(o);
    }

    /* BitShift on uint8 and uint32 */
    RtTensor *a = T(DT_U8, 4), *b = T(DT_U8, 4), *o = T(DT_U8, 4), *in[2] = {a, b};
    setv(a, 4, 16.0, 4.0, 1.0, 255.0);
    setv(b, 4, 1.0, 2.0, 3.0, 1.0);
    Attr left = {.mode.mode = 0}, right = {.mode.mode = 1};
    CHECK(call(cpu_bitshift, &right, in, 2, o) == RT_OK);
    CHECK(same_i("shift right", o, (int64_t[]){8, 1, 0, 127}, 4));
    CHECK(call(cpu_bitshift, &left, in, 2, o) == RT_OK);
    CHECK(same_i("shift left", o, (int64_t[]){32, 16, 8, 254}, 4));
    RtTensor *a32 = T(DT_U32, 2), *b32 = SCALAR(DT_U32), *o32 = T(DT_U32, 2), *in32[2] = {a32, b32};
    setv(a32, 2, 4026531840.0, 3.0);
    setv(b32, 1, 4.0);
    CHECK(call(cpu_bitshift, &left, in32, 2, o32) == RT_OK);
    CHECK(same_i("shift u32", o32, (int64_t[]){0, 48}, 2));
    CHECK(call(cpu_bitshift, &right, in32, 2, o32) == RT_OK);
    CHECK(same_i("shift u32 right", o32, (int64_t[]){251658240, 0}, 2));

    /* And, Or, Xor on bools, with broadcasting */
    RtTensor *p = T(DT_BOOL, 2, 1), *q = T(DT_BOOL, 2), *r = T(DT_BOOL, 2, 2), *pq[2] = {p, q};
    setv(p, 2, 0.0, 1.0);
    setv(q, 2, 0.0, 1.0);
    CHECK(call(cpu_and, NULL, pq, 2, r) == RT_OK);
    CHECK(same_i("and", r, (int64_t[]){0, 0, 0, 1}, 4));
    CHECK(call(cpu_or, NULL, pq, 2, r) == RT_OK);
    CHECK(same_i("or", r, (int64_t[]){0, 1, 1, 1}, 4));
    CHECK(call(cpu_xor, NULL, pq, 2, r) == RT_OK);
    CHECK(same_i("xor", r, (int64_t[]){0, 1, 1, 0}, 4));
    kt_free(a);
    kt_free(b);
    kt_free(o);
    kt_free(a32);
    kt_free(b32);
    kt_free(o32);
    kt_free(p);
    kt_free(q);
    kt_free(r);
}

/* Python-style Mod on floats (fmod=0), and NaN through Max/Min */
static void
test_float_special(void)
{
    RtTensor *a = T(DT_F32, 4), *b = T(DT_F32, 4), *o = T(DT_F32, 4), *in[2] = {a, b};
    Attr m0 = {.mode.mode = 0};
    setv(a, 4, -7.5, 7.5, -7.5, 6.0);
    setv(b, 4, 2.0, -2.0, -2.0, 3.0);
    CHECK(call(cpu_mod, &m0, in, 2, o) == RT_OK);
    CHECK(close_f32("mod f32", o, (double[]){0.5, -0.5, -1.5, 0}));
    ((float *)a->data)[0] = NAN;
    ((float *)b->data)[1] = NAN;
    CHECK(call(cpu_max, NULL, in, 2, o) == RT_OK);
    CHECK(isnan(((float *)o->data)[0]) && isnan(((float *)o->data)[1]));
    CHECK(call(cpu_min, NULL, in, 2, o) == RT_OK);
    CHECK(isnan(((float *)o->data)[0]) && isnan(((float *)o->data)[1]));
    kt_free(a);
    kt_free(b);
    kt_free(o);
}

/* Sum, Max, Min, Mean of 1 and 3 inputs, broadcasting */
static void
test_variadic(void)
{
    RtTensor *x = T(DT_F32, 2, 3, 4), *y = T(DT_F32, 4), *z = T(DT_F32, 3, 1);
    RtTensor *o = T(DT_F32, 2, 3, 4), *in[3] = {x, y, z};
    kt_fill(x, 21, -2, 2);
    kt_fill(y, 22, -2, 2);
    kt_fill(z, 23, -2, 2);
    static const struct {
        RtKernel fn;
        const char *name;
        int kind; /* 0 sum, 1 max, 2 min, 3 mean */
    } ops[] = {
        {cpu_sum, "sum", 0}, {cpu_max, "max3", 1}, {cpu_min, "min3", 2}, {cpu_mean, "mean", 3}};
    for (int k = 0; k < 4; k++) {
        double ref[24];
        for (int64_t e = 0; e < 24; e++) {
            double v[3] = {getf(x, e), getf(y, bidx(y, o, e)), getf(z, bidx(z, o, e))};
            double s = v[0] + v[1] + v[2], mx = fmax(v[0], fmax(v[1], v[2]));
            double mn = fmin(v[0], fmin(v[1], v[2]));
            ref[e] = ops[k].kind == 0 ? s : ops[k].kind == 1 ? mx : ops[k].kind == 2 ? mn : s / 3;
        }
        CHECK(call(ops[k].fn, NULL, in, 3, o) == RT_OK);
        CHECK(close_f32(ops[k].name, o, ref));
        CHECK(call(ops[k].fn, NULL, in, 1, o) == RT_OK);
        CHECK(memcmp(o->data, x->data, 24 * sizeof(float)) == 0);
    }
    /* integer Sum of three */
    RtTensor *i1 = T(DT_I32, 3), *i2 = SCALAR(DT_I32), *i3 = T(DT_I32, 3), *io = T(DT_I32, 3);
    RtTensor *iin[3] = {i1, i2, i3};
    setv(i1, 3, 1.0, -2.0, 3.0);
    setv(i2, 1, 10.0);
    setv(i3, 3, 100.0, 200.0, -300.0);
    CHECK(call(cpu_sum, NULL, iin, 3, io) == RT_OK);
    CHECK(same_i("sum i32", io, (int64_t[]){111, 208, -287}, 3));
    kt_free(x);
    kt_free(y);
    kt_free(z);
    kt_free(o);
    kt_free(i1);
    kt_free(i2);
    kt_free(i3);
    kt_free(io);
}

static void
test_where(void)
{
    RtTensor *c = T(DT_BOOL, 4, 1), *x = T(DT_F32, 3, 1, 5), *y = SCALAR(DT_F32);
    RtTensor *o = T(DT_F32, 3, 4, 5), *in[3] = {c, x, y};
    setv(c, 4, 1.0, 0.0, 0.0, 1.0);
    kt_fill(x, 31, -1, 1);
    setv(y, 1, 42.0);
    double ref[60];
    for (int64_t e = 0; e < 60; e++)
        ref[e] = geti(c, bidx(c, o, e)) ? getf(x, bidx(x, o, e)) : 42.0;
    CHECK(call(cpu_where, NULL, in, 3, o) == RT_OK);
    CHECK(close_f32("where", o, ref));

    RtTensor *xi = T(DT_I64, 4), *yi = T(DT_I64, 3, 1), *oi = T(DT_I64, 3, 4);
    RtTensor *c2 = T(DT_BOOL, 4), *in2[3] = {c2, xi, yi};
    setv(c2, 4, 0.0, 1.0, 1.0, 0.0);
    setv(xi, 4, 1.0, 2.0, 3.0, 4.0);
    setv(yi, 3, -1.0, -2.0, -3.0);
    CHECK(call(cpu_where, NULL, in2, 3, oi) == RT_OK);
    CHECK(same_i("where i64", oi, (int64_t[]){-1, 2, 3, -1, -2, 2, 3, -2, -3, 2, 3, -3}, 12));
    kt_free(c);
    kt_free(x);
    kt_free(y);
    kt_free(o);
    kt_free(xi);
    kt_free(yi);
    kt_free(oi);
    kt_free(c2);
}

/* ---- Cast
 * ---------------------------------------------------------------------------------------- */

static int
cast_to(RtTensor *x, RtTensor *y)
{
    Attr a = {.cast.to = y->dt};
    return call(cpu_cast, &a, &x, 1, y);
}

static void
test_cast(void)
{
    /* exact f16 values, rounding, overflow, subnormals, NaN */
    static const float f[] = {0.0f,       1.0f,           -2.5f,         65504.0f,
                              65520.0f,   1e-8f,          5.9604645e-8f, 6.1035156e-5f,
                              1.0009766f, 1.00048828125f, 3.0e-5f,       NAN};
    static const float back[] = {0.0f,       1.0f, -2.5f,         65504.0f,
                                 INFINITY,   0.0f, 5.9604645e-8f, 6.1035156e-5f,
                                 1.0009766f, 1.0f, 2.9981136e-5f, NAN};
    enum { NF = sizeof f / sizeof *f };
    RtTensor *x = T(DT_F32, NF), *h = T(DT_F16, NF), *bf = T(DT_BF16, NF), *y = T(DT_F32, NF);
    memcpy(x->data, f, sizeof f);
    CHECK(cast_to(x, h) == RT_OK && cast_to(h, y) == RT_OK);
    int ok = 1;
    for (int i = 0; i < NF; i++) {
        float g = ((float *)y->data)[i];
        ok &= isnan(back[i]) ? isnan(g) : g == back[i];
        if (!(isnan(back[i]) ? isnan(g) : g == back[i]))
            fprintf(stderr, "f16 round trip of %g: got %g, want %g\n", f[i], g, back[i]);
    }
    CHECK(ok);
    CHECK(((uint16_t *)h->data)[3] == 0x7bff && ((uint16_t *)h->data)[6] == 0x0001);
    /* through f64 and the generic path: f16 -> f64 */
    RtTensor *d = T(DT_F64, NF);
    CHECK(cast_to(h, d) == RT_OK && ((double *)d->data)[2] == -2.5);
    /* bf16 keeps 8 bits of mantissa, rounding to even */
    setv(x, 4, 1.0, 1.00390625, 1.01171875, -3.0e38);
    CHECK(cast_to(x, bf) == RT_OK && cast_to(bf, y) == RT_OK);
    CHECK(((float *)y->data)[0] == 1.0f && ((float *)y->data)[1] == 1.0f);
    CHECK(((float *)y->data)[2] == 1.015625f);
    CHECK(fabsf(((float *)y->data)[3] + 3.0e38f) < 1e36f);

    /* random f32 through f16 and bf16: relative error within half a unit */
    RtTensor *r = T(DT_F32, 1000), *rh = T(DT_F16, 1000), *rb = T(DT_BF16, 1000);
    RtTensor *r2 = T(DT_F32, 1000);
    kt_fill(r, 41, -1000, 1000);
    double worst_h = 0, worst_b = 0;
    CHECK(cast_to(r, rh) == RT_OK && cast_to(rh, r2) == RT_OK);
    for (int i = 0; i < 1000; i++) {
        double v = ((float *)r->data)[i];
        worst_h = fmax(worst_h, fabs(((float *)r2->data)[i] - v) / fmax(fabs(v), 6.1e-5));
    }
    CHECK(cast_to(r, rb) == RT_OK && cast_to(rb, r2) == RT_OK);
    for (int i = 0; i < 1000; i++) {
        double v = ((float *)r->data)[i];
        worst_b = fmax(worst_b, fabs(((float *)r2->data)[i] - v) / fabs(v));
    }
    CHECK(worst_h <= 1.0 / 2048 && worst_b <= 1.0 / 256);

    /* float to int truncates toward zero; bool is x != 0; ints round trip */
    RtTensor *fi = T(DT_F32, 6), *i32 = T(DT_I32, 6), *i64 = T(DT_I64, 6), *bo = T(DT_BOOL, 6);
    RtTensor *u8 = T(DT_U8, 6), *i8 = T(DT_I8, 6), *fo = T(DT_F32, 6);
    setv(fi, 6, -2.7, 2.7, -0.5, 0.0, 100.0, -100.25);
    CHECK(cast_to(fi, i32) == RT_OK);
    CHECK(same_i("f32->i32", i32, (int64_t[]){-2, 2, 0, 0, 100, -100}, 6));
    CHECK(cast_to(fi, bo) == RT_OK);
    CHECK(same_i("f32->bool", bo, (int64_t[]){1, 1, 1, 0, 1, 1}, 6));
    CHECK(cast_to(bo, fo) == RT_OK);
    CHECK(close_f32("bool->f32", fo, (double[]){1, 1, 1, 0, 1, 1}));
    CHECK(cast_to(i32, i64) == RT_OK && cast_to(i64, i8) == RT_OK);
    CHECK(same_i("i32->i64->i8", i8, (int64_t[]){-2, 2, 0, 0, 100, -100}, 6));
    CHECK(cast_to(i8, fo) == RT_OK);
    CHECK(close_f32("i8->f32", fo, (double[]){-2, 2, 0, 0, 100, -100}));
    CHECK(cast_to(i64, bo) == RT_OK);
    CHECK(same_i("i64->bool", bo, (int64_t[]){1, 1, 0, 0, 1, 1}, 6));
    setv(u8, 6, 0.0, 255.0, 128.0, 1.0, 7.0, 200.0);
    CHECK(cast_to(u8, fo) == RT_OK);
    CHECK(close_f32("u8->f32", fo, (double[]){0, 255, 128, 1, 7, 200}));
    RtTensor *d6 = T(DT_F64, 6), *h6 = T(DT_F16, 6);
    CHECK(cast_to(u8, d6) == RT_OK && ((double *)d6->data)[1] == 255.0);
    CHECK(cast_to(u8, h6) == RT_OK && cast_to(h6, fo) == RT_OK);
    CHECK(close_f32("u8->f16->f32", fo, (double[]){0, 255, 128, 1, 7, 200}));

    /* CastLike takes its target from the second input */
    RtTensor *like = SCALAR(DT_I64), *cl[2] = {fi, like};
    CHECK(call(cpu_castlike, NULL, cl, 2, i64) == RT_OK);
    CHECK(same_i("castlike", i64, (int64_t[]){-2, 2, 0, 0, 100, -100}, 6));

    /* unsupported: a string */
    RtTensor *s = T(DT_STRING, 6);
    CHECK(cast_to(fi, s) == RT_EUNSUPPORTED);
    kt_free(x);
    kt_free(h);
    kt_free(bf);
    kt_free(y);
    kt_free(d);
    kt_free(r);
    kt_free(rh);
    kt_free(rb);
    kt_free(r2);
    kt_free(fi);
    kt_free(i32);
    kt_free(i64);
    kt_free(bo);
    kt_free(u8);
    kt_free(i8);
    kt_free(fo);
    kt_free(like);
    kt_free(s);
    kt_free(d6);
    kt_free(h6);
}

/* ---- errors, empty tensors, threads -------------------------------------------------------------
 */

static void
test_edges(void)
{
    RtTensor *a = T(DT_F32, 0, 3), *b = T(DT_F32, 3), *o = T(DT_F32, 0, 3), *in[2] = {a, b};
    CHECK(call(cpu_add, NULL, in, 2, o) == RT_OK);
    CHECK(call(cpu_relu, NULL, in, 1, o) == RT_OK);
    RtTensor *bad = T(DT_F32, 4), *o3 = T(DT_F32, 3), *in2[2] = {bad, b};
    CHECK(call(cpu_add, NULL, in2, 2, o3) == RT_EINPUT);
    CHECK(call(cpu_bitshift, NULL, in2, 2, o3) == RT_EUNSUPPORTED);
    kt_free(a);
    kt_free(b);
    kt_free(o);
    kt_free(bad);
    kt_free(o3);
}

/* Large tensors give the same bits on one thread and on two: over 2^20 elements, so that the
 * cheap ops (add, mul) are split too (elt_impl.h's PAR_MIN_CHEAP). */
static void
test_threads(void)
{
    RtCtx *one = ctx, *two = rt_ctx_new(2);
    RtTensor *x = T(DT_F32, 3, 61, 80, 80), *bias = T(DT_F32, 61, 1, 1),
             *s = T(DT_F32, 3, 61, 80, 80);
    RtTensor *o1 = T(DT_F32, 3, 61, 80, 80), *o2 = T(DT_F32, 3, 61, 80, 80);
    RtTensor *h1 = T(DT_F16, 3, 61, 80, 80), *h2 = T(DT_F16, 3, 61, 80, 80);
    RtTensor *i1 = T(DT_I32, 3, 61, 80, 80);
    RtTensor *i2 = T(DT_I32, 3, 61, 80, 80), *in[2] = {x, bias}, *mul[2] = {x, s};
    size_t nb = (size_t)rt_numel(o1) * 4;
    kt_fill(x, 51, -4, 4);
    kt_fill(bias, 52, -1, 1);
    CHECK(two != NULL && rt_ctx_threads(two) == 2);
    struct {
        RtKernel fn;
        RtTensor **in;
        int nin;
    } runs[] = {{cpu_add, in, 2},  {cpu_sigmoid, in, 1}, {cpu_sin, in, 1},
                {cpu_mul, mul, 2}, {cpu_tanh, in, 1},    {cpu_mish, in, 1}};
    CHECK(call(cpu_sigmoid, NULL, &x, 1, s) == RT_OK);
    for (size_t k = 0; k < sizeof runs / sizeof *runs; k++) {
        ctx = one;
        CHECK(call(runs[k].fn, NULL, runs[k].in, runs[k].nin, o1) == RT_OK);
        ctx = two;
        CHECK(call(runs[k].fn, NULL, runs[k].in, runs[k].nin, o2) == RT_OK);
        CHECK(memcmp(o1->data, o2->data, nb) == 0);
    }
    /* the per-channel add against the reference, and casts and integer math on two threads */
    double *ref = malloc((size_t)rt_numel(o1) * sizeof *ref);
    for (int64_t e = 0; e < rt_numel(o1); e++)
        ref[e] = getf(x, e) + getf(bias, bidx(bias, o1, e));
    ctx = two;
    CHECK(call(cpu_add, NULL, in, 2, o2) == RT_OK);
    CHECK(close_f32("add per-channel, 2 threads", o2, ref));
    ctx = one;
    CHECK(cast_to(x, h1) == RT_OK && cast_to(x, i1) == RT_OK);
    ctx = two;
    CHECK(cast_to(x, h2) == RT_OK && cast_to(x, i2) == RT_OK);
    CHECK(memcmp(h1->data, h2->data, nb / 2) == 0 && memcmp(i1->data, i2->data, nb) == 0);
    RtTensor *ii[2] = {i1, i1};
    CHECK(call(cpu_mul, NULL, ii, 2, i2) == RT_OK);
    int ok = 1;
    for (int64_t e = 0; e < rt_numel(i1); e++)
        ok &= geti(i2, e) == geti(i1, e) * geti(i1, e);
    CHECK(ok);
    ctx = one;
    free(ref);
    rt_ctx_free(two);
    kt_free(x);
    kt_free(bias);
    kt_free(s);
    kt_free(o1);
    kt_free(o2);
    kt_free(h1);
    kt_free(h2);
    kt_free(i1);
    kt_free(i2);
}

int
main(void)
{
    ctx = rt_ctx_new(1);
    test_unary_f32();
    test_transcendental_ulps();
    test_unary_other();
    test_round_and_predicates();
    test_clip();
    test_binary_f32();
    test_binary_int();
    test_float_special();
    test_variadic();
    test_where();
    test_cast();
    test_edges();
    test_threads();
    rt_ctx_free(ctx);
    return TEST_DONE();
}
