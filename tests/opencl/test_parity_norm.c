/*
 * test_parity_norm.c: BatchNormalization (with every fused activation), InstanceNormalization,
 * LayerNormalization (broadcast Scale and B, Mean and InvStdDev), LRN, Softmax, LogSoftmax and
 * Hardmax on OpenCL (runtime/opencl/norm.c) against the CPU kernels (runtime/cpu/norm.c), on the
 * geometry of tests/kernels/test_cpu_norm.c: odd sizes, every axis (negative too), the opset < 13
 * coerce-to-2-D form, even and odd LRN sizes, long rows and columns (the work-group reductions
 * with more elements than work-items), and ties, infinities and NaNs for Hardmax.
 *
 * Tolerance: both sides compute in float, but sum in different orders (the CPU in float lanes
 * and double blocks, the device in a tree over a work-group) and use different exponentials
 * (ir_exp_f, the device's exp) and square roots (double on the CPU), so float outputs agree to a
 * few ulp of the largest output: atol and rtol 1e-5 (rtol of the largest |output|, par_check).
 * Hardmax's outputs are 0 and 1 and must agree exactly, with ties broken at the first index.
 */
#include "parity.h"

#define ATOL 1e-5
#define RTOL 1e-5

static RtTensor *
vec(int64_t n, uint32_t seed, float lo, float hi)
{
    RtTensor *t = kt_new(DT_F32, 1, &n);
    kt_fill(t, seed, lo, hi);
    return t;
}

static void
free_all(RtTensor **t, int n)
{
    for (int i = 0; i < n; i++)
        kt_free(t[i]);
}

/* A name for a shape: "[2,3,4]" */
static void
shape_name(char *buf, size_t cap, int rank, const int64_t *dim)
{
    int len = snprintf(buf, cap, "[");
    for (int i = 0; i < rank; i++)
        len += snprintf(buf + len, cap - (size_t)len, "%s%lld", i ? "," : "", (long long)dim[i]);
    snprintf(buf + len, cap - (size_t)len, "]");
}

/* ---- BatchNormalization, InstanceNormalization --------------------------------------------- */

/* BatchNormalization of X [N, C, ...] with the activation fu fused in; the parameters are
 * constants when consts. */
static void
check_bn(int rank, const int64_t *xd, Fused fu, int consts)
{
    int64_t c = xd[1];
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, xd);
    RtTensor *in[5] = {x, vec(c, 2, 0.5f, 2), vec(c, 3, -1, 1), vec(c, 4, -1, 1),
                       vec(c, 5, 0.1f, 3)};
    kt_fill(x, 1, -3, 3);
    Attr a;
    memset(&a, 0, sizeof a);
    a.norm.epsilon = 1e-3f;
    a.norm.fuse = fu;
    char name[160], sh[64];
    shape_name(sh, sizeof sh, rank, xd);
    snprintf(name, sizeof name, "BatchNormalization %s act %d affine %d%s", sh, (int)fu.act,
             fu.affine, consts ? " const" : "");
    par_check(name, OP_BATCHNORMALIZATION, &a, in, 5, &y, 1, consts ? 0x1eu : 0u, ATOL, RTOL);
    free_all(in, 5);
    kt_free(y);
}

static void
check_in(int rank, const int64_t *xd)
{
    int64_t c = xd[1];
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, xd);
    RtTensor *in[3] = {x, vec(c, 2, 0.5f, 2), vec(c, 3, -1, 1)};
    kt_fill(x, 11, -2, 4);
    Attr a;
    memset(&a, 0, sizeof a);
    a.norm.epsilon = 1e-5f;
    char name[160], sh[64];
    shape_name(sh, sizeof sh, rank, xd);
    snprintf(name, sizeof name, "InstanceNormalization %s", sh);
    par_check(name, OP_INSTANCENORMALIZATION, &a, in, 3, &y, 1, 0, ATOL, RTOL);
    free_all(in, 3);
    kt_free(y);
}

/* ---- LayerNormalization -------------------------------------------------------------------- */

/* LayerNormalization over dims axis..end, Scale and B of rank sr with dims sd (broadcast
 * right-aligned), B omitted unless with_b, Mean and InvStdDev requested when stats. */
static void
check_ln(int rank, const int64_t *xd, int64_t axis, int sr, const int64_t *sd, int with_b,
         int stats)
{
    int ax = (int)(axis < 0 ? axis + rank : axis);
    int64_t md[8] = {0};
    for (int i = 0; i < rank; i++)
        md[i] = i < ax ? xd[i] : 1;
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, xd);
    RtTensor *sc = kt_new(DT_F32, sr, sd), *b = kt_new(DT_F32, sr, sd);
    RtTensor *mean = kt_new(DT_F32, rank, md), *inv = kt_new(DT_F32, rank, md);
    kt_fill(x, 21, -1, 3);
    kt_fill(sc, 22, 0.5f, 1.5f);
    kt_fill(b, 23, -1, 1);
    Attr a;
    memset(&a, 0, sizeof a);
    a.norm.epsilon = 1e-5f;
    a.norm.axis = axis;
    RtTensor *in[3] = {x, sc, with_b ? b : NULL};
    RtTensor *out[3] = {y, stats ? mean : NULL, stats ? inv : NULL};
    char name[200], sh[64], ss[64];
    shape_name(sh, sizeof sh, rank, xd);
    shape_name(ss, sizeof ss, sr, sd);
    snprintf(name, sizeof name, "LayerNormalization %s axis %lld scale %s%s%s", sh, (long long)axis,
             ss, with_b ? " +B" : "", stats ? " +stats" : "");
    par_check(name, OP_LAYERNORMALIZATION, &a, in, with_b ? 3 : 2, out, stats ? 3 : 1, 0x6u, ATOL,
              RTOL);
    /* the statistics alone, Y's other outputs in any combination */
    if (stats) {
        RtTensor *only_inv[3] = {y, NULL, inv};
        snprintf(name, sizeof name, "LayerNormalization %s axis %lld InvStdDev only", sh,
                 (long long)axis);
        par_check(name, OP_LAYERNORMALIZATION, &a, in, with_b ? 3 : 2, only_inv, 3, 0, ATOL, RTOL);
    }
    RtTensor *all[] = {x, y, sc, b, mean, inv};
    free_all(all, (int)(sizeof all / sizeof *all));
}

/* ---- LRN ----------------------------------------------------------------------------------- */

static void
check_lrn(const int64_t *xd, int64_t size, float beta)
{
    RtTensor *x = kt_new(DT_F32, 4, xd), *y = kt_new(DT_F32, 4, xd);
    kt_fill(x, 31, -2, 2);
    Attr a;
    memset(&a, 0, sizeof a);
    a.lrn = (LrnAttr){.alpha = 2e-2f, .beta = beta, .bias = 1.5f, .size = size};
    char name[160], sh[64];
    shape_name(sh, sizeof sh, 4, xd);
    snprintf(name, sizeof name, "LRN %s size %lld beta %g", sh, (long long)size, (double)beta);
    par_check(name, OP_LRN, &a, &x, 1, &y, 1, 0, ATOL, RTOL);
    kt_free(x);
    kt_free(y);
}

/* ---- Softmax, LogSoftmax, Hardmax ---------------------------------------------------------- */

enum { PLAIN, TIES, SPECIAL };

/* The three ops along axis (coerce2d: the opset < 13 form). TIES rounds the data to few values,
 * so that Hardmax must pick the first maximum; SPECIAL puts -inf (a masked element), +inf and
 * NaN (x[0] of some fibres too) into the data. */
static void
check_soft(int rank, const int64_t *xd, int64_t axis, int coerce2d, int data)
{
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, xd);
    kt_fill(x, 41, -5, 5);
    float *xp = x->data;
    int64_t n = rt_numel(x);
    for (int64_t i = 0; data == TIES && i < n; i++)
        xp[i] = roundf(xp[i] / 3);
    for (int64_t i = 0; data == SPECIAL && i < n; i++) {
        if (i % 7 == 3)
            xp[i] = -INFINITY;
        else if (i % 53 == 0)
            xp[i] = NAN;
        else if (i % 37 == 5)
            xp[i] = INFINITY;
    }
    Attr a;
    memset(&a, 0, sizeof a);
    a.axis.axis = axis;
    a.axis.coerce2d = coerce2d;
    static const char *const what[] = {"", " ties", " inf/nan"};
    char name[200], sh[64];
    shape_name(sh, sizeof sh, rank, xd);
    static const struct {
        OpKind op;
        const char *name;
    } ops[3] = {{OP_SOFTMAX, "Softmax"}, {OP_LOGSOFTMAX, "LogSoftmax"}, {OP_HARDMAX, "Hardmax"}};
    for (int k = 0; k < 3; k++) {
        snprintf(name, sizeof name, "%s %s axis %lld%s%s", ops[k].name, sh, (long long)axis,
                 coerce2d ? " coerce2d" : "", what[data]);
        int exact = ops[k].op == OP_HARDMAX;
        par_check(name, ops[k].op, &a, &x, 1, &y, 1, 0, exact ? 0 : ATOL, exact ? 0 : RTOL);
    }
    kt_free(x);
    kt_free(y);
}

/* ---- refusals ------------------------------------------------------------------------------ */

/* Forms the ops do not handle give RT_EUNSUPPORTED, as on the CPU, never a crash. */
static void
check_errors(void)
{
    OclTensor x = {.dt = DT_F32, .rank = 3, .dim = {2, 4, 5}}, x64 = x, sc = x;
    x64.dt = DT_F64;
    sc.rank = 1;
    sc.dim[0] = 3; /* does not broadcast to [5] */
    OclTensor *in[5] = {&x, &sc, NULL, &x, &x}, *in64[5] = {&x64, &x, &x, &x, &x};
    OclTensor *out[3] = {&x, NULL, NULL};
    Attr a;
    memset(&a, 0, sizeof a);
    a.norm.axis = -1;
    CHECK(ocl_op_layernormalization(par_dev, &a, in, 2, out, 1) == RT_EUNSUPPORTED);
    a.norm.axis = 3;
    CHECK(ocl_op_layernormalization(par_dev, &a, in64, 2, out, 1) == RT_EUNSUPPORTED);
    CHECK(ocl_op_instancenormalization(par_dev, &a, in64, 3, out, 1) == RT_EUNSUPPORTED);
    a.norm.training_mode = 1;
    CHECK(ocl_op_batchnormalization(par_dev, &a, in, 5, out, 1) == RT_EUNSUPPORTED);
    memset(&a, 0, sizeof a);
    a.lrn.size = 0;
    CHECK(ocl_op_lrn(par_dev, &a, in, 1, out, 1) == RT_EUNSUPPORTED);
    memset(&a, 0, sizeof a);
    a.axis.axis = 3;
    CHECK(ocl_op_softmax(par_dev, &a, in, 1, out, 1) == RT_EUNSUPPORTED);
    a.axis.axis = -4;
    CHECK(ocl_op_hardmax(par_dev, &a, in, 1, out, 1) == RT_EUNSUPPORTED);
    a.axis.axis = 1;
    CHECK(ocl_op_logsoftmax(par_dev, &a, in64, 1, out, 1) == RT_EUNSUPPORTED);
}

int
main(void)
{
    par_open();
    /* the tables hold weak references only: naming the kernels links them in */
    CHECK(cpu_kernel[OP_BATCHNORMALIZATION] == cpu_batchnormalization &&
          ocl_op[OP_BATCHNORMALIZATION] == ocl_op_batchnormalization);
    CHECK(cpu_kernel[OP_INSTANCENORMALIZATION] == cpu_instancenormalization &&
          ocl_op[OP_INSTANCENORMALIZATION] == ocl_op_instancenormalization);
    CHECK(cpu_kernel[OP_LAYERNORMALIZATION] == cpu_layernormalization &&
          ocl_op[OP_LAYERNORMALIZATION] == ocl_op_layernormalization);
    CHECK(cpu_kernel[OP_LRN] == cpu_lrn && ocl_op[OP_LRN] == ocl_op_lrn);
    CHECK(cpu_kernel[OP_SOFTMAX] == cpu_softmax && ocl_op[OP_SOFTMAX] == ocl_op_softmax);
    CHECK(cpu_kernel[OP_LOGSOFTMAX] == cpu_logsoftmax &&
          ocl_op[OP_LOGSOFTMAX] == ocl_op_logsoftmax);
    CHECK(cpu_kernel[OP_HARDMAX] == cpu_hardmax && ocl_op[OP_HARDMAX] == ocl_op_hardmax);

    static const Fused none = {0};
    check_bn(4, (const int64_t[]){2, 5, 7, 9}, none, 0);
    check_bn(2, (const int64_t[]){3, 4}, none, 1);
    check_bn(5, (const int64_t[]){2, 3, 4, 5, 6}, none, 0);
    check_bn(4, (const int64_t[]){2, 64, 28, 28}, none, 1);
    check_bn(3, (const int64_t[]){0, 3, 4}, none, 0);
    /* every activation, without and with an affine step after it; ACT_NONE with one shows that
     * the step needs an activation, as on the CPU */
    for (int act = ACT_NONE; act <= ACT_SILU; act++)
        for (int affine = 0; affine < 2; affine++) {
            Fused fu = {(ActKind)act,
                        act == ACT_CLIP ? -0.5f : 0.2f,
                        act == ACT_CLIP ? 1.5f : 0.5f,
                        affine,
                        2.0f,
                        -1.0f};
            check_bn(4, (const int64_t[]){2, 5, 7, 9}, fu, 1);
        }
    check_bn(4, (const int64_t[]){1, 64, 28, 28}, (Fused){ACT_CLIP, -0.5f, 1.5f, 1, 2.0f, -1.0f},
             0);

    check_in(4, (const int64_t[]){2, 3, 5, 7});
    check_in(3, (const int64_t[]){1, 4, 5000});
    check_in(3, (const int64_t[]){3, 2, 1});
    check_in(3, (const int64_t[]){2, 3, 300});
    check_in(2, (const int64_t[]){4, 6});

    static const int64_t ld[4] = {2, 3, 4, 5}, s5[1] = {5}, s45[2] = {4, 5}, s41[2] = {4, 1};
    static const int64_t s345[3] = {3, 4, 5}, s15[2] = {1, 5}, s1[1] = {1}, s305[3] = {3, 1, 5};
    check_ln(4, ld, -1, 1, s5, 1, 1);
    check_ln(4, ld, -1, 1, s5, 0, 0);
    check_ln(4, ld, 3, 1, s5, 1, 0);
    check_ln(4, ld, 2, 2, s45, 1, 1);
    check_ln(4, ld, -2, 2, s41, 1, 1);
    check_ln(4, ld, -2, 1, s5, 0, 1);
    check_ln(4, ld, 1, 3, s345, 1, 1);
    check_ln(4, ld, 1, 2, s15, 1, 0);
    check_ln(4, ld, 1, 3, s305, 1, 1);
    check_ln(4, ld, 1, 1, s1, 1, 1);
    check_ln(4, ld, 0, 3, s345, 0, 1);
    check_ln(3, (const int64_t[]){4, 33, 768}, -1, 1, (const int64_t[]){768}, 1, 1);
    check_ln(2, (const int64_t[]){3, 5000}, 1, 1, (const int64_t[]){5000}, 1, 1);
    check_ln(2, (const int64_t[]){3, 0}, 1, 1, (const int64_t[]){1}, 1, 1);

    check_lrn((const int64_t[]){2, 7, 5, 3}, 3, 0.75f);
    check_lrn((const int64_t[]){2, 7, 5, 3}, 4, 0.75f);
    check_lrn((const int64_t[]){1, 9, 4, 4}, 5, 0.6f);
    check_lrn((const int64_t[]){1, 6, 2, 3}, 1, 0.5f);
    check_lrn((const int64_t[]){1, 4, 3, 3}, 6, 0.75f);
    check_lrn((const int64_t[]){2, 16, 23, 23}, 5, 0.75f);

    static const int64_t sd[4] = {3, 4, 5, 6};
    for (int ax = -4; ax < 4; ax++) {
        check_soft(4, sd, ax, 0, PLAIN);
        check_soft(4, sd, ax, 0, TIES);
        check_soft(4, sd, ax, 1, PLAIN);
        check_soft(4, sd, ax, 1, SPECIAL);
    }
    check_soft(4, sd, 4, 1, PLAIN); /* coerce2d allows axis == rank: rows of 1 */
    check_soft(4, sd, 1, 1, TIES);
    check_soft(2, (const int64_t[]){2, 3001}, -1, 0, PLAIN);
    check_soft(2, (const int64_t[]){2, 3001}, -1, 0, TIES);
    check_soft(2, (const int64_t[]){2, 3001}, -1, 0, SPECIAL);
    check_soft(2, (const int64_t[]){7, 300}, 1, 0, TIES);
    check_soft(3, (const int64_t[]){3, 700, 300}, 1, 0, PLAIN);
    check_soft(3, (const int64_t[]){3, 70, 30}, 1, 0, SPECIAL);
    check_soft(1, (const int64_t[]){17}, 0, 0, TIES);
    check_soft(0, NULL, 0, 0, PLAIN);
    check_soft(3, (const int64_t[]){2, 0, 3}, 1, 0, PLAIN);
    check_errors();
    return par_close();
}
