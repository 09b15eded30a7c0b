/*
 * rnn.c: GRU, LSTM and RNN on an OpenCL device, float32, the counterparts of runtime/cpu/rnn.c,
 * whose attribute handling and results they repeat (kernels/rnn.cl).
 *
 * One scratch buffer per call holds the input projections of the whole sequence, the two hidden
 * state buffers, LSTM's cell state and GRU's r (.) H_{t-1} and z. rnn_project fills the
 * projections in one launch; then each time step is one launch of rnn_step over every hidden
 * unit, batch row and direction (two for GRU with linear_before_reset 0); rnn_final writes Y_h
 * and Y_c. The scratch is freed before returning, which waits for the queue: the op runs to its
 * end before the next one is queued. Sequence lengths are read back once and checked on the host.
 */
#include "ocl_impl.h"
#include "ops.h"

#include <stdlib.h>
#include <string.h>

enum { TABLE_MAX = 1 << 24 };   /* floats of projections made ahead (64 MB), at most */

/* t's offset in floats (or int32s) */
static cl_long
eoff(const OclTensor *t)
{
    return t ? (cl_long)(t->off / 4) : 0;
}

static int
run(OclDev *d, OpKind op, const Attr *attr, OclTensor *const *in, int nin, OclTensor *const *out,
    int nout)
{
    const char *name = op == OP_LSTM ? "LSTM" : op == OP_GRU ? "GRU" : "RNN";
    const RnnAttr *a = &attr->rnn;
    const OclTensor *t[8] = {0}, *o[3] = {0};
    for (int i = 0; i < nin && i < 8; i++)
        t[i] = in[i];
    for (int i = 0; i < nout && i < 3; i++)
        o[i] = out[i];
    for (int i = 0; i < 11; i++) {
        const OclTensor *x = i < 8 ? t[i] : o[i - 8];
        if (x && x->dt != (i == 4 ? DT_I32 : DT_F32))
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: %s %d has dtype %d", name,
                           i < 8 ? "input" : "output", i < 8 ? i : i - 8, (int)x->dt);
    }
    int64_t dirs = a->direction == RD_BIDIRECTIONAL ? 2 : 1;
    int64_t ng = op == OP_LSTM ? 4 : op == OP_GRU ? 3 : 1;
    int64_t seq = t[0]->dim[a->layout ? 1 : 0], batch = t[0]->dim[a->layout ? 0 : 1];
    int64_t inz = t[0]->dim[2], h = t[2]->dim[2], g = ng * h, rows = seq * batch;
    if (batch * h == 0)
        return RT_OK;
    int rc = RT_OK;
    cl_int *lens = NULL;
    if (t[4]) { /* checked on the host, as the CPU does */
        lens = malloc((size_t)batch * sizeof *lens);
        if (!lens)
            return rt_fail(d->ctx, RT_ENOMEM, "%s on OpenCL: sequence_lens", name);
        if (t[4]->host)
            memcpy(lens, t[4]->host, (size_t)batch * sizeof *lens);
        else
            rc = OCL_CALL(d->ctx, clEnqueueReadBuffer(d->queue, t[4]->mem, CL_TRUE, t[4]->off,
                                                      (size_t)batch * sizeof *lens, lens, 0, NULL,
                                                      NULL));
        for (int64_t b = 0; rc == RT_OK && b < batch; b++)
            if (lens[b] < 0 || lens[b] > seq)
                rc = rt_fail(d->ctx, RT_EINPUT, "%s: sequence_lens[%lld] = %d is not in [0, %lld]",
                             name, (long long)b, (int)lens[b], (long long)seq);
        free(lens);
        if (rc != RT_OK)
            return rc;
    }

    /* the scratch: gx (the whole sequence's projections, or one step's when those would pass
     * TABLE_MAX floats), hs, cs, aux */
    int64_t ngx = dirs * rows * g, nhs = dirs * 2 * batch * h, ncs = dirs * batch * h;
    cl_int per_step = ngx > TABLE_MAX;
    if (per_step)
        ngx = dirs * batch * g;
    OclBuf *buf = NULL;
    if ((rc = ocl_buf_new(d, (size_t)(ngx + 2 * nhs + ncs) * sizeof(float), &buf)) != RT_OK)
        return rc;
    cl_mem m = buf->mem;
    cl_long go = 0, ho = ngx, co = ngx + nhs, ao = ngx + nhs + ncs;
    size_t gstate[3] = {(size_t)h, (size_t)batch, (size_t)dirs};
    cl_int layout = a->layout;

    /* the projections, and the initial states into hidden buffer 0 and the cell state */
    if (inz > 0 && rows > 0 && !per_step) {
        cl_long xo = eoff(t[0]), wo = eoff(t[1]), k = inz;
        OclArg pa[] = {OCL_ARG(t[0]->mem), OCL_ARG(xo), OCL_ARG(t[1]->mem), OCL_ARG(wo),
                       OCL_ARG(m),         OCL_ARG(go), OCL_ARG(k)};
        size_t gp[3] = {(size_t)g, (size_t)rows, (size_t)dirs};
        rc = ocl_launch(d, "rnn", NULL, "rnn_project", pa, 7, 3, gp, NULL);
    } else if (ngx > 0) {
        cl_float zero = 0.0f;
        rc = OCL_CALL(d->ctx, clEnqueueFillBuffer(d->queue, m, &zero, sizeof zero, 0,
                                                  (size_t)ngx * sizeof(float), 0, NULL, NULL));
    }
    for (int i = 0; i < 2 && rc == RT_OK; i++) {
        const OclTensor *s = t[5 + i];
        cl_long so = eoff(s), doff = i ? co : ho, stride = (i ? 1 : 2) * batch * h;
        cl_int has = s != NULL;
        cl_mem sm = s ? s->mem : m;
        OclArg ia[] = {OCL_ARG(sm),   OCL_ARG(so),     OCL_ARG(has),   OCL_ARG(m),
                       OCL_ARG(doff), OCL_ARG(stride), OCL_ARG(layout)};
        rc = ocl_launch(d, "rnn", NULL, "rnn_init", ia, 7, 3, gstate, NULL);
    }

    /* the steps */
    cl_int kind = op == OP_LSTM ? 2 : op == OP_GRU ? 1 : 0, has_b = t[3] != NULL;
    cl_int has_p = op == OP_LSTM && t[7], has_l = t[4] != NULL, has_y = o[0] != NULL;
    cl_int rev = a->direction == RD_REVERSE, lbr = a->linear_before_reset;
    cl_int forget = a->input_forget;
    cl_long ro = eoff(t[2]), bo = eoff(t[3]), po = has_p ? eoff(t[7]) : 0, lo = eoff(t[4]);
    cl_long yo = eoff(o[0]), cseq = seq;
    /* an absent tensor's buffer: the scratch, never read */
    cl_mem bm = has_b ? t[3]->mem : m, pm = has_p ? t[7]->mem : m, lm = has_l ? t[4]->mem : m;
    cl_mem ym = has_y ? o[0]->mem : m;
    cl_float clip = a->clip;
    cl_int8 act;
    cl_float8 alpha, beta;
    memset(&act, 0, sizeof act);
    memset(&alpha, 0, sizeof alpha);
    memset(&beta, 0, sizeof beta);
    for (int i = 0; i < RNN_MAXACT; i++) {
        act.s[i] = (cl_int)a->act[i];
        alpha.s[i] = a->alpha[i];
        beta.s[i] = a->beta[i];
    }
    int phases = op == OP_GRU && !lbr ? 2 : 1;
    cl_long xo = eoff(t[0]), wo = eoff(t[1]), k = inz;
    size_t gp[3] = {(size_t)g, (size_t)batch, (size_t)dirs};
    for (cl_long s = 0; s < seq && rc == RT_OK; s++) {
        if (per_step && inz > 0) {
            OclArg pa[] = {OCL_ARG(t[0]->mem), OCL_ARG(xo),   OCL_ARG(t[1]->mem), OCL_ARG(wo),
                           OCL_ARG(m),         OCL_ARG(go),   OCL_ARG(k),         OCL_ARG(s),
                           OCL_ARG(cseq),      OCL_ARG(lm),   OCL_ARG(lo),        OCL_ARG(has_l),
                           OCL_ARG(rev),       OCL_ARG(layout)};
            rc = ocl_launch(d, "rnn", NULL, "rnn_project_step", pa, 14, 3, gp, NULL);
        }
        for (cl_int ph = 0; ph < phases && rc == RT_OK; ph++) {
            OclArg sa[] = {OCL_ARG(kind),   OCL_ARG(ph),
                           OCL_ARG(s),      OCL_ARG(m),
                           OCL_ARG(go),     OCL_ARG(t[2]->mem),
                           OCL_ARG(ro),     OCL_ARG(bm),
                           OCL_ARG(bo),     OCL_ARG(has_b),
                           OCL_ARG(pm), OCL_ARG(po),
                           OCL_ARG(has_p),  OCL_ARG(lm),
                           OCL_ARG(lo),     OCL_ARG(has_l),
                           OCL_ARG(m),      OCL_ARG(ho),
                           OCL_ARG(m),      OCL_ARG(co),
                           OCL_ARG(m),      OCL_ARG(ao),
                           OCL_ARG(ym), OCL_ARG(yo),
                           OCL_ARG(has_y),  OCL_ARG(cseq),
                           OCL_ARG(per_step), OCL_ARG(rev),
                           OCL_ARG(layout),
                           OCL_ARG(lbr),    OCL_ARG(forget),
                           OCL_ARG(clip),   OCL_ARG(act),
                           OCL_ARG(alpha),  OCL_ARG(beta)};
            rc = ocl_launch(d, "rnn", NULL, "rnn_step", sa, (int)(sizeof sa / sizeof *sa), 3,
                            gstate, NULL);
        }
    }

    /* Y_h from the buffer the last step wrote (seq % 2), Y_c from the cell state */
    for (int i = 1; i < 3 && rc == RT_OK; i++) {
        if (!o[i])
            continue;
        cl_long soff = i == 1 ? ho + (seq & 1) * batch * h : co, oo = eoff(o[i]);
        cl_long stride = (i == 1 ? 2 : 1) * batch * h;
        OclArg fa[] = {OCL_ARG(m),         OCL_ARG(soff),   OCL_ARG(stride),
                       OCL_ARG(o[i]->mem), OCL_ARG(oo),     OCL_ARG(layout),
                       OCL_ARG(lm),      OCL_ARG(lo), OCL_ARG(has_l)};
        rc = ocl_launch(d, "rnn", NULL, "rnn_final", fa, 9, 3, gstate, NULL);
    }
    ocl_buf_free(d, buf);
    return rc;
}

int
ocl_op_gru(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
           int nout)
{
    return run(d, OP_GRU, a, in, nin, out, nout);
}

int
ocl_op_lstm(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
            int nout)
{
    return run(d, OP_LSTM, a, in, nin, out, nout);
}

int
ocl_op_rnn(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
           int nout)
{
    return run(d, OP_RNN, a, in, nin, out, nout);
}
