/*
 * test_parity_eltwise.c: the elementwise ops on OpenCL (runtime/opencl/eltwise.c) against the
 * CPU kernels. Every op runs on scalars, odd sizes (1, 7, 1023, 4099 elements, so that the flat
 * kernel's vector body and scalar tail both run) and a 4-D shape; binary ops also broadcast both
 * ways, scalar with tensor, [1] with [5,1] and per channel. Inputs hold negative values, zeros
 * and NaN, and infinities where the op gives them a meaning.
 *
 * Tolerances: ops that are a few correctly rounded float operations on both sides (Relu, Neg,
 * Add, Div, Max, Clip, HardSwish, Sqrt, comparisons, ...) must agree exactly. Ops built on
 * transcendental functions get 1e-6 absolute + 1e-5 relative to the largest |output|: OpenCL
 * allows its built-ins 2 to 16 ulp (erf and pow 16, about 1e-6 relative) and the CPU computes
 * some in double, some with its own approximations (erf within 2e-7 absolute).
 *
 * Every check goes through parity.h's par_check: non-finite outputs must match exactly.
 */
#include "parity.h"

#include <time.h>

#define DIMS(...) ((int64_t[]){__VA_ARGS__})
#define NDIMS(...) ((int)(sizeof DIMS(__VA_ARGS__) / sizeof(int64_t)))
/* a zeroed tensor of dtype dt and the given dims; SCALAR: rank 0 */
#define T(dt, ...) kt_new(dt, NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__))
#define SCALAR(dt) kt_new(dt, 0, NULL)

typedef struct Shape {
    int rank;
    int64_t dim[4];
} Shape;

/* the shapes every op runs on */
static const Shape shapes[] = {
    {0, {0}}, {1, {1}}, {1, {7}}, {1, {1023}}, {1, {4099}}, {4, {2, 3, 4, 5}},
};
enum { NSHAPES = sizeof shapes / sizeof shapes[0] };

/* operand shapes of the binary forms: a, b (the output is their broadcast) */
static const Shape pairs[][2] = {
    {{0, {0}}, {0, {0}}},                       /* scalars */
    {{1, {7}}, {1, {7}}},
    {{1, {1023}}, {1, {1023}}},
    {{1, {4099}}, {1, {4099}}},
    {{4, {2, 3, 4, 5}}, {4, {2, 3, 4, 5}}},
    {{4, {2, 3, 1, 5}}, {3, {3, 4, 1}}},        /* both ways */
    {{3, {3, 4, 1}}, {4, {2, 3, 1, 5}}},
    {{0, {0}}, {4, {2, 3, 4, 5}}},              /* scalar with tensor */
    {{4, {2, 3, 4, 5}}, {0, {0}}},
    {{1, {1}}, {2, {5, 1}}},                    /* [1] with [5,1] */
    {{2, {5, 1}}, {1, {1}}},
    {{1, {4099}}, {1, {1}}},                    /* flat, with one element repeated */
    {{4, {2, 3, 4, 5}}, {3, {3, 1, 1}}},        /* per channel */
    {{2, {3, 1}}, {2, {1, 4}}},
    {{4, {2, 1, 4, 5}}, {4, {2, 3, 1, 5}}},
};
enum { NPAIRS = sizeof pairs / sizeof pairs[0] };

/* special values, sprinkled over inputs or alone: infinities, NaN, signed zeros and a few
 * values on the edges of rounding and of the activations' pieces */
static const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1.0f, -1.0f, 0.5f,
                                 -0.5f, 2.0f, -2.0f, 1.5f, -2.5f};
enum { NSPECIAL = sizeof specials / sizeof specials[0] };
static const float quiet[] = {NAN, 0.0f, -0.0f, NAN, -0.0f, 0.0f};
enum { NQUIET = sizeof quiet / sizeof quiet[0] };
/* for second operands: zeros against specials[]'s finite values, infinities against NaN */
static const float specials_b[] = {0.0f, 2.0f, NAN, -0.0f, INFINITY, -1.0f, -INFINITY, 0.0f,
                                   3.0f, NAN, -0.0f, INFINITY, 0.5f};

static RtTensor *
tensor(DType dt, const Shape *s)
{
    return kt_new(dt, s->rank, s->dim);
}

/* Writes v[0 .. n) over t's float elements, spread evenly (as many as fit). */
static void
sprinkle(RtTensor *t, const float *v, int n)
{
    int64_t m = rt_numel(t), step = m > n ? m / n : 1;
    for (int64_t i = 0; i < n && i < m; i++)
        ((float *)t->data)[i * step + step / 2] = v[i];
}

/* Fills an integer or bool tensor with values in [lo, hi]. */
static void
fill_int(RtTensor *t, uint32_t seed, int64_t lo, int64_t hi)
{
    uint32_t s = seed ? seed : 1;
    for (int64_t i = 0; i < rt_numel(t); i++) {
        int64_t v = lo + (int64_t)(kt_rand(&s) % (uint64_t)(hi - lo + 1));
        switch (t->dt) {
        case DT_BOOL:
        case DT_U8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
        case DT_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
        case DT_U32: ((uint32_t *)t->data)[i] = (uint32_t)v; break;
        case DT_I64: ((int64_t *)t->data)[i] = v; break;
        case DT_U64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
        default: break;
        }
    }
}

/* The broadcast of two shapes (numpy rules; the test's pairs always broadcast). */
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

static const char *
shape_str(const Shape *s, char *buf, size_t cap)
{
    int len = snprintf(buf, cap, "[");
    for (int d = 0; d < s->rank; d++)
        len += snprintf(buf + len, cap - (size_t)len, "%s%lld", d ? "," : "", (long long)s->dim[d]);
    snprintf(buf + len, cap - (size_t)len, "]");
    return buf;
}

/* One check of an op with one output. */
static int
check(const char *name, OpKind op, const Attr *a, RtTensor **in, int nin, RtTensor *y,
      unsigned consts, double atol, double rtol)
{
    return par_check(name, op, a, in, nin, &y, 1, consts, atol, rtol);
}

/* ---- unary --------------------------------------------------------------------------------- */

enum { EXACT, TRANS };      /* tolerance classes: bit-exact, or built-in transcendentals */
static const double tol_abs[] = {0, 1e-6}, tol_rel[] = {0, 1e-5};

static const struct {
    OpKind op;
    const char *name;
    float lo, hi;           /* the input domain */
    int tol;
    float alpha, beta, gamma;
    int approximate;
} unary_ops[] = {
    {OP_ABS, "abs", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_ACOS, "acos", -0.99f, 0.99f, TRANS, 0, 0, 0, 0},
    {OP_ACOSH, "acosh", 1.01f, 6, TRANS, 0, 0, 0, 0},
    {OP_ASIN, "asin", -0.99f, 0.99f, TRANS, 0, 0, 0, 0},
    {OP_ASINH, "asinh", -5, 5, TRANS, 0, 0, 0, 0},
    {OP_ATAN, "atan", -5, 5, TRANS, 0, 0, 0, 0},
    {OP_ATANH, "atanh", -0.9f, 0.9f, TRANS, 0, 0, 0, 0},
    {OP_CEIL, "ceil", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_CELU, "celu", -5, 5, TRANS, 1.3f, 0, 0, 0},
    {OP_COS, "cos", -5, 5, TRANS, 0, 0, 0, 0},
    {OP_COSH, "cosh", -4, 4, TRANS, 0, 0, 0, 0},
    {OP_ELU, "elu", -5, 5, TRANS, 0.7f, 0, 0, 0},
    {OP_ERF, "erf", -3, 3, TRANS, 0, 0, 0, 0},
    {OP_EXP, "exp", -5, 5, TRANS, 0, 0, 0, 0},
    {OP_FLOOR, "floor", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_GELU, "gelu", -5, 5, TRANS, 0, 0, 0, 0},
    {OP_GELU, "gelu tanh", -5, 5, TRANS, 0, 0, 0, 1},
    {OP_HARDSIGMOID, "hardsigmoid", -5, 5, EXACT, 0.25f, 0.4f, 0, 0},
    {OP_HARDSWISH, "hardswish", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_LEAKYRELU, "leakyrelu", -5, 5, EXACT, 0.1f, 0, 0, 0},
    {OP_LOG, "log", 0.01f, 5, TRANS, 0, 0, 0, 0},
    {OP_MISH, "mish", -5, 5, TRANS, 0, 0, 0, 0},
    {OP_NEG, "neg", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_RECIPROCAL, "reciprocal", 0.5f, 4, EXACT, 0, 0, 0, 0},
    {OP_RELU, "relu", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_ROUND, "round", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_SELU, "selu", -5, 5, TRANS, 1.6732632f, 0, 1.0507010f, 0},
    {OP_SIGMOID, "sigmoid", -8, 8, TRANS, 0, 0, 0, 0},
    {OP_SIGN, "sign", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_SIN, "sin", -5, 5, TRANS, 0, 0, 0, 0},
    {OP_SINH, "sinh", -4, 4, TRANS, 0, 0, 0, 0},
    {OP_SOFTPLUS, "softplus", -8, 8, TRANS, 0, 0, 0, 0},
    {OP_SOFTSIGN, "softsign", -5, 5, EXACT, 0, 0, 0, 0},
    {OP_SQRT, "sqrt", 0, 5, EXACT, 0, 0, 0, 0},
    {OP_TAN, "tan", -1.2f, 1.2f, TRANS, 0, 0, 0, 0},
    {OP_TANH, "tanh", -5, 5, TRANS, 0, 0, 0, 0},
    {OP_THRESHOLDEDRELU, "thresholdedrelu", -5, 5, EXACT, 0.5f, 0, 0, 0},
};
enum { NUNARY = sizeof unary_ops / sizeof unary_ops[0] };

/* Each unary op on every shape with NaN and zeros sprinkled in (Round also with halves), then
 * with infinities as well: the special values alone (outputs infinite, NaN or below 10, checked
 * with rtol 0), and for exact ops sprinkled over 4099 elements. */
static void
test_unary(void)
{
    static const float halves[] = {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 3.5f};
    char name[128], sh[64];
    for (int k = 0; k < NUNARY; k++) {
        Attr a = {.act = {unary_ops[k].alpha, unary_ops[k].beta, unary_ops[k].gamma,
                          unary_ops[k].approximate}};
        int tol = unary_ops[k].tol;
        for (int s = 0; s < NSHAPES; s++) {
            RtTensor *x = tensor(DT_F32, &shapes[s]), *y = tensor(DT_F32, &shapes[s]);
            kt_fill(x, 11u + (uint32_t)(k * NSHAPES + s), unary_ops[k].lo, unary_ops[k].hi);
            if (unary_ops[k].op == OP_ROUND)
                sprinkle(x, halves, 7);
            /* (Log and Reciprocal of 0 are infinite: their zeros are in the specials) */
            int inf0 = unary_ops[k].op == OP_LOG || unary_ops[k].op == OP_RECIPROCAL;
            sprinkle(x, quiet, inf0 ? 1 : NQUIET);
            snprintf(name, sizeof name, "%s %s", unary_ops[k].name,
                     shape_str(&shapes[s], sh, sizeof sh));
            check(name, unary_ops[k].op, &a, &x, 1, y, 0, tol_abs[tol], tol_rel[tol]);
            kt_free(x);
            kt_free(y);
        }
        RtTensor *x = T(DT_F32, NSPECIAL), *y = T(DT_F32, NSPECIAL);
        memcpy(x->data, specials, sizeof specials);
        snprintf(name, sizeof name, "%s specials", unary_ops[k].name);
        check(name, unary_ops[k].op, &a, &x, 1, y, 0, 10 * tol_abs[tol], 0);
        kt_free(x);
        kt_free(y);
        if (tol == EXACT) {
            x = T(DT_F32, 4099);
            y = T(DT_F32, 4099);
            kt_fill(x, 99u + (uint32_t)k, unary_ops[k].lo, unary_ops[k].hi);
            sprinkle(x, specials, NSPECIAL);
            snprintf(name, sizeof name, "%s [4099] with specials", unary_ops[k].name);
            check(name, unary_ops[k].op, &a, &x, 1, y, 0, 0, 0);
            kt_free(x);
            kt_free(y);
        }
    }
}

/* IsInf in each mode, IsNaN, Not */
static void
test_predicates(void)
{
    char name[128], sh[64];
    for (int s = 0; s < NSHAPES; s++) {
        RtTensor *x = tensor(DT_F32, &shapes[s]), *b = tensor(DT_BOOL, &shapes[s]);
        RtTensor *nb = tensor(DT_BOOL, &shapes[s]);
        kt_fill(x, 5u + (uint32_t)s, -3, 3);
        sprinkle(x, specials, NSPECIAL);
        shape_str(&shapes[s], sh, sizeof sh);
        for (int m = 0; m < 4; m++) {
            Attr a = {.mode.mode = m};
            snprintf(name, sizeof name, "isinf mode %d %s", m, sh);
            check(name, OP_ISINF, &a, &x, 1, b, 0, 0, 0);
        }
        Attr none = {0};
        snprintf(name, sizeof name, "isnan %s", sh);
        check(name, OP_ISNAN, &none, &x, 1, b, 0, 0, 0);
        fill_int(b, 3u + (uint32_t)s, 0, 1);
        snprintf(name, sizeof name, "not %s", sh);
        check(name, OP_NOT, &none, &b, 1, nb, 0, 0, 0);
        kt_free(x);
        kt_free(b);
        kt_free(nb);
    }
}

/* Clip: no bounds, either, both, crossed ones, a NaN bound; each bound constant (host-visible)
 * or only on the device; empty bounds, which are omitted ones. */
static void
test_clip(void)
{
    static const struct {
        const char *name;
        int has_lo, has_hi;
        float lo, hi;
    } cases[] = {
        {"none", 0, 0, 0, 0},        {"min", 1, 0, -0.75f, 0},  {"max", 0, 1, 0, 0.75f},
        {"both", 1, 1, -1.5f, 2.0f}, {"crossed", 1, 1, 1, -1}, {"nan bound", 1, 1, NAN, 0.5f},
    };
    Attr none = {0};
    char name[128], sh[64];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int s = 0; s <= NSHAPES; s++) {
            /* every shape with NaN and zeros; then 4099 elements with infinities too */
            const Shape *shape = &shapes[s < NSHAPES ? s : NSHAPES - 2];
            RtTensor *x = tensor(DT_F32, shape), *y = tensor(DT_F32, shape);
            RtTensor *lo = SCALAR(DT_F32), *hi = T(DT_F32, 1);
            kt_fill(x, 17u + (uint32_t)s, -3, 3);
            sprinkle(x, s < NSHAPES ? quiet : specials, s < NSHAPES ? NQUIET : NSPECIAL);
            *(float *)lo->data = cases[c].lo;
            *(float *)hi->data = cases[c].hi;
            RtTensor *in[3] = {x, cases[c].has_lo ? lo : NULL, cases[c].has_hi ? hi : NULL};
            int nin = cases[c].has_hi ? 3 : cases[c].has_lo ? 2 : 1;
            shape_str(shape, sh, sizeof sh);
            /* bounds in[1], in[2] constant where bits 1, 2 of consts are set */
            for (unsigned consts = 0; consts < 8; consts += 2) {
                if (consts && !cases[c].has_lo && !cases[c].has_hi)
                    break;
                snprintf(name, sizeof name, "clip %s consts %u %s%s", cases[c].name, consts, sh,
                         s < NSHAPES ? "" : " with specials");
                if (s < NSHAPES)
                    check(name, OP_CLIP, &none, in, nin, y, consts, 0, 0);
                else
                    check(name, OP_CLIP, &none, in, nin, y, consts, 0, 0);
            }
            kt_free(x);
            kt_free(y);
            kt_free(lo);
            kt_free(hi);
        }
    }
    RtTensor *x = T(DT_F32, 7), *y = T(DT_F32, 7), *e1 = T(DT_F32, 0), *e2 = T(DT_F32, 0);
    kt_fill(x, 3, -3, 3);
    RtTensor *in[3] = {x, e1, e2};
    check("clip empty bounds", OP_CLIP, &none, in, 3, y, 0, 0, 0);
    check("clip empty constant bounds", OP_CLIP, &none, in, 3, y, 6, 0, 0);
    kt_free(x);
    kt_free(y);
    kt_free(e1);
    kt_free(e2);
}

/* ---- binary -------------------------------------------------------------------------------- */

static const struct {
    OpKind op;
    const char *name;
    float alo, ahi, blo, bhi;   /* operand domains */
    int tol;
    int mode;                   /* Mod's fmod */
    int specials;               /* checked with infinities (exact ops) */
} binary_ops[] = {
    {OP_ADD, "add", -3, 3, -3, 3, EXACT, 0, 1},
    {OP_SUB, "sub", -3, 3, -3, 3, EXACT, 0, 1},
    {OP_MUL, "mul", -3, 3, -3, 3, EXACT, 0, 1},
    {OP_DIV, "div", -3, 3, -3, 3, EXACT, 0, 1},
    {OP_MAX, "max", -3, 3, -3, 3, EXACT, 0, 1},
    {OP_MIN, "min", -3, 3, -3, 3, EXACT, 0, 1},
    {OP_PRELU, "prelu", -3, 3, 0, 1, EXACT, 0, 1},
    {OP_MOD, "mod", -10, 10, -3, 3, EXACT, 0, 1},
    {OP_MOD, "fmod", -10, 10, -3, 3, EXACT, 1, 1},
    {OP_POW, "pow", 0.1f, 3, -3, 3, TRANS, 0, 0},
};
enum { NBINARY = sizeof binary_ops / sizeof binary_ops[0] };

static const OpKind cmp_ops[] = {OP_EQUAL, OP_GREATER, OP_GREATEROREQUAL, OP_LESS,
                                 OP_LESSOREQUAL};
static const char *const cmp_names[] = {"equal", "greater", "greaterorequal", "less",
                                        "lessorequal"};

/* Each binary op on every pair of shapes, NaN and zeros in a, NaN in b; then infinities in
 * both and zeros in b on a few pairs (dense, both ways, scalar first, one element repeated) */
static void
test_binary(void)
{
    static const int strict_pairs[] = {3, 5, 7, 11};
    char name[160], sa[64], sb[64];
    for (int k = 0; k < NBINARY; k++) {
        Attr at = {.mode.mode = binary_ops[k].mode};
        for (int q = 0; q < NPAIRS + 4; q++) {
            int p = q < NPAIRS ? q : strict_pairs[q - NPAIRS], strict = q >= NPAIRS;
            Shape o = bshape(&pairs[p][0], &pairs[p][1]);
            if (strict && !binary_ops[k].specials)
                break;
            if (binary_ops[k].op == OP_PRELU &&
                (o.rank != pairs[p][0].rank || memcmp(o.dim, pairs[p][0].dim, sizeof o.dim)))
                continue;       /* the slope broadcasts to X, not the other way */
            RtTensor *a = tensor(DT_F32, &pairs[p][0]), *b = tensor(DT_F32, &pairs[p][1]);
            RtTensor *y = tensor(DT_F32, &o), *in[2] = {a, b};
            kt_fill(a, 100u + (uint32_t)(k * NPAIRS + q), binary_ops[k].alo, binary_ops[k].ahi);
            kt_fill(b, 200u + (uint32_t)(k * NPAIRS + q), binary_ops[k].blo, binary_ops[k].bhi);
            sprinkle(a, strict ? specials : quiet, strict ? NSPECIAL : NQUIET);
            sprinkle(b, strict ? specials_b : quiet, strict ? NSPECIAL : 1);
            snprintf(name, sizeof name, "%s %s %s%s", binary_ops[k].name,
                     shape_str(&pairs[p][0], sa, sizeof sa), shape_str(&pairs[p][1], sb, sizeof sb),
                     strict ? " with specials" : "");
            if (strict)
                check(name, binary_ops[k].op, &at, in, 2, y, 0, 0, 0);
            else
                check(name, binary_ops[k].op, &at, in, 2, y, 0, tol_abs[binary_ops[k].tol],
                      tol_rel[binary_ops[k].tol]);
            kt_free(a);
            kt_free(b);
            kt_free(y);
        }
    }
    /* Pow's special cases: zero and negative bases, integer and NaN exponents, infinities */
    static const float base[] = {0, -0.0f, -2, -2, -2, 2, NAN, 1, INFINITY, -INFINITY, 0.5f, 4};
    static const float expo[] = {-1, -3, 3, 0.5f, 2, NAN, 0, NAN, -1, 3, INFINITY, -0.5f};
    RtTensor *a = T(DT_F32, 12), *b = T(DT_F32, 12), *y = T(DT_F32, 12), *in[2] = {a, b};
    memcpy(a->data, base, sizeof base);
    memcpy(b->data, expo, sizeof expo);
    Attr none = {0};
    check("pow specials", OP_POW, &none, in, 2, y, 0, 1e-5, 0);
    kt_free(a);
    kt_free(b);
    kt_free(y);
}

/* Comparisons on float32 (small integers, so that some are equal, and NaN, infinities), int32,
 * int64 (values past 2^53, which a float compare would confuse), bool and uint8. */
static void
test_compare(void)
{
    static const DType dts[] = {DT_F32, DT_I32, DT_I64, DT_BOOL, DT_U8};
    char name[160], sa[64], sb[64];
    Attr none = {0};
    for (int c = 0; c < 5; c++) {
        for (size_t t = 0; t < sizeof dts / sizeof dts[0]; t++) {
            for (int p = 0; p < NPAIRS; p++) {
                if (dts[t] != DT_F32 && dts[t] != DT_I64 && p % 3 != 0)
                    continue;   /* fewer forms for the other dtypes */
                Shape o = bshape(&pairs[p][0], &pairs[p][1]);
                RtTensor *a = tensor(dts[t], &pairs[p][0]), *b = tensor(dts[t], &pairs[p][1]);
                RtTensor *y = tensor(DT_BOOL, &o), *in[2] = {a, b};
                uint32_t seed = 300u + (uint32_t)(c * 97 + (int)t * NPAIRS + p);
                if (dts[t] == DT_F32) {
                    kt_fill(a, seed, -3, 3);
                    kt_fill(b, seed + 1, -3, 3);
                    for (int64_t i = 0; i < rt_numel(a); i++)
                        ((float *)a->data)[i] = roundf(((float *)a->data)[i]);
                    for (int64_t i = 0; i < rt_numel(b); i++)
                        ((float *)b->data)[i] = roundf(((float *)b->data)[i]);
                    sprinkle(a, specials, NSPECIAL);
                    sprinkle(b, specials, 5);
                } else if (dts[t] == DT_I64) {
                    const int64_t big = (int64_t)1 << 53;
                    fill_int(a, seed, -2, 2);
                    fill_int(b, seed + 1, -2, 2);
                    for (int64_t i = 0; i < rt_numel(a); i += 3)
                        ((int64_t *)a->data)[i] += big;
                    for (int64_t i = 0; i < rt_numel(b); i += 2)
                        ((int64_t *)b->data)[i] += big;
                    if (rt_numel(a) > 1)
                        ((int64_t *)a->data)[1] = INT64_MIN;
                } else if (dts[t] == DT_I32) {
                    fill_int(a, seed, -3, 3);
                    fill_int(b, seed + 1, -3, 3);
                    if (rt_numel(b) > 1)
                        ((int32_t *)b->data)[1] = INT32_MIN;
                } else {
                    fill_int(a, seed, 0, dts[t] == DT_BOOL ? 1 : 255);
                    fill_int(b, seed + 1, 0, dts[t] == DT_BOOL ? 1 : 255);
                }
                snprintf(name, sizeof name, "%s dtype %d %s %s", cmp_names[c], dts[t],
                         shape_str(&pairs[p][0], sa, sizeof sa),
                         shape_str(&pairs[p][1], sb, sizeof sb));
                check(name, cmp_ops[c], &none, in, 2, y, 0, 0, 0);
                kt_free(a);
                kt_free(b);
                kt_free(y);
            }
        }
    }
}

/* And, Or, Xor on bool */
static void
test_logic(void)
{
    static const OpKind ops[] = {OP_AND, OP_OR, OP_XOR};
    static const char *const names[] = {"and", "or", "xor"};
    char name[160], sa[64], sb[64];
    Attr none = {0};
    for (int k = 0; k < 3; k++) {
        for (int p = 0; p < NPAIRS; p++) {
            Shape o = bshape(&pairs[p][0], &pairs[p][1]);
            RtTensor *a = tensor(DT_BOOL, &pairs[p][0]), *b = tensor(DT_BOOL, &pairs[p][1]);
            RtTensor *y = tensor(DT_BOOL, &o), *in[2] = {a, b};
            fill_int(a, 400u + (uint32_t)p, 0, 1);
            fill_int(b, 500u + (uint32_t)(k * NPAIRS + p), 0, 1);
            snprintf(name, sizeof name, "%s %s %s", names[k], shape_str(&pairs[p][0], sa, 64),
                     shape_str(&pairs[p][1], sb, 64));
            check(name, ops[k], &none, in, 2, y, 0, 0, 0);
            kt_free(a);
            kt_free(b);
            kt_free(y);
        }
    }
}

/* BitShift both ways on unsigned dtypes, with shifts past the width and past 63 */
static void
test_bitshift(void)
{
    static const DType dts[] = {DT_U8, DT_U32, DT_U64};
    char name[160];
    for (int t = 0; t < 3; t++) {
        for (int dir = 0; dir < 2; dir++) {
            Attr at = {.mode.mode = dir};
            RtTensor *a = T(dts[t], 4099), *b = T(dts[t], 4099), *y = T(dts[t], 4099);
            RtTensor *bs = SCALAR(dts[t]), *ys = T(dts[t], 2, 3), *as = T(dts[t], 2, 3);
            fill_int(a, 7u + (uint32_t)t, 0, 255);
            fill_int(b, 9u + (uint32_t)t, 0, 70);
            fill_int(as, 5, 0, 255);
            fill_int(bs, 3, 5, 5);
            RtTensor *in[2] = {a, b}, *ins[2] = {as, bs};
            snprintf(name, sizeof name, "bitshift %s dtype %d", dir ? "right" : "left", dts[t]);
            check(name, OP_BITSHIFT, &at, in, 2, y, 0, 0, 0);
            snprintf(name, sizeof name, "bitshift %s dtype %d by scalar", dir ? "right" : "left",
                     dts[t]);
            check(name, OP_BITSHIFT, &at, ins, 2, ys, 0, 0, 0);
            kt_free(a);
            kt_free(b);
            kt_free(y);
            kt_free(as);
            kt_free(bs);
            kt_free(ys);
        }
    }
}

/* Integer arithmetic with wrapping: Add, Sub, Mul, Max, Min, Neg, Abs, Relu, Sign on int32 and
 * int64, with the extreme values. */
static void
test_int_arith(void)
{
    static const OpKind bops[] = {OP_ADD, OP_SUB, OP_MUL, OP_MAX, OP_MIN};
    static const char *const bnames[] = {"add", "sub", "mul", "max", "min"};
    static const OpKind uops[] = {OP_NEG, OP_ABS, OP_RELU, OP_SIGN};
    static const char *const unames[] = {"neg", "abs", "relu", "sign"};
    static const DType dts[] = {DT_I32, DT_I64};
    char name[160], sa[64], sb[64];
    Attr none = {0};
    for (int t = 0; t < 2; t++) {
        for (int p = 0; p < NPAIRS; p += 2) {
            Shape o = bshape(&pairs[p][0], &pairs[p][1]);
            RtTensor *a = tensor(dts[t], &pairs[p][0]), *b = tensor(dts[t], &pairs[p][1]);
            RtTensor *y = tensor(dts[t], &o), *in[2] = {a, b};
            fill_int(a, 600u + (uint32_t)p, -100000, 100000);
            fill_int(b, 700u + (uint32_t)p, -100000, 100000);
            if (rt_numel(a) > 2) {      /* overflow in every op */
                if (dts[t] == DT_I32) {
                    ((int32_t *)a->data)[0] = INT32_MIN;
                    ((int32_t *)a->data)[1] = INT32_MAX;
                } else {
                    ((int64_t *)a->data)[0] = INT64_MIN;
                    ((int64_t *)a->data)[1] = INT64_MAX;
                }
            }
            for (int k = 0; k < 5; k++) {
                snprintf(name, sizeof name, "%s dtype %d %s %s", bnames[k], dts[t],
                         shape_str(&pairs[p][0], sa, sizeof sa),
                         shape_str(&pairs[p][1], sb, sizeof sb));
                check(name, bops[k], &none, in, 2, y, 0, 0, 0);
            }
            RtTensor *ya = tensor(dts[t], &pairs[p][0]);
            for (int k = 0; k < 4; k++) {
                snprintf(name, sizeof name, "%s dtype %d %s", unames[k], dts[t], sa);
                check(name, uops[k], &none, &a, 1, ya, 0, 0, 0);
            }
            kt_free(ya);
            kt_free(a);
            kt_free(b);
            kt_free(y);
        }
    }
}

/* Sum, Mean, Max, Min of 1 to 4 inputs, broadcasting; float32 (with NaN and zeros, then with
 * infinities too), and int32 for Sum, Max, Min */
static void
test_variadic(void)
{
    static const OpKind ops[] = {OP_SUM, OP_MEAN, OP_MAX, OP_MIN};
    static const char *const names[] = {"sum", "mean", "max", "min"};
    static const Shape in_shapes[][4] = {
        {{1, {4099}}, {1, {4099}}, {1, {4099}}, {1, {4099}}},
        {{4, {2, 3, 4, 5}}, {3, {3, 1, 1}}, {1, {5}}, {0, {0}}},
        {{0, {0}}, {4, {2, 3, 4, 5}}, {1, {1}}, {4, {2, 3, 4, 5}}},
        {{2, {5, 1}}, {1, {1}}, {2, {1, 3}}, {0, {0}}},
    };
    char name[160];
    Attr none = {0};
    for (int k = 0; k < 4; k++) {
        for (int form = 0; form < 3; form++) {      /* float32, the same with infinities, int32 */
            DType dt = form == 2 ? DT_I32 : DT_F32;
            if (dt == DT_I32 && ops[k] == OP_MEAN)
                continue;
            for (size_t f = 0; f < sizeof in_shapes / sizeof in_shapes[0]; f++) {
                for (int nin = 1; nin <= 4; nin++) {
                    RtTensor *in[4];
                    Shape o = in_shapes[f][0];
                    for (int i = 0; i < nin; i++) {
                        uint32_t seed = 800u + (uint32_t)(f * 4 + (size_t)i);
                        in[i] = tensor(dt, &in_shapes[f][i]);
                        if (dt == DT_I32) {
                            fill_int(in[i], seed, -1000, 1000);
                        } else {
                            kt_fill(in[i], seed, -3, 3);
                            if (form == 1)
                                sprinkle(in[i], specials + 3 * (i % 2), 4);
                            else
                                sprinkle(in[i], quiet + i % 2, 3);
                        }
                        o = bshape(&o, &in_shapes[f][i]);
                    }
                    RtTensor *y = tensor(dt, &o);
                    snprintf(name, sizeof name, "%s %s of %d, form %zu%s", names[k],
                             dt == DT_I32 ? "int32" : "float32", nin, f,
                             form == 1 ? " with specials" : "");
                    check(name, ops[k], &none, in, nin, y, 0, 0, 0);
                    for (int i = 0; i < nin; i++)
                        kt_free(in[i]);
                    kt_free(y);
                }
            }
        }
    }
}

/* Where with the condition broadcast, scalar branches, on float32, int64, int32 and bool */
static void
test_where(void)
{
    static const Shape forms[][3] = {
        {{4, {2, 3, 4, 5}}, {4, {2, 3, 4, 5}}, {4, {2, 3, 4, 5}}},
        {{1, {4099}}, {1, {4099}}, {0, {0}}},
        {{3, {1, 4, 1}}, {4, {2, 3, 4, 5}}, {0, {0}}},
        {{0, {0}}, {2, {3, 1}}, {2, {1, 7}}},
        {{2, {5, 1}}, {1, {1}}, {1, {3}}},
        {{1, {7}}, {1, {7}}, {1, {7}}},
    };
    static const DType dts[] = {DT_F32, DT_I64, DT_I32, DT_BOOL};
    char name[160];
    Attr none = {0};
    for (size_t t = 0; t < sizeof dts / sizeof dts[0]; t++) {
        for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
            Shape o = bshape(&forms[f][0], &forms[f][1]);
            o = bshape(&o, &forms[f][2]);
            RtTensor *c = tensor(DT_BOOL, &forms[f][0]), *x = tensor(dts[t], &forms[f][1]);
            RtTensor *z = tensor(dts[t], &forms[f][2]), *y = tensor(dts[t], &o);
            RtTensor *in[3] = {c, x, z};
            fill_int(c, 900u + (uint32_t)f, 0, 1);
            if (dts[t] == DT_F32) {
                kt_fill(x, 901u + (uint32_t)f, -3, 3);
                kt_fill(z, 902u + (uint32_t)f, 10, 13);
                sprinkle(x, specials, 3);
            } else if (dts[t] == DT_BOOL) {
                fill_int(x, 901u + (uint32_t)f, 0, 1);
                fill_int(z, 902u + (uint32_t)f, 0, 1);
            } else {
                fill_int(x, 901u + (uint32_t)f, -1000, 0);
                fill_int(z, 902u + (uint32_t)f, 7, 1000);
            }
            snprintf(name, sizeof name, "where dtype %d form %zu", dts[t], f);
            check(name, OP_WHERE, &none, in, 3, y, 0, 0, 0);
            kt_free(c);
            kt_free(x);
            kt_free(z);
            kt_free(y);
        }
    }
}

/* ---- refusals and empty tensors ------------------------------------------------------------ */

/* Calls an op on device tensors of the given dtypes and shape [4] without data: it must refuse
 * with RT_EUNSUPPORTED and a message naming the op and the dtype. */
static void
refused(OpKind op, const char *opname, DType in_dt, DType out_dt, const char *dtname)
{
    OclBuf *buf = NULL;
    if (ocl_buf_new(par_dev, 256, &buf) != RT_OK) {
        CHECK(0);
        return;
    }
    OclTensor t[3];
    for (int i = 0; i < 3; i++)
        t[i] = (OclTensor){.mem = buf->mem, .off = 64 * (size_t)i, .dt = i < 2 ? in_dt : out_dt,
                           .rank = 1, .dim = {4}};
    OclTensor *in[2] = {&t[0], &t[1]}, *out[1] = {&t[2]};
    Attr none = {0};
    int rc = ocl_op[op](par_dev, &none, in, 2, out, 1);
    const char *msg = rt_ctx_error(par_ctx);
    int ok = rc == RT_EUNSUPPORTED && strstr(msg, opname) && strstr(msg, dtname);
    if (!ok)
        fprintf(stderr, "%s on %s: status %d, \"%s\"\n", opname, dtname, rc, msg);
    CHECK(ok);
    ocl_buf_free(par_dev, buf);
}

static void
test_refusals_and_empty(void)
{
    /* dtypes the CPU refuses too (the others: test_parity_eltwise_dtypes.c) */
    refused(OP_ADD, "Add", DT_C64, DT_C64, "complex64");
    refused(OP_LESS, "Less", DT_STRING, DT_BOOL, "string");
    refused(OP_BITSHIFT, "BitShift", DT_F32, DT_F32, "float32");

    /* zero elements: nothing to do, and nothing done */
    Attr none = {0};
    RtTensor *a = T(DT_F32, 3, 0), *b = T(DT_F32, 1), *y = T(DT_F32, 3, 0), *in[2] = {a, b};
    check("relu empty", OP_RELU, &none, &a, 1, y, 0, 0, 0);
    check("add empty", OP_ADD, &none, in, 2, y, 0, 0, 0);
    kt_free(a);
    kt_free(b);
    kt_free(y);
}

int
main(void)
{
    par_open();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    test_unary();
    test_predicates();
    test_clip();
    test_binary();
    test_compare();
    test_logic();
    test_bitshift();
    test_int_arith();
    test_variadic();
    test_where();
    test_refusals_and_empty();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("%.2f s on %s\n", s, ocl_info(par_dev)->name);
    return par_close();
}
