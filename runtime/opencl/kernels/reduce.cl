/*
 * reduce.cl: the reductions (ReduceL1 ... ReduceSumSquare), ArgMax, ArgMin and CumSum
 * (runtime/opencl/reduce.c), written to follow runtime/cpu/reduce.c.
 *
 * A Reduce* op is comb(pre(x)) over the reduced elements of each output, then post: ReduceL2 is
 * sqrt(sum(x * x)), ReduceLogSumExp log(sum(exp(x - max))) + max, and so on. The host collapses
 * the input's dims into up to four kept and four reduced groups (innermost first in the int4
 * arguments, size 1 and stride 0 past the last); an output's index decodes over the kept groups,
 * a reduced index over the reduced ones, both into element offsets of X. Two kernels:
 *  - reduce_item: one output per work-item, its reduced elements in row-major order (the CPU's
 *    order for products);
 *  - reduce_group: one output per work-group, for long reductions: each work-item folds every
 *    L-th element, then a tree in local memory combines the work-items' partial results.
 *
 * Options: T (the element type), A (the type computed in), CVT (A to T, saturating toward zero
 * for integers as the CPU's store does; with OUT_BOOL, x != 0), USE_FP64 (enables doubles), and
 * the section wanted: A_REDUCE (the Reduce* kernels; COMB, PRE and POST fix the op at compile
 * time, else the kernels take it as arguments), ARG (ArgMax, ArgMin) or CUMSUM.
 * ArgMax, ArgMin and CumSum walk one axis of [outer, len, inner]: one column per work-item, in
 * the CPU's order.
 *
 * hetc-ops: ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin
 * hetc-ops: ReduceProd ReduceSum ReduceSumSquare ArgMax ArgMin CumSum
 */
#ifdef USE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
#pragma OPENCL FP_CONTRACT OFF

#define C_SUM 0
#define C_PROD 1
#define C_MAX 2
#define C_MIN 3

#define P_NONE 0
#define P_ABS 1
#define P_SQ 2
#define P_EXP 3

#define Q_NONE 0
#define Q_MEAN 1
#define Q_SQRT 2
#define Q_LOG 3
#define Q_LSE 4

#ifdef OUT_BOOL
#define STORE(a) ((T)((a) != 0))
#else
#define STORE(a) CVT(a)
#endif

/* The element offset of index i of a box of up to four groups (sizes n, strides s). */
int
box_off(int i, int4 n, int4 s)
{
    int off = (i % n.x) * s.x;
    i /= n.x;
    off += (i % n.y) * s.y;
    i /= n.y;
    off += (i % n.z) * s.z;
    i /= n.z;
    return off + i * s.w;
}

#ifdef A_REDUCE

/* The op's codes: compile-time constants where the host gave COMB, PRE and POST (float32, the
 * hot case), else the kernel's arguments, so that the other dtypes take one program each. */
#ifdef COMB
#define OPS(c, p, q) const int cm = COMB, pr = PRE, po = POST
#else
#define OPS(c, p, q) const int cm = (c), pr = (p), po = (q)
#endif

/* Accumulators combine as the CPU's: a NaN never wins a max or a min. */
A
comb(A a, A v, int cm)
{
    return cm == C_SUM ? a + v : cm == C_PROD ? a * v : cm == C_MAX ? (v > a ? v : a)
                                                                    : (v < a ? v : a);
}

A
comb_init(int cm)
{
    return cm == C_SUM    ? (A)0
           : cm == C_PROD ? (A)1
           : cm == C_MAX  ? (A)(-INFINITY)
                          : (A)INFINITY;
}

/* pre(v); m is the maximum of the output's elements (P_EXP only) */
A
pre(A v, A m, int pr)
{
    return pr == P_ABS   ? fabs(v)
           : pr == P_SQ  ? v * v
           : pr == P_EXP ? exp(v - (isfinite(m) ? m : (A)0))
                         : v;
}

A
post(A a, A m, int count, int po)
{
    return po == Q_MEAN   ? a / (A)count
           : po == Q_SQRT ? sqrt(a)
           : po == Q_LOG  ? log(a)
           : po == Q_LSE  ? log(a) + (isfinite(m) ? m : (A)0)
                          : a;
}

/* Element r of the output's reduced elements at x: one reduced group (flat) needs no division. */
#define AT(r) ((A)x[flat ? (r) * rs.x : box_off((r), rn, rs)])

__kernel void
reduce_item(__global const T *restrict X, const long xoff, __global T *restrict Y,
            const long yoff, const int nout, const int count, const int4 kn, const int4 ks,
            const int4 rn, const int4 rs, const int flat, const int c, const int p, const int q)
{
    OPS(c, p, q);
    const int o = (int)get_global_id(0);
    if (o >= nout)
        return;
    __global const T *x = X + xoff + box_off(o, kn, ks);
    A m = (A)(-INFINITY), acc = comb_init(cm);
    if (pr == P_EXP)
        for (int r = 0; r < count; r++) {
            A v = AT(r);
            m = v > m ? v : m;
        }
    for (int r = 0; r < count; r++)
        acc = comb(acc, pre(AT(r), m, pr), cm);
    Y[yoff + o] = STORE(post(acc, m, count, po));
}

/* The work-group's values v combined in buf (its size, a power of two, entries) by comb cm, or
 * the maximum when max is set. Every work-item gets the result. */
A
group_fold(__local A *buf, A v, int cm, int max)
{
    const int l = (int)get_local_id(0);
    buf[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = (int)get_local_size(0) / 2; s > 0; s /= 2) {
        if (l < s) {
            A a = buf[l], b = buf[l + s];
            buf[l] = max ? (b > a ? b : a) : comb(a, b, cm);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    A r = buf[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

__kernel void
reduce_group(__global const T *restrict X, const long xoff, __global T *restrict Y,
             const long yoff, const int nout, const int count, const int4 kn, const int4 ks,
             const int4 rn, const int4 rs, const int flat, const int c, const int p, const int q,
             __local A *buf)
{
    OPS(c, p, q);
    const int o = (int)get_group_id(0), l = (int)get_local_id(0), L = (int)get_local_size(0);
    __global const T *x = X + xoff + box_off(o, kn, ks);
    A m = (A)(-INFINITY), acc = comb_init(cm);
    (void)nout;
    if (pr == P_EXP) {
        for (int r = l; r < count; r += L) {
            A v = AT(r);
            m = v > m ? v : m;
        }
        m = group_fold(buf, m, cm, 1);
    }
    for (int r = l; r < count; r += L)
        acc = comb(acc, pre(AT(r), m, pr), cm);
    acc = group_fold(buf, acc, cm, 0);
    if (l == 0)
        Y[yoff + o] = STORE(post(acc, m, count, po));
}

#endif /* A_REDUCE */

/* ---- ArgMax, ArgMin: A is the type compared (T, or double where the CPU rounds T) ------------ */

#ifdef ARG
/* Does v beat the best so far? Ties win only with select_last_index (last), as on the CPU. */
#define BEATS(v, b) (max ? ((v) > (b) || (last && (v) == (b))) : ((v) < (b) || (last && (v) == (b))))

__kernel void
arg_reduce(__global const T *restrict X, const long xoff, __global long *restrict Y,
           const long yoff, const int outer, const int len, const int inner, const int max,
           const int last)
{
    const int c = (int)get_global_id(0);
    if (c >= outer * inner)
        return;
    const int o = c / inner, i = c % inner;
    __global const T *x = X + xoff + (long)o * len * inner + i;
    A best = (A)x[0];
    int at = 0;
    for (int j = 1; j < len; j++) {
        A v = (A)x[(long)j * inner];
        if (BEATS(v, best)) {
            best = v;
            at = j;
        }
    }
    Y[yoff + c] = at;
}
#endif

/* ---- CumSum: A is the running sum's type (long for the small integers: exact) --------------- */

#ifdef CUMSUM
__kernel void
cumsum(__global const T *restrict X, const long xoff, __global T *restrict Y, const long yoff,
       const int outer, const int len, const int inner, const int exclusive, const int reverse)
{
    const int c = (int)get_global_id(0);
    if (c >= outer * inner)
        return;
    const int o = c / inner, i = c % inner;
    const long base = (long)o * len * inner + i;
    A acc = (A)0;
    for (int s = 0; s < len; s++) {
        const long k = base + (long)(reverse ? len - 1 - s : s) * inner;
        A v = (A)X[xoff + k];
        Y[yoff + k] = STORE(exclusive ? acc : acc + v);
        acc += v;
    }
}
#endif
