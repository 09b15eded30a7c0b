/*
 * shape.h: tensor geometry written once for every backend, on RtShape (rt.h), which RtTensor and
 * OclTensor both carry as `shape`: dense strides, broadcasting aligned to the right, and the
 * strided box that the data-movement kernels of runtime/cpu and runtime/opencl reduce to.
 *
 * A box is an output region walked in C order with a byte stride per dim on each side
 * (destination and source): Transpose permutes the source strides, Slice scales them by the
 * steps, Expand gives broadcast dims stride 0, Tile splits each axis into (repeat, input dim),
 * Concat and Split walk one part inside the whole. rt_box_simplify then drops size-1 dims and
 * merges dims that both sides walk contiguously. Each backend keeps only the copying: where the
 * box's element 0 lies (a pointer, or a buffer and an offset) and how the runs are moved.
 */
#pragma once

#include "rt.h"

#include <string.h>

/* Tile's box has two dims per axis; one more splits an element into smaller units (OpenCL). */
enum { RT_BOX_MAXRANK = 2 * RT_MAXRANK + 1 };

typedef struct RtBox {
    int rank;                           /* 0 .. RT_BOX_MAXRANK */
    int64_t dim[RT_BOX_MAXRANK];
    int64_t ds[RT_BOX_MAXRANK];         /* destination stride of each dim, in bytes */
    int64_t ss[RT_BOX_MAXRANK];         /* source stride, in bytes; 0 repeats, negative reverses */
    int64_t es;                         /* the element size in bytes (or the unit moved) */
} RtBox;

/* The members of RtBox, also reachable as one RtBox named `box` (as RT_SHAPE_MEMBERS). */
#define RT_BOX_MEMBERS                                                                             \
    union {                                                                                        \
        RtBox box;                                                                                 \
        struct {                                                                                   \
            int rank;                                                                              \
            int64_t dim[RT_BOX_MAXRANK];                                                           \
            int64_t ds[RT_BOX_MAXRANK];                                                            \
            int64_t ss[RT_BOX_MAXRANK];                                                            \
            int64_t es;                                                                            \
        };                                                                                         \
    }

/* ---- shapes ---------------------------------------------------------------------------------- */

/* The product of dim[lo .. hi). */
static inline int64_t
rt_dims_prod(const int64_t *dim, int lo, int hi)
{
    int64_t p = 1;
    for (int i = lo; i < hi; i++)
        p *= dim[i];
    return p;
}

/* The C-order strides st[0 .. rank) of dims dim, for elements of es bytes (es 1: in elements). */
static inline void
rt_dims_strides(int rank, const int64_t *dim, int64_t es, int64_t *st)
{
    for (int i = rank - 1; i >= 0; i--) {
        st[i] = es;
        es *= dim[i];
    }
}

/* The C-order byte strides of s. */
static inline void
rt_shape_strides(const RtShape *s, int64_t *st)
{
    rt_dims_strides(s->rank, s->dim, (int64_t)rt_dtype_size(s->dt), st);
}

/* 1 when t's dims, aligned to the right of the r dims d, are each 1 or equal to d's. */
static inline int
rt_shape_bcast_ok(const RtShape *t, const int64_t *d, int r)
{
    if (t->rank > r)
        return 0;
    for (int i = 0; i < t->rank; i++) {
        int64_t td = t->dim[i], want = d[r - t->rank + i];
        if (td != 1 && td != want)
            return 0;
    }
    return 1;
}

/* The strides st[0 .. r) with which the first tr dims of t are read when aligned to the right of
 * r dims, in units of `unit` (the size of what the last dim steps over): 0 where t has no dim
 * or a dim of 1. */
static inline void
rt_shape_bcast_strides(const RtShape *t, int tr, int r, int64_t unit, int64_t *st)
{
    for (int i = r - 1; i >= 0; i--) {
        int j = i - (r - tr);
        int64_t dim = j >= 0 ? t->dim[j] : 1;
        st[i] = dim == 1 ? 0 : unit;
        unit *= dim;
    }
}

/* MatMul: the strides of t's batch dims (its dims but the last two) aligned to the right of the
 * nb batch dims of the output, 0 where t has no dim or a dim of 1; mat: one matrix's elements. */
static inline void
rt_shape_batch_strides(const RtShape *t, int nb, int64_t mat, int64_t *st)
{
    rt_shape_bcast_strides(t, t->rank >= 2 ? t->rank - 2 : 0, nb, mat, st);
}

/* Slice's resolution of one (start, axis, step) entry on an input of shape x with byte strides
 * xs: a negative axis or start counts from the end, then the start clamps to [0, dim] for a
 * positive step and to [0, dim - 1] for a negative one. Sets step[axis] and adds the start's
 * bytes to *off; -1 for an axis out of range or a zero step. Ends are not needed: the output's
 * shape gives the counts. */
static inline int
rt_slice_axis(const RtShape *x, const int64_t *xs, int64_t ax, int64_t s, int64_t p,
              int64_t *step, int64_t *off)
{
    int r = x->rank;
    ax = ax < 0 ? ax + r : ax;
    if (ax < 0 || ax >= r || p == 0)
        return -1;
    int64_t dim = x->dim[ax];
    s = s < 0 ? s + dim : s;
    int64_t hi = p > 0 ? dim : dim - 1;
    s = s < 0 ? 0 : s > hi ? hi : s;
    step[ax] = p;
    *off += s * xs[ax];
    return 0;
}

/* ---- boxes ----------------------------------------------------------------------------------- */

/* Drops size-1 dims and merges each dim into the one outside it when both sides step over it
 * contiguously; leaves at least one dim. */
static inline void
rt_box_simplify(RtBox *w)
{
    int r = 0;
    for (int i = 0; i < w->rank; i++) {
        if (w->dim[i] == 1)
            continue;
        if (r > 0 && w->ds[r - 1] == w->ds[i] * w->dim[i] && w->ss[r - 1] == w->ss[i] * w->dim[i]) {
            w->dim[r - 1] *= w->dim[i];
            w->ds[r - 1] = w->ds[i];
            w->ss[r - 1] = w->ss[i];
            continue;
        }
        w->dim[r] = w->dim[i];
        w->ds[r] = w->ds[i];
        w->ss[r] = w->ss[i];
        r++;
    }
    if (r == 0) {
        w->dim[0] = 1;
        w->ds[0] = w->ss[0] = w->es;
        r = 1;
    }
    w->rank = r;
}

/* The dims of y over a source read with byte strides ss (y dense on the destination side). */
static inline void
rt_box_over(RtBox *w, const RtShape *y, const int64_t *ss)
{
    w->rank = y->rank;
    for (int i = 0; i < y->rank; i++) {
        w->dim[i] = y->dim[i];
        w->ss[i] = ss[i];
    }
    rt_dims_strides(y->rank, y->dim, w->es, w->ds);
}

/* A dense input viewed with dims xdim[0 .. rank), transposed by perm (output dim i walks input
 * dim perm[i]) into a dense output. */
static inline void
rt_box_permute(RtBox *w, int rank, const int64_t *xdim, const int *perm)
{
    int64_t xs[RT_BOX_MAXRANK];
    rt_dims_strides(rank, xdim, w->es, xs);
    w->rank = rank;
    for (int i = 0; i < rank; i++) {
        w->dim[i] = xdim[perm[i]];
        w->ss[i] = xs[perm[i]];
    }
    rt_dims_strides(rank, w->dim, w->es, w->ds);
}

/* Rows of a part inside a whole, for Concat and Split: `rows` rows of `cols` elements, the
 * destination's rows drow elements apart and the source's srow. */
static inline void
rt_box_rows(RtBox *w, int64_t rows, int64_t cols, int64_t drow, int64_t srow)
{
    w->rank = 2;
    w->dim[0] = rows;
    w->dim[1] = cols;
    w->ds[0] = drow * w->es;
    w->ss[0] = srow * w->es;
    w->ds[1] = w->ss[1] = w->es;
}

/* Expand: x aligned to y's last dims, its size-1 dims repeated (stride 0). y->rank >= x->rank. */
static inline void
rt_box_expand(RtBox *w, const RtShape *y, const RtShape *x)
{
    int64_t xs[RT_MAXRANK], ss[RT_MAXRANK];
    int lead = y->rank - x->rank;
    rt_dims_strides(x->rank, x->dim, w->es, xs);
    for (int i = 0; i < y->rank; i++) {
        int j = i - lead;
        ss[i] = j < 0 || x->dim[j] == 1 ? 0 : xs[j];
    }
    rt_box_over(w, y, ss);
}

/* Tile: output index o = rep * n + j on an axis of input size n reads input index j, so each
 * axis becomes two dims: the repeat (source stride 0) and the input dim. y has elements. */
static inline void
rt_box_tile(RtBox *w, const RtShape *y, const RtShape *x)
{
    int64_t xs[RT_MAXRANK], ys[RT_MAXRANK];
    rt_dims_strides(x->rank, x->dim, w->es, xs);
    rt_dims_strides(y->rank, y->dim, w->es, ys);
    w->rank = 2 * x->rank;
    for (int i = 0; i < x->rank; i++) {
        w->dim[2 * i] = y->dim[i] / x->dim[i];
        w->ds[2 * i] = x->dim[i] * ys[i];
        w->ss[2 * i] = 0;
        w->dim[2 * i + 1] = x->dim[i];
        w->ds[2 * i + 1] = ys[i];
        w->ss[2 * i + 1] = xs[i];
    }
}

/* DepthToSpace (crd: the CRD mode) and SpaceToDepth on [N, C, H, W] with block b, as the
 * input's view v[6] and the permutation that makes the output of it; -1 for a shape or block
 * that does not fit. DepthToSpace's modes both give [N, C', H, b, W, b] with C' = C / b^2: DCR
 * views the input as [N, b, b, C', H, W] (perm 0 3 4 1 5 2), CRD as [N, C', b, b, H, W]
 * (perm 0 1 4 2 5 3). SpaceToDepth views it as [N, C, H/b, b, W/b, b], perm (0 3 5 1 2 4). */
static inline int
rt_depth_view(const RtShape *x, int64_t b, int to_space, int crd, int64_t v[6],
              const int **perm)
{
    static const int dcr[6] = {0, 3, 4, 1, 5, 2}, crdp[6] = {0, 1, 4, 2, 5, 3};
    static const int s2d[6] = {0, 3, 5, 1, 2, 4};
    if (x->rank != 4 || b < 1)
        return -1;
    int64_t n = x->dim[0], c = x->dim[1], h = x->dim[2], w = x->dim[3];
    if (to_space) {
        if (c % (b * b) != 0)
            return -1;
        c /= b * b;
        int64_t dv[6] = {n, b, b, c, h, w}, cv[6] = {n, c, b, b, h, w};
        memcpy(v, crd ? cv : dv, sizeof dv);
        *perm = crd ? crdp : dcr;
        return 0;
    }
    if (h % b != 0 || w % b != 0)
        return -1;
    int64_t sv[6] = {n, c, h / b, b, w / b, b};
    memcpy(v, sv, sizeof sv);
    *perm = s2d;
    return 0;
}

/* ---- the index ops' shapes (cpu/scatter.c, opencl/gather.c) -------------------------------- */

/* 1 when ScatterElements' data x, indices i, updates u and output y fit along axis ax of x: i
 * and u share a shape of x's rank, no larger than x's but on the axis, and y has x's shape. */
static inline int
rt_scatterelt_fits(const RtShape *x, const RtShape *i, const RtShape *u, const RtShape *y,
                   int64_t ax)
{
    int r = x->rank, ok = ax >= 0 && ax < r && i->rank == r && u->rank == r && y->rank == r;
    for (int j = 0; ok && j < r; j++)
        ok = u->dim[j] == i->dim[j] && y->dim[j] == x->dim[j] &&
             (j == ax || i->dim[j] <= x->dim[j]);
    return ok;
}

/* 1 when ScatterND's indices i [..., k] (k <= rank of x) and updates u
 * (i.shape[:-1] + x.shape[k:]) fit the data x, and y has x's shape. */
static inline int
rt_scatternd_fits(const RtShape *x, const RtShape *i, const RtShape *u, const RtShape *y)
{
    int r = x->rank, q = i->rank;
    int64_t k = q > 0 ? i->dim[q - 1] : -1;
    int ok = k >= 0 && k <= r && u->rank == q - 1 + r - k && y->rank == r;
    for (int j = 0; ok && j < u->rank; j++)
        ok = u->dim[j] == (j < q - 1 ? i->dim[j] : x->dim[j - (q - 1) + k]);
    for (int j = 0; ok && j < r; j++)
        ok = y->dim[j] == x->dim[j];
    return ok;
}

/* 1 when GatherND's indices i [..., k] share the b leading dims of the data x, 1 <= k <= its
 * rank - b, and y is i.shape[:-1] + x.shape[b + k:]. */
static inline int
rt_gathernd_fits(const RtShape *x, const RtShape *i, const RtShape *y, int64_t b)
{
    int r = x->rank, q = i->rank;
    int64_t k = q > 0 ? i->dim[q - 1] : 0;
    int ok = b >= 0 && b < q && b < r && k >= 1 && k <= r - b && y->rank == q - 1 + r - b - k;
    for (int j = 0; ok && j < y->rank; j++)
        ok = y->dim[j] == (j < q - 1 ? i->dim[j] : x->dim[j - (q - 1) + b + k]) &&
             (j >= b || x->dim[j] == i->dim[j]);
    return ok;
}
