/*
 * resize.c: the CPU kernel of Resize (and of Upsample, which the frontend turns into Resize).
 *
 * Every ONNX mode is separable: each output index on an axis reads a few input indices with fixed
 * weights, and an N-D output element is the tensor product of its axes' taps. So the kernel first
 * builds one table per axis (AxisMap): the input coordinate of each output index by the
 * coordinate transformation mode, then the taps: one index for nearest, two or four weighted ones
 * for linear and cubic, a wider normalised footprint for antialiased downsampling, with
 * exclude_outside and tf_crop_and_resize's extrapolation applied. Indices outside the input clamp
 * to its edge, as the ONNX reference's edge padding does.
 *
 * Nearest then gathers rows directly (any fixed-size dtype): an output row that reads the same
 * input row as the one before it is a memcpy of that row, so upsampling repeats whole rows.
 * Linear and cubic (float32) resize one axis per pass, skipping axes whose table is the identity:
 * first the passes that shrink most, then, among equals, the inner axes first, so that the last,
 * largest pass blends whole rows (vectorisable) rather than gathering single elements.
 * Intermediate tensors live in the context's scratch memory.
 */
#include "move_impl.h"

#include <math.h>

enum {
    GRAIN_BYTES = 1 << 16, /* the least work worth a thread of its own */
    MAXTAPS = 4096,        /* the widest antialias footprint (a scale of about 1/2000) */
};

static size_t
round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

typedef struct AxisMap { /* how one axis of the output reads the input */
    int64_t in, out;
    int taps;               /* input indices per output index (1 for nearest) */
    int64_t *idx;           /* [out][taps] input indices, clamped to [0, in) */
    float *w;               /* [out][taps] weights; NULL for nearest */
    unsigned char *outside; /* [out] 1: extrapolate (tf_crop_and_resize), else NULL */
    int identity;           /* output index o reads input index o alone */
} AxisMap;

/* The scale of each axis and the per-axis inputs, as the ONNX reference derives them. */
typedef struct Scales {
    double s[RT_MAXRANK];                  /* output / input size */
    double ow[RT_MAXRANK];                 /* s * input size, the reference's "output_width" */
    double r0[RT_MAXRANK], r1[RT_MAXRANK]; /* roi start and end (tf_crop_and_resize) */
} Scales;

/* ---- coordinates and taps -------------------------------------------------------------------- */

/* The input coordinate of output index x on an axis (ONNX coordinate_transformation_mode). */
static double
source_coord(const ResizeAttr *a, const Scales *sc, int d, int64_t in, int64_t out, double x)
{
    double s = sc->s[d], ow = sc->ow[d], n1 = (double)(in - 1);
    switch (a->coord) {
    case CT_HALF_PIXEL: return (x + 0.5) / s - 0.5;
    case CT_HALF_PIXEL_SYMMETRIC: /* the centre of the input maps to the centre of the output */
        return (double)in / 2 * (1 - (double)out / ow) + (x + 0.5) / s - 0.5;
    case CT_PYTORCH_HALF_PIXEL: return out > 1 ? (x + 0.5) / s - 0.5 : 0;
    case CT_ALIGN_CORNERS: return out == 1 || ow == 1 ? 0 : x * n1 / (ow - 1);
    case CT_ASYMMETRIC: return x / s;
    case CT_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s;
    case CT_TF_CROP_AND_RESIZE:
        if (ow == 1 || out == 1)
            return ow == 1 ? (sc->r0[d] + sc->r1[d]) * n1 / 2 : sc->r0[d] * n1;
        return sc->r0[d] * n1 + x * (sc->r1[d] - sc->r0[d]) * n1 / (ow - 1);
    }
    return x;
}

/* The cubic convolution kernel with parameter A (Keys), zero from |x| = 2 on. */
static double
cubic(double x, double A)
{
    x = fabs(x);
    if (x <= 1)
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    if (x < 2)
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    return 0;
}

/* Taps of an axis: the first offset from the base index and the count. With antialias the
 * footprint widens by 1 / scale when downsampling. Returns -1 when it passes MAXTAPS. */
static int
tap_span(const ResizeAttr *a, double s, int *first, int *taps)
{
    double sa = s < 1 ? s : 1, f = a->mode == RSZ_CUBIC ? -1 : 0;
    if (a->antialias && a->mode != RSZ_NEAREST)
        f = floor((a->mode == RSZ_LINEAR ? -1 : -2) / sa) + 1;
    if (!(2 - 2 * f <= MAXTAPS))
        return -1;
    *first = (int)f;
    *taps = a->mode == RSZ_NEAREST ? 1 : 2 - 2 * (int)f;
    return 0;
}

/* The nearest input index to coordinate v by nearest_mode, before clamping. */
static int64_t
nearest(NearestMode m, double v)
{
    double f = floor(v), t = v - f;
    if (t == 0)
        return (int64_t)f;
    switch (m) {
    case NM_ROUND_PREFER_FLOOR: return (int64_t)(t <= 0.5 ? f : f + 1);
    case NM_ROUND_PREFER_CEIL: return (int64_t)(t < 0.5 ? f : f + 1);
    case NM_FLOOR: return (int64_t)f;
    case NM_CEIL: return (int64_t)(f + 1);
    }
    return (int64_t)f;
}

/* Fills the taps of output index o of axis d. The base index is ceil(v) - 1, so the fraction t
 * lies in (0, 1], and tap k reads index base + first + k, at distance (first + k - t). */
static void
fill_taps(const ResizeAttr *a, const Scales *sc, int d, AxisMap *m, int64_t o, int first)
{
    double v = source_coord(a, sc, d, m->in, m->out, (double)o);
    int64_t *ix = m->idx + o * m->taps;
    float *w = m->w ? m->w + o * m->taps : NULL;
    if (m->outside)
        m->outside[o] = v < 0 || v > (double)(m->in - 1);
    if (!isfinite(v))
        v = 0;
    v = fmax(fmin(v, 1e15), -1e15); /* keeps the index arithmetic in range */
    if (a->mode == RSZ_NEAREST) {
        int64_t k = nearest(a->nearest, v);
        ix[0] = k < 0 ? 0 : k >= m->in ? m->in - 1 : k;
        return;
    }
    double base = ceil(v) - 1, t = v - base, sa = sc->s[d] < 1 ? sc->s[d] : 1, sum = 0;
    double wt[MAXTAPS];
    for (int k = 0; k < m->taps; k++) {
        double dist = first + k - t;
        if (!a->antialias && a->mode == RSZ_LINEAR)
            wt[k] = k == 0 ? 1 - t : t;
        else if (a->mode == RSZ_LINEAR)
            wt[k] = fmax(0, 1 - fabs(dist * sa));
        else
            wt[k] = cubic(a->antialias ? dist * sa : dist, a->cubic_a);
        int64_t at = (int64_t)base + first + k;
        if (a->exclude_outside && (at < 0 || at >= m->in))
            wt[k] = 0;
        sum += wt[k];
        ix[k] = at < 0 ? 0 : at >= m->in ? m->in - 1 : at;
    }
    int norm = (a->antialias || a->exclude_outside) && sum != 0;
    for (int k = 0; k < m->taps; k++)
        w[k] = (float)(norm ? wt[k] / sum : wt[k]);
}

/* Whether every output index o reads input index o with weight 1 and nothing else. */
static int
is_identity(const AxisMap *m)
{
    if (m->in != m->out)
        return 0;
    for (int64_t o = 0; o < m->out; o++) {
        if (m->outside && m->outside[o])
            return 0;
        double self = 0, other = 0;
        for (int k = 0; k < m->taps; k++) {
            double wk = m->w ? m->w[o * m->taps + k] : 1;
            if (m->idx[o * m->taps + k] == o)
                self += wk;
            else
                other += fabs(wk);
        }
        if (self != 1 || other != 0)
            return 0;
    }
    return 1;
}

/* ---- nearest: a direct gather ---------------------------------------------------------------- */

typedef struct Near {
    const RtTensor *x;
    RtTensor *y;
    const AxisMap *map;     /* one per dim */
    int64_t xs[RT_MAXRANK]; /* input byte strides */
    float extrap;
} Near;

static inline __attribute__((always_inline)) void
gather_loop(char *d, const char *s, const int64_t *tab, int64_t n, size_t size)
{
    for (int64_t j = 0; j < n; j++)
        memcpy(d + (size_t)j * size, s + (size_t)tab[j] * size, size);
}

/* d[j] = s[tab[j]] for n elements of es bytes, the element size a constant in each loop. */
static void
gather_row(char *d, const char *s, const int64_t *tab, int64_t n, size_t es)
{
    switch (es) {
    case 1: gather_loop(d, s, tab, n, 1); break;
    case 2: gather_loop(d, s, tab, n, 2); break;
    case 4: gather_loop(d, s, tab, n, 4); break;
    case 8: gather_loop(d, s, tab, n, 8); break;
    default: gather_loop(d, s, tab, n, es); break;
    }
}

/* Output rows [b, e), a row being the last dim. */
static void
near_rows(void *arg, int64_t b, int64_t e)
{
    const Near *p = arg;
    int l = p->y->rank - 1;
    const AxisMap *lm = &p->map[l];
    size_t es = rt_dtype_size(p->y->dt), rowb = (size_t)lm->out * es;
    const char *prev = NULL;
    for (int64_t row = b; row < e; row++) {
        char *d = (char *)p->y->data + (size_t)row * rowb;
        const char *s = p->x->data;
        int out = 0;
        int64_t rem = row;
        for (int i = l - 1; i >= 0; i--) {
            int64_t o = rem % p->y->dim[i];
            rem /= p->y->dim[i];
            s += p->map[i].idx[o] * p->xs[i];
            out |= p->map[i].outside && p->map[i].outside[o];
        }
        if (out) {
            cpu_fill_elems(d, &p->extrap, lm->out, es);
            prev = NULL;
            continue;
        }
        if (s == prev) { /* the same input row as the row before: repeat it */
            memcpy(d, d - rowb, rowb);
            continue;
        }
        gather_row(d, s, lm->idx, lm->out, es);
        for (int64_t j = 0; lm->outside && j < lm->out; j++)
            if (lm->outside[j])
                memcpy(d + (size_t)j * es, &p->extrap, es);
        prev = s;
    }
}

/* ---- linear and cubic: one pass per axis ----------------------------------------------------- */

typedef struct Pass {
    const float *src;
    float *dst;
    const AxisMap *m;
    int64_t inner; /* elements after the axis */
} Pass;

/* d = wa a + wb b over n floats. Blocks of 8 let GCC's -O2 vectoriser, which takes only loops
 * with no remainder, turn the body into vector code. */
static void
blend2(float *restrict d, const float *restrict a, const float *restrict b, float wa, float wb,
       int64_t n)
{
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++)
            d[j + k] = wa * a[j + k] + wb * b[j + k];
    for (; j < n; j++)
        d[j] = wa * a[j] + wb * b[j];
}

/* d = w s (add 0) or d += w s (add 1) over n floats, blocked as blend2. */
static void
axpy(float *restrict d, const float *restrict s, float w, int64_t n, int add)
{
    int64_t j = 0;
    if (!add) {
        for (; j + 8 <= n; j += 8)
            for (int k = 0; k < 8; k++)
                d[j + k] = w * s[j + k];
        for (; j < n; j++)
            d[j] = w * s[j];
        return;
    }
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; k++)
            d[j + k] += w * s[j + k];
    for (; j < n; j++)
        d[j] += w * s[j];
}

/* Items [b, e) are (outer index, output index) pairs; each writes inner elements. The items of
 * one outer index are done together, so that along the last axis (inner 1) the loop over output
 * indices is a tight gather. */
static void
pass_range(void *arg, int64_t b, int64_t e)
{
    const Pass *p = arg;
    const AxisMap *m = p->m;
    int64_t n = p->inner, oo = b / m->out, o0 = b % m->out;
    int taps = m->taps;
    for (int64_t it = b; it < e; oo++, o0 = 0) {
        int64_t cnt = m->out - o0 < e - it ? m->out - o0 : e - it;
        const float *s = p->src + oo * m->in * n, *w = m->w + o0 * taps;
        const int64_t *ix = m->idx + o0 * taps;
        float *d = p->dst + it * n;
        it += cnt;
        if (n == 1 && taps == 2) { /* linear and cubic along the last axis */
            for (int64_t o = 0; o < cnt; o++, w += 2, ix += 2)
                d[o] = w[0] * s[ix[0]] + w[1] * s[ix[1]];
            continue;
        }
        if (n == 1 && taps == 4) {
            for (int64_t o = 0; o < cnt; o++, w += 4, ix += 4)
                d[o] = w[0] * s[ix[0]] + w[1] * s[ix[1]] + w[2] * s[ix[2]] + w[3] * s[ix[3]];
            continue;
        }
        for (int64_t o = 0; o < cnt; o++, d += n, w += taps, ix += taps) {
            if (n == 1) {
                float acc = 0;
                for (int k = 0; k < taps; k++)
                    acc += w[k] * s[ix[k]];
                *d = acc;
            } else if (taps == 2) {
                blend2(d, s + ix[0] * n, s + ix[1] * n, w[0], w[1], n);
            } else {
                for (int k = 0; k < taps; k++)
                    axpy(d, s + ix[k] * n, w[k], n, k > 0);
            }
        }
    }
}

/* tf_crop_and_resize: output elements whose coordinate on any axis falls outside the input take
 * the extrapolation value. */
static void
extrapolate(RtTensor *y, const AxisMap *map, float v)
{
    int l = y->rank - 1;
    int64_t w = y->dim[l], rows = rt_numel(y) / w;
    float *d = y->data;
    for (int64_t row = 0; row < rows; row++, d += w) {
        int64_t rem = row;
        int out = 0;
        for (int i = l - 1; i >= 0; i--) {
            out |= map[i].outside[rem % y->dim[i]];
            rem /= y->dim[i];
        }
        for (int64_t j = 0; j < w; j++)
            if (out || map[l].outside[j])
                d[j] = v;
    }
}

/* Runs the passes of the non-identity axes from x into y through scratch slots 0 and 1. */
static int
interpolate(RtCtx *ctx, const RtTensor *x, RtTensor *y, const AxisMap *map)
{
    int r = x->rank, order[RT_MAXRANK], np = 0;
    int64_t cur[RT_MAXRANK];
    for (int d = r - 1; d >= 0; d--) { /* inner axes first among equal ratios: a stable sort */
        cur[d] = x->dim[d];
        if (map[d].identity)
            continue;
        int at = np++;
        double q = (double)map[d].out / (double)map[d].in;
        for (; at > 0 && (double)map[order[at - 1]].out / (double)map[order[at - 1]].in > q; at--)
            order[at] = order[at - 1];
        order[at] = d;
    }
    if (np == 0) {
        cpu_copy_bytes(ctx, y->data, x->data, (size_t)rt_numel(y) * sizeof(float));
        return RT_OK;
    }
    const float *src = x->data;
    for (int i = 0; i < np; i++) {
        int d = order[i];
        const AxisMap *m = &map[d];
        int64_t outer = 1, inner = 1;
        for (int k = 0; k < r; k++) {
            outer *= k < d ? cur[k] : 1;
            inner *= k > d ? cur[k] : 1;
        }
        cur[d] = m->out;
        float *dst = y->data;
        if (i < np - 1) {
            dst = rt_scratch(ctx, i % 2, (size_t)(outer * m->out * inner) * sizeof(float));
            if (!dst)
                return rt_fail(ctx, RT_ENOMEM, "Resize: no scratch memory");
        }
        Pass p = {.src = src, .dst = dst, .m = m, .inner = inner};
        int64_t per = inner * m->taps * (int64_t)sizeof(float);
        rt_parallel_for(ctx, outer * m->out, GRAIN_BYTES / per + 1, pass_range, &p);
        src = dst;
    }
    return RT_OK;
}

/* ---- the kernel ------------------------------------------------------------------------------ */

/* Reads the scales (input 2), sizes (input 3) and roi (input 1) into per-axis scales; an empty
 * input counts as absent. Without either, the scale is output / input size. */
static int
get_scales(RtCtx *ctx, const ResizeAttr *a, RtTensor *const *in, int nin, const RtTensor *y,
           Scales *sc)
{
    const RtTensor *x = in[0];
    int r = x->rank, na = a->axes.n ? a->axes.n : r, axes[RT_MAXRANK];
    const RtTensor *roi = cpu_absent(in, nin, 1) ? NULL : in[1];
    const RtTensor *scl = cpu_absent(in, nin, 2) ? NULL : in[2];
    const RtTensor *siz = cpu_absent(in, nin, 3) ? NULL : in[3];
    for (int d = 0; d < r; d++) {
        sc->s[d] = (double)y->dim[d] / (double)x->dim[d];
        sc->ow[d] = (double)y->dim[d];
        sc->r0[d] = 0;
        sc->r1[d] = 1;
    }
    if (na > r)
        return rt_fail(ctx, RT_EINPUT, "Resize: %d axes for rank %d", na, r);
    for (int i = 0; i < na; i++) {
        int64_t v = a->axes.n ? a->axes.v[i] : i;
        v = v < 0 ? v + r : v;
        if (v < 0 || v >= r)
            return rt_fail(ctx, RT_EINPUT, "Resize: axis %lld out of range", (long long)v);
        axes[i] = (int)v;
    }
    if ((scl && (scl->dt != DT_F32 || rt_numel(scl) != na)) ||
        (siz && (siz->dt != DT_I64 || rt_numel(siz) != na)))
        return rt_fail(ctx, RT_EINPUT, "Resize: scales must be %d float32, sizes %d int64", na, na);
    if (roi && a->coord == CT_TF_CROP_AND_RESIZE) {
        if ((roi->dt != DT_F32 && roi->dt != DT_F64) || rt_numel(roi) != 2 * na)
            return rt_fail(ctx, RT_EUNSUPPORTED, "Resize: roi must be %d float32/64", 2 * na);
        for (int i = 0; i < na; i++) {
            int f = roi->dt == DT_F32;
            sc->r0[axes[i]] = f ? ((const float *)roi->data)[i] : ((const double *)roi->data)[i];
            sc->r1[axes[i]] =
                f ? ((const float *)roi->data)[na + i] : ((const double *)roi->data)[na + i];
        }
    }
    double keep = a->policy == AR_NOT_LARGER ? INFINITY : 0; /* keep_aspect_ratio_policy */
    for (int i = 0; siz && a->policy != AR_STRETCH && i < na; i++) {
        double q = (double)((const int64_t *)siz->data)[i] / (double)x->dim[axes[i]];
        keep = a->policy == AR_NOT_LARGER ? fmin(keep, q) : fmax(keep, q);
    }
    for (int i = 0; i < na; i++) {
        int d = axes[i];
        if (scl) {
            float f = ((const float *)scl->data)[i];
            if (!(f > 0))
                return rt_fail(ctx, RT_EINPUT, "Resize: scale %g is not positive", (double)f);
            sc->s[d] = f;
            sc->ow[d] = (double)(f * (float)x->dim[d]); /* float32, as the reference */
        } else if (siz) {
            sc->s[d] = a->policy != AR_STRETCH
                           ? keep
                           : (double)((const int64_t *)siz->data)[i] / (double)x->dim[d];
            sc->ow[d] = sc->s[d] * (double)x->dim[d];
        }
    }
    return RT_OK;
}

int
cpu_resize(RtCtx *ctx, const Attr *at, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const ResizeAttr *a = &at->resize;
    const RtTensor *x = in[0];
    RtTensor *y = out[0];
    int r = x->rank, first[RT_MAXRANK], crop = a->coord == CT_TF_CROP_AND_RESIZE;
    AxisMap map[RT_MAXRANK];
    Scales sc;
    (void)nout;
    int rc = cpu_sized(ctx, "Resize", x);
    if (rc != RT_OK)
        return rc;
    if (rt_numel(y) == 0)
        return RT_OK;
    if (rt_numel(x) == 0 || y->rank != r)
        return rt_fail(ctx, RT_EINPUT, "Resize: empty input or a rank mismatch");
    if ((a->mode != RSZ_NEAREST || crop) && x->dt != DT_F32)
        return rt_fail(ctx, RT_EUNSUPPORTED, "Resize: this mode needs float32");
    if (r == 0) {
        cpu_copy_elem(y->data, x->data, rt_dtype_size(x->dt));
        return RT_OK;
    }
    rc = get_scales(ctx, a, in, nin, y, &sc);
    if (rc != RT_OK)
        return rc;
    size_t bytes = 0;
    for (int d = 0; d < r; d++) {
        map[d] = (AxisMap){.in = x->dim[d], .out = y->dim[d]};
        if (tap_span(a, sc.s[d], &first[d], &map[d].taps) < 0)
            return rt_fail(ctx, RT_EUNSUPPORTED, "Resize: antialias footprint too wide");
        size_t n = (size_t)(map[d].out * map[d].taps);
        bytes += n * sizeof(int64_t) + round8(n * sizeof(float)) + round8((size_t)map[d].out);
    }
    char *mem = rt_scratch(ctx, 2, bytes);
    if (!mem)
        return rt_fail(ctx, RT_ENOMEM, "Resize: no scratch memory");
    for (int d = 0; d < r; d++) { /* each table starts 8-byte aligned */
        AxisMap *m = &map[d];
        size_t n = (size_t)(m->out * m->taps);
        m->idx = (int64_t *)(void *)mem;
        mem += n * sizeof(int64_t);
        m->w = a->mode == RSZ_NEAREST ? NULL : (float *)(void *)mem;
        mem += round8(n * sizeof(float));
        m->outside = crop ? (unsigned char *)mem : NULL;
        mem += round8((size_t)m->out);
        for (int64_t o = 0; o < m->out; o++)
            fill_taps(a, &sc, d, m, o, first[d]);
        m->identity = is_identity(m);
    }
    if (a->mode == RSZ_NEAREST) {
        Near p = {.x = x, .y = y, .map = map, .extrap = a->extrapolation};
        cpu_strides(x, p.xs);
        int64_t w = y->dim[r - 1];
        rt_parallel_for(ctx, rt_numel(y) / w, GRAIN_BYTES / (w * (int64_t)rt_dtype_size(x->dt)) + 1,
                        near_rows, &p);
        return RT_OK;
    }
    rc = interpolate(ctx, x, y, map);
    if (rc == RT_OK && crop)
        extrapolate(y, map, a->extrapolation);
    return rc;
}
