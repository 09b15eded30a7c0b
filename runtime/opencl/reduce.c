/*
 * reduce.c: the reductions (ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceMax,
 * ReduceMean, ReduceMin, ReduceProd, ReduceSum, ReduceSumSquare), ArgMax, ArgMin and CumSum on
 * an OpenCL device: the host side of kernels/reduce.cl, following runtime/cpu/reduce.c.
 *
 * Axes are resolved as the CPU does: input 1 (int64 or int32; read back from the device when it
 * is not a constant), none or empty meaning every axis, or a plain copy with
 * noop_with_empty_axes. The input's dims are then collapsed as on the CPU (size-1 dims dropped,
 * neighbours of the same kind merged) into at most four kept and four reduced groups, which the
 * kernels index with 32-bit arithmetic (tensors of 2^31 elements or more are refused).
 *
 * Dtypes: float32 accumulates in float on the device (the CPU's doubles give slightly different
 * roundings; the parity tests allow for it). Every other dtype goes through doubles exactly as
 * the CPU's engine does (load as double, combine, post, store saturating toward zero), so it
 * needs cl_khr_fp64; without it those forms are refused. ArgMax and ArgMin compare float32 and
 * the integers of up to 32 bits in their own type (exactly as doubles would order them), and
 * float64 and the 64-bit integers in double, the CPU's rounding of them included. CumSum runs the
 * small integers in long, which is exact, and float32 in float.
 */
#include "ocl_impl.h"
#include "ops.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ---- dtypes -------------------------------------------------------------------------------- */

/* How a dtype is computed on the device. */
typedef struct DtInfo {
    const char *cl;  /* OpenCL C element type, NULL: not taken */
    const char *sat; /* the saturating conversion to it: convert_<t>_sat */
    int small;       /* an integer (or bool) of up to 32 bits: exact in long */
} DtInfo;

static DtInfo
dt_info(DType t)
{
    switch (t) {
    case DT_F32: return (DtInfo){"float", "convert_float", 0};
    case DT_F64: return (DtInfo){"double", "convert_double", 0};
    case DT_BOOL: return (DtInfo){"uchar", "convert_uchar_sat", 1};
    case DT_U8: return (DtInfo){"uchar", "convert_uchar_sat", 1};
    case DT_I8: return (DtInfo){"char", "convert_char_sat", 1};
    case DT_U16: return (DtInfo){"ushort", "convert_ushort_sat", 1};
    case DT_I16: return (DtInfo){"short", "convert_short_sat", 1};
    case DT_U32: return (DtInfo){"uint", "convert_uint_sat", 1};
    case DT_I32: return (DtInfo){"int", "convert_int_sat", 1};
    case DT_U64: return (DtInfo){"ulong", "convert_ulong_sat", 0};
    case DT_I64: return (DtInfo){"long", "convert_long_sat", 0};
    default: return (DtInfo){NULL, NULL, 0};
    }
}

/* RT_OK when t's offset is a whole number of elements and t has fewer than 2^31 of them. */
static int
check_tensor(OclDev *d, const char *op, const OclTensor *t)
{
    size_t esz = rt_dtype_size(t->dt);
    if (esz == 0 || t->off % esz)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: offset %zu not element-aligned", op,
                       t->off);
    if (ocl_numel(t) > INT_MAX)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: 2^31 elements or more", op);
    return RT_OK;
}

/* v[0 .. *n) = the int64 or int32 values of t (at most cap), from its host copy or read back
 * from the device (a blocking read) when it is not a constant. */
static int
read_ints(OclDev *d, const char *op, const OclTensor *t, int64_t *v, int cap, int64_t *n)
{
    int64_t m = ocl_numel(t);
    size_t esz = rt_dtype_size(t->dt);
    if (t->dt != DT_I64 && t->dt != DT_I32)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: axes of dtype %d", op, (int)t->dt);
    if (m > cap)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: %lld axes", op, (long long)m);
    unsigned char raw[8 * RT_MAXRANK];
    const void *src = t->host;
    if (!src && m > 0) {
        int rc = OCL_CALL(d->ctx, clEnqueueReadBuffer(d->queue, t->mem, CL_TRUE, t->off,
                                                      (size_t)m * esz, raw, 0, NULL, NULL));
        if (rc != RT_OK)
            return rc;
        src = raw;
    }
    for (int64_t i = 0; i < m; i++) {
        if (t->dt == DT_I64)
            memcpy(&v[i], (const unsigned char *)src + 8 * i, 8);
        else {
            int32_t w;
            memcpy(&w, (const unsigned char *)src + 4 * i, 4);
            v[i] = w;
        }
    }
    *n = m;
    return RT_OK;
}

/* The work-items of reduce_group's work-groups: a power of two, at most 256 and what the
 * kernel and local memory allow (0: none fits). */
static size_t
group_size(OclDev *d, cl_kernel k, size_t acc)
{
    size_t kmax = 0, l = 256;
    if (clGetKernelWorkGroupInfo(k, d->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax,
                                 NULL) != CL_SUCCESS)
        kmax = d->info.max_wg;
    while (l > 1 && (l > kmax || l > d->info.max_wg || l * acc > d->info.local_mem / 2))
        l /= 2;
    return l;
}

/* ---- Reduce* ------------------------------------------------------------------------------- */

/* The kernels' COMB, PRE and POST (see reduce.cl) */
enum { C_SUM, C_PROD, C_MAX, C_MIN };
enum { P_NONE, P_ABS, P_SQ, P_EXP };
enum { Q_NONE, Q_MEAN, Q_SQRT, Q_LOG, Q_LSE };
enum { NG = 4 }; /* groups of each kind the kernels take */

/* The input seen as kept and reduced groups, innermost first. */
typedef struct Groups {
    int nk, nr;
    cl_int kn[NG], ks[NG]; /* kept groups: sizes and element strides in x */
    cl_int rn[NG], rs[NG]; /* reduced groups */
    int last_reduced;      /* the innermost group is reduced */
} Groups;

/* Collapses x's dims as reduce_into (cpu/reduce.c) does; -1 when more than NG groups of a kind
 * remain (not possible up to rank 8). */
static int
groups_init(Groups *g, const OclTensor *x, const int *red)
{
    int64_t gn[RT_MAXRANK];
    int gred[RT_MAXRANK], ng = 0;
    for (int i = 0; i < x->rank; i++) {
        if (x->dim[i] == 1)
            continue;
        if (ng && gred[ng - 1] == red[i]) {
            gn[ng - 1] *= x->dim[i];
        } else {
            gn[ng] = x->dim[i];
            gred[ng++] = red[i];
        }
    }
    memset(g, 0, sizeof *g);
    for (int i = 0; i < NG; i++)
        g->kn[i] = g->rn[i] = 1;
    g->last_reduced = ng > 0 && gred[ng - 1];
    int64_t s = 1;
    for (int i = ng - 1; i >= 0; i--) {
        int *cnt = gred[i] ? &g->nr : &g->nk;
        if (*cnt == NG)
            return -1;
        cl_int *n = gred[i] ? g->rn : g->kn, *st = gred[i] ? g->rs : g->ks;
        n[*cnt] = (cl_int)gn[i];
        st[*cnt] = (cl_int)s;
        ++*cnt;
        s *= gn[i];
    }
    return 0;
}

static int
reduce_run(OclDev *d, const Attr *a, OclTensor *const *in, int nin, const OclTensor *y, int comb,
           int pre, int post, const char *op)
{
    const OclTensor *x = in[0], *axes = nin > 1 ? in[1] : NULL;
    int64_t av[RT_MAXRANK], na = 0;
    int rc;
    if (axes && (rc = read_ints(d, op, axes, av, RT_MAXRANK, &na)) != RT_OK)
        return rc;
    if (na == 0 && a->reduce.noop_with_empty_axes) { /* a copy, of any dtype */
        size_t n = (size_t)ocl_numel(x) * rt_dtype_size(x->dt);
        if (n == 0)
            return RT_OK;
        return OCL_CALL(d->ctx, clEnqueueCopyBuffer(d->queue, x->mem, y->mem, x->off, y->off, n, 0,
                                                    NULL, NULL));
    }
    DtInfo di = dt_info(x->dt);
    int fp64 = x->dt != DT_F32;
    if (!di.cl || y->dt != x->dt)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %d to %d", op, (int)x->dt,
                       (int)y->dt);
    if (fp64 && !d->info.fp64)
        return rt_fail(d->ctx, RT_EUNSUPPORTED,
                       "%s on OpenCL: dtype %d is reduced in double, which the device lacks", op,
                       (int)x->dt);
    if ((rc = check_tensor(d, op, x)) != RT_OK || (rc = check_tensor(d, op, y)) != RT_OK)
        return rc;
    int red[RT_MAXRANK];
    for (int i = 0; i < x->rank; i++)
        red[i] = na == 0;
    for (int64_t i = 0; i < na; i++) {
        int64_t v = av[i] < 0 ? av[i] + x->rank : av[i];
        if (v < 0 || v >= x->rank)
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: axis %lld of rank %d", op,
                           (long long)av[i], x->rank);
        red[v] = 1;
    }
    Groups g;
    if (groups_init(&g, x, red) < 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: too many dim groups", op);
    int64_t nout = ocl_numel(y), count = nout ? ocl_numel(x) / nout : 0;
    if (nout == 0)
        return RT_OK;

    /* Products in double (every dtype but float32) keep the CPU's row-major order: one output
     * per work-item. Otherwise long reductions whose elements are contiguous, or too few
     * outputs to fill the device, take a work-group each. */
    int group = count >= 256 && (g.last_reduced || nout <= 1024) && !(fp64 && comb == C_PROD);
    /* float32 gets a program per op; the other dtypes, rarer, one program each (the op's codes
     * as arguments), which keeps the builds few */
    char opt[256];
    int len = snprintf(opt, sizeof opt, "-DA_REDUCE -DT=%s -DA=%s -DCVT=%s%s", di.cl,
                       fp64 ? "double" : "float", di.sat,
                       x->dt == DT_F32 || x->dt == DT_F64 ? "" : "_rtz");
    if (fp64)
        len += snprintf(opt + len, sizeof opt - (size_t)len, " -DUSE_FP64");
    else
        len +=
            snprintf(opt + len, sizeof opt - (size_t)len, " -DCOMB=%d -DPRE=%d -DPOST=%d%s", comb,
                     pre, post, d->info.exact_div ? " -cl-fp32-correctly-rounded-divide-sqrt" : "");
    if (x->dt == DT_BOOL)
        snprintf(opt + len, sizeof opt - (size_t)len, " -DOUT_BOOL");
    cl_kernel k;
    if ((rc = ocl_kernel(d, "reduce", opt, group ? "reduce_group" : "reduce_item", &k)) != RT_OK)
        return rc;
    size_t acc = fp64 ? sizeof(cl_double) : sizeof(cl_float);
    size_t wg = group ? group_size(d, k, acc) : 1;
    cl_long xoff = (cl_long)(x->off / rt_dtype_size(x->dt));
    cl_long yoff = (cl_long)(y->off / rt_dtype_size(y->dt));
    cl_int cn = (cl_int)nout, cc = (cl_int)count, flat = g.nr <= 1, ops[3] = {comb, pre, post};
    cl_int4 kn, ks, rn, rs;
    memcpy(kn.s, g.kn, sizeof g.kn), memcpy(ks.s, g.ks, sizeof g.ks);
    memcpy(rn.s, g.rn, sizeof g.rn), memcpy(rs.s, g.rs, sizeof g.rs);
    OclArg arg[] = {
        OCL_ARG(x->mem), OCL_ARG(xoff),   OCL_ARG(y->mem), OCL_ARG(yoff),   OCL_ARG(cn),
        OCL_ARG(cc),     OCL_ARG(kn),     OCL_ARG(ks),     OCL_ARG(rn),     OCL_ARG(rs),
        OCL_ARG(flat),   OCL_ARG(ops[0]), OCL_ARG(ops[1]), OCL_ARG(ops[2]), {wg * acc, NULL},
    };
    cl_uint narg = group ? 15 : 14;
    for (cl_uint i = 0; i < narg; i++)
        if ((rc = OCL_CALL(d->ctx, clSetKernelArg(k, i, arg[i].size, arg[i].value))) != RT_OK)
            return rc;
    if (group) {
        size_t global = (size_t)nout * wg;
        return OCL_CALL(d->ctx,
                        clEnqueueNDRangeKernel(d->queue, k, 1, NULL, &global, &wg, 0, NULL, NULL));
    }
    size_t global = (size_t)nout;
    return OCL_CALL(d->ctx,
                    clEnqueueNDRangeKernel(d->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL));
}

#define DEF_REDUCE(stem, name, comb, pre, post)                                                    \
    int ocl_op_##stem(OclDev *d, const Attr *a, OclTensor *const *in, int nin,                     \
                      OclTensor *const *out, int nout)                                             \
    {                                                                                              \
        (void)nout;                                                                                \
        return reduce_run(d, a, in, nin, out[0], comb, pre, post, name);                           \
    }
DEF_REDUCE(reducel1, "ReduceL1", C_SUM, P_ABS, Q_NONE)
DEF_REDUCE(reducel2, "ReduceL2", C_SUM, P_SQ, Q_SQRT)
DEF_REDUCE(reducelogsum, "ReduceLogSum", C_SUM, P_NONE, Q_LOG)
DEF_REDUCE(reducelogsumexp, "ReduceLogSumExp", C_SUM, P_EXP, Q_LSE)
DEF_REDUCE(reducemax, "ReduceMax", C_MAX, P_NONE, Q_NONE)
DEF_REDUCE(reducemean, "ReduceMean", C_SUM, P_NONE, Q_MEAN)
DEF_REDUCE(reducemin, "ReduceMin", C_MIN, P_NONE, Q_NONE)
DEF_REDUCE(reduceprod, "ReduceProd", C_PROD, P_NONE, Q_NONE)
DEF_REDUCE(reducesum, "ReduceSum", C_SUM, P_NONE, Q_NONE)
DEF_REDUCE(reducesumsquare, "ReduceSumSquare", C_SUM, P_SQ, Q_NONE)
#undef DEF_REDUCE

/* ---- ArgMax, ArgMin, CumSum: [outer, len, inner] around one axis --------------------------- */

/* outer, len and inner of x around axis, as along_init (cpu/reduce.c); a rank-0 x is one
 * element. */
static int
along(OclDev *d, const char *op, const OclTensor *x, int64_t axis, cl_int v[3])
{
    int r = x->rank;
    int64_t ax = axis < 0 ? axis + r : axis, n[3] = {1, 1, 1};
    if (r > 0 && (ax < 0 || ax >= r))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: axis %lld of rank %d", op, (long long)axis, r);
    for (int i = 0; i < r; i++)
        n[i < ax ? 0 : i == ax ? 1 : 2] *= x->dim[i];
    for (int i = 0; i < 3; i++)
        v[i] = (cl_int)n[i];
    return RT_OK;
}

/* Runs kernel name of the program built with opt over one work-item per column (outer *
 * inner), with arguments x, its offset, y, its offset, outer, len, inner, then extra[0 ..
 * nextra). */
static int
run_columns(OclDev *d, const char *opt, const char *name, const OclTensor *x, const OclTensor *y,
            const cl_int v[3], const cl_int *extra, int nextra)
{
    size_t cols = (size_t)v[0] * (size_t)v[2];
    if (cols == 0)
        return RT_OK;
    cl_kernel k;
    int rc = ocl_kernel(d, "reduce", opt, name, &k);
    if (rc != RT_OK)
        return rc;
    cl_long xoff = (cl_long)(x->off / rt_dtype_size(x->dt));
    cl_long yoff = (cl_long)(y->off / rt_dtype_size(y->dt));
    OclArg arg[9] = {OCL_ARG(x->mem), OCL_ARG(xoff), OCL_ARG(y->mem), OCL_ARG(yoff),
                     OCL_ARG(v[0]),   OCL_ARG(v[1]), OCL_ARG(v[2])};
    for (int i = 0; i < nextra; i++)
        arg[7 + i] = OCL_ARG(extra[i]);
    for (cl_uint i = 0; i < (cl_uint)(7 + nextra); i++)
        if ((rc = OCL_CALL(d->ctx, clSetKernelArg(k, i, arg[i].size, arg[i].value))) != RT_OK)
            return rc;
    return OCL_CALL(d->ctx,
                    clEnqueueNDRangeKernel(d->queue, k, 1, NULL, &cols, NULL, 0, NULL, NULL));
}

static int
arg_run(OclDev *d, const Attr *a, const OclTensor *x, const OclTensor *y, int max, const char *op)
{
    DtInfo di = dt_info(x->dt);
    int wide = !di.small && x->dt != DT_F32; /* compared as the CPU's doubles */
    cl_int v[3];
    int rc;
    if (!di.cl)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %d", op, (int)x->dt);
    if (y->dt != DT_I64)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: output dtype %d", op, (int)y->dt);
    if (wide && !d->info.fp64)
        return rt_fail(d->ctx, RT_EUNSUPPORTED,
                       "%s on OpenCL: dtype %d is compared in double, which the device lacks", op,
                       (int)x->dt);
    if ((rc = check_tensor(d, op, x)) != RT_OK || (rc = check_tensor(d, op, y)) != RT_OK ||
        (rc = along(d, op, x, a->axis.axis, v)) != RT_OK)
        return rc;
    if ((int64_t)v[0] * v[2] == 0)
        return RT_OK;
    if (v[1] == 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: empty axis", op);
    char opt[160];
    snprintf(opt, sizeof opt, "-DARG -DT=%s -DA=%s%s", di.cl, wide ? "double" : di.cl,
             wide ? " -DUSE_FP64" : "");
    cl_int extra[2] = {max, a->axis.select_last_index != 0};
    return run_columns(d, opt, "arg_reduce", x, y, v, extra, 2);
}

int
ocl_op_argmax(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    (void)nin, (void)nout;
    return arg_run(d, a, in[0], out[0], 1, "ArgMax");
}

int
ocl_op_argmin(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    (void)nin, (void)nout;
    return arg_run(d, a, in[0], out[0], 0, "ArgMin");
}

int
ocl_op_cumsum(OclDev *d, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    const OclTensor *x = in[0], *y = out[0];
    int64_t axis, n = 0;
    cl_int v[3];
    int rc;
    (void)nout;
    if (nin < 2 || !in[1] || ocl_numel(in[1]) != 1 || (in[1]->dt != DT_I64 && in[1]->dt != DT_I32))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "CumSum: axis must be one int32 or int64");
    if ((rc = read_ints(d, "CumSum", in[1], &axis, 1, &n)) != RT_OK)
        return rc;
    DtInfo di = dt_info(x->dt);
    int wide = !di.small && x->dt != DT_F32; /* summed in double, as on the CPU */
    if (!di.cl || x->dt == DT_BOOL || y->dt != x->dt)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "CumSum on OpenCL: dtype %d", (int)x->dt);
    if (wide && !d->info.fp64)
        return rt_fail(d->ctx, RT_EUNSUPPORTED,
                       "CumSum on OpenCL: dtype %d is summed in double, which the device lacks",
                       (int)x->dt);
    if ((rc = check_tensor(d, "CumSum", x)) != RT_OK ||
        (rc = check_tensor(d, "CumSum", y)) != RT_OK ||
        (rc = along(d, "CumSum", x, axis, v)) != RT_OK)
        return rc;
    char opt[200];
    snprintf(opt, sizeof opt, "-DCUMSUM -DT=%s -DA=%s -DCVT=%s%s%s", di.cl,
             wide       ? "double"
             : di.small ? "long"
                        : "float",
             di.sat, wide && x->dt != DT_F64 ? "_rtz" : "", wide ? " -DUSE_FP64" : "");
    cl_int extra[2] = {a->axis.exclusive != 0, a->axis.reverse != 0};
    return run_columns(d, opt, "cumsum", x, y, v, extra, 2);
}
