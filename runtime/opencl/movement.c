/*
 * movement.c: the ops that move data without arithmetic on an OpenCL device, the counterparts of
 * runtime/cpu/movement.c and of Pad and Trilu in runtime/cpu/gather.c: the plain copies
 * (Identity, Reshape, Flatten, Squeeze, Unsqueeze, Dropout at inference), Concat, Split, Slice,
 * Transpose, Expand, Tile, DepthToSpace, SpaceToDepth, Pad and Trilu, for every dtype of a fixed
 * size (elements are moved as bytes, in units of 1, 2, 4 or 8).
 *
 * Most ops describe their output as the CPU kernels do: a box walked with a byte stride per dim
 * on each side (Walk). walk_run then splits a 16-byte element (or one at an offset not aligned
 * to its size) into smaller units, drops size-1 dims and merges dims both sides walk alike, and
 * widens the unit where an inner run allows it. What is left is nothing (a source that already
 * is its destination: the memory planner puts a Concat's inputs inside its output), one
 * clEnqueueCopyBuffer (a dense run), or kernels/movement.cl's move_copy over at most 8 dims
 * (more, from Tile, loop on the host over the outer ones). Pad and Trilu have kernels of their
 * own. Parameters (Slice's starts, Pad's pads and constant, Trilu's k) come from a constant's
 * host copy, or are read back from the device with a blocking read.
 */
#include "ocl_impl.h"
#include "ops.h"
#include "shape.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

enum {
    KDIM = 8,    /* dims of a move_copy launch */
    MAXPAR = 64, /* values of a parameter input read at most */
};

/* ---- launches -------------------------------------------------------------------------------- */

/* Starts kernel name of movement.cl built for units of u bytes (and extra options). */
static OclArgs
args_start(OclDev *d, const char *name, int64_t u, int wide, const char *extra)
{
    char opt[160];
    snprintf(opt, sizeof opt, "-DT=%s -DIDX=%s -DIDX8=%s8%s%s", ocl_uint_type((size_t)u),
             wide ? "long" : "int", wide ? "long" : "int", extra ? " " : "", extra ? extra : "");
    OclArgs g = {d, NULL, 0, wide, RT_OK};
    g.rc = ocl_kernel(d, "movement", opt, name, &g.k);
    return g;
}

/* Enqueues g's kernel over n work-items (n > 0), in groups of group_size. */
static int
args_run(OclArgs *g, int64_t n)
{
    if (g->rc != RT_OK)
        return g->rc;
    size_t wg = ocl_group_size(g->d), global = ((size_t)n + wg - 1) / wg * wg;
    return OCL_CALL(
        g->d->ctx, clEnqueueNDRangeKernel(g->d->queue, g->k, 1, NULL, &global, &wg, 0, NULL, NULL));
}

/* ---- the strided copy ------------------------------------------------------------------------ */

/* A box (shape.h) copied from sm to dm: buffers and the byte offsets of element 0. */
typedef struct Walk {
    RT_BOX_MEMBERS;     /* es: the element size, or the unit once walk_run chose one */
    cl_mem dm, sm;
    int64_t doff, soff; /* bytes from the start of dm and sm to element 0 */
} Walk;

/* 1 when u divides every stride and both offsets of w */
static int
aligned(const Walk *w, int64_t u)
{
    int ok = w->doff % u == 0 && w->soff % u == 0;
    for (int i = 0; i < w->rank; i++)
        ok &= w->ds[i] % u == 0 && w->ss[i] % u == 0;
    return ok;
}

/* Enqueues move_copy over the box of w (at most KDIM dims, strides in w->es units) from the byte
 * offsets doff and soff; IDX is long where an index could pass INT_MAX. */
static int
launch_copy(OclDev *d, const Walk *w, int64_t doff, int64_t soff)
{
    int64_t n = 1, hi = 0;
    for (int i = 0; i < w->rank; i++) {
        n *= w->dim[i];
        int64_t a = (w->dim[i] - 1) * (w->ds[i] < 0 ? -w->ds[i] : w->ds[i]);
        int64_t b = (w->dim[i] - 1) * (w->ss[i] < 0 ? -w->ss[i] : w->ss[i]);
        hi += (a > b ? a : b) / w->es;
    }
    int64_t far = hi + (doff > soff ? doff : soff) / w->es;
    int wide = n > INT_MAX - 4096 || far > INT_MAX;
    /* the kernel walks dims innermost first */
    int64_t dim[KDIM], ds[KDIM], ss[KDIM];
    for (int i = 0; i < w->rank; i++) {
        dim[i] = w->dim[w->rank - 1 - i];
        ds[i] = w->ds[w->rank - 1 - i] / w->es;
        ss[i] = w->ss[w->rank - 1 - i] / w->es;
    }
    OclArgs g = args_start(d, "move_copy", w->es, wide, NULL);
    ocl_arg_idx(&g, n);
    ocl_arg_int(&g, w->rank);
    ocl_arg_idx8(&g, dim, w->rank, 1);
    ocl_arg(&g, sizeof w->dm, &w->dm);
    ocl_arg_idx(&g, doff / w->es);
    ocl_arg_idx8(&g, ds, w->rank, 1);
    ocl_arg(&g, sizeof w->sm, &w->sm);
    ocl_arg_idx(&g, soff / w->es);
    ocl_arg_idx8(&g, ss, w->rank, 1);
    return args_run(&g, n);
}

/* Copies the box of w (which it rewrites). A box with no elements, or whose source already is
 * its destination, copies nothing. */
static int
walk_run(OclDev *d, Walk *w)
{
    int64_t total = 1;
    for (int i = 0; i < w->rank; i++)
        total *= w->dim[i];
    if (total == 0)
        return RT_OK;
    /* the unit: the element, or a part of it where it is 16 bytes or its offsets are unaligned */
    int64_t u = w->es > 8 ? 8 : w->es;
    while (u > 1 && !aligned(w, u))
        u /= 2;
    if (u < w->es) {
        w->dim[w->rank] = w->es / u;
        w->ds[w->rank] = w->ss[w->rank] = u;
        w->rank++;
        w->es = u;
    }
    rt_box_simplify(&w->box);
    int in_place = w->dm == w->sm && w->doff == w->soff;
    for (int i = 0; i < w->rank; i++)
        in_place &= w->ds[i] == w->ss[i];
    if (in_place)
        return RT_OK;
    int l = w->rank - 1;
    if (w->ds[l] == w->es && w->ss[l] == w->es) {
        if (w->rank == 1) /* one dense run */
            return OCL_CALL(d->ctx, clEnqueueCopyBuffer(
                                        d->queue, w->sm, w->dm, (size_t)w->soff, (size_t)w->doff,
                                        (size_t)(w->dim[0] * w->es), 0, NULL, NULL));
        /* a dense inner run: copy it in wider units where everything stays aligned to them */
        for (int64_t v = 8; v > w->es; v /= 2) {
            int64_t bytes = w->dim[l] * w->es;
            w->ds[l] = w->ss[l] = v; /* so that aligned() asks about the outer strides only */
            if (bytes % v == 0 && aligned(w, v)) {
                w->dim[l] = bytes / v;
                w->es = v;
                break;
            }
            w->ds[l] = w->ss[l] = w->es;
        }
    }
    if (w->rank <= KDIM)
        return launch_copy(d, w, w->doff, w->soff);
    /* more dims than a launch takes: one launch per index of the outer ones */
    Walk in = *w;
    int outer = w->rank - KDIM;
    in.rank = KDIM;
    memmove(in.dim, w->dim + outer, KDIM * sizeof *in.dim);
    memmove(in.ds, w->ds + outer, KDIM * sizeof *in.ds);
    memmove(in.ss, w->ss + outer, KDIM * sizeof *in.ss);
    int64_t count = 1;
    for (int i = 0; i < outer; i++)
        count *= w->dim[i];
    for (int64_t it = 0; it < count; it++) {
        int64_t rem = it, doff = w->doff, soff = w->soff;
        for (int i = outer - 1; i >= 0; i--) {
            doff += rem % w->dim[i] * w->ds[i];
            soff += rem % w->dim[i] * w->ss[i];
            rem /= w->dim[i];
        }
        int rc = launch_copy(d, &in, doff, soff);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

/* A walk from x to y of element size es, no dims yet. */
static Walk
walk_of(const OclTensor *y, const OclTensor *x)
{
    Walk w = {.dm = y->mem,
              .sm = x->mem,
              .doff = (int64_t)y->off,
              .soff = (int64_t)x->off,
              .es = (int64_t)rt_dtype_size(x->dt)};
    return w;
}

/* RT_OK when t's dtype has a fixed size (cpu_sized). */
static int
sized(OclDev *d, const char *op, const OclTensor *t)
{
    if (rt_dtype_size(t->dt) == 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %d has no fixed size", op,
                       (int)t->dt);
    return RT_OK;
}

/* ---- parameters ------------------------------------------------------------------------------ */

/* The first n bytes of t: from its host copy, else read back from the device (blocking). */
static int
read_bytes(OclDev *d, const OclTensor *t, void *buf, size_t n)
{
    if (n == 0)
        return RT_OK;
    if (t->host) {
        memcpy(buf, t->host, n);
        return RT_OK;
    }
    return OCL_CALL(d->ctx,
                    clEnqueueReadBuffer(d->queue, t->mem, CL_TRUE, t->off, n, buf, 0, NULL, NULL));
}

static int
is_index(const OclTensor *t)
{
    return t->dt == DT_I32 || t->dt == DT_I64;
}

/* The values of an int32 or int64 parameter t (the caller checked the dtype) as int64. */
static int
read_index(OclDev *d, const char *op, const OclTensor *t, int64_t *v)
{
    int64_t n = ocl_numel(t);
    if (n > MAXPAR)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: %lld parameter values", op,
                       (long long)n);
    int32_t v32[MAXPAR];
    int rc = read_bytes(d, t, t->dt == DT_I32 ? (void *)v32 : (void *)v,
                        (size_t)n * rt_dtype_size(t->dt));
    for (int64_t i = 0; t->dt == DT_I32 && i < n; i++)
        v[i] = v32[i];
    return rc;
}

/* An optional input that is absent or empty (cpu_absent). */
static int
absent(OclTensor *const *in, int nin, int i)
{
    return i >= nin || !in[i] || ocl_numel(in[i]) == 0;
}

/* ---- plain copies ---------------------------------------------------------------------------- */

/* out[0] = in[0] byte for byte: the shape changes, the C-order data does not. Nothing when the
 * memory plan gave both the same bytes (a view in place). */
static int
copy(OclDev *d, OclTensor *const *in, OclTensor *const *out)
{
    int rc = sized(d, "copy", in[0]);
    if (rc != RT_OK)
        return rc;
    if (out[0]->mem == in[0]->mem && out[0]->off == in[0]->off)
        return RT_OK;
    Walk w = walk_of(out[0], in[0]);
    w.rank = 1;
    w.dim[0] = ocl_numel(out[0]);
    w.ds[0] = w.ss[0] = w.es;
    return walk_run(d, &w);
}

/* Identity, Reshape, Flatten, Squeeze and Unsqueeze: a copy (the shape input is not read). */
#define COPY_OP(stem)                                                                              \
    int ocl_op_##stem(OclDev *d, const Attr *a, OclTensor *const *in, int nin,                     \
                      OclTensor *const *out, int nout)                                             \
    {                                                                                              \
        (void)a, (void)nin, (void)nout;                                                            \
        return copy(d, in, out);                                                                   \
    }
COPY_OP(identity)
COPY_OP(reshape)
COPY_OP(flatten)
COPY_OP(squeeze)
COPY_OP(unsqueeze)

/* Dropout at inference: the data unchanged; every byte of the optional mask 1 (true). */
int
ocl_op_dropout(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
               int nout)
{
    (void)a, (void)nin;
    if (nout > 1 && out[1] && ocl_numel(out[1]) > 0) {
        cl_uchar one = 1;
        size_t n = (size_t)ocl_numel(out[1]) * rt_dtype_size(out[1]->dt);
        int rc = OCL_CALL(d->ctx, clEnqueueFillBuffer(d->queue, out[1]->mem, &one, 1, out[1]->off,
                                                      n, 0, NULL, NULL));
        if (rc != RT_OK)
            return rc;
    }
    return copy(d, in, out);
}

/* ---- concat and split ------------------------------------------------------------------------ */

/* Concat: each input is a box [outer, len * inner] inside the output's rows; an input the plan
 * already placed at its slice of the output is left where it is (walk_run sees it). */
int
ocl_op_concat(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    const OclTensor *y = out[0];
    int r = y->rank;
    int64_t ax = a->axis.axis < 0 ? a->axis.axis + r : a->axis.axis;
    int64_t es = (int64_t)rt_dtype_size(y->dt);
    (void)nout;
    int rc = sized(d, "Concat", y);
    if (rc != RT_OK)
        return rc;
    if (ax < 0 || ax >= r)
        return rt_fail(d->ctx, RT_EINPUT, "Concat: axis %lld out of range",
                       (long long)a->axis.axis);
    int64_t outer = rt_dims_prod(y->dim, 0, (int)ax), inner = rt_dims_prod(y->dim, (int)ax + 1, r), at = 0;
    for (int i = 0; i < nin && rc == RT_OK; i++) {
        int64_t len = in[i]->dim[ax];
        Walk w = walk_of(y, in[i]);
        rt_box_rows(&w.box, outer, len * inner, y->dim[ax] * inner, len * inner);
        w.doff += at * inner * es;
        rc = walk_run(d, &w);
        at += len;
    }
    return rc;
}

/* Split: the outputs' shapes give the sizes; each output is a box of the input's rows. An output
 * not requested (NULL) is skipped; its size is what the others leave, so one at most. */
int
ocl_op_split(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
             int nout)
{
    const OclTensor *x = in[0];
    int r = x->rank, missing = 0;
    int64_t ax = a->split.axis < 0 ? a->split.axis + r : a->split.axis;
    int64_t es = (int64_t)rt_dtype_size(x->dt);
    (void)nin;
    int rc = sized(d, "Split", x);
    if (rc != RT_OK)
        return rc;
    if (ax < 0 || ax >= r)
        return rt_fail(d->ctx, RT_EINPUT, "Split: axis %lld out of range",
                       (long long)a->split.axis);
    int64_t outer = rt_dims_prod(x->dim, 0, (int)ax), inner = rt_dims_prod(x->dim, (int)ax + 1, r), at = 0;
    int64_t rest = x->dim[ax];
    for (int i = 0; i < nout; i++) {
        missing += !out[i];
        rest -= out[i] ? out[i]->dim[ax] : 0;
    }
    if (missing > 1)
        return rt_fail(d->ctx, RT_EINPUT, "Split: %d outputs missing", missing);
    for (int i = 0; i < nout && rc == RT_OK; i++) {
        int64_t len = out[i] ? out[i]->dim[ax] : rest;
        if (out[i]) {
            Walk w = walk_of(out[i], x);
            rt_box_rows(&w.box, outer, len * inner, len * inner, x->dim[ax] * inner);
            w.soff += at * inner * es;
            rc = walk_run(d, &w);
        }
        at += len;
    }
    return rc;
}

/* ---- slice ----------------------------------------------------------------------------------- */

/* Slice: the output shape is given, so only the first element and the step of each axis are
 * needed, resolved as cpu_slice does: negative starts count from the end, then clamp to
 * [0, dim] for a positive step and to [0, dim - 1] for a negative one. Ends are not read. */
int
ocl_op_slice(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
             int nout)
{
    const OclTensor *x = in[0], *st = in[1], *y = out[0];
    const OclTensor *axes = nin > 3 ? in[3] : NULL, *steps = nin > 4 ? in[4] : NULL;
    int r = x->rank;
    int64_t step[RT_MAXRANK], xs[RT_MAXRANK], sv[MAXPAR], av[MAXPAR], pv[MAXPAR];
    (void)a, (void)nout;
    int rc = sized(d, "Slice", x);
    if (rc != RT_OK)
        return rc;
    if (ocl_numel(y) == 0)
        return RT_OK;
    if (!is_index(st) || (axes && !is_index(axes)) || (steps && !is_index(steps)))
        return rt_fail(d->ctx, RT_EUNSUPPORTED,
                       "Slice: starts, axes and steps must be int32/int64");
    int64_t n = ocl_numel(st);
    if (n > MAXPAR || (axes && ocl_numel(axes) < n) || (steps && ocl_numel(steps) < n))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "Slice on OpenCL: %lld starts", (long long)n);
    if ((rc = read_index(d, "Slice", st, sv)) != RT_OK ||
        (axes && (rc = read_index(d, "Slice", axes, av)) != RT_OK) ||
        (steps && (rc = read_index(d, "Slice", steps, pv)) != RT_OK))
        return rc;
    Walk w = walk_of(y, x);
    rt_shape_strides(&x->shape, xs);
    for (int i = 0; i < r; i++)
        step[i] = 1;
    for (int64_t i = 0; i < n; i++)
        if (rt_slice_axis(&x->shape, xs, axes ? av[i] : i, sv[i], steps ? pv[i] : 1, step,
                          &w.soff) < 0)
            return rt_fail(d->ctx, RT_EINPUT, "Slice: bad axis or zero step at %lld", (long long)i);
    for (int i = 0; i < r; i++)
        xs[i] *= step[i];
    rt_box_over(&w.box, &y->shape, xs);
    return walk_run(d, &w);
}

/* ---- transpose, expand, tile ----------------------------------------------------------------- */

/* Transpose: output dim i walks input dim perm[i]; no perm reverses the dims. */
int
ocl_op_transpose(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                 int nout)
{
    const OclTensor *x = in[0];
    const Ints *p = &a->perm.perm;
    int perm[RT_MAXRANK], r = x->rank;
    (void)nin, (void)nout;
    int rc = sized(d, "Transpose", x);
    if (rc != RT_OK)
        return rc;
    if (p->n != 0 && p->n != r)
        return rt_fail(d->ctx, RT_EINPUT, "Transpose: perm has %d values for rank %d", p->n, r);
    for (int i = 0; i < r; i++) {
        int64_t v = p->n ? p->v[i] : r - 1 - i;
        if (v < 0 || v >= r)
            return rt_fail(d->ctx, RT_EINPUT, "Transpose: perm[%d] = %lld", i, (long long)v);
        perm[i] = (int)v;
    }
    Walk w = walk_of(out[0], x);
    rt_box_permute(&w.box, r, x->dim, perm);
    return walk_run(d, &w);
}

/* Expand: the input aligned to the output's last dims; its size-1 dims repeat (stride 0). */
int
ocl_op_expand(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    const OclTensor *x = in[0], *y = out[0];
    (void)a, (void)nin, (void)nout;
    int rc = sized(d, "Expand", x);
    if (rc != RT_OK)
        return rc;
    if (y->rank < x->rank)
        return rt_fail(d->ctx, RT_EINPUT, "Expand: output rank below the input's");
    Walk w = walk_of(y, x);
    rt_box_expand(&w.box, &y->shape, &x->shape);
    return walk_run(d, &w);
}

/* Tile: output index o = rep * n + j on an axis of input size n reads input index j, so each
 * axis becomes two walk dims: the repeat (input stride 0) and the input dim. */
int
ocl_op_tile(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
            int nout)
{
    const OclTensor *x = in[0], *y = out[0];
    (void)a, (void)nin, (void)nout;
    int rc = sized(d, "Tile", x);
    if (rc != RT_OK)
        return rc;
    if (ocl_numel(y) == 0)
        return RT_OK;
    Walk w = walk_of(y, x);
    rt_box_tile(&w.box, &y->shape, &x->shape);
    return walk_run(d, &w);
}

/* ---- depth and space ------------------------------------------------------------------------- */

/* DepthToSpace (to_space) and SpaceToDepth: a transpose of a 6-D view (rt_depth_view). */
static int
depth_space(OclDev *d, const char *op, const Attr *a, int to_space, OclTensor *const *in,
            OclTensor *const *out)
{
    const OclTensor *x = in[0];
    int64_t v[6];
    const int *perm;
    int rc = sized(d, op, x);
    if (rc != RT_OK)
        return rc;
    if (rt_depth_view(&x->shape, a->block.blocksize, to_space, a->block.crd, v, &perm) < 0)
        return rt_fail(d->ctx, RT_EINPUT, "%s: bad shape or blocksize", op);
    Walk w = walk_of(out[0], x);
    rt_box_permute(&w.box, 6, v, perm);
    return walk_run(d, &w);
}

int
ocl_op_depthtospace(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                    int nout)
{
    (void)nin, (void)nout;
    return depth_space(d, "DepthToSpace", a, 1, in, out);
}

int
ocl_op_spacetodepth(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
                    int nout)
{
    (void)nin, (void)nout;
    return depth_space(d, "SpaceToDepth", a, 0, in, out);
}

/* ---- pad and trilu --------------------------------------------------------------------------- */

/* The unit of elements of es bytes at the byte offsets of a and b: the largest power of two up
 * to 8 that divides es and both offsets. */
static int64_t
unit_of(int64_t es, const OclTensor *a, const OclTensor *b)
{
    int64_t u = 8;
    while (u > 1 && (es % u || a->off % (size_t)u || b->off % (size_t)u))
        u /= 2;
    return u;
}

/* Pad: inputs data, pads (begins then ends, for every axis or for those of input 3), optional
 * constant value (default zero), optional axes; resolved as cpu_pad does. */
int
ocl_op_pad(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *pads = in[1], *y = out[0];
    const OclTensor *axes = absent(in, nin, 3) ? NULL : in[3];
    int r = x->rank, na = axes ? (int)ocl_numel(axes) : r;
    int64_t pb[RT_MAXRANK] = {0}, pe[RT_MAXRANK] = {0}, pv[MAXPAR], av[MAXPAR];
    int64_t lead[RT_MAXRANK], crop[RT_MAXRANK], keep[RT_MAXRANK], xs[RT_MAXRANK];
    unsigned char val[16] = {0};
    (void)nout;
    int rc = sized(d, "Pad", x);
    if (rc != RT_OK)
        return rc;
    if (!is_index(pads) || (axes && !is_index(axes)))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "Pad: pads and axes must be int32 or int64");
    if (ocl_numel(pads) != 2 * na || na > r)
        return rt_fail(d->ctx, RT_EINPUT, "Pad: %lld pads for %d axes", (long long)ocl_numel(pads),
                       na);
    int64_t es = (int64_t)rt_dtype_size(x->dt);
    if (!absent(in, nin, 2)) {
        if (in[2]->dt != x->dt)
            return rt_fail(d->ctx, RT_EINPUT, "Pad: the constant's dtype differs from the data's");
        if ((rc = read_bytes(d, in[2], val, (size_t)es)) != RT_OK)
            return rc;
    }
    if ((rc = read_index(d, "Pad", pads, pv)) != RT_OK ||
        (axes && (rc = read_index(d, "Pad", axes, av)) != RT_OK))
        return rc;
    for (int i = 0; i < na; i++) {
        int64_t ax = axes ? av[i] : i;
        ax = ax < 0 ? ax + r : ax;
        if (ax < 0 || ax >= r)
            return rt_fail(d->ctx, RT_EINPUT, "Pad: axis %lld out of range", (long long)ax);
        pb[ax] = pv[i];
        pe[ax] = pv[i + na];
    }
    if (ocl_numel(y) == 0)
        return RT_OK;
    if (r == 0) {
        Walk w = walk_of(y, x);
        w.rank = 1;
        w.dim[0] = 1;
        w.ds[0] = w.ss[0] = es;
        return walk_run(d, &w);
    }
    rt_dims_strides(r, x->dim, 1, xs);
    for (int i = 0; i < r; i++) {
        lead[i] = pb[i] > 0 ? pb[i] : 0;
        crop[i] = pb[i] < 0 ? -pb[i] : 0;
        keep[i] = x->dim[i] - crop[i] - (pe[i] < 0 ? -pe[i] : 0);
        keep[i] = keep[i] > 0 ? keep[i] : 0;
        if (keep[i] == 0 && a->pad.mode != PADM_CONSTANT)
            return rt_fail(d->ctx, RT_EINPUT, "Pad: nothing of axis %d is left to pad from", i);
    }
    /* the kernel walks dims innermost first */
    int64_t kd[RT_MAXRANK], kl[RT_MAXRANK], kc[RT_MAXRANK], kk[RT_MAXRANK], ks[RT_MAXRANK];
    for (int i = 0; i < r; i++) {
        int j = r - 1 - i;
        kd[i] = y->dim[j], kl[i] = lead[j], kc[i] = crop[j], kk[i] = keep[j], ks[i] = xs[j];
    }
    int64_t u = unit_of(es, x, y), sub = es / u, n = ocl_numel(y) * sub;
    int64_t big = ocl_numel(x) > ocl_numel(y) ? ocl_numel(x) : ocl_numel(y);
    big = big * sub + (int64_t)(x->off > y->off ? x->off : y->off) / u;
    int wide = n > INT_MAX / 4 || big > INT_MAX / 4; /* room for pad_map's 2 (keep - 1) + i */
    char extra[32];
    snprintf(extra, sizeof extra, "-DPAD_MODE=%d", (int)a->pad.mode);
    cl_ulong2 c;
    memcpy(&c, val, sizeof c);
    OclArgs g = args_start(d, "move_pad", u, wide, extra);
    ocl_arg_idx(&g, n);
    ocl_arg_int(&g, r);
    ocl_arg_int(&g, (int)sub);
    ocl_arg_idx8(&g, kd, r, 1);
    ocl_arg_idx8(&g, kl, r, 1);
    ocl_arg_idx8(&g, kc, r, 1);
    ocl_arg_idx8(&g, kk, r, 1);
    ocl_arg_idx8(&g, ks, r, 1);
    ocl_arg(&g, sizeof y->mem, &y->mem);
    ocl_arg_idx(&g, (int64_t)y->off / u);
    ocl_arg(&g, sizeof x->mem, &x->mem);
    ocl_arg_idx(&g, (int64_t)x->off / u);
    ocl_arg(&g, sizeof c, &c); /* the constant's bytes, a unit of them per part */
    return args_run(&g, n);
}

/* Trilu: the matrices' kept parts copied, the rest zero; k from input 1 (default 0). */
int
ocl_op_trilu(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
             int nout)
{
    const OclTensor *x = in[0], *y = out[0];
    int64_t k = 0;
    (void)nout;
    int rc = sized(d, "Trilu", x);
    if (rc != RT_OK)
        return rc;
    if (x->rank < 2)
        return rt_fail(d->ctx, RT_EINPUT, "Trilu: rank %d is below 2", x->rank);
    if (!absent(in, nin, 1)) {
        if (!is_index(in[1]))
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "Trilu: k must be int64");
        int64_t v64 = 0;
        int32_t v32 = 0;
        int i32 = in[1]->dt == DT_I32;
        if ((rc = read_bytes(d, in[1], i32 ? (void *)&v32 : (void *)&v64, i32 ? 4 : 8)) != RT_OK)
            return rc;
        k = i32 ? v32 : v64;
    }
    int64_t rows = x->dim[x->rank - 2], cols = x->dim[x->rank - 1];
    if (ocl_numel(x) == 0)
        return RT_OK;
    k = k < -rows - 1 ? -rows - 1 : k > cols + 1 ? cols + 1 : k; /* no overflow in j - i - k */
    int64_t es = (int64_t)rt_dtype_size(x->dt), u = unit_of(es, x, y), sub = es / u;
    int64_t n = ocl_numel(x) * sub;
    int64_t far = n + (int64_t)(x->off > y->off ? x->off : y->off) / u;
    int wide = far > INT_MAX - 4096;
    OclArgs g = args_start(d, "move_trilu", u, wide, NULL);
    ocl_arg_idx(&g, n);
    ocl_arg_int(&g, (int)sub);
    ocl_arg_idx(&g, rows);
    ocl_arg_idx(&g, cols);
    ocl_arg_idx(&g, k);
    ocl_arg_int(&g, a->mode.mode != 0);
    ocl_arg(&g, sizeof y->mem, &y->mem);
    ocl_arg_idx(&g, (int64_t)y->off / u);
    ocl_arg(&g, sizeof x->mem, &x->mem);
    ocl_arg_idx(&g, (int64_t)x->off / u);
    return args_run(&g, n);
}
