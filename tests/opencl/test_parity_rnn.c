/*
 * test_parity_rnn.c: GRU, LSTM and RNN on OpenCL (runtime/opencl/rnn.c) against the CPU kernels
 * (themselves checked against the spec by test_cpu_rnn): every direction, both layouts, every
 * optional input (sequence lengths with a 0, read from the device or from a constant's host
 * copy), absent outputs, GRU's two forms of the hidden gate, LSTM's peepholes and input_forget,
 * clip and activations with alpha and beta, projections made step by step (past the op's table).
 * A sequence length out of range is refused.
 */
#include "parity.h"

typedef struct Case {
    OpKind op;
    RnnDir dir;
    int layout;
    int64_t seq, batch, in, h;
    int bias, ih, ic, peep, lens;       /* optional inputs present */
    int lbr, input_forget;
    float clip;                         /* <= 0: none */
    int acts;                           /* 1: act, alpha, beta below */
    RnnAct act[RNN_MAXACT];
    float alpha[RNN_MAXACT], beta[RNN_MAXACT];
    int no_y;                           /* Y absent */
    unsigned consts;                    /* inputs that are constants */
    float rscale;                       /* R in [-rscale, rscale]; 0: 0.8 */
} Case;

static void
check(const char *name, const Case *c)
{
    int64_t dirs = c->dir == RD_BIDIRECTIONAL ? 2 : 1, h = c->h;
    int64_t ng = c->op == OP_LSTM ? 4 : c->op == OP_GRU ? 3 : 1, g = ng * h;
    int nin = c->op == OP_LSTM ? 8 : 6, nout = c->op == OP_LSTM ? 3 : 2;
    int na = c->op == OP_LSTM ? 3 : c->op == OP_GRU ? 2 : 1;
    Attr a;
    memset(&a, 0, sizeof a);
    a.rnn.hidden_size = h;
    a.rnn.direction = c->dir;
    a.rnn.layout = c->layout;
    a.rnn.linear_before_reset = c->lbr;
    a.rnn.input_forget = c->input_forget;
    a.rnn.clip = c->clip > 0 ? c->clip : -1.0f;
    for (int i = 0; i < RNN_MAXACT; i++) {
        a.rnn.act[i] = c->acts ? c->act[i] : i % na == 0 && c->op != OP_RNN ? RA_SIGMOID : RA_TANH;
        a.rnn.alpha[i] = c->alpha[i];
        a.rnn.beta[i] = c->beta[i];
    }
    int64_t xd[3] = {c->layout ? c->batch : c->seq, c->layout ? c->seq : c->batch, c->in};
    int64_t sd[3] = {c->layout ? c->batch : dirs, c->layout ? dirs : c->batch, h};
    int64_t yd[4] = {c->seq, dirs, c->batch, h};
    if (c->layout) {
        yd[0] = c->batch;
        yd[1] = c->seq;
        yd[2] = dirs;
    }
    RtTensor *in[8] = {0}, *out[3] = {0};
    in[0] = kt_new(DT_F32, 3, xd);
    in[1] = kt_new(DT_F32, 3, (const int64_t[]){dirs, g, c->in});
    in[2] = kt_new(DT_F32, 3, (const int64_t[]){dirs, g, h});
    kt_fill(in[0], 11, -2, 2);
    kt_fill(in[1], 12, -0.8f, 0.8f);
    float rs = c->rscale > 0 ? c->rscale : 0.8f;
    kt_fill(in[2], 13, -rs, rs);
    if (c->bias) {
        in[3] = kt_new(DT_F32, 2, (const int64_t[]){dirs, 2 * g});
        kt_fill(in[3], 14, -0.5f, 0.5f);
    }
    if (c->lens) { /* lengths seq, 0, 1, seq - 1, ... */
        in[4] = kt_new(DT_I32, 1, &c->batch);
        int32_t *l = in[4]->data;
        for (int64_t b = 0; b < c->batch; b++)
            l[b] = (int32_t)(b % 4 == 0 ? c->seq : b % 4 == 1 ? 0 : b % 4 == 2 ? 1 : c->seq - 1);
    }
    if (c->ih) {
        in[5] = kt_new(DT_F32, 3, sd);
        kt_fill(in[5], 15, -1, 1);
    }
    if (c->ic) {
        in[6] = kt_new(DT_F32, 3, sd);
        kt_fill(in[6], 16, -3, 3);
    }
    if (c->peep) {
        in[7] = kt_new(DT_F32, 2, (const int64_t[]){dirs, 3 * h});
        kt_fill(in[7], 17, -1, 1);
    }
    for (int j = 0; j < nout; j++)
        if (!(j == 0 && c->no_y))
            out[j] = j == 0 ? kt_new(DT_F32, 4, yd) : kt_new(DT_F32, 3, sd);
    par_check(name, c->op, &a, in, nin, out, nout, c->consts, 1e-5, 1e-4);
    for (int i = 0; i < 8; i++)
        kt_free(in[i]);
    for (int j = 0; j < 3; j++)
        kt_free(out[j]);
}

/* a sequence length past seq: RT_EINPUT, as on the CPU */
static void
check_bad_length(void)
{
    int64_t xd[3] = {2, 1, 3}, wd[3] = {1, 2, 3}, rd[3] = {1, 2, 2}, nb = 1;
    RtTensor *t[4] = {kt_new(DT_F32, 3, xd), kt_new(DT_F32, 3, wd), kt_new(DT_F32, 3, rd),
                      kt_new(DT_I32, 1, &nb)};
    *(int32_t *)t[3]->data = 3;
    OclBuf *buf = NULL;
    CHECK(ocl_buf_new(par_dev, 4096, &buf) == RT_OK);
    OclTensor d[5];
    OclTensor *din[6] = {0}, *dout[2] = {0};
    for (int i = 0; i < 4; i++) {
        d[i] = (OclTensor){.mem = buf->mem, .off = (size_t)i * 512, .dt = t[i]->dt,
                           .rank = t[i]->rank, .host = t[i]->data};
        memcpy(d[i].dim, t[i]->dim, sizeof t[i]->dim);
        din[i == 3 ? 4 : i] = &d[i];
    }
    d[4] = (OclTensor){.mem = buf->mem, .off = 2048, .dt = DT_F32, .rank = 3};
    d[4].dim[0] = d[4].dim[1] = 1;
    d[4].dim[2] = 2;
    dout[1] = &d[4];
    Attr a;
    memset(&a, 0, sizeof a);
    a.rnn.clip = -1.0f;
    a.rnn.act[0] = RA_TANH;
    CHECK(ocl_op[OP_RNN](par_dev, &a, din, 6, dout, 2) == RT_EINPUT);
    ocl_buf_free(par_dev, buf);
    for (int i = 0; i < 4; i++)
        kt_free(t[i]);
}

int
main(void)
{
    par_open();
    check("lstm defaults", &(Case){.op = OP_LSTM, .seq = 4, .batch = 3, .in = 5, .h = 6});
    check("lstm bidirectional, every input, clip, constant lengths",
          &(Case){.op = OP_LSTM, .dir = RD_BIDIRECTIONAL, .seq = 4, .batch = 5, .in = 5, .h = 6,
                  .bias = 1, .lens = 1, .ih = 1, .ic = 1, .peep = 1, .clip = 0.8f,
                  .consts = 1u << 4});
    check("lstm reverse, batch first, input_forget, activations",
          &(Case){.op = OP_LSTM, .dir = RD_REVERSE, .layout = 1, .seq = 3, .batch = 4, .in = 4,
                  .h = 5, .bias = 1, .lens = 1, .ih = 1, .ic = 1, .input_forget = 1, .acts = 1,
                  .act = {RA_HARDSIGMOID, RA_ELU, RA_SOFTSIGN}, .alpha = {0.3f, 0.7f},
                  .beta = {0.4f}, .no_y = 1});
    check("gru lengths, initial_h, clip",
          &(Case){.op = OP_GRU, .seq = 4, .batch = 4, .in = 2, .h = 4, .bias = 1, .lens = 1,
                  .ih = 1, .clip = 0.5f});
    check("gru bidirectional, linear_before_reset, batch first, activations",
          &(Case){.op = OP_GRU, .dir = RD_BIDIRECTIONAL, .layout = 1, .seq = 3, .batch = 2,
                  .in = 4, .h = 3, .bias = 1, .ih = 1, .lbr = 1, .acts = 1,
                  .act = {RA_SIGMOID, RA_SCALEDTANH, RA_LEAKYRELU, RA_SOFTPLUS},
                  .alpha = {0, 1.5f, 0.2f}, .beta = {0, 0.6f}});
    check("gru reverse, larger", &(Case){.op = OP_GRU, .dir = RD_REVERSE, .seq = 5, .batch = 3,
                                         .in = 16, .h = 40, .bias = 1, .lens = 1});
    check("rnn reverse, relu, lengths",
          &(Case){.op = OP_RNN, .dir = RD_REVERSE, .seq = 4, .batch = 4, .in = 3, .h = 4,
                  .bias = 1, .lens = 1, .ih = 1, .acts = 1, .act = {RA_RELU}});
    check("rnn bidirectional, batch first, affine, thresholdedrelu",
          &(Case){.op = OP_RNN, .dir = RD_BIDIRECTIONAL, .layout = 1, .seq = 3, .batch = 2,
                  .in = 2, .h = 3, .bias = 1, .ih = 1, .clip = 1.5f, .acts = 1,
                  .act = {RA_AFFINE, RA_THRESHOLDEDRELU}, .alpha = {0.5f, 0.1f},
                  .beta = {0.25f}});
    /* 3000 x 64 x 2 x 48 floats of projections, past the op's table: made step by step */
    check("gru bidirectional, projections step by step",
          &(Case){.op = OP_GRU, .dir = RD_BIDIRECTIONAL, .seq = 3000, .batch = 64, .in = 3,
                  .h = 16, .bias = 1, .lens = 1, .ih = 1, .no_y = 1, .rscale = 0.1f});
    check_bad_length();
    return par_close();
}
