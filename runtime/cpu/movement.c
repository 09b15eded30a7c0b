/*
 * movement.c: the CPU kernels that move data without arithmetic: the copies (Identity, Reshape,
 * Flatten, Squeeze, Unsqueeze, Dropout at inference), Concat, Split, Slice, Transpose, Expand,
 * Tile, DepthToSpace and SpaceToDepth, and the strided copy walk (move_impl.h) they share.
 *
 * Each kernel describes its output as a box walked in C order, with the byte stride of every dim
 * in the output and in the input: a transpose permutes the input strides, a slice scales them by
 * the steps (negative ones walk backwards) from the first element, an expand gives broadcast dims
 * stride 0, a tile splits each axis into (repeat, input dim) with stride 0 on the repeat, concat
 * and split walk one input or output inside the other. The walk then merges dims that both sides
 * traverse contiguously, so most copies become a few long memcpy runs, splits the elements into
 * contiguous chunks across threads, and blocks 2-D transposes in tiles so that both sides stay in
 * cache. The output shapes come from the compiler and are trusted.
 */
#include "move_impl.h"

enum {
    GRAIN_BYTES = 1 << 19, /* the least work worth a thread of its own: a copy of what fits a
                            * core's cache is faster on the core that wrote it (elt_impl.h) */
    TILE = 32,             /* side of a transpose tile, in elements */
};

/* ---- the strided copy walk ------------------------------------------------------------------- */

/* The element loops, inlined with a constant size so that each element is one load and store. */
static inline __attribute__((always_inline)) void
run_loop(char *d, int64_t ds, const char *s, int64_t ss, int64_t n, size_t size)
{
    for (int64_t i = 0; i < n; i++)
        memcpy(d + i * ds, s + i * ss, size);
}

static inline __attribute__((always_inline)) void
tile_loop(char *d, int64_t dk, int64_t dl, const char *s, int64_t sk, int64_t sl, int64_t nk,
          int64_t nl, size_t size)
{
    for (int64_t k = 0; k < nk; k++)
        run_loop(d + k * dk, dl, s + k * sk, sl, nl, size);
}

/* Copies n elements with the given byte strides. */
static void
copy_run(char *d, int64_t ds, const char *s, int64_t ss, int64_t n, size_t es)
{
    int64_t e = (int64_t)es;
    if (ds == e && ss == e) {
        memcpy(d, s, (size_t)n * es);
        return;
    }
    switch (es) {
    case 1: run_loop(d, ds, s, ss, n, 1); break;
    case 2: run_loop(d, ds, s, ss, n, 2); break;
    case 4: run_loop(d, ds, s, ss, n, 4); break;
    case 8: run_loop(d, ds, s, ss, n, 8); break;
    default: run_loop(d, ds, s, ss, n, es); break;
    }
}

/* Copies an nk x nl tile, rows of nl elements. */
static void
copy_tile(char *d, int64_t dk, int64_t dl, const char *s, int64_t sk, int64_t sl, int64_t nk,
          int64_t nl, size_t es)
{
    switch (es) {
    case 1: tile_loop(d, dk, dl, s, sk, sl, nk, nl, 1); break;
    case 2: tile_loop(d, dk, dl, s, sk, sl, nk, nl, 2); break;
    case 4: tile_loop(d, dk, dl, s, sk, sl, nk, nl, 4); break;
    case 8: tile_loop(d, dk, dl, s, sk, sl, nk, nl, 8); break;
    default: tile_loop(d, dk, dl, s, sk, sl, nk, nl, es); break;
    }
}

/* Copies the elements [b, e) of the box in C order, a run of the innermost dim at a time. */
static void
walk_range(void *arg, int64_t b, int64_t e)
{
    const Walk *w = arg;
    int li = w->rank - 1; /* the innermost dim */
    int64_t idx[RT_BOX_MAXRANK], rem = b;
    char *d = w->dst;
    const char *s = w->src;
    for (int i = li; i >= 0; i--) {
        idx[i] = rem % w->dim[i];
        rem /= w->dim[i];
        d += idx[i] * w->ds[i];
        s += idx[i] * w->ss[i];
    }
    for (int64_t pos = b; pos < e;) {
        int64_t run = w->dim[li] - idx[li];
        if (run > e - pos)
            run = e - pos;
        copy_run(d, w->ds[li], s, w->ss[li], run, (size_t)w->es);
        pos += run;
        idx[li] += run;
        d += run * w->ds[li];
        s += run * w->ss[li];
        for (int i = li; i > 0 && idx[i] == w->dim[i]; i--) { /* carry into the outer dims */
            d += w->ds[i - 1] - idx[i] * w->ds[i];
            s += w->ss[i - 1] - idx[i] * w->ss[i];
            idx[i] = 0;
            idx[i - 1]++;
        }
    }
}

/* A transpose whose output is contiguous in dim last and whose input is contiguous in dim k:
 * each item is a strip of TILE indices of dim k at one index of the other dims, copied in
 * TILE x TILE tiles. */
typedef struct Tiled {
    const Walk *w;
    int k, last;
    int64_t nkb; /* strips along dim k */
} Tiled;

static void
tiled_range(void *arg, int64_t b, int64_t e)
{
    const Tiled *t = arg;
    const Walk *w = t->w;
    int64_t nk = w->dim[t->k], nl = w->dim[t->last];
    int64_t dk = w->ds[t->k], sk = w->ss[t->k], dl = w->ds[t->last], sl = w->ss[t->last];
    for (int64_t it = b; it < e; it++) {
        int64_t k0 = it % t->nkb * TILE, rem = it / t->nkb;
        int64_t k1 = k0 + TILE < nk ? k0 + TILE : nk;
        char *d = w->dst;
        const char *s = w->src;
        for (int i = w->rank - 1; i >= 0; i--) {
            if (i == t->k || i == t->last)
                continue;
            d += rem % w->dim[i] * w->ds[i];
            s += rem % w->dim[i] * w->ss[i];
            rem /= w->dim[i];
        }
        for (int64_t l0 = 0; l0 < nl; l0 += TILE) {
            int64_t n = l0 + TILE < nl ? TILE : nl - l0;
            copy_tile(d + k0 * dk + l0 * dl, dk, dl, s + k0 * sk + l0 * sl, sk, sl, k1 - k0, n,
                      (size_t)w->es);
        }
    }
}

void
cpu_walk_run(RtCtx *ctx, Walk *w)
{
    int64_t total = 1, es = w->es;
    for (int i = 0; i < w->rank; i++)
        total *= w->dim[i];
    if (total == 0)
        return;
    rt_box_simplify(&w->box);
    int last = w->rank - 1;
    if (w->ds[last] == es && w->ss[last] != es && w->dim[last] >= 8) {
        for (int k = 0; k < last; k++) {
            if (w->ss[k] != es || w->dim[k] < 8)
                continue;
            Tiled t = {w, k, last, (w->dim[k] + TILE - 1) / TILE};
            int64_t items = total / w->dim[k] / w->dim[last] * t.nkb;
            int64_t per = TILE * w->dim[last] * es;
            rt_parallel_for(ctx, items, GRAIN_BYTES / per + 1, tiled_range, &t);
            return;
        }
    }
    rt_parallel_for(ctx, total, GRAIN_BYTES / es + 1, walk_range, w);
}

void
cpu_copy_bytes(RtCtx *ctx, void *dst, const void *src, size_t n)
{
    Walk w = {
        .rank = 1, .dim = {(int64_t)n}, .ds = {1}, .ss = {1}, .dst = dst, .src = src, .es = 1};
    cpu_walk_run(ctx, &w);
}

void
cpu_fill_elems(void *dst, const void *val, int64_t n, size_t es)
{
    char *d = dst;
    int zero = 1;
    for (size_t i = 0; i < es; i++)
        zero &= ((const unsigned char *)val)[i] == 0;
    if (zero) {
        memset(d, 0, (size_t)n * es);
        return;
    }
    copy_run(d, (int64_t)es, val, 0, n, es);
}

/* Writes the input viewed with dims xdim, transposed by perm, to y. */
static void
permute(RtCtx *ctx, RtTensor *y, const RtTensor *x, int rank, const int64_t *xdim, const int *perm)
{
    Walk w = {.dst = y->data, .src = x->data, .es = (int64_t)rt_dtype_size(x->dt)};
    rt_box_permute(&w.box, rank, xdim, perm);
    cpu_walk_run(ctx, &w);
}

/* ---- plain copies ---------------------------------------------------------------------------- */

/* out[0] = in[0] byte for byte: the shape changes, the C-order data does not. Nothing when the
 * memory plan gave both the same bytes (a view in place). */
static int
copy(RtCtx *ctx, RtTensor *const *in, RtTensor *const *out)
{
    int rc = cpu_sized(ctx, "copy", in[0]);
    if (rc != RT_OK)
        return rc;
    size_t n = (size_t)rt_numel(out[0]) * rt_dtype_size(out[0]->dt);
    if (n && out[0]->data != in[0]->data)
        cpu_copy_bytes(ctx, out[0]->data, in[0]->data, n);
    return RT_OK;
}

int
cpu_identity(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
             int nout)
{
    (void)a, (void)nin, (void)nout;
    return copy(ctx, in, out);
}

int
cpu_reshape(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)a, (void)nin, (void)nout;
    return copy(ctx, in, out);
}

int
cpu_flatten(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)a, (void)nin, (void)nout;
    return copy(ctx, in, out);
}

int
cpu_squeeze(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)a, (void)nin, (void)nout;
    return copy(ctx, in, out);
}

int
cpu_unsqueeze(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
              int nout)
{
    (void)a, (void)nin, (void)nout;
    return copy(ctx, in, out);
}

/* Dropout at inference: the data unchanged; the optional mask is all true. */
int
cpu_dropout(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)a, (void)nin;
    if (nout > 1 && out[1] && rt_numel(out[1]) > 0)
        memset(out[1]->data, 1, (size_t)rt_numel(out[1]) * rt_dtype_size(out[1]->dt));
    return copy(ctx, in, out);
}

/* ---- concat and split ------------------------------------------------------------------------ */

/* Concat: each input is a box [outer, len * inner] inside the output's rows. */
int
cpu_concat(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    RtTensor *y = out[0];
    int r = y->rank;
    int64_t ax = a->axis.axis < 0 ? a->axis.axis + r : a->axis.axis;
    size_t es = rt_dtype_size(y->dt);
    (void)nout;
    int rc = cpu_sized(ctx, "Concat", y);
    if (rc != RT_OK)
        return rc;
    if (ax < 0 || ax >= r)
        return rt_fail(ctx, RT_EINPUT, "Concat: axis %lld out of range", (long long)a->axis.axis);
    int64_t outer = rt_dims_prod(y->dim, 0, (int)ax), inner = rt_dims_prod(y->dim, (int)ax + 1, r), at = 0;
    for (int i = 0; i < nin; i++) {
        int64_t len = in[i]->dim[ax];
        Walk w = {.es = (int64_t)es,
                  .dst = (char *)y->data + at * inner * (int64_t)es,
                  .src = in[i]->data};
        rt_box_rows(&w.box, outer, len * inner, y->dim[ax] * inner, len * inner);
        if (outer != 1 || w.src != w.dst) /* else the plan placed it there already */
            cpu_walk_run(ctx, &w);
        at += len;
    }
    return RT_OK;
}

/* Split: the outputs' shapes give the sizes; each output is a box of the input's rows. An output
 * that was not requested (NULL) is skipped; its size is what the others leave, so at most one may
 * be missing. */
int
cpu_split(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0];
    int r = x->rank, missing = 0;
    int64_t ax = a->split.axis < 0 ? a->split.axis + r : a->split.axis;
    size_t es = rt_dtype_size(x->dt);
    (void)nin;
    int rc = cpu_sized(ctx, "Split", x);
    if (rc != RT_OK)
        return rc;
    if (ax < 0 || ax >= r)
        return rt_fail(ctx, RT_EINPUT, "Split: axis %lld out of range", (long long)a->split.axis);
    int64_t outer = rt_dims_prod(x->dim, 0, (int)ax), inner = rt_dims_prod(x->dim, (int)ax + 1, r), at = 0;
    int64_t rest = x->dim[ax];
    for (int i = 0; i < nout; i++) {
        missing += !out[i];
        rest -= out[i] ? out[i]->dim[ax] : 0;
    }
    if (missing > 1)
        return rt_fail(ctx, RT_EINPUT, "Split: %d outputs missing", missing);
    for (int i = 0; i < nout; i++) {
        int64_t len = out[i] ? out[i]->dim[ax] : rest;
        if (out[i]) {
            Walk w = {.es = (int64_t)es,
                      .dst = out[i]->data,
                      .src = (const char *)x->data + at * inner * (int64_t)es};
            rt_box_rows(&w.box, outer, len * inner, len * inner, x->dim[ax] * inner);
            cpu_walk_run(ctx, &w);
        }
        at += len;
    }
    return RT_OK;
}

/* ---- slice ----------------------------------------------------------------------------------- */

/*
 * Slice: the output shape is given, so only the first element and the step of each axis are
 * needed. ONNX's rules: negative starts count from the end; for a positive step the start clamps
 * to [0, dim], for a negative one to [0, dim - 1].
 */
int
cpu_slice(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0], *st = in[1];
    const RtTensor *axes = nin > 3 ? in[3] : NULL, *steps = nin > 4 ? in[4] : NULL;
    RtTensor *y = out[0];
    int r = x->rank;
    int64_t step[RT_MAXRANK], xs[RT_MAXRANK];
    (void)a, (void)nout;
    int rc = cpu_sized(ctx, "Slice", x);
    if (rc != RT_OK)
        return rc;
    if (rt_numel(y) == 0)
        return RT_OK;
    if (!cpu_is_index(st) || (axes && !cpu_is_index(axes)) || (steps && !cpu_is_index(steps)))
        return rt_fail(ctx, RT_EUNSUPPORTED, "Slice: starts, axes and steps must be int32/int64");
    rt_shape_strides(&x->shape, xs);
    Walk w = {.dst = y->data, .src = x->data, .es = (int64_t)rt_dtype_size(x->dt)};
    int64_t off = 0;
    for (int i = 0; i < r; i++)
        step[i] = 1;
    for (int64_t i = 0; i < rt_numel(st); i++)
        if (rt_slice_axis(&x->shape, xs, axes ? cpu_index_at(axes, i) : i, cpu_index_at(st, i),
                          steps ? cpu_index_at(steps, i) : 1, step, &off) < 0)
            return rt_fail(ctx, RT_EINPUT, "Slice: bad axis or zero step at %lld", (long long)i);
    for (int i = 0; i < r; i++)
        xs[i] *= step[i];
    w.src += off;
    rt_box_over(&w.box, &y->shape, xs);
    cpu_walk_run(ctx, &w);
    return RT_OK;
}

/* ---- transpose, expand, tile ----------------------------------------------------------------- */

/* Transpose: output dim i walks input dim perm[i]; no perm reverses the dims. */
int
cpu_transpose(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
              int nout)
{
    const RtTensor *x = in[0];
    const Ints *p = &a->perm.perm;
    int perm[RT_MAXRANK], r = x->rank;
    (void)nin, (void)nout;
    int rc = cpu_sized(ctx, "Transpose", x);
    if (rc != RT_OK)
        return rc;
    if (p->n != 0 && p->n != r)
        return rt_fail(ctx, RT_EINPUT, "Transpose: perm has %d values for rank %d", p->n, r);
    for (int i = 0; i < r; i++) {
        int64_t v = p->n ? p->v[i] : r - 1 - i;
        if (v < 0 || v >= r)
            return rt_fail(ctx, RT_EINPUT, "Transpose: perm[%d] = %lld", i, (long long)v);
        perm[i] = (int)v;
    }
    permute(ctx, out[0], x, r, x->dim, perm);
    return RT_OK;
}

/* Expand: the input aligned to the output's last dims; its size-1 dims repeat (stride 0). */
int
cpu_expand(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0];
    RtTensor *y = out[0];
    (void)a, (void)nin, (void)nout;
    int rc = cpu_sized(ctx, "Expand", x);
    if (rc != RT_OK)
        return rc;
    if (y->rank < x->rank)
        return rt_fail(ctx, RT_EINPUT, "Expand: output rank below the input's");
    Walk w = {.dst = y->data, .src = x->data, .es = (int64_t)rt_dtype_size(x->dt)};
    rt_box_expand(&w.box, &y->shape, &x->shape);
    cpu_walk_run(ctx, &w);
    return RT_OK;
}

/* Tile: output index o = rep * n + j on an axis of input size n reads input index j, so each axis
 * becomes two walk dims: the repeat (input stride 0) and the input dim. */
int
cpu_tile(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0];
    RtTensor *y = out[0];
    (void)a, (void)nin, (void)nout;
    int rc = cpu_sized(ctx, "Tile", x);
    if (rc != RT_OK)
        return rc;
    if (rt_numel(y) == 0)
        return RT_OK;
    Walk w = {.dst = y->data, .src = x->data, .es = (int64_t)rt_dtype_size(x->dt)};
    rt_box_tile(&w.box, &y->shape, &x->shape);
    cpu_walk_run(ctx, &w);
    return RT_OK;
}

/* ---- depth and space ------------------------------------------------------------------------- */

/* DepthToSpace (to_space) and SpaceToDepth: a transpose of a 6-D view (rt_depth_view). */
static int
depth_space(RtCtx *ctx, const char *op, const Attr *a, int to_space, RtTensor *const *in,
            RtTensor *const *out)
{
    const RtTensor *x = in[0];
    int64_t v[6];
    const int *perm;
    int rc = cpu_sized(ctx, op, x);
    if (rc != RT_OK)
        return rc;
    if (rt_depth_view(&x->shape, a->block.blocksize, to_space, a->block.crd, v, &perm) < 0)
        return rt_fail(ctx, RT_EINPUT, "%s: bad shape or blocksize", op);
    permute(ctx, out[0], x, 6, v, perm);
    return RT_OK;
}

int
cpu_depthtospace(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                 int nout)
{
    (void)nin, (void)nout;
    return depth_space(ctx, "DepthToSpace", a, 1, in, out);
}

int
cpu_spacetodepth(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                 int nout)
{
    (void)nin, (void)nout;
    return depth_space(ctx, "SpaceToDepth", a, 0, in, out);
}
