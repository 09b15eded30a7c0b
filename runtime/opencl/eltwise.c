/*
 * eltwise.c: the elementwise ops on an OpenCL device, the host side of kernels/eltwise.cl:
 * unary maps, binary ops with multidirectional (numpy) broadcasting, comparisons and logic, the
 * variadic Sum, Mean, Max and Min, Clip and Where.
 *
 * Every op is one line of elt_def[]: the name of its element function in eltwise.cl (chosen by
 * a -DELT_<name> build option, so a program holds one op for one set of dtypes and is built once
 * per device), its form and whether it has an integer form. Like the CPU kernel
 * (runtime/cpu/eltwise.c), every op takes any real float, integer or bool dtype for each input
 * and the output, and computes in int64 (uint64) when no dtype is a float, else in floats
 * (pick_mode), converting on load and store as the CPU does. An op call picks that mode, then
 * lays the output out as the CPU kernel does: the output's size-1 dims dropped, adjacent dims
 * merged where every operand walks them alike, each operand with element strides (0 where
 * broadcast). When every operand is dense or a single element, the flat kernel runs 4 elements
 * per work-item; otherwise the broadcast kernel gets the merged dims and strides. Offsets
 * (OclTensor.off) go to the kernels as element offsets.
 *
 * Variadic ops fold left to right as on the CPU: out = in0 op in1, then out = out op ink, each
 * work-item reading and writing the same element of out. Mean's last step also divides.
 * Integer Div and Mod by zero are errors on the CPU: the host looks at the divisor first.
 */
#include "bcast.h"
#include "ocl_impl.h"
#include "ops.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dtypes -------------------------------------------------------------------------------- */

static int
is_float(DType t)
{
    return t == DT_F32 || t == DT_F64 || t == DT_F16 || t == DT_BF16;
}

/* dtypes with arithmetic on the CPU, and so here: real floats, integers and bool */
static int
numeric(DType t)
{
    return t != DT_STRING && t != DT_C64 && t != DT_C128 && rt_dtype_size(t) > 0;
}

/* The OpenCL C type that holds a dtype's elements (float16, bfloat16 as bits), or NULL. */
static const char *
cl_type(DType t)
{
    switch (t) {
    case DT_F32: return "float";
    case DT_F64: return "double";
    case DT_F16:
    case DT_BF16: return "ushort";
    case DT_BOOL:
    case DT_U8: return "uchar";
    case DT_I8: return "char";
    case DT_U16: return "ushort";
    case DT_I16: return "short";
    case DT_U32: return "uint";
    case DT_I32: return "int";
    case DT_U64: return "ulong";
    case DT_I64: return "long";
    default: return NULL;
    }
}

/* eltwise.cl's kind of a dtype: how its elements are read (LD_<kind>) and written (ST_<kind>) */
static const char *
kind(DType t)
{
    switch (t) {
    case DT_F32:
    case DT_F64: return "flt";
    case DT_F16: return "f16";
    case DT_BF16: return "bf16";
    case DT_U64: return "u64";
    case DT_BOOL: return "bool";
    default: return "int";
    }
}

/* numpy's name of a dtype, for messages */
static const char *
dt_name(DType t)
{
    static const char *const name[DT_COUNT] = {
        [DT_UNDEF] = "undefined", [DT_F32] = "float32",   [DT_U8] = "uint8",
        [DT_I8] = "int8",         [DT_U16] = "uint16",    [DT_I16] = "int16",
        [DT_I32] = "int32",       [DT_I64] = "int64",     [DT_STRING] = "string",
        [DT_BOOL] = "bool",       [DT_F16] = "float16",   [DT_F64] = "float64",
        [DT_U32] = "uint32",      [DT_U64] = "uint64",    [DT_C64] = "complex64",
        [DT_C128] = "complex128", [DT_BF16] = "bfloat16",
    };
    return (unsigned)t < DT_COUNT && name[t] ? name[t] : "unknown";
}

/* ---- the ops ------------------------------------------------------------------------------- */

typedef enum Form {
    UNARY,    /* y = F(x) */
    BINARY,   /* y = F(a, b), broadcast */
    VARIADIC, /* y = F(...F(F(in0, in1), in2)..., ink) */
    CLIP,     /* y = F(x) between optional scalar bounds */
    WHERE,    /* y = c ? x : y, broadcast, any dtype */
} Form;

enum {
    I = 1,        /* the op has an integer form on the CPU (else integers go through double) */
    INT_ONLY = 2, /* integers only (BitShift) */
};

typedef struct EltDef {
    const char *onnx; /* the op's name, for messages */
    const char *fn;   /* eltwise.cl's ELT_<fn> */
    Form form;
    int flags;
} EltDef;

/* Every op takes the dtypes the CPU kernel takes: any real float, integer or bool, for inputs
 * and output alike (the compiler gives them the ONNX dtypes; the CPU converts any mix). */
static const EltDef elt_def[OP_COUNT] = {
    [OP_ABS] = {"Abs", "ABS", UNARY, I},
    [OP_ACOS] = {"Acos", "ACOS", UNARY, 0},
    [OP_ACOSH] = {"Acosh", "ACOSH", UNARY, 0},
    [OP_ASIN] = {"Asin", "ASIN", UNARY, 0},
    [OP_ASINH] = {"Asinh", "ASINH", UNARY, 0},
    [OP_ATAN] = {"Atan", "ATAN", UNARY, 0},
    [OP_ATANH] = {"Atanh", "ATANH", UNARY, 0},
    [OP_CEIL] = {"Ceil", "CEIL", UNARY, I},
    [OP_CELU] = {"Celu", "CELU", UNARY, 0},
    [OP_CLIP] = {"Clip", "CLIP", CLIP, I},
    [OP_COS] = {"Cos", "COS", UNARY, 0},
    [OP_COSH] = {"Cosh", "COSH", UNARY, 0},
    [OP_ELU] = {"Elu", "ELU", UNARY, 0},
    [OP_ERF] = {"Erf", "ERF", UNARY, 0},
    [OP_EXP] = {"Exp", "EXP", UNARY, 0},
    [OP_FLOOR] = {"Floor", "FLOOR", UNARY, I},
    [OP_GELU] = {"Gelu", "GELU", UNARY, 0},
    [OP_HARDSIGMOID] = {"HardSigmoid", "HARDSIGMOID", UNARY, 0},
    [OP_HARDSWISH] = {"HardSwish", "HARDSWISH", UNARY, 0},
    [OP_ISINF] = {"IsInf", "ISINF", UNARY, 0},
    [OP_ISNAN] = {"IsNaN", "ISNAN", UNARY, 0},
    [OP_LEAKYRELU] = {"LeakyRelu", "LEAKYRELU", UNARY, 0},
    [OP_LOG] = {"Log", "LOG", UNARY, 0},
    [OP_MISH] = {"Mish", "MISH", UNARY, 0},
    [OP_NEG] = {"Neg", "NEG", UNARY, I},
    [OP_NOT] = {"Not", "NOT", UNARY, I},
    [OP_RECIPROCAL] = {"Reciprocal", "RECIPROCAL", UNARY, 0},
    [OP_RELU] = {"Relu", "RELU", UNARY, I},
    [OP_ROUND] = {"Round", "ROUND", UNARY, I},
    [OP_SELU] = {"Selu", "SELU", UNARY, 0},
    [OP_SIGMOID] = {"Sigmoid", "SIGMOID", UNARY, 0},
    [OP_SIGN] = {"Sign", "SIGN", UNARY, I},
    [OP_SIN] = {"Sin", "SIN", UNARY, 0},
    [OP_SINH] = {"Sinh", "SINH", UNARY, 0},
    [OP_SOFTPLUS] = {"Softplus", "SOFTPLUS", UNARY, 0},
    [OP_SOFTSIGN] = {"Softsign", "SOFTSIGN", UNARY, 0},
    [OP_SQRT] = {"Sqrt", "SQRT", UNARY, 0},
    [OP_TAN] = {"Tan", "TAN", UNARY, 0},
    [OP_TANH] = {"Tanh", "TANH", UNARY, 0},
    [OP_THRESHOLDEDRELU] = {"ThresholdedRelu", "THRESHOLDEDRELU", UNARY, 0},
    [OP_ADD] = {"Add", "ADD", BINARY, I},
    [OP_AND] = {"And", "AND", BINARY, I},
    [OP_BITSHIFT] = {"BitShift", "BITSHIFT", BINARY, I | INT_ONLY},
    [OP_DIV] = {"Div", "DIV", BINARY, I},
    [OP_EQUAL] = {"Equal", "EQUAL", BINARY, I},
    [OP_GREATER] = {"Greater", "GREATER", BINARY, I},
    [OP_GREATEROREQUAL] = {"GreaterOrEqual", "GREATEROREQUAL", BINARY, I},
    [OP_LESS] = {"Less", "LESS", BINARY, I},
    [OP_LESSOREQUAL] = {"LessOrEqual", "LESSOREQUAL", BINARY, I},
    [OP_MAX] = {"Max", "MAX", VARIADIC, I},
    [OP_MEAN] = {"Mean", "ADD", VARIADIC, I},
    [OP_MIN] = {"Min", "MIN", VARIADIC, I},
    [OP_MOD] = {"Mod", "MOD", BINARY, I},
    [OP_MUL] = {"Mul", "MUL", BINARY, I},
    [OP_OR] = {"Or", "OR", BINARY, I},
    [OP_POW] = {"Pow", "POW", BINARY, I},
    [OP_PRELU] = {"PRelu", "PRELU", BINARY, I},
    [OP_SUB] = {"Sub", "SUB", BINARY, I},
    [OP_SUM] = {"Sum", "ADD", VARIADIC, I},
    [OP_WHERE] = {"Where", "WHERE", WHERE, 0},
    [OP_XOR] = {"Xor", "XOR", BINARY, I},
};

/* How an op computes: eltwise.cl's CT and the flags that go with it. */
typedef struct Mode {
    const char *ct;       /* long, ulong, float or double */
    int is_int, uns, dbl; /* CT_INT, CT_UNS, CT_DBL */
    int gen;              /* GEN: a dtype other than float32 (bool outputs aside) */
} Mode;

/* ---- one kernel launch --------------------------------------------------------------------- */

enum { MAXIN = 3 };

/* y = F(x[0], x[1], x[2]): what one launch computes. */
typedef struct Launch {
    const char *name; /* the op, for messages */
    const char *fn;   /* ELT_<fn> */
    const Mode *mode;
    int bits;          /* Where: x[1], x[2] and y copied as bits */
    const char *extra; /* more build options, or NULL */
    int nin;           /* operands 1 .. MAXIN */
    const OclTensor *x[MAXIN];
    const OclTensor *y;
    float p[3]; /* the kernel's p0, p1, p2 */
} Launch;

/* The output laid out for a walk: rank dims, innermost first, each operand's element strides
 * (0 where broadcast); the output's size-1 dims dropped, adjacent dims merged where every
 * operand's outer stride is its inner stride times the inner size. */
typedef struct Walk {
    int rank; /* 1 .. RT_MAXRANK */
    int64_t dim[RT_MAXRANK];
    int64_t st[MAXIN][RT_MAXRANK];
} Walk;

/* Fills w for output y and operands x[0 .. n); -1 if an operand does not broadcast to y. */
static int
walk_init(Walk *w, const OclTensor *y, const OclTensor *const *x, int n)
{
    int64_t st[MAXIN][RT_MAXRANK];
    int r = y->rank;
    for (int k = 0; k < n; k++)
        if (rt_bcast_strides(r, y->dim, x[k]->rank, x[k]->dim, st[k]) < 0)
            return -1;
    /* from the innermost dim out: skip size 1, merge into the dim before when all agree */
    w->rank = 0;
    for (int d = r - 1; d >= 0; d--) {
        int p = w->rank - 1, merge = p >= 0;
        if (y->dim[d] == 1)
            continue;
        for (int k = 0; k < n && merge; k++)
            merge = st[k][d] == w->st[k][p] * w->dim[p];
        if (!merge) {
            p = w->rank++;
            w->dim[p] = 1;
            for (int k = 0; k < n; k++)
                w->st[k][p] = st[k][d];
        }
        w->dim[p] *= y->dim[d];
    }
    if (w->rank == 0) {
        w->rank = 1;
        w->dim[0] = 1;
        for (int k = 0; k < n; k++)
            w->st[k][0] = 0;
    }
    return 0;
}

static size_t
round_up(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
}

/* The unsigned type of an integer type's width (an unsigned one itself). */
static const char *
unsigned_of(const char *t)
{
    static const char *const pair[][2] = {
        {"char", "uchar"}, {"short", "ushort"}, {"int", "uint"}, {"long", "ulong"}};
    for (size_t i = 0; i < sizeof pair / sizeof pair[0]; i++)
        if (strcmp(t, pair[i][0]) == 0)
            return pair[i][1];
    return t;
}

/* The build options of l: the op, the operands' and the output's types and kinds (unused
 * operands repeat operand 0, so that the program stays the same), the compute mode, correctly
 * rounded division where the device has it. */
static void
build_options(const Launch *l, int wide, int exact, char *opt, size_t cap)
{
    static const char abc[] = "ABC";
    const Mode *m = l->mode;
    int fp64 = !l->bits && m->dbl, len;
    len =
        snprintf(opt, cap, "-DELT_%s -DIDX=%s -DCT=%s -DCT_INT=%d -DCT_UNS=%d -DCT_DBL=%d -DGEN=%d",
                 l->fn, wide ? "long" : "int", m->ct, m->is_int, m->uns, m->dbl, m->gen);
    for (int k = 0; k <= MAXIN; k++) {
        const OclTensor *t = k == MAXIN ? l->y : l->x[k < l->nin ? k : 0];
        const char *ty = !l->bits ? cl_type(t->dt)
                         : k == 0 ? "uchar"
                                  : ocl_uint_type(rt_dtype_size(t->dt));
        fp64 |= !l->bits && t->dt == DT_F64;
        if (k < MAXIN)
            len += snprintf(opt + len, cap - (size_t)len, " -DT%c=%s -DK%c=%s", abc[k], ty, abc[k],
                            kind(t->dt));
        else
            len += snprintf(opt + len, cap - (size_t)len, " -DTO=%s -DKO=%s -DUO=%s", ty,
                            kind(t->dt), unsigned_of(ty));
    }
    len += snprintf(opt + len, cap - (size_t)len, " -DFP64=%d", fp64);
    if (l->extra)
        len += snprintf(opt + len, cap - (size_t)len, " %s", l->extra);
    if (exact)
        snprintf(opt + len, cap - (size_t)len, " -cl-fp32-correctly-rounded-divide-sqrt");
}

/* Enqueues l on d's queue. */
static int
launch(OclDev *d, const Launch *l)
{
    const OclTensor *y = l->y;
    int64_t n = ocl_numel(y), off[MAXIN + 1], end = 0;
    if (n == 0)
        return RT_OK;
    for (int k = 0; k <= l->nin; k++) {
        const OclTensor *t = k < l->nin ? l->x[k] : y;
        size_t esz = rt_dtype_size(t->dt);
        if (esz == 0 || t->off % esz != 0)
            return rt_fail(d->ctx, RT_EINPUT, "%s: offset %zu is not a multiple of %s's size",
                           l->name, t->off, dt_name(t->dt));
        off[k] = (int64_t)(t->off / esz);
        end = off[k] + ocl_numel(t) > end ? off[k] + ocl_numel(t) : end;
    }
    Walk w;
    if (walk_init(&w, y, l->x, l->nin) < 0)
        return rt_fail(d->ctx, RT_EINPUT, "%s: an input does not broadcast to the output", l->name);
    int flat = 1;
    for (int k = 0; k < l->nin; k++)
        flat &= ocl_numel(l->x[k]) == n || ocl_numel(l->x[k]) == 1;
    size_t wg = ocl_group_size(d);
    int wide = end > INT_MAX - 4 * (int64_t)wg; /* the flat kernel's padding included */

    char opt[768];
    build_options(l, wide, d->info.exact_div, opt, sizeof opt);
    OclArgs g = {d, NULL, 0, wide, RT_OK};
    g.rc = ocl_kernel(d, "eltwise", opt, flat ? "elt_flat" : "elt_bcast", &g.k);
    if (g.rc != RT_OK)
        return g.rc;

    /* operands past nin repeat operand 0, which the op does not read */
    const OclTensor *x[MAXIN];
    for (int k = 0; k < MAXIN; k++)
        x[k] = l->x[k < l->nin ? k : 0];
    if (flat) {
        ocl_arg_idx(&g, n);
        ocl_arg(&g, sizeof y->mem, &y->mem);
        ocl_arg_idx(&g, off[l->nin]);
        for (int k = 0; k < MAXIN; k++) {
            ocl_arg(&g, sizeof x[k]->mem, &x[k]->mem);
            ocl_arg_idx(&g, off[k < l->nin ? k : 0]);
            ocl_arg_int(&g, ocl_numel(x[k]) == n && n > 1);
        }
        for (int k = 0; k < 3; k++)
            ocl_arg(&g, sizeof(cl_float), &l->p[k]);
        if (g.rc != RT_OK)
            return g.rc;
        size_t global = round_up((size_t)(n + 3) / 4, wg);
        return OCL_CALL(
            d->ctx, clEnqueueNDRangeKernel(d->queue, g.k, 1, NULL, &global, &wg, 0, NULL, NULL));
    }
    /* the broadcast kernel: rows of the innermost dim, in l0 x l1 work-groups with l0 the first
     * of 1, 4, 16, 64, 256 work-items to cover a row (or wg); at most 65535 groups of rows per
     * launch (the limit of some GPUs' second dimension) */
    int64_t n0 = w.dim[0], n1 = n / n0;
    size_t l0 = 1;
    while (l0 < 256 && l0 < (size_t)(n0 + 3) / 4)
        l0 *= 4;
    l0 = l0 < wg ? l0 : wg;
    size_t l1 = wg / l0, local[2] = {l0, l1};
    int64_t rows = 65535 * (int64_t)l1;
    for (int64_t j0 = 0; j0 < n1; j0 += rows) {
        g.i = 0;
        ocl_arg_idx(&g, n0);
        ocl_arg_idx(&g, n1);
        ocl_arg_idx(&g, j0);
        ocl_arg_int(&g, w.rank);
        ocl_arg_idx8(&g, w.dim, w.rank, 0);
        ocl_arg(&g, sizeof y->mem, &y->mem);
        ocl_arg_idx(&g, off[l->nin]);
        for (int k = 0; k < MAXIN; k++) {
            ocl_arg(&g, sizeof x[k]->mem, &x[k]->mem);
            ocl_arg_idx(&g, off[k < l->nin ? k : 0]);
            ocl_arg_idx8(&g, w.st[k < l->nin ? k : 0], w.rank, 0);
        }
        for (int k = 0; k < 3; k++)
            ocl_arg(&g, sizeof(cl_float), &l->p[k]);
        if (g.rc != RT_OK)
            return g.rc;
        int64_t m = n1 - j0 < rows ? n1 - j0 : rows;
        size_t global[2] = {round_up((size_t)(n0 + 3) / 4, l0), round_up((size_t)m, l1)};
        int rc = OCL_CALL(
            d->ctx, clEnqueueNDRangeKernel(d->queue, g.k, 2, NULL, global, local, 0, NULL, NULL));
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

/* ---- the ops ------------------------------------------------------------------------------- */

/* Picks how op computes from the dtypes that decide it on the CPU, its inputs' in[0 .. n) and
 * the output's: exactly in long (ulong where an input is uint64) when none is a float and the
 * op has an integer form; otherwise in floats: float where every dtype is float32, float16 or
 * bfloat16 (float holds those exactly), else double, as the CPU computes. Without cl_khr_fp64,
 * integers mixed with floats into a float output compute in float, within float rounding of the
 * CPU; the rest is refused (a bool or integer result could differ). */
static int
pick_mode(OclDev *d, const EltDef *e, OclTensor *const *in, int n, const OclTensor *y, Mode *m)
{
    DType yt = y->dt, ft = DT_UNDEF; /* ft: a float dtype among them */
    int ints = 0, f64 = 0;
    *m = (Mode){"float", 0, 0, 0, 0};
    for (int k = 0; k <= n; k++) {
        DType t = k < n ? in[k]->dt : yt;
        int out_bool = k == n && t == DT_BOOL;
        ft = is_float(t) ? t : ft;
        f64 |= t == DT_F64;
        ints |= !is_float(t) && !out_bool;
        m->gen |= t != DT_F32 && !out_bool;
        m->uns |= k < n && t == DT_U64;
    }
    if (ft == DT_UNDEF && (e->flags & I)) {
        m->is_int = 1;
        m->ct = m->uns ? "ulong" : "long";
        return RT_OK;
    }
    m->uns = 0;
    if (e->flags & INT_ONLY)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %s is not supported", e->onnx,
                       dt_name(ft));
    if (!f64 && !ints)
        return RT_OK;
    if (d->info.fp64) {
        m->ct = "double";
        m->dbl = 1;
        return RT_OK;
    }
    if (!f64 && is_float(yt))
        return RT_OK;
    return rt_fail(d->ctx, RT_EUNSUPPORTED,
                   "%s on OpenCL: %s needs doubles, and the device has no cl_khr_fp64", e->onnx,
                   dt_name(f64 ? DT_F64 : yt));
}

/* Integer Div and Mod fail on the CPU when a divisor is 0; so they do here, before anything
 * runs: the divisor is read on the host (a constant's host copy, else read back, waiting for
 * the queue). */
static int
check_divisor(OclDev *d, const char *name, const OclTensor *b)
{
    size_t esz = rt_dtype_size(b->dt), n = (size_t)ocl_numel(b) * esz;
    const unsigned char *p = b->host;
    unsigned char *copy = NULL;
    int rc = RT_OK;
    if (n == 0)
        return RT_OK;
    if (!p) {
        copy = malloc(n);
        if (!copy)
            return rt_fail(d->ctx, RT_ENOMEM, "%s: no memory for the divisor", name);
        rc = OCL_CALL(
            d->ctx, clEnqueueReadBuffer(d->queue, b->mem, CL_TRUE, b->off, n, copy, 0, NULL, NULL));
        p = copy;
    }
    for (size_t i = 0; i < n && rc == RT_OK; i += esz) {
        size_t j = 0; /* an integer or bool is 0 when all its bytes are */
        while (j < esz && p[i + j] == 0)
            j++;
        if (j == esz)
            rc = rt_fail(d->ctx, RT_EINPUT, "%s: integer division by zero", name);
    }
    free(copy);
    return rc;
}

/* A view of element 0 of t as a scalar (Clip's bounds are scalars; the CPU reads element 0). */
static OclTensor
scalar_of(const OclTensor *t)
{
    OclTensor s = *t;
    s.rank = 0;
    return s;
}

/* Clip: the bounds are scalars, each omitted (absent or empty) or operand b or c, of any dtype,
 * read as the CPU reads them (a float bound of integers truncated; an integer bound of floats
 * converted). The compute mode is x's and y's, as on the CPU. */
static int
clip(OclDev *d, Launch *l, OclTensor *const *in, int nin)
{
    static const char *const which[2] = {"LO_T", "HI_T"};
    OclTensor bound[2];
    char extra[32] = "";
    for (int i = 0; i < 2; i++) {
        const OclTensor *t = i + 1 < nin ? in[i + 1] : NULL;
        if (!t || ocl_numel(t) == 0)
            continue;
        if (!numeric(t->dt) || (t->dt == DT_F64 && !d->info.fp64))
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "Clip on OpenCL: a %s bound is not supported",
                           dt_name(t->dt));
        bound[i] = scalar_of(t);
        l->x[i + 1] = &bound[i];
        l->nin = 3;
        size_t len = strlen(extra);
        snprintf(extra + len, sizeof extra - len, "%s-D%s=1", len ? " " : "", which[i]);
    }
    if (l->nin == 3) { /* an unused bound slot repeats x, which the kernel does not read */
        for (int i = 1; i < 3; i++)
            if (!l->x[i])
                l->x[i] = l->x[0];
        l->extra = extra;
    }
    return launch(d, l);
}

/* Sum, Mean, Max, Min: a copy for one input, else a left fold into y. */
static int
variadic(OclDev *d, OpKind op, Launch *l, OclTensor *const *in, int nin)
{
    const OclTensor *y = l->y;
    if (nin == 1) {
        size_t n = (size_t)ocl_numel(y) * rt_dtype_size(y->dt);
        if (in[0]->dt != y->dt || ocl_numel(in[0]) != ocl_numel(y))
            return rt_fail(d->ctx, RT_EINPUT, "%s: the output differs from the input", l->name);
        if (n == 0)
            return RT_OK;
        return OCL_CALL(d->ctx, clEnqueueCopyBuffer(d->queue, in[0]->mem, y->mem, in[0]->off,
                                                    y->off, n, 0, NULL, NULL));
    }
    int rc = RT_OK;
    l->nin = 2;
    for (int k = 1; k < nin && rc == RT_OK; k++) {
        l->x[0] = k == 1 ? in[0] : y;
        l->x[1] = in[k];
        if (op == OP_MEAN && k == nin - 1) {
            l->fn = "MEAN_LAST";
            l->p[0] = (float)nin;
        }
        rc = launch(d, l);
    }
    return rc;
}

/* Every op of elt_def[]: dtypes checked and the compute mode picked, then one launch (or a few
 * for Sum, Mean, Max, Min). */
static int
eltwise(OclDev *d, OpKind op, const Attr *a, OclTensor *const *in, int nin, OclTensor *const *out,
        int nout)
{
    const EltDef *e = &elt_def[op];
    const OclTensor *y = out[0];
    static const Attr none;
    static const Mode bits = {"float", 0, 0, 0, 0};
    (void)nout;
    a = a ? a : &none;
    if (nin < 1 || !in[0])
        return rt_fail(d->ctx, RT_EINPUT, "%s: no input", e->onnx);
    Launch l = {.name = e->onnx, .fn = e->fn, .nin = 1, .y = y};
    if (e->form == WHERE) {
        if (nin != 3 || !in[1] || !in[2])
            return rt_fail(d->ctx, RT_EINPUT, "Where: %d inputs", nin);
        if (in[0]->dt != DT_BOOL || in[1]->dt != y->dt || in[2]->dt != y->dt || !ocl_uint_type(rt_dtype_size(y->dt)))
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "Where on OpenCL: dtypes %s, %s, %s to %s",
                           dt_name(in[0]->dt), dt_name(in[1]->dt), dt_name(in[2]->dt),
                           dt_name(y->dt));
        l = (Launch){.name = e->onnx,
                     .fn = e->fn,
                     .mode = &bits,
                     .bits = 1,
                     .nin = 3,
                     .x = {in[0], in[1], in[2]},
                     .y = y};
        return launch(d, &l);
    }
    /* the dtypes that decide the compute mode: the operands' (Clip: x's), then the output's */
    int inputs = e->form == UNARY || e->form == CLIP ? 1 : e->form == BINARY ? 2 : nin;
    if (e->form == BINARY && nin != 2)
        return rt_fail(d->ctx, RT_EINPUT, "%s: %d inputs", e->onnx, nin);
    for (int k = 0; k <= inputs; k++) {
        const OclTensor *x = k < inputs ? in[k] : y;
        if (!x || !numeric(x->dt) || !cl_type(x->dt))
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %s is not supported",
                           e->onnx, x ? dt_name(x->dt) : "(omitted input)");
    }
    Mode m;
    int rc = pick_mode(d, e, in, inputs, y, &m);
    if (rc != RT_OK)
        return rc;
    l.mode = &m;
    l.x[0] = in[0];
    switch (op) {
    case OP_CELU:
    case OP_ELU:
    case OP_HARDSIGMOID:
    case OP_LEAKYRELU:
    case OP_SELU:
    case OP_THRESHOLDEDRELU:
        l.p[0] = a->act.alpha;
        l.p[1] = a->act.beta;
        l.p[2] = a->act.gamma;
        break;
    case OP_GELU: l.fn = a->act.approximate ? "GELU_TANH" : "GELU"; break;
    case OP_ISINF:
        l.p[0] = (float)(a->mode.mode & 1);
        l.p[1] = (float)(a->mode.mode & 2);
        break;
    case OP_BITSHIFT:
    case OP_MOD: l.p[0] = (float)a->mode.mode; break;
    default: break;
    }
    if (m.is_int && (op == OP_DIV || op == OP_MOD) && ocl_numel(y) > 0) {
        rc = check_divisor(d, e->onnx, in[1]);
        if (rc != RT_OK)
            return rc;
    }
    switch (e->form) {
    case UNARY:
        if (ocl_numel(in[0]) != ocl_numel(y))
            return rt_fail(d->ctx, RT_EINPUT, "%s: %lld elements in, %lld out", e->onnx,
                           (long long)ocl_numel(in[0]), (long long)ocl_numel(y));
        return launch(d, &l);
    case CLIP: return clip(d, &l, in, nin);
    case VARIADIC: return variadic(d, op, &l, in, nin);
    case BINARY:
        l.nin = 2;
        l.x[1] = in[1];
        return launch(d, &l);
    case WHERE: break;
    }
    return RT_OK;
}

/* ocl_op_<stem> for every op of elt_def[] */
#define ELT_OPS(X)                                                                                 \
    X(abs, ABS)                                                                                    \
    X(acos, ACOS)                                                                                  \
    X(acosh, ACOSH)                                                                                \
    X(asin, ASIN) X(asinh, ASINH) X(atan, ATAN) X(atanh, ATANH) X(ceil, CEIL) X(celu, CELU) X(     \
        clip, CLIP) X(cos, COS) X(cosh, COSH) X(elu, ELU) X(erf, ERF) X(exp, EXP) X(floor, FLOOR)  \
        X(gelu, GELU) X(hardsigmoid, HARDSIGMOID) X(hardswish, HARDSWISH) X(isinf, ISINF)          \
            X(isnan, ISNAN) X(leakyrelu, LEAKYRELU) X(log, LOG) X(mish, MISH) X(neg, NEG)          \
                X(not, NOT) X(reciprocal, RECIPROCAL) X(relu, RELU) X(round, ROUND) X(selu, SELU)  \
                    X(sigmoid, SIGMOID) X(sign, SIGN) X(sin, SIN) X(sinh, SINH)                    \
                        X(softplus, SOFTPLUS) X(softsign, SOFTSIGN) X(sqrt, SQRT) X(tan, TAN)      \
                            X(tanh, TANH) X(thresholdedrelu, THRESHOLDEDRELU) X(add, ADD)          \
                                X(and, AND) X(bitshift, BITSHIFT) X(div, DIV) X(equal, EQUAL)      \
                                    X(greater, GREATER) X(greaterorequal, GREATEROREQUAL)          \
                                        X(less, LESS) X(lessorequal, LESSOREQUAL) X(max, MAX)      \
                                            X(mean, MEAN) X(min, MIN) X(mod, MOD) X(mul, MUL)      \
                                                X(or, OR) X(pow, POW) X(prelu, PRELU) X(sub, SUB)  \
                                                    X(sum, SUM) X(where, WHERE) X(xor, XOR)

#define DEF_OP(stem, ID)                                                                           \
    int ocl_op_##stem(OclDev *d, const Attr *a, OclTensor *const *in, int nin,                     \
                      OclTensor *const *out, int nout)                                             \
    {                                                                                              \
        return eltwise(d, OP_##ID, a, in, nin, out, nout);                                         \
    }
ELT_OPS(DEF_OP)
#undef DEF_OP
