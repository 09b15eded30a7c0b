/*
 * backend.c: the OpenCL backend of the executor (exec_impl.h). A lane opens the device its
 * processor names (ocl_open_match) on its own thread, and then works one of two ways:
 *
 * - On the host's memory (its processor's space is a host space: PoCL on the CPU, an integrated
 *   GPU): "zero-copy". Its OclTensors are views of host memory through buffers made with
 *   CL_MEM_USE_HOST_PTR: one over each host arena, one over the whole mapped weights file, and
 *   one over each of the caller's input and output buffers, made on the first run and again
 *   only when the caller passes another address. The device must report host-unified memory
 *   (CL_DEVICE_HOST_UNIFIED_MEMORY), else its kernels could work on a copy that the CPU lanes
 *   never see: such a processor is refused when it opens. A driver that refuses a host pointer
 *   gets a copy instead where that is exact (the weights once, an input before each run); an
 *   arena or an output it refuses is an error naming the call.
 * - In a memory space of its own (a discrete GPU, or host-split-copy.xml's stand-in for one): it
 *   allocates that space's arena and weights buffer, copies the constants its steps use
 *   (RtWeightUse) there once, and moves bytes only in Copy steps, with non-blocking
 *   clEnqueueWriteBuffer / clEnqueueReadBuffer. Constants keep OclTensor.host in the mapped file.
 *
 * A plan made for streams holds K copies of every arena (exec.c): the buffers span all of them,
 * and before each frame `frame` moves the arena tensors' offsets to that frame's copy and, zero-
 * copy, points the outputs at that copy's buffers (wrapped once each).
 *
 * Steps are enqueued on the device's in-order queue and not waited for; the lane waits for the
 * queue (clFinish) only before a step another lane waits for counts as done, and at the end of a
 * run. That also keeps the host memory a non-blocking copy reads or writes untouched until the
 * copy is done: nothing else may write it before a later wait on this lane. When tracing, a
 * marker is enqueued before and after each step; their profiling times (the step's start and
 * end on the device) are read once the run is over and mapped onto the host clock by the offset
 * between a host timestamp taken just before each enqueue and the marker's
 * CL_PROFILING_COMMAND_QUEUED.
 */
#include "../exec_impl.h"
#include "ocl_impl.h"
#include "ops.h"

#include <stdlib.h>
#include <string.h>

typedef struct Mark {
    const RtStep *s;
    cl_event before, after;
    double host_ms;             /* rt_now_ms just before `before` was enqueued */
} Mark;

typedef struct OclLane {
    OclDev *dev;
    int zero_copy;              /* the lane works on host memory */
    OclTensor *t;               /* every tensor as the lane's kernels see it */
    OclTensor **ptr;            /* room for one step's operands */
    cl_mem arena, weights;      /* its own space's */
    cl_mem *host_arena;         /* zero-copy: per space, the host arena */
    cl_mem map;                 /* zero-copy: the mapped weights file */
    size_t map_off;             /* where the weights' data starts in it */
    cl_mem *io;                 /* zero-copy: per RtPlan.io entry, the caller's buffer; then
                                 * per arena copy c >= 1, at c * nio + k, its own outputs' */
    const void **io_ptr;        /* the address io[k] was made for */
    unsigned char *io_copied;   /* 1: io[k] is a copy (an input written before each run) */
    Mark *mark;
    int nmark;
} OclLane;

static void
release(cl_mem *m)
{
    if (*m)
        clReleaseMemObject(*m);
    *m = NULL;
}

static cl_mem
new_mem(RtLane *l, cl_mem_flags flags, size_t bytes, void *host, const char *what, int *rc)
{
    OclLane *b = l->be;
    cl_int err;
    cl_mem m = clCreateBuffer(ocl_context(b->dev), flags, bytes, host, &err);
    if (err != CL_SUCCESS && *rc == RT_OK)
        *rc = rt_fail(l->ctx, RT_ECL, "clCreateBuffer failed for %s: %s (%d)", what,
                      ocl_errname(err), (int)err);
    return err == CL_SUCCESS ? m : NULL;
}

/* Host memory wrapped for the device (zero-copy), and the weights, copied once in a space of
 * its own. */
static int
make_buffers(RtLane *l)
{
    OclLane *b = l->be;
    RtPlan *p = l->p;
    const RtPlanDesc *d = p->d;
    const RtSpace *sp = &d->space[l->proc->space];
    cl_command_queue q = ocl_queue(b->dev);
    int rc = RT_OK;
    if (b->zero_copy) {
        if (!ocl_info(b->dev)->unified)
            return rt_fail(l->ctx, RT_ECL, "device \"%s\" does not share the host's memory "
                           "(CL_DEVICE_HOST_UNIFIED_MEMORY is false): give processor %s a "
                           "memory space of its own", ocl_info(b->dev)->name, l->proc->id);
        for (int s = 0; s < d->nspace && rc == RT_OK; s++)
            if (p->arena[s])
                b->host_arena[s] = new_mem(l, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR,
                                           p->stride[s] * (size_t)p->ncopy, p->arena[s],
                                           "the host arena", &rc);
        if (rc == RT_OK && p->w.map) {
            int refused = RT_OK;
            b->map_off = (size_t)(p->w.data - (const unsigned char *)p->w.map);
            b->map = new_mem(l, CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR, p->w.mapsize, p->w.map,
                             "the weights", &refused);
            if (!b->map)    /* a copy: the weights never change */
                b->map = new_mem(l, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, p->w.mapsize,
                                 p->w.map, "the weights", &rc);
        }
        return rc;
    }
    if (sp->arena_bytes)
        b->arena = new_mem(l, CL_MEM_READ_WRITE, p->stride[l->proc->space] * (size_t)p->ncopy,
                           NULL, "the arena", &rc);
    if (sp->weights_bytes && rc == RT_OK)
        b->weights = new_mem(l, CL_MEM_READ_ONLY, sp->weights_bytes, NULL, "the weights", &rc);
    for (int i = 0; rc == RT_OK && i < d->nweight_use; i++) {
        const RtWeightUse *u = &d->weight_use[i];
        size_t n = rt_exec_bytes(p, u->tensor);
        if (u->space == l->proc->space && n)
            rc = OCL_CALL(l->ctx, clEnqueueWriteBuffer(q, b->weights, CL_FALSE, (size_t)u->at,
                                                       n, p->w.data + d->place[u->tensor].at,
                                                       0, NULL, NULL));
    }
    if (rc == RT_OK)
        rc = OCL_CALL(l->ctx, clFinish(q));
    return rc;
}

static void
make_views(RtLane *l)
{
    OclLane *b = l->be;
    RtPlan *p = l->p;
    const RtPlanDesc *d = p->d;
    int own = l->proc->space;
    for (int i = 0; i < d->ntensor; i++) {
        const RtPlace *pl = &d->place[i];
        OclTensor *t = &b->t[i];
        *t = (OclTensor){.mem = NULL};
        t->shape = d->shape[i].shape;
        if (pl->kind == 'a' && !b->zero_copy && pl->space == own) {
            t->mem = b->arena;
            t->off = (size_t)pl->at;
        } else if (pl->kind == 'a' && b->zero_copy) {
            t->mem = b->host_arena[pl->space];
            t->off = (size_t)pl->at;
        } else if (pl->kind == 'w') {
            t->host = p->w.data + pl->at;
            if (b->zero_copy) {
                t->mem = b->map;
                t->off = b->map_off + (size_t)pl->at;
            }
        }
    }
    for (int i = 0; !b->zero_copy && i < d->nweight_use; i++) {
        const RtWeightUse *u = &d->weight_use[i];
        if (u->space == own) {
            b->t[u->tensor].mem = b->weights;
            b->t[u->tensor].off = (size_t)u->at;
        }
    }
}

static void close_lane(RtLane *l);

static int
open_lane(RtLane *l)
{
    RtPlan *p = l->p;
    const RtPlanDesc *d = p->d;
    int maxop = 1;
    for (int k = 0; k < l->desc->nstep; k++) {
        int n = l->desc->step[k].nin + l->desc->step[k].nout;
        maxop = n > maxop ? n : maxop;
    }
    OclLane *b = calloc(1, sizeof *b);
    if (!b)
        return rt_fail(l->ctx, RT_ENOMEM, "out of memory");
    l->be = b;
    b->zero_copy = d->space[l->proc->space].host;
    b->t = calloc((size_t)d->ntensor + 1, sizeof *b->t);
    b->ptr = calloc((size_t)maxop, sizeof *b->ptr);
    b->host_arena = calloc((size_t)d->nspace + 1, sizeof *b->host_arena);
    size_t nio = (size_t)p->nio * (size_t)p->ncopy + 1;
    b->io = calloc(nio, sizeof *b->io);
    b->io_ptr = calloc(nio, sizeof *b->io_ptr);
    b->io_copied = calloc(nio, 1);
    if (!b->t || !b->ptr || !b->host_arena || !b->io || !b->io_ptr || !b->io_copied)
        return rt_fail(l->ctx, RT_ENOMEM, "out of memory");
    int rc = ocl_open_match(l->ctx, l->proc->cl_platform, l->proc->cl_device, l->proc->cl_index,
                            &b->dev);
    if (rc != RT_OK)
        return rc;
    rt_ctx_set_device_name(l->ctx, ocl_info(b->dev)->name);
    if (d->nprogram > 0)
        ocl_use_sources(b->dev, d->nprogram, d->cl_name, d->cl_text);
    if ((rc = make_buffers(l)) != RT_OK)
        return rc;
    make_views(l);
    return RT_OK;
}

static void
drop_marks(OclLane *b)
{
    for (int i = 0; i < b->nmark; i++) {
        if (b->mark[i].before)
            clReleaseEvent(b->mark[i].before);
        if (b->mark[i].after)
            clReleaseEvent(b->mark[i].after);
    }
    b->nmark = 0;
}

static void
close_lane(RtLane *l)
{
    OclLane *b = l->be;
    if (!b)
        return;
    if (b->dev)
        clFinish(ocl_queue(b->dev));
    drop_marks(b);
    for (int k = 0; b->io && k < l->p->nio * l->p->ncopy; k++)
        release(&b->io[k]);
    for (int s = 0; s < l->p->d->nspace; s++)
        release(&b->host_arena[s]);
    release(&b->map);
    release(&b->arena);
    release(&b->weights);
    ocl_close(b->dev);
    free(b->t);
    free(b->ptr);
    free(b->host_arena);
    free(b->io);
    free(b->io_ptr);
    free(b->io_copied);
    free(b->mark);
    free(b);
    l->be = NULL;
}

/* Zero-copy: io entry k of arena copy c (slot c * nio + k): its host buffer wrapped (again
 * only when its address changed); an input the driver refuses to wrap is copied in before
 * each run. */
static int
wrap_io(RtLane *l, int c, int k)
{
    OclLane *b = l->be;
    RtPlan *p = l->p;
    int i = p->io[k], input = p->d->place[i].kind == 'i', rc = RT_OK;
    int slot = c * p->nio + k;
    void *host = l->t[i].data;
    size_t n = rt_exec_bytes(p, i);
    if (n && host != b->io_ptr[slot]) {
        release(&b->io[slot]);
        int refused = RT_OK;
        b->io_ptr[slot] = NULL;
        b->io_copied[slot] = 0;
        b->io[slot] = new_mem(l, (input ? CL_MEM_READ_ONLY : CL_MEM_READ_WRITE) |
                              CL_MEM_USE_HOST_PTR, n, host, "a caller's buffer",
                              input ? &refused : &rc);
        if (!b->io[slot] && input) {
            b->io[slot] = new_mem(l, CL_MEM_READ_ONLY, n, NULL, "an input's copy", &rc);
            b->io_copied[slot] = 1;
        }
        if (b->io[slot])
            b->io_ptr[slot] = host;
    }
    if (rc == RT_OK && b->io_copied[slot])
        rc = OCL_CALL(l->ctx, clEnqueueWriteBuffer(ocl_queue(b->dev), b->io[slot], CL_FALSE, 0,
                                                   n, host, 0, NULL, NULL));
    b->t[i].mem = n ? b->io[slot] : NULL;
    b->t[i].off = 0;
    return rc;
}

/* The caller's buffers, for the run's first frame (arena copy 0) */
static int
bind_io(RtLane *l)
{
    OclLane *b = l->be;
    int rc = RT_OK;
    drop_marks(b);
    if (l->tracing && !b->mark &&
        !(b->mark = calloc((size_t)l->desc->nstep + 1, sizeof *b->mark)))
        return rt_fail(l->ctx, RT_ENOMEM, "out of memory for the trace");
    for (int k = 0; b->zero_copy && k < l->p->nio && rc == RT_OK; k++)
        rc = wrap_io(l, 0, k);
    return rc;
}

/* A stream's frame in arena copy c: the arena tensors at that copy's offsets and, zero-copy,
 * the outputs in the copy's buffers (the inputs are the same in every frame) */
static int
frame_ocl(RtLane *l, int c)
{
    OclLane *b = l->be;
    RtPlan *p = l->p;
    const RtPlanDesc *d = p->d;
    int rc = RT_OK;
    for (int i = 0; i < d->ntensor; i++) {
        const RtPlace *pl = &d->place[i];
        if (pl->kind == 'a' && b->t[i].mem)
            b->t[i].off = (size_t)c * p->stride[pl->space] + (size_t)pl->at;
    }
    for (int k = 0; b->zero_copy && k < p->nio && rc == RT_OK; k++)
        if (d->place[p->io[k]].kind == 'o')
            rc = wrap_io(l, c, k);
    return rc;
}

static int
marker(RtLane *l, cl_event *ev)
{
    OclLane *b = l->be;
    return OCL_CALL(l->ctx, clEnqueueMarkerWithWaitList(ocl_queue(b->dev), 0, NULL, ev));
}

/* When tracing: the marker before a step (the step's start on the device). */
static int
mark_before(RtLane *l, const RtStep *s)
{
    OclLane *b = l->be;
    if (!l->tracing || b->nmark >= l->desc->nstep)
        return RT_OK;
    Mark *m = &b->mark[b->nmark++];
    *m = (Mark){.s = s, .host_ms = rt_now_ms()};
    return marker(l, &m->before);
}

static int
mark_after(RtLane *l)
{
    OclLane *b = l->be;
    if (!l->tracing || b->nmark == 0 || b->mark[b->nmark - 1].after)
        return RT_OK;
    return marker(l, &b->mark[b->nmark - 1].after);
}

static int
step_ocl(RtLane *l, const RtStep *s, const int *id, int k)
{
    (void)k;
    OclLane *b = l->be;
    for (int j = 0; j < s->nin + s->nout; j++)
        b->ptr[j] = id[j] < 0 ? NULL : &b->t[id[j]];
    int rc = mark_before(l, s);
    if (rc == RT_OK)
        rc = ((OclOp)s->fn)(b->dev, s->a, b->ptr, s->nin, b->ptr + s->nin, s->nout);
    if (rc == RT_OK)
        rc = mark_after(l);
    return rc;
}

static int
copy_ocl(RtLane *l, const RtStep *s, const int *id, int k)
{
    (void)k;
    OclLane *b = l->be;
    cl_command_queue q = ocl_queue(b->dev);
    const OclTensor *src = &b->t[id[0]], *dst = &b->t[id[1]];
    void *hsrc = l->t[id[0]].data, *hdst = l->t[id[1]].data;
    size_t n = rt_exec_bytes(l->p, id[0]);
    if (n != rt_exec_bytes(l->p, id[1]))
        return rt_fail(l->ctx, RT_EINPUT, "a copy between tensors of %zu and %zu bytes", n,
                       rt_exec_bytes(l->p, id[1]));
    if (n == 0)
        return RT_OK;
    int rc = mark_before(l, s);
    if (rc != RT_OK)
        return rc;
    if (src->mem && dst->mem)
        rc = OCL_CALL(l->ctx, clEnqueueCopyBuffer(q, src->mem, dst->mem, src->off, dst->off, n,
                                                  0, NULL, NULL));
    else if (dst->mem && hsrc)
        rc = OCL_CALL(l->ctx, clEnqueueWriteBuffer(q, dst->mem, CL_FALSE, dst->off, n, hsrc, 0,
                                                   NULL, NULL));
    else if (src->mem && hdst)
        rc = OCL_CALL(l->ctx, clEnqueueReadBuffer(q, src->mem, CL_FALSE, src->off, n, hdst, 0,
                                                  NULL, NULL));
    else
        rc = rt_fail(l->ctx, RT_EINPUT, "a copy between tensors that %s cannot reach",
                     l->proc->id);
    if (rc == RT_OK)
        rc = mark_after(l);
    return rc;
}

static int
sync_queue(RtLane *l)
{
    OclLane *b = l->be;
    return OCL_CALL(l->ctx, clFinish(ocl_queue(b->dev)));
}

static int
read_tensor(RtLane *l, int tensor, void *dst, size_t n)
{
    OclLane *b = l->be;
    const OclTensor *t = &b->t[tensor];
    if (!t->mem)
        return rt_fail(l->ctx, RT_EINPUT, "an output with no storage on %s", l->proc->id);
    return OCL_CALL(l->ctx, clEnqueueReadBuffer(ocl_queue(b->dev), t->mem, CL_TRUE, t->off, n,
                                                dst, 0, NULL, NULL));
}

static double
event_ns(cl_event ev, cl_profiling_info what)
{
    cl_ulong t = 0;
    if (!ev || clGetEventProfilingInfo(ev, what, sizeof t, &t, NULL) != CL_SUCCESS)
        return -1;
    return (double)t;
}

/* The markers' device times on the host clock: the offset is the largest of (host time before
 * an enqueue - the device's time of queueing it), the closest to the true one. */
static void
trace_end(RtLane *l)
{
    OclLane *b = l->be;
    double offset = 0;
    int have = 0;
    for (int i = 0; i < b->nmark; i++) {
        double q = event_ns(b->mark[i].before, CL_PROFILING_COMMAND_QUEUED);
        if (q >= 0 && (!have || b->mark[i].host_ms - q / 1e6 > offset)) {
            offset = b->mark[i].host_ms - q / 1e6;
            have = 1;
        }
    }
    for (int i = 0; have && i < b->nmark && l->trace_n < l->trace_cap; i++) {
        const Mark *m = &b->mark[i];
        double t0 = event_ns(m->before, CL_PROFILING_COMMAND_END);
        double t1 = event_ns(m->after, CL_PROFILING_COMMAND_END);
        if (t0 < 0 || t1 < 0)
            continue;
        l->trace[l->trace_n++] = (RtTraceEvent){
            .step = m->s->node, .lane = l->index, .copy = m->s->fn == NULL,
            .start_ms = t0 / 1e6 + offset - l->p->t0, .end_ms = t1 / 1e6 + offset - l->p->t0};
    }
    drop_marks(b);
}

void
rt_ocl_warm_up(void)
{
    cl_uint np = 0;
    cl_platform_id plat[16];
    if (clGetPlatformIDs(16, plat, &np) != CL_SUCCESS)
        return;
    for (cl_uint i = 0; i < np && i < 16; i++) {
        cl_uint nd = 0;
        clGetDeviceIDs(plat[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
    }
}

const RtBackendOps rt_ocl_backend = {
    .name = "opencl",
    .host_timed = 0,
    .open = open_lane,
    .close = close_lane,
    .bind = bind_io,
    .step = step_ocl,
    .copy = copy_ocl,
    .sync = sync_queue,
    .finish = sync_queue,
    .read = read_tensor,
    .trace_end = trace_end,
    .frame = frame_ocl,
};
