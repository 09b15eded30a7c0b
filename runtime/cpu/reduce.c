/*
 * reduce.c: CPU kernels of the reductions (ReduceL1 ... ReduceSumSquare), ArgMax, ArgMin and
 * CumSum, for float32, float64, bool and the 8- to 64-bit integer types.
 *
 * One engine serves every dtype without a copy per type: data is loaded in blocks of BLK
 * elements into a double buffer, transformed there (|x|, x^2, exp(x - max)) and combined into
 * double accumulators, then stored back in the output's type. Doubles hold every value of the
 * types up to 32 bits exactly; 64-bit integers are exact up to 2^53. The common float32 case of
 * a contiguous row folding into one value skips the doubles (fold_f32).
 *
 * A reduction first collapses the input dims into alternating groups of kept and reduced dims
 * (dims of size 1 dropped). The innermost group is contiguous: when it is kept, each input row
 * adds elementwise into a row of accumulators; when it is reduced, each row folds into one. An
 * odometer over the other groups gives each row's input and output offsets. When the outermost
 * group is kept it is split across threads, whose outputs are then disjoint. ReduceLogSumExp
 * runs twice: a max, then the sum of exp(x - max) for stability.
 */
#include "rt_backend.h"

#include <float.h>
#include <math.h>
#include <string.h>

enum {
    BLK = 256, /* elements per load block */
    TILE = 16, /* float32 lanes of fold_f32 */
};

/* ---- loading and storing any dtype through doubles ------------------------------------------- */

static int
dtype_ok(DType dt)
{
    switch (dt) {
    case DT_F32:
    case DT_F64:
    case DT_BOOL:
    case DT_I8:
    case DT_U8:
    case DT_I16:
    case DT_U16:
    case DT_I32:
    case DT_U32:
    case DT_I64:
    case DT_U64: return 1;
    default: return 0;
    }
}

/* d[0..n) = elements off..off+n of base. */
static void
load(double *restrict d, const void *base, DType dt, int64_t off, int64_t n)
{
    switch (dt) {
    case DT_F32: {
        const float *s = (const float *)base + off;
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)s[i];
        break;
    }
    case DT_F64: memcpy(d, (const double *)base + off, (size_t)n * sizeof *d); break;
    case DT_BOOL:
    case DT_U8:
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)((const uint8_t *)base)[off + i];
        break;
    case DT_I8:
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)((const int8_t *)base)[off + i];
        break;
    case DT_I16:
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)((const int16_t *)base)[off + i];
        break;
    case DT_U16:
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)((const uint16_t *)base)[off + i];
        break;
    case DT_I32:
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)((const int32_t *)base)[off + i];
        break;
    case DT_U32:
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)((const uint32_t *)base)[off + i];
        break;
    case DT_I64:
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)((const int64_t *)base)[off + i];
        break;
    case DT_U64:
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)((const uint64_t *)base)[off + i];
        break;
    default: break;
    }
}

/* v truncated toward zero and saturated to [lo, hi]; NaN gives 0. */
static int64_t
to_int(double v, int64_t lo, int64_t hi)
{
    if (v != v)
        return 0;
    int64_t k = v >= 0x1p63 ? INT64_MAX : v <= -0x1p63 ? INT64_MIN : (int64_t)v;
    return k < lo ? lo : k > hi ? hi : k;
}

/* Elements off..off+n of base = s[0..n), converted to dt (integers saturate). */
static void
store(void *base, DType dt, int64_t off, const double *restrict s, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double v = s[i];
        int64_t k = off + i;
        switch (dt) {
        case DT_F32: ((float *)base)[k] = (float)v; break;
        case DT_F64: ((double *)base)[k] = v; break;
        case DT_BOOL: ((uint8_t *)base)[k] = v != 0; break;
        case DT_U8: ((uint8_t *)base)[k] = (uint8_t)to_int(v, 0, UINT8_MAX); break;
        case DT_I8: ((int8_t *)base)[k] = (int8_t)to_int(v, INT8_MIN, INT8_MAX); break;
        case DT_U16: ((uint16_t *)base)[k] = (uint16_t)to_int(v, 0, UINT16_MAX); break;
        case DT_I16: ((int16_t *)base)[k] = (int16_t)to_int(v, INT16_MIN, INT16_MAX); break;
        case DT_U32: ((uint32_t *)base)[k] = (uint32_t)to_int(v, 0, UINT32_MAX); break;
        case DT_I32: ((int32_t *)base)[k] = (int32_t)to_int(v, INT32_MIN, INT32_MAX); break;
        case DT_I64: ((int64_t *)base)[k] = to_int(v, INT64_MIN, INT64_MAX); break;
        case DT_U64:
            ((uint64_t *)base)[k] = v >= 0x1p64   ? UINT64_MAX
                                    : v >= 0x1p63 ? (uint64_t)v
                                                  : (uint64_t)to_int(v, 0, INT64_MAX);
            break;
        default: break;
        }
    }
}

/* ---- the reduction engine -------------------------------------------------------------------- */

/* Every Reduce* op is a (Comb, Pre, Post) triple: ReduceL2 = sqrt(sum(x^2)), ReduceLogSumExp =
 * log(sum(exp(x - max))) + max, and so on (see the kernels at the end of this section). */
typedef enum Comb { C_SUM, C_PROD, C_MAX, C_MIN } Comb;          /* how accumulators combine */
typedef enum Pre { P_NONE, P_ABS, P_SQ, P_EXP } Pre;             /* applied to each element first */
typedef enum Post { Q_NONE, Q_MEAN, Q_SQRT, Q_LOG, Q_LSE } Post; /* applied to each result */

typedef struct Reduce {
    const void *x;
    DType dt;
    Comb comb;
    Pre pre;
    double *acc;              /* one per output */
    const double *mx;         /* P_EXP: the maximum per output */
    int ng;                   /* collapsed groups, >= 1 */
    int64_t gn[RT_MAXRANK];   /* group sizes */
    int gred[RT_MAXRANK];     /* reduced? */
    int64_t gin[RT_MAXRANK];  /* input stride of each group */
    int64_t gout[RT_MAXRANK]; /* output stride (0 for reduced groups) */
    int split;                /* the outer group (kept) is split across threads */
} Reduce;

static double
comb_init(Comb c)
{
    return c == C_SUM ? 0.0 : c == C_PROD ? 1.0 : c == C_MAX ? -INFINITY : INFINITY;
}

static void
pre_apply(double *restrict d, int64_t n, Pre pre, const double *m, int mstep)
{
    switch (pre) {
    case P_NONE: break;
    case P_ABS:
        for (int64_t i = 0; i < n; i++)
            d[i] = fabs(d[i]);
        break;
    case P_SQ:
        for (int64_t i = 0; i < n; i++)
            d[i] *= d[i];
        break;
    case P_EXP:
        for (int64_t i = 0; i < n; i++) {
            double s = m[i * mstep];
            d[i] = exp(d[i] - (isfinite(s) ? s : 0.0));
        }
        break;
    }
}

/* acc[i] = acc[i] (comb) d[i] */
static void
comb_rows(double *restrict acc, const double *restrict d, int64_t n, Comb c)
{
    switch (c) {
    case C_SUM:
        for (int64_t i = 0; i < n; i++)
            acc[i] += d[i];
        break;
    case C_PROD:
        for (int64_t i = 0; i < n; i++)
            acc[i] *= d[i];
        break;
    case C_MAX:
        for (int64_t i = 0; i < n; i++)
            acc[i] = d[i] > acc[i] ? d[i] : acc[i];
        break;
    case C_MIN:
        for (int64_t i = 0; i < n; i++)
            acc[i] = d[i] < acc[i] ? d[i] : acc[i];
        break;
    }
}

/* a (comb) every element of d[0..n) */
static double
comb_fold(double a, const double *d, int64_t n, Comb c)
{
    switch (c) {
    case C_SUM: {
        double s[4] = {0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (int l = 0; l < 4; l++)
                s[l] += d[i + l];
        for (; i < n; i++)
            s[0] += d[i];
        return a + ((s[0] + s[1]) + (s[2] + s[3]));
    }
    case C_PROD:
        for (int64_t i = 0; i < n; i++)
            a *= d[i];
        break;
    case C_MAX:
        for (int64_t i = 0; i < n; i++)
            a = d[i] > a ? d[i] : a;
        break;
    case C_MIN:
        for (int64_t i = 0; i < n; i++)
            a = d[i] < a ? d[i] : a;
        break;
    }
    return a;
}

/* a (comb) the fold of pre(x[0..n)) for float32 without going through doubles: TILE float
 * lanes per block of 1024 elements (a fixed-length loop that gcc vectorises at -O2), the
 * blocks combined in double. Not for C_PROD or P_EXP. */
static double
fold_f32(const float *x, int64_t n, Comb c, Pre pre, double a)
{
    float init = c == C_MAX ? -INFINITY : c == C_MIN ? INFINITY : 0.0f;
    for (int64_t i = 0; i < n; i += 1024) {
        int64_t e = n - i < 1024 ? n : i + 1024, j = i;
        float acc[TILE];
        for (int l = 0; l < TILE; l++)
            acc[l] = init;
        if (c == C_MAX) {
            for (; j + TILE <= e; j += TILE)
                for (int l = 0; l < TILE; l++)
                    acc[l] = x[j + l] > acc[l] ? x[j + l] : acc[l];
            for (; j < e; j++)
                acc[0] = x[j] > acc[0] ? x[j] : acc[0];
        } else if (c == C_MIN) {
            for (; j + TILE <= e; j += TILE)
                for (int l = 0; l < TILE; l++)
                    acc[l] = x[j + l] < acc[l] ? x[j + l] : acc[l];
            for (; j < e; j++)
                acc[0] = x[j] < acc[0] ? x[j] : acc[0];
        } else if (pre == P_ABS) {
            for (; j + TILE <= e; j += TILE)
                for (int l = 0; l < TILE; l++)
                    acc[l] += fabsf(x[j + l]);
            for (; j < e; j++)
                acc[0] += fabsf(x[j]);
        } else if (pre == P_SQ) {
            for (; j + TILE <= e; j += TILE)
                for (int l = 0; l < TILE; l++)
                    acc[l] += x[j + l] * x[j + l];
            for (; j < e; j++)
                acc[0] += x[j] * x[j];
        } else {
            for (; j + TILE <= e; j += TILE)
                for (int l = 0; l < TILE; l++)
                    acc[l] += x[j + l];
            for (; j < e; j++)
                acc[0] += x[j];
        }
        for (int l = 0; l < TILE; l++) {
            double v = (double)acc[l];
            a = c == C_MAX ? (v > a ? v : a) : c == C_MIN ? (v < a ? v : a) : a + v;
        }
    }
    return a;
}

/*
 * Rows of the outer groups, the first group's index in [b, e) when split (else [0, 1) means
 * all of them). idx is an odometer over groups 0..ng-2; each of its positions names one
 * contiguous input row (the innermost group) at io and its first accumulator at oo. A reduced
 * row folds into acc[oo]; a kept row adds elementwise into acc[oo..oo+inner).
 */
static void
reduce_task(void *arg, int64_t b, int64_t e)
{
    const Reduce *r = arg;
    int m = r->ng, red = r->gred[m - 1];
    int64_t inner = r->gn[m - 1], idx[RT_MAXRANK] = {0}, hi[RT_MAXRANK];
    double buf[BLK];
    for (int g = 0; g < m - 1; g++)
        hi[g] = r->gn[g];
    if (r->split) {
        idx[0] = b;
        hi[0] = e;
    }
    for (;;) {
        int64_t io = 0, oo = 0;
        int inner_done = 0;
        for (int g = 0; g < m - 1; g++) {
            io += idx[g] * r->gin[g];
            oo += idx[g] * r->gout[g];
        }
        if (red && r->dt == DT_F32 && r->comb != C_PROD && r->pre != P_EXP) {
            r->acc[oo] = fold_f32((const float *)r->x + io, inner, r->comb, r->pre, r->acc[oo]);
            inner_done = 1;
        }
        for (int64_t j0 = 0; j0 < inner && !inner_done; j0 += BLK) {
            int64_t n = inner - j0 < BLK ? inner - j0 : BLK;
            load(buf, r->x, r->dt, io + j0, n);
            if (red) {
                pre_apply(buf, n, r->pre, r->mx ? r->mx + oo : NULL, 0);
                r->acc[oo] = comb_fold(r->acc[oo], buf, n, r->comb);
            } else {
                pre_apply(buf, n, r->pre, r->mx ? r->mx + oo + j0 : NULL, 1);
                comb_rows(r->acc + oo + j0, buf, n, r->comb);
            }
        }
        int g = m - 2; /* advance the odometer; done when it wraps */
        for (; g >= 0; g--) {
            if (++idx[g] < hi[g])
                break;
            idx[g] = g == 0 && r->split ? b : 0;
        }
        if (g < 0)
            return;
    }
}

/* acc[0..nout) = the reduction of x over the dims marked in red. Dims of size 1 are dropped
 * and neighbours of the same kind merged, so that [N, C, H, W] over (H, W) becomes two groups,
 * [N*C kept, H*W reduced]. */
static void
reduce_into(RtCtx *ctx, Reduce *r, const RtTensor *x, const int *red, double *acc, int64_t nout)
{
    int64_t s = 1;
    r->x = x->data;
    r->dt = x->dt;
    r->acc = acc;
    r->ng = 0;
    for (int i = 0; i < x->rank; i++) {
        if (x->dim[i] == 1)
            continue;
        if (r->ng && r->gred[r->ng - 1] == red[i]) {
            r->gn[r->ng - 1] *= x->dim[i];
        } else {
            r->gn[r->ng] = x->dim[i];
            r->gred[r->ng++] = red[i];
        }
    }
    if (r->ng == 0) {
        r->gn[0] = 1;
        r->gred[r->ng++] = 0;
    }
    for (int g = r->ng - 1; g >= 0; g--) {
        r->gin[g] = s;
        s *= r->gn[g];
    }
    s = 1;
    for (int g = r->ng - 1; g >= 0; g--) {
        r->gout[g] = r->gred[g] ? 0 : s;
        s *= r->gred[g] ? 1 : r->gn[g];
    }
    double init = comb_init(r->comb);
    for (int64_t i = 0; i < nout; i++)
        acc[i] = init;
    int64_t numel = rt_numel(x);
    if (numel == 0)
        return;
    r->split = r->ng > 1 && !r->gred[0];
    if (r->split)
        rt_parallel_for(ctx, r->gn[0], 1 + 32768 / r->gin[0], reduce_task, r);
    else
        reduce_task(r, 0, 1);
}

/* The reduction kernels: reduce with comb after pre, then post. The axes come as input 1
 * (int64, or int32 leniently); none or an empty list reduce every axis, unless
 * noop_with_empty_axes, which makes the op a copy. */
static int
reduce_run(RtCtx *ctx, const ReduceAttr *a, RtTensor *const *in, int nin, RtTensor *y, Comb comb,
           Pre pre, Post post, const char *op)
{
    const RtTensor *x = in[0], *axes = nin > 1 ? in[1] : NULL;
    int red[RT_MAXRANK] = {0};
    int64_t na = axes ? rt_numel(axes) : 0;
    if (na == 0 && a->noop_with_empty_axes) {
        if (rt_numel(x))
            memcpy(y->data, x->data, (size_t)rt_numel(x) * rt_dtype_size(x->dt));
        return RT_OK;
    }
    if (!dtype_ok(x->dt))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d", op, (int)x->dt);
    if (axes && axes->dt != DT_I64 && axes->dt != DT_I32)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: axes of dtype %d", op, (int)axes->dt);
    for (int i = 0; i < x->rank; i++)
        red[i] = na == 0;
    for (int64_t i = 0; i < na; i++) {
        int64_t v = axes->dt == DT_I64 ? ((const int64_t *)axes->data)[i]
                                       : ((const int32_t *)axes->data)[i];
        if (v < 0)
            v += x->rank;
        if (v < 0 || v >= x->rank)
            return rt_fail(ctx, RT_EUNSUPPORTED, "%s: axis %lld of rank %d", op, (long long)v,
                           x->rank);
        red[v] = 1;
    }
    int64_t nout = rt_numel(y), count = nout ? rt_numel(x) / nout : 0;
    double *acc = rt_scratch(ctx, 0, (size_t)(nout ? nout : 1) * sizeof *acc);
    double *mx = NULL;
    if (!acc)
        return rt_fail(ctx, RT_ENOMEM, "%s: scratch", op);
    Reduce r = {.comb = comb, .pre = pre};
    if (pre == P_EXP) { /* the maximum first, then the sum of exp(x - max) */
        mx = rt_scratch(ctx, 1, (size_t)(nout ? nout : 1) * sizeof *mx);
        if (!mx)
            return rt_fail(ctx, RT_ENOMEM, "%s: scratch", op);
        Reduce rm = {.comb = C_MAX, .pre = P_NONE};
        reduce_into(ctx, &rm, x, red, mx, nout);
        r.mx = mx;
    }
    reduce_into(ctx, &r, x, red, acc, nout);
    for (int64_t i = 0; i < nout; i++) {
        switch (post) {
        case Q_NONE: break;
        case Q_MEAN: acc[i] /= (double)count; break;
        case Q_SQRT: acc[i] = sqrt(acc[i]); break;
        case Q_LOG: acc[i] = log(acc[i]); break;
        case Q_LSE: acc[i] = log(acc[i]) + (isfinite(mx[i]) ? mx[i] : 0.0); break;
        }
    }
    store(y->data, y->dt, 0, acc, nout);
    return RT_OK;
}

int
cpu_reducel1(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
             int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_SUM, P_ABS, Q_NONE, "ReduceL1");
}

int
cpu_reducel2(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
             int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_SUM, P_SQ, Q_SQRT, "ReduceL2");
}

int
cpu_reducelogsum(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                 int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_SUM, P_NONE, Q_LOG, "ReduceLogSum");
}

int
cpu_reducelogsumexp(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                    int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_SUM, P_EXP, Q_LSE, "ReduceLogSumExp");
}

int
cpu_reducemax(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
              int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_MAX, P_NONE, Q_NONE, "ReduceMax");
}

int
cpu_reducemean(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
               int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_SUM, P_NONE, Q_MEAN, "ReduceMean");
}

int
cpu_reducemin(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
              int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_MIN, P_NONE, Q_NONE, "ReduceMin");
}

int
cpu_reduceprod(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
               int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_PROD, P_NONE, Q_NONE, "ReduceProd");
}

int
cpu_reducesum(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
              int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_SUM, P_NONE, Q_NONE, "ReduceSum");
}

int
cpu_reducesumsquare(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                    int nout)
{
    (void)nout;
    return reduce_run(ctx, &a->reduce, in, nin, out[0], C_SUM, P_SQ, Q_NONE, "ReduceSumSquare");
}

/* ---- ArgMax, ArgMin -------------------------------------------------------------------------- */

/* [outer, len, inner] around one axis, as ArgMax, ArgMin and CumSum see their input. */
typedef struct Along {
    const void *x;
    void *y;
    DType dt;
    int64_t len, inner, nblk; /* along the axis; after it; column blocks of BLK */
    int max, last;            /* ArgMax (else ArgMin); select_last_index */
    int exclusive, reverse;   /* CumSum */
} Along;

/* Does v beat the best so far? Ties win only with select_last_index. */
static int
beats(const Along *p, double v, double best)
{
    return p->max ? (v > best || (p->last && v == best)) : (v < best || (p->last && v == best));
}

/* Rows [b, e) when inner is 1. */
static void
arg_rows(void *arg, int64_t b, int64_t e)
{
    const Along *p = arg;
    double buf[BLK];
    for (int64_t r = b; r < e; r++) {
        double best = 0;
        int64_t at = 0;
        for (int64_t j0 = 0; j0 < p->len; j0 += BLK) {
            int64_t n = p->len - j0 < BLK ? p->len - j0 : BLK;
            load(buf, p->x, p->dt, r * p->len + j0, n);
            if (j0 == 0)
                best = buf[0];
            for (int64_t j = 0; j < n; j++)
                if (beats(p, buf[j], best)) {
                    best = buf[j];
                    at = j0 + j;
                }
        }
        ((int64_t *)p->y)[r] = at;
    }
}

/* Items [b, e) of outer x column blocks when inner > 1. */
static void
arg_cols(void *arg, int64_t b, int64_t e)
{
    const Along *p = arg;
    double buf[BLK], best[BLK];
    int64_t at[BLK];
    for (int64_t it = b; it < e; it++) {
        int64_t o = it / p->nblk, j0 = it % p->nblk * BLK;
        int64_t m = p->inner - j0 < BLK ? p->inner - j0 : BLK;
        for (int64_t l = 0; l < p->len; l++) {
            load(buf, p->x, p->dt, (o * p->len + l) * p->inner + j0, m);
            for (int64_t j = 0; j < m; j++)
                if (l == 0 || beats(p, buf[j], best[j])) {
                    best[j] = buf[j];
                    at[j] = l;
                }
        }
        memcpy((int64_t *)p->y + o * p->inner + j0, at, (size_t)m * sizeof *at);
    }
}

/* Fills p's view of x around axis; RT_OK or an error for a bad dtype or axis. */
static int
along_init(RtCtx *ctx, Along *p, const RtTensor *x, int64_t axis, int64_t *outer, const char *op)
{
    if (!dtype_ok(x->dt))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d", op, (int)x->dt);
    int r = x->rank;
    int64_t ax = axis < 0 ? axis + r : axis;
    if (r > 0 && (ax < 0 || ax >= r))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: axis %lld of rank %d", op, (long long)axis, r);
    *outer = 1;
    p->len = p->inner = 1;
    for (int i = 0; i < r; i++) {
        if (i < ax)
            *outer *= x->dim[i];
        else if (i == ax)
            p->len = x->dim[i];
        else
            p->inner *= x->dim[i];
    }
    p->x = x->data;
    p->dt = x->dt;
    p->nblk = (p->inner + BLK - 1) / BLK;
    return RT_OK;
}

static int
arg_run(RtCtx *ctx, const AxisAttr *a, const RtTensor *x, RtTensor *y, int max, const char *op)
{
    Along p = {.y = y->data, .max = max, .last = a->select_last_index};
    int64_t outer = 1;
    int st = along_init(ctx, &p, x, a->axis, &outer, op);
    if (st)
        return st;
    if (y->dt != DT_I64)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: output dtype %d", op, (int)y->dt);
    if (outer * p.inner == 0)
        return RT_OK;
    if (p.len == 0)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: empty axis", op);
    if (p.inner == 1)
        rt_parallel_for(ctx, outer, 1 + 32768 / p.len, arg_rows, &p);
    else
        rt_parallel_for(ctx, outer * p.nblk, 1 + 32768 / (p.len * BLK), arg_cols, &p);
    return RT_OK;
}

int
cpu_argmax(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    return arg_run(ctx, &a->axis, in[0], out[0], 1, "ArgMax");
}

int
cpu_argmin(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    return arg_run(ctx, &a->axis, in[0], out[0], 0, "ArgMin");
}

/* ---- CumSum ---------------------------------------------------------------------------------- */

/* Items [b, e) of outer x column blocks: running sums down the axis, forwards or reversed,
 * each output the sum before (exclusive) or including its own element. */
static void
cumsum_task(void *arg, int64_t b, int64_t e)
{
    const Along *p = arg;
    double buf[BLK], acc[BLK];
    for (int64_t it = b; it < e; it++) {
        int64_t o = it / p->nblk, j0 = it % p->nblk * BLK;
        int64_t m = p->inner - j0 < BLK ? p->inner - j0 : BLK;
        for (int64_t j = 0; j < m; j++)
            acc[j] = 0;
        for (int64_t s = 0; s < p->len; s++) {
            int64_t l = p->reverse ? p->len - 1 - s : s;
            int64_t off = (o * p->len + l) * p->inner + j0;
            load(buf, p->x, p->dt, off, m);
            for (int64_t j = 0; j < m; j++) {
                double v = buf[j];
                buf[j] = p->exclusive ? acc[j] : acc[j] + v;
                acc[j] += v;
            }
            store(p->y, p->dt, off, buf, m);
        }
    }
}

int
cpu_cumsum(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    const RtTensor *x = in[0], *ax = in[1];
    if ((ax->dt != DT_I64 && ax->dt != DT_I32) || rt_numel(ax) != 1)
        return rt_fail(ctx, RT_EUNSUPPORTED, "CumSum: axis must be one int32 or int64");
    if (x->dt == DT_BOOL)
        return rt_fail(ctx, RT_EUNSUPPORTED, "CumSum: dtype bool");
    int64_t axis = ax->dt == DT_I64 ? *(const int64_t *)ax->data : *(const int32_t *)ax->data;
    Along p = {.y = out[0]->data, .exclusive = a->axis.exclusive, .reverse = a->axis.reverse};
    int64_t outer = 1;
    int st = along_init(ctx, &p, x, axis, &outer, "CumSum");
    if (st)
        return st;
    rt_parallel_for(ctx, outer * p.nblk, 1 + 32768 / (p.len * BLK + 1), cumsum_task, &p);
    return RT_OK;
}
