/*
 * test_cpu_norm.c: BatchNormalization, InstanceNormalization, LayerNormalization, LRN and the
 * softmax family (runtime/cpu/norm.c) against references written from the ONNX spec in double:
 * one loop per element over its group for the statistics, the channel window of LRN, and the
 * softmax of each [len] fibre along the axis (or of each flattened row with coerce2d). Every
 * kernel runs in a 1-thread and a 2-thread context. Cases cover odd sizes, every axis (negative
 * too), LayerNorm's broadcast Scale/B and its Mean and InvStdDev outputs, even and odd LRN
 * sizes, and Hardmax ties.
 */
#include "../kernels/ktest.h"

#define ATOL 1e-5
#define RTOL 1e-5

static RtCtx *ctx1, *ctx2;

/* Runs k on both contexts; output j is compared with want[j] where want[j] is not NULL. */
static void
run_both(const char *what, RtKernel k, const Attr *a, RtTensor *const *in, int nin,
         RtTensor *const *out, int nout, float *const *want)
{
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int t = 0; t < 2; t++) {
        char name[160];
        snprintf(name, sizeof name, "%s (%d thread%s)", what, t + 1, t ? "s" : "");
        for (int j = 0; j < nout; j++)
            if (out[j])
                memset(out[j]->data, 0xff, (size_t)rt_numel(out[j]) * sizeof(float));
        int st = k(ctxs[t], a, in, nin, out, nout);
        CHECK(st == RT_OK);
        if (st != RT_OK)
            fprintf(stderr, "%s: %s\n", name, rt_ctx_error(ctxs[t]));
        for (int j = 0; j < nout; j++)
            if (out[j] && want[j])
                CHECK(kt_close(name, out[j]->data, want[j], rt_numel(out[j]), ATOL, RTOL));
    }
}

static RtTensor *
vec(int64_t n, uint32_t seed, float lo, float hi)
{
    RtTensor *t = kt_new(DT_F32, 1, &n);
    kt_fill(t, seed, lo, hi);
    return t;
}

/* ---- BatchNormalization, InstanceNormalization ----------------------------------------------- */

/* BatchNormalization of X [N, C, ...] with random scale, B, mean and a positive var: y = (x -
 * mean) / sqrt(var + eps) * scale + B per channel, then the fused activation fu (Clip, with an
 * affine step after it, when fu is set). */
static void
check_bn(int rank, const int64_t *xd, int fu)
{
    int64_t c = xd[1], planes = xd[0] * xd[1];
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, xd);
    RtTensor *want = kt_new(DT_F32, rank, xd);
    RtTensor *in[5] = {x, vec(c, 2, 0.5f, 2), vec(c, 3, -1, 1), vec(c, 4, -1, 1),
                       vec(c, 5, 0.1f, 3)};
    kt_fill(x, 1, -3, 3);
    float eps = 1e-3f;
    int64_t inner = rt_numel(x) / planes;
    const float *sc = in[1]->data, *b = in[2]->data, *m = in[3]->data, *v = in[4]->data;
    for (int64_t p = 0; p < planes; p++) {
        int64_t ch = p % c;
        for (int64_t j = 0; j < inner; j++) {
            double xv = ((float *)x->data)[p * inner + j];
            double r = (xv - m[ch]) / sqrt((double)v[ch] + (double)eps) * sc[ch] + b[ch];
            if (fu)
                r = (r < -0.5 ? -0.5 : r > 1.5 ? 1.5 : r) * 2 - 1;
            ((float *)want->data)[p * inner + j] = (float)r;
        }
    }
    Attr a = {.norm = {.epsilon = eps}};
    if (fu)
        a.norm.fuse = (Fused){ACT_CLIP, -0.5f, 1.5f, 1, 2.0f, -1.0f};
    char name[64];
    snprintf(name, sizeof name, "BatchNormalization rank %d%s", rank, fu ? " fused" : "");
    run_both(name, cpu_batchnormalization, &a, in, 5, &y, 1, (float *[]){want->data});
    for (int i = 0; i < 5; i++)
        kt_free(in[i]);
    kt_free(y);
    kt_free(want);
}

/* InstanceNormalization: each (n, c) plane normalised by its own mean and (biased) variance,
 * then scaled and shifted per channel. */
static void
check_in(int rank, const int64_t *xd)
{
    int64_t c = xd[1], planes = xd[0] * xd[1];
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, xd);
    RtTensor *want = kt_new(DT_F32, rank, xd);
    RtTensor *in[3] = {x, vec(c, 2, 0.5f, 2), vec(c, 3, -1, 1)};
    kt_fill(x, 11, -2, 4);
    float eps = 1e-5f;
    int64_t inner = rt_numel(x) / planes;
    const float *xp = x->data, *sc = in[1]->data, *b = in[2]->data;
    for (int64_t p = 0; p < planes; p++) {
        double mean = 0, var = 0;
        for (int64_t j = 0; j < inner; j++)
            mean += xp[p * inner + j];
        mean /= (double)inner;
        for (int64_t j = 0; j < inner; j++)
            var += (xp[p * inner + j] - mean) * (xp[p * inner + j] - mean);
        var /= (double)inner;
        for (int64_t j = 0; j < inner; j++)
            ((float *)want->data)[p * inner + j] =
                (float)((xp[p * inner + j] - mean) / sqrt(var + eps) * sc[p % c] + b[p % c]);
    }
    Attr a = {.norm = {.epsilon = eps}};
    char name[64];
    snprintf(name, sizeof name, "InstanceNormalization rank %d", rank);
    run_both(name, cpu_instancenormalization, &a, in, 3, &y, 1, (float *[]){want->data});
    for (int i = 0; i < 3; i++)
        kt_free(in[i]);
    kt_free(y);
    kt_free(want);
}

/* ---- LayerNormalization ---------------------------------------------------------------------- */

/* Element j of p (rank pr, dims pd) broadcast right-aligned to the normalised dims nd[0..r). */
static float
bcast_at(const RtTensor *p, const int64_t *nd, int r, int64_t j)
{
    int64_t off = 0, s = 1;
    for (int i = r - 1; i >= 0; i--) {
        int64_t idx = j % nd[i];
        j /= nd[i];
        int pi = p->rank - (r - i);
        if (pi >= 0 && p->dim[pi] != 1) {
            off += idx * s;
            s *= p->dim[pi];
        }
    }
    return ((const float *)p->data)[off];
}

/* LayerNormalization over dims axis..end, Scale and B of rank sr with dims sd broadcast to them
 * (right-aligned), B omitted unless with_b, Mean and InvStdDev requested when stats. */
static void
check_ln(int rank, const int64_t *xd, int64_t axis, int sr, const int64_t *sd, int with_b,
         int stats)
{
    int ax = (int)(axis < 0 ? axis + rank : axis);
    int64_t md[8] = {0}, outer = 1, inner = 1;
    for (int i = 0; i < rank; i++) {
        md[i] = i < ax ? xd[i] : 1;
        if (i < ax)
            outer *= xd[i];
        else
            inner *= xd[i];
    }
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, xd);
    RtTensor *want = kt_new(DT_F32, rank, xd), *sc = kt_new(DT_F32, sr, sd);
    RtTensor *b = kt_new(DT_F32, sr, sd);
    RtTensor *mean = kt_new(DT_F32, rank, md), *inv = kt_new(DT_F32, rank, md);
    RtTensor *wmean = kt_new(DT_F32, rank, md), *winv = kt_new(DT_F32, rank, md);
    kt_fill(x, 21, -1, 3);
    kt_fill(sc, 22, 0.5f, 1.5f);
    kt_fill(b, 23, -1, 1);
    const float *xp = x->data;
    for (int64_t o = 0; o < outer; o++) {
        double m = 0, v = 0;
        for (int64_t j = 0; j < inner; j++)
            m += xp[o * inner + j];
        m /= (double)inner;
        for (int64_t j = 0; j < inner; j++)
            v += (xp[o * inner + j] - m) * (xp[o * inner + j] - m);
        double is = 1.0 / sqrt(v / (double)inner + 1e-5);
        for (int64_t j = 0; j < inner; j++) {
            double r = (xp[o * inner + j] - m) * is * bcast_at(sc, xd + ax, rank - ax, j);
            if (with_b)
                r += bcast_at(b, xd + ax, rank - ax, j);
            ((float *)want->data)[o * inner + j] = (float)r;
        }
        ((float *)wmean->data)[o] = (float)m;
        ((float *)winv->data)[o] = (float)is;
    }
    Attr a = {.norm = {.epsilon = 1e-5f, .axis = axis}};
    RtTensor *in[3] = {x, sc, with_b ? b : NULL};
    RtTensor *out[3] = {y, stats ? mean : NULL, stats ? inv : NULL};
    char name[96];
    snprintf(name, sizeof name, "LayerNormalization axis %lld scale rank %d%s%s", (long long)axis,
             sr, with_b ? " +B" : "", stats ? " +stats" : "");
    run_both(name, cpu_layernormalization, &a, in, with_b ? 3 : 2, out, 3,
             (float *[]){want->data, wmean->data, winv->data});
    RtTensor *all[] = {x, y, want, sc, b, mean, inv, wmean, winv};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        kt_free(all[i]);
}

/* ---- LRN ------------------------------------------------------------------------------------- */

/* LRN across channels: the square sum over c - floor((size - 1) / 2) .. c + ceil((size - 1) / 2),
 * clipped to [0, C). */
static void
check_lrn(const int64_t *xd, int64_t size, float beta)
{
    RtTensor *x = kt_new(DT_F32, 4, xd), *y = kt_new(DT_F32, 4, xd), *want = kt_new(DT_F32, 4, xd);
    kt_fill(x, 31, -2, 2);
    float alpha = 2e-2f, bias = 1.5f;
    int64_t c = xd[1], inner = xd[2] * xd[3];
    const float *xp = x->data;
    for (int64_t n = 0; n < xd[0]; n++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t j = 0; j < inner; j++) {
                double sq = 0;
                for (int64_t cc = ch - (size - 1) / 2; cc <= ch + size / 2; cc++)
                    if (cc >= 0 && cc < c) {
                        double v = xp[(n * c + cc) * inner + j];
                        sq += v * v;
                    }
                double v = xp[(n * c + ch) * inner + j];
                ((float *)want->data)[(n * c + ch) * inner + j] =
                    (float)(v / pow(bias + alpha / (double)size * sq, beta));
            }
    Attr a = {.lrn = {.alpha = alpha, .beta = beta, .bias = bias, .size = size}};
    char name[64];
    snprintf(name, sizeof name, "LRN size %lld beta %g", (long long)size, (double)beta);
    run_both(name, cpu_lrn, &a, &x, 1, &y, 1, (float *[]){want->data});
    kt_free(x);
    kt_free(y);
    kt_free(want);
}

/* ---- Softmax, LogSoftmax, Hardmax ------------------------------------------------------------ */

/* Softmax, LogSoftmax and Hardmax along axis (coerce2d: over the flattened dims from axis on);
 * ties rounds the data to few values, so that Hardmax must pick the first maximum. */
static void
check_soft(int rank, const int64_t *xd, int64_t axis, int coerce2d, int ties)
{
    int ax = (int)(axis < 0 ? axis + rank : axis);
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < rank; i++) {
        if (i < ax)
            outer *= xd[i];
        else if (i == ax || coerce2d)
            len *= xd[i];
        else
            inner *= xd[i];
    }
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, xd);
    RtTensor *ws = kt_new(DT_F32, rank, xd), *wl = kt_new(DT_F32, rank, xd);
    RtTensor *wh = kt_new(DT_F32, rank, xd);
    kt_fill(x, 41, -5, 5);
    float *xp = x->data;
    if (ties)
        for (int64_t i = 0; i < rt_numel(x); i++)
            xp[i] = roundf(xp[i] / 3);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            const float *xf = xp + o * len * inner + j;
            double mx = -INFINITY, sum = 0;
            int64_t at = 0;
            for (int64_t l = 0; l < len; l++)
                if (xf[l * inner] > mx) {
                    mx = xf[l * inner];
                    at = l;
                }
            for (int64_t l = 0; l < len; l++)
                sum += exp(xf[l * inner] - mx);
            for (int64_t l = 0; l < len; l++) {
                int64_t k = o * len * inner + l * inner + j;
                ((float *)ws->data)[k] = (float)(exp(xp[k] - mx) / sum);
                ((float *)wl->data)[k] = (float)(xp[k] - mx - log(sum));
                ((float *)wh->data)[k] = l == at ? 1.0f : 0.0f;
            }
        }
    Attr a = {.axis = {.axis = axis, .coerce2d = coerce2d}};
    char name[96];
    snprintf(name, sizeof name, "softmax family rank %d axis %lld%s%s", rank, (long long)axis,
             coerce2d ? " coerce2d" : "", ties ? " ties" : "");
    run_both(name, cpu_softmax, &a, &x, 1, &y, 1, (float *[]){ws->data});
    run_both(name, cpu_logsoftmax, &a, &x, 1, &y, 1, (float *[]){wl->data});
    run_both(name, cpu_hardmax, &a, &x, 1, &y, 1, (float *[]){wh->data});
    kt_free(x);
    kt_free(y);
    kt_free(ws);
    kt_free(wl);
    kt_free(wh);
}

/* Forms the kernels do not handle give RT_EUNSUPPORTED, never a crash. */
static void
check_errors(void)
{
    int64_t xd[3] = {2, 4, 5}, bad = 3;
    RtTensor *x = kt_new(DT_F32, 3, xd), *y = kt_new(DT_F32, 3, xd), *sc = kt_new(DT_F32, 1, &bad);
    RtTensor *xd64 = kt_new(DT_F64, 3, xd), *in[2] = {x, sc};
    Attr a = {.norm = {.epsilon = 1e-5f, .axis = 1}};
    CHECK(cpu_layernormalization(ctx1, &a, in, 2, &y, 1) == RT_EUNSUPPORTED);
    Attr s = {.axis = {.axis = 1}};
    CHECK(cpu_softmax(ctx1, &s, &xd64, 1, &y, 1) == RT_EUNSUPPORTED);
    s.axis.axis = 3;
    CHECK(cpu_softmax(ctx1, &s, &x, 1, &y, 1) == RT_EUNSUPPORTED);
    kt_free(x);
    kt_free(y);
    kt_free(sc);
    kt_free(xd64);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);

    check_bn(4, (const int64_t[]){2, 5, 7, 9}, 0);
    check_bn(2, (const int64_t[]){3, 4}, 0);
    check_bn(5, (const int64_t[]){2, 3, 4, 5, 6}, 0);
    check_bn(4, (const int64_t[]){2, 64, 28, 28}, 0);
    check_bn(4, (const int64_t[]){2, 5, 7, 9}, 1);
    check_bn(4, (const int64_t[]){1, 64, 28, 28}, 1);
    check_in(4, (const int64_t[]){2, 3, 5, 7});
    check_in(3, (const int64_t[]){1, 4, 5000});
    check_in(3, (const int64_t[]){3, 2, 1});

    static const int64_t ld[4] = {2, 3, 4, 5}, s5[1] = {5}, s45[2] = {4, 5}, s41[2] = {4, 1};
    static const int64_t s345[3] = {3, 4, 5}, s15[2] = {1, 5};
    check_ln(4, ld, -1, 1, s5, 1, 1);
    check_ln(4, ld, -1, 1, s5, 0, 0);
    check_ln(4, ld, 3, 1, s5, 1, 0);
    check_ln(4, ld, 2, 2, s45, 1, 1);
    check_ln(4, ld, -2, 2, s41, 1, 1);
    check_ln(4, ld, -2, 1, s5, 0, 1);
    check_ln(4, ld, 1, 3, s345, 1, 1);
    check_ln(4, ld, 1, 2, s15, 1, 0);
    check_ln(4, ld, 0, 3, s345, 0, 1);
    check_ln(3, (const int64_t[]){4, 33, 768}, -1, 1, (const int64_t[]){768}, 1, 1);

    check_lrn((const int64_t[]){2, 7, 5, 3}, 3, 0.75f);
    check_lrn((const int64_t[]){2, 7, 5, 3}, 4, 0.75f);
    check_lrn((const int64_t[]){1, 9, 4, 4}, 5, 0.6f);
    check_lrn((const int64_t[]){1, 6, 2, 3}, 1, 0.5f);
    check_lrn((const int64_t[]){1, 4, 3, 3}, 6, 0.75f);
    check_lrn((const int64_t[]){2, 16, 23, 23}, 5, 0.75f);

    static const int64_t sd[4] = {3, 4, 5, 6};
    for (int ax = -4; ax < 4; ax++) {
        check_soft(4, sd, ax, 0, 0);
        check_soft(4, sd, ax, 0, 1);
        check_soft(4, sd, ax, 1, 0);
    }
    check_soft(4, sd, 1, 1, 1);
    check_soft(2, (const int64_t[]){2, 3001}, -1, 0, 0);
    check_soft(3, (const int64_t[]){3, 700, 300}, 1, 0, 0);
    check_soft(1, (const int64_t[]){17}, 0, 0, 1);
    check_errors();

    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
