/*
 * test_cpu_pool.c: AveragePool, MaxPool (with and without Indices), LpPool and the global pools
 * (runtime/cpu/pool.c) against a naive reference written from the ONNX spec: for every output,
 * a loop over every tap of its N-D window, counting taps inside the input and inside the
 * explicitly padded input for the average's divisor. The test works out pads and output shapes
 * as the compiler does (ceil_mode's last window must start inside the input or the left pad)
 * and runs each kernel in a 1-thread and a 2-thread context. A few results come from the ONNX
 * operator docs and from PyTorch / ONNX Runtime, to pin down ceil_mode with count_include_pad
 * and the storage order of MaxPool's indices.
 */
#include "../kernels/ktest.h"

#include <float.h>

#define ATOL 1e-5
#define RTOL 1e-5

static RtCtx *ctx1, *ctx2;

typedef enum Kind { K_AVG, K_MAX, K_LP } Kind;

typedef struct PoolCase {
    const char *name;
    int ns; /* spatial axes */
    int64_t n, c, in[3], k[3];
    const int64_t *s, *d, *pads; /* NULL: attribute not given */
    AutoPad ap;
    int ceil;
} PoolCase;

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

/* Pads and output size along axis i, from the spec (as the compiler's shape inference). */
static void
pool_axis(const PoolCase *t, int i, int64_t *pb, int64_t *pe, int64_t *out)
{
    int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1, ek = (t->k[i] - 1) * d + 1;
    int64_t in = t->in[i];
    if (t->ap == PAD_SAME_UPPER || t->ap == PAD_SAME_LOWER) {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + ek - in;
        total = total < 0 ? 0 : total;
        *pb = t->ap == PAD_SAME_UPPER ? total / 2 : total - total / 2;
        *pe = total - *pb;
        return;
    }
    *pb = t->ap == PAD_VALID || !t->pads ? 0 : t->pads[i];
    *pe = t->ap == PAD_VALID || !t->pads ? 0 : t->pads[t->ns + i];
    int64_t span = in + *pb + *pe, q = (span - ek) / s;
    if (t->ceil) {
        q += (span - ek) % s != 0;
        if (q * s >= in + *pb)
            q--;
    }
    *out = q + 1;
}

/* The reference: every output from every tap of its window. */
static void
ref_pool(const PoolCase *t, Kind kind, int cip, int64_t p, int order, const float *x, float *y,
         int64_t *ind)
{
    int ns = t->ns;
    int64_t pb[3], pe[3], od[3], xplane = 1, yplane = 1;
    for (int i = 0; i < ns; i++) {
        pool_axis(t, i, &pb[i], &pe[i], &od[i]);
        xplane *= t->in[i];
        yplane *= od[i];
    }
    for (int64_t c = 0; c < t->n * t->c; c++) {
        int64_t o[3] = {0}, oi = 0;
        do {
            int64_t tp[3] = {0}, at = -1, cnt_in = 0, cnt_pad = 0;
            double sum = 0;
            float best = -FLT_MAX;
            do {
                int inside = 1, inpad = 1;
                int64_t rm = 0, cm = 0, cs = 1;
                for (int i = 0; i < ns; i++) {
                    int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1;
                    int64_t pos = o[i] * s - pb[i] + tp[i] * d;
                    inside &= pos >= 0 && pos < t->in[i];
                    inpad &= pos >= -pb[i] && pos < t->in[i] + pe[i];
                    rm = rm * t->in[i] + pos;
                    cm += pos * cs;
                    cs *= t->in[i];
                }
                cnt_pad += inpad;
                if (!inside)
                    continue;
                cnt_in++;
                float v = x[c * xplane + rm];
                sum += kind == K_LP ? pow(fabs((double)v), (double)p) : (double)v;
                if (at < 0 || v > best) {
                    best = v;
                    at = order ? cm : rm;
                }
            } while (next_pos(tp, t->k, ns));
            double r = kind == K_MAX  ? (double)best
                       : kind == K_LP ? pow(sum, 1.0 / (double)p)
                                      : sum / (double)(cip ? cnt_pad : cnt_in);
            y[c * yplane + oi] = (float)r;
            if (ind)
                ind[c * yplane + oi] = c * xplane + at;
            oi++;
        } while (next_pos(o, od, ns));
    }
}

/* Runs one pool of case t on a 1- and a 2-thread context against the reference. */
static void
check_pool(const PoolCase *t, Kind kind, int cip, int64_t p, int with_ind, int order)
{
    int64_t xd[5] = {t->n, t->c}, yd[5] = {t->n, t->c}, pb, pe;
    for (int i = 0; i < t->ns; i++) {
        xd[2 + i] = t->in[i];
        pool_axis(t, i, &pb, &pe, &yd[2 + i]);
    }
    RtTensor *x = kt_new(DT_F32, t->ns + 2, xd), *y = kt_new(DT_F32, t->ns + 2, yd);
    RtTensor *ind = kt_new(DT_I64, t->ns + 2, yd), *want = kt_new(DT_F32, t->ns + 2, yd);
    RtTensor *wind = kt_new(DT_I64, t->ns + 2, yd);
    kt_fill(x, 7u + (uint32_t)t->in[0], -2.0f, 2.0f);
    if (kind == K_MAX) { /* repeated values, so that ties pick the first maximum */
        float *xp = x->data;
        for (int64_t i = 0; i < rt_numel(x); i++)
            xp[i] = roundf(xp[i] * 2.0f);
    }
    ref_pool(t, kind, cip, p, order, x->data, want->data, wind->data);
    Attr a = {.pool = {.kernel = ints(t->ns, t->k),
                       .pads = ints(2 * t->ns, t->pads),
                       .strides = ints(t->ns, t->s),
                       .dilations = ints(t->ns, t->d),
                       .auto_pad = t->ap,
                       .ceil_mode = t->ceil,
                       .count_include_pad = cip,
                       .storage_order = order,
                       .p = p}};
    RtKernel k = kind == K_AVG ? cpu_averagepool : kind == K_MAX ? cpu_maxpool : cpu_lppool;
    RtTensor *outs[2] = {y, with_ind ? ind : NULL};
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int th = 0; th < 2; th++) {
        char name[200];
        snprintf(name, sizeof name, "%s %s%s cip=%d p=%lld order=%d (%d thread%s)", t->name,
                 kind == K_AVG   ? "AveragePool"
                 : kind == K_MAX ? "MaxPool"
                                 : "LpPool",
                 with_ind ? "+Indices" : "", cip, (long long)p, order, th + 1, th ? "s" : "");
        memset(y->data, 0xff, (size_t)rt_numel(y) * sizeof(float));
        memset(ind->data, 0xff, (size_t)rt_numel(ind) * sizeof(int64_t));
        int st = k(ctxs[th], &a, &x, 1, outs, 2);
        CHECK(st == RT_OK);
        if (st != RT_OK)
            fprintf(stderr, "%s: %s\n", name, rt_ctx_error(ctxs[th]));
        CHECK(kt_close(name, y->data, want->data, rt_numel(y), ATOL, RTOL));
        if (with_ind) {
            int same = memcmp(ind->data, wind->data, (size_t)rt_numel(ind) * sizeof(int64_t)) == 0;
            CHECK(same);
            if (!same)
                fprintf(stderr, "%s: indices differ\n", name);
        }
    }
    kt_free(x);
    kt_free(y);
    kt_free(ind);
    kt_free(want);
    kt_free(wind);
}

/* ---- cases with known results ---------------------------------------------------------------- */

/* ONNX docs, test_averagepool_2d_ceil: 4x4 of 1..16, kernel 3, stride 2, ceil_mode. */
static void
known_avg_ceil(void)
{
    int64_t xd[4] = {1, 1, 4, 4}, yd[4] = {1, 1, 2, 2}, k[2] = {3, 3}, s[2] = {2, 2};
    RtTensor *x = kt_new(DT_F32, 4, xd), *y = kt_new(DT_F32, 4, yd);
    for (int i = 0; i < 16; i++)
        ((float *)x->data)[i] = (float)(i + 1);
    Attr a = {.pool = {.kernel = {2, k}, .strides = {2, s}, .ceil_mode = 1}};
    const float want[4] = {6, 7.5f, 12, 13.5f};
    CHECK(cpu_averagepool(ctx1, &a, &x, 1, &y, 1) == RT_OK);
    CHECK(kt_close("averagepool_2d_ceil", y->data, want, 4, ATOL, RTOL));
    kt_free(x);
    kt_free(y);
}

/* ceil_mode's overhang is not padding: [1..5], kernel 2, stride 2, count_include_pad; PyTorch
 * and ONNX Runtime give [1.5, 3.5, 5]. With pads 1 (kernel 3, stride 2, ceil) the first window
 * counts its pad: [(0+1+2)/3, (2+3+4)/3, (4+5+0)/3]. */
static void
known_avg_ceil_count_pad(void)
{
    int64_t xd[3] = {1, 1, 5}, yd[3] = {1, 1, 3}, k = 2, s = 2, k3 = 3, pads[2] = {1, 1};
    RtTensor *x = kt_new(DT_F32, 3, xd), *y = kt_new(DT_F32, 3, yd);
    for (int i = 0; i < 5; i++)
        ((float *)x->data)[i] = (float)(i + 1);
    Attr a = {
        .pool = {.kernel = {1, &k}, .strides = {1, &s}, .ceil_mode = 1, .count_include_pad = 1}};
    const float want[3] = {1.5f, 3.5f, 5.0f}, want2[3] = {1.0f, 3.0f, 3.0f};
    CHECK(cpu_averagepool(ctx1, &a, &x, 1, &y, 1) == RT_OK);
    CHECK(kt_close("averagepool ceil overhang", y->data, want, 3, ATOL, RTOL));
    a.pool.kernel = (Ints){1, &k3};
    a.pool.pads = (Ints){2, pads};
    CHECK(cpu_averagepool(ctx1, &a, &x, 1, &y, 1) == RT_OK);
    CHECK(kt_close("averagepool ceil with pads", y->data, want2, 3, ATOL, RTOL));
    kt_free(x);
    kt_free(y);
}

/* ONNX docs, test_maxpool_with_argmax_2d_precomputed_strides: 5x5 of 1..25, kernel 2, stride 2;
 * indices [[6, 16], [8, 18]] with storage_order 1, [[6, 8], [16, 18]] with 0. */
static void
known_max_indices(void)
{
    int64_t xd[4] = {1, 1, 5, 5}, yd[4] = {1, 1, 2, 2}, k[2] = {2, 2}, s[2] = {2, 2};
    RtTensor *x = kt_new(DT_F32, 4, xd), *y = kt_new(DT_F32, 4, yd), *ind = kt_new(DT_I64, 4, yd);
    for (int i = 0; i < 25; i++)
        ((float *)x->data)[i] = (float)(i + 1);
    RtTensor *outs[2] = {y, ind};
    const float want[4] = {7, 9, 17, 19};
    const int64_t want_cm[4] = {6, 16, 8, 18}, want_rm[4] = {6, 8, 16, 18};
    for (int order = 0; order < 2; order++) {
        Attr a = {.pool = {.kernel = {2, k}, .strides = {2, s}, .storage_order = order}};
        CHECK(cpu_maxpool(ctx1, &a, &x, 1, outs, 2) == RT_OK);
        CHECK(kt_close("maxpool_with_argmax", y->data, want, 4, ATOL, RTOL));
        CHECK(memcmp(ind->data, order ? want_cm : want_rm, sizeof want_cm) == 0);
    }
    kt_free(x);
    kt_free(y);
    kt_free(ind);
}

/* ---- global pools ---------------------------------------------------------------------------- */

/* GlobalAveragePool and GlobalMaxPool of X [N, C, ...] (rank 2 too: nothing to pool). */
static void
check_global(int rank, const int64_t *xd)
{
    int64_t yd[5];
    for (int i = 0; i < rank; i++)
        yd[i] = i < 2 ? xd[i] : 1;
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, yd);
    RtTensor *wa = kt_new(DT_F32, rank, yd), *wm = kt_new(DT_F32, rank, yd);
    kt_fill(x, 99, -3.0f, 5.0f);
    int64_t planes = xd[0] * xd[1], n = rt_numel(x) / planes;
    const float *xp = x->data;
    for (int64_t c = 0; c < planes; c++) {
        double s = 0;
        float m = -FLT_MAX;
        for (int64_t i = 0; i < n; i++) {
            s += (double)xp[c * n + i];
            m = xp[c * n + i] > m ? xp[c * n + i] : m;
        }
        ((float *)wa->data)[c] = (float)(s / (double)n);
        ((float *)wm->data)[c] = m;
    }
    Attr a = {0};
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int th = 0; th < 2; th++) {
        char name[80];
        snprintf(name, sizeof name, "global pools rank %d (%d threads)", rank, th + 1);
        CHECK(cpu_globalaveragepool(ctxs[th], &a, &x, 1, &y, 1) == RT_OK);
        CHECK(kt_close(name, y->data, wa->data, planes, ATOL, RTOL));
        CHECK(cpu_globalmaxpool(ctxs[th], &a, &x, 1, &y, 1) == RT_OK);
        CHECK(kt_close(name, y->data, wm->data, planes, ATOL, RTOL));
    }
    kt_free(x);
    kt_free(y);
    kt_free(wa);
    kt_free(wm);
}

/* Forms the kernels do not handle give RT_EUNSUPPORTED, never a crash. */
static void
check_errors(void)
{
    int64_t xd[4] = {1, 1, 4, 4}, k1[1] = {2}, k2[2] = {2, 2};
    RtTensor *x = kt_new(DT_F32, 4, xd), *y = kt_new(DT_F32, 4, xd), *xi = kt_new(DT_I32, 4, xd);
    Attr a = {.pool = {.kernel = {1, k1}}};
    CHECK(cpu_maxpool(ctx1, &a, &x, 1, &y, 1) == RT_EUNSUPPORTED); /* kernel of the wrong rank */
    a.pool.kernel = (Ints){2, k2};
    CHECK(cpu_averagepool(ctx1, &a, &xi, 1, &y, 1) == RT_EUNSUPPORTED);
    CHECK(cpu_globalmaxpool(ctx1, &a, &xi, 1, &y, 1) == RT_EUNSUPPORTED);
    kt_free(x);
    kt_free(y);
    kt_free(xi);
}

int
main(void)
{
    static const int64_t s2[3] = {2, 2, 2}, s21[2] = {2, 1}, s3[3] = {3, 3, 3};
    static const int64_t s212[3] = {2, 1, 2}, d23[2] = {2, 3}, d2[3] = {2, 2, 2};
    static const int64_t p1[6] = {1, 1, 1, 1, 1, 1}, pa[4] = {0, 1, 2, 1};
    static const int64_t pd[4] = {1, 2, 1, 0}, p3d[6] = {1, 0, 1, 0, 1, 1};
    static const int64_t p1d[2] = {1, 2}, pc[4] = {1, 0, 0, 1};
    const PoolCase cases[] = {
        {"2d k3 s2 p1 odd", 2, 1, 3, {9, 11}, {3, 3}, s2, NULL, p1, PAD_NOTSET, 0},
        {"2d k2 s2", 2, 2, 4, {8, 8}, {2, 2}, s2, NULL, NULL, PAD_NOTSET, 0},
        {"2d asym pads", 2, 1, 2, {7, 6}, {3, 2}, s21, NULL, pa, PAD_NOTSET, 0},
        {"2d dilations", 2, 1, 2, {9, 10}, {2, 3}, NULL, d23, pd, PAD_NOTSET, 0},
        {"2d ceil p1", 2, 1, 1, {6, 7}, {3, 3}, s2, NULL, p1, PAD_NOTSET, 1},
        {"2d ceil asym", 2, 1, 2, {8, 9}, {3, 2}, s3, NULL, pc, PAD_NOTSET, 1},
        {"2d ceil dil", 2, 1, 2, {10, 9}, {2, 3}, s2, d23, pd, PAD_NOTSET, 1},
        {"2d same_upper", 2, 1, 2, {7, 8}, {3, 3}, s2, NULL, NULL, PAD_SAME_UPPER, 0},
        {"2d same_upper k2", 2, 1, 2, {5, 6}, {2, 2}, NULL, NULL, NULL, PAD_SAME_UPPER, 0},
        {"2d same_lower", 2, 1, 2, {10, 7}, {4, 4}, s3, NULL, NULL, PAD_SAME_LOWER, 0},
        {"2d same_lower k2", 2, 1, 2, {5, 6}, {2, 2}, NULL, NULL, NULL, PAD_SAME_LOWER, 0},
        {"2d valid", 2, 1, 2, {9, 8}, {3, 3}, s2, NULL, p1, PAD_VALID, 0},
        {"2d stride > kernel", 2, 1, 2, {11, 10}, {2, 2}, s3, NULL, NULL, PAD_NOTSET, 0},
        {"2d window = input", 2, 2, 3, {7, 7}, {7, 7}, NULL, NULL, NULL, PAD_NOTSET, 0},
        {"2d large", 2, 2, 64, {56, 56}, {3, 3}, s2, NULL, p1, PAD_NOTSET, 0},
        {"1d k3 s2 p", 1, 2, 3, {17}, {3}, s2, NULL, p1d, PAD_NOTSET, 0},
        {"1d ceil", 1, 1, 2, {10}, {4}, s3, NULL, NULL, PAD_NOTSET, 1},
        {"1d dil same", 1, 1, 2, {11}, {3}, s2, d2, NULL, PAD_SAME_UPPER, 0},
        {"3d pads", 3, 1, 2, {5, 6, 7}, {2, 3, 2}, s212, NULL, p3d, PAD_NOTSET, 0},
        {"3d ceil dil", 3, 1, 2, {7, 6, 8}, {2, 2, 3}, s2, d2, p1, PAD_NOTSET, 1},
        {"3d same_lower", 3, 2, 3, {5, 4, 6}, {3, 2, 3}, s2, NULL, NULL, PAD_SAME_LOWER, 0},
    };
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    /* every geometry with each pool: average with and without the pads in the divisor, max
     * without and with Indices in both storage orders, Lp with p = 2, 1 and 3 */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const PoolCase *t = &cases[i];
        check_pool(t, K_AVG, 0, 0, 0, 0);
        check_pool(t, K_AVG, 1, 0, 0, 0);
        check_pool(t, K_MAX, 0, 0, 0, 0);
        check_pool(t, K_MAX, 0, 0, 1, 0);
        check_pool(t, K_MAX, 0, 0, 1, 1);
        check_pool(t, K_LP, 0, 2, 0, 0);
        check_pool(t, K_LP, 0, 1, 0, 0);
        check_pool(t, K_LP, 0, 3, 0, 0);
    }
    known_avg_ceil();
    known_avg_ceil_count_pad();
    known_max_indices();
    check_global(4, (const int64_t[]){2, 5, 7, 9});
    check_global(4, (const int64_t[]){1, 2048, 7, 7});
    check_global(3, (const int64_t[]){2, 3, 3001});
    check_global(5, (const int64_t[]){1, 3, 2, 3, 4});
    check_global(2, (const int64_t[]){3, 4});
    check_errors();
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
