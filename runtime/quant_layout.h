/*
 * quant_layout.h: how QuantizeLinear and DequantizeLinear walk a tensor, shared by the CPU and
 * OpenCL kernels so that they agree: as [outer, ch, inner], each run of inner elements taking one
 * scale and one zero point (ch 1: one for the whole tensor).
 */
#pragma once

#include "rt.h"

/* x's channels and inner run for scales s (one element, or a 1-D tensor along axis, which may
 * count from the end): 0, or -1 when s does not fit x. */
static inline int
rt_quant_layout(const RtShape *x, const RtShape *s, int64_t axis, int64_t *ch, int64_t *inner)
{
    int64_t ns = 1, n = 1;
    for (int i = 0; i < s->rank; i++)
        ns *= s->dim[i];
    for (int i = 0; i < x->rank; i++)
        n *= x->dim[i];
    *ch = 1;
    *inner = n;
    if (ns == 1)
        return 0;
    int64_t ax = axis < 0 ? axis + x->rank : axis;
    if (ax < 0 || ax >= x->rank || s->rank != 1 || x->dim[ax] != ns)
        return -1;
    *ch = ns;
    *inner = 1;
    for (int i = (int)ax + 1; i < x->rank; i++)
        *inner *= x->dim[i];
    return 0;
}
