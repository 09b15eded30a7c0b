/*
 * plan.c: the device side of a plan that runs on OpenCL (codegen's gpu strategy). A generated
 * NAME.c describes its tensors (OclPlanLayout: dtypes, shapes, RtPlace) and calls these to set
 * up one instance and to move its inputs and outputs; its steps call the ocl_op_* of ops.h on
 * ocl_plan's tensors.
 *
 * Memory: one buffer holds the memory plan's arena, at the planner's offsets; one holds the
 * weights, written once when the instance starts (their host copy stays reachable through
 * OclTensor.host, for ops that read parameters); each input and each output the plan writes in
 * place has a buffer of its own, so that moving it is one contiguous copy. On a device that
 * shares the host's memory every buffer is zero-copy (ocl_buf_new), and the copies are memcpys
 * through a mapping.
 */
#include "ocl_impl.h"
#include "ops.h"

#include <stdlib.h>
#include <string.h>

static size_t
tensor_bytes(const RtTensor *t)
{
    return (size_t)rt_numel(t) * rt_dtype_size(t->dt);
}

/* The buffer of tensor i and its byte offset there; NULL when it is not stored. */
static OclBuf *
buf_of(const OclPlan *p, int i, size_t *off)
{
    const RtPlace *pl = &p->lay->place[i];
    *off = 0;
    switch (pl->kind) {
    case 'a':
        *off = (size_t)pl->at;
        return p->arena;
    case 'w':
        *off = (size_t)pl->at;
        return p->weights;
    case 'i':
        return p->io[pl->at];
    case 'o':
        return p->io[p->lay->ninput + pl->at];
    default:
        return NULL;
    }
}

/* A buffer of bytes, or none (NULL) for none: OpenCL has no empty buffers. */
static int
new_buf(OclDev *d, size_t bytes, OclBuf **out)
{
    *out = NULL;
    return bytes ? ocl_buf_new(d, bytes, out) : RT_OK;
}

int
ocl_plan_open(OclPlan *p, RtCtx *ctx, const char *spec, const OclPlanLayout *lay,
              const void *weights)
{
    memset(p, 0, sizeof *p);
    p->lay = lay;
    int nio = lay->ninput + lay->noutput, rc;
    if ((rc = ocl_open(ctx, spec, &p->dev)) != RT_OK)
        return rc;
    rt_ctx_set_device_name(ctx, p->dev->info.name);     /* for the binary's trace */
    p->io = calloc((size_t)nio + 1, sizeof *p->io);
    p->t = calloc((size_t)lay->ntensor + 1, sizeof *p->t);
    if (!p->io || !p->t)
        return rt_fail(ctx, RT_ENOMEM, "out of memory for the plan's OpenCL tensors");
    if ((rc = new_buf(p->dev, lay->arena_bytes, &p->arena)) != RT_OK ||
        (rc = new_buf(p->dev, lay->weights_bytes, &p->weights)) != RT_OK)
        return rc;
    if (p->weights && (rc = ocl_buf_write(p->dev, p->weights, 0, weights,
                                          lay->weights_bytes)) != RT_OK)
        return rc;
    for (int i = 0; i < lay->ninput; i++)
        if ((rc = new_buf(p->dev, tensor_bytes(&lay->shape[lay->input[i]]), &p->io[i])) != RT_OK)
            return rc;
    for (int i = 0; i < lay->noutput; i++) {
        const RtPlace *pl = &lay->place[lay->output[i]];
        if (pl->kind == 'o' && pl->at == i &&
            (rc = new_buf(p->dev, tensor_bytes(&lay->shape[lay->output[i]]),
                          &p->io[lay->ninput + i])) != RT_OK)
            return rc;
    }
    for (int i = 0; i < lay->ntensor; i++) {
        const RtTensor *s = &lay->shape[i];
        OclTensor *t = &p->t[i];
        size_t off;
        OclBuf *b = buf_of(p, i, &off);
        *t = (OclTensor){.mem = b ? b->mem : NULL, .off = off, .dt = s->dt, .rank = s->rank};
        memcpy(t->dim, s->dim, sizeof t->dim);
        if (lay->place[i].kind == 'w')
            t->host = (const unsigned char *)weights + off;
    }
    return RT_OK;
}

void
ocl_plan_close(OclPlan *p)
{
    if (!p->dev)
        return;
    int nio = p->lay->ninput + p->lay->noutput;
    for (int i = 0; p->io && i < nio; i++)
        ocl_buf_free(p->dev, p->io[i]);
    ocl_buf_free(p->dev, p->arena);
    ocl_buf_free(p->dev, p->weights);
    free(p->io);
    free(p->t);
    ocl_close(p->dev);
    memset(p, 0, sizeof *p);
}

int
ocl_plan_write_inputs(OclPlan *p, const void *const *inputs)
{
    for (int i = 0; i < p->lay->ninput; i++) {
        size_t n = tensor_bytes(&p->lay->shape[p->lay->input[i]]);
        int rc = n ? ocl_buf_write(p->dev, p->io[i], 0, inputs[i], n) : RT_OK;
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

int
ocl_plan_read_outputs(OclPlan *p, void *const *outputs)
{
    int rc = ocl_finish(p->dev);
    for (int i = 0; rc == RT_OK && i < p->lay->noutput; i++) {
        int v = p->lay->output[i];
        size_t n = tensor_bytes(&p->lay->shape[v]), off;
        OclBuf *b = buf_of(p, v, &off);
        if (n && b)
            rc = ocl_buf_read(p->dev, b, off, outputs[i], n);
        else if (n)
            rc = rt_fail(p->dev->ctx, RT_EINPUT, "output %d has no storage in the plan", i);
    }
    return rc;
}
