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
#include "resize_geom.h"

#include <math.h>

enum {
    GRAIN_BYTES = 1 << 16, /* the least work worth a thread of its own */
};

static size_t
round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
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
    int r = x->rank, na, axes[RT_MAXRANK];
    const RtTensor *roi = cpu_absent(in, nin, 1) ? NULL : in[1];
    const RtTensor *scl = cpu_absent(in, nin, 2) ? NULL : in[2];
    const RtTensor *siz = cpu_absent(in, nin, 3) ? NULL : in[3];
    rsz_default(sc, r, x->dim, y->dim);
    int rc = rsz_axes(ctx, a, r, axes, &na);
    if (rc != RT_OK)
        return rc;
    if ((scl && (scl->dt != DT_F32 || rt_numel(scl) != na)) ||
        (siz && (siz->dt != DT_I64 || rt_numel(siz) != na)))
        return rt_fail(ctx, RT_EINPUT, "Resize: scales must be %d float32, sizes %d int64", na, na);
    if (roi && a->coord != CT_TF_CROP_AND_RESIZE)
        roi = NULL;
    if (roi && ((roi->dt != DT_F32 && roi->dt != DT_F64) || rt_numel(roi) != 2 * na))
        return rt_fail(ctx, RT_EUNSUPPORTED, "Resize: roi must be %d float32/64", 2 * na);
    return rsz_apply(ctx, a, x->dim, axes, na, scl ? scl->data : NULL, siz ? siz->data : NULL,
                     roi ? roi->data : NULL, roi && roi->dt == DT_F32, sc);
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
        rt_shape_strides(&x->shape, p.xs);
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
