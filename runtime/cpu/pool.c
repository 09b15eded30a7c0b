/*
 * pool.c: CPU kernels of the pooling ops: AveragePool, MaxPool, LpPool, GlobalAveragePool and
 * GlobalMaxPool, on float32 tensors [N, C, D1..Dn].
 *
 * A pooling window is a box, and both max and sum over a box are separable: pooling D1..Dn at
 * once equals pooling along D1 alone, then along D2 on that result, and so on. So every windowed
 * pool runs as n one-axis passes over an [outer, len, inner] view of one (n, c) plane. In a pass
 * the outputs whose whole window lies inside the input (nearly all) take a fast path: each of
 * the k taps is a unit-stride array (a row of inner values, the input itself at stride 1, its
 * even and odd halves at stride 2), combined in fixed-length tiles that gcc vectorises at -O2.
 * The few edge outputs are done one by one with bounds checks. The average's divisor is a
 * product over axes too (the taps it counts form a box), so each pass divides by its own count.
 * MaxPool with its Indices output takes a direct, scalar path instead. Planes are split across
 * threads.
 *
 * Padding: explicit pads, or SAME_UPPER/SAME_LOWER/VALID resolved from the shapes as the ONNX
 * spec does. With ceil_mode the last window may run past the padded input; such taps are
 * skipped and, for count_include_pad, not counted (as ONNX Runtime and PyTorch do). A window
 * with no tap inside gives -FLT_MAX (max, as ONNX Runtime) or NaN (average, as the reference).
 */
#include "rt_backend.h"

#include <float.h>
#include <math.h>
#include <string.h>

typedef enum Red { R_MAX, R_SUM, R_ABS, R_SQ, R_POW } Red; /* how a tap combines */

typedef struct Axis {
    int64_t len, out; /* input and output size along the axis */
    int64_t k, s, d;  /* kernel, stride, dilation */
    int64_t pb, pe;   /* effective pads at the start and the end */
} Axis;

typedef struct Pool {
    int ns; /* spatial dims */
    Axis ax[RT_MAXRANK];
    Red first, rest; /* combine of the first pass and of the later ones */
    float p;         /* LpPool's norm; the result is raised to 1 / p at the end */
    int lp;
    float *scale[RT_MAXRANK]; /* AveragePool: 1 / count per output along each axis, else NULL */
    const float *x;
    float *y;
    int64_t *ind; /* MaxPool's Indices, or NULL */
    int storage_order;
    int64_t xplane, yplane, planes;
    float *buf; /* per worker: two buffers of bufsize floats, then tmpsize */
    int64_t bufsize, tmpsize;
    int64_t workers;
} Pool;

/* ---- one axis -------------------------------------------------------------------------------- */

/* d[i] = d[i] (combine) s[i]: the general way, for window edges and LpPool's first pass */
static void
combine(float *restrict d, const float *restrict s, int64_t n, Red r, float p)
{
    switch (r) {
    case R_MAX:
        for (int64_t i = 0; i < n; i++)
            d[i] = s[i] > d[i] ? s[i] : d[i];
        break;
    case R_SUM:
        for (int64_t i = 0; i < n; i++)
            d[i] += s[i];
        break;
    case R_ABS:
        for (int64_t i = 0; i < n; i++)
            d[i] += fabsf(s[i]);
        break;
    case R_SQ:
        for (int64_t i = 0; i < n; i++)
            d[i] += s[i] * s[i];
        break;
    case R_POW:
        for (int64_t i = 0; i < n; i++)
            d[i] += powf(fabsf(s[i]), p);
        break;
    }
}

/* Output o of one axis (a row of inner values), from whichever of its taps lie inside the
 * input, times f. With no tap inside: -FLT_MAX for max, 0 * f for the sums. */
static void
one_output(float *restrict dst, const float *restrict src, int64_t o, int64_t inner, const Axis *ax,
           Red r, float p, float f)
{
    float init = r == R_MAX ? -FLT_MAX : 0.0f;
    if (inner == 1) { /* one value: no loops over rows */
        float a = init;
        for (int64_t t = 0; t < ax->k; t++) {
            int64_t pos = o * ax->s - ax->pb + t * ax->d;
            float v = pos >= 0 && pos < ax->len ? src[pos] : init;
            switch (r) {
            case R_MAX: a = v > a ? v : a; break;
            case R_SUM: a += v; break;
            case R_ABS: a += fabsf(v); break;
            case R_SQ: a += v * v; break;
            case R_POW: a += powf(fabsf(v), p); break;
            }
        }
        *dst = a * f;
        return;
    }
    for (int64_t j = 0; j < inner; j++)
        dst[j] = init;
    for (int64_t t = 0; t < ax->k; t++) {
        int64_t pos = o * ax->s - ax->pb + t * ax->d;
        if (pos >= 0 && pos < ax->len)
            combine(dst, src + pos * inner, inner, r, p);
    }
    if (f != 1.0f)
        for (int64_t j = 0; j < inner; j++)
            dst[j] *= f;
}

/*
 * The fast path, for outputs whose taps all lie inside: dst[i] for i < n is f times the max
 * (else the sum) of tap[t][i] over the k taps. It works in tiles of TILE outputs with a fixed
 * trip count, so that the compiler vectorises them even at -O2 and keeps the accumulators in
 * registers; the last tile overlaps the one before rather than running a scalar tail (the
 * outputs there are computed twice, to the same values).
 */
enum { TILE = 16, MAXTAP = 64 };

static void
taps_run(float *restrict dst, const float *const *tap, int64_t n, int64_t k, int max, float f)
{
    float acc[TILE];
    if (n < TILE) {
        for (int64_t i = 0; i < n; i++) {
            float a = tap[0][i];
            for (int64_t t = 1; t < k; t++)
                a = max ? (tap[t][i] > a ? tap[t][i] : a) : a + tap[t][i];
            dst[i] = a * f;
        }
        return;
    }
    for (int64_t i0 = 0; i0 < n; i0 += TILE) {
        if (i0 + TILE > n)
            i0 = n - TILE;
        const float *s = tap[0] + i0;
        for (int l = 0; l < TILE; l++)
            acc[l] = s[l];
        for (int64_t t = 1; t < k; t++) {
            s = tap[t] + i0;
            /* unrolled fully (-O3), the max would no longer be vectorised */
            if (max) {
#pragma GCC unroll 1
                for (int l = 0; l < TILE; l++)
                    acc[l] = s[l] > acc[l] ? s[l] : acc[l];
            } else {
#pragma GCC unroll 1
                for (int l = 0; l < TILE; l++)
                    acc[l] += s[l];
            }
        }
        if (f != 1.0f)
            for (int l = 0; l < TILE; l++)
                acc[l] *= f;
        for (int l = 0; l < TILE; l++)
            dst[i0 + l] = acc[l];
    }
}

/* Splits row[0..len) into its even elements e[0..(len+1)/2) and odd ones o[0..len/2), so that a
 * stride-2 window reads each of them with unit stride. */
static void
deinterleave(float *restrict e, float *restrict o, const float *restrict row, int64_t len)
{
    int64_t h = len / 2;
    for (int64_t j = 0; j < h; j += TILE) {
        if (j + TILE > h && h >= TILE)
            j = h - TILE; /* overlap the tile before, as taps_run */
        if (j + TILE > h) {
            for (; j < h; j++) {
                e[j] = row[2 * j];
                o[j] = row[2 * j + 1];
            }
            break;
        }
        for (int l = 0; l < TILE; l++) {
            e[j + l] = row[2 * (j + l)];
            o[j + l] = row[2 * (j + l) + 1];
        }
    }
    if (len % 2)
        e[h] = row[len - 1];
}

/*
 * Pools one axis: src [outer, len, inner] -> dst [outer, out, inner], each output the combination
 * of its window's taps inside the input, times scale[o] when scale is not NULL. Outputs in
 * [oa, ob) have every tap inside (so they share one scale) and take the fast path for max and
 * sum, with unit-stride taps: rows of inner values; with stride 1 the input itself; with stride
 * 2 its even and odd halves, split into tmp; other strides a gathered copy in tmp. The edge
 * outputs are done one by one afterwards. With stride 1 and rows of equal length, the interiors
 * of all rows run as one flat stretch: outputs near row ends then read across rows and come out
 * wrong, but they are edge outputs and get recomputed after.
 */
static void
pass_axis(float *restrict dst, const float *restrict src, int64_t outer, int64_t inner,
          const Axis *ax, Red r, float p, const float *scale, float *tmp)
{
    int64_t len = ax->len, out = ax->out, s = ax->s, pb = ax->pb, d = ax->d, k = ax->k;
    int64_t span = (k - 1) * d, oa = (pb + s - 1) / s;
    int64_t ob = len - 1 + pb - span >= 0 ? (len - 1 + pb - span) / s + 1 : 0;
    const float *tap[MAXTAP];
    int max = r == R_MAX;
    ob = ob < out ? ob : out;
    if ((r != R_MAX && r != R_SUM) || ob <= oa || k > MAXTAP)
        oa = ob = 0;
    float f = scale && oa < ob ? scale[oa] : 1.0f;
    if (oa < ob && s == 1 && (outer == 1 || len == out)) {
        for (int64_t t = 0; t < k; t++)
            tap[t] = src + (oa - pb + t * d) * inner;
        taps_run(dst + oa * inner, tap, ((outer - 1) * out + ob - oa) * inner, k, max, f);
    } else if (oa < ob) {
        for (int64_t b = 0; b < outer; b++) {
            const float *row = src + b * len * inner;
            float *dp = dst + (b * out + oa) * inner;
            if (inner > 1) {
                for (int64_t o = oa; o < ob; o++, dp += inner) {
                    for (int64_t t = 0; t < k; t++)
                        tap[t] = row + (o * s - pb + t * d) * inner;
                    taps_run(dp, tap, inner, k, max, f);
                }
                continue;
            }
            for (int64_t t = 0; t < k; t++) {
                int64_t pos = oa * s - pb + t * d; /* of output oa's tap t */
                if (s == 1)
                    tap[t] = row + pos;
                else if (s == 2)
                    tap[t] = tmp + (pos % 2) * ((len + 1) / 2) + pos / 2;
                else
                    tap[t] = tmp + t * (ob - oa);
            }
            if (s == 2) {
                deinterleave(tmp, tmp + (len + 1) / 2, row, len);
            } else if (s > 2) {
                for (int64_t t = 0; t < k; t++)
                    for (int64_t i = 0; i < ob - oa; i++)
                        tmp[t * (ob - oa) + i] = row[(oa + i) * s - pb + t * d];
            }
            taps_run(dp, tap, ob - oa, k, max, f);
        }
    }
    for (int64_t b = 0; b < outer; b++)
        for (int64_t o = 0; o < out; o++) {
            if (o == oa && oa < ob)
                o = ob;
            if (o < out)
                one_output(dst + (b * out + o) * inner, src + b * len * inner, o, inner, ax, r, p,
                           scale ? scale[o] : 1.0f);
        }
}

/* Floats of tmp that pass_axis needs for ax with inner values per row. */
static int64_t
tmp_size(const Axis *ax, int64_t inner)
{
    if (inner > 1 || ax->s == 1)
        return 0;
    return ax->s == 2 ? ax->len + 1 : ax->k * ax->out;
}

/* Pools one (n, c) plane axis after axis, through the buffers b0 and b1 (and tmp). */
static void
pool_plane(const Pool *p, const float *x, float *y, float *b0, float *b1, float *tmp)
{
    const float *src = x;
    int64_t outer = 1;
    for (int i = 0; i < p->ns; i++) {
        int64_t inner = 1;
        for (int j = i + 1; j < p->ns; j++)
            inner *= p->ax[j].len;
        float *dst = i == p->ns - 1 ? y : i % 2 ? b1 : b0;
        pass_axis(dst, src, outer, inner, &p->ax[i], i == 0 ? p->first : p->rest, p->p, p->scale[i],
                  tmp);
        src = dst;
        outer *= p->ax[i].out;
    }
    if (p->lp && p->p == 2.0f) {
        for (int64_t i = 0; i < p->yplane; i++)
            y[i] = sqrtf(y[i]);
    } else if (p->lp && p->p != 1.0f) {
        for (int64_t i = 0; i < p->yplane; i++)
            y[i] = powf(y[i], 1.0f / p->p);
    }
}

/* Worker w of p->workers takes a contiguous share of the planes and its own buffers. */
static void
pool_task(void *arg, int64_t wb, int64_t we)
{
    const Pool *p = arg;
    for (int64_t w = wb; w < we; w++) {
        float *b0 = p->buf ? p->buf + w * (2 * p->bufsize + p->tmpsize) : NULL;
        float *b1 = b0 ? b0 + p->bufsize : NULL, *tmp = b1 ? b1 + p->bufsize : NULL;
        int64_t lo = w * p->planes / p->workers, hi = (w + 1) * p->planes / p->workers;
        for (int64_t c = lo; c < hi; c++)
            pool_plane(p, p->x + c * p->xplane, p->y + c * p->yplane, b0, b1, tmp);
    }
}

/* ---- MaxPool with Indices -------------------------------------------------------------------- */

/* Advances a row-major multi-index i over the box n[0..rank). */
static void
odo_next(int64_t *i, const int64_t *n, int rank)
{
    for (int a = rank - 1; a >= 0; a--) {
        if (++i[a] < n[a])
            return;
        i[a] = 0;
    }
}

/* Planes [b, e): each output the first maximum of its window in scan order, its index the
 * flat position in X (the plane's offset plus the spatial offset, row- or column-major). */
static void
maxpool_idx_task(void *arg, int64_t b, int64_t e)
{
    const Pool *p = arg;
    int ns = p->ns;
    int64_t kn[RT_MAXRANK], on[RT_MAXRANK], ktotal = 1;
    for (int i = 0; i < ns; i++) {
        kn[i] = p->ax[i].k;
        on[i] = p->ax[i].out;
        ktotal *= kn[i];
    }
    for (int64_t c = b; c < e; c++) {
        const float *x = p->x + c * p->xplane;
        int64_t o[RT_MAXRANK] = {0};
        for (int64_t oi = 0; oi < p->yplane; oi++, odo_next(o, on, ns)) {
            float best = -FLT_MAX;
            int64_t at = -1, atpos = 0, t[RT_MAXRANK] = {0};
            for (int64_t ti = 0; ti < ktotal; ti++, odo_next(t, kn, ns)) {
                int64_t rm = 0, cm = 0, cstride = 1, i;
                for (i = 0; i < ns; i++) {
                    const Axis *ax = &p->ax[i];
                    int64_t pos = o[i] * ax->s - ax->pb + t[i] * ax->d;
                    if (pos < 0 || pos >= ax->len)
                        break;
                    rm = rm * ax->len + pos;
                    cm += pos * cstride;
                    cstride *= ax->len;
                }
                if (i == ns && (at < 0 || x[rm] > best)) {
                    best = x[rm];
                    at = rm;
                    atpos = p->storage_order ? cm : rm;
                }
            }
            p->y[c * p->yplane + oi] = best;
            p->ind[c * p->yplane + oi] = c * p->xplane + atpos;
        }
    }
}

/* ---- windowed pools -------------------------------------------------------------------------- */

/* Fills p->ax from the attributes and the shapes of x and y. */
static int
axes_resolve(RtCtx *ctx, Pool *p, const PoolAttr *a, const RtTensor *x, const RtTensor *y)
{
    int ns = x->rank - 2;
    if (x->dt != DT_F32)
        return rt_fail(ctx, RT_EUNSUPPORTED, "pool: dtype %d (only float32)", (int)x->dt);
    if (ns < 1 || a->kernel.n != ns || y->rank != x->rank)
        return rt_fail(ctx, RT_EUNSUPPORTED, "pool: rank %d with %d kernel dims", x->rank,
                       a->kernel.n);
    p->ns = ns;
    for (int i = 0; i < ns; i++) {
        Axis *ax = &p->ax[i];
        ax->len = x->dim[2 + i];
        ax->out = y->dim[2 + i];
        ax->k = a->kernel.v[i];
        ax->s = a->strides.n ? a->strides.v[i] : 1;
        ax->d = a->dilations.n ? a->dilations.v[i] : 1;
        if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) {
            int64_t total = (ax->out - 1) * ax->s + (ax->k - 1) * ax->d + 1 - ax->len;
            if (total < 0)
                total = 0;
            ax->pb = a->auto_pad == PAD_SAME_UPPER ? total / 2 : total - total / 2;
            ax->pe = total - ax->pb;
        } else if (a->auto_pad == PAD_VALID || a->pads.n == 0) {
            ax->pb = ax->pe = 0;
        } else {
            ax->pb = a->pads.v[i];
            ax->pe = a->pads.v[ns + i];
        }
    }
    p->planes = x->dim[0] * x->dim[1];
    p->xplane = p->planes ? rt_numel(x) / p->planes : 0;
    p->yplane = p->planes ? rt_numel(y) / p->planes : 0;
    p->x = x->data;
    p->y = y->data;
    return RT_OK;
}

/* ---- the 2-D fast path ----------------------------------------------------------------------- */

/*
 * Max and average pools over two axes with stride 1 or 2 and no dilation (nearly all of them)
 * go row by row instead of through whole-plane passes: for each output row, the input rows of
 * its window are combined into one row v (padded on both sides with the combine's identity),
 * then each kernel column is one unit-stride pass over v (stride 2: over its even and odd
 * halves), accumulated in the output row itself. Everything stays in L1.
 */
static int
fast2d(const Pool *p)
{
    if (p->ns != 2 || p->lp || (p->first != R_MAX && p->first != R_SUM))
        return 0;
    for (int i = 0; i < 2; i++)
        if (p->ax[i].d != 1 || p->ax[i].s > 2 || p->ax[i].k > MAXTAP || p->ax[i].out < 1)
            return 0;
    return 1;
}

/* Columns of the combined row: the window positions of all outputs, padding included. */
static int64_t
span2d(const Pool *p)
{
    const Axis *aw = &p->ax[1];
    int64_t span = (aw->out - 1) * aw->s + aw->k;
    return span > aw->pb + aw->len ? span : aw->pb + aw->len;
}

static void
pool2d_plane(const Pool *p, const float *x, float *y, float *v, float *half)
{
    const Axis *ah = &p->ax[0], *aw = &p->ax[1];
    int64_t W = aw->len, OW = aw->out, pl = aw->pb, span = span2d(p);
    int max = p->first == R_MAX;
    float id = max ? -FLT_MAX : 0.0f;
    for (int64_t oy = 0; oy < ah->out; oy++) {
        int64_t ih0 = oy * ah->s - ah->pb;
        int any = 0;
        for (int64_t j = 0; j < span; j++)
            v[j] = id;
        for (int64_t ky = 0; ky < ah->k; ky++) {
            int64_t ih = ih0 + ky;
            if (ih < 0 || ih >= ah->len)
                continue;
            const float *restrict row = x + ih * W;
            float *restrict vr = v + pl;
            if (!any)
                memcpy(vr, row, (size_t)W * sizeof *vr);
            else if (max)
                for (int64_t j = 0; j < W; j++)
                    vr[j] = row[j] > vr[j] ? row[j] : vr[j];
            else
                for (int64_t j = 0; j < W; j++)
                    vr[j] += row[j];
            any = 1;
        }
        float *restrict yr = y + oy * OW;
        const float *taps = v;
        int64_t stride = 1;
        if (aw->s == 2) { /* even positions, then odd ones, each unit-stride */
            int64_t ne = (span + 1) / 2;
            for (int64_t j = 0; j < ne; j++)
                half[j] = v[2 * j];
            for (int64_t j = 0; j < span / 2; j++)
                half[ne + j] = v[2 * j + 1];
            taps = half;
            stride = ne;
        }
        for (int64_t kx = 0; kx < aw->k; kx++) {
            /* kernel column kx of output ox reads position ox * s + kx */
            const float *restrict t = aw->s == 2 ? taps + (kx % 2) * stride + kx / 2 : taps + kx;
            if (kx == 0)
                memcpy(yr, t, (size_t)OW * sizeof *yr);
            else if (max)
                for (int64_t ox = 0; ox < OW; ox++)
                    yr[ox] = t[ox] > yr[ox] ? t[ox] : yr[ox];
            else
                for (int64_t ox = 0; ox < OW; ox++)
                    yr[ox] += t[ox];
        }
        if (p->scale[0]) {
            const float *sw = p->scale[1];
            float sh = p->scale[0][oy];
            for (int64_t ox = 0; ox < OW; ox++)
                yr[ox] *= sh * sw[ox];
        }
    }
}

/* Worker w of p->workers: its share of the planes, with its own row buffers. */
static void
pool2d_task(void *arg, int64_t wb, int64_t we)
{
    const Pool *p = arg;
    for (int64_t w = wb; w < we; w++) {
        float *v = p->buf + w * p->bufsize, *half = v + p->bufsize / 2;
        for (int64_t i = w * p->planes / p->workers; i < (w + 1) * p->planes / p->workers; i++)
            pool2d_plane(p, p->x + i * p->xplane, p->y + i * p->yplane, v, half);
    }
}

/* Runs the separable passes of p over all planes; avg: divide by the taps inside
 * [-pb, len + pe) (count_pad) or [0, len). */
static int
pool_run(RtCtx *ctx, Pool *p, int avg, int count_pad)
{
    if (p->planes == 0 || p->yplane == 0)
        return RT_OK;
    if (avg) {
        int64_t nscale = 0;
        for (int i = 0; i < p->ns; i++)
            nscale += p->ax[i].out;
        float *sc = rt_scratch(ctx, 1, (size_t)nscale * sizeof *sc);
        if (!sc)
            return rt_fail(ctx, RT_ENOMEM, "pool: scratch");
        for (int i = 0; i < p->ns; i++) {
            const Axis *ax = &p->ax[i];
            int64_t lo = count_pad ? -ax->pb : 0, hi = count_pad ? ax->len + ax->pe : ax->len;
            p->scale[i] = sc;
            for (int64_t o = 0; o < ax->out; o++) {
                int64_t n = 0;
                for (int64_t t = 0; t < ax->k; t++) {
                    int64_t pos = o * ax->s - ax->pb + t * ax->d;
                    n += pos >= lo && pos < hi;
                }
                sc[o] = 1.0f / (float)n; /* no tap: inf, and the output 0 * inf = NaN */
            }
            sc += ax->out;
        }
    }
    int64_t work = p->planes * (p->xplane + p->yplane);
    p->workers = work < 32768 ? 1 : rt_ctx_threads(ctx);
    if (p->workers > p->planes)
        p->workers = p->planes;
    if (fast2d(p)) { /* per worker: the combined row, then its two halves */
        p->bufsize = 2 * (span2d(p) + 16);
        p->buf = rt_scratch(ctx, 0, (size_t)(p->workers * p->bufsize) * sizeof(float));
        if (!p->buf)
            return rt_fail(ctx, RT_ENOMEM, "pool: scratch");
        rt_parallel_for(ctx, p->workers, 1, pool2d_task, p);
        return RT_OK;
    }
    /* the largest intermediate (axes [0, i] pooled, the rest not yet) and the largest tmp */
    p->bufsize = p->tmpsize = 0;
    for (int i = 0; i < p->ns; i++) {
        int64_t n = 1, inner = 1;
        for (int j = 0; j < p->ns; j++)
            n *= j <= i ? p->ax[j].out : p->ax[j].len;
        for (int j = i + 1; j < p->ns; j++)
            inner *= p->ax[j].len;
        if (i + 1 < p->ns && n > p->bufsize)
            p->bufsize = n;
        if (tmp_size(&p->ax[i], inner) > p->tmpsize)
            p->tmpsize = tmp_size(&p->ax[i], inner);
    }
    p->buf = NULL;
    if (p->bufsize + p->tmpsize) {
        size_t n = (size_t)(p->workers * (2 * p->bufsize + p->tmpsize));
        p->buf = rt_scratch(ctx, 0, n * sizeof(float));
        if (!p->buf)
            return rt_fail(ctx, RT_ENOMEM, "pool: scratch");
    }
    rt_parallel_for(ctx, p->workers, 1, pool_task, p);
    return RT_OK;
}

int
cpu_averagepool(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                int nout)
{
    (void)nin, (void)nout;
    Pool p = {.first = R_SUM, .rest = R_SUM};
    int st = axes_resolve(ctx, &p, &a->pool, in[0], out[0]);
    return st ? st : pool_run(ctx, &p, 1, a->pool.count_include_pad);
}

int
cpu_lppool(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin, (void)nout;
    Pool p = {.rest = R_SUM, .lp = 1, .p = (float)a->pool.p};
    p.first = a->pool.p == 1 ? R_ABS : a->pool.p == 2 ? R_SQ : R_POW;
    if (a->pool.p < 1)
        return rt_fail(ctx, RT_EUNSUPPORTED, "LpPool: p = %lld", (long long)a->pool.p);
    int st = axes_resolve(ctx, &p, &a->pool, in[0], out[0]);
    return st ? st : pool_run(ctx, &p, 0, 0);
}

int
cpu_maxpool(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin;
    Pool p = {.first = R_MAX, .rest = R_MAX};
    int st = axes_resolve(ctx, &p, &a->pool, in[0], out[0]);
    if (st || nout < 2 || !out[1])
        return st ? st : pool_run(ctx, &p, 0, 0);
    if (out[1]->dt != DT_I64)
        return rt_fail(ctx, RT_EUNSUPPORTED, "MaxPool: Indices of dtype %d", (int)out[1]->dt);
    p.ind = out[1]->data;
    p.storage_order = a->pool.storage_order;
    int64_t grain = 1 + 16384 / (p.yplane * 8 + 1);
    rt_parallel_for(ctx, p.planes, grain, maxpool_idx_task, &p);
    return RT_OK;
}

/* ---- global pools ---------------------------------------------------------------------------- */

typedef struct Global {
    const float *x;
    float *y;
    int64_t n; /* elements per plane */
} Global;

/* Sum of n floats: eight float lanes per block of 1024, the blocks added in double. */
static double
sum_f32(const float *x, int64_t n)
{
    double total = 0;
    for (int64_t i = 0; i < n; i += 1024) {
        int64_t m = n - i < 1024 ? n - i : 1024, j = 0;
        float acc[8] = {0};
        for (; j + 8 <= m; j += 8)
            for (int l = 0; l < 8; l++)
                acc[l] += x[i + j + l];
        for (; j < m; j++)
            acc[0] += x[i + j];
        for (int l = 0; l < 8; l++)
            total += acc[l];
    }
    return total;
}

static float
max_f32(const float *x, int64_t n)
{
    float acc[8] = {-FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++)
            acc[l] = x[j + l] > acc[l] ? x[j + l] : acc[l];
    for (; j < n; j++)
        acc[0] = x[j] > acc[0] ? x[j] : acc[0];
    for (int l = 1; l < 8; l++)
        acc[0] = acc[l] > acc[0] ? acc[l] : acc[0];
    return acc[0];
}

static void
gavg_task(void *arg, int64_t b, int64_t e)
{
    const Global *g = arg;
    for (int64_t c = b; c < e; c++)
        g->y[c] = (float)(sum_f32(g->x + c * g->n, g->n) / (double)g->n);
}

static void
gmax_task(void *arg, int64_t b, int64_t e)
{
    const Global *g = arg;
    for (int64_t c = b; c < e; c++)
        g->y[c] = max_f32(g->x + c * g->n, g->n);
}

static int
global_run(RtCtx *ctx, const RtTensor *x, RtTensor *y, void (*fn)(void *, int64_t, int64_t),
           const char *name)
{
    if (x->dt != DT_F32)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d (only float32)", name, (int)x->dt);
    if (x->rank < 2)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: rank %d", name, x->rank);
    int64_t planes = x->dim[0] * x->dim[1];
    Global g = {.x = x->data, .y = y->data, .n = planes ? rt_numel(x) / planes : 0};
    rt_parallel_for(ctx, planes, 1 + 16384 / (g.n + 1), fn, &g);
    return RT_OK;
}

int
cpu_globalaveragepool(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                      int nout)
{
    (void)a, (void)nin, (void)nout;
    return global_run(ctx, in[0], out[0], gavg_task, "GlobalAveragePool");
}

int
cpu_globalmaxpool(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                  int nout)
{
    (void)a, (void)nin, (void)nout;
    return global_run(ctx, in[0], out[0], gmax_task, "GlobalMaxPool");
}
