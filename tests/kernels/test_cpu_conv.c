/*
 * test_cpu_conv.c: Conv, ConvTranspose, Gemm and MatMul (runtime/cpu/conv.c, gemm.c) against
 * naive references written from the ONNX spec: N-D loops over every output and kernel position
 * for the convolutions, a scatter of every input for ConvTranspose, and triple loops for the
 * matrix products. The tests work out pads and output shapes themselves (as the compiler would)
 * and run each kernel in a 1-thread and a 2-thread context. A few ConvTranspose results were
 * taken from ONNX Runtime 1.22, to pin down how output_shape and SAME_* split odd padding.
 */
#include "../kernels/ktest.h"

#define ATOL 1e-4
#define RTOL 1e-4

static RtCtx *ctx1, *ctx2;
static Fused fuse; /* the activation the checks fuse in (test_fused), ACT_NONE elsewhere */

/* y = act(y) for the n values of y, from the definitions in ir/attr.h, in double. */
static void
ref_act(const Fused *f, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double v = y[i], r = v;
        switch (f->act) {
        case ACT_NONE: break;
        case ACT_RELU: r = v > 0 ? v : 0; break;
        case ACT_CLIP: r = v < f->alpha ? f->alpha : v > f->beta ? f->beta : v; break;
        case ACT_LEAKYRELU: r = v < 0 ? f->alpha * v : v; break;
        case ACT_HARDSIGMOID: r = fmax(0, fmin(1, f->alpha * v + f->beta)); break;
        case ACT_HARDSWISH: r = v * fmax(0, fmin(1, v / 6 + 0.5)); break;
        case ACT_SIGMOID: r = 1 / (1 + exp(-v)); break;
        case ACT_SILU: r = v / (1 + exp(-v)); break;
        }
        if (f->affine)
            r = r * f->mul + f->add;
        y[i] = (float)r;
    }
}

/* Ints view of an optional attribute array of n values (NULL: not given). */
static Ints
ints(int n, const int64_t *v)
{
    return v ? (Ints){n, v} : (Ints){0, NULL};
}

/* Steps the row-major odometer idx over dim[0..ns); 0 once it wraps around to all zeros. */
static int
next_pos(int64_t *idx, const int64_t *dim, int ns)
{
    for (int i = ns - 1; i >= 0; i--) {
        if (++idx[i] < dim[i])
            return 1;
        idx[i] = 0;
    }
    return 0;
}

static int64_t
prod(const int64_t *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= v[i];
    return p;
}

/* Runs kernel k on a 1-thread and a 2-thread context and compares Y with want each time. Y is
 * filled with NaN first, so an output the kernel forgets to write fails. */
static void
run_both(const char *what, RtKernel k, const Attr *a, RtTensor *const *in, int nin, RtTensor *y,
         const float *want)
{
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int t = 0; t < 2; t++) {
        char name[160];
        snprintf(name, sizeof name, "%s (%d thread%s)", what, t + 1, t ? "s" : "");
        memset(y->data, 0xff, (size_t)rt_numel(y) * sizeof(float));
        int st = k(ctxs[t], a, in, nin, &y, 1);
        CHECK(st == RT_OK);
        if (st != RT_OK)
            fprintf(stderr, "%s: %s\n", name, rt_ctx_error(ctxs[t]));
        CHECK(kt_close(name, y->data, want, rt_numel(y), ATOL, RTOL));
    }
}

/* ---- Conv ------------------------------------------------------------------------------------ */

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

/* Conv's pads and output size along axis i, from the spec. */
static void
conv_axis(const ConvCase *t, int i, int64_t *pb, int64_t *out)
{
    int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1, ek = (t->k[i] - 1) * d + 1;
    int64_t in = t->in[i], pe;
    if (t->ap == PAD_SAME_UPPER || t->ap == PAD_SAME_LOWER) {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + ek - in;
        total = total > 0 ? total : 0;
        *pb = t->ap == PAD_SAME_UPPER ? total / 2 : (total + 1) / 2;
        return;
    }
    *pb = t->ap == PAD_VALID || !t->pads ? 0 : t->pads[i];
    pe = t->ap == PAD_VALID || !t->pads ? 0 : t->pads[t->ns + i];
    *out = (in + *pb + pe - ek) / s + 1;
}

/* Y[n, m, o] = B[m] + sum over c in m's group and kernel positions q of X[n, c, o*s - pb + q*d]
 * W[m, c, q], with X zero outside its bounds. */
static void
ref_conv(const ConvCase *t, const float *x, const float *w, const float *b, float *y,
         const int64_t *pb, const int64_t *out)
{
    int ns = t->ns;
    int64_t cg = t->c / t->group, mg = t->m / t->group;
    int64_t insz = prod(t->in, ns), outsz = prod(out, ns), ksz = prod(t->k, ns);
    for (int64_t n = 0; n < t->n; n++) {
        for (int64_t m = 0; m < t->m; m++) {
            int64_t o[3] = {0}, op = 0;
            do {
                double acc = b ? b[m] : 0.0;
                for (int64_t ci = 0; ci < cg; ci++) {
                    int64_t q[3] = {0}, qp = 0;
                    int64_t c = m / mg * cg + ci;
                    do {
                        int64_t off = 0, inside = 1;
                        for (int i = 0; i < ns; i++) {
                            int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1;
                            int64_t pos = o[i] * s - pb[i] + q[i] * d;
                            inside &= pos >= 0 && pos < t->in[i];
                            off = off * t->in[i] + pos;
                        }
                        if (inside)
                            acc += (double)x[(n * t->c + c) * insz + off] *
                                   w[(m * cg + ci) * ksz + qp];
                        qp++;
                    } while (next_pos(q, t->k, ns));
                }
                y[(n * t->m + m) * outsz + op++] = (float)acc;
            } while (next_pos(o, out, ns));
        }
    }
}

/* Builds the tensors and attributes of a case; dims of Y come from out. */
static void
make_conv(const ConvCase *t, int transpose, const int64_t *out, RtTensor **x, RtTensor **w,
          RtTensor **b, RtTensor **y, Attr *a)
{
    int64_t xd[5] = {t->n, t->c}, wd[5], yd[5] = {t->n, t->m};
    wd[0] = transpose ? t->c : t->m;
    wd[1] = transpose ? t->m / t->group : t->c / t->group;
    for (int i = 0; i < t->ns; i++) {
        xd[2 + i] = t->in[i];
        wd[2 + i] = t->k[i];
        yd[2 + i] = out[i];
    }
    *x = kt_new(DT_F32, 2 + t->ns, xd);
    *w = kt_new(DT_F32, 2 + t->ns, wd);
    *y = kt_new(DT_F32, 2 + t->ns, yd);
    *b = t->bias ? kt_new(DT_F32, 1, &t->m) : NULL;
    kt_fill(*x, 11, -1, 1);
    kt_fill(*w, 23, -1, 1);
    if (*b)
        kt_fill(*b, 37, -1, 1);
    memset(a, 0, sizeof *a);
    a->conv.group = t->group;
    a->conv.kernel = ints(t->ns, t->k);
    a->conv.strides = ints(t->ns, t->s);
    a->conv.dilations = ints(t->ns, t->d);
    a->conv.pads = ints(2 * t->ns, t->pads);
    a->conv.output_padding = ints(t->ns, t->adj);
    a->conv.output_shape = ints(t->noshape ? t->noshape : t->ns, t->oshape);
    a->conv.auto_pad = t->ap;
    a->conv.fuse = fuse;
}

static void
check_conv(const ConvCase *t)
{
    int64_t pb[3], out[3];
    RtTensor *x, *w, *b, *y;
    Attr a;
    for (int i = 0; i < t->ns; i++)
        conv_axis(t, i, &pb[i], &out[i]);
    make_conv(t, 0, out, &x, &w, &b, &y, &a);
    float *want = malloc((size_t)rt_numel(y) * sizeof(float));
    ref_conv(t, x->data, w->data, b ? b->data : NULL, want, pb, out);
    ref_act(&fuse, want, rt_numel(y));
    RtTensor *in[3] = {x, w, b};
    run_both(t->name, cpu_conv, &a, in, b ? 3 : 2, y, want);
    free(want);
    kt_free(x), kt_free(w), kt_free(b), kt_free(y);
}

static const int64_t S2[] = {2, 2, 2}, D2[] = {2, 2, 2}, P1[] = {1, 1, 1, 1, 1, 1};
#define UPPER PAD_SAME_UPPER
#define LOWER PAD_SAME_LOWER
#define VALID PAD_VALID

/* Every Conv method: im2col (strides, asymmetric pads, dilation, groups, SAME_*, VALID, 1-D,
 * 3-D, blocks of columns), pointwise GEMM and GEMV, and depthwise with every stride phase. */
static void
test_conv(void)
{
    static const int64_t pa[] = {0, 1, 2, 1}, p2[] = {2, 2, 2, 2}, s32[] = {3, 2};
    static const int64_t pdw[] = {1, 0, 1, 1}, p1d[] = {2, 1}, s3[] = {3, 3}, s121[] = {1, 2, 1};
    static const int64_t p3d[] = {1, 0, 1, 0, 1, 2}, d112[] = {1, 1, 2}, p7[] = {3, 3, 3, 3};
    static const int64_t p22[] = {2, 2}, s12[] = {1, 2}, s21[] = {2, 1};
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
        {.name = "dw strides 2x1", 2, 2, 3, 3, 3, {12, 11}, {3, 2}, s21, NULL, pa, 0, 0},
        {.name = "dw s2 dilation 2", 2, 1, 4, 4, 4, {15, 13}, {3, 3}, S2, D2, p2, 0, 1},
        {.name = "dw 7x7 map", 2, 1, 40, 40, 40, {7, 7}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "dw pad 2 k2", 2, 1, 3, 3, 3, {5, 6}, {2, 2}, NULL, NULL, p2, 0, 1},
        {.name = "dw multiplier s2", 2, 1, 3, 6, 3, {9, 8}, {3, 3}, S2, NULL, P1, 0, 1},
        {.name = "pointwise batch 2", 2, 2, 16, 24, 1, {9, 7}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "pointwise group 2", 2, 1, 8, 6, 2, {5, 7}, {1, 1}, NULL, NULL, NULL, 0, 0},
        {.name = "pointwise on 1x1", 2, 2, 16, 8, 1, {1, 1}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "pointwise 1x1 g2", 2, 1, 8, 4, 2, {1, 1}, {1, 1}, NULL, NULL, NULL, 0, 0},
        {.name = "1x1 stride 2", 2, 1, 8, 5, 1, {9, 7}, {1, 1}, S2, NULL, NULL, 0, 1},
        {.name = "1x1 pad 1", 2, 1, 3, 5, 1, {4, 5}, {1, 1}, NULL, NULL, P1, 0, 1},
        {.name = "SAME_UPPER k4", 2, 1, 3, 4, 1, {7, 8}, {4, 4}, NULL, NULL, NULL, UPPER, 1},
        {.name = "SAME_LOWER k4", 2, 1, 3, 4, 1, {7, 8}, {4, 4}, NULL, NULL, NULL, LOWER, 1},
        {.name = "SAME_UPPER s2", 2, 1, 3, 4, 1, {8, 9}, {3, 3}, S2, NULL, NULL, UPPER, 0},
        {.name = "SAME_LOWER s2", 2, 1, 3, 4, 1, {8, 9}, {3, 3}, S2, NULL, NULL, LOWER, 0},
        {.name = "VALID s2", 2, 1, 3, 4, 1, {8, 9}, {3, 3}, S2, NULL, NULL, VALID, 1},
        {.name = "1-D", 1, 1, 3, 4, 1, {17}, {5}, s3, D2, p1d, 0, 1},
        {.name = "1-D dw", 1, 2, 4, 4, 4, {15}, {3}, NULL, NULL, p22, 0, 1},
        {.name = "1-D dw s2", 1, 1, 3, 3, 3, {20}, {5}, S2, NULL, p22, 0, 0},
        {.name = "1-D SAME_LOWER", 1, 1, 2, 3, 1, {10}, {4}, s3, NULL, NULL, LOWER, 1},
        {.name = "3-D", 3, 2, 3, 4, 1, {5, 6, 7}, {3, 2, 3}, s121, d112, p3d, 0, 1},
        {.name = "3-D group 2", 3, 1, 4, 4, 2, {4, 5, 6}, {3, 3, 3}, NULL, NULL, P1, 0, 0},
        {.name = "3-D dw", 3, 1, 3, 3, 3, {4, 5, 6}, {3, 3, 3}, S2, NULL, P1, 0, 1},
        {.name = "3-D dw dilated", 3, 1, 2, 2, 2, {6, 5, 7}, {2, 3, 2}, s121, d112, p3d, 0, 1},
        {.name = "3-D pointwise", 3, 1, 5, 3, 1, {3, 4, 5}, {1, 1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "7x7 stride 2 stem", 2, 1, 3, 8, 1, {32, 30}, {7, 7}, S2, NULL, p7, 0, 1},
        {.name = "kernel over input", 2, 1, 2, 3, 1, {2, 2}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "one input channel", 2, 1, 1, 6, 1, {9, 9}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "im2col in blocks", 2, 1, 16, 8, 1, {130, 128}, {3, 3}, NULL, NULL, P1, 0, 1},
        /* the packed GEMM (sgemm.c): K in several blocks, rows past the last whole panel,
         * tails of 1 to 15 columns, shifted views with dilation and asymmetric pads */
        {.name = "shift deep K tail 7", 2, 1, 40, 20, 1, {9, 13}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "shift dilated", 2, 2, 5, 10, 1, {20, 30}, {3, 3}, NULL, D2, p2, 0, 1},
        {.name = "shift asym pads", 2, 1, 6, 17, 1, {11, 23}, {3, 2}, NULL, NULL, pa, 0, 0},
        {.name = "shift 1-D long", 1, 1, 8, 33, 1, {100}, {3}, NULL, NULL, p22, 0, 1},
        {.name = "shift grouped deep", 2, 1, 600, 36, 2, {6, 8}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "col deep K stride 2", 2, 1, 64, 9, 1, {15, 15}, {3, 3}, S2, NULL, P1, 0, 1},
        {.name = "pointwise deep K tail 3", 2, 1, 300, 12, 1, {5, 7}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "pointwise tail 11", 2, 1, 20, 17, 1, {23, 29}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "pointwise tail 1", 2, 2, 24, 40, 1, {7, 7}, {1, 1}, NULL, NULL, NULL, 0, 0},
        {.name = "3x3 on a 1x1 map", 2, 1, 12, 10, 1, {1, 1}, {3, 3}, NULL, NULL, P1, 0, 1},
        /* SHIFT through phase planes: strides 2 and 3, dilation with stride, a 7x7 stem */
        {.name = "phases s2 deep K", 2, 1, 40, 24, 1, {17, 23}, {3, 3}, S2, NULL, P1, 0, 1},
        {.name = "phases s2 dilated", 2, 2, 6, 10, 1, {21, 19}, {3, 3}, S2, D2, p2, 0, 0},
        {.name = "phases s2 asym pads", 2, 1, 5, 9, 1, {16, 15}, {3, 2}, S2, NULL, pa, 0, 1},
        {.name = "phases 7x7 s2 pad 3", 2, 1, 3, 16, 1, {37, 41}, {7, 7}, S2, NULL, p7, 0, 1},
        {.name = "phases 1-D s3", 1, 1, 7, 20, 1, {100}, {5}, s3, NULL, p22, 0, 1},
        {.name = "phases 1x1 s2", 2, 1, 24, 40, 1, {14, 14}, {1, 1}, S2, NULL, NULL, 0, 1},
        {.name = "1-D k3 on length 1", 1, 2, 4, 4, 1, {1}, {3}, NULL, NULL, p22, 0, 1},
        /* stems: few input channels, stride 2; 48 output columns (whole vectors at every
         * level: each row a product straight into Y), both column phases from one pass over
         * each input row, with pads 0, 1, 2 and asymmetric, odd widths, dilation */
        {.name = "stem 3->16 rows", 2, 1, 3, 16, 1, {65, 96}, {3, 3}, S2, NULL, P1, 0, 1},
        {.name = "stem 3->13 odd W", 2, 2, 3, 13, 1, {21, 95}, {3, 3}, S2, NULL, pa, 0, 1},
        {.name = "stem 4->16 no pad", 2, 1, 4, 16, 1, {17, 97}, {3, 3}, S2, NULL, NULL, 0, 0},
        {.name = "stem 16->24 dilated", 2, 1, 16, 24, 1, {19, 97}, {3, 3}, S2, D2, P1, 0, 1},
        {.name = "stem 8->16 pad 2", 2, 1, 8, 16, 1, {15, 98}, {3, 3}, S2, NULL, p2, 0, 1},
        {.name = "stem 3->8 7x7 odd", 2, 1, 3, 8, 1, {20, 101}, {7, 7}, S2, NULL, p7, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_conv(&cases[i]);
}

/* ---- ConvTranspose -----------------------------------------------------------------------------
 */

/* ConvTranspose's pads and output size along axis i, from the spec: explicit pads, or the
 * total padding output_shape (or in * stride for SAME_*) implies, split per auto_pad. */
static void
convt_axis(const ConvCase *t, int i, int64_t *pb, int64_t *out)
{
    int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1, ek = (t->k[i] - 1) * d + 1;
    int64_t adj = t->adj ? t->adj[i] : 0, full = s * (t->in[i] - 1) + adj + ek;
    int same = t->ap == PAD_SAME_UPPER || t->ap == PAD_SAME_LOWER;
    if (t->oshape || same) {
        *out = t->oshape ? t->oshape[t->noshape ? t->noshape - t->ns + i : i] : t->in[i] * s;
        int64_t total = full - *out;
        total = total > 0 ? total : 0; /* output_shape past the natural size: zeros at the end */
        *pb = t->ap == PAD_SAME_UPPER ? total / 2 : total - total / 2;
        return;
    }
    *pb = t->pads && t->ap != PAD_VALID ? t->pads[i] : 0;
    *out = full - *pb - (t->pads && t->ap != PAD_VALID ? t->pads[t->ns + i] : 0);
}

/* Each X[n, c, p] adds X * W[c, mo, q] to Y[n, group(c) * M/group + mo, p*s - pb + q*d]. */
static void
ref_convt(const ConvCase *t, const float *x, const float *w, const float *b, float *y,
          const int64_t *pb, const int64_t *out)
{
    int ns = t->ns;
    int64_t cg = t->c / t->group, mg = t->m / t->group;
    int64_t insz = prod(t->in, ns), outsz = prod(out, ns), ksz = prod(t->k, ns);
    double *acc = calloc((size_t)(t->n * t->m * outsz), sizeof *acc);
    for (int64_t n = 0; n < t->n; n++) {
        for (int64_t c = 0; c < t->c; c++) {
            int64_t p[3] = {0}, pp = 0;
            do {
                double xv = x[(n * t->c + c) * insz + pp++];
                for (int64_t mo = 0; mo < mg; mo++) {
                    int64_t m = c / cg * mg + mo, q[3] = {0}, qp = 0;
                    do {
                        int64_t off = 0, inside = 1;
                        for (int i = 0; i < ns; i++) {
                            int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1;
                            int64_t pos = p[i] * s - pb[i] + q[i] * d;
                            inside &= pos >= 0 && pos < out[i];
                            off = off * out[i] + pos;
                        }
                        if (inside)
                            acc[(n * t->m + m) * outsz + off] += xv * w[(c * mg + mo) * ksz + qp];
                        qp++;
                    } while (next_pos(q, t->k, ns));
                }
            } while (next_pos(p, t->in, ns));
        }
    }
    for (int64_t i = 0; i < t->n * t->m * outsz; i++)
        y[i] = (float)(acc[i] + (b ? b[i / outsz % t->m] : 0.0));
    free(acc);
}

static void
check_convt(const ConvCase *t)
{
    int64_t pb[3], out[3];
    RtTensor *x, *w, *b, *y;
    Attr a;
    for (int i = 0; i < t->ns; i++)
        convt_axis(t, i, &pb[i], &out[i]);
    make_conv(t, 1, out, &x, &w, &b, &y, &a);
    float *want = malloc((size_t)rt_numel(y) * sizeof(float));
    ref_convt(t, x->data, w->data, b ? b->data : NULL, want, pb, out);
    ref_act(&fuse, want, rt_numel(y));
    RtTensor *in[3] = {x, w, b};
    run_both(t->name, cpu_convtranspose, &a, in, b ? 3 : 2, y, want);
    free(want);
    kt_free(x), kt_free(w), kt_free(b), kt_free(y);
}

/* 1-D X = [1, 2, 3], W = ones(3), stride 2: the results ONNX Runtime 1.22 gives. */
static void
check_convt_ort(const char *what, AutoPad ap, int64_t oshape, const float *want, int64_t n)
{
    static const int64_t s[] = {2};
    int64_t xd[] = {1, 1, 3}, wd[] = {1, 1, 3}, yd[] = {1, 1, n};
    RtTensor *x = kt_new(DT_F32, 3, xd), *w = kt_new(DT_F32, 3, wd), *y = kt_new(DT_F32, 3, yd);
    for (int i = 0; i < 3; i++) {
        ((float *)x->data)[i] = (float)(i + 1);
        ((float *)w->data)[i] = 1.0f;
    }
    Attr a;
    memset(&a, 0, sizeof a);
    a.conv.group = 1;
    a.conv.strides = ints(1, s);
    a.conv.output_shape = ints(1, oshape ? &oshape : NULL);
    a.conv.auto_pad = ap;
    RtTensor *in[2] = {x, w};
    run_both(what, cpu_convtranspose, &a, in, 2, y, want);
    kt_free(x), kt_free(w), kt_free(y);
}

/* ConvTranspose from explicit pads, output_padding, output_shape (both lengths) and auto_pad,
 * with groups, dilation, 1-D and 3-D, then the ONNX Runtime results. */
static void
test_convt(void)
{
    static const int64_t s32[] = {3, 2}, p12[] = {1, 2, 1, 2}, a11[] = {1, 1}, a1[] = {1};
    static const int64_t o1d[] = {12}, s3[] = {3}, o2d[] = {2, 6, 9, 10}, s1[] = {1, 1};
    static const int64_t oshort[] = {8}, pa[] = {0, 1, 2, 0};
    /* as for Conv, then output_padding, output_shape and its length if it is N, C, spatial */
    const ConvCase cases[] = {
        {.name = "convt 3x3", 2, 1, 3, 2, 1, {4, 5}, {3, 3}, NULL, NULL, NULL, 0, 0},
        {.name = "convt s2 pads adj", 2, 2, 3, 4, 1, {5, 4}, {3, 3}, S2, NULL, P1, 0, 1, a11},
        {.name = "convt s3x2 pads 1,2", 2, 1, 1, 2, 1, {3, 3}, {3, 3}, s32, NULL, p12, 0, 0},
        {.name = "convt asym pads", 2, 1, 2, 3, 1, {4, 5}, {3, 4}, S2, NULL, pa, 0, 1},
        {.name = "convt group 2", 2, 1, 4, 6, 2, {5, 6}, {4, 4}, S2, NULL, P1, 0, 1},
        {.name = "convt dilation 2", 2, 1, 3, 2, 1, {4, 5}, {3, 3}, S2, D2, P1, 0, 1},
        {.name = "convt depthwise", 2, 2, 4, 4, 4, {5, 5}, {3, 3}, S2, NULL, P1, 0, 1, a11},
        {.name = "convt 1-D output_shape", 1, 1, 2, 3, 1, {5}, {4}, s3, NULL, NULL, 0, 1, a1, o1d},
        {.name = "convt 1-D short", 1, 1, 2, 3, 1, {5}, {3}, S2, NULL, NULL, 0, 0, NULL, oshort},
        {.name = "convt SAME_UPPER", 2, 1, 2, 3, 1, {4, 5}, {3, 4}, S2, NULL, NULL, UPPER, 1},
        {.name = "convt SAME_LOWER", 2, 1, 2, 3, 1, {4, 5}, {3, 4}, S2, NULL, NULL, LOWER, 1},
        {.name = "convt VALID", 2, 1, 2, 3, 1, {4, 5}, {3, 3}, S2, NULL, NULL, VALID, 0},
        {.name = "convt NCHW shape",
         2,
         2,
         2,
         2,
         1,
         {4, 5},
         {3, 3},
         S2,
         NULL,
         NULL,
         0,
         1,
         0,
         o2d,
         4},
        {.name = "convt stride 1 pads", 2, 1, 3, 3, 1, {5, 6}, {3, 3}, s1, NULL, P1, 0, 1},
        {.name = "convt 3-D k2 s2", 3, 1, 3, 2, 1, {3, 4, 5}, {2, 2, 2}, S2, NULL, NULL, 0, 1},
        {.name = "convt 3-D dilated", 3, 1, 2, 4, 2, {3, 3, 4}, {3, 2, 3}, S2, D2, P1, 0, 0},
        {.name = "convt in blocks", 2, 1, 4, 8, 1, {130, 130}, {4, 4}, S2, NULL, P1, 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_convt(&cases[i]);

    static const float nat[] = {1, 1, 3, 2, 5, 3, 3}, upper[] = {1, 1, 3, 2, 5, 3};
    static const float lower[] = {1, 3, 2, 5, 3, 3}, longer[] = {1, 1, 3, 2, 5, 3, 3, 0, 0};
    check_convt_ort("ort: natural", PAD_NOTSET, 0, nat, 7);
    check_convt_ort("ort: SAME_UPPER", PAD_SAME_UPPER, 0, upper, 6);
    check_convt_ort("ort: SAME_LOWER", PAD_SAME_LOWER, 0, lower, 6);
    check_convt_ort("ort: output_shape 6 SAME_UPPER", PAD_SAME_UPPER, 6, upper, 6);
    check_convt_ort("ort: output_shape 6", PAD_NOTSET, 6, lower, 6);
    check_convt_ort("ort: output_shape 9", PAD_NOTSET, 9, longer, 9);
}

/* ---- Gemm ------------------------------------------------------------------------------------ */

/* Y = alpha * A' B' + beta * C, with C [cm, cn] broadcast to [M, N] (crank 0..2, -1: none). */
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
    const float *pa = a->data, *pb = b->data, *pc = c ? c->data : NULL;
    float *want = malloc((size_t)(m * n) * sizeof(float));
    /* A' is A [K, M] read transposed when ta, B' likewise; C's dims of 1 repeat */
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < n; j++) {
            double acc = 0;
            for (int64_t l = 0; l < k; l++)
                acc += (double)(ta ? pa[l * m + i] : pa[i * k + l]) *
                       (tb ? pb[j * k + l] : pb[l * n + j]);
            double cv = pc ? pc[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)] : 0.0;
            want[i * n + j] = (float)(alpha * acc + beta * cv);
        }
    }
    Attr at;
    memset(&at, 0, sizeof at);
    at.gemm = (GemmAttr){.alpha = alpha, .beta = beta, .trans_a = ta, .trans_b = tb, .fuse = fuse};
    ref_act(&fuse, want, m * n);
    char name[128];
    snprintf(name, sizeof name,
             "gemm %lldx%lldx%lld trans %d%d alpha %g beta %g C rank %d [%lld,%lld]", (long long)m,
             (long long)n, (long long)k, ta, tb, (double)alpha, (double)beta, crank, (long long)cm,
             (long long)cn);
    RtTensor *in[3] = {a, b, c};
    run_both(name, cpu_gemm, &at, in, c ? 3 : 2, y, want);
    free(want);
    kt_free(a), kt_free(b), kt_free(c), kt_free(y);
}

/* Every transposition, alpha and beta, each C form, the sgemv forms, and a classifier head. */
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
    }
    for (int t = 0; t < 4; t++) { /* a single row or column (sgemv) */
        check_gemm(1, 7, 5, t & 1, t >> 1, 1.0f, 0.0f, -1, 0, 0);
        check_gemm(1, 7, 5, t & 1, t >> 1, 0.5f, 2.0f, 1, 1, 7);
        check_gemm(6, 1, 5, t & 1, t >> 1, 1.0f, 0.0f, -1, 0, 0);
        check_gemm(6, 1, 5, t & 1, t >> 1, 2.0f, 0.5f, 2, 6, 1);
    }
    check_gemm(4, 6, 5, 0, 1, 1.0f, 0.0f, 2, 4, 6);         /* beta 0: C ignored */
    check_gemm(1, 1000, 256, 0, 1, 1.0f, 1.0f, 1, 1, 1000); /* a classifier head */
}

/* ---- MatMul ---------------------------------------------------------------------------------- */

/* A [ra dims] x B [rb dims] with numpy broadcasting, checked against a direct loop. */
static void
check_matmul(int ra, const int64_t *adim, int rb, const int64_t *bdim)
{
    int64_t ad[8], bd[8], yd[8];
    int pa = ra == 1, pb = rb == 1; /* 1-D operands: a 1 prepended to A, appended to B */
    int ra2 = ra + pa, rb2 = rb + pb, ry = ra2 > rb2 ? ra2 : rb2, nb = ry - 2, yr = 0;
    for (int i = 0; i < ra; i++)
        ad[i + pa] = adim[i];
    for (int i = 0; i < rb; i++)
        bd[i] = bdim[i];
    ad[0] = pa ? 1 : ad[0];
    bd[rb2 - 1] = pb ? 1 : bd[rb2 - 1];
    int64_t m = ad[ra2 - 2], k = ad[ra2 - 1], n = bd[rb2 - 1], full[8], batch = 1;
    /* Y: the broadcast batch, then M unless A was 1-D, then N unless B was 1-D */
    for (int i = 0; i < nb; i++) {
        int ia = i - (ry - ra2), ib = i - (ry - rb2);
        int64_t da = ia >= 0 ? ad[ia] : 1, db = ib >= 0 ? bd[ib] : 1;
        full[i] = da > db ? da : db;
        yd[yr++] = full[i];
        batch *= full[i];
    }
    if (!pa)
        yd[yr++] = m;
    if (!pb)
        yd[yr++] = n;
    RtTensor *a = kt_new(DT_F32, ra, adim), *b = kt_new(DT_F32, rb, bdim);
    RtTensor *y = kt_new(DT_F32, yr, yd);
    kt_fill(a, 8, -1, 1);
    kt_fill(b, 9, -1, 1);
    float *want = malloc((size_t)(batch * m * n) * sizeof(float));
    const float *xa = a->data, *xb = b->data;
    int64_t idx[8] = {0};
    for (int64_t bi = 0; bi < batch; bi++) {
        int64_t oa = 0, ob = 0; /* row-major offsets of the broadcast batch index */
        for (int i = 0; i < nb; i++) {
            int ia = i - (ry - ra2), ib = i - (ry - rb2);
            if (ia >= 0)
                oa = oa * ad[ia] + (ad[ia] == 1 ? 0 : idx[i]);
            if (ib >= 0)
                ob = ob * bd[ib] + (bd[ib] == 1 ? 0 : idx[i]);
        }
        for (int64_t i = 0; i < m; i++) {
            for (int64_t j = 0; j < n; j++) {
                double acc = 0;
                for (int64_t l = 0; l < k; l++)
                    acc += (double)xa[(oa * m + i) * k + l] * xb[(ob * k + l) * n + j];
                want[(bi * m + i) * n + j] = (float)acc;
            }
        }
        next_pos(idx, full, nb);
    }
    char name[128];
    int len = snprintf(name, sizeof name, "matmul [");
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
    run_both(name, cpu_matmul, &at, in, 2, y, want);
    free(want);
    kt_free(a), kt_free(b), kt_free(y);
}

#define MM(a, b) check_matmul((int)(sizeof a / sizeof a[0]), a, (int)(sizeof b / sizeof b[0]), b)

/* 1-D operands on either side, batch broadcast both ways, B folded into one GEMM, batches
 * spread over threads (12 heads, 2 x 5) or not (7), sgemv inside a batch. */
static void
test_matmul(void)
{
    static const int64_t a34[] = {3, 4}, b45[] = {4, 5}, v4[] = {4}, a1234[] = {2, 1, 3, 4};
    static const int64_t b546[] = {5, 4, 6}, a234[] = {2, 3, 4}, b46[] = {4, 6}, b246[] = {2, 4, 6};
    static const int64_t a734[] = {7, 3, 4}, b145[] = {1, 4, 5}, q[] = {12, 33, 64};
    static const int64_t kt[] = {12, 64, 33}, a31[] = {3, 1, 16, 8}, b15[] = {1, 5, 8, 16};
    static const int64_t big_a[] = {2, 65, 300}, big_b[] = {300, 70}, ba[] = {2, 130, 300};
    static const int64_t bb[] = {2, 300, 70};
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
}

/* A plan's constant weights are packed once per context (rt_derived): the second run reuses the
 * packed copy, and a second context packs its own. */
static void
test_cached_weights(void)
{
    const ConvCase t = {.name = "cached", 2, 1, 12, 20, 1, {9, 11}, {3, 3}, NULL, NULL, P1, 0, 1};
    int64_t pb[3], out[3];
    RtTensor *x, *w, *b, *y;
    Attr a;
    for (int i = 0; i < t.ns; i++)
        conv_axis(&t, i, &pb[i], &out[i]);
    make_conv(&t, 0, out, &x, &w, &b, &y, &a);
    float *want = malloc((size_t)rt_numel(y) * sizeof(float));
    ref_conv(&t, x->data, w->data, b->data, want, pb, out);
    RtCtx *c1 = rt_ctx_new(1), *c2 = rt_ctx_new(2);
    CHECK(c1 && c2);
    RtTensor *in[3] = {x, w, b};
    for (int run = 0; c1 && c2 && run < 4; run++) {
        RtCtx *c = run % 2 ? c2 : c1;
        rt_ctx_consts(c, w->data, (size_t)rt_numel(w) * sizeof(float));
        memset(y->data, 0xff, (size_t)rt_numel(y) * sizeof(float));
        CHECK(cpu_conv(c, &a, in, 3, &y, 1) == RT_OK);
        CHECK(kt_close(run < 2 ? "cached: packing run" : "cached: reusing run", y->data, want,
                       rt_numel(y), ATOL, RTOL));
    }
    rt_ctx_free(c1);
    rt_ctx_free(c2);
    free(want);
    kt_free(x), kt_free(w), kt_free(b), kt_free(y);
}

/* Other dtypes are refused with RT_EUNSUPPORTED, not computed. */
static void
test_dtypes(void)
{
    int64_t xd[] = {1, 1, 3, 3}, md[] = {2, 2};
    RtTensor *x = kt_new(DT_I64, 4, xd), *w = kt_new(DT_I64, 4, xd), *y = kt_new(DT_I64, 4, xd);
    RtTensor *a = kt_new(DT_F64, 2, md), *z = kt_new(DT_F64, 2, md);
    Attr at;
    memset(&at, 0, sizeof at);
    at.conv.group = 1;
    RtTensor *in[3] = {x, w, NULL}, *mm[2] = {a, a};
    CHECK(cpu_conv(ctx1, &at, in, 3, &y, 1) == RT_EUNSUPPORTED);
    CHECK(cpu_convtranspose(ctx1, &at, in, 3, &y, 1) == RT_EUNSUPPORTED);
    at.gemm = (GemmAttr){.alpha = 1.0f, .beta = 1.0f};
    CHECK(cpu_gemm(ctx1, &at, mm, 2, &z, 1) == RT_EUNSUPPORTED);
    CHECK(cpu_matmul(ctx1, &at, mm, 2, &z, 1) == RT_EUNSUPPORTED);
    kt_free(x), kt_free(w), kt_free(y), kt_free(a), kt_free(z);
}

/* Every fused activation on each Conv method (im2col, pointwise GEMM and GEMV, depthwise), small
 * and large enough to be split over threads, on ConvTranspose and on Gemm. */
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
    };
    const ConvCase conv[] = {
        {.name = "fused 3x3", 2, 1, 3, 5, 1, {7, 9}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "fused 3x3 large", 2, 1, 16, 32, 1, {24, 20}, {3, 3}, S2, NULL, P1, 0, 1},
        {.name = "fused 3x3 column blocks", 2, 1, 8, 24, 1, {20, 20}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "fused 3x3 tiny map", 2, 1, 64, 48, 1, {5, 5}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "fused 3x3 deep", 2, 1, 40, 20, 1, {9, 13}, {3, 3}, NULL, NULL, P1, 0, 1},
        {.name = "fused 1x1 tail 2", 2, 1, 24, 20, 1, {6, 3}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "fused 1x1", 2, 2, 32, 40, 1, {24, 28}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "fused 1x1 grouped", 2, 1, 32, 40, 4, {9, 11}, {1, 1}, NULL, NULL, NULL, 0, 0},
        {.name = "fused gemv", 2, 2, 64, 48, 1, {1, 1}, {1, 1}, NULL, NULL, NULL, 0, 1},
        {.name = "fused depthwise", 2, 1, 8, 8, 8, {13, 11}, {3, 3}, S2, NULL, P1, 0, 1},
        {.name = "fused depthwise x2", 2, 2, 6, 12, 6, {9, 10}, {3, 3}, NULL, NULL, P1, 0, 0},
    };
    const ConvCase convt[] = {
        {.name = "fused convT", 2, 1, 4, 3, 1, {5, 6}, {3, 3}, S2, NULL, P1, 0, 1},
        {.name = "fused convT large", 2, 1, 32, 16, 1, {16, 16}, {4, 4}, S2, NULL, P1, 0, 1},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        fuse = kinds[k];
        for (size_t i = 0; i < sizeof conv / sizeof *conv; i++)
            check_conv(&conv[i]);
        for (size_t i = 0; i < sizeof convt / sizeof *convt; i++)
            check_convt(&convt[i]);
        check_gemm(5, 3, 7, 0, 0, 1.0f, 1.0f, 1, 1, 3);
        check_gemm(64, 80, 128, 1, 0, 0.5f, 1.0f, 2, 64, 1);
        check_gemm(200, 24, 160, 0, 1, 1.0f, 1.0f, 1, 1, 24);
        check_gemm(1, 300, 40, 0, 1, 1.0f, 1.0f, 1, 1, 300);
    }
    fuse = (Fused){.act = ACT_NONE};
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    CHECK(ctx1 && ctx2);
    if (!ctx1 || !ctx2)
        return TEST_DONE();
    test_conv();
    test_cached_weights();
    test_convt();
    test_gemm();
    test_matmul();
    test_fused();
    test_dtypes();
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
