/*
 * topk.c: the CPU kernel of TopK: along one axis, the K largest (or smallest) elements and their
 * int64 indices, for float32, float64 and the 8- to 64-bit integer types.
 *
 * The ranking is a strict total order: a value ranks before a smaller one (largest=1) or a larger
 * one (largest=0); equal values rank by the lower index, as ONNX Runtime and the spec's tests
 * have it; NaN counts as greater than every number (so it comes first when largest, last when
 * not), and NaNs among themselves by index. Each row keeps a heap of K indices whose root is the
 * one ranked last: a later element that ranks before the root replaces it (O(len log K) per
 * row), and the heap is finally sorted in place. The output is always sorted: with sorted=0 the
 * spec allows any order, and the sorted one is also ONNX Runtime's.
 *
 * The heap lives in the indices output itself, strided like the output's rows (or in scratch
 * when the indices are not wanted); rows are split across threads, each row whole on one.
 */
#include "rt_backend.h"

#include <math.h>
#include <string.h>

typedef struct TopK {
    const unsigned char *x;     /* the input, rows of len elements at stride inner */
    unsigned char *y;           /* the values output, rows of k at stride inner; NULL: none */
    int64_t *ind;               /* the indices (the heap), rows of k at stride hstride */
    DType dt;
    size_t esz;
    int64_t len, inner, k;
    int64_t hstride;            /* the heap's stride: inner (the output) or 1 (scratch) */
    int largest;
} TopK;

/* Whether element i of the row at x (stride s) is greater than element j: NaN above numbers. */
static int
greater(const TopK *p, const unsigned char *x, int64_t i, int64_t j)
{
    size_t s = (size_t)p->inner * p->esz;
    const unsigned char *a = x + (size_t)i * s, *b = x + (size_t)j * s;
    switch (p->dt) {
    case DT_F32: {
        float u, v;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        return u > v || (isnan(u) && !isnan(v));
    }
    case DT_F64: {
        double u, v;
        memcpy(&u, a, 8);
        memcpy(&v, b, 8);
        return u > v || (isnan(u) && !isnan(v));
    }
    case DT_I8: return *(const int8_t *)a > *(const int8_t *)b;
    case DT_U8: return *a > *b;
    case DT_I16: { int16_t u, v; memcpy(&u, a, 2); memcpy(&v, b, 2); return u > v; }
    case DT_U16: { uint16_t u, v; memcpy(&u, a, 2); memcpy(&v, b, 2); return u > v; }
    case DT_I32: { int32_t u, v; memcpy(&u, a, 4); memcpy(&v, b, 4); return u > v; }
    case DT_U32: { uint32_t u, v; memcpy(&u, a, 4); memcpy(&v, b, 4); return u > v; }
    case DT_I64: { int64_t u, v; memcpy(&u, a, 8); memcpy(&v, b, 8); return u > v; }
    case DT_U64: { uint64_t u, v; memcpy(&u, a, 8); memcpy(&v, b, 8); return u > v; }
    default: return 0;
    }
}

/* Whether element i ranks before element j (i != j): the strict order of the file comment. */
static int
before(const TopK *p, const unsigned char *x, int64_t i, int64_t j)
{
    int64_t a = p->largest ? i : j, b = p->largest ? j : i;
    if (greater(p, x, a, b))
        return 1;
    return !greater(p, x, b, a) && i < j;
}

/* Restores the heap h[0..n) (stride s, the last-ranked element at the root) below slot at. */
static void
sift_down(const TopK *p, const unsigned char *x, int64_t *h, int64_t s, int64_t at, int64_t n)
{
    int64_t v = h[at * s];
    for (;;) {
        int64_t c = 2 * at + 1;
        if (c >= n)
            break;
        /* the child ranked later of the two goes up */
        if (c + 1 < n && before(p, x, h[c * s], h[(c + 1) * s]))
            c++;
        if (!before(p, x, v, h[c * s]))
            break;
        h[at * s] = h[c * s];
        at = c;
    }
    h[at * s] = v;
}

/* One row: x its first element, h its heap (k slots at stride s), y its first value or NULL. */
static void
row(const TopK *p, const unsigned char *x, int64_t *h, int64_t s, unsigned char *y)
{
    int64_t k = p->k;
    for (int64_t i = 0; i < k; i++)
        h[i * s] = i;
    for (int64_t i = k / 2 - 1; i >= 0; i--)
        sift_down(p, x, h, s, i, k);
    for (int64_t i = k; i < p->len; i++)
        if (before(p, x, i, h[0])) {
            h[0] = i;
            sift_down(p, x, h, s, 0, k);
        }
    /* heap sort: the last-ranked goes to the end, and so on, leaving the best first */
    for (int64_t n = k - 1; n > 0; n--) {
        int64_t t = h[0];
        h[0] = h[n * s];
        h[n * s] = t;
        sift_down(p, x, h, s, 0, n);
    }
    if (!y)
        return;
    size_t xs = (size_t)p->inner * p->esz;
    for (int64_t i = 0; i < k; i++)
        memcpy(y + (size_t)i * xs, x + (size_t)h[i * s] * xs, p->esz);
}

/* Rows [b, e) of outer x inner. */
static void
rows_task(void *arg, int64_t b, int64_t e)
{
    const TopK *p = arg;
    for (int64_t r = b; r < e; r++) {
        int64_t o = r / p->inner, j = r % p->inner;
        const unsigned char *x = p->x + (size_t)(o * p->len * p->inner + j) * p->esz;
        unsigned char *y = p->y ? p->y + (size_t)(o * p->k * p->inner + j) * p->esz : NULL;
        int64_t *h = p->hstride == 1 ? p->ind + r * p->k : p->ind + o * p->k * p->inner + j;
        row(p, x, h, p->hstride, y);
    }
}

static int
dtype_ok(DType dt)
{
    switch (dt) {
    case DT_F32: case DT_F64: case DT_I8: case DT_U8: case DT_I16: case DT_U16: case DT_I32:
    case DT_U32: case DT_I64: case DT_U64:
        return 1;
    default:
        return 0;
    }
}

int
cpu_topk(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin;
    const RtTensor *x = in[0];
    RtTensor *val = nout > 0 ? out[0] : NULL, *ind = nout > 1 ? out[1] : NULL;
    const RtTensor *o = val ? val : ind;
    if (!o)
        return RT_OK;
    if (!dtype_ok(x->dt) || (val && val->dt != x->dt) || (ind && ind->dt != DT_I64))
        return rt_fail(ctx, RT_EUNSUPPORTED, "TopK: dtype %d", (int)x->dt);
    int r = x->rank;
    int64_t ax = a->axis.axis < 0 ? a->axis.axis + r : a->axis.axis;
    if (ax < 0 || ax >= r || o->rank != r)
        return rt_fail(ctx, RT_EUNSUPPORTED, "TopK: axis %lld of rank %d",
                       (long long)a->axis.axis, r);
    TopK p = {.x = x->data, .y = val ? val->data : NULL, .dt = x->dt,
              .esz = rt_dtype_size(x->dt), .len = x->dim[ax], .inner = 1, .k = o->dim[ax],
              .largest = a->axis.largest};
    int64_t outer = 1;
    for (int i = 0; i < r; i++) {
        if (i < ax)
            outer *= x->dim[i];
        else if (i > ax)
            p.inner *= x->dim[i];
    }
    if (p.k > p.len || p.k < 0)
        return rt_fail(ctx, RT_EUNSUPPORTED, "TopK: K %lld of %lld elements", (long long)p.k,
                       (long long)p.len);
    int64_t nrow = outer * p.inner;
    if (nrow == 0 || p.k == 0)
        return RT_OK;
    if (ind) {
        p.ind = ind->data;
        p.hstride = p.inner;
    } else {
        p.ind = rt_scratch(ctx, 0, (size_t)(nrow * p.k) * sizeof *p.ind);
        if (!p.ind)
            return rt_fail(ctx, RT_ENOMEM, "TopK: scratch of %lld indices",
                           (long long)(nrow * p.k));
        p.hstride = 1;
    }
    int64_t per = p.len + p.k * 8;  /* a row's work, roughly */
    rt_parallel_for(ctx, nrow, 1 + 32768 / per, rows_task, &p);
    return RT_OK;
}
