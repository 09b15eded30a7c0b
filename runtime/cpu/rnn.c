/*
 * rnn.c: the recurrent layers GRU, LSTM and RNN on f32 (forward, reverse, bidirectional; layout
 * 0 and 1; sequence_lens; initial states; LSTM's peepholes and input_forget; GRU's
 * linear_before_reset; every activation ONNX lists, with clip).
 *
 * Two parts. The input projection X W^T of the whole sequence is one GEMM per direction
 * (cpu_sgemm_par, over the context's threads) into a table of gate inputs, seeded with the
 * biases that are added outside the recurrence (Wb + Rb). Then each time step runs a fused cell
 * per block of hidden units: the recurrent product H_{t-1} R^T of the block's rows of R (one
 * single-threaded sgemm or sgemv per gate), the gates' activations and the state update, in one
 * pass while the block is in cache. A step's blocks are spread over the threads when the step is
 * large enough to pay for it; a bidirectional layer on two threads or more runs its directions
 * side by side instead, each one on its own thread for the whole sequence.
 *
 * When the projections of the whole sequence would take more than TABLE_MAX floats (a long X
 * and a wide layer), those of each step are made just before it instead, one sgemv per row.
 *
 * A batch row past its sequence length (sequence_lens) keeps its state and gets zeros in Y, as in
 * ONNX Runtime; a reverse direction runs each row from its own last step back to step 0; a row
 * of length 0 gets zeros in Y_h and Y_c too (ONNX Runtime's LSTM and GRU; its RNN leaves them
 * unset). Hidden
 * states alternate between two buffers (a block reads all of H_{t-1} while others write H_t).
 */
#include "rt_backend.h"

#include "act_impl.h"
#include "ir/scalar.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

typedef struct Rnn {
    OpKind op;
    const RnnAttr *a;
    int64_t seq, batch, in, h, ng, g, dirs; /* g = ng * h: a direction's gate columns */
    const float *x, *w, *r, *b, *ih, *ic, *p;
    const int32_t *lens;                    /* NULL: every row runs seq steps */
    float *y, *yh, *yc;                     /* absent outputs: NULL */
    int per_step;   /* the table of projections would pass TABLE_MAX: one step at a time */
    float *gx;      /* [dirs][seq * batch][g]: X W^T plus the outer biases, rows as X's (per
                     * step: [dirs][batch][g], the step's rows) */
    float *hs;      /* [dirs][2][batch][h]: H_{t-1} and H_t, alternating */
    float *cs;      /* [dirs][batch][h]: LSTM's cell state */
    float *rg;      /* [dirs][batch][g]: the step's recurrent products, then the gates */
    float *rh;      /* [dirs][batch][h]: GRU (linear_before_reset 0): r (.) H_{t-1} */
} Rnn;

/* a leading dimension for BLAS, which wants at least 1 */
static int
ld(int64_t n)
{
    return n > 1 ? (int)n : 1;
}

/* v[0, n) = act(clamp(v, -clip, clip)), with the activation's alpha and beta */
static void
activate(RnnAct f, float alpha, float beta, float clip, float *restrict v, int64_t n)
{
    if (clip >= 0.0f)
        for (int64_t i = 0; i < n; i++)
            v[i] = IR_CLAMP(v[i], -clip, clip);
    switch (f) {
    case RA_RELU:
        for (int64_t i = 0; i < n; i++)
            v[i] = v[i] > 0.0f ? v[i] : 0.0f;
        break;
    case RA_TANH:
        for (int64_t i = 0; i < n; i++)
            v[i] = ir_tanh_f(v[i]);
        break;
    case RA_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            v[i] = ir_sigmoid_f(v[i]);
        break;
    case RA_AFFINE:
        for (int64_t i = 0; i < n; i++)
            v[i] = alpha * v[i] + beta;
        break;
    case RA_LEAKYRELU:
        for (int64_t i = 0; i < n; i++)
            v[i] = v[i] >= 0.0f ? v[i] : alpha * v[i];
        break;
    case RA_THRESHOLDEDRELU:
        for (int64_t i = 0; i < n; i++)
            v[i] = v[i] >= alpha ? v[i] : 0.0f;
        break;
    case RA_SCALEDTANH:
        for (int64_t i = 0; i < n; i++)
            v[i] = alpha * ir_tanh_f(beta * v[i]);
        break;
    case RA_HARDSIGMOID:
        for (int64_t i = 0; i < n; i++) {
            float t = alpha * v[i] + beta;
            v[i] = IR_CLAMP(t, 0.0f, 1.0f);
        }
        break;
    case RA_ELU:
        for (int64_t i = 0; i < n; i++)
            v[i] = v[i] >= 0.0f ? v[i] : alpha * (ir_exp_f(v[i]) - 1.0f);
        break;
    case RA_SOFTSIGN:
        for (int64_t i = 0; i < n; i++)
            v[i] = v[i] / (1.0f + fabsf(v[i]));
        break;
    case RA_SOFTPLUS:
        for (int64_t i = 0; i < n; i++)
            v[i] = ir_softplus_f(v[i]);
        break;
    case RA_COUNT:
        break;
    }
}

/* Activation k of direction dir (the gates' f, g, or LSTM's h) on v[0, n). Clip bounds the gates'
 * inputs, not the cell state that LSTM's h takes (as ONNX Runtime). */
static void
act_of(const Rnn *r, int dir, int k, float *v, int64_t n)
{
    int i = dir * (int)(r->op == OP_LSTM ? 3 : r->op == OP_GRU ? 2 : 1) + k;
    activate(r->a->act[i], r->a->alpha[i], r->a->beta[i], k == 2 ? -1.0f : r->a->clip, v, n);
}

/*
 * out[b][q * h + j] = sum_k hin[b][k] R[q * h + j][k] for the gates q in [q0, q1) and the hidden
 * units j in [j0, j1), with out rows g floats apart: a sgemv per gate for one batch row, else a
 * sgemm (one for all the gates when the block is every unit).
 */
static void
recur(const Rnn *r, const float *hin, const float *rw, int64_t q0, int64_t q1, int64_t j0,
      int64_t j1, float *out)
{
    int64_t h = r->h, nj = j1 - j0, nq = 1;
    if (nj <= 0 || q1 <= q0)
        return;
    if (j0 == 0 && j1 == h) { /* the gates' rows are contiguous */
        nj = (q1 - q0) * h;
        nq = 1;
    } else {
        nq = q1 - q0;
    }
    for (int64_t q = q0; q < q0 + nq; q++) {
        const float *rows = rw + (q * h + j0) * h;
        float *o = out + q * h + j0;
        if (h == 0) {
            for (int64_t b = 0; b < r->batch; b++)
                memset(o + b * r->g, 0, (size_t)nj * sizeof *o);
        } else if (r->batch == 1) {
            memset(o, 0, (size_t)nj * sizeof *o); /* sgemv may scale garbage by 0 */
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)nj, (int)h, 1.0f, rows, ld(h), hin, 1,
                        1.0f, o, 1);
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r->batch, (int)nj, (int)h,
                        1.0f, hin, ld(h), rows, ld(h), 0.0f, o, ld(r->g));
        }
    }
}

/* Row b's sequence length, and the time step that step s of direction dir handles (-1: the row
 * is past its length). */
static int64_t
time_of(const Rnn *r, int dir, int64_t s, int64_t b)
{
    int64_t len = r->lens ? r->lens[b] : r->seq;
    if (s >= len)
        return -1;
    int reverse = r->a->direction == RD_REVERSE || dir == 1;
    return reverse ? len - 1 - s : s;
}

/* X's (and gx's) row of time t and batch row b */
static int64_t
row_of(const Rnn *r, int64_t t, int64_t b)
{
    return r->a->layout ? b * r->seq + t : t * r->batch + b;
}

/* Y's element 0 of hidden units at time t, direction dir, batch row b */
static float *
y_at(const Rnn *r, int64_t t, int dir, int64_t b)
{
    int64_t i = r->a->layout ? (b * r->seq + t) * r->dirs + dir
                             : (t * r->dirs + dir) * r->batch + b;
    return r->y + i * r->h;
}

/* The cell of one step for hidden units [j0, j1) of every batch row: phase 0 does the whole step,
 * except for GRU with linear_before_reset 0, whose phase 0 makes z, r and r (.) H_{t-1} and phase
 * 1 the rest (every unit's r must be known before the hidden gate's product). */
static void
cell(const Rnn *r, int dir, int64_t s, int phase, int64_t j0, int64_t j1)
{
    int64_t h = r->h, g = r->g, nj = j1 - j0;
    const float *rw = r->r + dir * g * h;
    const float *gx = r->gx + dir * (r->per_step ? 1 : r->seq) * r->batch * g;
    const float *hp = r->hs + (dir * 2 + (s & 1)) * r->batch * h;
    float *hn = r->hs + (dir * 2 + !(s & 1)) * r->batch * h;
    float *rg = r->rg + dir * r->batch * g;
    float *c = r->cs ? r->cs + dir * r->batch * h : NULL;
    float *rh = r->rh ? r->rh + dir * r->batch * h : NULL;
    int gru0 = r->op == OP_GRU && !r->a->linear_before_reset;
    if (gru0 && phase == 1)
        recur(r, rh, rw, 2, 3, j0, j1, rg);
    else
        recur(r, hp, rw, 0, gru0 ? 2 : r->ng, j0, j1, rg);
    for (int64_t b = 0; b < r->batch; b++) {
        int64_t t = time_of(r, dir, s, b);
        const float *hpb = hp + b * h + j0;
        float *hnb = hn + b * h + j0;
        if (t < 0) { /* past the row's length: the state stays */
            if (phase == 0)
                memcpy(hnb, hpb, (size_t)nj * sizeof *hnb);
            continue;
        }
        const float *xg = gx + (r->per_step ? b : row_of(r, t, b)) * g + j0;
        float *q = rg + b * g + j0;
        if (r->op == OP_RNN) {
            for (int64_t j = 0; j < nj; j++)
                hnb[j] = q[j] + xg[j];
            act_of(r, dir, 0, hnb, nj);
        } else if (r->op == OP_GRU) {
            float *z = q, *rr = q + h, *hh = q + 2 * h;
            const float *xz = xg, *xr = xg + h, *xh = xg + 2 * h;
            if (phase == 0) {
                for (int64_t j = 0; j < nj; j++) {
                    z[j] += xz[j];
                    rr[j] += xr[j];
                }
                act_of(r, dir, 0, z, nj);
                act_of(r, dir, 0, rr, nj);
                if (gru0) {
                    for (int64_t j = 0; j < nj; j++)
                        rh[b * h + j0 + j] = rr[j] * hpb[j];
                    continue;
                }
                const float *rbh = r->b ? r->b + dir * 2 * g + g + 2 * h + j0 : NULL;
                for (int64_t j = 0; j < nj; j++)
                    hh[j] = xh[j] + rr[j] * (hh[j] + (rbh ? rbh[j] : 0.0f));
            } else {
                for (int64_t j = 0; j < nj; j++)
                    hh[j] += xh[j];
            }
            act_of(r, dir, 1, hh, nj);
            for (int64_t j = 0; j < nj; j++)
                hnb[j] = (1.0f - z[j]) * hh[j] + z[j] * hpb[j];
        } else { /* LSTM: gates i, o, f, c; peepholes i, o, f */
            float *gi = q, *go = q + h, *gf = q + 2 * h, *gc = q + 3 * h, *cb = c + b * h + j0;
            const float *pi = r->p ? r->p + dir * 3 * h + j0 : NULL;
            const float *po = pi ? pi + h : NULL, *pf = pi ? pi + 2 * h : NULL;
            for (int64_t j = 0; j < nj; j++) {
                gi[j] += xg[j] + (pi ? pi[j] * cb[j] : 0.0f);
                gf[j] += xg[2 * h + j] + (pf ? pf[j] * cb[j] : 0.0f);
                gc[j] += xg[3 * h + j];
            }
            act_of(r, dir, 0, gi, nj);
            act_of(r, dir, 0, gf, nj);
            act_of(r, dir, 1, gc, nj);
            if (r->a->input_forget)
                for (int64_t j = 0; j < nj; j++)
                    gf[j] = 1.0f - gi[j];
            for (int64_t j = 0; j < nj; j++) {
                cb[j] = gf[j] * cb[j] + gi[j] * gc[j];
                go[j] += xg[h + j] + (po ? po[j] * cb[j] : 0.0f);
                hnb[j] = cb[j];
            }
            act_of(r, dir, 0, go, nj);
            act_of(r, dir, 2, hnb, nj);
            for (int64_t j = 0; j < nj; j++)
                hnb[j] *= go[j];
        }
        if (r->y)
            memcpy(y_at(r, t, dir, b) + j0, hnb, (size_t)nj * sizeof *hnb);
    }
}

typedef struct StepArgs {
    const Rnn *r;
    int dir, phase;
    int64_t s;
} StepArgs;

/* hidden units [begin, end) of one step's phase */
static void
step_block(void *arg, int64_t begin, int64_t end)
{
    const StepArgs *p = arg;
    cell(p->r, p->dir, p->s, p->phase, begin, end);
}

/* A direction's biases outside the recurrence (Wb + Rb; GRU's Rbh goes inside r (.) (...)) into
 * dst[0, g). */
static void
outer_bias(const Rnn *r, int dir, float *dst)
{
    int lbr = r->op == OP_GRU && r->a->linear_before_reset;
    const float *wb = r->b ? r->b + dir * 2 * r->g : NULL, *rb = wb ? wb + r->g : NULL;
    for (int64_t j = 0; j < r->g; j++)
        dst[j] = wb ? wb[j] + (lbr && j >= 2 * r->h ? 0.0f : rb[j]) : 0.0f;
}

/* Per-step mode: the projections of the rows that step s of direction dir runs, one sgemv each. */
static void
project_step(const Rnn *r, int dir, int64_t s)
{
    for (int64_t b = 0; b < r->batch; b++) {
        int64_t t = time_of(r, dir, s, b);
        float *gx = r->gx + (dir * r->batch + b) * r->g;
        if (t < 0)
            continue;
        outer_bias(r, dir, gx);
        if (r->in > 0 && r->g > 0)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)r->g, (int)r->in, 1.0f,
                        r->w + dir * r->g * r->in, ld(r->in), r->x + row_of(r, t, b) * r->in, 1,
                        1.0f, gx, 1);
    }
}

/* every step of one direction on this thread */
static void
whole_dir(const Rnn *r, int dir)
{
    int phases = r->op == OP_GRU && !r->a->linear_before_reset ? 2 : 1;
    for (int64_t s = 0; s < r->seq; s++) {
        if (r->per_step)
            project_step(r, dir, s);
        for (int ph = 0; ph < phases; ph++)
            cell(r, dir, s, ph, 0, r->h);
    }
}

/* directions [begin, end), each on one thread */
static void
dir_block(void *arg, int64_t begin, int64_t end)
{
    for (int64_t d = begin; d < end; d++)
        whole_dir(arg, (int)d);
}

enum {
    STEP_MACS = 1 << 15,    /* a step's recurrent multiply-adds worth several threads */
    TABLE_MAX = 1 << 24,    /* floats of projections made ahead (64 MB), at most */
};

/* X W^T for every row of X, plus the biases outside the recurrence, into r->gx. */
static void
project(RtCtx *ctx, Rnn *r)
{
    int64_t rows = r->seq * r->batch, g = r->g;
    for (int dir = 0; dir < r->dirs; dir++) {
        float *gx = r->gx + dir * rows * g;
        outer_bias(r, dir, gx);
        for (int64_t i = 1; i < rows; i++)
            memcpy(gx + i * g, gx, (size_t)g * sizeof *gx);
        if (r->in > 0)
            cpu_sgemm_par(ctx, 0, 1, rows, g, r->in, 1.0f, r->x, r->in, r->w + dir * g * r->in,
                          r->in, 1.0f, gx, g, NULL, NULL);
    }
}

/* Initial states into the first buffers, from [dirs, batch, h] (layout 1: [batch, dirs, h]). */
static void
init_state(const Rnn *r, const float *src, float *dst, int64_t dst_stride)
{
    for (int dir = 0; dir < r->dirs; dir++)
        for (int64_t b = 0; b < r->batch; b++) {
            float *o = dst + dir * dst_stride + b * r->h;
            if (!src) {
                memset(o, 0, (size_t)r->h * sizeof *o);
                continue;
            }
            int64_t i = r->a->layout ? b * r->dirs + dir : dir * r->batch + b;
            memcpy(o, src + i * r->h, (size_t)r->h * sizeof *o);
        }
}

/* The last states into Y_h or Y_c ([dirs, batch, h], layout 1: [batch, dirs, h]); zeros for a
 * row of length 0, as ONNX Runtime's LSTM and GRU give. */
static void
final_state(const Rnn *r, const float *src, int64_t src_stride, float *dst)
{
    for (int dir = 0; dir < r->dirs; dir++)
        for (int64_t b = 0; b < r->batch; b++) {
            int64_t i = r->a->layout ? b * r->dirs + dir : dir * r->batch + b;
            if (r->lens && r->lens[b] == 0)
                memset(dst + i * r->h, 0, (size_t)r->h * sizeof *dst);
            else
                memcpy(dst + i * r->h, src + dir * src_stride + b * r->h,
                       (size_t)r->h * sizeof *dst);
        }
}

static int
run(RtCtx *ctx, OpKind op, const Attr *attr, RtTensor *const *in, int nin, RtTensor *const *out,
    int nout)
{
    const char *name = op == OP_LSTM ? "LSTM" : op == OP_GRU ? "GRU" : "RNN";
    RtTensor *opt[8] = {0}, *res[3] = {0};
    for (int i = 0; i < nin && i < 8; i++)
        opt[i] = in[i];
    for (int i = 0; i < nout && i < 3; i++)
        res[i] = out[i];
    int st = rt_require_f32(ctx, name, opt, 4, res, 3);
    if (st == RT_OK)
        st = rt_require_f32(ctx, name, opt + 5, 3, NULL, 0);
    if (st != RT_OK)
        return st;
    if (opt[4] && opt[4]->dt != DT_I32)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: sequence_lens has dtype %d, not int32", name,
                       (int)opt[4]->dt);
    const RnnAttr *a = &attr->rnn;
    Rnn r = {.op = op, .a = a, .x = opt[0]->data, .w = opt[1]->data, .r = opt[2]->data};
    r.dirs = a->direction == RD_BIDIRECTIONAL ? 2 : 1;
    r.ng = op == OP_LSTM ? 4 : op == OP_GRU ? 3 : 1;
    r.seq = opt[0]->dim[a->layout ? 1 : 0];
    r.batch = opt[0]->dim[a->layout ? 0 : 1];
    r.in = opt[0]->dim[2];
    r.h = opt[2]->dim[2];
    r.g = r.ng * r.h;
    r.b = opt[3] ? opt[3]->data : NULL;
    r.lens = opt[4] ? opt[4]->data : NULL;
    r.ih = opt[5] ? opt[5]->data : NULL;
    r.ic = opt[6] ? opt[6]->data : NULL;
    r.p = opt[7] ? opt[7]->data : NULL;
    r.y = res[0] ? res[0]->data : NULL;
    r.yh = res[1] ? res[1]->data : NULL;
    r.yc = res[2] ? res[2]->data : NULL;
    for (int64_t b = 0; r.lens && b < r.batch; b++)
        if (r.lens[b] < 0 || r.lens[b] > r.seq)
            return rt_fail(ctx, RT_EINPUT, "%s: sequence_lens[%lld] = %d is not in [0, %lld]",
                           name, (long long)b, (int)r.lens[b], (long long)r.seq);
    if (r.y)
        memset(r.y, 0, (size_t)rt_numel(res[0]) * sizeof *r.y);
    int64_t bh = r.batch * r.h;
    if (bh == 0)
        return RT_OK;

    /* one scratch region: gx, hs, cs, rg, rh; the projections of the whole sequence when they
     * fit in TABLE_MAX floats, else of one step at a time (however long X is, the scratch stays
     * a few times the states' size) */
    int64_t ngx = r.dirs * r.seq * r.batch * r.g, nhs = r.dirs * 2 * bh;
    r.per_step = ngx > TABLE_MAX;
    if (r.per_step)
        ngx = r.dirs * r.batch * r.g;
    int64_t ncs = op == OP_LSTM ? r.dirs * bh : 0, nrg = r.dirs * r.batch * r.g;
    int64_t nrh = op == OP_GRU && !a->linear_before_reset ? r.dirs * bh : 0;
    float *mem = rt_scratch(ctx, 0, (size_t)(ngx + nhs + ncs + nrg + nrh) * sizeof(float));
    if (!mem)
        return rt_fail(ctx, RT_ENOMEM, "%s: %lld floats of scratch", name,
                       (long long)(ngx + nhs + ncs + nrg + nrh));
    r.gx = mem;
    r.hs = r.gx + ngx;
    r.cs = ncs ? r.hs + nhs : NULL;
    r.rg = r.hs + nhs + ncs;
    r.rh = nrh ? r.rg + nrg : NULL;
    if (r.rh) /* rows past their length are multiplied too, their results unused */
        memset(r.rh, 0, (size_t)nrh * sizeof *r.rh);
    init_state(&r, r.ih, r.hs, 2 * bh);
    if (r.cs)
        init_state(&r, r.ic, r.cs, bh);
    if (!r.per_step)
        project(ctx, &r);

    int threads = rt_ctx_threads(ctx);
    if (threads > 1 && r.dirs == 2) {
        rt_parallel_for(ctx, 2, 1, dir_block, &r);
    } else {
        int64_t macs = r.batch * r.g * r.h, grain = STEP_MACS / (macs / r.h + 1) + 1;
        int phases = op == OP_GRU && !a->linear_before_reset ? 2 : 1;
        for (int dir = 0; dir < r.dirs; dir++) {
            if (threads == 1 || macs < STEP_MACS) {
                whole_dir(&r, dir);
                continue;
            }
            for (int64_t s = 0; s < r.seq; s++) {
                if (r.per_step)
                    project_step(&r, dir, s);
                for (int ph = 0; ph < phases; ph++) {
                    StepArgs p = {&r, dir, ph, s};
                    rt_parallel_for(ctx, r.h, grain, step_block, &p);
                }
            }
        }
    }
    /* after seq steps the last states are in buffer seq % 2 */
    if (r.yh)
        final_state(&r, r.hs + (r.seq & 1) * bh, 2 * bh, r.yh);
    if (r.yc)
        final_state(&r, r.cs, bh, r.yc);
    return RT_OK;
}

int
cpu_gru(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    return run(ctx, OP_GRU, a, in, nin, out, nout);
}

int
cpu_lstm(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    return run(ctx, OP_LSTM, a, in, nin, out, nout);
}

int
cpu_rnn(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    return run(ctx, OP_RNN, a, in, nin, out, nout);
}
