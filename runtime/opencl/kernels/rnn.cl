/*
 * rnn.cl: GRU, LSTM and RNN (runtime/opencl/rnn.c), float32, with the structure of
 * runtime/cpu/rnn.c: rnn_project computes the input projection X W^T of the whole sequence for
 * every direction, then rnn_step runs one time step of every direction, one work-item per hidden
 * unit, batch row and direction: its gates' recurrent dot products with R, the activations and
 * the state update. GRU with linear_before_reset 0 takes two launches per step (phase 0: z, r
 * and r (.) H_{t-1}, which every unit's hidden gate needs; phase 1: the rest). Hidden states
 * alternate between two buffers; rnn_init and rnn_final move the states between the model's
 * layout and the scratch's (a direction's [batch][h] at a stride). When the projections of the
 * whole sequence would be too many (rnn.c), rnn_project_step makes each step's before it.
 *
 * The activations are numbered as ir/attr.h's RnnAct; act, alpha and beta hold direction 0's
 * (f, g, h for LSTM) then direction 1's. Offsets are in elements from the start of a buffer;
 * an absent optional tensor comes with a flag of 0 (and any buffer).
 *
 * hetc-ops: GRU LSTM RNN
 */

float
rnn_act(const int f, const float alpha, const float beta, const float x)
{
    switch (f) {
    case 0: return x > 0.0f ? x : 0.0f;
    case 1: return tanh(x);
    case 2: return 1.0f / (1.0f + exp(-x));
    case 3: return alpha * x + beta;
    case 4: return x >= 0.0f ? x : alpha * x;
    case 5: return x >= alpha ? x : 0.0f;
    case 6: return alpha * tanh(beta * x);
    case 7: return clamp(alpha * x + beta, 0.0f, 1.0f);
    case 8: return x >= 0.0f ? x : alpha * (exp(x) - 1.0f);
    case 9: return x / (1.0f + fabs(x));
    default: return x > 20.0f ? x : log1p(exp(x));
    }
}

/* activation k of the direction whose first is at i0; clip bounds every input but LSTM's h's */
float
act_k(const int8 act, const float8 alpha, const float8 beta, const float clip, const int i0,
      const int k, float x)
{
    const int i = i0 + k;
    const int a[8] = {act.s0, act.s1, act.s2, act.s3, act.s4, act.s5, act.s6, act.s7};
    const float al[8] = {alpha.s0, alpha.s1, alpha.s2, alpha.s3, alpha.s4, alpha.s5, alpha.s6,
                         alpha.s7};
    const float be[8] = {beta.s0, beta.s1, beta.s2, beta.s3, beta.s4, beta.s5, beta.s6, beta.s7};
    if (clip >= 0.0f && k != 2)
        x = clamp(x, -clip, clip);
    return rnn_act(a[i], al[i], be[i], x);
}

/* gx[dir][row][q] = sum_i X[row][i] W[dir][q][i]: global (g, rows, dirs) */
__kernel void
rnn_project(__global const float *restrict X, const long xo, __global const float *restrict W,
            const long wo, __global float *restrict gx, const long go, const long in)
{
    const long q = (long)get_global_id(0), row = (long)get_global_id(1);
    const long dir = (long)get_global_id(2);
    const long g = (long)get_global_size(0), rows = (long)get_global_size(1);
    __global const float *x = X + xo + row * in, *w = W + wo + (dir * g + q) * in;
    float acc = 0.0f;
    for (long i = 0; i < in; i++)
        acc += x[i] * w[i];
    gx[go + (dir * rows + row) * g + q] = acc;
}

/* Per-step mode: the projections of the rows that step s runs, gx[dir][b][q]: global (g, batch,
 * dirs) */
__kernel void
rnn_project_step(__global const float *restrict X, const long xo, __global const float *restrict W,
                 const long wo, __global float *restrict gx, const long go, const long in,
                 const long s, const long seq, __global const int *restrict lens, const long lo,
                 const int has_lens, const int rev, const int layout)
{
    const long q = (long)get_global_id(0), b = (long)get_global_id(1);
    const long dir = (long)get_global_id(2);
    const long g = (long)get_global_size(0), batch = (long)get_global_size(1);
    const long len = has_lens ? (long)lens[lo + b] : seq;
    if (s >= len)
        return;
    const long t = rev || dir == 1 ? len - 1 - s : s;
    __global const float *x = X + xo + (layout ? b * seq + t : t * batch + b) * in;
    __global const float *w = W + wo + (dir * g + q) * in;
    float acc = 0.0f;
    for (long i = 0; i < in; i++)
        acc += x[i] * w[i];
    gx[go + (dir * batch + b) * g + q] = acc;
}

/* the scratch's state [dir][b][j] from the model's (layout 1: [batch, dirs, h]), or 0: global
 * (h, batch, dirs) */
__kernel void
rnn_init(__global const float *restrict S, const long so, const int has, __global float *dst,
         const long doff, const long dstride, const int layout)
{
    const long j = (long)get_global_id(0), b = (long)get_global_id(1);
    const long dir = (long)get_global_id(2), h = (long)get_global_size(0);
    const long batch = (long)get_global_size(1), dirs = (long)get_global_size(2);
    const long i = layout ? b * dirs + dir : dir * batch + b;
    dst[doff + dir * dstride + b * h + j] = has ? S[so + i * h + j] : 0.0f;
}

/* Y_h or Y_c from the scratch's state; 0 for a row of length 0: global (h, batch, dirs) */
__kernel void
rnn_final(__global const float *restrict src, const long soff, const long sstride,
          __global float *restrict Y, const long yo, const int layout,
          __global const int *restrict lens, const long lo, const int has_lens)
{
    const long j = (long)get_global_id(0), b = (long)get_global_id(1);
    const long dir = (long)get_global_id(2), h = (long)get_global_size(0);
    const long batch = (long)get_global_size(1), dirs = (long)get_global_size(2);
    const long i = layout ? b * dirs + dir : dir * batch + b;
    const int empty = has_lens && lens[lo + b] == 0;
    Y[yo + i * h + j] = empty ? 0.0f : src[soff + dir * sstride + b * h + j];
}

/* sum_k v[k] r[k] over h */
float
dot_h(__global const float *v, __global const float *r, const long h)
{
    float acc = 0.0f;
    for (long k = 0; k < h; k++)
        acc += v[k] * r[k];
    return acc;
}

/*
 * Step s, one phase, of every direction: global (h, batch, dirs). kind: 0 RNN, 1 GRU, 2 LSTM.
 * hs: [dirs][2][batch][h], buffer s % 2 holds H_{t-1}; cs: LSTM's cell state [dirs][batch][h];
 * aux: GRU's r (.) H_{t-1} then z, [dirs][2][batch][h].
 */
__kernel void
rnn_step(const int kind, const int phase, const long s, __global const float *restrict gx,
         const long go, __global const float *restrict R, const long ro,
         __global const float *restrict B, const long bo, const int has_b,
         __global const float *restrict P, const long po, const int has_p,
         __global const int *restrict lens, const long lo, const int has_lens,
         __global float *hs, const long ho, __global float *cs, const long co,
         __global float *aux, const long ao, __global float *restrict Y, const long yo,
         const int has_y, const long seq, const int per_step, const int rev, const int layout,
         const int lbr,
         const int input_forget, const float clip, const int8 act, const float8 alpha,
         const float8 beta)
{
    const long j = (long)get_global_id(0), b = (long)get_global_id(1);
    const long dir = (long)get_global_id(2), h = (long)get_global_size(0);
    const long batch = (long)get_global_size(1), dirs = (long)get_global_size(2);
    const long ng = kind == 2 ? 4 : kind == 1 ? 3 : 1, g = ng * h;
    const int i0 = (int)dir * (kind == 2 ? 3 : kind == 1 ? 2 : 1);
    const long len = has_lens ? (long)lens[lo + b] : seq;
    __global const float *hp = hs + ho + ((dir * 2 + (s & 1)) * batch + b) * h;
    __global float *hn = hs + ho + ((dir * 2 + !(s & 1)) * batch + b) * h;
    __global const float *rw = R + ro + dir * g * h;
    if (s >= len) { /* past the row's length: the state stays, Y at time s is 0 */
        if (phase == 0) {
            hn[j] = hp[j];
            if (has_y)
                Y[yo + ((layout ? (b * seq + s) * dirs + dir : (s * dirs + dir) * batch + b) * h
                        + j)] = 0.0f;
        }
        return;
    }
    const long t = rev || dir == 1 ? len - 1 - s : s;
    const long row = layout ? b * seq + t : t * batch + b;
    __global const float *xg =
        gx + go + (per_step ? dir * batch + b : dir * seq * batch + row) * g;
    __global const float *wb = B + bo + dir * 2 * g, *rb = wb + g;
    float out;
    if (kind == 0) {
        float v = xg[j] + dot_h(hp, rw + j * h, h) + (has_b ? wb[j] + rb[j] : 0.0f);
        out = act_k(act, alpha, beta, clip, i0, 0, v);
    } else if (kind == 1) {
        __global float *rh = aux + ao + (dir * 2 * batch + b) * h;
        __global float *zz = rh + batch * h;
        if (phase == 1) { /* the hidden gate from every unit's r (.) H_{t-1} */
            float v = xg[2 * h + j] + dot_h(rh, rw + (2 * h + j) * h, h) +
                      (has_b ? wb[2 * h + j] + rb[2 * h + j] : 0.0f);
            float hh = act_k(act, alpha, beta, clip, i0, 1, v), z = zz[j];
            out = (1.0f - z) * hh + z * hp[j];
        } else {
            float z = act_k(act, alpha, beta, clip, i0, 0,
                            xg[j] + dot_h(hp, rw + j * h, h) + (has_b ? wb[j] + rb[j] : 0.0f));
            float r = act_k(act, alpha, beta, clip, i0, 0,
                            xg[h + j] + dot_h(hp, rw + (h + j) * h, h) +
                                (has_b ? wb[h + j] + rb[h + j] : 0.0f));
            if (!lbr) {
                rh[j] = r * hp[j];
                zz[j] = z;
                return;
            }
            float v = xg[2 * h + j] + (has_b ? wb[2 * h + j] : 0.0f) +
                      r * (dot_h(hp, rw + (2 * h + j) * h, h) + (has_b ? rb[2 * h + j] : 0.0f));
            float hh = act_k(act, alpha, beta, clip, i0, 1, v);
            out = (1.0f - z) * hh + z * hp[j];
        }
    } else { /* LSTM: gates i, o, f, c; peepholes i, o, f */
        __global float *c = cs + co + (dir * batch + b) * h + j;
        __global const float *pd = P + po + dir * 3 * h;
        float pre[4];
        for (int q = 0; q < 4; q++)
            pre[q] = xg[q * h + j] + dot_h(hp, rw + (q * h + j) * h, h) +
                     (has_b ? wb[q * h + j] + rb[q * h + j] : 0.0f);
        const float cp = *c;
        float ig = act_k(act, alpha, beta, clip, i0, 0, pre[0] + (has_p ? pd[j] * cp : 0.0f));
        float fg = act_k(act, alpha, beta, clip, i0, 0,
                         pre[2] + (has_p ? pd[2 * h + j] * cp : 0.0f));
        if (input_forget)
            fg = 1.0f - ig;
        float cg = act_k(act, alpha, beta, clip, i0, 1, pre[3]);
        float cn = fg * cp + ig * cg;
        float og = act_k(act, alpha, beta, clip, i0, 0, pre[1] + (has_p ? pd[h + j] * cn : 0.0f));
        *c = cn;
        out = og * act_k(act, alpha, beta, clip, i0, 2, cn);
    }
    hn[j] = out;
    if (has_y)
        Y[yo + ((layout ? (b * seq + t) * dirs + dir : (t * dirs + dir) * batch + b) * h + j)] =
            out;
}
