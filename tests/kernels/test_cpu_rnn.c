/*
 * test_cpu_rnn.c: GRU, LSTM and RNN (runtime/cpu/rnn.c) against a reference written from the
 * ONNX spec in double: each batch row on its own, one time step after another (from its last
 * step back for a reverse direction), every gate a dot product of X's row with W's and of the
 * hidden state with R's, the equations of the spec with the biases, peepholes, clip,
 * input_forget and linear_before_reset as they are written there. Every case runs in a 1-thread
 * and a 2-thread context; the sizes reach both threaded paths of the kernel (a step's hidden
 * units split over the threads, and the two directions side by side), the sgemv path of a single
 * batch row, sequence lengths of 0 (whose Y_h and Y_c are 0, as ONNX Runtime gives), absent
 * outputs, and sequences whose projections the kernel makes step by step (past its table). Bad
 * sequence lengths and other dtypes are refused.
 */
#include "../kernels/ktest.h"

#define ATOL 2e-5
#define RTOL 1e-4

static RtCtx *ctx1, *ctx2;

typedef struct Case {
    OpKind op;
    RnnDir dir;
    int layout;
    int64_t seq, batch, in, h;
    int bias, ih, ic, peep;             /* optional inputs present */
    const int32_t *lens;                /* NULL: none */
    int lbr, input_forget;
    float clip;                         /* <= 0: none */
    int acts;                           /* 1: act/alpha/beta below, else the defaults */
    RnnAct act[RNN_MAXACT];
    float alpha[RNN_MAXACT], beta[RNN_MAXACT];
    int no_y, no_yh;                    /* outputs left absent */
    float rscale;                       /* R in [-rscale, rscale]; 0: 0.8 */
} Case;

/* ir_attr_default's attributes (the compiler's, which this test does not link): the spec's
 * activations f = Sigmoid, g = h = Tanh (RNN: Tanh) for both directions, no clip */
static void
defaults(OpKind op, Attr *a)
{
    int ng = op == OP_LSTM ? 3 : op == OP_GRU ? 2 : 1;
    memset(a, 0, sizeof *a);
    a->rnn.clip = -1.0f;
    for (int i = 0; i < 2 * ng; i++)
        a->rnn.act[i] = i % ng == 0 && op != OP_RNN ? RA_SIGMOID : RA_TANH;
}

static double
act_ref(RnnAct f, double a, double b, double x)
{
    switch (f) {
    case RA_RELU: return x > 0 ? x : 0;
    case RA_TANH: return tanh(x);
    case RA_SIGMOID: return 1 / (1 + exp(-x));
    case RA_AFFINE: return a * x + b;
    case RA_LEAKYRELU: return x >= 0 ? x : a * x;
    case RA_THRESHOLDEDRELU: return x >= a ? x : 0;
    case RA_SCALEDTANH: return a * tanh(b * x);
    case RA_HARDSIGMOID: return fmin(fmax(a * x + b, 0), 1);
    case RA_ELU: return x >= 0 ? x : a * (exp(x) - 1);
    case RA_SOFTSIGN: return x / (1 + fabs(x));
    case RA_SOFTPLUS: return log(1 + exp(x));
    default: return NAN;
    }
}

/* activation k of direction dir with the gates' clip (LSTM's h, k = 2, takes no clip) */
static double
act(const Attr *at, OpKind op, int dir, int k, double x)
{
    const RnnAttr *a = &at->rnn;
    int i = dir * (op == OP_LSTM ? 3 : op == OP_GRU ? 2 : 1) + k;
    if (a->clip >= 0 && k != 2)
        x = fmin(fmax(x, -a->clip), a->clip);
    return act_ref(a->act[i], a->alpha[i], a->beta[i], x);
}

/* The spec's equations, row by row, into y, yh, yc (each NULL: not wanted). */
static void
reference(const Case *c, const Attr *at, RtTensor *const *in, float *y, float *yh, float *yc)
{
    int64_t dirs = c->dir == RD_BIDIRECTIONAL ? 2 : 1, h = c->h;
    int64_t ng = c->op == OP_LSTM ? 4 : c->op == OP_GRU ? 3 : 1, g = ng * h;
    const float *x = in[0]->data, *w = in[1]->data, *r = in[2]->data;
    const float *b = in[3] ? in[3]->data : NULL, *ih = in[5] ? in[5]->data : NULL;
    const float *ic = c->op == OP_LSTM && in[6] ? in[6]->data : NULL;
    const float *p = c->op == OP_LSTM && in[7] ? in[7]->data : NULL;
    double *hs = calloc((size_t)h, sizeof *hs), *cs = calloc((size_t)h, sizeof *cs);
    double *xw = calloc((size_t)g, sizeof *xw), *hr = calloc((size_t)g, sizeof *hr);
    double *hn = calloc((size_t)h, sizeof *hn), *rr = calloc((size_t)h, sizeof *rr);
    if (y)
        memset(y, 0, (size_t)(c->seq * dirs * c->batch * h) * sizeof *y);
    for (int dir = 0; dir < dirs; dir++) {
        const float *wd = w + dir * g * c->in, *rd = r + dir * g * h;
        const float *wb = b ? b + dir * 2 * g : NULL, *rb = b ? wb + g : NULL;
        for (int64_t bb = 0; bb < c->batch; bb++) {
            int64_t st = c->layout ? bb * dirs + dir : dir * c->batch + bb; /* in Y_h */
            for (int64_t j = 0; j < h; j++) {
                hs[j] = ih ? ih[st * h + j] : 0;
                cs[j] = ic ? ic[st * h + j] : 0;
            }
            int64_t len = c->lens ? c->lens[bb] : c->seq;
            for (int64_t s = 0; s < len; s++) {
                int64_t t = c->dir == RD_REVERSE || dir == 1 ? len - 1 - s : s;
                const float *xr = x + (c->layout ? bb * c->seq + t : t * c->batch + bb) * c->in;
                for (int64_t q = 0; q < g; q++) {
                    xw[q] = wb ? wb[q] : 0;
                    hr[q] = rb ? rb[q] : 0;
                    for (int64_t i = 0; i < c->in; i++)
                        xw[q] += (double)xr[i] * wd[q * c->in + i];
                    for (int64_t k = 0; k < h; k++)
                        hr[q] += hs[k] * rd[q * h + k];
                }
                for (int64_t j = 0; j < h; j++) {
                    if (c->op == OP_RNN) {
                        hn[j] = act(at, c->op, dir, 0, xw[j] + hr[j]);
                    } else if (c->op == OP_GRU) {
                        double z = act(at, c->op, dir, 0, xw[j] + hr[j]);
                        rr[j] = act(at, c->op, dir, 0, xw[h + j] + hr[h + j]);
                        hn[j] = z; /* the update gate until every unit's r is known */
                    } else {
                        const float *pd = p ? p + dir * 3 * h : NULL;
                        double ig = act(at, c->op, dir, 0,
                                        xw[j] + hr[j] + (pd ? pd[j] * cs[j] : 0));
                        double fg = act(at, c->op, dir, 0,
                                        xw[2 * h + j] + hr[2 * h + j] + (pd ? pd[2 * h + j] * cs[j]
                                                                            : 0));
                        if (c->input_forget)
                            fg = 1 - ig;
                        double cg = act(at, c->op, dir, 1, xw[3 * h + j] + hr[3 * h + j]);
                        cs[j] = fg * cs[j] + ig * cg;
                        double og = act(at, c->op, dir, 0,
                                        xw[h + j] + hr[h + j] + (pd ? pd[h + j] * cs[j] : 0));
                        hn[j] = og * act(at, c->op, dir, 2, cs[j]);
                    }
                }
                if (c->op == OP_GRU) {
                    for (int64_t j = 0; j < h; j++) {
                        double z = hn[j], v;
                        if (c->lbr) {
                            v = xw[2 * h + j] + rr[j] * hr[2 * h + j];
                        } else { /* (r (.) H) Rh^T + Rbh */
                            v = xw[2 * h + j] + (rb ? rb[2 * h + j] : 0);
                            for (int64_t k = 0; k < h; k++)
                                v += rr[k] * hs[k] * rd[(2 * h + j) * h + k];
                        }
                        hn[j] = (1 - z) * act(at, c->op, dir, 1, v) + z * hs[j];
                    }
                }
                memcpy(hs, hn, (size_t)h * sizeof *hs);
                int64_t yi = c->layout ? (bb * c->seq + t) * dirs + dir
                                       : (t * dirs + dir) * c->batch + bb;
                for (int64_t j = 0; y && j < h; j++)
                    y[yi * h + j] = (float)hs[j];
            }
            for (int64_t j = 0; j < h; j++) { /* an empty sequence has no last state: 0 */
                if (yh)
                    yh[st * h + j] = len ? (float)hs[j] : 0.0f;
                if (yc)
                    yc[st * h + j] = len ? (float)cs[j] : 0.0f;
            }
        }
    }
    free(hs);
    free(cs);
    free(xw);
    free(hr);
    free(hn);
    free(rr);
}

static void
check(const char *what, const Case *c)
{
    int64_t dirs = c->dir == RD_BIDIRECTIONAL ? 2 : 1, h = c->h;
    int64_t ng = c->op == OP_LSTM ? 4 : c->op == OP_GRU ? 3 : 1, g = ng * h;
    int nin = c->op == OP_LSTM ? 8 : 6, nout = c->op == OP_LSTM ? 3 : 2;
    Attr a;
    defaults(c->op, &a);
    a.rnn.hidden_size = h;
    a.rnn.direction = c->dir;
    a.rnn.layout = c->layout;
    a.rnn.linear_before_reset = c->lbr;
    a.rnn.input_forget = c->input_forget;
    a.rnn.clip = c->clip > 0 ? c->clip : -1.0f;
    if (c->acts)
        for (int i = 0; i < RNN_MAXACT; i++) {
            a.rnn.act[i] = c->act[i];
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
    RtTensor *in[8] = {0}, *out[3] = {0}, *want[3] = {0};
    in[0] = kt_new(DT_F32, 3, xd);
    in[1] = kt_new(DT_F32, 3, (const int64_t[]){dirs, g, c->in});
    in[2] = kt_new(DT_F32, 3, (const int64_t[]){dirs, g, h});
    kt_fill(in[0], 1, -2, 2);
    kt_fill(in[1], 2, -0.8f, 0.8f);
    float rs = c->rscale > 0 ? c->rscale : 0.8f;
    kt_fill(in[2], 3, -rs, rs);
    if (c->bias) {
        in[3] = kt_new(DT_F32, 2, (const int64_t[]){dirs, 2 * g});
        kt_fill(in[3], 4, -0.5f, 0.5f);
    }
    if (c->lens) {
        in[4] = kt_new(DT_I32, 1, &c->batch);
        memcpy(in[4]->data, c->lens, (size_t)c->batch * sizeof *c->lens);
    }
    if (c->ih) {
        in[5] = kt_new(DT_F32, 3, sd);
        kt_fill(in[5], 5, -1, 1);
    }
    if (c->ic) {
        in[6] = kt_new(DT_F32, 3, sd);
        kt_fill(in[6], 6, -3, 3);
    }
    if (c->peep) {
        in[7] = kt_new(DT_F32, 2, (const int64_t[]){dirs, 3 * h});
        kt_fill(in[7], 7, -1, 1);
    }
    for (int j = 0; j < nout; j++) {
        if (!(j == 0 && c->no_y))
            want[j] = j == 0 ? kt_new(DT_F32, 4, yd) : kt_new(DT_F32, 3, sd);
        if (!(j == 0 && c->no_y) && !(j == 1 && c->no_yh))
            out[j] = j == 0 ? kt_new(DT_F32, 4, yd) : kt_new(DT_F32, 3, sd);
    }
    reference(c, &a, in, want[0] ? want[0]->data : NULL, want[1]->data,
              nout > 2 ? want[2]->data : NULL);
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int t = 0; t < 2; t++) {
        char name[160];
        for (int j = 0; j < nout; j++)
            if (out[j])
                memset(out[j]->data, 0xff, (size_t)rt_numel(out[j]) * sizeof(float));
        int st = cpu_kernel[c->op](ctxs[t], &a, in, nin, out, nout);
        if (st != RT_OK)
            fprintf(stderr, "%s: %s\n", what, rt_ctx_error(ctxs[t]));
        CHECK(st == RT_OK);
        for (int j = 0; j < nout && st == RT_OK; j++) {
            snprintf(name, sizeof name, "%s: output %d (%d thread%s)", what, j, t + 1,
                     t ? "s" : "");
            if (out[j])
                CHECK(kt_close(name, out[j]->data, want[j]->data, rt_numel(want[j]), ATOL, RTOL));
        }
    }
    for (int i = 0; i < 8; i++)
        kt_free(in[i]);
    for (int j = 0; j < 3; j++) {
        kt_free(out[j]);
        kt_free(want[j]);
    }
}

/* a sequence length out of [0, seq] is bad input; int32 data is not run */
static void
check_refusals(void)
{
    int64_t xd[3] = {2, 2, 3}, wd[3] = {1, 2, 3}, rd[3] = {1, 2, 2}, sd[3] = {1, 2, 2}, nb = 2;
    RtTensor *x = kt_new(DT_F32, 3, xd), *w = kt_new(DT_F32, 3, wd), *r = kt_new(DT_F32, 3, rd);
    RtTensor *l = kt_new(DT_I32, 1, &nb), *yh = kt_new(DT_F32, 3, sd);
    int32_t *lv = l->data;
    lv[0] = 1;
    lv[1] = 3;
    Attr a;
    defaults(OP_RNN, &a);
    RtTensor *in[6] = {x, w, r, NULL, l, NULL}, *out[2] = {NULL, yh};
    CHECK(cpu_rnn(ctx1, &a, in, 6, out, 2) == RT_EINPUT &&
          strstr(rt_ctx_error(ctx1), "sequence_lens"));
    lv[1] = -1;
    CHECK(cpu_rnn(ctx1, &a, in, 6, out, 2) == RT_EINPUT);
    x->dt = DT_I32;
    CHECK(cpu_rnn(ctx1, &a, in, 6, out, 2) == RT_EUNSUPPORTED);
    x->dt = DT_F32;
    l->dt = DT_I64;
    CHECK(cpu_rnn(ctx1, &a, in, 6, out, 2) == RT_EUNSUPPORTED);
    kt_free(x);
    kt_free(w);
    kt_free(r);
    kt_free(l);
    kt_free(yh);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    static const int32_t l3[3] = {4, 0, 2}, l2[2] = {1, 3}, l4[4] = {5, 3, 5, 1};

    /* LSTM */
    check("lstm defaults", &(Case){.op = OP_LSTM, .seq = 4, .batch = 3, .in = 5, .h = 6});
    check("lstm bidirectional, every input, clip",
          &(Case){.op = OP_LSTM, .dir = RD_BIDIRECTIONAL, .seq = 4, .batch = 3, .in = 5, .h = 6,
                  .bias = 1, .lens = l3, .ih = 1, .ic = 1, .peep = 1, .clip = 0.8f});
    check("lstm reverse, batch first, input_forget, activations",
          &(Case){.op = OP_LSTM, .dir = RD_REVERSE, .layout = 1, .seq = 3, .batch = 2, .in = 4,
                  .h = 5, .bias = 1, .lens = l2, .ih = 1, .ic = 1, .input_forget = 1, .clip = -1,
                  .acts = 1, .act = {RA_HARDSIGMOID, RA_ELU, RA_SOFTSIGN},
                  .alpha = {0.3f, 0.7f}, .beta = {0.4f}});
    check("lstm Y absent", &(Case){.op = OP_LSTM, .seq = 2, .batch = 2, .in = 3, .h = 4,
                                   .bias = 1, .clip = -1, .no_y = 1});
    check("lstm a step over threads",
          &(Case){.op = OP_LSTM, .seq = 5, .batch = 4, .in = 32, .h = 64, .bias = 1, .ih = 1,
                  .ic = 1, .peep = 1, .lens = l4, .clip = -1});
    check("lstm directions over threads, one row",
          &(Case){.op = OP_LSTM, .dir = RD_BIDIRECTIONAL, .seq = 6, .batch = 1, .in = 7,
                  .h = 40, .bias = 1, .clip = -1});

    /* GRU */
    check("gru defaults", &(Case){.op = OP_GRU, .seq = 3, .batch = 2, .in = 3, .h = 5, .clip = -1});
    check("gru lengths, initial_h, clip",
          &(Case){.op = OP_GRU, .seq = 4, .batch = 3, .in = 2, .h = 4, .bias = 1, .lens = l3,
                  .ih = 1, .clip = 0.5f});
    check("gru bidirectional, linear_before_reset, batch first, activations",
          &(Case){.op = OP_GRU, .dir = RD_BIDIRECTIONAL, .layout = 1, .seq = 3, .batch = 2,
                  .in = 4, .h = 3, .bias = 1, .ih = 1, .lbr = 1, .clip = -1, .acts = 1,
                  .act = {RA_SIGMOID, RA_SCALEDTANH, RA_LEAKYRELU, RA_TANH},
                  .alpha = {0, 1.5f, 0.2f}, .beta = {0, 0.6f}});
    check("gru reverse, Y_h absent",
          &(Case){.op = OP_GRU, .dir = RD_REVERSE, .seq = 3, .batch = 2, .in = 4, .h = 3,
                  .bias = 1, .lens = l2, .clip = -1, .no_yh = 1});
    check("gru a step over threads (two phases)",
          &(Case){.op = OP_GRU, .seq = 4, .batch = 2, .in = 16, .h = 96, .bias = 1, .ih = 1,
                  .clip = -1});
    check("gru linear_before_reset over threads",
          &(Case){.op = OP_GRU, .seq = 4, .batch = 3, .in = 8, .h = 80, .bias = 1, .lbr = 1,
                  .lens = l3, .clip = -1});

    /* RNN */
    check("rnn defaults", &(Case){.op = OP_RNN, .seq = 3, .batch = 2, .in = 3, .h = 4, .clip = -1});
    check("rnn reverse, relu, lengths",
          &(Case){.op = OP_RNN, .dir = RD_REVERSE, .seq = 4, .batch = 3, .in = 3, .h = 4,
                  .bias = 1, .lens = l3, .ih = 1, .clip = -1, .acts = 1, .act = {RA_RELU}});
    check("rnn bidirectional, batch first, affine, thresholdedrelu",
          &(Case){.op = OP_RNN, .dir = RD_BIDIRECTIONAL, .layout = 1, .seq = 3, .batch = 2,
                  .in = 2, .h = 3, .bias = 1, .ih = 1, .clip = 1.5f, .acts = 1,
                  .act = {RA_AFFINE, RA_THRESHOLDEDRELU}, .alpha = {0.5f, 0.1f},
                  .beta = {0.25f}});
    check("rnn softplus", &(Case){.op = OP_RNN, .seq = 3, .batch = 2, .in = 3, .h = 4, .clip = -1,
                                  .acts = 1, .act = {RA_SOFTPLUS}});
    /* 20000 x 64 x 16 and 20000 x 64 x 15 floats of projections, past the kernel's table:
     * made step by step (a small R forgets, so float and double do not drift apart) */
    int32_t l64[64];
    for (int b = 0; b < 64; b++)
        l64[b] = b == 5 ? 0 : 20000 - 311 * b;
    check("rnn projections step by step",
          &(Case){.op = OP_RNN, .dir = RD_BIDIRECTIONAL, .seq = 20000, .batch = 64, .in = 1,
                  .h = 16, .bias = 1, .lens = l64, .no_y = 1, .rscale = 0.1f});
    check("gru projections step by step",
          &(Case){.op = OP_GRU, .dir = RD_REVERSE, .seq = 20000, .batch = 64, .in = 2, .h = 5,
                  .bias = 1, .ih = 1, .no_y = 1, .rscale = 0.1f});
    check("rnn one row over threads (sgemv blocks)",
          &(Case){.op = OP_RNN, .seq = 3, .batch = 1, .in = 5, .h = 200, .bias = 1, .clip = -1});

    check_refusals();
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
