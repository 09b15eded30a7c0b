/*
 * test_parity_conv.c: Conv, ConvTranspose, Gemm and MatMul on OpenCL (runtime/opencl/conv.c and
 * the GEMM under it) against the CPU kernels, on the geometry of tests/kernels/test_cpu_conv.c:
 * odd sizes, strides, asymmetric pads, dilation, groups and depthwise, 1-D and 3-D, SAME_* and
 * VALID, output_padding and output_shape; convolutions deep enough for several GEMM tiles along
 * K, M and N, with edges; every fused activation with and without an affine step; Gemm with each
 * transposition, alpha, beta and C form; MatMul with broadcast batches and 1-D operands; and the
 * GEMM's general form (ocl_gemm_cfg) under every blocking the device may pick.
 *
 * Each Conv runs three times: with the method the shape picks, then forced to the direct kernel
 * and to the GEMM path (HETC_OCL_CONV), so that both methods see every geometry. Weights and
 * biases are constants (visible through OclTensor.host) in most checks and device-only in the
 * rest. Shapes follow the output sizes the compiler's shape inference gives.
 */
#include "parity.h"

#include <time.h>

#define ATOL 1e-4
#define RTOL 1e-4

static Fused fuse;  /* the activation fused in (test_fused), ACT_NONE elsewhere */
static int nchecks; /* par_check calls so far, to vary which checks have constant weights */

/* Ints view of an optional attribute array of n values (NULL: not given). */
static Ints
ints(int n, const int64_t *v)
{
    return v ? (Ints){n, v} : (Ints){0, NULL};
}

/* Weights (input 1) and bias (input 2) constant in three checks of four. */
static unsigned
weight_consts(void)
{
    return nchecks++ % 4 == 3 ? 0u : 6u;
}

/* ---- Conv and ConvTranspose ------------------------------------------------------------------ */

typedef struct ConvCase {
    const char *name;
    int ns; /* spatial axes */
    int64_t n, c, m, group;
    int64_t in[3], k[3];
    const int64_t *s, *d, *pads; /* NULL: attribute not given */
    AutoPad ap;
    int bias;
    const int64_t *adj, *oshape; /* ConvTranspose: output_padding, output_shape */
    int noshape;                 /* values in oshape (ns, or ns + 2 with N and M first) */
} ConvCase;

/* Conv's output size along axis i, from the spec. */
static int64_t
conv_out(const ConvCase *t, int i)
{
    int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1, ek = (t->k[i] - 1) * d + 1;
    if (t->ap == PAD_SAME_UPPER || t->ap == PAD_SAME_LOWER)
        return (t->in[i] + s - 1) / s;
    int64_t pb = t->ap == PAD_VALID || !t->pads ? 0 : t->pads[i];
    int64_t pe = t->ap == PAD_VALID || !t->pads ? 0 : t->pads[t->ns + i];
    return (t->in[i] + pb + pe - ek) / s + 1;
}

/* ConvTranspose's output size along axis i: output_shape, in * stride for SAME_*, else the
 * natural size less the pads. */
static int64_t
convt_out(const ConvCase *t, int i)
{
    int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1, ek = (t->k[i] - 1) * d + 1;
    int64_t adj = t->adj ? t->adj[i] : 0, full = s * (t->in[i] - 1) + adj + ek;
    if (t->oshape)
        return t->oshape[t->noshape ? t->noshape - t->ns + i : i];
    if (t->ap == PAD_SAME_UPPER || t->ap == PAD_SAME_LOWER)
        return t->in[i] * s;
    int has = t->pads && t->ap != PAD_VALID;
    return full - (has ? t->pads[i] + t->pads[t->ns + i] : 0);
}

/* Runs case t of Conv (transpose 0) or ConvTranspose through par_check. */
static void
check_conv(const ConvCase *t, int transpose)
{
    int64_t xd[5] = {t->n, t->c}, wd[5], yd[5] = {t->n, t->m};
    wd[0] = transpose ? t->c : t->m;
    wd[1] = transpose ? t->m / t->group : t->c / t->group;
    for (int i = 0; i < t->ns; i++) {
        xd[2 + i] = t->in[i];
        wd[2 + i] = t->k[i];
        yd[2 + i] = transpose ? convt_out(t, i) : conv_out(t, i);
    }
    RtTensor *x = kt_new(DT_F32, 2 + t->ns, xd), *w = kt_new(DT_F32, 2 + t->ns, wd);
    RtTensor *y = kt_new(DT_F32, 2 + t->ns, yd), *b = t->bias ? kt_new(DT_F32, 1, &t->m) : NULL;
    kt_fill(x, 11, -1, 1);
    kt_fill(w, 23, -1, 1);
    if (b)
        kt_fill(b, 37, -1, 1);
    Attr a;
    memset(&a, 0, sizeof a);
    a.conv.group = t->group;
    a.conv.kernel = ints(t->ns, t->k);
    a.conv.strides = ints(t->ns, t->s);
    a.conv.dilations = ints(t->ns, t->d);
    a.conv.pads = ints(2 * t->ns, t->pads);
    a.conv.output_padding = ints(t->ns, t->adj);
    a.conv.output_shape = ints(t->noshape ? t->noshape : t->ns, t->oshape);
    a.conv.auto_pad = t->ap;
    a.conv.fuse = fuse;
    RtTensor *in[3] = {x, w, b};
    static const char *const method[] = {NULL, "direct", "gemm"};
    for (int i = 0; i < (transpose ? 1 : 3); i++) {
        char name[200];
        snprintf(name, sizeof name, "%s %s%s%s act %d%s", transpose ? "ConvTranspose" : "Conv",
                 t->name, method[i] ? " forced " : "", method[i] ? method[i] : "", (int)fuse.act,
                 fuse.affine ? " affine" : "");
        if (method[i])
            setenv("HETC_OCL_CONV", method[i], 1);
        else
            unsetenv("HETC_OCL_CONV");
        par_check(name, transpose ? OP_CONVTRANSPOSE : OP_CONV, &a, in, b ? 3 : 2, &y, 1,
                  weight_consts(), ATOL, RTOL);
    }
    unsetenv("HETC_OCL_CONV");
    kt_free(x), kt_free(w), kt_free(b), kt_free(y);
}

static const int64_t S2[] = {2, 2, 2}, D2[] = {2, 2, 2}, P1[] = {1, 1, 1, 1, 1, 1};
#define UPPER PAD_SAME_UPPER
#define LOWER PAD_SAME_LOWER
#define VALID PAD_VALID

/* The geometry of test_cpu_conv.c, then shapes for the GEMM path: K over several tiles, M and N
 * with edges, a 7x7 map with many channels, groups as the GEMM's batch, pointwise on X itself. */
static void
test_conv(void)
{
    static const int64_t pa[] = {0, 1, 2, 1}, p2[] = {2, 2, 2, 2}, s32[] = {3, 2};
    static const int64_t pdw[] = {1, 0, 1, 1}, p1d[] = {2, 1}, s3[] = {3, 3}, s121[] = {1, 2, 1};
    static const int64_t p3d[] = {1, 0, 1, 0, 1, 2}, d112[] = {1, 1, 2}, p7[] = {3, 3, 3, 3};
    static const int64_t p22[] = {2, 2}, s12[] = {1, 2};
    /* name, spatial axes, N, C, M, group, input, kernel, strides, dilations, pads, auto_pad,
     * bias */
    const ConvCase cases[] = {
        {.name = "3x3 pad 1", 2, 1, 3, 5, 1, {7, 9}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "stride 2 asym pads", 2, 1, 3, 4, 1, {10, 7}, {3, 2}, S2, NULL, pa, 0, 0},
        {.name = "strides 3x2", 2, 2, 2, 3, 1, {11, 8}, {2, 3}, s32, NULL, NULL, 0, 1},
        {.name = "dilation 2", 2, 1, 3, 4, 1, {11, 9}, {3, 3}, NULL, D2, p2, 0, 1},
        {.name = "group 2 batch 2", 2, 2, 4, 6, 2, {9, 8}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "group 3 stride 2", 2, 1, 6, 9, 3, {9, 10}, {3, 3}, S2, NULL, P1, 0, 0},
        {.name = "dw 3x3 batch 2", 2, 2, 8, 8, 8, {13, 11}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "dw 5x5 stride 2", 2, 1, 5, 5, 5, {16, 15}, {5, 5}, S2, NULL, pdw, 0, 0},
        {.name = "dw dilation 2", 2, 1, 4, 4, 4, {12, 12}, {3, 3}, NULL, D2, p2, 0, 1},
        {.name = "dw multiplier 2", 2, 1, 4, 8, 4, {7, 9}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "dw SAME_UPPER s2", 2, 1, 6, 6, 6, {9, 10}, {3, 3}, S2, NULL, NULL, UPPER, 1},
        {.name = "dw stride 3", 2, 1, 3, 3, 3, {14, 17}, {3, 3}, s3, NULL, P1, 0, 1},
        {.name = "dw strides 1x2", 2, 1, 5, 5, 5, {11, 12}, {3, 3}, s12, NULL, P1, 0, 1},
        {.name = "dw 7x7 map", 2, 1, 40, 40, 40, {7, 7}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "pointwise batch 2", 2, 2, 16, 24, 1, {9, 7}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "pointwise group 2", 2, 2, 8, 6, 2, {5, 7}, {1, 1}, NULL, NULL, NULL, 0, 0},
        {.name = "pointwise on 1x1", 2, 2, 16, 8, 1, {1, 1}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "1x1 stride 2", 2, 1, 8, 5, 1, {9, 7}, {1, 1}, S2, NULL, NULL, 0, 1},
        {.name = "1x1 pad 1", 2, 1, 3, 5, 1, {4, 5}, {1, 1}, NULL, NULL, P1, 0, 1},
        {.name = "SAME_UPPER k4", 2, 1, 3, 4, 1, {7, 8}, {4, 4}, NULL, NULL, NULL, UPPER, 1},
        {.name = "SAME_LOWER k4", 2, 1, 3, 4, 1, {7, 8}, {4, 4}, NULL, NULL, NULL, LOWER, 1},
        {.name = "SAME_UPPER s2", 2, 1, 3, 4, 1, {8, 9}, {3, 3}, S2, NULL, NULL, UPPER, 0},
        {.name = "SAME_LOWER s2", 2, 1, 3, 4, 1, {8, 9}, {3, 3}, S2, NULL, NULL, LOWER, 0},
        {.name = "VALID s2", 2, 1, 3, 4, 1, {8, 9}, {3, 3}, S2, NULL, NULL, VALID, 1},
        {.name = "1-D", 1, 1, 3, 4, 1, {17}, {5}, s3, D2, p1d, 0, 1},
        {.name = "1-D dw", 1, 2, 4, 4, 4, {15}, {3}, NULL, NULL, p22, 0, 1},
        {.name = "1-D SAME_LOWER", 1, 1, 2, 3, 1, {10}, {4}, s3, NULL, NULL, LOWER, 1},
        {.name = "3-D", 3, 2, 3, 4, 1, {5, 6, 7}, {3, 2, 3}, s121, d112, p3d, 0, 1},
        {.name = "3-D group 2", 3, 1, 4, 4, 2, {4, 5, 6}, {3, 3, 3}, NULL, NULL, P1, 0, 0},
        {.name = "3-D dw", 3, 1, 3, 3, 3, {4, 5, 6}, {3, 3, 3}, S2, NULL, P1, 0, 1},
        {.name = "3-D pointwise", 3, 1, 5, 3, 1, {3, 4, 5}, {1, 1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "7x7 stride 2 stem", 2, 1, 3, 8, 1, {32, 30}, {7, 7}, S2, NULL, p7, 0, 1},
        {.name = "kernel over input", 2, 1, 2, 3, 1, {2, 2}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "3x3 on a 1x1 map", 2, 1, 12, 10, 1, {1, 1}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "1-D k3 on length 1", 1, 2, 4, 4, 1, {1}, {3}, NULL, NULL, p22, 0, 1},
        /* the GEMM path by shape: K = 360 over several slices, M 36 and N 117 with edges */
        {.name = "deep K edges", 2, 1, 40, 36, 1, {9, 13}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "7x7 map many channels", 2, 1, 256, 96, 1, {7, 7}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "grouped deep", 2, 1, 128, 40, 2, {6, 8}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "stride 2 deep", 2, 2, 64, 24, 1, {15, 15}, {3, 3}, S2, NULL, P1, 0, 0},
        {.name = "pointwise deep", 2, 2, 300, 20, 1, {5, 7}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "pointwise wide", 2, 1, 32, 40, 1, {23, 29}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "stem 7x7 s2 wide", 2, 1, 3, 16, 1, {61, 67}, {7, 7}, S2, NULL, p7, 0, 1},
        /* 3.7 MB of patches per output row: im2col in blocks of 7, 7 and 6 rows */
        {.name = "im2col in blocks", 2, 1, 512, 8, 1, {20, 200}, {3, 3}, NULL, NULL, P1, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_conv(&cases[i], 0);
}

/* ConvTranspose from explicit pads, output_padding, output_shape (both lengths) and auto_pad,
 * with groups, dilation, depthwise, 1-D and 3-D. */
static void
test_convt(void)
{
    static const int64_t s32[] = {3, 2}, p12[] = {1, 2, 1, 2}, a11[] = {1, 1}, a1[] = {1};
    static const int64_t o1d[] = {12}, s3[] = {3}, o2d[] = {2, 6, 9, 10}, s1[] = {1, 1};
    static const int64_t oshort[] = {8}, pa[] = {0, 1, 2, 0};
    const ConvCase cases[] = {
        {.name = "3x3", 2, 1, 3, 2, 1, {4, 5}, {3, 3}, NULL, NULL, NULL, 0, 0},
        {.name = "s2 pads adj", 2, 2, 3, 4, 1, {5, 4}, {3, 3}, S2, NULL, P1, 0, 1, a11},
        {.name = "s3x2 pads 1,2", 2, 1, 1, 2, 1, {3, 3}, {3, 3}, s32, NULL, p12, 0, 0},
        {.name = "asym pads", 2, 1, 2, 3, 1, {4, 5}, {3, 4}, S2, NULL, pa, 0, 1},
        {.name = "group 2", 2, 1, 4, 6, 2, {5, 6}, {4, 4}, S2, NULL, P1, 0, 1},
        {.name = "dilation 2", 2, 1, 3, 2, 1, {4, 5}, {3, 3}, S2, D2, P1, 0, 1},
        {.name = "depthwise", 2, 2, 4, 4, 4, {5, 5}, {3, 3}, S2, NULL, P1, 0, 1, a11},
        {.name = "1-D output_shape", 1, 1, 2, 3, 1, {5}, {4}, s3, NULL, NULL, 0, 1, a1, o1d},
        {.name = "1-D short", 1, 1, 2, 3, 1, {5}, {3}, S2, NULL, NULL, 0, 0, NULL, oshort},
        {.name = "SAME_UPPER", 2, 1, 2, 3, 1, {4, 5}, {3, 4}, S2, NULL, NULL, UPPER, 1},
        {.name = "SAME_LOWER", 2, 1, 2, 3, 1, {4, 5}, {3, 4}, S2, NULL, NULL, LOWER, 1},
        {.name = "VALID", 2, 1, 2, 3, 1, {4, 5}, {3, 3}, S2, NULL, NULL, VALID, 0},
        {.name = "NCHW shape", 2, 2, 2, 2, 1, {4, 5}, {3, 3}, S2, NULL, NULL, 0, 1, 0, o2d, 4},
        {.name = "stride 1 pads", 2, 1, 3, 3, 1, {5, 6}, {3, 3}, s1, NULL, P1, 0, 1},
        {.name = "3-D k2 s2", 3, 1, 3, 2, 1, {3, 4, 5}, {2, 2, 2}, S2, NULL, NULL, 0, 1},
        {.name = "3-D dilated", 3, 1, 2, 4, 2, {3, 3, 4}, {3, 2, 3}, S2, D2, P1, 0, 0},
        {.name = "large", 2, 1, 16, 8, 1, {40, 36}, {4, 4}, S2, NULL, P1, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_conv(&cases[i], 1);
}

/* ---- Gemm and MatMul ------------------------------------------------------------------------- */

/* Y = act(alpha * A' B' + beta * C), with C [cm, cn] of rank crank (-1: none). */
static void
check_gemm(int64_t m, int64_t n, int64_t k, int ta, int tb, float alpha, float beta, int crank,
           int64_t cm, int64_t cn)
{
    int64_t ad[2] = {ta ? k : m, ta ? m : k}, bd[2] = {tb ? n : k, tb ? k : n}, yd[2] = {m, n};
    int64_t cd[2] = {crank == 2 ? cm : cn, cn};
    RtTensor *a = kt_new(DT_F32, 2, ad), *b = kt_new(DT_F32, 2, bd), *y = kt_new(DT_F32, 2, yd);
    RtTensor *c = crank >= 0 ? kt_new(DT_F32, crank, crank == 1 ? cd + 1 : cd) : NULL;
    kt_fill(a, 5, -1, 1);
    kt_fill(b, 6, -1, 1);
    if (c)
        kt_fill(c, 7, -1, 1);
    Attr at;
    memset(&at, 0, sizeof at);
    at.gemm = (GemmAttr){.alpha = alpha, .beta = beta, .trans_a = ta, .trans_b = tb, .fuse = fuse};
    char name[160];
    snprintf(name, sizeof name,
             "Gemm %lldx%lldx%lld trans %d%d alpha %g beta %g C rank %d "
             "[%lld,%lld] act %d",
             (long long)m, (long long)n, (long long)k, ta, tb, (double)alpha, (double)beta, crank,
             (long long)cm, (long long)cn, (int)fuse.act);
    RtTensor *in[3] = {a, b, c};
    par_check(name, OP_GEMM, &at, in, c ? 3 : 2, &y, 1, weight_consts(), ATOL, RTOL);
    kt_free(a), kt_free(b), kt_free(c), kt_free(y);
}

/* Every transposition with every C form, single rows and columns, B rows that alias in the
 * caches (N = 512), and a classifier head. */
static void
test_gemm(void)
{
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1;
        check_gemm(5, 3, 7, ta, tb, 1.0f, 1.0f, -1, 0, 0);
        check_gemm(5, 3, 7, ta, tb, 0.5f, 2.0f, 0, 1, 1);  /* scalar */
        check_gemm(5, 3, 7, ta, tb, 0.5f, 2.0f, 1, 1, 3);  /* [N] */
        check_gemm(5, 3, 7, ta, tb, 1.5f, -1.0f, 2, 1, 3); /* [1, N] */
        check_gemm(5, 3, 7, ta, tb, 1.5f, 0.25f, 2, 5, 1); /* [M, 1] */
        check_gemm(5, 3, 7, ta, tb, -2.0f, 3.0f, 2, 5, 3); /* [M, N] */
        check_gemm(67, 129, 33, ta, tb, 0.7f, 0.3f, 1, 1, 129);
        check_gemm(1, 7, 5, ta, tb, 0.5f, 2.0f, 1, 1, 7);
        check_gemm(6, 1, 5, ta, tb, 2.0f, 0.5f, 2, 6, 1);
    }
    check_gemm(4, 6, 5, 0, 1, 1.0f, 0.0f, 2, 4, 6);         /* beta 0: C ignored */
    check_gemm(3, 4, 0, 0, 0, 1.0f, 1.0f, 1, 1, 4);         /* K = 0: beta C alone */
    check_gemm(40, 512, 300, 0, 0, 1.0f, 1.0f, 1, 1, 512);  /* B padded by the GEMM */
    check_gemm(40, 512, 300, 1, 1, 1.0f, 0.5f, 2, 40, 512); /* B' staged with long rows */
    check_gemm(1, 1000, 256, 0, 1, 1.0f, 1.0f, 1, 1, 1000); /* a classifier head */
}

/* A [ra dims] x B [rb dims] with numpy broadcasting; the CPU kernel works out Y's shape's
 * meaning, the test only its dims. */
static void
check_matmul(int ra, const int64_t *adim, int rb, const int64_t *bdim)
{
    int64_t yd[8];
    int pa = ra == 1, pb = rb == 1, ra2 = ra + pa, rb2 = rb + pb, ry = ra2 > rb2 ? ra2 : rb2;
    int yr = 0;
    for (int i = 0; i < ry - 2; i++) { /* the broadcast batch */
        int ia = i - (ry - ra2), ib = i - (ry - rb2);
        int64_t da = ia >= 0 ? adim[ia] : 1, db = ib >= 0 ? bdim[ib] : 1;
        yd[yr++] = da > db ? da : db;
    }
    if (!pa)
        yd[yr++] = adim[ra - 2];
    if (!pb)
        yd[yr++] = bdim[rb - 1];
    RtTensor *a = kt_new(DT_F32, ra, adim), *b = kt_new(DT_F32, rb, bdim);
    RtTensor *y = kt_new(DT_F32, yr, yd);
    kt_fill(a, 8, -1, 1);
    kt_fill(b, 9, -1, 1);
    char name[128];
    int len = snprintf(name, sizeof name, "MatMul [");
    for (int i = 0; i < ra; i++)
        len += snprintf(name + len, sizeof name - (size_t)len, "%s%lld", i ? "," : "",
                        (long long)adim[i]);
    len += snprintf(name + len, sizeof name - (size_t)len, "] x [");
    for (int i = 0; i < rb; i++)
        len += snprintf(name + len, sizeof name - (size_t)len, "%s%lld", i ? "," : "",
                        (long long)bdim[i]);
    snprintf(name + len, sizeof name - (size_t)len, "]");
    RtTensor *in[2] = {a, b};
    Attr at;
    memset(&at, 0, sizeof at);
    par_check(name, OP_MATMUL, &at, in, 2, &y, 1, nchecks++ % 2 ? 2u : 0u, ATOL, RTOL);
    kt_free(a), kt_free(b), kt_free(y);
}

#define MM(a, b) check_matmul((int)(sizeof a / sizeof a[0]), a, (int)(sizeof b / sizeof b[0]), b)

/* 1-D operands on either side, batches broadcast both ways and in the middle (a loop of
 * launches), B without a batch (folded into rows), attention-like heads. */
static void
test_matmul(void)
{
    static const int64_t a34[] = {3, 4}, b45[] = {4, 5}, v4[] = {4}, a1234[] = {2, 1, 3, 4};
    static const int64_t b546[] = {5, 4, 6}, a234[] = {2, 3, 4}, b46[] = {4, 6};
    static const int64_t b246[] = {2, 4, 6}, a734[] = {7, 3, 4}, b145[] = {1, 4, 5};
    static const int64_t q[] = {12, 33, 64}, kt[] = {12, 64, 33}, a31[] = {3, 1, 16, 8};
    static const int64_t b15[] = {1, 5, 8, 16}, big_a[] = {2, 65, 300}, big_b[] = {300, 70};
    static const int64_t ba[] = {2, 130, 300}, bb[] = {2, 300, 70}, h4[] = {2, 3, 1, 5, 7};
    static const int64_t h5[] = {2, 1, 4, 7, 6}, v7[] = {7}, p1[] = {2, 8, 300};
    static const int64_t p2[] = {2, 300, 512}, p3[] = {2, 3, 8, 256}, p4[] = {2, 1, 256, 512};
    MM(a34, b45);
    MM(v4, b45);
    MM(a34, v4);
    MM(v4, v4);
    MM(a1234, b546);
    MM(a234, b46);
    MM(v4, b246);
    MM(a234, v4);
    MM(a734, b145);
    MM(q, kt);
    MM(a31, b15);
    MM(big_a, big_b);
    MM(a34, b246);
    MM(ba, bb);
    MM(h4, h5);
    MM(v7, h5);
    MM(p1, p2); /* B of rows that alias in the caches: padded per product */
    MM(p3, p4); /* ... shared by a batch of 3 */
}

/* ---- the GEMM's general form under every blocking -------------------------------------------- */

/* The activation of ir/attr.h in double, then the affine step (none without an activation). */
static double
ref_act(const Fused *f, double v)
{
    switch (f->act) {
    case ACT_NONE: return v;
    case ACT_RELU: v = v > 0 ? v : 0; break;
    case ACT_CLIP: v = v < f->alpha ? f->alpha : v > f->beta ? f->beta : v; break;
    case ACT_LEAKYRELU: v = v < 0 ? f->alpha * v : v; break;
    case ACT_HARDSIGMOID: v = fmax(0, fmin(1, f->alpha * v + f->beta)); break;
    case ACT_HARDSWISH: v = v * fmax(0, fmin(1, v / 6 + 0.5)); break;
    case ACT_SIGMOID: v = 1 / (1 + exp(-v)); break;
    case ACT_SILU: v = v / (1 + exp(-v)); break;
    }
    return f->affine ? v * f->mul + f->add : v;
}

/* ocl_gemm_cfg with blocking cfg on g (buffers and offsets filled in here, sizes from g, all in
 * one buffer, with an E when has_e) against a double-precision loop: strides, trans_a, a batch, E
 * and the fused activation. The local-memory kernel is not the tuned one on a CPU; this reaches it.
 */
static void
check_gemm_cfg(const OclGemmCfg *cfg, OclGemmArgs g, int has_e, const char *what)
{
    int64_t batch = g.batch > 0 ? g.batch : 1, m = g.m, n = g.n, k = g.k;
    int64_t sam = g.trans_a ? 1 : g.lda, sak = g.trans_a ? g.lda : 1;
    /* sizes of the operands, each over all its products */
    int64_t na = (batch - 1) * g.za + (m ? (m - 1) * sam : 0) + (k ? (k - 1) * sak : 0) + 1;
    int64_t nb = (batch - 1) * g.zb + (k ? (k - 1) * g.ldb : 0) + n + 1;
    int64_t nc = (batch - 1) * g.zc + (m ? (m - 1) * g.ldc : 0) + n + 1;
    int64_t ne = (batch - 1) * g.ze + (m ? (m - 1) * g.ei : 0) + (n ? (n - 1) * g.ej : 0) + 1;
    int64_t tot = 3 + na + nb + nc + ne;
    RtTensor *h = kt_new(DT_F32, 1, &tot);
    kt_fill(h, 77, -1, 1);
    float *hf = h->data, *got = malloc((size_t)nc * 4);
    g.aoff = 1;
    g.boff = g.aoff + na;
    g.coff = g.boff + nb + 1;
    g.eoff = g.coff + nc + 1;
    OclBuf *buf = NULL;
    int ok = ocl_buf_new(par_dev, (size_t)tot * 4, &buf) == RT_OK &&
             ocl_buf_write(par_dev, buf, 0, hf, (size_t)tot * 4) == RT_OK;
    g.a = g.b = g.c = buf ? buf->mem : NULL;
    g.e = has_e ? g.a : NULL;
    ok = ok && ocl_gemm_cfg(par_dev, cfg, &g, NULL) == RT_OK && ocl_finish(par_dev) == RT_OK &&
         ocl_buf_read(par_dev, buf, (size_t)g.coff * 4, got, (size_t)nc * 4) == RT_OK;
    double worst = 0;
    for (int64_t z = 0; ok && z < batch; z++) {
        for (int64_t i = 0; i < m; i++) {
            for (int64_t j = 0; j < n; j++) {
                double acc = 0, mag = 1;
                for (int64_t l = 0; l < k; l++) {
                    double p = (double)hf[g.aoff + z * g.za + i * sam + l * sak] *
                               hf[g.boff + z * g.zb + l * g.ldb + j];
                    acc += p;
                    mag += fabs(p);
                }
                acc *= g.alpha;
                if (g.e)
                    acc += g.beta * hf[g.eoff + z * g.ze + i * g.ei + j * g.ej];
                double want = g.fuse ? ref_act(g.fuse, acc) : acc;
                double e = fabs(got[z * g.zc + i * g.ldc + j] - want) / mag;
                worst = e > worst || isnan(e) ? (isnan(e) ? INFINITY : e) : worst;
            }
        }
    }
    /* columns between rows of C (ldc > n) and past the last product stay untouched */
    for (int64_t z = 0; ok && z < batch; z++)
        for (int64_t i = 0; i + 1 < m; i++)
            for (int64_t j = n; j < g.ldc && z * g.zc + i * g.ldc + j < nc; j++)
                ok &= got[z * g.zc + i * g.ldc + j] == hf[g.coff + z * g.zc + i * g.ldc + j];
    if (!ok || worst > 1e-5)
        fprintf(stderr, "gemm blocking %d/%dx%dx%d/%dx%dx%d %s: %s (relative error %g)\n",
                cfg->local, cfg->tm, cfg->tn, cfg->tk, cfg->wm, cfg->vw, cfg->nv, what,
                ok ? "wrong" : rt_ctx_error(par_ctx), worst);
    CHECK(ok && worst <= 1e-5);
    ocl_buf_free(par_dev, buf);
    free(got);
    kt_free(h);
}

/* Every blocking the device may pick, and two a GPU would: padded rows, a transposed A, batches, E
 * per row, per column, in full and none, blocks across both edges, N under a block, M under a
 * block, K = 0. */
static void
test_gemm_blockings(void)
{
    static const Fused relu = {.act = ACT_RELU}, sig = {.act = ACT_SIGMOID};
    static const Fused hsw = {.act = ACT_HARDSWISH, .affine = 1, .mul = -2.0f, .add = 0.5f};
    const struct {
        const char *what;
        int has_e;
        OclGemmArgs g;
    } cases[] = {
        {"rows padded, batch 2, bias per row",
         1,
         {.m = 37,
          .n = 75,
          .k = 50,
          .batch = 2,
          .lda = 53,
          .ldb = 80,
          .ldc = 77,
          .ei = 1,
          .za = 37 * 53 + 5,
          .zb = 50 * 80 + 3,
          .zc = 37 * 77 + 9,
          .ze = 40,
          .alpha = 0.5f,
          .beta = 1.0f,
          .fuse = &relu}},
        {"trans_a, narrower than a block, full E",
         1,
         {.m = 5,
          .n = 3,
          .k = 7,
          .trans_a = 1,
          .lda = 5,
          .ldb = 3,
          .ldc = 3,
          .ei = 3,
          .ej = 1,
          .alpha = 1.0f,
          .beta = 2.0f,
          .fuse = &sig}},
        {"K = 0, E per column",
         1,
         {.m = 3,
          .n = 40,
          .k = 0,
          .lda = 1,
          .ldb = 40,
          .ldc = 40,
          .ej = 1,
          .alpha = 1.0f,
          .beta = 0.5f,
          .fuse = &hsw}},
        {"trans_a deep, both edges, plain",
         0,
         {.m = 70,
          .n = 133,
          .k = 260,
          .trans_a = 1,
          .lda = 71,
          .ldb = 133,
          .ldc = 133,
          .alpha = 1.0f}},
        {"one row, batch 3 sharing A",
         0,
         {.m = 1,
          .n = 100,
          .k = 33,
          .batch = 3,
          .lda = 33,
          .ldb = 100,
          .ldc = 100,
          .zb = 3300,
          .zc = 100,
          .alpha = -1.5f}},
    };
    /* the device's candidates, then two of a GPU's (ocl_gemm_candidates): local memory with
     * the accumulators in registers across barriers, and direct float4 blocks */
    OclGemmCfg cand[18];
    int ncand = ocl_gemm_candidates(par_dev, cand, 16);
    ncand = ncand < 16 ? ncand : 16;
    cand[ncand++] = (OclGemmCfg){1, 64, 64, 16, 4, 4, 1, 0};
    cand[ncand++] = (OclGemmCfg){0, 32, 32, 4, 4, 4, 1, 0};
    for (int c = 0; c < ncand; c++)
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
            check_gemm_cfg(&cand[c], cases[i].g, cases[i].has_e, cases[i].what);
}

/* ---- fused activations ----------------------------------------------------------------------- */

/* Every activation, two with an affine step, on each Conv method, ConvTranspose and Gemm. */
static void
test_fused(void)
{
    const Fused kinds[] = {
        {.act = ACT_RELU},
        {.act = ACT_CLIP, .alpha = -0.5f, .beta = 0.75f},
        {.act = ACT_LEAKYRELU, .alpha = 0.1f},
        {.act = ACT_HARDSIGMOID, .alpha = 0.2f, .beta = 0.5f},
        {.act = ACT_HARDSWISH},
        {.act = ACT_SIGMOID},
        {.act = ACT_SILU},
        {.act = ACT_RELU, .affine = 1, .mul = 0.5f, .add = -0.25f},
        {.act = ACT_HARDSWISH, .affine = 1, .mul = -2.0f, .add = 0.125f},
        {.act = ACT_NONE, .affine = 1, .mul = 3.0f, .add = 1.0f}, /* no activation: no affine */
    };
    const ConvCase conv[] = {
        {.name = "fused 3x3", 2, 1, 3, 5, 1, {7, 9}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "fused 3x3 deep", 2, 1, 40, 20, 1, {9, 13}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "fused 1x1", 2, 2, 32, 40, 1, {8, 9}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "fused depthwise", 2, 1, 8, 8, 8, {13, 11}, {3, 3}, S2, NULL, P1, 0, 1},
    };
    const ConvCase convt = {.name = "fused", 2, 1, 4, 3, 1, {5, 6}, {3, 3}, S2, NULL, P1, 0, 1};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        fuse = kinds[k];
        for (size_t i = 0; i < sizeof conv / sizeof *conv; i++)
            check_conv(&conv[i], 0);
        check_conv(&convt, 1);
        check_gemm(5, 3, 7, 0, 0, 1.0f, 1.0f, 1, 1, 3);
        check_gemm(64, 80, 128, 1, 0, 0.5f, 1.0f, 2, 64, 1);
        check_gemm(1, 300, 40, 0, 1, 1.0f, 1.0f, 1, 1, 300);
    }
    fuse = (Fused){.act = ACT_NONE};
}

/* Other dtypes are refused with RT_EUNSUPPORTED, not computed. */
static void
test_dtypes(void)
{
    OclTensor t = {.dt = DT_I64, .rank = 4, .dim = {1, 1, 3, 3}};
    OclTensor *in[2] = {&t, &t}, *out[1] = {&t};
    Attr a;
    memset(&a, 0, sizeof a);
    a.conv.group = 1;
    CHECK(ocl_op_conv(par_dev, &a, in, 2, out, 1) == RT_EUNSUPPORTED);
    CHECK(ocl_op_convtranspose(par_dev, &a, in, 2, out, 1) == RT_EUNSUPPORTED);
    CHECK(ocl_op_gemm(par_dev, &a, in, 2, out, 1) == RT_EUNSUPPORTED);
    CHECK(ocl_op_matmul(par_dev, &a, in, 2, out, 1) == RT_EUNSUPPORTED);
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
    par_open();
    /* the tables (cpu/table.c, opencl/table.c) hold weak references only, so a static link takes
     * a kernel's object only when something names it: these checks do */
    CHECK(cpu_kernel[OP_CONV] == cpu_conv && cpu_kernel[OP_CONVTRANSPOSE] == cpu_convtranspose);
    CHECK(cpu_kernel[OP_GEMM] == cpu_gemm && cpu_kernel[OP_MATMUL] == cpu_matmul);
    CHECK(ocl_op[OP_CONV] == ocl_op_conv && ocl_op[OP_CONVTRANSPOSE] == ocl_op_convtranspose);
    CHECK(ocl_op[OP_GEMM] == ocl_op_gemm && ocl_op[OP_MATMUL] == ocl_op_matmul);
    double t0 = now_ms();
    test_conv();
    double t1 = now_ms();
    test_convt();
    test_gemm();
    test_matmul();
    test_gemm_blockings();
    double t2 = now_ms();
    test_fused();
    test_dtypes();
    printf("conv %.0f ms, convtranspose + gemm + matmul %.0f ms, fused %.0f ms\n", t1 - t0, t2 - t1,
           now_ms() - t2);
    return par_close();
}
