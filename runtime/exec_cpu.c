/*
 * exec_cpu.c: the CPU backend of the executor. A CPU lane's tensors are the executor's host
 * views (RtTensor over the host arena, the mapped weights and the caller's buffers), its steps
 * are the kernels of rt_backend.h called on the lane's context, and a copy is a memcpy. Nothing
 * is queued, so sync and finish have nothing to wait for.
 */
#include "exec_impl.h"

#include <string.h>

static int
open_cpu(RtLane *l)
{
    (void)l;
    return RT_OK;
}

static void
close_cpu(RtLane *l)
{
    (void)l;
}

static int
nothing(RtLane *l)
{
    (void)l;
    return RT_OK;
}

static int
step_cpu(RtLane *l, const RtStep *s, const int *id, int k)
{
    (void)k;
    RtTensor **ptr = (RtTensor **)l->ptrs;
    for (int j = 0; j < s->nin + s->nout; j++)
        ptr[j] = id[j] < 0 ? NULL : &l->t[id[j]];
    return ((RtKernel)s->fn)(l->ctx, s->a, ptr, s->nin, ptr + s->nin, s->nout);
}

static int
copy_cpu(RtLane *l, const RtStep *s, const int *id, int k)
{
    (void)s;
    (void)k;
    const RtTensor *src = &l->t[id[0]], *dst = &l->t[id[1]];
    size_t n = rt_exec_bytes(l->p, id[0]);
    if (n != rt_exec_bytes(l->p, id[1]))
        return rt_fail(l->ctx, RT_EINPUT, "a copy between tensors of %zu and %zu bytes", n,
                       rt_exec_bytes(l->p, id[1]));
    if (n && (!src->data || !dst->data))
        return rt_fail(l->ctx, RT_EINPUT, "a copy on a CPU between tensors not both in host "
                       "memory");
    if (n)
        memcpy(dst->data, src->data, n);
    return RT_OK;
}

const RtBackendOps rt_cpu_backend = {
    .name = "cpu",
    .host_timed = 1,
    .open = open_cpu,
    .close = close_cpu,
    .bind = nothing,
    .step = step_cpu,
    .copy = copy_cpu,
    .sync = nothing,
    .finish = nothing,
};
