/*
 * eltwise.c: the elementwise ops on an OpenCL device, the host side of kernels/eltwise.cl:
 * unary maps, binary ops with multidirectional (numpy) broadcasting, comparisons and logic to
 * bool, the variadic Sum, Mean, Max and Min, Clip and Where.
 *
 * Every op is one line of elt_def[]: the name of its element function in eltwise.cl (chosen by
 * a -DELT_<name> build option, so a program holds one op for one set of dtypes and is built once
 * per device), how many operands it reads and which dtypes it takes. An op call checks dtypes,
 * then lays the output out as in the CPU kernel (runtime/cpu/eltwise.c): the output's size-1
 * dims dropped, adjacent dims merged where every operand walks them alike, each operand with
 * element strides (0 where broadcast). When every operand is dense or a single element, the
 * flat kernel runs 4 elements per work-item; otherwise the broadcast kernel gets the merged
 * dims and strides. Offsets (OclTensor.off) go to the kernels as element offsets.
 *
 * Variadic ops fold left to right as on the CPU: out = in0 op in1, then out = out op ink, each
 * work-item reading and writing the same element of out. Mean's last step also divides.
 * Integer Div, Mod and Pow are left to the CPU: a division by zero is an error there, and a
 * kernel cannot report one without the host waiting for it.
 */
#include "bcast.h"
#include "ocl_impl.h"
#include "ops.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- dtypes -------------------------------------------------------------------------------- */

#define M(t) (1u << (t))
enum {
    D_F32 = M(DT_F32),
    D_BOOL = M(DT_BOOL),
    D_WRAP = M(DT_I32) | M(DT_I64),     /* integers with wrapping arithmetic here */
    D_UNS = M(DT_U8) | M(DT_U16) | M(DT_U32) | M(DT_U64),
    D_INT = D_UNS | M(DT_I8) | M(DT_I16) | D_WRAP,
};

/* The OpenCL C type of a dtype's elements, or NULL. */
static const char *
cl_type(DType t)
{
    switch (t) {
    case DT_F32: return "float";
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

/* An unsigned type of an element's size, for ops that copy elements as bits, or NULL. */
static const char *
bits_type(DType t)
{
    switch (rt_dtype_size(t)) {
    case 1: return "uchar";
    case 2: return "ushort";
    case 4: return "uint";
    case 8: return "ulong";
    default: return NULL;
    }
}

/* numpy's name of a dtype, for messages */
static const char *
dt_name(DType t)
{
    static const char *const name[DT_COUNT] = {
        [DT_UNDEF] = "undefined", [DT_F32] = "float32", [DT_U8] = "uint8", [DT_I8] = "int8",
        [DT_U16] = "uint16", [DT_I16] = "int16", [DT_I32] = "int32", [DT_I64] = "int64",
        [DT_STRING] = "string", [DT_BOOL] = "bool", [DT_F16] = "float16", [DT_F64] = "float64",
        [DT_U32] = "uint32", [DT_U64] = "uint64", [DT_C64] = "complex64",
        [DT_C128] = "complex128", [DT_BF16] = "bfloat16",
    };
    return (unsigned)t < DT_COUNT && name[t] ? name[t] : "unknown";
}

/* ---- the ops ------------------------------------------------------------------------------- */

typedef enum Form {
    UNARY,          /* y = F(x), y has x's dtype */
    PRED,           /* y = F(x), bool */
    BINARY,         /* y = F(a, b), broadcast, y has a's dtype */
    CMP,            /* y = F(a, b), broadcast, bool */
    VARIADIC,       /* y = F(...F(F(in0, in1), in2)..., ink) */
    CLIP,           /* y = F(x) between optional scalar bounds */
    WHERE,          /* y = c ? x : y, broadcast, any dtype */
} Form;

typedef struct EltDef {
    const char *onnx;           /* the op's name, for messages */
    const char *fn;             /* eltwise.cl's ELT_<fn> */
    Form form;
    unsigned dts;               /* input dtypes taken (M(DT_x) bits); WHERE: those of x, y */
} EltDef;

static const EltDef elt_def[OP_COUNT] = {
    [OP_ABS] = {"Abs", "ABS", UNARY, D_F32 | D_WRAP},
    [OP_ACOS] = {"Acos", "ACOS", UNARY, D_F32},
    [OP_ACOSH] = {"Acosh", "ACOSH", UNARY, D_F32},
    [OP_ASIN] = {"Asin", "ASIN", UNARY, D_F32},
    [OP_ASINH] = {"Asinh", "ASINH", UNARY, D_F32},
    [OP_ATAN] = {"Atan", "ATAN", UNARY, D_F32},
    [OP_ATANH] = {"Atanh", "ATANH", UNARY, D_F32},
    [OP_CEIL] = {"Ceil", "CEIL", UNARY, D_F32},
    [OP_CELU] = {"Celu", "CELU", UNARY, D_F32},
    [OP_CLIP] = {"Clip", "CLIP", CLIP, D_F32},
    [OP_COS] = {"Cos", "COS", UNARY, D_F32},
    [OP_COSH] = {"Cosh", "COSH", UNARY, D_F32},
    [OP_ELU] = {"Elu", "ELU", UNARY, D_F32},
    [OP_ERF] = {"Erf", "ERF", UNARY, D_F32},
    [OP_EXP] = {"Exp", "EXP", UNARY, D_F32},
    [OP_FLOOR] = {"Floor", "FLOOR", UNARY, D_F32},
    [OP_GELU] = {"Gelu", "GELU", UNARY, D_F32},
    [OP_HARDSIGMOID] = {"HardSigmoid", "HARDSIGMOID", UNARY, D_F32},
    [OP_HARDSWISH] = {"HardSwish", "HARDSWISH", UNARY, D_F32},
    [OP_ISINF] = {"IsInf", "ISINF", PRED, D_F32},
    [OP_ISNAN] = {"IsNaN", "ISNAN", PRED, D_F32},
    [OP_LEAKYRELU] = {"LeakyRelu", "LEAKYRELU", UNARY, D_F32},
    [OP_LOG] = {"Log", "LOG", UNARY, D_F32},
    [OP_MISH] = {"Mish", "MISH", UNARY, D_F32},
    [OP_NEG] = {"Neg", "NEG", UNARY, D_F32 | D_WRAP},
    [OP_NOT] = {"Not", "NOT", UNARY, D_BOOL},
    [OP_RECIPROCAL] = {"Reciprocal", "RECIPROCAL", UNARY, D_F32},
    [OP_RELU] = {"Relu", "RELU", UNARY, D_F32 | D_WRAP},
    [OP_ROUND] = {"Round", "ROUND", UNARY, D_F32},
    [OP_SELU] = {"Selu", "SELU", UNARY, D_F32},
    [OP_SIGMOID] = {"Sigmoid", "SIGMOID", UNARY, D_F32},
    [OP_SIGN] = {"Sign", "SIGN", UNARY, D_F32 | D_WRAP},
    [OP_SIN] = {"Sin", "SIN", UNARY, D_F32},
    [OP_SINH] = {"Sinh", "SINH", UNARY, D_F32},
    [OP_SOFTPLUS] = {"Softplus", "SOFTPLUS", UNARY, D_F32},
    [OP_SOFTSIGN] = {"Softsign", "SOFTSIGN", UNARY, D_F32},
    [OP_SQRT] = {"Sqrt", "SQRT", UNARY, D_F32},
    [OP_TAN] = {"Tan", "TAN", UNARY, D_F32},
    [OP_TANH] = {"Tanh", "TANH", UNARY, D_F32},
    [OP_THRESHOLDEDRELU] = {"ThresholdedRelu", "THRESHOLDEDRELU", UNARY, D_F32},
    [OP_ADD] = {"Add", "ADD", BINARY, D_F32 | D_WRAP},
    [OP_AND] = {"And", "AND", CMP, D_BOOL},
    [OP_BITSHIFT] = {"BitShift", "BITSHIFT", BINARY, D_UNS},
    [OP_DIV] = {"Div", "DIV", BINARY, D_F32},
    [OP_EQUAL] = {"Equal", "EQUAL", CMP, D_F32 | D_INT | D_BOOL},
    [OP_GREATER] = {"Greater", "GREATER", CMP, D_F32 | D_INT | D_BOOL},
    [OP_GREATEROREQUAL] = {"GreaterOrEqual", "GREATEROREQUAL", CMP, D_F32 | D_INT | D_BOOL},
    [OP_LESS] = {"Less", "LESS", CMP, D_F32 | D_INT | D_BOOL},
    [OP_LESSOREQUAL] = {"LessOrEqual", "LESSOREQUAL", CMP, D_F32 | D_INT | D_BOOL},
    [OP_MAX] = {"Max", "MAX", VARIADIC, D_F32 | D_WRAP},
    [OP_MEAN] = {"Mean", "ADD", VARIADIC, D_F32},
    [OP_MIN] = {"Min", "MIN", VARIADIC, D_F32 | D_WRAP},
    [OP_MOD] = {"Mod", "MOD", BINARY, D_F32},
    [OP_MUL] = {"Mul", "MUL", BINARY, D_F32 | D_WRAP},
    [OP_OR] = {"Or", "OR", CMP, D_BOOL},
    [OP_POW] = {"Pow", "POW", BINARY, D_F32},
    [OP_PRELU] = {"PRelu", "PRELU", BINARY, D_F32},
    [OP_SUB] = {"Sub", "SUB", BINARY, D_F32 | D_WRAP},
    [OP_SUM] = {"Sum", "ADD", VARIADIC, D_F32 | D_WRAP},
    [OP_WHERE] = {"Where", "WHERE", WHERE, ~0u},
    [OP_XOR] = {"Xor", "XOR", CMP, D_BOOL},
};

/* ---- one kernel launch --------------------------------------------------------------------- */

enum { MAXIN = 3 };

/* y = F(x[0], x[1], x[2]): what one launch computes. */
typedef struct Launch {
    const char *name;           /* the op, for messages */
    const char *fn;             /* ELT_<fn> */
    const char *type[MAXIN + 1];        /* OpenCL types of the operands, then of y */
    const char *ut;             /* TA's unsigned twin, for wrapping integer ops; or NULL */
    const char *extra;          /* more build options, or NULL */
    int nin;                    /* operands 1 .. MAXIN */
    const OclTensor *x[MAXIN];
    const OclTensor *y;
    float p[3];                 /* the kernel's p0, p1, p2 */
} Launch;

/* The output laid out for a walk: rank dims, innermost first, each operand's element strides
 * (0 where broadcast); the output's size-1 dims dropped, adjacent dims merged where every
 * operand's outer stride is its inner stride times the inner size. */
typedef struct Walk {
    int rank;                   /* 1 .. RT_MAXRANK */
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

/* Kernel arguments in order; the first failure stays in rc. */
typedef struct Args {
    OclDev *d;
    cl_kernel k;
    cl_uint i;
    int wide;                   /* IDX is long (else int) */
    int rc;
} Args;

static void
arg(Args *g, size_t size, const void *p)
{
    if (g->rc == RT_OK)
        g->rc = OCL_CALL(g->d->ctx, clSetKernelArg(g->k, g->i, size, p));
    g->i++;
}

static void
arg_int(Args *g, int v)
{
    cl_int c = v;
    arg(g, sizeof c, &c);
}

static void
arg_idx(Args *g, int64_t v)
{
    cl_long l = v;
    cl_int i = (cl_int)v;
    if (g->wide)
        arg(g, sizeof l, &l);
    else
        arg(g, sizeof i, &i);
}

/* an IDX8 of v[0 .. n), zero past n */
static void
arg_idx8(Args *g, const int64_t *v, int n)
{
    cl_long8 l = {{0}};
    cl_int8 i = {{0}};
    for (int k = 0; k < n; k++) {
        l.s[k] = v[k];
        i.s[k] = (cl_int)v[k];
    }
    if (g->wide)
        arg(g, sizeof l, &l);
    else
        arg(g, sizeof i, &i);
}

/* 1 when the device rounds float division and sqrt correctly on request (asked on every call:
 * one lookup in the driver, and OclDev has no room for it) */
static int
exact_div(const OclDev *d)
{
    cl_device_fp_config fp = 0;
    if (clGetDeviceInfo(d->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL) != CL_SUCCESS)
        return 0;
    return (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
}

/* The work-items of a work-group: a power of two, large on CPUs, whose drivers (PoCL) run a
 * work-group as a loop and each group as a task. One size for every launch, so that drivers
 * that compile per work-group size compile few variants. */
static size_t
group_size(const OclDev *d)
{
    size_t l = d->info.cpu ? 1024 : 256;
    while (l > 1 && l > d->info.max_wg)
        l /= 2;
    return l;
}

static size_t
round_up(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
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
        return rt_fail(d->ctx, RT_EINPUT, "%s: an input does not broadcast to the output",
                       l->name);
    int flat = 1;
    for (int k = 0; k < l->nin; k++)
        flat &= ocl_numel(l->x[k]) == n || ocl_numel(l->x[k]) == 1;
    size_t wg = group_size(d);
    int wide = end > INT_MAX - 4 * (int64_t)wg;     /* the flat kernel's padding included */

    /* the build options: the op, the types (unused operands repeat operand 0, so they get its
     * type and the program stays the same), correctly rounded division where there is one */
    char opt[512];
    const char *const *ty = l->type;
    int len = snprintf(opt, sizeof opt, "-DELT_%s -DTA=%s -DTB=%s -DTC=%s -DTO=%s -DIDX=%s",
                       l->fn, ty[0], ty[l->nin > 1], ty[l->nin > 2 ? 2 : 0], ty[MAXIN],
                       wide ? "long" : "int");
    if (l->ut)
        len += snprintf(opt + len, sizeof opt - (size_t)len, " -DUT=%s", l->ut);
    if (l->extra)
        len += snprintf(opt + len, sizeof opt - (size_t)len, " %s", l->extra);
    if (exact_div(d))
        snprintf(opt + len, sizeof opt - (size_t)len, " -cl-fp32-correctly-rounded-divide-sqrt");
    Args g = {d, NULL, 0, wide, RT_OK};
    g.rc = ocl_kernel(d, "eltwise", opt, flat ? "elt_flat" : "elt_bcast", &g.k);
    if (g.rc != RT_OK)
        return g.rc;

    /* operands past nin repeat operand 0, which the op does not read */
    const OclTensor *x[MAXIN];
    for (int k = 0; k < MAXIN; k++)
        x[k] = l->x[k < l->nin ? k : 0];
    if (flat) {
        arg_idx(&g, n);
        arg(&g, sizeof y->mem, &y->mem);
        arg_idx(&g, off[l->nin]);
        for (int k = 0; k < MAXIN; k++) {
            arg(&g, sizeof x[k]->mem, &x[k]->mem);
            arg_idx(&g, off[k < l->nin ? k : 0]);
            arg_int(&g, ocl_numel(x[k]) == n && n > 1);
        }
        for (int k = 0; k < 3; k++)
            arg(&g, sizeof(cl_float), &l->p[k]);
        if (g.rc != RT_OK)
            return g.rc;
        size_t global = round_up((size_t)(n + 3) / 4, wg);
        return OCL_CALL(d->ctx, clEnqueueNDRangeKernel(d->queue, g.k, 1, NULL, &global, &wg, 0,
                                                       NULL, NULL));
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
        arg_idx(&g, n0);
        arg_idx(&g, n1);
        arg_idx(&g, j0);
        arg_int(&g, w.rank);
        arg_idx8(&g, w.dim, w.rank);
        arg(&g, sizeof y->mem, &y->mem);
        arg_idx(&g, off[l->nin]);
        for (int k = 0; k < MAXIN; k++) {
            arg(&g, sizeof x[k]->mem, &x[k]->mem);
            arg_idx(&g, off[k < l->nin ? k : 0]);
            arg_idx8(&g, w.st[k < l->nin ? k : 0], w.rank);
        }
        for (int k = 0; k < 3; k++)
            arg(&g, sizeof(cl_float), &l->p[k]);
        if (g.rc != RT_OK)
            return g.rc;
        int64_t m = n1 - j0 < rows ? n1 - j0 : rows;
        size_t global[2] = {round_up((size_t)(n0 + 3) / 4, l0), round_up((size_t)m, l1)};
        int rc = OCL_CALL(d->ctx, clEnqueueNDRangeKernel(d->queue, g.k, 2, NULL, global, local,
                                                         0, NULL, NULL));
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

/* ---- the ops ------------------------------------------------------------------------------- */

static int
refuse(OclDev *d, const char *op, DType t)
{
    return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %s is not supported", op,
                   dt_name(t));
}

/* A view of element 0 of t as a scalar (Clip's bounds are scalars; the CPU reads element 0). */
static OclTensor
scalar_of(const OclTensor *t)
{
    OclTensor s = *t;
    s.rank = 0;
    return s;
}

/* Clip: the bounds are scalars, each omitted (absent or empty), constant (its host value goes
 * in p0 or p1) or only on the device (read by the kernel as operand b or c). */
static int
clip(OclDev *d, Launch *l, OclTensor *const *in, int nin)
{
    static const char *const which[2] = {"LO_T", "HI_T"};
    OclTensor bound[2];
    char extra[32] = "";
    l->p[0] = -INFINITY;
    l->p[1] = INFINITY;
    for (int i = 0; i < 2; i++) {
        const OclTensor *t = i + 1 < nin ? in[i + 1] : NULL;
        if (!t || ocl_numel(t) == 0)
            continue;
        if (t->dt != DT_F32)
            return rt_fail(d->ctx, RT_EUNSUPPORTED,
                           "Clip on OpenCL: a %s bound of float32 input is not supported",
                           dt_name(t->dt));
        if (t->host) {
            l->p[i] = *(const float *)t->host;
            continue;
        }
        bound[i] = scalar_of(t);
        l->x[i + 1] = &bound[i];
        l->nin = 3;
        size_t len = strlen(extra);
        snprintf(extra + len, sizeof extra - len, "%s-D%s=1", len ? " " : "", which[i]);
    }
    if (l->nin == 3) {      /* an unused bound slot repeats x, which the kernel does not read */
        for (int i = 1; i < 3; i++)
            if (!l->x[i])
                l->x[i] = l->x[0];
        l->type[1] = l->type[2] = "float";
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
        if (ocl_numel(in[0]) != ocl_numel(y))
            return rt_fail(d->ctx, RT_EINPUT, "%s: the output differs from the input", l->name);
        if (n == 0)
            return RT_OK;
        return OCL_CALL(d->ctx, clEnqueueCopyBuffer(d->queue, in[0]->mem, y->mem, in[0]->off,
                                                    y->off, n, 0, NULL, NULL));
    }
    int rc = RT_OK;
    l->nin = 2;
    l->type[1] = l->type[0];
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

/* Every op of elt_def[]: dtypes checked, then one launch (or a few for Sum, Mean, Max, Min). */
static int
eltwise(OclDev *d, OpKind op, const Attr *a, OclTensor *const *in, int nin,
        OclTensor *const *out, int nout)
{
    const EltDef *e = &elt_def[op];
    const OclTensor *y = out[0];
    static const Attr none;
    (void)nout;
    a = a ? a : &none;
    if (nin < 1 || !in[0])
        return rt_fail(d->ctx, RT_EINPUT, "%s: no input", e->onnx);
    Launch l = {.name = e->onnx, .fn = e->fn, .nin = 1, .y = y};
    int inputs = e->form == UNARY || e->form == PRED || e->form == CLIP ? 1 : nin;
    if (e->form == WHERE && (nin != 3 || !in[1] || !in[2]))
        return rt_fail(d->ctx, RT_EINPUT, "Where: %d inputs", nin);
    /* the dtype of the op: its inputs' (Where: of x and y, the condition being bool) */
    DType t = in[e->form == WHERE]->dt;
    for (int k = 0; k < inputs; k++) {
        DType want = e->form == WHERE && k == 0 ? DT_BOOL : t;
        if (!in[k] || in[k]->dt != want)
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: input %d is %s, not %s",
                           e->onnx, k, in[k] ? dt_name(in[k]->dt) : "omitted", dt_name(want));
        if (k < MAXIN)
            l.x[k] = in[k];
    }
    if (!(e->dts & M(t)) || !(e->form == WHERE ? bits_type(t) : cl_type(t)))
        return refuse(d, e->onnx, t);
    DType yt = e->form == PRED || e->form == CMP ? DT_BOOL : t;
    if (y->dt != yt)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: a %s output of %s input",
                       e->onnx, dt_name(y->dt), dt_name(t));
    l.type[0] = l.type[1] = l.type[2] = cl_type(t);
    l.type[MAXIN] = cl_type(yt);
    l.ut = t == DT_I32 ? "uint" : t == DT_I64 ? "ulong" : NULL;
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
    case OP_GELU:
        l.fn = a->act.approximate ? "GELU_TANH" : "GELU";
        break;
    case OP_ISINF:
        l.p[0] = (float)(a->mode.mode & 1);
        l.p[1] = (float)(a->mode.mode & 2);
        break;
    case OP_BITSHIFT:
    case OP_MOD:
        l.p[0] = (float)a->mode.mode;
        break;
    default:
        break;
    }
    switch (e->form) {
    case UNARY:
    case PRED:
        return launch(d, &l);
    case CLIP:
        return clip(d, &l, in, nin);
    case VARIADIC:
        return variadic(d, op, &l, in, nin);
    case WHERE:
        l.type[0] = "uchar";
        l.type[1] = l.type[2] = l.type[MAXIN] = bits_type(t);
        l.ut = NULL;
        l.nin = 3;
        return launch(d, &l);
    case BINARY:
    case CMP:
        l.nin = 2;
        return launch(d, &l);
    }
    return RT_OK;
}

/* ocl_op_<stem> for every op of elt_def[] */
#define ELT_OPS(X)                                                                                 \
    X(abs, ABS) X(acos, ACOS) X(acosh, ACOSH) X(asin, ASIN) X(asinh, ASINH) X(atan, ATAN)          \
    X(atanh, ATANH) X(ceil, CEIL) X(celu, CELU) X(clip, CLIP) X(cos, COS) X(cosh, COSH)            \
    X(elu, ELU) X(erf, ERF) X(exp, EXP) X(floor, FLOOR) X(gelu, GELU)                              \
    X(hardsigmoid, HARDSIGMOID) X(hardswish, HARDSWISH) X(isinf, ISINF) X(isnan, ISNAN)            \
    X(leakyrelu, LEAKYRELU) X(log, LOG) X(mish, MISH) X(neg, NEG) X(not, NOT)                      \
    X(reciprocal, RECIPROCAL) X(relu, RELU) X(round, ROUND) X(selu, SELU) X(sigmoid, SIGMOID)      \
    X(sign, SIGN) X(sin, SIN) X(sinh, SINH) X(softplus, SOFTPLUS) X(softsign, SOFTSIGN)            \
    X(sqrt, SQRT) X(tan, TAN) X(tanh, TANH) X(thresholdedrelu, THRESHOLDEDRELU)                    \
    X(add, ADD) X(and, AND) X(bitshift, BITSHIFT) X(div, DIV) X(equal, EQUAL)                      \
    X(greater, GREATER) X(greaterorequal, GREATEROREQUAL) X(less, LESS)                            \
    X(lessorequal, LESSOREQUAL) X(max, MAX) X(mean, MEAN) X(min, MIN) X(mod, MOD) X(mul, MUL)      \
    X(or, OR) X(pow, POW) X(prelu, PRELU) X(sub, SUB) X(sum, SUM) X(where, WHERE) X(xor, XOR)

#define DEF_OP(stem, ID)                                                                           \
    int ocl_op_##stem(OclDev *d, const Attr *a, OclTensor *const *in, int nin,                     \
                      OclTensor *const *out, int nout)                                             \
    {                                                                                              \
        return eltwise(d, OP_##ID, a, in, nin, out, nout);                                         \
    }
ELT_OPS(DEF_OP)
#undef DEF_OP
