/*
 * norm.c: CPU kernels of normalisation and the softmax family on float32 tensors:
 * BatchNormalization (inference), InstanceNormalization, LayerNormalization, LRN, Softmax,
 * LogSoftmax and Hardmax.
 *
 * Each op views its input as [outer, len, inner] around the axis it works along. The
 * normalisations reduce each group to a mean and a variance (two passes: the mean, then the sum
 * of squared deviations, both summed in float lanes per block and the blocks in double), then
 * apply one affine map y = x * a + b per group, a unit-stride loop (then, for BatchNormalization,
 * the activation the compiler fused in). The softmax family works on
 * whole rows when inner is 1 and otherwise on blocks of columns, carrying one running maximum
 * and sum per column so that every loop over the data stays unit-stride. Work is split over the
 * groups (or rows, or column blocks) with rt_parallel_for.
 *
 * Hot loops run in tiles of TILE elements with a fixed trip count, which gcc vectorises even at
 * -O2 (whose cost model skips loops of unknown length). Softmax's exponentials use ir_exp_f
 * (ir/scalar.h), a branch-free polynomial that vectorises, where libm's expf would not.
 */
#include "act_impl.h"
#include "ir/scalar.h"
#include "shape.h"

#include <float.h>
#include <math.h>
#include <string.h>

enum {
    BLK = 256, /* columns per block of the softmax family and LRN */
    TILE = 16, /* elements per fixed-length inner loop */
};

/* Elements worth one parallel chunk of their own. */
static int64_t
grain_for(int64_t per_item)
{
    return 1 + 16384 / (per_item + 1);
}

/* ---- sums and elementwise helpers ------------------------------------------------------------ */

/* Sum of n floats: TILE float lanes per block of 1024, the blocks added in double. */
static double
sum_f32(const float *x, int64_t n)
{
    double total = 0;
    for (int64_t i = 0; i < n; i += 1024) {
        int64_t m = n - i < 1024 ? n - i : 1024, j = 0;
        float acc[TILE] = {0};
        for (; j + TILE <= m; j += TILE)
            for (int l = 0; l < TILE; l++)
                acc[l] += x[i + j + l];
        for (; j < m; j++)
            acc[0] += x[i + j];
        for (int l = 0; l < TILE; l++)
            total += acc[l];
    }
    return total;
}

/* Sum of (x - mean)^2 over n floats, summed as sum_f32. */
static double
sumsq_dev(const float *x, int64_t n, float mean)
{
    double total = 0;
    for (int64_t i = 0; i < n; i += 1024) {
        int64_t m = n - i < 1024 ? n - i : 1024, j = 0;
        float acc[TILE] = {0};
        for (; j + TILE <= m; j += TILE)
            for (int l = 0; l < TILE; l++) {
                float v = x[i + j + l] - mean;
                acc[l] += v * v;
            }
        for (; j < m; j++)
            acc[0] += (x[i + j] - mean) * (x[i + j] - mean);
        for (int l = 0; l < TILE; l++)
            total += acc[l];
    }
    return total;
}

/* Mean and 1 / sqrt(variance + eps) of n floats. */
static void
moments(const float *x, int64_t n, float eps, float *mean, float *inv)
{
    double m = n ? sum_f32(x, n) / (double)n : 0;
    double v = n ? sumsq_dev(x, n, (float)m) / (double)n : 0;
    *mean = (float)m;
    *inv = (float)(1.0 / sqrt(v + (double)eps));
}

/* y[i] = x[i] * a + b */
static void
affine(float *restrict y, const float *restrict x, int64_t n, float a, float b)
{
    int64_t i = 0;
    for (; i + TILE <= n; i += TILE)
        for (int l = 0; l < TILE; l++)
            y[i + l] = x[i + l] * a + b;
    for (; i < n; i++)
        y[i] = x[i] * a + b;
}

/* y[i] = e^(x[i] - m); returns their sum, added as sum_f32 does */
static double
exp_sum(float *restrict y, const float *restrict x, int64_t n, float m)
{
    double total = 0;
    for (int64_t i = 0; i < n; i += 1024) {
        int64_t e = n - i < 1024 ? n : i + 1024, j = i;
        float acc[TILE] = {0};
        for (; j + TILE <= e; j += TILE)
            for (int l = 0; l < TILE; l++) {
                y[j + l] = ir_exp_f(x[j + l] - m);
                acc[l] += y[j + l];
            }
        for (; j < e; j++) {
            y[j] = ir_exp_f(x[j] - m);
            acc[0] += y[j];
        }
        for (int l = 0; l < TILE; l++)
            total += acc[l];
    }
    return total;
}

/* y[i] = e^(x[i] - m[i]) */
static void
exp_sub(float *restrict y, const float *restrict x, int64_t n, const float *restrict m)
{
    int64_t i = 0;
    for (; i + TILE <= n; i += TILE)
        for (int l = 0; l < TILE; l++)
            y[i + l] = ir_exp_f(x[i + l] - m[i + l]);
    for (; i < n; i++)
        y[i] = ir_exp_f(x[i] - m[i]);
}

static int
want_f32(RtCtx *ctx, const RtTensor *t, const char *op)
{
    if (t->dt != DT_F32)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d (only float32)", op, (int)t->dt);
    return RT_OK;
}

/* ---- per-channel affine maps: BatchNormalization, InstanceNormalization ---------------------- */

typedef struct Chan {
    const float *x;
    float *y;
    const float *scale, *bias; /* per channel */
    const float *mean, *var;   /* BatchNormalization; NULL: InstanceNormalization */
    float eps;
    int64_t c, inner; /* channels; elements per (n, c) plane */
    const Fused *f;   /* BatchNormalization: the activation fused in, or NULL */
} Chan;

/* Planes [b, e) of [N, C, inner]: y = x * a + b per plane. */
static void
chan_task(void *arg, int64_t b, int64_t e)
{
    const Chan *p = arg;
    for (int64_t i = b; i < e; i++) {
        int64_t c = i % p->c;
        const float *x = p->x + i * p->inner;
        float *y = p->y + i * p->inner, mean, inv;
        if (p->mean) {
            mean = p->mean[c];
            inv = (float)(1.0 / sqrt((double)p->var[c] + (double)p->eps));
        } else {
            moments(x, p->inner, p->eps, &mean, &inv);
        }
        float sa = inv * p->scale[c], sb = p->bias[c] - mean * sa;
        affine(y, x, p->inner, sa, sb);
        if (cpu_act_any(p->f))
            cpu_act_apply(p->f, y, p->inner, 0.0f);
    }
}

static int
chan_run(RtCtx *ctx, Chan *p, const RtTensor *x, RtTensor *y, const char *op)
{
    int st = want_f32(ctx, x, op);
    if (st)
        return st;
    if (x->rank < 2)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: rank %d", op, x->rank);
    int64_t planes = x->dim[0] * x->dim[1];
    p->x = x->data;
    p->y = y->data;
    p->c = x->dim[1];
    p->inner = planes ? rt_numel(x) / planes : 0;
    rt_parallel_for(ctx, planes, grain_for(p->inner), chan_task, p);
    return RT_OK;
}

int
cpu_batchnormalization(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin,
                       RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    if (a->norm.training_mode)
        return rt_fail(ctx, RT_EUNSUPPORTED, "BatchNormalization: training_mode");
    for (int i = 1; i < 5; i++)
        if (want_f32(ctx, in[i], "BatchNormalization"))
            return RT_EUNSUPPORTED;
    Chan p = {.scale = in[1]->data,
              .bias = in[2]->data,
              .mean = in[3]->data,
              .var = in[4]->data,
              .eps = a->norm.epsilon,
              .f = &a->norm.fuse};
    return chan_run(ctx, &p, in[0], out[0], "BatchNormalization");
}

int
cpu_instancenormalization(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin,
                          RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    if (want_f32(ctx, in[1], "InstanceNormalization") ||
        want_f32(ctx, in[2], "InstanceNormalization"))
        return RT_EUNSUPPORTED;
    Chan p = {.scale = in[1]->data, .bias = in[2]->data, .eps = a->norm.epsilon};
    return chan_run(ctx, &p, in[0], out[0], "InstanceNormalization");
}

/* ---- LayerNormalization ---------------------------------------------------------------------- */

typedef struct Layer {
    const float *x;
    float *y;
    const float *scale, *bias; /* [inner] each; bias may be NULL */
    float *mean, *inv;         /* [outer] each, or NULL */
    float eps;
    int64_t inner;
} Layer;

/* y[j] = (x[j] - m) * inv * sc[j] + bi[j] (bi may be NULL) */
static void
norm_row(float *restrict y, const float *restrict x, int64_t n, float m, float inv,
         const float *restrict sc, const float *restrict bi)
{
    int64_t j = 0;
    if (bi) {
        for (; j + TILE <= n; j += TILE)
            for (int l = 0; l < TILE; l++)
                y[j + l] = (x[j + l] - m) * inv * sc[j + l] + bi[j + l];
        for (; j < n; j++)
            y[j] = (x[j] - m) * inv * sc[j] + bi[j];
    } else {
        for (; j + TILE <= n; j += TILE)
            for (int l = 0; l < TILE; l++)
                y[j + l] = (x[j + l] - m) * inv * sc[j + l];
        for (; j < n; j++)
            y[j] = (x[j] - m) * inv * sc[j];
    }
}

static void
layer_task(void *arg, int64_t b, int64_t e)
{
    const Layer *p = arg;
    for (int64_t i = b; i < e; i++) {
        const float *x = p->x + i * p->inner;
        float m, inv;
        moments(x, p->inner, p->eps, &m, &inv);
        norm_row(p->y + i * p->inner, x, p->inner, m, inv, p->scale, p->bias);
        if (p->mean)
            p->mean[i] = m;
        if (p->inv)
            p->inv[i] = inv;
    }
}

/* The data of t broadcast (right-aligned) to the r dims d, in scratch slot; NULL on OOM. t's
 * own data when it already has every element. */
static const float *
expand(RtCtx *ctx, int slot, const RtTensor *t, const int64_t *d, int r, int64_t n)
{
    if (rt_numel(t) == n)
        return t->data;
    float *dst = rt_scratch(ctx, slot, (size_t)n * sizeof *dst);
    if (!dst)
        return NULL;
    int64_t stride[RT_MAXRANK], idx[RT_MAXRANK] = {0};
    rt_shape_bcast_strides(&t->shape, t->rank, r, 1, stride);
    const float *src = t->data;
    for (int64_t j = 0; j < n; j++) {
        int64_t off = 0;
        for (int i = 0; i < r; i++)
            off += idx[i] * stride[i];
        dst[j] = src[off];
        for (int i = r - 1; i >= 0 && ++idx[i] == d[i]; i--)
            idx[i] = 0;
    }
    return dst;
}

int
cpu_layernormalization(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin,
                       RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0];
    const RtTensor *b = nin > 2 ? in[2] : NULL;
    if (want_f32(ctx, x, "LayerNormalization") || want_f32(ctx, in[1], "LayerNormalization") ||
        (b && want_f32(ctx, b, "LayerNormalization")))
        return RT_EUNSUPPORTED;
    int ax = (int)(a->norm.axis < 0 ? a->norm.axis + x->rank : a->norm.axis);
    if (ax < 0 || ax >= x->rank)
        return rt_fail(ctx, RT_EUNSUPPORTED, "LayerNormalization: axis %lld",
                       (long long)a->norm.axis);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < ax)
            outer *= x->dim[i];
        else
            inner *= x->dim[i];
    }
    for (int i = 1; i < 3; i++)
        if (i < nin && in[i] && !rt_shape_bcast_ok(&in[i]->shape, x->dim + ax, x->rank - ax))
            return rt_fail(ctx, RT_EUNSUPPORTED, "LayerNormalization: input %d does not broadcast",
                           i);
    Layer p = {.x = x->data, .y = out[0]->data, .eps = a->norm.epsilon, .inner = inner};
    p.scale = expand(ctx, 0, in[1], x->dim + ax, x->rank - ax, inner);
    p.bias = b ? expand(ctx, 1, b, x->dim + ax, x->rank - ax, inner) : NULL;
    if (!p.scale || (b && !p.bias))
        return rt_fail(ctx, RT_ENOMEM, "LayerNormalization: scratch");
    for (int i = 1; i < 3 && i < nout; i++)
        if (out[i] && want_f32(ctx, out[i], "LayerNormalization"))
            return RT_EUNSUPPORTED;
    p.mean = nout > 1 && out[1] ? out[1]->data : NULL;
    p.inv = nout > 2 && out[2] ? out[2]->data : NULL;
    rt_parallel_for(ctx, outer, grain_for(inner), layer_task, &p);
    return RT_OK;
}

/* ---- LRN ------------------------------------------------------------------------------------- */

typedef struct Lrn {
    const float *x;
    float *y;
    int64_t c, inner, nblk, lo, hi; /* channels c - lo .. c + hi are summed */
    float alpha, beta, bias;        /* alpha already divided by size */
} Lrn;

/* Items [b, e) of N x (blocks of BLK positions): every channel of one block of one image. */
static void
lrn_task(void *arg, int64_t b, int64_t e)
{
    const Lrn *p = arg;
    float acc[BLK];
    for (int64_t it = b; it < e; it++) {
        int64_t n = it / p->nblk, j0 = it % p->nblk * BLK;
        int64_t m = p->inner - j0 < BLK ? p->inner - j0 : BLK;
        const float *xn = p->x + n * p->c * p->inner + j0;
        float *yn = p->y + n * p->c * p->inner + j0;
        for (int64_t c = 0; c < p->c; c++) {
            int64_t c0 = c - p->lo < 0 ? 0 : c - p->lo;
            int64_t c1 = c + p->hi >= p->c ? p->c - 1 : c + p->hi;
            for (int64_t j = 0; j < m; j++)
                acc[j] = 0;
            for (int64_t cc = c0; cc <= c1; cc++) {
                const float *xs = xn + cc * p->inner;
                for (int64_t j = 0; j < m; j++)
                    acc[j] += xs[j] * xs[j];
            }
            const float *x = xn + c * p->inner;
            float *y = yn + c * p->inner;
            if (p->beta == 0.75f) { /* t^-0.75 = r * sqrt(r) with r = 1 / sqrt(t) */
                for (int64_t j = 0; j < m; j++) {
                    float r = 1.0f / sqrtf(p->bias + p->alpha * acc[j]);
                    y[j] = x[j] * r * sqrtf(r);
                }
            } else {
                for (int64_t j = 0; j < m; j++)
                    y[j] = x[j] * powf(p->bias + p->alpha * acc[j], -p->beta);
            }
        }
    }
}

int
cpu_lrn(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    const RtTensor *x = in[0];
    const LrnAttr *la = &a->lrn;
    if (want_f32(ctx, x, "LRN"))
        return RT_EUNSUPPORTED;
    if (x->rank < 2 || la->size < 1)
        return rt_fail(ctx, RT_EUNSUPPORTED, "LRN: rank %d, size %lld", x->rank,
                       (long long)la->size);
    int64_t planes = x->dim[0] * x->dim[1];
    Lrn p = {.x = x->data,
             .y = out[0]->data,
             .c = x->dim[1],
             .lo = (la->size - 1) / 2,
             .hi = la->size / 2,
             .alpha = la->alpha / (float)la->size,
             .beta = la->beta,
             .bias = la->bias};
    p.inner = planes ? rt_numel(x) / planes : 0;
    p.nblk = (p.inner + BLK - 1) / BLK;
    rt_parallel_for(ctx, x->dim[0] * p.nblk, grain_for(p.c * BLK * 4), lrn_task, &p);
    return RT_OK;
}

/* ---- Softmax, LogSoftmax, Hardmax ------------------------------------------------------------ */

typedef enum SoftKind { SM_SOFT, SM_LOG, SM_HARD } SoftKind;

typedef struct Soft {
    const float *x;
    float *y;
    int64_t len, inner, nblk; /* along the axis; after it; column blocks of BLK */
    SoftKind kind;
} Soft;

/* The maximum of x[0..n), n >= 1 (NaNs are skipped) */
static float
max_f32(const float *x, int64_t n)
{
    float acc[TILE];
    int64_t i = 0;
    for (int l = 0; l < TILE; l++)
        acc[l] = x[0];
    for (; i + TILE <= n; i += TILE)
        for (int l = 0; l < TILE; l++)
            acc[l] = x[i + l] > acc[l] ? x[i + l] : acc[l];
    for (; i < n; i++)
        acc[0] = x[i] > acc[0] ? x[i] : acc[0];
    for (int l = 1; l < TILE; l++)
        acc[0] = acc[l] > acc[0] ? acc[l] : acc[0];
    return acc[0];
}

/* y[i] *= s */
static void
scale_f32(float *y, int64_t n, float s)
{
    int64_t i = 0;
    for (; i + TILE <= n; i += TILE)
        for (int l = 0; l < TILE; l++)
            y[i + l] *= s;
    for (; i < n; i++)
        y[i] *= s;
}

/* Rows [b, e) when inner is 1: each row one softmax. */
static void
soft_rows(void *arg, int64_t b, int64_t e)
{
    const Soft *p = arg;
    int64_t n = p->len;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * n;
        float *y = p->y + r * n;
        if (p->kind == SM_HARD) {
            int64_t at = 0;
            for (int64_t i = 1; i < n; i++)
                if (x[i] > x[at])
                    at = i;
            memset(y, 0, (size_t)n * sizeof *y);
            y[at] = 1;
            continue;
        }
        float mx = max_f32(x, n);
        double sum = exp_sum(y, x, n, mx);
        if (p->kind == SM_SOFT)
            scale_f32(y, n, (float)(1.0 / sum));
        else /* y was scratch for the exponentials */
            affine(y, x, n, 1.0f, -(mx + (float)log(sum)));
    }
}

/* Items [b, e) of outer x column blocks when inner > 1: the softmax of up to BLK columns of
 * one [len, inner] slab, with a running maximum and sum per column. */
static void
soft_cols(void *arg, int64_t b, int64_t e)
{
    const Soft *p = arg;
    float mx[BLK], ex[BLK];
    double sum[BLK];
    int64_t at[BLK];
    for (int64_t it = b; it < e; it++) {
        int64_t o = it / p->nblk, j0 = it % p->nblk * BLK, in = p->inner;
        int64_t m = in - j0 < BLK ? in - j0 : BLK;
        const float *x = p->x + o * p->len * in + j0;
        float *y = p->y + o * p->len * in + j0;
        if (p->kind == SM_HARD) {
            for (int64_t j = 0; j < m; j++)
                at[j] = 0;
            for (int64_t l = 1; l < p->len; l++)
                for (int64_t j = 0; j < m; j++)
                    if (x[l * in + j] > x[at[j] * in + j])
                        at[j] = l;
            for (int64_t l = 0; l < p->len; l++)
                for (int64_t j = 0; j < m; j++)
                    y[l * in + j] = at[j] == l ? 1.0f : 0.0f;
            continue;
        }
        memcpy(mx, x, (size_t)m * sizeof *mx);
        for (int64_t l = 1; l < p->len; l++)
            for (int64_t j = 0; j < m; j++)
                mx[j] = x[l * in + j] > mx[j] ? x[l * in + j] : mx[j];
        for (int64_t j = 0; j < m; j++)
            sum[j] = 0;
        for (int64_t l = 0; l < p->len; l++) {
            float *ey = p->kind == SM_SOFT ? y + l * in : ex;
            exp_sub(ey, x + l * in, m, mx);
            for (int64_t j = 0; j < m; j++)
                sum[j] += ey[j];
        }
        if (p->kind == SM_SOFT) {
            for (int64_t j = 0; j < m; j++)
                ex[j] = (float)(1.0 / sum[j]);
            for (int64_t l = 0; l < p->len; l++)
                for (int64_t j = 0; j < m; j++)
                    y[l * in + j] *= ex[j];
        } else {
            for (int64_t j = 0; j < m; j++)
                mx[j] += (float)log(sum[j]); /* now log-sum-exp */
            for (int64_t l = 0; l < p->len; l++)
                for (int64_t j = 0; j < m; j++)
                    y[l * in + j] = x[l * in + j] - mx[j];
        }
    }
}

/* Views x as [outer, len, inner] around the axis (coerce2d: [outer, len] from the axis on). */
static int
soft_run(RtCtx *ctx, const AxisAttr *a, const RtTensor *x, RtTensor *y, SoftKind kind,
         const char *op)
{
    if (want_f32(ctx, x, op))
        return RT_EUNSUPPORTED;
    int r = x->rank, ax = (int)(a->axis < 0 ? a->axis + r : a->axis);
    if (r > 0 && (ax < 0 || ax >= r) && !(a->coerce2d && ax == r))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: axis %lld of rank %d", op, (long long)a->axis, r);
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < r; i++) {
        if (i < ax)
            outer *= x->dim[i];
        else if (i == ax || a->coerce2d)
            len *= x->dim[i];
        else
            inner *= x->dim[i];
    }
    Soft p = {.x = x->data, .y = y->data, .len = len, .inner = inner, .kind = kind};
    if (outer * len * inner == 0)
        return RT_OK;
    if (inner == 1) {
        rt_parallel_for(ctx, outer, grain_for(len * 8), soft_rows, &p);
    } else {
        p.nblk = (inner + BLK - 1) / BLK;
        rt_parallel_for(ctx, outer * p.nblk, grain_for(len * BLK * 8), soft_cols, &p);
    }
    return RT_OK;
}

int
cpu_softmax(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    return soft_run(ctx, &a->axis, in[0], out[0], SM_SOFT, "Softmax");
}

int
cpu_logsoftmax(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
               int nout)
{
    (void)nin, (void)nout;
    return soft_run(ctx, &a->axis, in[0], out[0], SM_LOG, "LogSoftmax");
}

int
cpu_hardmax(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    return soft_run(ctx, &a->axis, in[0], out[0], SM_HARD, "Hardmax");
}
