/*
 * test_parity_reduce.c: the Reduce* ops, ArgMax, ArgMin and CumSum on OpenCL
 * (runtime/opencl/reduce.c) against the CPU kernels, on the geometry of
 * tests/kernels/test_cpu_reduce.c: axes subsets (negative, unordered, all, absent, empty with and
 * without noop_with_empty_axes, int32 or int64, constant or only on the device), keepdims 0 and
 * 1, size-1 and empty axes, rank 0 and rank 8 (four kept and four reduced groups), long
 * reductions that take the work-group kernel, every dtype the CPU takes, integer saturation, and
 * 64-bit integers that doubles round (the CPU's rounding must be kept).
 *
 * Tolerances: Max, Min, ArgMax, ArgMin and every non-float32 output must agree exactly (float64
 * data are multiples of 1/64, so that sums and products of them are exact in any order). Float32
 * sums are accumulated in float on the device and in double on the CPU: a float sum of n terms
 * by blocks is off by a few ulps of sum |term|, so atol is 1e-6 * n * max |term|; rtol 1e-5
 * covers the built-in log, exp and sqrt (a few ulps each). Products get n * 2.4e-7 relative
 * (one rounding per factor).
 */
#include "parity.h"

#include <time.h>

#define DIMS(...) ((int64_t[]){__VA_ARGS__})
#define NDIMS(...) ((int)(sizeof DIMS(__VA_ARGS__) / sizeof(int64_t)))

static const DType all_dt[] = {DT_F32, DT_F64, DT_BOOL, DT_I8,  DT_U8, DT_I16,
                               DT_U16, DT_I32, DT_U32,  DT_I64, DT_U64};
enum { NDT = sizeof all_dt / sizeof all_dt[0] };

static const struct {
    OpKind op;
    const char *name;
} reduce_ops[] = {
    {OP_REDUCEL1, "ReduceL1"},         {OP_REDUCEL2, "ReduceL2"},
    {OP_REDUCELOGSUM, "ReduceLogSum"}, {OP_REDUCELOGSUMEXP, "ReduceLogSumExp"},
    {OP_REDUCEMAX, "ReduceMax"},       {OP_REDUCEMEAN, "ReduceMean"},
    {OP_REDUCEMIN, "ReduceMin"},       {OP_REDUCEPROD, "ReduceProd"},
    {OP_REDUCESUM, "ReduceSum"},       {OP_REDUCESUMSQUARE, "ReduceSumSquare"},
};
enum { NRED = sizeof reduce_ops / sizeof reduce_ops[0] };

/* ---- tensors of any dtype ------------------------------------------------------------------ */

static void
put(RtTensor *t, int64_t i, double v)
{
    switch (t->dt) {
    case DT_F32: ((float *)t->data)[i] = (float)v; break;
    case DT_F64: ((double *)t->data)[i] = v; break;
    case DT_BOOL: ((uint8_t *)t->data)[i] = v > 0; break;
    case DT_U8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    case DT_I8: ((int8_t *)t->data)[i] = (int8_t)v; break;
    case DT_U16: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
    case DT_I16: ((int16_t *)t->data)[i] = (int16_t)v; break;
    case DT_U32: ((uint32_t *)t->data)[i] = (uint32_t)v; break;
    case DT_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    case DT_U64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
    case DT_I64: ((int64_t *)t->data)[i] = (int64_t)v; break;
    default: break;
    }
}

static int
is_unsigned(DType dt)
{
    return dt == DT_U8 || dt == DT_U16 || dt == DT_U32 || dt == DT_U64 || dt == DT_BOOL;
}

/* Seeded values in [lo, hi): float32 as drawn, float64 rounded to 1/64, integers floored
 * (unsigned ones shifted up by -lo to stay >= 0), bool where positive. */
static RtTensor *
data(DType dt, int rank, const int64_t *dim, uint32_t seed, double lo, double hi)
{
    RtTensor *t = kt_new(dt, rank, dim);
    uint32_t s = seed ? seed : 1;
    for (int64_t i = 0; i < rt_numel(t); i++) {
        double v = lo + (hi - lo) * (double)(kt_rand(&s) >> 8) / 16777216.0;
        if (dt == DT_F64)
            v = floor(v * 64) / 64;
        else if (dt != DT_F32 && dt != DT_BOOL)
            v = floor(is_unsigned(dt) && lo < 0 ? v - lo : v);
        put(t, i, v);
    }
    return t;
}

static RtTensor *
axes_tensor(DType dt, int n, const int64_t *v)
{
    int64_t dn = n;
    RtTensor *t = kt_new(dt, 1, &dn);
    for (int i = 0; i < n; i++)
        put(t, i, (double)v[i]);
    return t;
}

/* ---- Reduce* ------------------------------------------------------------------------------- */

/* par_check for a float64 output within rtol of the largest |output| (par_check compares
 * float64 exactly): ReduceLogSum and ReduceLogSumExp go through exp and log, which OpenCL
 * lets differ from the CPU's libm by a few ulps. Inputs at 8-byte offsets that are not
 * multiples of 64; input 1 (the axes) is a constant when consts is set. */
static void
check_f64_close(const char *name, OpKind op, const Attr *a, RtTensor *const *in, int nin,
                RtTensor *y, int consts, double rtol)
{
    RtTensor *want = kt_new(DT_F64, y->rank, y->dim);
    OclTensor t[3], *din[2] = {NULL, NULL}, *dout[1] = {&t[2]};
    size_t off[3], total = 0;
    for (int i = 0; i < 3; i++) {
        const RtTensor *r = i < nin ? in[i] : i == 2 ? y : NULL;
        off[i] = (total + 63) / 64 * 64 + 8;
        total = off[i] + (r ? par_bytes(r) : 0);
    }
    OclBuf *buf = NULL;
    int ok = cpu_kernel[op](par_ctx, a, in, nin, &want, 1) == RT_OK &&
             ocl_buf_new(par_dev, total, &buf) == RT_OK;
    for (int i = 0; ok && i < 3; i++) {
        const RtTensor *r = i < nin ? in[i] : i == 2 ? y : NULL;
        if (!r)
            continue;
        t[i] = (OclTensor){.mem = buf->mem, .off = off[i], .dt = r->dt, .rank = r->rank};
        memcpy(t[i].dim, r->dim, sizeof r->dim);
        if (i < 2) {
            t[i].host = i == 1 && consts ? r->data : NULL;
            din[i] = &t[i];
            ok = !par_bytes(r) || ocl_buf_write(par_dev, buf, off[i], r->data, par_bytes(r)) == 0;
        }
    }
    int64_t n = rt_numel(y);
    double *got = calloc((size_t)(n ? n : 1), sizeof *got), big = 0;
    ok = ok && ocl_op[op](par_dev, a, din, nin, dout, 1) == RT_OK && ocl_finish(par_dev) == RT_OK &&
         (!n || ocl_buf_read(par_dev, buf, off[2], got, (size_t)n * 8) == RT_OK);
    const double *w = want->data;
    for (int64_t i = 0; i < n; i++)
        big = isfinite(w[i]) && fabs(w[i]) > big ? fabs(w[i]) : big;
    for (int64_t i = 0; ok && i < n; i++)
        if (isnan(w[i])   ? !isnan(got[i])
            : isinf(w[i]) ? got[i] != w[i]
                          : !(fabs(got[i] - w[i]) <= rtol * big)) {
            fprintf(stderr, "%s: element %lld: got %.17g, want %.17g\n", name, (long long)i, got[i],
                    w[i]);
            ok = 0;
        }
    if (!ok)
        fprintf(stderr, "%s: failed (%s)\n", name, rt_ctx_error(par_ctx));
    CHECK(ok);
    free(got);
    ocl_buf_free(par_dev, buf);
    kt_free(want);
}

/* float32 tolerance of op over count elements of magnitude at most mx */
static void
reduce_tol(OpKind op, int64_t count, double mx, double *atol, double *rtol)
{
    double n = (double)(count ? count : 1);
    *atol = *rtol = 0;
    switch (op) {
    case OP_REDUCEMAX:
    case OP_REDUCEMIN: break;
    case OP_REDUCEPROD: *rtol = 1e-6 + n * 2.4e-7; break;
    case OP_REDUCEMEAN: *atol = 1e-6 * mx, *rtol = 1e-5; break;
    case OP_REDUCESUMSQUARE:
    case OP_REDUCEL2: *atol = 1e-6 * n * mx * mx, *rtol = 1e-5; break;
    case OP_REDUCELOGSUMEXP: *atol = 1e-6 * n, *rtol = 1e-5; break;
    default: *atol = 1e-6 * n * mx, *rtol = 1e-5; break;
    }
}

static int nchecks;

/* Every Reduce* op of x [rank, xd] (dtype dt) over the na axes (axes_form 0: no axes input, 1:
 * int64, 2: int32; const_axes: the axes are a constant), keepdims keep. */
static void
check_reduce(DType dt, int rank, const int64_t *xd, int na, const int64_t *axes, int keep, int noop,
             int axes_form, int const_axes)
{
    int red[RT_MAXRANK] = {0};
    for (int i = 0; i < rank; i++)
        red[i] = na == 0 && !noop;
    for (int i = 0; i < na; i++)
        red[axes[i] < 0 ? axes[i] + rank : axes[i]] = 1;
    int64_t yd[RT_MAXRANK], yr = 0, nx = 1;
    for (int i = 0; i < rank; i++) {
        nx *= xd[i];
        if (!red[i])
            yd[yr++] = xd[i];
        else if (keep)
            yd[yr++] = 1;
    }
    RtTensor *y = kt_new(dt, (int)yr, yd);
    int64_t nout = rt_numel(y), count = nout ? nx / nout : 0;
    RtTensor *ax = axes_tensor(axes_form == 2 ? DT_I32 : DT_I64, na, axes);
    for (int k = 0; k < NRED; k++) {
        OpKind op = reduce_ops[k].op;
        /* positive data for the logs and products (products near 1, no overflow), else
         * signed; integers small, so sums stay exact */
        int pos = op == OP_REDUCELOGSUM || op == OP_REDUCEPROD;
        double lo = pos ? 0.5 : -1.5, hi = 1.5;
        if (dt != DT_F32 && dt != DT_F64)
            lo = pos ? 1 : -2, hi = 3;
        RtTensor *x = data(dt, rank, xd, 5u + (uint32_t)(na * 7 + k), lo, hi);
        double atol, rtol;
        reduce_tol(op, count, fmax(fabs(lo), fabs(hi)), &atol, &rtol);
        Attr a;
        memset(&a, 0, sizeof a);
        a.reduce = (ReduceAttr){.keepdims = keep, .noop_with_empty_axes = noop};
        RtTensor *in[2] = {x, ax};
        char name[200];
        int len = snprintf(name, sizeof name, "%s dt %d [", reduce_ops[k].name, (int)dt);
        for (int i = 0; i < rank && len < 100; i++)
            len += snprintf(name + len, sizeof name - (size_t)len, "%s%lld", i ? "," : "",
                            (long long)xd[i]);
        len += snprintf(name + len, sizeof name - (size_t)len, "] keep %d noop %d axes%s%s", keep,
                        noop, axes_form ? (axes_form == 2 ? " i32" : "") : " absent",
                        const_axes ? "" : " (device)");
        for (int i = 0; i < na && len < 180; i++)
            len += snprintf(name + len, sizeof name - (size_t)len, " %lld", (long long)axes[i]);
        if (dt == DT_F64 && (op == OP_REDUCELOGSUM || op == OP_REDUCELOGSUMEXP))
            check_f64_close(name, op, &a, in, axes_form ? 2 : 1, y, const_axes, 1e-14);
        else
            par_check(name, op, &a, in, axes_form ? 2 : 1, &y, 1, const_axes ? 2u : 0u, atol, rtol);
        nchecks++;
        kt_free(x);
    }
    kt_free(ax);
    kt_free(y);
}

/* Integer results out of range saturate (int8 sums and squares past 127, uint8 and int32
 * products), NaN and -inf store as 0 and the minimum (the log of a negative or a zero int32
 * sum), and 64-bit values that doubles round keep the CPU's rounding. */
static void
check_saturation(void)
{
    Attr a;
    memset(&a, 0, sizeof a);
    int64_t xd[2] = {5, 9}, one = 1, yd[1] = {5};
    RtTensor *ax = axes_tensor(DT_I64, 1, &one);
    RtTensor *x8 = data(DT_I8, 2, xd, 3, -100, 120), *y8 = kt_new(DT_I8, 1, yd);
    RtTensor *in[2] = {x8, ax};
    par_check("ReduceSum int8 saturating", OP_REDUCESUM, &a, in, 2, &y8, 1, 2, 0, 0);
    par_check("ReduceSumSquare int8 saturating", OP_REDUCESUMSQUARE, &a, in, 2, &y8, 1, 2, 0, 0);
    par_check("ReduceProd int8 saturating", OP_REDUCEPROD, &a, in, 2, &y8, 1, 2, 0, 0);
    par_check("ReduceMean int8", OP_REDUCEMEAN, &a, in, 2, &y8, 1, 2, 0, 0);
    par_check("ReduceL2 int8", OP_REDUCEL2, &a, in, 2, &y8, 1, 2, 0, 0);
    RtTensor *xu = data(DT_U8, 2, xd, 4, 0, 250), *yu = kt_new(DT_U8, 1, yd);
    in[0] = xu;
    par_check("ReduceProd uint8 saturating", OP_REDUCEPROD, &a, in, 2, &yu, 1, 2, 0, 0);
    par_check("ReduceSum uint8 saturating", OP_REDUCESUM, &a, in, 2, &yu, 1, 2, 0, 0);
    RtTensor *xi = data(DT_I32, 2, xd, 6, -60000, 60000), *yi = kt_new(DT_I32, 1, yd);
    in[0] = xi;
    par_check("ReduceProd int32 saturating", OP_REDUCEPROD, &a, in, 2, &yi, 1, 2, 0, 0);
    par_check("ReduceSumSquare int32 saturating", OP_REDUCESUMSQUARE, &a, in, 2, &yi, 1, 2, 0, 0);
    par_check("ReduceLogSumExp int32", OP_REDUCELOGSUMEXP, &a, in, 2, &yi, 1, 2, 0, 0);
    for (int i = 0; i < 9; i++)
        ((int32_t *)xi->data)[i] = 0; /* a zero sum: log gives -inf */
    par_check("ReduceLogSum int32 of signed sums", OP_REDUCELOGSUM, &a, in, 2, &yi, 1, 2, 0, 0);
    /* int64 beyond 2^53: the CPU compares and multiplies rounded doubles */
    RtTensor *xl = data(DT_I64, 2, xd, 8, -1000, 1000), *yl = kt_new(DT_I64, 1, yd);
    for (int64_t i = 0; i < rt_numel(xl); i++)
        ((int64_t *)xl->data)[i] += (int64_t)1 << 60;
    in[0] = xl;
    par_check("ReduceMax int64 past 2^53", OP_REDUCEMAX, &a, in, 2, &yl, 1, 2, 0, 0);
    par_check("ReduceMin int64 past 2^53", OP_REDUCEMIN, &a, in, 2, &yl, 1, 2, 0, 0);
    par_check("ReduceProd int64 past 2^53", OP_REDUCEPROD, &a, in, 2, &yl, 1, 2, 0, 0);
    /* products of three factors between 2^53 and 2^63: the order of the roundings counts */
    RtTensor *xs = data(DT_I64, 2, (int64_t[]){5, 3}, 9, 1, 90), *ys = kt_new(DT_I64, 1, yd);
    for (int64_t i = 0; i < rt_numel(xs); i++)
        ((int64_t *)xs->data)[i] = ((int64_t *)xs->data)[i] * 20011 + 7;
    in[0] = xs;
    par_check("ReduceProd int64 rounding", OP_REDUCEPROD, &a, in, 2, &ys, 1, 2, 0, 0);
    nchecks += 16;
    kt_free(ax), kt_free(x8), kt_free(y8), kt_free(xu), kt_free(yu), kt_free(xi), kt_free(yi);
    kt_free(xl), kt_free(yl), kt_free(xs), kt_free(ys);
}

/* Max and Min skip NaN as the CPU's comparisons do; sums propagate it. */
static void
check_nan(void)
{
    int64_t xd[2] = {4, 300}, one = 1, yd[1] = {4};
    RtTensor *x = data(DT_F32, 2, xd, 21, -1, 1), *y = kt_new(DT_F32, 1, yd);
    RtTensor *ax = axes_tensor(DT_I64, 1, &one), *in[2] = {x, ax};
    float *p = x->data;
    p[0] = NAN, p[310] = NAN, p[2 * 300 + 299] = INFINITY;
    for (int i = 0; i < 300; i++)
        p[900 + i] = NAN;
    Attr a;
    memset(&a, 0, sizeof a);
    par_check("ReduceMax NaN", OP_REDUCEMAX, &a, in, 2, &y, 1, 2, 0, 0);
    par_check("ReduceMin NaN", OP_REDUCEMIN, &a, in, 2, &y, 1, 2, 0, 0);
    par_check("ReduceSum NaN", OP_REDUCESUM, &a, in, 2, &y, 1, 2, 1e-4, 1e-5);
    par_check("ReduceLogSumExp NaN inf", OP_REDUCELOGSUMEXP, &a, in, 2, &y, 1, 2, 1e-4, 1e-5);
    nchecks += 4;
    kt_free(x), kt_free(y), kt_free(ax);
}

/* ---- ArgMax, ArgMin ------------------------------------------------------------------------ */

static void
check_arg(DType dt, int rank, const int64_t *xd, int64_t axis, int keep, int last, double lo,
          double hi)
{
    int ax = (int)(axis < 0 ? axis + rank : axis);
    int64_t yd[RT_MAXRANK], yr = 0;
    for (int i = 0; i < rank; i++)
        if (i != ax || keep)
            yd[yr++] = i == ax ? 1 : xd[i];
    /* few distinct values: many ties */
    RtTensor *x = data(dt, rank, xd, 13 + (uint32_t)ax, lo, hi), *y = kt_new(DT_I64, (int)yr, yd);
    if (dt == DT_F32)
        for (int64_t i = 0; i < rt_numel(x); i++)
            ((float *)x->data)[i] = roundf(((float *)x->data)[i]);
    Attr a;
    memset(&a, 0, sizeof a);
    a.axis = (AxisAttr){.axis = axis, .keepdims = keep, .select_last_index = last};
    char name[160];
    snprintf(name, sizeof name, "ArgMax dt %d rank %d (%lld..) axis %lld keep %d last %d", (int)dt,
             rank, rank ? (long long)xd[0] : 0LL, (long long)axis, keep, last);
    par_check(name, OP_ARGMAX, &a, &x, 1, &y, 1, 0, 0, 0);
    name[4] = 'i', name[5] = 'n';
    par_check(name, OP_ARGMIN, &a, &x, 1, &y, 1, 0, 0, 0);
    nchecks += 2;
    kt_free(x), kt_free(y);
}

/* NaN first or inside a row, and int64 values that tie once rounded to double. */
static void
check_arg_special(void)
{
    int64_t xd[2] = {3, 6}, yd[1] = {3};
    RtTensor *x = data(DT_F32, 2, xd, 31, -2, 2), *y = kt_new(DT_I64, 1, yd);
    float *p = x->data;
    p[0] = NAN, p[8] = NAN;
    Attr a;
    memset(&a, 0, sizeof a);
    a.axis.axis = 1;
    for (int last = 0; last < 2; last++) {
        a.axis.select_last_index = last;
        par_check("ArgMax NaN", OP_ARGMAX, &a, &x, 1, &y, 1, 0, 0, 0);
        par_check("ArgMin NaN", OP_ARGMIN, &a, &x, 1, &y, 1, 0, 0, 0);
    }
    RtTensor *xl = kt_new(DT_I64, 2, xd);
    for (int64_t i = 0; i < 18; i++)
        ((int64_t *)xl->data)[i] = ((int64_t)1 << 60) + (i * 5 % 7);
    a.axis.select_last_index = 0;
    par_check("ArgMax int64 ties in double", OP_ARGMAX, &a, &xl, 1, &y, 1, 0, 0, 0);
    par_check("ArgMin int64 ties in double", OP_ARGMIN, &a, &xl, 1, &y, 1, 0, 0, 0);
    nchecks += 6;
    kt_free(x), kt_free(y), kt_free(xl);
}

/* ---- CumSum -------------------------------------------------------------------------------- */

static void
check_cumsum(DType dt, int rank, const int64_t *xd, int64_t axis, DType axdt, int excl, int rev,
             int const_axis, double lo, double hi)
{
    int ax = (int)(axis < 0 ? axis + rank : axis);
    RtTensor *x = data(dt, rank, xd, 17 + (uint32_t)ax, lo, hi), *y = kt_new(dt, rank, xd);
    RtTensor *axt = kt_new(axdt, 0, NULL);
    put(axt, 0, (double)axis);
    Attr a;
    memset(&a, 0, sizeof a);
    a.axis = (AxisAttr){.exclusive = excl, .reverse = rev};
    RtTensor *in[2] = {x, axt};
    char name[160];
    snprintf(name, sizeof name, "CumSum dt %d rank %d (%lld..) axis %lld (dt %d%s) excl %d rev %d",
             (int)dt, rank, rank ? (long long)xd[0] : 0LL, (long long)axis, (int)axdt,
             const_axis ? "" : ", device", excl, rev);
    double len = rank ? (double)xd[ax] : 1;
    par_check(name, OP_CUMSUM, &a, in, 2, &y, 1, const_axis ? 2u : 0u,
              1e-6 * len * fmax(fabs(lo), fabs(hi)), 1e-6);
    nchecks++;
    kt_free(x), kt_free(y), kt_free(axt);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void
check_errors(void)
{
    int64_t one = 2;
    RtTensor *axv = axes_tensor(DT_I64, 1, &one);
    OclTensor x = {.dt = DT_F32, .rank = 2, .dim = {3, 4}},
              y = {.dt = DT_F32, .rank = 1, .dim = {3}};
    OclTensor xs = x, yl = y, xb = x, ax = {.dt = DT_I64, .rank = 1, .dim = {1}, .host = axv->data};
    xs.dt = DT_STRING, yl.dt = DT_I64, xb.dt = DT_BOOL;
    OclTensor *in[2] = {&x, &ax}, *ins[2] = {&xs, &ax}, *inb[2] = {&xb, &ax};
    OclTensor *out[1] = {&y}, *outl[1] = {&yl};
    Attr a;
    memset(&a, 0, sizeof a);
    CHECK(ocl_op_reducesum(par_dev, &a, in, 2, out, 1) == RT_EUNSUPPORTED); /* axis 2 of rank 2 */
    ((int64_t *)axv->data)[0] = 1;
    CHECK(ocl_op_reducesum(par_dev, &a, ins, 2, out, 1) == RT_EUNSUPPORTED); /* string */
    CHECK(ocl_op_argmax(par_dev, &a, in, 1, out, 1) == RT_EUNSUPPORTED);     /* float output */
    CHECK(ocl_op_argmin(par_dev, &a, ins, 1, outl, 1) == RT_EUNSUPPORTED);
    CHECK(ocl_op_cumsum(par_dev, &a, inb, 2, out, 1) == RT_EUNSUPPORTED); /* bool */
    a.axis.axis = 5;
    CHECK(ocl_op_argmax(par_dev, &a, in, 1, outl, 1) == RT_EUNSUPPORTED); /* axis 5 of rank 2 */
    kt_free(axv);
}

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(void)
{
    static const int64_t xd[4] = {3, 4, 5, 6}, xi[3] = {2, 3, 4};
    static const struct {
        int n;
        int64_t v[4];
    } axs[] = {
        {0, {0}},    {1, {0}},      {1, {1}},    {1, {3}},          {1, {-1}},      {2, {1, 2}},
        {2, {0, 2}}, {2, {-3, -1}}, {2, {2, 0}}, {4, {0, 1, 2, 3}}, {3, {0, 1, 3}},
    };
    par_open();
    /* the tables hold weak references only (see test_parity_pool.c): name the ops */
    CHECK(cpu_kernel[OP_REDUCESUM] == cpu_reducesum && ocl_op[OP_REDUCESUM] == ocl_op_reducesum);
    CHECK(ocl_op[OP_ARGMAX] == ocl_op_argmax && ocl_op[OP_CUMSUM] == ocl_op_cumsum);
    CHECK(ocl_op[OP_REDUCEL1] == ocl_op_reducel1 && ocl_op[OP_REDUCEL2] == ocl_op_reducel2);
    CHECK(ocl_op[OP_REDUCELOGSUM] == ocl_op_reducelogsum &&
          ocl_op[OP_REDUCELOGSUMEXP] == ocl_op_reducelogsumexp);
    CHECK(ocl_op[OP_REDUCEMAX] == ocl_op_reducemax && ocl_op[OP_REDUCEMIN] == ocl_op_reducemin);
    CHECK(ocl_op[OP_REDUCEMEAN] == ocl_op_reducemean && ocl_op[OP_REDUCEPROD] == ocl_op_reduceprod);
    CHECK(ocl_op[OP_REDUCESUMSQUARE] == ocl_op_reducesumsquare &&
          ocl_op[OP_ARGMIN] == ocl_op_argmin);
    double t0 = now_ms();

    /* the CPU test's axes on float32, and on every other dtype for a smaller shape */
    for (size_t i = 0; i < sizeof axs / sizeof *axs; i++)
        for (int keep = 0; keep < 2; keep++) {
            check_reduce(DT_F32, 4, xd, axs[i].n, axs[i].v, keep, 0, 1, (int)(i % 2 == 0));
            int ok3 = axs[i].n <= 3;
            for (int j = 0; j < axs[i].n; j++)
                ok3 &= axs[i].v[j] < 3;
            for (int k = 1; ok3 && !keep && k < NDT; k++)
                check_reduce(all_dt[k], 3, xi, axs[i].n, axs[i].v, keep, 0, 1, 1);
        }
    check_reduce(DT_F32, 4, xd, 0, NULL, 1, 0, 0, 1); /* no axes input: reduce all */
    check_reduce(DT_F32, 4, xd, 0, NULL, 0, 1, 0, 1); /* no axes input, noop: a copy */
    check_reduce(DT_F32, 4, xd, 0, NULL, 1, 1, 1, 0); /* empty axes, noop: a copy */
    check_reduce(DT_I64, 3, xi, 0, NULL, 0, 1, 1, 1);
    check_reduce(DT_F32, 4, xd, 2, DIMS(-2, 1), 1, 1, 2, 1); /* int32 axes */
    check_reduce(DT_F32, 4, xd, 2, DIMS(-2, 1), 1, 0, 2, 0); /* int32 axes on the device */
    check_reduce(DT_F64, 4, xd, 2, DIMS(0, 3), 0, 0, 1, 1);
    check_reduce(DT_F32, 3, DIMS(2, 1, 3), 1, DIMS(1), 0, 0, 1, 1); /* a size-1 axis */
    check_reduce(DT_F32, 0, NULL, 0, NULL, 0, 0, 0, 1);             /* rank 0 */
    check_reduce(DT_F32, 3, DIMS(3, 0, 4), 1, DIMS(1), 1, 0, 1, 1); /* an empty axis */
    check_reduce(DT_I32, 3, DIMS(3, 0, 4), 1, DIMS(1), 0, 0, 1, 1);
    check_reduce(DT_F32, 2, DIMS(0, 4), 1, DIMS(1), 0, 0, 1, 1); /* no outputs */
    check_reduce(DT_F32, 8, DIMS(2, 3, 2, 3, 2, 3, 2, 3), 4, DIMS(1, 3, 5, 7), 0, 0, 1, 1);
    check_reduce(DT_I16, 8, DIMS(3, 2, 3, 2, 3, 2, 3, 2), 4, DIMS(0, 2, 4, 6), 1, 0, 1, 1);
    /* long reductions: the work-group kernel, contiguous, strided, and with few outputs */
    check_reduce(DT_F32, 3, DIMS(8, 300, 70), 1, DIMS(1), 1, 0, 1, 1);
    check_reduce(DT_F32, 3, DIMS(64, 3, 700), 1, DIMS(-1), 0, 0, 1, 1);
    check_reduce(DT_F32, 2, DIMS(1000, 1000), 0, NULL, 0, 0, 0, 1);
    check_reduce(DT_F32, 2, DIMS(1000, 1000), 1, DIMS(0), 0, 0, 1, 1);
    check_reduce(DT_F32, 3, DIMS(2000, 3, 5), 2, DIMS(0, 2), 0, 0, 1, 1);
    check_reduce(DT_I32, 2, DIMS(7, 5000), 1, DIMS(1), 0, 0, 1, 1);
    check_reduce(DT_F64, 2, DIMS(7, 5000), 1, DIMS(1), 0, 0, 1, 1);
    check_reduce(DT_U8, 3, DIMS(5, 600, 3), 2, DIMS(1, 2), 0, 0, 1, 1);
    check_saturation();
    check_nan();
    double t1 = now_ms();

    for (int ax = -3; ax < 3; ax++)
        for (int keep = 0; keep < 2; keep++)
            for (int last = 0; last < 2; last++) {
                check_arg(DT_F32, 3, DIMS(3, 4, 5), ax, keep, last, -3, 3);
                check_arg(DT_I32, 3, DIMS(4, 3, 5), ax, keep, last, -3, 3);
            }
    for (int k = 1; k < NDT; k++)
        for (int last = 0; last < 2; last++)
            check_arg(all_dt[k], 3, DIMS(4, 3, 5), 1, 0, last, -3, 3);
    check_arg(DT_F32, 2, DIMS(5, 1000), 1, 1, 0, -300, 300);
    check_arg(DT_F32, 3, DIMS(2, 40, 600), 1, 0, 1, -3, 3);
    check_arg(DT_F32, 1, DIMS(9), 0, 1, 1, -3, 3);
    check_arg(DT_I64, 0, NULL, 0, 0, 0, -3, 3);
    check_arg_special();
    double t2 = now_ms();

    for (int ax = -3; ax < 3; ax++)
        for (int e = 0; e < 2; e++)
            for (int r = 0; r < 2; r++) {
                check_cumsum(DT_F32, 3, DIMS(3, 4, 5), ax, DT_I64, e, r, 1, -4, 4);
                check_cumsum(DT_I32, 3, DIMS(4, 3, 5), ax, DT_I32, e, r, ax % 2, -4, 4);
            }
    for (int k = 1; k < NDT; k++)
        if (all_dt[k] != DT_BOOL)
            for (int r = 0; r < 2; r++)
                check_cumsum(all_dt[k], 2, DIMS(5, 9), r, DT_I64, r, r, 1, -4, 4);
    check_cumsum(DT_I8, 2, DIMS(4, 30), 1, DT_I64, 0, 0, 1, -100, 100); /* saturates */
    check_cumsum(DT_U16, 2, DIMS(4, 30), -1, DT_I64, 1, 1, 1, 0, 60000);
    check_cumsum(DT_F32, 2, DIMS(3, 2000), 1, DT_I64, 0, 1, 1, -1, 1);
    check_cumsum(DT_F32, 1, DIMS(1), 0, DT_I64, 0, 0, 1, -1, 1);
    check_cumsum(DT_F32, 0, NULL, 0, DT_I64, 1, 0, 1, -1, 1);
    check_errors();
    printf("%d parity checks; reductions %.0f ms, ArgMax/ArgMin %.0f ms, CumSum %.0f ms\n", nchecks,
           t1 - t0, t2 - t1, now_ms() - t2);
    return par_close();
}
