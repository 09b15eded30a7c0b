/*
 * eltwise.c: the CPU kernels of the elementwise ops: unary maps, binary and variadic ops with
 * multidirectional (numpy) broadcasting, and Where. Cast and CastLike are in cast.c.
 *
 * Every op is written once for every numeric dtype: elements are read as int64 or as double by
 * dtype and written back converted to the output's width (elt_impl.h). When no operand is a float
 * the op runs exactly in int64 (uint64 where an operand is U64), otherwise in double, rounded once
 * on store. This is the rule of the compiler's constant folding (ir/fold.c), so a folded node and
 * a run one agree.
 *
 * f32 has fast paths: unit-stride float loops for the common unary ops, and for binary ops rows
 * of the broadcast walk whose operands are contiguous or a repeated scalar. Broadcasting drops
 * the output's size-1 dims and merges adjacent dims that every operand walks the same way, so
 * same-shape, scalar and per-channel ([N,C,H,W] with [C,1,1]) operands all become long rows.
 * Outputs with more than PAR_MIN elements are split across the context's threads.
 */
#include "bcast.h"
#include "elt_impl.h"
#include "ir/scalar.h"

#include <stdatomic.h>

enum { MAXIN = 3 };         /* operands of one broadcast walk (Where has three) */

/* for (i = 0; i < n; i++) BODY, as blocks of BLOCK and a tail: gcc -O2 (its "very cheap" cost
 * model) vectorises a loop only when its trip count is a known multiple of the vector width, and
 * a block is one vector of floats (AVX-512: 16, with -mprefer-vector-width=512 from the build,
 * else 8). The pointers BODY uses are restrict, since outputs never alias inputs. */
#if defined(__AVX512F__)
enum { BLOCK = 16 };
#else
enum { BLOCK = 8 };
#endif
#define BLOCKS(n, BODY)                                                                            \
    do {                                                                                           \
        int64_t b_ = 0;                                                                            \
        for (; b_ + BLOCK <= (n); b_ += BLOCK) {                                                   \
            for (int j_ = 0; j_ < BLOCK; j_++) {                                                   \
                int64_t i = b_ + j_;                                                               \
                BODY;                                                                              \
            }                                                                                      \
        }                                                                                          \
        for (int64_t i = b_; i < (n); i++) {                                                       \
            BODY;                                                                                  \
        }                                                                                          \
    } while (0)

/* ---- unary ops ------------------------------------------------------------------------------- */

typedef struct Unary {
    OpKind op;
    const Attr *a;
    const RtTensor *x;
    RtTensor *y;
    int fl;                     /* compute in double (else int64) */
    int uns;                    /* x is U64: compare unsigned */
    int has_lo, has_hi;         /* Clip bounds given */
    double lo, hi;              /* Clip bounds for fl */
    int64_t ilo, ihi;           /* Clip bounds for integers */
} Unary;

/* a < b, as unsigned when uns */
static int
lt(int64_t a, int64_t b, int uns)
{
    return uns ? (uint64_t)a < (uint64_t)b : a < b;
}

/* The f32 loops of the common ops over n elements; 0 if op has none. */
static int
unary_f32(const Unary *u, float *restrict y, const float *restrict x, int64_t n)
{
    float al = u->a->act.alpha, be = u->a->act.beta, ga = u->a->act.gamma;
    float lo = u->has_lo ? (float)u->lo : -INFINITY, hi = u->has_hi ? (float)u->hi : INFINITY;
/* The loops are written so that gcc -O2 vectorises the cheap ones: selects rather than
 * fmaxf/fminf (calls, for their NaN rules) and no multiply under a condition (it may trap). */
#define MAP(EXPR)                                                                                  \
    BLOCKS(n, float v = x[i]; y[i] = (EXPR));                                                      \
    return 1
    switch (u->op) {
#define F32_CASE(ID, EXPR)                                                                         \
    case OP_##ID: MAP(EXPR);
        IR_UNARY_F32(F32_CASE)
#undef F32_CASE
    case OP_CLIP: MAP(ir_clip_f(v, lo, hi));
    case OP_GELU:
        if (u->a->act.approximate) {
            MAP(ir_gelu_tanh_f(v));
        }
        MAP(ir_gelu_f(v));
    default: return 0;
    }
#undef MAP
}

static void
unary_range(void *arg, int64_t b, int64_t e)
{
    const Unary *u = arg;
    if (u->x->dt == DT_F32 && u->y->dt == DT_F32 &&
        unary_f32(u, (float *)u->y->data + b, (const float *)u->x->data + b, e - b))
        return;
    for (int64_t i = b; i < e; i++) {
        if (u->op == OP_CLIP && u->fl) {    /* min(max(x, lo), hi) */
            double v = load_f(u->x, i);
            v = u->has_lo && v < u->lo ? u->lo : v;
            store_f(u->y, i, u->has_hi && v > u->hi ? u->hi : v);
        } else if (u->op == OP_CLIP) {
            int64_t v = load_i(u->x, i);
            v = u->has_lo && lt(v, u->ilo, u->uns) ? u->ilo : v;
            store_i(u->y, i, u->has_hi && lt(u->ihi, v, u->uns) ? u->ihi : v);
        } else {
            int64_t r;
            if (!u->fl && ir_unary_i(u->op, u->uns, load_i(u->x, i), &r))
                store_i(u->y, i, r);
            else {
                double v = NAN;
                ir_unary_d(u->op, u->a, load_f(u->x, i), &v);
                store_f(u->y, i, v);
            }
        }
    }
}

/* 1 when op's float32 loop costs about a memory access per element (elt_impl.h, par) */
static int
cheap_f32(OpKind op)
{
    switch (op) {
    case OP_ABS: case OP_CEIL: case OP_CLIP: case OP_FLOOR: case OP_HARDSIGMOID:
    case OP_HARDSWISH: case OP_LEAKYRELU: case OP_NEG: case OP_RECIPROCAL: case OP_RELU:
    case OP_SIGN: case OP_SOFTSIGN: case OP_SQRT: case OP_THRESHOLDEDRELU:
    case OP_ADD: case OP_SUM: case OP_MEAN: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MAX:
    case OP_MIN: case OP_PRELU: case OP_EQUAL: case OP_GREATER: case OP_GREATEROREQUAL:
    case OP_LESS: case OP_LESSOREQUAL:
        return 1;
    default:
        return 0;
    }
}

/* Every unary op, and Clip with its optional scalar bounds in[1] and in[2]. */
static int
unary(RtCtx *ctx, OpKind op, const char *name, const Attr *a, RtTensor *const *in, int nin,
      RtTensor *y)
{
    Unary u = {.op = op, .a = a, .x = in[0], .y = y};
    if (!numeric(u.x->dt) || !numeric(y->dt))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d to %d", name, u.x->dt, y->dt);
    if (rt_numel(u.x) != rt_numel(y))
        return rt_fail(ctx, RT_EINPUT, "%s: %lld elements in, %lld out", name,
                       (long long)rt_numel(u.x), (long long)rt_numel(y));
    u.fl = is_float(u.x->dt) || is_float(y->dt);
    u.uns = u.x->dt == DT_U64;
    for (int i = 1; i < 3 && i < nin && op == OP_CLIP; i++) {
        const RtTensor *t = in[i];
        if (!t || rt_numel(t) == 0)
            continue;
        if (!numeric(t->dt))
            return rt_fail(ctx, RT_EUNSUPPORTED, "%s: bound dtype %d", name, t->dt);
        if (i == 1) {
            u.has_lo = 1;
            u.lo = load_f(t, 0);
            u.ilo = load_i(t, 0);
        } else {
            u.has_hi = 1;
            u.hi = load_f(t, 0);
            u.ihi = load_i(t, 0);
        }
    }
    par(ctx, rt_numel(y), u.x->dt == DT_F32 && y->dt == DT_F32 && cheap_f32(op), unary_range,
        &u);
    return RT_OK;
}

/* The kernels, one line each: cpu_abs(...) calls unary(ctx, OP_ABS, "abs", ...). */
#define UNARY_OPS(X)                                                                               \
    X(abs, ABS) X(acos, ACOS) X(acosh, ACOSH) X(asin, ASIN) X(asinh, ASINH) X(atan, ATAN)          \
    X(atanh, ATANH) X(ceil, CEIL) X(celu, CELU) X(clip, CLIP) X(cos, COS) X(cosh, COSH)            \
    X(elu, ELU) X(erf, ERF) X(exp, EXP) X(floor, FLOOR) X(gelu, GELU)                              \
    X(hardsigmoid, HARDSIGMOID) X(hardswish, HARDSWISH) X(isinf, ISINF) X(isnan, ISNAN)            \
    X(leakyrelu, LEAKYRELU) X(log, LOG) X(mish, MISH) X(neg, NEG) X(not, NOT)                      \
    X(reciprocal, RECIPROCAL) X(relu, RELU) X(round, ROUND) X(selu, SELU) X(sigmoid, SIGMOID)      \
    X(sign, SIGN) X(sin, SIN) X(sinh, SINH) X(softplus, SOFTPLUS) X(softsign, SOFTSIGN)            \
    X(sqrt, SQRT) X(tan, TAN) X(tanh, TANH) X(thresholdedrelu, THRESHOLDEDRELU)

#define DEF_UNARY(stem, ID)                                                                        \
    int cpu_##stem(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin,                       \
                   RtTensor *const *out, int nout)                                                 \
    {                                                                                              \
        (void)nout;                                                                                \
        return unary(ctx, OP_##ID, #stem, a, in, nin, out[0]);                                     \
    }
UNARY_OPS(DEF_UNARY)
#undef DEF_UNARY

/* ---- broadcasting ---------------------------------------------------------------------------- */

/* A walk over an output with up to MAXIN operands broadcast to it, dims merged where possible. */
typedef struct Bcast {
    int rank;                           /* >= 1 */
    int nin;
    int64_t dim[RT_MAXRANK];
    int64_t st[MAXIN][RT_MAXRANK];      /* element strides of each operand; 0 where broadcast */
} Bcast;

/* Fills b for output o and operands in[0..nin); -1 if an operand does not broadcast to o. */
static int
bcast_init(Bcast *b, const RtTensor *o, const RtTensor *const *in, int nin)
{
    int64_t st[MAXIN][RT_MAXRANK];
    int r = o->rank;
    for (int k = 0; k < nin; k++)
        if (rt_bcast_strides(r, o->dim, in[k]->rank, in[k]->dim, st[k]) < 0)
            return -1;
    /* drop the output's size-1 dims; merge a dim into the previous one where every operand's
     * outer stride is its inner stride times the inner size (both contiguous, or both 0) */
    b->rank = 0;
    b->nin = nin;
    for (int d = 0; d < r; d++) {
        int p = b->rank - 1, merge = p >= 0;
        if (o->dim[d] == 1)
            continue;
        for (int k = 0; k < nin && merge; k++)
            merge = b->st[k][p] == st[k][d] * o->dim[d];
        if (!merge)
            p = b->rank++;
        b->dim[p] = merge ? b->dim[p] * o->dim[d] : o->dim[d];
        for (int k = 0; k < nin; k++)
            b->st[k][p] = st[k][d];
    }
    if (b->rank == 0) {
        b->rank = 1;
        b->dim[0] = 1;
        for (int k = 0; k < nin; k++)
            b->st[k][0] = 0;
    }
    return 0;
}

typedef struct Elt Elt;
/* Computes n output elements from output index o on; operand k starts at element off[k] and
 * steps by the innermost stride (0 or 1). */
typedef void RowFn(Elt *x, int64_t o, const int64_t *off, int64_t n);

struct Elt {
    OpKind op;
    const Attr *a;
    const RtTensor *in[MAXIN];
    RtTensor *out;
    int fl;                     /* compute in double (else int64) */
    int uns;                    /* an operand is U64: divide and compare unsigned */
    Bcast b;
    RowFn *row;
    atomic_int divzero;         /* set by an integer division by zero */
};

/* Calls x->row on the rows of the output elements [begin, end). */
static void
bcast_walk(void *arg, int64_t begin, int64_t end)
{
    Elt *x = arg;
    const Bcast *b = &x->b;
    int r = b->rank;
    int64_t c[RT_MAXRANK], rem = begin;
    for (int d = r - 1; d >= 0; d--) {
        c[d] = rem % b->dim[d];
        rem /= b->dim[d];
    }
    for (int64_t i = begin; i < end;) {
        int64_t off[MAXIN] = {0};
        for (int k = 0; k < b->nin; k++)
            for (int d = 0; d < r; d++)
                off[k] += c[d] * b->st[k][d];
        int64_t n = b->dim[r - 1] - c[r - 1];
        n = n < end - i ? n : end - i;
        x->row(x, i, off, n);
        i += n;
        c[r - 1] = 0;
        for (int d = r - 2; d >= 0; d--) {
            if (++c[d] < b->dim[d])
                break;
            c[d] = 0;
        }
    }
}

/* ---- binary ops ------------------------------------------------------------------------------ */

static double
nanmax(double a, double b)  /* NaN propagates, as in numpy */
{
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}

static double
nanmin(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
}

/* Binary ops in double. Sum and Mean add (Mean divides at the end); comparisons give 0 or 1. */
static double
binary_d(OpKind op, const Attr *at, double a, double b)
{
    double r;
    switch (op) {
    case OP_ADD:
    case OP_SUM:
    case OP_MEAN: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_POW: return pow(a, b);
    case OP_MOD:    /* fmod=0: the sign of the divisor, like Python */
        r = fmod(a, b);
        return !at->mode.mode && r != 0 && (r < 0) != (b < 0) ? r + b : r;
    case OP_MAX: return nanmax(a, b);
    case OP_MIN: return nanmin(a, b);
    case OP_PRELU: return a < 0 ? a * b : a;
    case OP_EQUAL: return a == b;
    case OP_GREATER: return a > b;
    case OP_GREATEROREQUAL: return a >= b;
    case OP_LESS: return a < b;
    case OP_LESSOREQUAL: return a <= b;
    case OP_AND: return a != 0 && b != 0;
    case OP_OR: return a != 0 || b != 0;
    case OP_XOR: return (a != 0) != (b != 0);
    default: return NAN;
    }
}

/* Integer power by squaring, wrapping; a negative exponent gives the truncated quotient. */
static int64_t
ipow(int64_t a, int64_t b)
{
    uint64_t r = 1, x = (uint64_t)a;
    if (b < 0)
        return a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0;
    for (; b; b >>= 1, x *= x)
        if (b & 1)
            r *= x;
    return wrap(r);
}

/* Binary ops exactly in int64 (uint64 where uns), wrapping; -1 for a division by zero. */
static int
binary_i(OpKind op, const Attr *at, int uns, int64_t a, int64_t b, int64_t *r)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case OP_ADD:
    case OP_SUM:
    case OP_MEAN: *r = wrap(ua + ub); return 0;
    case OP_SUB: *r = wrap(ua - ub); return 0;
    case OP_MUL: *r = wrap(ua * ub); return 0;
    case OP_DIV:    /* truncates toward zero */
        if (b == 0)
            return -1;
        *r = uns ? wrap(ua / ub) : b == -1 ? wrap(0 - ua) : a / b;
        return 0;
    case OP_MOD:
        if (b == 0)
            return -1;
        *r = uns ? wrap(ua % ub) : b == -1 ? 0 : a % b;
        if (!uns && !at->mode.mode && *r != 0 && (*r < 0) != (b < 0))
            *r += b;
        return 0;
    case OP_POW: *r = ipow(a, b); return 0;
    case OP_MAX: *r = lt(a, b, uns) ? b : a; return 0;
    case OP_MIN: *r = lt(b, a, uns) ? b : a; return 0;
    case OP_PRELU: *r = a < 0 && !uns ? wrap(ua * ub) : a; return 0;
    case OP_EQUAL: *r = a == b; return 0;
    case OP_GREATER: *r = lt(b, a, uns); return 0;
    case OP_GREATEROREQUAL: *r = !lt(a, b, uns); return 0;
    case OP_LESS: *r = lt(a, b, uns); return 0;
    case OP_LESSOREQUAL: *r = !lt(b, a, uns); return 0;
    case OP_AND: *r = a && b; return 0;
    case OP_OR: *r = a || b; return 0;
    case OP_XOR: *r = !a != !b; return 0;
    case OP_BITSHIFT:   /* unsigned operands; shifting out every bit gives 0 */
        *r = ub > 63 ? 0 : wrap(at->mode.mode ? ua >> ub : ua << ub);
        return 0;
    default: *r = 0; return 0;
    }
}

/* Any dtypes, per element through binary_d or binary_i. */
static void
row_generic(Elt *x, int64_t o, const int64_t *off, int64_t n)
{
    const RtTensor *a = x->in[0], *b = x->in[1];
    int64_t sa = x->b.st[0][x->b.rank - 1], sb = x->b.st[1][x->b.rank - 1];
    for (int64_t i = 0; i < n; i++) {
        int64_t ia = off[0] + i * sa, ib = off[1] + i * sb, r;
        if (x->fl) {
            store_f(x->out, o + i, binary_d(x->op, x->a, load_f(a, ia), load_f(b, ib)));
        } else if (binary_i(x->op, x->a, x->uns, load_i(a, ia), load_i(b, ib), &r) == 0) {
            store_i(x->out, o + i, r);
        } else {
            atomic_store_explicit(&x->divzero, 1, memory_order_relaxed);
            store_i(x->out, o + i, 0);
        }
    }
}

/* f32 operands, f32 (or bool for comparisons) output: one loop per op and operand form over n
 * elements, operand strides sa and sb; 0 if op has none. */
static int
loop_f32(const Elt *x, void *restrict out, const float *restrict pa, const float *restrict pb,
         int64_t sa, int64_t sb, int64_t n)
{
#define ROW(T, EXPR)                                                                               \
    do {                                                                                           \
        T *y = out;                                                                                \
        if (sa == 1 && sb == 1) {                                                                  \
            BLOCKS(n, float u = pa[i]; float v = pb[i]; y[i] = (T)(EXPR));                         \
        } else if (sa == 1) {                                                                      \
            float v = pb[0];                                                                       \
            BLOCKS(n, float u = pa[i]; y[i] = (T)(EXPR));                                          \
        } else if (sb == 1) {                                                                      \
            float u = pa[0];                                                                       \
            BLOCKS(n, float v = pb[i]; y[i] = (T)(EXPR));                                          \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float u = pa[i * sa], v = pb[i * sb];                                              \
                y[i] = (T)(EXPR);                                                                  \
            }                                                                                      \
        }                                                                                          \
        return 1;                                                                                  \
    } while (0)
    switch (x->op) {
    case OP_ADD:
    case OP_SUM:
    case OP_MEAN: ROW(float, u + v);
    case OP_SUB: ROW(float, u - v);
    case OP_MUL: ROW(float, u * v);
    case OP_DIV: ROW(float, u / v);
    case OP_MAX: ROW(float, u != u || u > v ? u : v);    /* NaN propagates */
    case OP_MIN: ROW(float, u != u || u < v ? u : v);
    case OP_PRELU: ROW(float, (u < 0 ? 0 : u) + v * (u < 0 ? u : 0));
    case OP_POW: ROW(float, powf(u, v));
    case OP_MOD: ROW(float, (float)binary_d(OP_MOD, x->a, u, v));
    case OP_EQUAL: ROW(uint8_t, u == v);
    case OP_GREATER: ROW(uint8_t, u > v);
    case OP_GREATEROREQUAL: ROW(uint8_t, u >= v);
    case OP_LESS: ROW(uint8_t, u < v);
    case OP_LESSOREQUAL: ROW(uint8_t, u <= v);
    default: return 0;
    }
#undef ROW
}

static void
row_f32(Elt *x, int64_t o, const int64_t *off, int64_t n)
{
    const float *pa = (const float *)x->in[0]->data + off[0];
    const float *pb = (const float *)x->in[1]->data + off[1];
    int64_t sa = x->b.st[0][x->b.rank - 1], sb = x->b.st[1][x->b.rank - 1];
    void *y = (char *)x->out->data + (size_t)o * rt_dtype_size(x->out->dt);
    if (!loop_f32(x, y, pa, pb, sa, sb, n))
        row_generic(x, o, off, n);
}

/* Where: the element of X or Y by the bool condition, copied whole (any dtype). */
static void
row_where(Elt *x, int64_t o, const int64_t *off, int64_t n)
{
    const uint8_t *c = x->in[0]->data;
    const unsigned char *pa = x->in[1]->data, *pb = x->in[2]->data;
    unsigned char *y = x->out->data;
    size_t esz = rt_dtype_size(x->out->dt);
    int r = x->b.rank - 1;
    for (int64_t i = 0; i < n; i++) {
        int64_t ic = off[0] + i * x->b.st[0][r];
        const unsigned char *s = c[ic] ? pa + (size_t)(off[1] + i * x->b.st[1][r]) * esz
                                       : pb + (size_t)(off[2] + i * x->b.st[2][r]) * esz;
        memcpy(y + (size_t)(o + i) * esz, s, esz);
    }
}

/* Runs x over its output; x->op, a, in[], out and row are set. */
static int
elt_run(RtCtx *ctx, Elt *x, int nin, const char *name)
{
    if (bcast_init(&x->b, x->out, x->in, nin) < 0)
        return rt_fail(ctx, RT_EINPUT, "%s: an input does not broadcast to the output", name);
    atomic_store(&x->divzero, 0);
    par(ctx, rt_numel(x->out), x->row == row_f32 && cheap_f32(x->op), bcast_walk, x);
    if (atomic_load(&x->divzero))
        return rt_fail(ctx, RT_EINPUT, "%s: integer division by zero", name);
    return RT_OK;
}

/* f32 operands with an f32 output, or a bool one for comparisons */
static int
f32_form(const Elt *x)
{
    int cmp = x->op == OP_EQUAL || x->op == OP_GREATER || x->op == OP_GREATEROREQUAL ||
              x->op == OP_LESS || x->op == OP_LESSOREQUAL;
    return x->in[0]->dt == DT_F32 && x->in[1]->dt == DT_F32 &&
           x->out->dt == (cmp ? DT_BOOL : DT_F32);
}

/* Binary ops, and variadic ones folded left to right: t1 = in[0] op in[1], tk = t(k-1) op in[k].
 * The partial results alternate between out and a scratch tensor, ending in out, so no step
 * reads the tensor it writes. Mean divides by nin at the end. */
static int
binary(RtCtx *ctx, OpKind op, const char *name, const Attr *a, RtTensor *const *in, int nin,
       RtTensor *out)
{
    Elt x = {.op = op, .a = a, .out = out};
    int rc = RT_OK, fl = is_float(out->dt);
    for (int k = 0; k < nin; k++) {
        if (!in[k] || !numeric(in[k]->dt))
            return rt_fail(ctx, RT_EUNSUPPORTED, "%s: input %d has dtype %d", name, k,
                           in[k] ? (int)in[k]->dt : -1);
        fl |= is_float(in[k]->dt);
        x.uns |= in[k]->dt == DT_U64;
    }
    if (!numeric(out->dt) || (op == OP_BITSHIFT && fl))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d", name, out->dt);
    x.fl = fl;
    if (nin == 1) {     /* Sum, Max, Min, Mean of one input: a copy */
        if (in[0]->dt != out->dt || rt_numel(in[0]) != rt_numel(out))
            return rt_fail(ctx, RT_EINPUT, "%s: the output differs from the input", name);
        if (rt_numel(out) > 0)
            memcpy(out->data, in[0]->data, (size_t)rt_numel(out) * rt_dtype_size(out->dt));
        return RT_OK;
    }
    RtTensor tmp = *out;
    if (nin > 2) {
        tmp.data = rt_scratch(ctx, 0, (size_t)rt_numel(out) * rt_dtype_size(out->dt));
        if (!tmp.data && rt_numel(out) > 0)
            return rt_fail(ctx, RT_ENOMEM, "%s: no scratch memory", name);
    }
    for (int k = 1; k < nin && rc == RT_OK; k++) {
        x.in[0] = k == 1 ? in[0] : x.out;
        x.in[1] = in[k];
        x.out = (nin - 1 - k) % 2 == 0 ? out : &tmp;
        x.row = f32_form(&x) ? row_f32 : row_generic;
        rc = elt_run(ctx, &x, 2, name);
    }
    if (op == OP_MEAN && rc == RT_OK) {
        for (int64_t i = 0; i < rt_numel(out); i++) {
            if (fl)
                store_f(out, i, load_f(out, i) / nin);
            else
                store_i(out, i, load_i(out, i) / nin);
        }
    }
    return rc;
}

#define BINARY_OPS(X)                                                                              \
    X(add, ADD) X(and, AND) X(bitshift, BITSHIFT) X(div, DIV) X(equal, EQUAL) X(greater, GREATER)  \
    X(greaterorequal, GREATEROREQUAL) X(less, LESS) X(lessorequal, LESSOREQUAL) X(max, MAX)        \
    X(mean, MEAN) X(min, MIN) X(mod, MOD) X(mul, MUL) X(or, OR) X(pow, POW) X(prelu, PRELU)        \
    X(sub, SUB) X(sum, SUM) X(xor, XOR)

#define DEF_BINARY(stem, ID)                                                                       \
    int cpu_##stem(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin,                       \
                   RtTensor *const *out, int nout)                                                 \
    {                                                                                              \
        (void)nout;                                                                                \
        return binary(ctx, OP_##ID, #stem, a, in, nin, out[0]);                                    \
    }
BINARY_OPS(DEF_BINARY)
#undef DEF_BINARY

int
cpu_where(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
          int nout)
{
    Elt x = {.op = OP_WHERE, .a = a, .in = {in[0], in[1], in[2]}, .out = out[0], .row = row_where};
    (void)nin;
    (void)nout;
    if (in[0]->dt != DT_BOOL || in[1]->dt != out[0]->dt || in[2]->dt != out[0]->dt ||
        rt_dtype_size(out[0]->dt) == 0)
        return rt_fail(ctx, RT_EUNSUPPORTED, "where: dtypes %d, %d, %d", in[0]->dt, in[1]->dt,
                       in[2]->dt);
    return elt_run(ctx, &x, 3, "where");
}
