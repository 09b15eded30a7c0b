/*
 * test_cpu_reduce.c: the Reduce* ops, ArgMax, ArgMin and CumSum (runtime/cpu/reduce.c) against
 * references written from the ONNX spec in double: every input element is visited once in
 * row-major order and folded into the output element its kept dims name. Cases cover keepdims 0
 * and 1, axes subsets (negative, unordered, all, absent, empty with and without
 * noop_with_empty_axes), float32, float64, int32 and int64 data, ArgMax/ArgMin ties with and
 * without select_last_index, and CumSum along every axis, exclusive and reversed. Every kernel
 * runs in a 1-thread and a 2-thread context.
 */
#include "../kernels/ktest.h"

#define ATOL 1e-5
#define RTOL 1e-5

static RtCtx *ctx1, *ctx2;

typedef enum RefOp {
    R_L1,
    R_L2,
    R_LOGSUM,
    R_LSE,
    R_MAX,
    R_MEAN,
    R_MIN,
    R_PROD,
    R_SUM,
    R_SUMSQ,
    R_COUNT
} RefOp;

static const struct {
    const char *name;
    RtKernel k;
} ops[R_COUNT] = {
    {"ReduceL1", cpu_reducel1},         {"ReduceL2", cpu_reducel2},
    {"ReduceLogSum", cpu_reducelogsum}, {"ReduceLogSumExp", cpu_reducelogsumexp},
    {"ReduceMax", cpu_reducemax},       {"ReduceMean", cpu_reducemean},
    {"ReduceMin", cpu_reducemin},       {"ReduceProd", cpu_reduceprod},
    {"ReduceSum", cpu_reducesum},       {"ReduceSumSquare", cpu_reducesumsquare},
};

/* ---- tensors of any tested dtype, through doubles -------------------------------------------- */

static double
get(const RtTensor *t, int64_t i)
{
    switch (t->dt) {
    case DT_F32: return ((const float *)t->data)[i];
    case DT_F64: return ((const double *)t->data)[i];
    case DT_I32: return ((const int32_t *)t->data)[i];
    case DT_I64: return (double)((const int64_t *)t->data)[i];
    default: return NAN;
    }
}

static void
put(RtTensor *t, int64_t i, double v)
{
    switch (t->dt) {
    case DT_F32: ((float *)t->data)[i] = (float)v; break;
    case DT_F64: ((double *)t->data)[i] = v; break;
    case DT_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    case DT_I64: ((int64_t *)t->data)[i] = (int64_t)v; break;
    default: break;
    }
}

/* Seeded values in [lo, hi), rounded for integer dtypes. */
static RtTensor *
data(DType dt, int rank, const int64_t *dim, uint32_t seed, double lo, double hi)
{
    RtTensor *t = kt_new(dt, rank, dim);
    uint32_t s = seed;
    for (int64_t i = 0; i < rt_numel(t); i++) {
        double v = lo + (hi - lo) * (double)(kt_rand(&s) >> 8) / 16777216.0;
        put(t, i, dt == DT_F32 || dt == DT_F64 ? v : floor(v));
    }
    return t;
}

/* got == want: within tolerance for floats, exactly for integers (want truncated). */
static int
same(const char *what, const RtTensor *got, const double *want)
{
    int64_t n = rt_numel(got);
    if (got->dt == DT_F32 || got->dt == DT_F64) {
        float *a = malloc((size_t)(n ? n : 1) * sizeof *a),
              *b = malloc((size_t)(n ? n : 1) * sizeof *b);
        for (int64_t i = 0; i < n; i++) {
            a[i] = (float)get(got, i);
            b[i] = (float)want[i];
        }
        int ok = kt_close(what, a, b, n, ATOL, RTOL);
        free(a);
        free(b);
        return ok;
    }
    for (int64_t i = 0; i < n; i++)
        if (get(got, i) != trunc(want[i])) {
            fprintf(stderr, "%s: element %lld: got %g, want %g\n", what, (long long)i, get(got, i),
                    trunc(want[i]));
            return 0;
        }
    return 1;
}

/* Runs k on both contexts and compares its one output with want. */
static void
run_both(const char *what, RtKernel k, const Attr *a, RtTensor *const *in, int nin, RtTensor *y,
         const double *want)
{
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int t = 0; t < 2; t++) {
        char name[200];
        snprintf(name, sizeof name, "%s (%d thread%s)", what, t + 1, t ? "s" : "");
        memset(y->data, 0xff, (size_t)rt_numel(y) * rt_dtype_size(y->dt));
        int st = k(ctxs[t], a, in, nin, &y, 1);
        CHECK(st == RT_OK);
        if (st != RT_OK)
            fprintf(stderr, "%s: %s\n", name, rt_ctx_error(ctxs[t]));
        CHECK(same(name, y, want));
    }
}

/* ---- Reduce* --------------------------------------------------------------------------------- */

/* The reference of op over the dims marked in red; out has one element per kept index. */
static void
ref_reduce(RefOp op, const RtTensor *x, const int *red, double *out, int64_t nout)
{
    int64_t idx[8] = {0}, n = rt_numel(x), count = nout ? n / nout : 0;
    double *mx = calloc((size_t)(nout ? nout : 1), sizeof *mx);
    for (int64_t o = 0; o < nout; o++) {
        out[o] = op == R_PROD ? 1 : op == R_MAX ? -INFINITY : op == R_MIN ? INFINITY : 0;
        mx[o] = -INFINITY;
    }
    for (int pass = op == R_LSE ? 0 : 1; pass < 2; pass++) {
        memset(idx, 0, sizeof idx);
        for (int64_t i = 0; i < n; i++) {
            int64_t o = 0;
            for (int d = 0; d < x->rank; d++)
                if (!red[d])
                    o = o * x->dim[d] + idx[d];
            double v = get(x, i);
            if (pass == 0) {
                mx[o] = v > mx[o] ? v : mx[o];
            } else {
                switch (op) {
                case R_L1: out[o] += fabs(v); break;
                case R_L2:
                case R_SUMSQ: out[o] += v * v; break;
                case R_LSE: out[o] += exp(v - mx[o]); break;
                case R_MAX: out[o] = v > out[o] ? v : out[o]; break;
                case R_MIN: out[o] = v < out[o] ? v : out[o]; break;
                case R_PROD: out[o] *= v; break;
                default: out[o] += v; break;
                }
            }
            for (int d = x->rank - 1; d >= 0 && ++idx[d] == x->dim[d]; d--)
                idx[d] = 0;
        }
    }
    for (int64_t o = 0; o < nout; o++) {
        switch (op) {
        case R_L2: out[o] = sqrt(out[o]); break;
        case R_LOGSUM: out[o] = log(out[o]); break;
        case R_LSE: out[o] = log(out[o]) + mx[o]; break;
        case R_MEAN: out[o] /= (double)count; break;
        default: break;
        }
    }
    free(mx);
}

/* axes_form: 0 no axes input, 1 int64 tensor, 2 int32 tensor. */
static void
check_reduce(DType dt, int rank, const int64_t *xd, int na, const int64_t *axes, int keep, int noop,
             int axes_form)
{
    int red[8] = {0};
    for (int i = 0; i < rank; i++)
        red[i] = na == 0 && !noop;
    for (int i = 0; i < na; i++)
        red[axes[i] < 0 ? axes[i] + rank : axes[i]] = 1;
    int64_t yd[8], yr = 0;
    for (int i = 0; i < rank; i++)
        if (!red[i])
            yd[yr++] = xd[i];
        else if (keep)
            yd[yr++] = 1;
    int is_int = dt == DT_I32 || dt == DT_I64;
    RtTensor *x = data(dt, rank, xd, 5u + (uint32_t)na, is_int ? -2 : 0.5, is_int ? 3 : 1.5);
    RtTensor *y = kt_new(dt, (int)yr, yd);
    int64_t nax = na;
    RtTensor *ax = kt_new(axes_form == 2 ? DT_I32 : DT_I64, 1, &nax);
    for (int i = 0; i < na; i++)
        put(ax, i, (double)axes[i]);
    int64_t nout = rt_numel(y);
    double *want = malloc((size_t)(nout ? nout : 1) * sizeof *want);
    Attr a = {.reduce = {.keepdims = keep, .noop_with_empty_axes = noop}};
    RtTensor *in[2] = {x, axes_form ? ax : NULL};
    for (int op = 0; op < R_COUNT; op++) {
        if (is_int && (op == R_LSE || op == R_LOGSUM))
            continue;
        if (na == 0 && noop)
            for (int64_t i = 0; i < nout; i++)
                want[i] = get(x, i);
        else
            ref_reduce((RefOp)op, x, red, want, nout);
        char name[160];
        int len =
            snprintf(name, sizeof name, "%s dt %d keep %d noop %d axes%s", ops[op].name, (int)dt,
                     keep, noop, axes_form ? (axes_form == 2 ? " i32" : "") : " absent");
        for (int i = 0; i < na && len < 150; i++)
            len += snprintf(name + len, sizeof name - (size_t)len, " %lld", (long long)axes[i]);
        run_both(name, ops[op].k, &a, in, 2, y, want);
    }
    free(want);
    kt_free(x);
    kt_free(y);
    kt_free(ax);
}

/* Sums of a million floats, against a double reference (accumulation accuracy). */
static void
check_large_sum(void)
{
    int64_t xd[2] = {1000, 1000}, one = 1, ax0 = 0;
    RtTensor *x = kt_new(DT_F32, 2, xd), *y = kt_new(DT_F32, 0, NULL);
    RtTensor *y2 = kt_new(DT_F32, 1, &xd[1]), *axes = kt_new(DT_I64, 1, &one);
    kt_fill(x, 77, 0, 1);
    ((int64_t *)axes->data)[0] = ax0;
    double want = 0, want2[1000] = {0};
    for (int64_t i = 0; i < rt_numel(x); i++) {
        want += ((float *)x->data)[i];
        want2[i % 1000] += ((float *)x->data)[i] / 1000.0;
    }
    Attr a = {.reduce = {.keepdims = 0}};
    RtTensor *in[2] = {x, NULL}, *in2[2] = {x, axes};
    run_both("ReduceSum of 1e6", cpu_reducesum, &a, in, 1, y, &want);
    want /= 1e6;
    run_both("ReduceMean of 1e6", cpu_reducemean, &a, in, 1, y, &want);
    run_both("ReduceMean axis 0 of 1000x1000", cpu_reducemean, &a, in2, 2, y2, want2);
    kt_free(x);
    kt_free(y);
    kt_free(y2);
    kt_free(axes);
}

/* ---- ArgMax, ArgMin -------------------------------------------------------------------------- */

/* ArgMax and ArgMin along axis: the first extreme, or the last with select_last_index; the
 * data has few distinct values, so ties are common. */
static void
check_arg(DType dt, int rank, const int64_t *xd, int64_t axis, int keep, int last)
{
    int ax = (int)(axis < 0 ? axis + rank : axis);
    int64_t yd[8], yr = 0, outer = 1, len = xd[ax], inner = 1;
    for (int i = 0; i < rank; i++) {
        if (i != ax || keep)
            yd[yr++] = i == ax ? 1 : xd[i];
        if (i < ax)
            outer *= xd[i];
        if (i > ax)
            inner *= xd[i];
    }
    /* few distinct values: many ties */
    RtTensor *x = data(dt, rank, xd, 13, -3, 3), *y = kt_new(DT_I64, (int)yr, yd);
    if (dt == DT_F32)
        for (int64_t i = 0; i < rt_numel(x); i++)
            put(x, i, round(get(x, i)));
    double *wmax = malloc((size_t)(outer * inner) * sizeof *wmax);
    double *wmin = malloc((size_t)(outer * inner) * sizeof *wmin);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t amax = 0, amin = 0;
            for (int64_t l = 1; l < len; l++) {
                double v = get(x, (o * len + l) * inner + j);
                double bmax = get(x, (o * len + amax) * inner + j);
                double bmin = get(x, (o * len + amin) * inner + j);
                if (v > bmax || (last && v == bmax))
                    amax = l;
                if (v < bmin || (last && v == bmin))
                    amin = l;
            }
            wmax[o * inner + j] = (double)amax;
            wmin[o * inner + j] = (double)amin;
        }
    Attr a = {.axis = {.axis = axis, .keepdims = keep, .select_last_index = last}};
    char name[128];
    snprintf(name, sizeof name, "ArgMax dt %d rank %d axis %lld keep %d last %d", (int)dt, rank,
             (long long)axis, keep, last);
    run_both(name, cpu_argmax, &a, &x, 1, y, wmax);
    name[4] = 'i', name[5] = 'n';
    run_both(name, cpu_argmin, &a, &x, 1, y, wmin);
    free(wmax);
    free(wmin);
    kt_free(x);
    kt_free(y);
}

/* ---- CumSum ---------------------------------------------------------------------------------- */

/* CumSum along axis (given as a scalar tensor of dtype axdt): running sums forwards or
 * reversed, each including its own element or not (exclusive). */
static void
check_cumsum(DType dt, int rank, const int64_t *xd, int64_t axis, DType axdt, int excl, int rev)
{
    int ax = (int)(axis < 0 ? axis + rank : axis);
    int64_t outer = 1, len = xd[ax], inner = 1, one = 1;
    for (int i = 0; i < rank; i++) {
        if (i < ax)
            outer *= xd[i];
        if (i > ax)
            inner *= xd[i];
    }
    RtTensor *x = data(dt, rank, xd, 17, -4, 4), *y = kt_new(dt, rank, xd);
    RtTensor *axt = kt_new(axdt, 0, &one);
    put(axt, 0, (double)axis);
    double *want = malloc((size_t)rt_numel(x) * sizeof *want);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            double acc = 0;
            for (int64_t s = 0; s < len; s++) {
                int64_t l = rev ? len - 1 - s : s, k = (o * len + l) * inner + j;
                if (excl) {
                    want[k] = acc;
                    acc += get(x, k);
                } else {
                    acc += get(x, k);
                    want[k] = acc;
                }
            }
        }
    Attr a = {.axis = {.exclusive = excl, .reverse = rev}};
    RtTensor *in[2] = {x, axt};
    char name[128];
    snprintf(name, sizeof name, "CumSum dt %d rank %d axis %lld (dt %d) exclusive %d reverse %d",
             (int)dt, rank, (long long)axis, (int)axdt, excl, rev);
    run_both(name, cpu_cumsum, &a, in, 2, y, want);
    free(want);
    kt_free(x);
    kt_free(y);
    kt_free(axt);
}

/* Forms the kernels do not handle give RT_EUNSUPPORTED, never a crash. */
static void
check_errors(void)
{
    int64_t xd[2] = {3, 4}, one = 1;
    RtTensor *x = kt_new(DT_F32, 2, xd), *y = kt_new(DT_F32, 1, xd), *ax = kt_new(DT_I64, 1, &one);
    RtTensor *xs = kt_new(DT_STRING, 2, xd), *in[2] = {x, ax}, *ins[2] = {xs, ax};
    Attr a = {.reduce = {.keepdims = 0}};
    ((int64_t *)ax->data)[0] = 2; /* out of range */
    CHECK(cpu_reducesum(ctx1, &a, in, 2, &y, 1) == RT_EUNSUPPORTED);
    ((int64_t *)ax->data)[0] = 1;
    CHECK(cpu_reducesum(ctx1, &a, ins, 2, &y, 1) == RT_EUNSUPPORTED);
    Attr c = {.axis = {0}};
    CHECK(cpu_cumsum(ctx1, &c, ins, 2, &y, 1) == RT_EUNSUPPORTED);
    kt_free(x);
    kt_free(y);
    kt_free(ax);
    kt_free(xs);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);

    static const int64_t xd[4] = {3, 4, 5, 6}, xi[3] = {2, 3, 4};
    static const struct {
        int n;
        int64_t v[4];
    } axs[] = {
        {0, {0}},    {1, {0}},      {1, {1}},    {1, {3}},          {1, {-1}},      {2, {1, 2}},
        {2, {0, 2}}, {2, {-3, -1}}, {2, {2, 0}}, {4, {0, 1, 2, 3}}, {3, {0, 1, 3}},
    };
    for (size_t i = 0; i < sizeof axs / sizeof *axs; i++)
        for (int keep = 0; keep < 2; keep++) {
            check_reduce(DT_F32, 4, xd, axs[i].n, axs[i].v, keep, 0, 1);
            int ok3 = axs[i].n <= 3;
            for (int j = 0; j < axs[i].n; j++)
                ok3 &= axs[i].v[j] < 3;
            if (ok3) {
                check_reduce(DT_I32, 3, xi, axs[i].n, axs[i].v, keep, 0, 1);
                check_reduce(DT_I64, 3, xi, axs[i].n, axs[i].v, keep, 0, 1);
            }
        }
    check_reduce(DT_F32, 4, xd, 0, NULL, 1, 0, 0); /* no axes input: reduce all */
    check_reduce(DT_F32, 4, xd, 0, NULL, 0, 1, 0); /* no axes input, noop: identity */
    check_reduce(DT_F32, 4, xd, 0, NULL, 1, 1, 1); /* empty axes, noop: identity */
    check_reduce(DT_I64, 3, xi, 0, NULL, 0, 1, 1);
    check_reduce(DT_F32, 4, xd, 2, (const int64_t[]){-2, 1}, 1, 1, 2); /* int32 axes */
    check_reduce(DT_F64, 4, xd, 2, (const int64_t[]){0, 3}, 0, 0, 1);
    check_reduce(DT_F32, 3, (const int64_t[]){2, 1, 3}, 1, (const int64_t[]){1}, 0, 0, 1);
    check_reduce(DT_F32, 0, NULL, 0, NULL, 0, 0, 0);
    check_reduce(DT_F32, 3, (const int64_t[]){8, 300, 70}, 1, (const int64_t[]){1}, 1, 0, 1);
    check_reduce(DT_F32, 3, (const int64_t[]){64, 3, 700}, 1, (const int64_t[]){-1}, 0, 0, 1);
    check_large_sum();

    for (int ax = -3; ax < 3; ax++)
        for (int keep = 0; keep < 2; keep++)
            for (int last = 0; last < 2; last++) {
                check_arg(DT_F32, 3, (const int64_t[]){3, 4, 5}, ax, keep, last);
                check_arg(DT_I32, 3, (const int64_t[]){4, 3, 5}, ax, keep, last);
            }
    check_arg(DT_I64, 2, (const int64_t[]){3, 7}, 1, 0, 1);
    check_arg(DT_F32, 2, (const int64_t[]){5, 1000}, 1, 1, 0);
    check_arg(DT_F32, 3, (const int64_t[]){2, 40, 600}, 1, 0, 1);
    check_arg(DT_F32, 1, (const int64_t[]){9}, 0, 1, 1);

    for (int ax = -3; ax < 3; ax++)
        for (int e = 0; e < 2; e++)
            for (int r = 0; r < 2; r++) {
                check_cumsum(DT_F32, 3, (const int64_t[]){3, 4, 5}, ax, DT_I64, e, r);
                check_cumsum(DT_I32, 3, (const int64_t[]){4, 3, 5}, ax, DT_I32, e, r);
            }
    check_cumsum(DT_I64, 2, (const int64_t[]){2, 9}, 1, DT_I64, 0, 0);
    check_cumsum(DT_F64, 2, (const int64_t[]){5, 3}, 0, DT_I32, 1, 1);
    check_cumsum(DT_F32, 1, (const int64_t[]){10}, 0, DT_I64, 0, 1);
    check_cumsum(DT_F32, 3, (const int64_t[]){4, 500, 300}, -2, DT_I64, 0, 0);
    check_errors();

    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
