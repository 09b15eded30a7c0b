/*
 * gather.c: the CPU kernels that copy by computed indices rather than by one strided box:
 * Gather, GatherElements, Pad and Trilu. Like movement.c they copy elements as rt_dtype_size
 * bytes, so every fixed-size dtype works alike.
 *
 * Gather copies, for each outer index and each index value, one contiguous block (the dims after
 * the axis), so a channel gather on NCHW moves whole planes with memcpy. Index inputs are int32 or
 * int64, negative values count from the end, and all are checked before any copy (RT_EINPUT).
 * Pad works a row (the last dim) at a time: it maps each outer coordinate back into the input
 * (reflect, edge or wrap fold it; constant mode fills the whole row when it falls outside), then
 * writes the row as a left border, one memcpy of the input row and a right border. Negative pads
 * crop first; the borders then reflect, repeat or wrap the cropped input. Trilu copies the kept
 * part of each row and zeroes the rest (all-zero bytes are zero in every dtype).
 */
#include "move_impl.h"

enum { GRAIN_BYTES = 1 << 16 };

/* ---- Gather ---------------------------------------------------------------------------------- */

typedef struct Gath {
    const char *src;
    char *dst;
    const RtTensor *idx;
    int64_t nidx;  /* index values */
    int64_t axdim; /* the input's size on the axis */
    size_t block;  /* bytes after the axis */
    size_t es;
} Gath;

/* Items are (outer index, index value) pairs in output order. */
static void
gather_range(void *arg, int64_t b, int64_t e)
{
    const Gath *g = arg;
    for (int64_t it = b; it < e; it++) {
        int64_t o = it / g->nidx, k = cpu_index_at(g->idx, it % g->nidx);
        k = k < 0 ? k + g->axdim : k;
        const char *s = g->src + (size_t)(o * g->axdim + k) * g->block;
        char *d = g->dst + (size_t)it * g->block;
        if (g->block == g->es)
            cpu_copy_elem(d, s, g->es);
        else
            memcpy(d, s, g->block);
    }
}

/* Checks that every index of idx lies in [-dim, dim). */
static int
check_indices(RtCtx *ctx, const char *op, const RtTensor *idx, int64_t dim)
{
    if (!cpu_is_index(idx))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: indices must be int32 or int64", op);
    for (int64_t i = 0; i < rt_numel(idx); i++) {
        int64_t k = cpu_index_at(idx, i);
        if (k < -dim || k >= dim)
            return rt_fail(ctx, RT_EINPUT, "%s: index %lld out of range [%lld, %lld)", op,
                           (long long)k, (long long)-dim, (long long)dim);
    }
    return RT_OK;
}

int
cpu_gather(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0], *idx = in[1];
    RtTensor *y = out[0];
    int r = x->rank;
    int64_t ax = a->axis.axis < 0 ? a->axis.axis + r : a->axis.axis;
    (void)nin, (void)nout;
    int rc = cpu_sized(ctx, "Gather", x);
    if (rc != RT_OK)
        return rc;
    if (ax < 0 || ax >= r)
        return rt_fail(ctx, RT_EINPUT, "Gather: axis %lld out of range", (long long)a->axis.axis);
    rc = check_indices(ctx, "Gather", idx, x->dim[ax]);
    if (rc != RT_OK || rt_numel(y) == 0)
        return rc;
    Gath g = {.src = x->data,
              .dst = y->data,
              .idx = idx,
              .nidx = rt_numel(idx),
              .axdim = x->dim[ax],
              .es = rt_dtype_size(x->dt)};
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < r; i++) {
        outer *= i < ax ? x->dim[i] : 1;
        inner *= i > ax ? x->dim[i] : 1;
    }
    g.block = (size_t)inner * g.es;
    rt_parallel_for(ctx, outer * g.nidx, GRAIN_BYTES / (int64_t)g.block + 1, gather_range, &g);
    return RT_OK;
}

/* ---- GatherElements -------------------------------------------------------------------------- */

typedef struct GathElt {
    const RtTensor *x, *idx;
    RtTensor *y;
    int ax;
    int64_t xs[RT_MAXRANK]; /* the input's byte strides */
} GathElt;

/* y[m] = x[m with m[ax] replaced by idx[m]], over the output elements [b, e). */
static void
gatherelt_range(void *arg, int64_t b, int64_t e)
{
    const GathElt *g = arg;
    const RtTensor *y = g->y;
    size_t es = rt_dtype_size(y->dt);
    int r = y->rank;
    int64_t m[RT_MAXRANK], rem = b, base = 0; /* base: offset of m without the axis */
    for (int i = r - 1; i >= 0; i--) {
        m[i] = rem % y->dim[i];
        rem /= y->dim[i];
        base += i == g->ax ? 0 : m[i] * g->xs[i];
    }
    for (int64_t it = b; it < e; it++) {
        int64_t k = cpu_index_at(g->idx, it);
        k = k < 0 ? k + g->x->dim[g->ax] : k;
        cpu_copy_elem((char *)y->data + (size_t)it * es,
                      (const char *)g->x->data + base + k * g->xs[g->ax], es);
        for (int i = r - 1; i >= 0; i--) { /* next m */
            int64_t st = i == g->ax ? 0 : g->xs[i];
            if (++m[i] < y->dim[i]) {
                base += st;
                break;
            }
            base -= (m[i] - 1) * st;
            m[i] = 0;
        }
    }
}

int
cpu_gatherelements(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                   int nout)
{
    const RtTensor *x = in[0], *idx = in[1];
    int r = x->rank;
    int64_t ax = a->axis.axis < 0 ? a->axis.axis + r : a->axis.axis;
    (void)nin, (void)nout;
    int rc = cpu_sized(ctx, "GatherElements", x);
    if (rc != RT_OK)
        return rc;
    if (ax < 0 || ax >= r || idx->rank != r)
        return rt_fail(ctx, RT_EINPUT, "GatherElements: bad axis or index rank");
    rc = check_indices(ctx, "GatherElements", idx, x->dim[ax]);
    if (rc != RT_OK || rt_numel(out[0]) == 0)
        return rc;
    GathElt g = {.x = x, .idx = idx, .y = out[0], .ax = (int)ax};
    rt_shape_strides(&x->shape, g.xs);
    rt_parallel_for(ctx, rt_numel(out[0]), GRAIN_BYTES / (int64_t)rt_dtype_size(x->dt) + 1,
                    gatherelt_range, &g);
    return RT_OK;
}

/* ---- Pad ------------------------------------------------------------------------------------- */

typedef struct PadJob {
    const RtTensor *x;
    RtTensor *y;
    PadMode mode;
    int r;                    /* rank, at least 1 */
    int64_t lead[RT_MAXRANK]; /* output index of the first kept input element */
    int64_t crop[RT_MAXRANK]; /* input index of the first kept element */
    int64_t keep[RT_MAXRANK]; /* input elements kept after cropping, >= 0 */
    int64_t xs[RT_MAXRANK];   /* input byte strides */
    const char *val;          /* the constant, one element */
    size_t es;
} PadJob;

/* The input index that output index o on axis ax reads, or -1 for the constant. */
static int64_t
pad_map(const PadJob *p, int ax, int64_t o)
{
    int64_t i = o - p->lead[ax], m = p->keep[ax], per = 2 * (m - 1);
    if (i >= 0 && i < m)
        return p->crop[ax] + i;
    switch (p->mode) {
    case PADM_CONSTANT: return -1;
    case PADM_EDGE: i = i < 0 ? 0 : m - 1; break;
    case PADM_REFLECT: /* a triangle wave of period 2(m - 1), the edges not repeated */
        i = per == 0 ? 0 : (i % per + per) % per;
        i = i >= m ? per - i : i;
        break;
    case PADM_WRAP: i = (i % m + m) % m; break;
    }
    return p->crop[ax] + i;
}

/* Output rows [b, e): the last dim at every index of the others. */
static void
pad_rows(void *arg, int64_t b, int64_t e)
{
    const PadJob *p = arg;
    int r = p->r, l = r - 1;
    int64_t w = p->y->dim[l], es = (int64_t)p->es;
    int64_t left = p->lead[l] < w ? p->lead[l] : w;
    int64_t mid = p->keep[l] < w - left ? p->keep[l] : w - left;
    for (int64_t row = b; row < e; row++) {
        char *d = (char *)p->y->data + row * w * es;
        const char *s = p->x->data;
        int64_t rem = row;
        for (int i = l - 1; i >= 0 && s; i--) {
            int64_t k = pad_map(p, i, rem % p->y->dim[i]);
            rem /= p->y->dim[i];
            s = k < 0 ? NULL : s + k * p->xs[i];
        }
        if (!s) { /* constant mode, outside the input */
            cpu_fill_elems(d, p->val, w, p->es);
            continue;
        }
        if (mid > 0)
            memcpy(d + left * es, s + p->crop[l] * es, (size_t)(mid * es));
        if (p->mode == PADM_CONSTANT) {
            cpu_fill_elems(d, p->val, left, p->es);
            cpu_fill_elems(d + (left + mid) * es, p->val, w - left - mid, p->es);
            continue;
        }
        for (int side = 0; side < 2; side++) { /* the borders [0, left) and [left + mid, w) */
            for (int64_t j = side ? left + mid : 0; j < (side ? w : left); j++) {
                int64_t k = pad_map(p, l, j);
                cpu_copy_elem(d + j * es, k < 0 ? p->val : s + k * es, p->es);
            }
        }
    }
}

/* Pad: inputs data, pads (begins then ends, for every axis or for those of input 3), optional
 * constant value (default zero), optional axes. */
int
cpu_pad(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0], *pads = in[1];
    const RtTensor *axes = cpu_absent(in, nin, 3) ? NULL : in[3];
    RtTensor *y = out[0];
    int r = x->rank, na = axes ? (int)rt_numel(axes) : r;
    int64_t pb[RT_MAXRANK] = {0}, pe[RT_MAXRANK] = {0};
    unsigned char zero[16] = {0};
    (void)nout;
    int rc = cpu_sized(ctx, "Pad", x);
    if (rc != RT_OK)
        return rc;
    PadJob p = {.x = x,
                .y = y,
                .mode = a->pad.mode,
                .r = r,
                .val = (const char *)zero,
                .es = rt_dtype_size(x->dt)};
    if (!cpu_is_index(pads) || (axes && !cpu_is_index(axes)))
        return rt_fail(ctx, RT_EUNSUPPORTED, "Pad: pads and axes must be int32 or int64");
    if (rt_numel(pads) != 2 * na || na > r)
        return rt_fail(ctx, RT_EINPUT, "Pad: %lld pads for %d axes", (long long)rt_numel(pads), na);
    if (!cpu_absent(in, nin, 2)) {
        if (in[2]->dt != x->dt)
            return rt_fail(ctx, RT_EINPUT, "Pad: the constant's dtype differs from the data's");
        p.val = in[2]->data;
    }
    for (int i = 0; i < na; i++) {
        int64_t ax = axes ? cpu_index_at(axes, i) : i;
        ax = ax < 0 ? ax + r : ax;
        if (ax < 0 || ax >= r)
            return rt_fail(ctx, RT_EINPUT, "Pad: axis %lld out of range", (long long)ax);
        pb[ax] = cpu_index_at(pads, i);
        pe[ax] = cpu_index_at(pads, i + na);
    }
    if (rt_numel(y) == 0)
        return RT_OK;
    if (r == 0) {
        cpu_copy_elem(y->data, x->data, p.es);
        return RT_OK;
    }
    rt_shape_strides(&x->shape, p.xs);
    for (int i = 0; i < r; i++) {
        p.lead[i] = pb[i] > 0 ? pb[i] : 0;
        p.crop[i] = pb[i] < 0 ? -pb[i] : 0;
        p.keep[i] = x->dim[i] - p.crop[i] - (pe[i] < 0 ? -pe[i] : 0);
        p.keep[i] = p.keep[i] > 0 ? p.keep[i] : 0;
        if (p.keep[i] == 0 && p.mode != PADM_CONSTANT)
            return rt_fail(ctx, RT_EINPUT, "Pad: nothing of axis %d is left to pad from", i);
    }
    int64_t w = y->dim[r - 1];
    rt_parallel_for(ctx, rt_numel(y) / w, GRAIN_BYTES / (w * (int64_t)p.es) + 1, pad_rows, &p);
    return RT_OK;
}

/* ---- Trilu ----------------------------------------------------------------------------------- */

typedef struct TriJob {
    const RtTensor *x;
    RtTensor *y;
    int64_t k; /* diagonal offset, clamped to the matrix */
    int upper;
} TriJob;

/* Rows [b, e) of the stacked matrices: upper keeps columns j >= i + k, lower j <= i + k. */
static void
trilu_rows(void *arg, int64_t b, int64_t e)
{
    const TriJob *t = arg;
    int r = t->x->rank;
    int64_t n = t->x->dim[r - 2], m = t->x->dim[r - 1], es = (int64_t)rt_dtype_size(t->x->dt);
    for (int64_t row = b; row < e; row++) {
        const char *s = (const char *)t->x->data + row * m * es;
        char *d = (char *)t->y->data + row * m * es;
        int64_t c = row % n + t->k + !t->upper; /* the first column of the upper part */
        c = c < 0 ? 0 : c > m ? m : c;
        int64_t lo = t->upper ? c : 0, hi = t->upper ? m : c; /* kept columns */
        memset(d, 0, (size_t)(lo * es));
        memcpy(d + lo * es, s + lo * es, (size_t)((hi - lo) * es));
        memset(d + hi * es, 0, (size_t)((m - hi) * es));
    }
}

int
cpu_trilu(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0];
    TriJob t = {.x = x, .y = out[0], .upper = a->mode.mode != 0};
    (void)nout;
    int rc = cpu_sized(ctx, "Trilu", x);
    if (rc != RT_OK)
        return rc;
    if (x->rank < 2)
        return rt_fail(ctx, RT_EINPUT, "Trilu: rank %d is below 2", x->rank);
    if (!cpu_absent(in, nin, 1)) {
        if (!cpu_is_index(in[1]))
            return rt_fail(ctx, RT_EUNSUPPORTED, "Trilu: k must be int64");
        t.k = cpu_index_at(in[1], 0);
    }
    int64_t n = x->dim[x->rank - 2], m = x->dim[x->rank - 1];
    if (rt_numel(x) == 0)
        return RT_OK;
    t.k = t.k < -n - 1 ? -n - 1 : t.k > m + 1 ? m + 1 : t.k; /* no overflow in i + k */
    rt_parallel_for(ctx, rt_numel(x) / m, GRAIN_BYTES / (m * (int64_t)rt_dtype_size(x->dt)) + 1,
                    trilu_rows, &t);
    return RT_OK;
}
