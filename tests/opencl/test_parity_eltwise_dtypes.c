/*
 * test_parity_eltwise_dtypes.c: the elementwise ops on OpenCL (runtime/opencl/eltwise.c) against
 * the CPU kernels on every dtype other than float32 (test_parity_eltwise.c has float32 and the
 * broadcasting forms): float64, float16, bfloat16, the eight integer widths, and the mixed
 * dtypes the CPU also takes (Pow's integer exponents, integer bases with float exponents, ...).
 *
 * Integer and bool outputs must agree exactly, with the extreme values of each width in the
 * inputs (wraparound, INT_MIN / -1, uint64 past 2^63). Float outputs other than float32 are
 * compared here (parity.h compares them bit for bit): exactly for the ops that are a few
 * correctly rounded operations on both sides; for the others, float64 within 1e-12 relative to
 * the largest |output| (OpenCL's double built-ins against libm), float16 and bfloat16 within 2
 * units of their last place (the CPU computes them in double, OpenCL in float, both rounded).
 * Integer Div and Mod by zero must fail as they do on the CPU.
 */
#include "parity.h"

#include <stdint.h>

#define DIMS(...) ((int64_t[]){__VA_ARGS__})
#define NDIMS(...) ((int)(sizeof DIMS(__VA_ARGS__) / sizeof(int64_t)))
#define T(dt, ...) kt_new(dt, NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__))
#define SCALAR(dt) kt_new(dt, 0, NULL)
#define LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct Shape {
    int rank;
    int64_t dim[4];
} Shape;

/* ---- element access (the runtime's elt_impl.h is private to it) ---------------------------- */

static int
is_float(DType t)
{
    return t == DT_F32 || t == DT_F64 || t == DT_F16 || t == DT_BF16;
}

static int
is_uns(DType t)
{
    return t == DT_U8 || t == DT_U16 || t == DT_U32 || t == DT_U64;
}

/* Element i of an integer tensor as int64 (uint64 as its bits). */
static int64_t
load_i(const RtTensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dt) {
    case DT_BOOL:
    case DT_U8: return ((const uint8_t *)p)[i];
    case DT_I8: return ((const int8_t *)p)[i];
    case DT_U16: return ((const uint16_t *)p)[i];
    case DT_I16: return ((const int16_t *)p)[i];
    case DT_U32: return ((const uint32_t *)p)[i];
    case DT_I32: return ((const int32_t *)p)[i];
    default: return ((const int64_t *)p)[i];
    }
}

/* Stores x wrapped to an integer tensor's width. */
static void
store_i(RtTensor *t, int64_t i, int64_t x)
{
    uint64_t u = (uint64_t)x;
    switch (rt_dtype_size(t->dt)) {
    case 1: ((uint8_t *)t->data)[i] = (uint8_t)u; break;
    case 2: ((uint16_t *)t->data)[i] = (uint16_t)u; break;
    case 4: ((uint32_t *)t->data)[i] = (uint32_t)u; break;
    default: ((uint64_t *)t->data)[i] = u; break;
    }
}

/* Element i of a float tensor as double (float16 and bfloat16 exactly). */
static double
load_f(const RtTensor *t, int64_t i)
{
    uint16_t h;
    uint32_t bits;
    float f;
    switch (t->dt) {
    case DT_F32: return ((const float *)t->data)[i];
    case DT_F64: return ((const double *)t->data)[i];
    case DT_BF16:
        bits = (uint32_t)((const uint16_t *)t->data)[i] << 16;
        memcpy(&f, &bits, 4);
        return f;
    default:
        h = ((const uint16_t *)t->data)[i];
        int e = (h >> 10) & 0x1f, m = h & 0x3ff;
        double v = e == 0    ? ldexp(m, -24)
                   : e == 31 ? (m ? NAN : INFINITY)
                             : ldexp(m + 1024, e - 25);
        return h & 0x8000 ? -v : v;
    }
}

/* Stores x into a float tensor (float16 and bfloat16 by truncation: only test values). */
static void
store_f(RtTensor *t, int64_t i, double x)
{
    float f = (float)x;
    uint32_t b;
    memcpy(&b, &f, 4);
    if (t->dt == DT_F32) {
        ((float *)t->data)[i] = f;
    } else if (t->dt == DT_F64) {
        ((double *)t->data)[i] = x;
    } else if (t->dt == DT_BF16) {
        ((uint16_t *)t->data)[i] = (uint16_t)(isnan(x) ? 0x7fc0 : b >> 16);
    } else {
        uint16_t s = (uint16_t)(b >> 16 & 0x8000);
        double a = fabs(x);
        int e;
        double m = frexp(a, &e); /* a = m 2^e, m in [0.5, 1) */
        unsigned h = isnan(x)      ? 0x7e00u
                     : a >= 65504  ? 0x7c00u
                     : a < 0x1p-14 ? (unsigned)(a * 0x1p24)
                                   : (unsigned)((e + 14) << 10 | ((int)(m * 2048) & 0x3ff));
        ((uint16_t *)t->data)[i] = (uint16_t)(s | h);
    }
}

static const DType floats[] = {DT_F64, DT_F16, DT_BF16};
static const DType ints[] = {DT_I8, DT_I16, DT_I32, DT_I64, DT_U8, DT_U16, DT_U32, DT_U64};
static const DType all[] = {DT_F64, DT_F16, DT_BF16, DT_I8,  DT_I16, DT_I32,
                            DT_I64, DT_U8,  DT_U16,  DT_U32, DT_U64};

/* operand shapes of the binary forms: dense (vector body and tail), both ways, scalars */
static const Shape pairs[][2] = {
    {{1, {1023}}, {1, {1023}}},    {{4, {2, 3, 1, 5}}, {3, {3, 4, 1}}},
    {{0, {0}}, {4, {2, 3, 4, 5}}}, {{4, {2, 3, 4, 5}}, {0, {0}}},
    {{1, {4099}}, {1, {1}}},
};

static const char *
dt_str(DType t)
{
    switch (t) {
    case DT_F64: return "float64";
    case DT_F16: return "float16";
    case DT_BF16: return "bfloat16";
    case DT_F32: return "float32";
    case DT_I8: return "int8";
    case DT_I16: return "int16";
    case DT_I32: return "int32";
    case DT_I64: return "int64";
    case DT_U8: return "uint8";
    case DT_U16: return "uint16";
    case DT_U32: return "uint32";
    case DT_U64: return "uint64";
    case DT_BOOL: return "bool";
    default: return "?";
    }
}

static RtTensor *
tensor(DType dt, const Shape *s)
{
    return kt_new(dt, s->rank, s->dim);
}

static Shape
bshape(const Shape *a, const Shape *b)
{
    Shape o = {a->rank > b->rank ? a->rank : b->rank, {0}};
    for (int d = 0; d < o.rank; d++) {
        int ia = d - (o.rank - a->rank), ib = d - (o.rank - b->rank);
        int64_t x = ia >= 0 ? a->dim[ia] : 1, y = ib >= 0 ? b->dim[ib] : 1;
        o.dim[d] = x == 1 ? y : x;
    }
    return o;
}

/* Fills t with values in [lo, hi] (integers: whole ones, wrapped to the width), then, with
 * edges set, the extremes of an integer width at elements 0 and 1 and, for floats, NaN, -0 and
 * infinities spread over it. */
static void
fill(RtTensor *t, uint32_t seed, double lo, double hi, int edges)
{
    static const double sp[] = {NAN, -0.0, INFINITY, -INFINITY, 0.0};
    uint32_t s = seed ? seed : 1;
    int64_t n = rt_numel(t);
    for (int64_t i = 0; i < n; i++) {
        double v = lo + (hi - lo) * (double)(kt_rand(&s) >> 8) / 16777215.0;
        if (is_float(t->dt))
            store_f(t, i, v);
        else
            store_i(t, i, (int64_t)floor(v));
    }
    if (!edges)
        return;
    if (!is_float(t->dt) && n > 2) {
        int bits = 8 * (int)rt_dtype_size(t->dt);
        int uns = is_uns(t->dt);
        uint64_t top = (uint64_t)1 << (bits - 1);
        store_i(t, 0, (int64_t)(uns ? top | (top - 1) : 0 - top)); /* max, or min */
        store_i(t, 1, (int64_t)(uns ? top : top - 1));             /* 2^(w-1), or max */
    } else if (is_float(t->dt)) {
        int64_t step = n > 5 ? n / 5 : 1;
        for (int64_t i = 0; i < 5 && i < n; i++)
            store_f(t, i * step, sp[i]);
    }
}

/* Replaces zeros in an integer tensor by 3, for divisors. */
static void
no_zeros(RtTensor *t)
{
    for (int64_t i = 0; i < rt_numel(t); i++)
        if (load_i(t, i) == 0)
            store_i(t, i, 3);
}

/* Float outputs within atol + rtol * max |want| (NaN for NaN, whatever its bits; the same
 * infinities; with no tolerance, zeros of the same sign): the CPU kernel, then the OpenCL op on
 * copies of the inputs at 8-byte but not 64-byte offsets, as par_check does. Float32 and
 * integer outputs go to par_check. */
static int
check(const char *name, OpKind op, const Attr *a, RtTensor **in, int nin, RtTensor *y,
      unsigned consts, double atol, double rtol)
{
    if (!is_float(y->dt) || y->dt == DT_F32)
        return par_check(name, op, a, in, nin, &y, 1, consts, atol, rtol);
    enum { MAXT = 8 };
    RtTensor *want = kt_new(y->dt, y->rank, y->dim), *got = kt_new(y->dt, y->rank, y->dim);
    OclTensor dt[MAXT], *din[MAXT] = {0}, *dout = &dt[nin];
    size_t off[MAXT], total = 0;
    OclBuf *buf = NULL;
    int ok = nin < MAXT && cpu_kernel[op](par_ctx, a, in, nin, &want, 1) == RT_OK;
    for (int i = 0; ok && i <= nin; i++) {
        const RtTensor *t = i < nin ? in[i] : y;
        off[i] = (total + 63) / 64 * 64 + 8 * (size_t)(i + 1);
        total = off[i] + (t ? par_bytes(t) : 0);
    }
    ok = ok && ocl_buf_new(par_dev, total, &buf) == RT_OK;
    for (int i = 0; ok && i <= nin; i++) {
        const RtTensor *t = i < nin ? in[i] : y;
        if (!t)
            continue;
        dt[i] = (OclTensor){.mem = buf->mem, .off = off[i], .dt = t->dt, .rank = t->rank};
        memcpy(dt[i].dim, t->dim, sizeof t->dim);
        if (i < nin) {
            dt[i].host = (consts >> i) & 1 ? t->data : NULL;
            din[i] = &dt[i];
            if (par_bytes(t))
                ok = ocl_buf_write(par_dev, buf, off[i], t->data, par_bytes(t)) == RT_OK;
        }
    }
    ok = ok && ocl_op[op](par_dev, a, din, nin, &dout, 1) == RT_OK && ocl_finish(par_dev) == RT_OK;
    ok = ok &&
         (!par_bytes(y) || ocl_buf_read(par_dev, buf, off[nin], got->data, par_bytes(y)) == RT_OK);
    if (!ok)
        fprintf(stderr, "%s: failed: %s\n", name, rt_ctx_error(par_ctx));
    double big = 0;
    for (int64_t i = 0; ok && i < rt_numel(y); i++)
        if (isfinite(load_f(want, i)) && fabs(load_f(want, i)) > big)
            big = fabs(load_f(want, i));
    for (int64_t i = 0; ok && i < rt_numel(y); i++) {
        double g = load_f(got, i), w = load_f(want, i);
        ok = isnan(w) ? isnan(g) : isinf(w) ? g == w : fabs(g - w) <= atol + rtol * big;
        if (atol == 0 && rtol == 0 && w == 0)
            ok = g == 0 && signbit(g) == signbit(w);
        if (!ok)
            fprintf(stderr, "%s: element %lld: got %.17g, want %.17g\n", name, (long long)i, g, w);
    }
    if (buf)
        ocl_buf_free(par_dev, buf);
    kt_free(want);
    kt_free(got);
    CHECK(ok);
    return ok;
}

/* tolerances of a float dtype for ops that are not exact: 1e-12 relative for float64, two
 * units in the last place for float16 (2^-10) and bfloat16 (2^-7) */
static double
tol_of(DType t)
{
    return t == DT_F64 ? 1e-12 : t == DT_F16 ? 1.0 / 1024 : t == DT_BF16 ? 1.0 / 128 : 1e-6;
}

/* ---- unary --------------------------------------------------------------------------------- */

static const struct {
    OpKind op;
    const char *name;
    float lo, hi; /* the input domain */
    int exact;    /* exact on every dtype */
    float alpha, beta, gamma;
    int approximate;
} unary_ops[] = {
    {OP_ABS, "abs", -5, 5, 1, 0, 0, 0, 0},
    {OP_ACOS, "acos", -0.99f, 0.99f, 0, 0, 0, 0, 0},
    {OP_ACOSH, "acosh", 1.01f, 6, 0, 0, 0, 0, 0},
    {OP_ASIN, "asin", -0.99f, 0.99f, 0, 0, 0, 0, 0},
    {OP_ASINH, "asinh", -5, 5, 0, 0, 0, 0, 0},
    {OP_ATAN, "atan", -5, 5, 0, 0, 0, 0, 0},
    {OP_ATANH, "atanh", -0.9f, 0.9f, 0, 0, 0, 0, 0},
    {OP_CEIL, "ceil", -5, 5, 1, 0, 0, 0, 0},
    {OP_CELU, "celu", -5, 5, 0, 1.3f, 0, 0, 0},
    {OP_COS, "cos", -5, 5, 0, 0, 0, 0, 0},
    {OP_COSH, "cosh", -4, 4, 0, 0, 0, 0, 0},
    {OP_ELU, "elu", -5, 5, 0, 0.7f, 0, 0, 0},
    {OP_ERF, "erf", -3, 3, 0, 0, 0, 0, 0},
    {OP_EXP, "exp", -5, 5, 0, 0, 0, 0, 0},
    {OP_FLOOR, "floor", -5, 5, 1, 0, 0, 0, 0},
    {OP_GELU, "gelu", -5, 5, 0, 0, 0, 0, 0},
    {OP_GELU, "gelu tanh", -5, 5, 0, 0, 0, 0, 1},
    {OP_HARDSIGMOID, "hardsigmoid", -5, 5, 0, 0.25f, 0.4f, 0, 0},
    {OP_HARDSWISH, "hardswish", -5, 5, 0, 0, 0, 0, 0},
    {OP_LEAKYRELU, "leakyrelu", -5, 5, 0, 0.1f, 0, 0, 0},
    {OP_LOG, "log", 0.01f, 5, 0, 0, 0, 0, 0},
    {OP_MISH, "mish", -5, 5, 0, 0, 0, 0, 0},
    {OP_NEG, "neg", -5, 5, 1, 0, 0, 0, 0},
    {OP_RECIPROCAL, "reciprocal", 0.5f, 4, 1, 0, 0, 0, 0},
    {OP_RELU, "relu", -5, 5, 1, 0, 0, 0, 0},
    {OP_ROUND, "round", -5, 5, 1, 0, 0, 0, 0},
    {OP_SELU, "selu", -5, 5, 0, 1.6732632f, 0, 1.0507010f, 0},
    {OP_SIGMOID, "sigmoid", -8, 8, 0, 0, 0, 0, 0},
    {OP_SIGN, "sign", -5, 5, 1, 0, 0, 0, 0},
    {OP_SIN, "sin", -5, 5, 0, 0, 0, 0, 0},
    {OP_SINH, "sinh", -4, 4, 0, 0, 0, 0, 0},
    {OP_SOFTPLUS, "softplus", -8, 8, 0, 0, 0, 0, 0},
    {OP_SOFTSIGN, "softsign", -5, 5, 0, 0, 0, 0, 0},
    {OP_SQRT, "sqrt", 0, 5, 1, 0, 0, 0, 0},
    {OP_TAN, "tan", -1.2f, 1.2f, 0, 0, 0, 0, 0},
    {OP_TANH, "tanh", -5, 5, 0, 0, 0, 0, 0},
    {OP_THRESHOLDEDRELU, "thresholdedrelu", -5, 5, 1, 0.5f, 0, 0, 0},
};

/* Every unary op on float64, float16 and bfloat16: 7 and 4099 elements, NaN, zeros and
 * infinities spread over the larger (Round with halves). */
static void
test_unary_floats(void)
{
    char name[128];
    for (size_t k = 0; k < LEN(unary_ops); k++) {
        Attr a = {.act = {unary_ops[k].alpha, unary_ops[k].beta, unary_ops[k].gamma,
                          unary_ops[k].approximate}};
        for (size_t t = 0; t < LEN(floats); t++) {
            for (int n = 7; n < 5000; n += 4092) {
                RtTensor *x = T(floats[t], n), *y = T(floats[t], n);
                fill(x, 11u + (uint32_t)(k * 7 + t), unary_ops[k].lo, unary_ops[k].hi, n > 7);
                if (unary_ops[k].op == OP_ROUND)
                    for (int64_t i = 2; i < n; i += 3)
                        store_f(x, i, floor(load_f(x, i)) + 0.5);
                double tol = unary_ops[k].exact ? 0 : tol_of(floats[t]);
                snprintf(name, sizeof name, "%s %s [%d]", unary_ops[k].name, dt_str(floats[t]), n);
                check(name, unary_ops[k].op, &a, &x, 1, y, 0, tol, tol);
                kt_free(x);
                kt_free(y);
            }
        }
    }
}

/* The integer forms (Abs, Neg, Sign, Relu, Ceil, Floor, Round, Not) on every width with its
 * extremes; ops without one go through double (Sqrt, Exp into integers, IsNaN, IsInf). */
static void
test_unary_ints(void)
{
    static const OpKind ops[] = {OP_ABS, OP_NEG, OP_SIGN, OP_RELU, OP_CEIL, OP_FLOOR, OP_ROUND};
    static const char *const names[] = {"abs", "neg", "sign", "relu", "ceil", "floor", "round"};
    char name[128];
    Attr none = {0};
    for (size_t t = 0; t < LEN(ints); t++) {
        RtTensor *x = T(ints[t], 1031), *y = T(ints[t], 1031), *b = T(DT_BOOL, 1031);
        fill(x, 21u + (uint32_t)t, -1e6, 1e6, 1);
        for (size_t k = 0; k < LEN(ops); k++) {
            snprintf(name, sizeof name, "%s %s", names[k], dt_str(ints[t]));
            check(name, ops[k], &none, &x, 1, y, 0, 0, 0);
        }
        snprintf(name, sizeof name, "not %s", dt_str(ints[t]));
        check(name, OP_NOT, &none, &x, 1, b, 0, 0, 0);
        snprintf(name, sizeof name, "isnan %s", dt_str(ints[t]));
        check(name, OP_ISNAN, &none, &x, 1, b, 0, 0, 0);
        Attr both = {.mode.mode = 3};
        snprintf(name, sizeof name, "isinf %s", dt_str(ints[t]));
        check(name, OP_ISINF, &both, &x, 1, b, 0, 0, 0);
        fill(x, 31u + (uint32_t)t, 0, 120, 0);
        snprintf(name, sizeof name, "sqrt %s", dt_str(ints[t]));
        check(name, OP_SQRT, &none, &x, 1, y, 0, 0, 0);
        fill(x, 41u + (uint32_t)t, -3, 4, 0);
        snprintf(name, sizeof name, "exp %s", dt_str(ints[t]));
        check(name, OP_EXP, &none, &x, 1, y, 0, 0, 0);
        kt_free(x);
        kt_free(y);
        kt_free(b);
    }
}

/* IsInf in each mode and IsNaN on float64, float16, bfloat16, with NaN and infinities */
static void
test_predicates(void)
{
    char name[128];
    for (size_t t = 0; t < LEN(floats); t++) {
        RtTensor *x = T(floats[t], 1029), *b = T(DT_BOOL, 1029);
        fill(x, 51u + (uint32_t)t, -3, 3, 1);
        for (int m = 0; m < 4; m++) {
            Attr a = {.mode.mode = m};
            snprintf(name, sizeof name, "isinf mode %d %s", m, dt_str(floats[t]));
            check(name, OP_ISINF, &a, &x, 1, b, 0, 0, 0);
        }
        Attr none = {0};
        snprintf(name, sizeof name, "isnan %s", dt_str(floats[t]));
        check(name, OP_ISNAN, &none, &x, 1, b, 0, 0, 0);
        kt_free(x);
        kt_free(b);
    }
}

/* ---- binary -------------------------------------------------------------------------------- */

static const struct {
    OpKind op;
    const char *name;
    int mode;  /* Mod's fmod */
    int exact; /* exact on floats */
} binary_ops[] = {
    {OP_ADD, "add", 0, 1}, {OP_SUB, "sub", 0, 1},     {OP_MUL, "mul", 0, 1}, {OP_DIV, "div", 0, 1},
    {OP_MAX, "max", 0, 1}, {OP_MIN, "min", 0, 1},     {OP_MOD, "mod", 0, 1}, {OP_MOD, "fmod", 1, 1},
    {OP_POW, "pow", 0, 0}, {OP_PRELU, "prelu", 0, 1},
};

/* Each binary op on every dtype but float32 and every pair of shapes. Floats: a in [-10, 10]
 * with NaN, zeros and infinities, b in [-3, 3] (Pow: bases in [0.1, 3]); integers: the whole
 * range with the extremes (wrapping), divisors without zeros but with -1 against the minimum,
 * Pow with small bases and exponents in [-2, 12]. */
static void
test_binary(void)
{
    char name[160];
    for (size_t k = 0; k < LEN(binary_ops); k++) {
        OpKind op = binary_ops[k].op;
        Attr at = {.mode.mode = binary_ops[k].mode};
        for (size_t t = 0; t < LEN(all); t++) {
            DType dt = all[t];
            int fl = is_float(dt), div = op == OP_DIV || op == OP_MOD;
            for (size_t p = 0; p < LEN(pairs); p++) {
                Shape o = bshape(&pairs[p][0], &pairs[p][1]);
                if (op == OP_PRELU && o.rank != pairs[p][0].rank)
                    continue; /* the slope broadcasts to X, not the other way */
                RtTensor *a = tensor(dt, &pairs[p][0]), *b = tensor(dt, &pairs[p][1]);
                RtTensor *y = tensor(dt, &o), *in[2] = {a, b};
                uint32_t seed = 100u + (uint32_t)((k * LEN(all) + t) * LEN(pairs) + p);
                if (op == OP_POW && fl) {
                    fill(a, seed, 0.1, 3, 0);
                    fill(b, seed + 1, -3, 3, 0);
                } else if (op == OP_POW) {
                    fill(a, seed, -5, 6, 0);
                    fill(b, seed + 1, -2, 13, 0);
                } else if (fl) {
                    fill(a, seed, -10, 10, 1);
                    fill(b, seed + 1, -3, 3, op != OP_PRELU);
                } else {
                    fill(a, seed, div ? -1e4 : -1e9, div ? 1e4 : 1e9, 1);
                    fill(b, seed + 1, div ? -7 : -1e9, div ? 8 : 1e9, !div);
                    if (div) {
                        no_zeros(b);
                        if (rt_numel(b) > 2 && (!is_uns(dt) || dt == DT_U64))
                            store_i(b, 0, -1); /* uint64: 2^64 - 1 */
                    }
                }
                double tol = fl && !binary_ops[k].exact ? tol_of(dt) : 0;
                snprintf(name, sizeof name, "%s %s pair %zu", binary_ops[k].name, dt_str(dt), p);
                check(name, op, &at, in, 2, y, 0, tol, tol);
                kt_free(a);
                kt_free(b);
                kt_free(y);
            }
        }
    }
}

/* Pow with mixed dtypes (the output has the base's), and a mixed Add and Equal. */
static void
test_mixed(void)
{
    static const struct {
        OpKind op;
        DType a, b, y;
        double alo, ahi, blo, bhi;
    } cases[] = {
        {OP_POW, DT_F32, DT_I32, DT_F32, 0.1, 3, -3, 6},
        {OP_POW, DT_F32, DT_I64, DT_F32, -3, 3, -3, 6},
        {OP_POW, DT_F32, DT_U32, DT_F32, -3, 3, 0, 6},
        {OP_POW, DT_F32, DT_U64, DT_F32, -3, 3, 0, 6},
        {OP_POW, DT_I32, DT_F32, DT_I32, -4, 5, 0, 6},
        {OP_POW, DT_I64, DT_F32, DT_I64, -4, 5, 0, 6},
        {OP_POW, DT_I64, DT_F32, DT_I64, 1, 50, 0.5, 2},
        {OP_POW, DT_I32, DT_I64, DT_I32, -4, 5, -1, 9},
        {OP_POW, DT_U8, DT_I8, DT_U8, 0, 6, -1, 5},
        {OP_POW, DT_F16, DT_F32, DT_F16, 0.1, 3, -3, 3},
        {OP_POW, DT_F64, DT_I64, DT_F64, -3, 3, -3, 6},
        {OP_POW, DT_F32, DT_F64, DT_F32, 0.1, 3, -3, 3},
        {OP_ADD, DT_I32, DT_F32, DT_F32, -1e6, 1e6, -3, 3},
        {OP_MUL, DT_U8, DT_I16, DT_I16, 0, 255, -300, 300},
        {OP_EQUAL, DT_I64, DT_F64, DT_BOOL, -3, 3, -3, 3},
        {OP_LESS, DT_F16, DT_I32, DT_BOOL, -3, 3, -3, 3},
    };
    char name[160];
    Attr none = {0};
    for (size_t c = 0; c < LEN(cases); c++) {
        for (size_t p = 0; p < LEN(pairs); p++) {
            Shape o = bshape(&pairs[p][0], &pairs[p][1]);
            RtTensor *a = tensor(cases[c].a, &pairs[p][0]), *b = tensor(cases[c].b, &pairs[p][1]);
            RtTensor *y = tensor(cases[c].y, &o), *in[2] = {a, b};
            fill(a, 700u + (uint32_t)(c * 10 + p), cases[c].alo, cases[c].ahi, 0);
            fill(b, 800u + (uint32_t)(c * 10 + p), cases[c].blo, cases[c].bhi, 0);
            if (cases[c].op == OP_EQUAL || cases[c].op == OP_LESS)
                for (int64_t i = 0; i < rt_numel(b); i++)
                    store_f(b, i, round(load_f(b, i)));
            double tol = cases[c].op == OP_POW && is_float(cases[c].y) ? tol_of(cases[c].y) : 0;
            snprintf(name, sizeof name, "op %d %s %s to %s pair %zu", (int)cases[c].op,
                     dt_str(cases[c].a), dt_str(cases[c].b), dt_str(cases[c].y), p);
            check(name, cases[c].op, &none, in, 2, y, 0, tol, tol);
            kt_free(a);
            kt_free(b);
            kt_free(y);
        }
    }
}

/* Comparisons on every dtype but float32 (small whole values, so that some are equal; uint64
 * past 2^63), And, Or, Xor on int32 and float32 (any nonzero is true) */
static void
test_compare_logic(void)
{
    static const OpKind cmp[] = {
        OP_EQUAL, OP_GREATER, OP_GREATEROREQUAL, OP_LESS, OP_LESSOREQUAL, OP_AND, OP_OR, OP_XOR};
    char name[160];
    Attr none = {0};
    for (size_t c = 0; c < LEN(cmp); c++) {
        for (size_t t = 0; t < LEN(all) + 2; t++) {
            DType dt = t < LEN(all) ? all[t] : t == LEN(all) ? DT_I32 : DT_F32;
            if ((c >= 5) != (t >= LEN(all)))
                continue;
            for (size_t p = 0; p < LEN(pairs); p += 2) {
                Shape o = bshape(&pairs[p][0], &pairs[p][1]);
                RtTensor *a = tensor(dt, &pairs[p][0]), *b = tensor(dt, &pairs[p][1]);
                RtTensor *y = tensor(DT_BOOL, &o), *in[2] = {a, b};
                fill(a, 300u + (uint32_t)(c * 40 + t * 3 + p), -3, 4, 0);
                fill(b, 400u + (uint32_t)(c * 40 + t * 3 + p), -3, 4, 0);
                for (int64_t i = 0; is_float(dt) && i < rt_numel(a); i++)
                    store_f(a, i, floor(load_f(a, i)));
                if (is_float(dt) && rt_numel(a) > 10)
                    store_f(a, 3, NAN);
                snprintf(name, sizeof name, "op %d %s pair %zu", (int)cmp[c], dt_str(dt), p);
                check(name, cmp[c], &none, in, 2, y, 0, 0, 0);
                kt_free(a);
                kt_free(b);
                kt_free(y);
            }
        }
    }
}

/* BitShift both ways on uint16 and on signed int32 (the CPU shifts its bits) */
static void
test_bitshift(void)
{
    static const DType dts[] = {DT_U16, DT_I32, DT_I8};
    char name[160];
    for (size_t t = 0; t < LEN(dts); t++) {
        for (int dir = 0; dir < 2; dir++) {
            Attr at = {.mode.mode = dir};
            RtTensor *a = T(dts[t], 1031), *b = T(dts[t], 1031), *y = T(dts[t], 1031);
            RtTensor *in[2] = {a, b};
            fill(a, 7u + (uint32_t)t, -300, 70000, 1);
            fill(b, 9u + (uint32_t)t, 0, 70, 0);
            snprintf(name, sizeof name, "bitshift %s %s", dir ? "right" : "left", dt_str(dts[t]));
            check(name, OP_BITSHIFT, &at, in, 2, y, 0, 0, 0);
            kt_free(a);
            kt_free(b);
            kt_free(y);
        }
    }
}

/* ---- Clip, variadic, Where ----------------------------------------------------------------- */

/* Clip on every dtype but float32 with bounds of its dtype: none, either, both, crossed (the
 * CPU's double form takes the upper one), constant or only on the device; an int32 input with
 * float32 bounds (truncated) and a float16 one with int64 bounds. */
static void
test_clip(void)
{
    static const struct {
        const char *name;
        int has_lo, has_hi;
        double lo, hi;
    } cases[] = {
        {"none", 0, 0, 0, 0},  {"min", 1, 0, -1.5, 0},   {"max", 0, 1, 0, 2.5},
        {"both", 1, 1, -1, 2}, {"crossed", 1, 1, 1, -1},
    };
    char name[160];
    Attr none = {0};
    for (size_t t = 0; t < LEN(all) + 2; t++) {
        DType dt = t < LEN(all) ? all[t] : t == LEN(all) ? DT_I32 : DT_F16;
        DType bt = t < LEN(all) ? dt : t == LEN(all) ? DT_F32 : DT_I64;
        for (size_t c = 0; c < LEN(cases); c++) {
            RtTensor *x = T(dt, 4099), *y = T(dt, 4099), *lo = SCALAR(bt), *hi = T(bt, 1);
            fill(x, 17u + (uint32_t)t, -4, 4, 1);
            if (is_float(bt)) {
                store_f(lo, 0, cases[c].lo + (t == LEN(all) ? 0.7 : 0));
                store_f(hi, 0, cases[c].hi + (t == LEN(all) ? 0.7 : 0));
            } else {
                store_i(lo, 0, (int64_t)cases[c].lo);
                store_i(hi, 0, (int64_t)cases[c].hi);
            }
            RtTensor *in[3] = {x, cases[c].has_lo ? lo : NULL, cases[c].has_hi ? hi : NULL};
            int nin = cases[c].has_hi ? 3 : cases[c].has_lo ? 2 : 1;
            for (unsigned consts = 0; consts < 8; consts += 6) {
                snprintf(name, sizeof name, "clip %s %s bounds %s consts %u", cases[c].name,
                         dt_str(dt), dt_str(bt), consts);
                check(name, OP_CLIP, &none, in, nin, y, consts, 0, 0);
            }
            kt_free(x);
            kt_free(y);
            kt_free(lo);
            kt_free(hi);
        }
    }
}

/* Sum, Mean, Max, Min of 2 and 3 broadcast inputs on every dtype but float32 (integer Mean
 * divides the wrapped sum) */
static void
test_variadic(void)
{
    static const OpKind ops[] = {OP_SUM, OP_MEAN, OP_MAX, OP_MIN};
    static const char *const names[] = {"sum", "mean", "max", "min"};
    static const Shape shapes[3] = {{4, {2, 3, 4, 5}}, {3, {3, 1, 1}}, {1, {5}}};
    char name[160];
    Attr none = {0};
    for (size_t k = 0; k < LEN(ops); k++) {
        for (size_t t = 0; t < LEN(all); t++) {
            for (int nin = 2; nin <= 3; nin++) {
                RtTensor *in[3], *y = tensor(all[t], &shapes[0]);
                for (int i = 0; i < nin; i++) {
                    in[i] = tensor(all[t], &shapes[i]);
                    fill(in[i], 900u + (uint32_t)(t * 3 + (size_t)i), -200, 200, i == 0);
                }
                double tol = is_float(all[t]) && ops[k] == OP_MEAN ? tol_of(all[t]) : 0;
                snprintf(name, sizeof name, "%s of %d %s", names[k], nin, dt_str(all[t]));
                check(name, ops[k], &none, in, nin, y, 0, tol, tol);
                for (int i = 0; i < nin; i++)
                    kt_free(in[i]);
                kt_free(y);
            }
        }
    }
}

/* Where on every dtype but float32, the condition broadcast */
static void
test_where(void)
{
    char name[160];
    Attr none = {0};
    for (size_t t = 0; t < LEN(all); t++) {
        RtTensor *c = T(DT_BOOL, 3, 1, 5), *x = T(all[t], 2, 3, 4, 5), *z = T(all[t], 4, 1);
        RtTensor *y = T(all[t], 2, 3, 4, 5), *in[3] = {c, x, z};
        fill(c, 5, 0, 2, 0);
        fill(x, 6u + (uint32_t)t, -100, 100, 1);
        fill(z, 7u + (uint32_t)t, 100, 120, 0);
        snprintf(name, sizeof name, "where %s", dt_str(all[t]));
        check(name, OP_WHERE, &none, in, 3, y, 0, 0, 0);
        kt_free(c);
        kt_free(x);
        kt_free(z);
        kt_free(y);
    }
}

/* ---- errors and refusals ------------------------------------------------------------------- */

/* Runs op on device tensors a, b (b constant when konst) into y; returns its status. */
static int
run_op(OpKind op, const Attr *at, RtTensor *a, RtTensor *b, RtTensor *y, int konst)
{
    OclBuf *buf = NULL;
    if (ocl_buf_new(par_dev, 3 * 4096, &buf) != RT_OK)
        return RT_ENOMEM;
    RtTensor *t[3] = {a, b, y};
    OclTensor d[3];
    for (int i = 0; i < 3; i++) {
        d[i] = (OclTensor){.mem = buf->mem,
                           .off = 4096 * (size_t)i + 8,
                           .dt = t[i]->dt,
                           .rank = t[i]->rank,
                           .host = i == 1 && konst ? b->data : NULL};
        memcpy(d[i].dim, t[i]->dim, sizeof t[i]->dim);
        if (i < 2 && par_bytes(t[i]))
            ocl_buf_write(par_dev, buf, d[i].off, t[i]->data, par_bytes(t[i]));
    }
    OclTensor *in[2] = {&d[0], &d[1]}, *out[1] = {&d[2]};
    int rc = ocl_op[op](par_dev, at, in, 2, out, 1);
    ocl_finish(par_dev);
    ocl_buf_free(par_dev, buf);
    return rc;
}

/* Integer Div and Mod by zero fail on OpenCL as on the CPU, the divisor constant or not; dtypes
 * the CPU refuses (complex, BitShift of floats) and float64 without cl_khr_fp64 are refused. */
static void
test_errors(void)
{
    static const OpKind ops[] = {OP_DIV, OP_MOD};
    Attr none = {0};
    for (int k = 0; k < 2; k++) {
        for (int konst = 0; konst < 2; konst++) {
            RtTensor *a = T(DT_I32, 9), *b = T(DT_I32, 9), *y = T(DT_I32, 9), *in[2] = {a, b};
            fill(a, 3, -50, 50, 0);
            fill(b, 4, 1, 9, 0);
            store_i(b, 7, 0);
            int cpu = cpu_kernel[ops[k]](par_ctx, &none, in, 2, &y, 1);
            int rc = run_op(ops[k], &none, a, b, y, konst);
            int ok = cpu == RT_EINPUT && rc == RT_EINPUT &&
                     strstr(rt_ctx_error(par_ctx), "division by zero");
            if (!ok)
                fprintf(stderr, "op %d by zero: CPU %d, OpenCL %d: %s\n", (int)ops[k], cpu, rc,
                        rt_ctx_error(par_ctx));
            CHECK(ok);
            kt_free(a);
            kt_free(b);
            kt_free(y);
        }
    }
    static const struct {
        OpKind op;
        DType dt;
        const char *words[2];
    } refusals[] = {
        {OP_ADD, DT_C64, {"Add", "complex64"}},
        {OP_BITSHIFT, DT_F32, {"BitShift", "float32"}},
        {OP_MUL, DT_F64, {"Mul", "float64"}},
    };
    for (size_t r = 0; r < LEN(refusals); r++) {
        if (refusals[r].dt == DT_F64 && ocl_info(par_dev)->fp64)
            continue;
        RtTensor *a = T(refusals[r].dt, 4), *b = T(refusals[r].dt, 4), *y = T(refusals[r].dt, 4);
        int rc = run_op(refusals[r].op, &none, a, b, y, 0);
        const char *msg = rt_ctx_error(par_ctx);
        int ok = rc == RT_EUNSUPPORTED && strstr(msg, refusals[r].words[0]) &&
                 strstr(msg, refusals[r].words[1]);
        if (!ok)
            fprintf(stderr, "%s on %s: status %d, \"%s\"\n", refusals[r].words[0],
                    refusals[r].words[1], rc, msg);
        CHECK(ok);
        kt_free(a);
        kt_free(b);
        kt_free(y);
    }
}

int
main(void)
{
    par_open();
    test_unary_floats();
    test_unary_ints();
    test_predicates();
    test_binary();
    test_mixed();
    test_compare_logic();
    test_bitshift();
    test_clip();
    test_variadic();
    test_where();
    test_errors();
    printf("on %s\n", ocl_info(par_dev)->name);
    return par_close();
}
