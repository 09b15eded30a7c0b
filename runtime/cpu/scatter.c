/*
 * scatter.c: the CPU kernels that write by computed indices, and GatherND, which reads by the
 * same kind of index tuples: ScatterElements (and Scatter, its older name), ScatterND, GatherND.
 * Like gather.c they move elements as rt_dtype_size bytes, so every fixed-size dtype works; the
 * reductions (add, mul, max, min) compute on the element's value (elt_impl.h): floats in double,
 * rounded once to the dtype (float16 and bfloat16 through float32), integers in int64 wrapped to
 * their width, bool as or (add, max) and and (mul, min).
 *
 * Every index is checked before anything is written: one out of range is RT_EINPUT. Updates
 * that land on the same element are applied in the order of the indices, as ONNX Runtime does
 * (the spec leaves that order open for reduction none), whatever the threads: ScatterElements
 * splits the work by fibres along the axis (two updates of one element lie in one fibre, and a
 * fibre is walked in order), ScatterND by the elements of a slice (every index tuple is walked
 * in order for each), so runs on any number of threads give the same bytes.
 */
#include "elt_impl.h"
#include "move_impl.h"

enum { GRAIN_BYTES = 1 << 16 };

/* y[yi] = y[yi] combined with u[ui] by red (not SCR_NONE); y and u share a numeric dtype. */
static void
combine(RtTensor *y, int64_t yi, const RtTensor *u, int64_t ui, ScatterRed red)
{
    if (is_float(y->dt)) {
        double a = load_f(y, yi), b = load_f(u, ui);
        switch (red) {
        case SCR_ADD: a += b; break; /* exact in double for two float32s: rounded once */
        case SCR_MUL: a *= b; break;
        case SCR_MAX: a = a > b ? a : b; break;
        default: a = a < b ? a : b; break;
        }
        store_f(y, yi, a);
        return;
    }
    int64_t a = load_i(y, yi), b = load_i(u, ui);
    int gt = y->dt == DT_U64 ? (uint64_t)a > (uint64_t)b : a > b;
    int lt = y->dt == DT_U64 ? (uint64_t)a < (uint64_t)b : a < b;
    switch (red) {
    case SCR_ADD: a = wrap((uint64_t)a + (uint64_t)b); break; /* store_i wraps to the width */
    case SCR_MUL: a = wrap((uint64_t)a * (uint64_t)b); break;
    case SCR_MAX: a = gt ? a : b; break;
    default: a = lt ? a : b; break;
    }
    store_i(y, yi, a);
}

/* combine over n elements from y[yo] and u[uo]: float32 in a loop of its own (gcc vectorises
 * it; a float sum or product rounds as the double one does), the other dtypes one by one. */
static void
combine_run(RtTensor *y, int64_t yo, const RtTensor *u, int64_t uo, int64_t n, ScatterRed red)
{
    if (y->dt != DT_F32) {
        for (int64_t j = 0; j < n; j++)
            combine(y, yo + j, u, uo + j, red);
        return;
    }
    float *a = (float *)y->data + yo;
    const float *b = (const float *)u->data + uo;
    switch (red) {
    case SCR_ADD:
        for (int64_t j = 0; j < n; j++)
            a[j] += b[j];
        break;
    case SCR_MUL:
        for (int64_t j = 0; j < n; j++)
            a[j] *= b[j];
        break;
    case SCR_MAX:
        for (int64_t j = 0; j < n; j++)
            a[j] = a[j] > b[j] ? a[j] : b[j];
        break;
    default:
        for (int64_t j = 0; j < n; j++)
            a[j] = a[j] < b[j] ? a[j] : b[j];
        break;
    }
}

/* What every kernel here checks first: a movable dtype, int32 or int64 indices, the updates
 * (when given) and the output of the data's dtype, and a reduction only on a numeric dtype. */
static int
check_types(RtCtx *ctx, const char *op, const RtTensor *x, const RtTensor *idx, const RtTensor *u,
            const RtTensor *y, ScatterRed red)
{
    int rc = cpu_sized(ctx, op, x);
    if (rc != RT_OK)
        return rc;
    if (!cpu_is_index(idx))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: indices must be int32 or int64", op);
    if ((u && u->dt != x->dt) || y->dt != x->dt)
        return rt_fail(ctx, RT_EINPUT, "%s: the dtypes of data, updates and output differ", op);
    if (red != SCR_NONE && !numeric(x->dt))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d has no arithmetic for the reduction", op,
                       (int)x->dt);
    if ((unsigned)red > SCR_MIN)
        return rt_fail(ctx, RT_EINPUT, "%s: unknown reduction %d", op, (int)red);
    return RT_OK;
}

/* Checks index tuples of k components (idx's last dim, or 1 with k == 1 for a flat list):
 * component j of each lies in [-dims[j], dims[j]). */
static int
check_tuples(RtCtx *ctx, const char *op, const RtTensor *idx, const int64_t *dims, int64_t k)
{
    int64_t n = rt_numel(idx);
    for (int64_t i = 0; k > 0 && i < n; i++) {
        int64_t v = cpu_index_at(idx, i), dim = dims[i % k];
        if (v < -dim || v >= dim)
            return rt_fail(ctx, RT_EINPUT, "%s: index %lld out of range [%lld, %lld)", op,
                           (long long)v, (long long)-dim, (long long)dim);
    }
    return RT_OK;
}

/* The element offset of index tuple t (components idx[t*k .. t*k+k), already checked) in data
 * whose dims from the tuple's first on are dims and whose slice below them has slice elements. */
static int64_t
tuple_offset(const RtTensor *idx, int64_t t, const int64_t *dims, int64_t k, int64_t slice)
{
    int64_t off = 0;
    for (int64_t j = 0; j < k; j++) {
        int64_t v = cpu_index_at(idx, t * k + j);
        off = off * dims[j] + (v < 0 ? v + dims[j] : v);
    }
    return off * slice;
}

/* y = x, the scatters' starting point (nothing when the plan gave them one buffer). */
static void
copy_data(RtCtx *ctx, RtTensor *y, const RtTensor *x)
{
    size_t n = (size_t)rt_numel(x) * rt_dtype_size(x->dt);
    if (n > 0 && y->data != x->data)
        cpu_copy_bytes(ctx, y->data, x->data, n);
}

/* ---- ScatterElements ------------------------------------------------------------------------- */

typedef struct ScatElt {
    RtTensor *y;
    const RtTensor *idx, *u;
    int ax;
    ScatterRed red;
    int64_t ys[RT_MAXRANK]; /* the output's element strides */
    int64_t is[RT_MAXRANK]; /* the indices' (and updates') element strides */
} ScatElt;

/* Fibres [b, e) of the indices along the axis: fibre f is the indices' elements with one
 * coordinate on every other axis, walked in order along the axis. */
static void
scatelt_fibres(void *arg, int64_t b, int64_t e)
{
    const ScatElt *s = arg;
    const RtTensor *idx = s->idx;
    int r = idx->rank, ax = s->ax;
    int64_t len = idx->dim[ax], axdim = s->y->dim[ax];
    size_t es = rt_dtype_size(s->y->dt);
    for (int64_t f = b; f < e; f++) {
        int64_t rem = f, yb = 0, ib = 0; /* the fibre's first element in y and in idx */
        for (int i = r - 1; i >= 0; i--) {
            if (i == ax)
                continue;
            int64_t c = rem % idx->dim[i];
            rem /= idx->dim[i];
            yb += c * s->ys[i];
            ib += c * s->is[i];
        }
        for (int64_t t = 0; t < len; t++) {
            int64_t ii = ib + t * s->is[ax], k = cpu_index_at(idx, ii);
            int64_t yi = yb + (k < 0 ? k + axdim : k) * s->ys[ax];
            if (s->red == SCR_NONE)
                cpu_copy_elem((char *)s->y->data + (size_t)yi * es,
                              (const char *)s->u->data + (size_t)ii * es, es);
            else
                combine_run(s->y, yi, s->u, ii, 1, s->red);
        }
    }
}

/* ScatterElements: data, indices, updates (the indices' shape); y = data, then for each index
 * position m, y[m with m[axis] = indices[m]] (combined with) updates[m]. */
int
cpu_scatterelements(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                    int nout)
{
    const RtTensor *x = in[0], *idx = in[1], *u = in[2];
    RtTensor *y = out[0];
    int r = x->rank;
    int64_t ax = a->axis.axis < 0 ? a->axis.axis + r : a->axis.axis;
    (void)nin, (void)nout;
    int rc = check_types(ctx, "ScatterElements", x, idx, u, y, a->axis.reduction);
    if (rc != RT_OK)
        return rc;
    if (!rt_scatterelt_fits(&x->shape, &idx->shape, &u->shape, &y->shape, ax))
        return rt_fail(ctx, RT_EINPUT, "ScatterElements: the axis or the shapes do not fit");
    rc = check_tuples(ctx, "ScatterElements", idx, &x->dim[ax], 1);
    if (rc != RT_OK)
        return rc;
    copy_data(ctx, y, x);
    if (rt_numel(idx) == 0)
        return RT_OK;
    ScatElt s = {.y = y, .idx = idx, .u = u, .ax = (int)ax, .red = a->axis.reduction};
    rt_dims_strides(r, y->dim, 1, s.ys);
    rt_dims_strides(r, idx->dim, 1, s.is);
    int64_t len = idx->dim[ax];
    rt_parallel_for(ctx, rt_numel(idx) / len,
                    GRAIN_BYTES / (len * (int64_t)rt_dtype_size(x->dt)) + 1, scatelt_fibres, &s);
    return RT_OK;
}

/* ---- ScatterND ------------------------------------------------------------------------------- */

typedef struct ScatNd {
    RtTensor *y;
    const RtTensor *idx, *u;
    int64_t k;     /* components per index tuple */
    int64_t ntup;  /* index tuples */
    int64_t slice; /* elements of the data below the tuple's dims */
    ScatterRed red;
} ScatNd;

/* Elements [b, e) of every slice: each tuple in order writes its update's part of them. */
static void
scatnd_part(void *arg, int64_t b, int64_t e)
{
    const ScatNd *s = arg;
    size_t es = rt_dtype_size(s->y->dt);
    for (int64_t t = 0; t < s->ntup; t++) {
        int64_t yo = tuple_offset(s->idx, t, s->y->dim, s->k, s->slice), uo = t * s->slice;
        if (s->red == SCR_NONE) {
            memcpy((char *)s->y->data + (size_t)(yo + b) * es,
                   (const char *)s->u->data + (size_t)(uo + b) * es, (size_t)(e - b) * es);
            continue;
        }
        combine_run(s->y, yo + b, s->u, uo + b, e - b, s->red);
    }
}

/* ScatterND: data, indices [..., k], updates (indices.shape[:-1] + data.shape[k:]); y = data,
 * then each index tuple's slice of y (combined with) that tuple's slice of the updates. */
int
cpu_scatternd(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
              int nout)
{
    const RtTensor *x = in[0], *idx = in[1], *u = in[2];
    RtTensor *y = out[0];
    int r = x->rank, q = idx->rank;
    (void)nin, (void)nout;
    int rc = check_types(ctx, "ScatterND", x, idx, u, y, a->axis.reduction);
    if (rc != RT_OK)
        return rc;
    if (!rt_scatternd_fits(&x->shape, &idx->shape, &u->shape, &y->shape))
        return rt_fail(ctx, RT_EINPUT,
                       "ScatterND: the shapes of data, indices and updates do not fit");
    int64_t k = idx->dim[q - 1];
    rc = check_tuples(ctx, "ScatterND", idx, x->dim, k);
    if (rc != RT_OK)
        return rc;
    copy_data(ctx, y, x);
    ScatNd s = {
        .y = y, .idx = idx, .u = u, .k = k, .ntup = 1, .slice = 1, .red = a->axis.reduction};
    for (int i = 0; i < q - 1; i++)
        s.ntup *= idx->dim[i];
    for (int64_t i = k; i < r; i++)
        s.slice *= x->dim[i];
    if (s.ntup == 0 || s.slice == 0)
        return RT_OK;
    int64_t work = s.ntup * (int64_t)rt_dtype_size(x->dt) * (s.red == SCR_NONE ? 1 : 8);
    rt_parallel_for(ctx, s.slice, GRAIN_BYTES / work + 1, scatnd_part, &s);
    return RT_OK;
}

/* ---- GatherND -------------------------------------------------------------------------------- */

typedef struct GathNd {
    const RtTensor *x, *idx;
    RtTensor *y;
    int64_t bd;    /* batch_dims */
    int64_t k;     /* components per index tuple */
    int64_t per;   /* index tuples per batch */
    int64_t xbat;  /* elements of one batch of the data */
    int64_t slice; /* elements each tuple copies */
} GathNd;

/* Output slices [b, e): slice t copies from batch t / per the slice its tuple picks. */
static void
gathernd_slices(void *arg, int64_t b, int64_t e)
{
    const GathNd *g = arg;
    size_t es = rt_dtype_size(g->x->dt), bytes = (size_t)g->slice * es;
    for (int64_t t = b; t < e; t++) {
        int64_t off =
            t / g->per * g->xbat + tuple_offset(g->idx, t, g->x->dim + g->bd, g->k, g->slice);
        memcpy((char *)g->y->data + (size_t)t * bytes, (const char *)g->x->data + (size_t)off * es,
               bytes);
    }
}

/* GatherND: data, indices [..., k]; the output is indices.shape[:-1] + data.shape[b + k:] for
 * b = batch_dims (ModeAttr.mode) leading dims that data and indices share. */
int
cpu_gathernd(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
             int nout)
{
    const RtTensor *x = in[0], *idx = in[1];
    RtTensor *y = out[0];
    int r = x->rank, q = idx->rank;
    int64_t bd = a->mode.mode;
    (void)nin, (void)nout;
    int rc = check_types(ctx, "GatherND", x, idx, NULL, y, SCR_NONE);
    if (rc != RT_OK)
        return rc;
    if (!rt_gathernd_fits(&x->shape, &idx->shape, &y->shape, bd))
        return rt_fail(ctx, RT_EINPUT,
                       "GatherND: data, indices and output do not fit batch_dims %lld",
                       (long long)bd);
    int64_t k = idx->dim[q - 1];
    rc = check_tuples(ctx, "GatherND", idx, x->dim + bd, k);
    if (rc != RT_OK || rt_numel(y) == 0)
        return rc;
    GathNd g = {.x = x, .idx = idx, .y = y, .bd = bd, .k = k, .per = 1, .xbat = 1, .slice = 1};
    for (int i = (int)bd; i < q - 1; i++)
        g.per *= idx->dim[i];
    for (int i = (int)bd; i < r; i++)
        g.xbat *= x->dim[i];
    for (int64_t i = bd + k; i < r; i++)
        g.slice *= x->dim[i];
    int64_t n = rt_numel(idx) / k;
    rt_parallel_for(ctx, n, GRAIN_BYTES / (g.slice * (int64_t)rt_dtype_size(x->dt)) + 1,
                    gathernd_slices, &g);
    return RT_OK;
}
