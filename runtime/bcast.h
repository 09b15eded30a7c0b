/*
 * bcast.h: numpy (multidirectional) broadcasting, shared by the CPU and OpenCL elementwise
 * kernels, which must agree on it.
 */
#pragma once

#include <stdint.h>

/* The element strides st[0 .. r) with which an operand of rank xr and dims xd is read for an
 * output of rank r and dims od: the operand's dims align to the right, and a dim of 1 (or a
 * missing one) has stride 0. -1 when the operand does not broadcast to od. */
static inline int
rt_bcast_strides(int r, const int64_t *od, int xr, const int64_t *xd, int64_t *st)
{
    int lead = r - xr;
    int64_t s = 1;
    if (lead < 0)
        return -1;
    for (int d = r - 1; d >= 0; d--) {
        int64_t m = d < lead ? 1 : xd[d - lead];
        if (m != 1 && m != od[d])
            return -1;
        st[d] = m == 1 ? 0 : s;
        s *= m;
    }
    return 0;
}
