/*
 * move_impl.h: private to the data-movement kernels (movement.c, gather.c, resize.c): the strided
 * copy walk that most of them reduce to, and small helpers for index inputs and element copies.
 *
 * A Walk describes an output region as a box of dims with a byte stride per dim on each side
 * (destination and source; runtime/shape.h builds and simplifies boxes for both backends).
 * Transpose, Slice, Expand, Tile, Concat, Split, DepthToSpace and SpaceToDepth all fill one in
 * and call cpu_walk_run, which drops size-1 dims, merges dims that
 * both sides walk contiguously, copies the innermost contiguous runs with memcpy (or element by
 * element when a side is strided), tiles 2-D transposes for the cache, and splits the work over
 * the context's threads. Elements are copied as rt_dtype_size bytes, so every fixed-size dtype
 * works alike.
 */
#pragma once

#include "rt_backend.h"
#include "shape.h"

#include <string.h>

/* Copies one element of es bytes: the fixed sizes become plain loads and stores. */
static inline void
cpu_copy_elem(void *d, const void *s, size_t es)
{
    switch (es) {
    case 1: memcpy(d, s, 1); break;
    case 2: memcpy(d, s, 2); break;
    case 4: memcpy(d, s, 4); break;
    case 8: memcpy(d, s, 8); break;
    default: memcpy(d, s, es); break;
    }
}

/* A box (shape.h) and where its element 0 lies on each side. */
typedef struct Walk {
    RT_BOX_MEMBERS;
    char *dst;
    const char *src;
} Walk;

/* Copies the box of w (which it simplifies in place); a box with no elements copies nothing. */
void cpu_walk_run(RtCtx *ctx, Walk *w);

/* Copies n bytes, in parallel for large n. */
void cpu_copy_bytes(RtCtx *ctx, void *dst, const void *src, size_t n);

/* Fills n elements of es bytes at dst with the element at val. */
void cpu_fill_elems(void *dst, const void *val, int64_t n, size_t es);

/* These kernels copy elements of a fixed size: RT_OK, or RT_EUNSUPPORTED for strings. */
static inline int
cpu_sized(RtCtx *ctx, const char *op, const RtTensor *t)
{
    if (rt_dtype_size(t->dt) == 0)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d has no fixed size", op, (int)t->dt);
    return RT_OK;
}

/* Index inputs (Gather, Slice, Pad axes, ...) are int32 or int64. */
static inline int
cpu_is_index(const RtTensor *t)
{
    return t->dt == DT_I32 || t->dt == DT_I64;
}

static inline int64_t
cpu_index_at(const RtTensor *t, int64_t i)
{
    return t->dt == DT_I32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

/* An optional input that is absent or empty. */
static inline int
cpu_absent(RtTensor *const *in, int nin, int i)
{
    return i >= nin || !in[i] || rt_numel(in[i]) == 0;
}
