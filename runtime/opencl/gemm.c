/*
 * gemm.c: the host side of kernels/gemm.cl: C = A B on an OpenCL device, with the kernel's
 * blocking chosen for the device by timing. The ops (conv.c) use the general form, ocl_gemm:
 * operands at element offsets with their own strides, a batch of products in one launch, and
 * an epilogue (alpha, a broadcast E scaled by beta, the fused activation) applied in the store.
 *
 * The candidates depend on the kind of device. On a CPU (PoCL and the like) a work-item's block
 * is as wide as two of the device's preferred vectors and tall enough to fill about half the
 * vector registers with accumulators; the candidates vary the work-group's shape and include
 * one local-memory kernel. Other devices (GPUs) get small float4 blocks and local-memory tiles.
 * Candidates that do not fit the device's work-group or local memory limits are dropped.
 *
 * Rows of B a multiple of 2 KiB apart map onto few cache sets, so a work-item's column panel of
 * B (K rows) no longer fits in the caches and the GEMM runs at half speed or less; such a B is
 * first copied (clEnqueueCopyBufferRect, on the device) to a scratch buffer whose rows are
 * PAD_B floats longer, which costs one pass over B.
 *
 * On the first ocl_sgemm of a device the tuner times each candidate on two shapes (a square one
 * and a convolution-like one), checks a sample of its results, and keeps the fastest. The choice
 * is written next to the program cache, keyed like the programs (device, driver, platform and
 * the kernel's source), so later runs read it instead of searching.
 */
#include "ocl_impl.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_CANDIDATES = 8, TUNE_ROUNDS = 5, PAD_B = 32 };
enum { EPI_ON = 1, EPI_E = 2 };     /* the epilogue's flags, as in gemm.cl */

/* the shapes timed by the tuner: M, N, K */
static const int tune_shape[][3] = {{256, 256, 256}, {64, 1024, 576}};
enum { NTUNE = sizeof tune_shape / sizeof tune_shape[0] };

static const char tune_magic[] = "hetc-gemm-tune-1";

/* ---- candidates ---------------------------------------------------------------------------- */

static int
lx_of(const OclGemmCfg *c)
{
    return c->tn / (c->vw * c->nv);
}

static int
ly_of(const OclGemmCfg *c)
{
    return c->tm / c->wm;
}

/* 1 when c is a blocking gemm.cl can be built with. */
static int
well_formed(const OclGemmCfg *c)
{
    if (c->vw != 4 && c->vw != 8 && c->vw != 16)
        return 0;
    if (c->wm < 1 || c->wm > 16 || c->nv < 1 || c->nv > 8 || c->tm % c->wm != 0 ||
        c->tn % (c->vw * c->nv) != 0 || c->tm < c->wm || c->tn < c->vw * c->nv ||
        c->tm > 1024 || c->tn > 1024 || (c->spill != 0 && c->spill != 1))
        return 0;
    if (c->local && (c->tk < c->vw || c->tk % c->vw != 0 || c->tk > 1024))
        return 0;
    return c->local == 0 || c->local == 1;
}

/* 1 when the device's limits allow c. */
static int
fits(const OclDevInfo *info, const OclGemmCfg *c)
{
    size_t wg = (size_t)lx_of(c) * (size_t)ly_of(c);
    uint64_t local = c->local ? (uint64_t)(c->tm + c->tn) * (uint64_t)c->tk * 4 : 0;
    return well_formed(c) && wg <= info->max_wg && local <= info->local_mem;
}

int
ocl_gemm_candidates(const OclDev *d, OclGemmCfg *cfg, int cap)
{
    const OclDevInfo *info = &d->info;
    OclGemmCfg all[MAX_CANDIDATES];
    int n = 0;
    if (info->cpu) {
        /* blocks of wm x 2 vectors: 16 accumulators with 512-bit vectors (32 registers),
         * 8 with narrower ones (16 registers) */
        int vw = info->vec_float >= 16 ? 16 : info->vec_float >= 8 ? 8 : 4;
        int wm = vw >= 16 ? 8 : 4, wn = 2 * vw;
        static const int shape[][2] = {{8, 4}, {16, 2}, {8, 2}};  /* LY x LX */
        for (int i = 0; i < 3; i++)
            all[n++] = (OclGemmCfg){0, shape[i][0] * wm, shape[i][1] * wn, vw, wm, vw, 2, 0};
        all[n++] = (OclGemmCfg){1, 16 * wm, 2 * wn, 256, wm, vw, 2, 1};
    } else {
        /* float4 blocks, slices of 16 in local memory, accumulators kept in registers */
        static const int shape[][3] = {{16, 16, 4}, {8, 16, 8}, {8, 16, 4}, {16, 8, 2}};
        for (int i = 0; i < 4; i++)
            all[n++] = (OclGemmCfg){ 1, shape[i][0] * shape[i][2], shape[i][1] * 4, 16,
                                     shape[i][2], 4, 1, 0 };
        all[n++] = (OclGemmCfg){0, 32, 32, 4, 4, 4, 1, 0};
    }
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (fits(info, &all[i])) {
            if (kept < cap)
                cfg[kept] = all[i];
            kept++;
        }
    return kept;
}

/* ---- running ------------------------------------------------------------------------------- */

static void
options_of(const OclDev *d, const OclGemmCfg *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "-DTM=%d -DTN=%d -DTK=%d -DWM=%d -DVW=%d -DNV=%d -DSPILL=%d -DUSE_FMA=%d",
             c->tm, c->tn, c->local ? c->tk : c->vw, c->wm, c->vw, c->nv, c->spill,
             d->info.fma);
}

int64_t
ocl_gemm_ldb(int64_t n, int64_t k)
{
    /* rows of B a multiple of 2 KiB apart, and enough of them to overflow the caches: pad,
     * where the padded B's indices still fit in an int */
    return n % 512 == 0 && k >= 256 && k * (n + PAD_B) <= INT_MAX ? n + PAD_B : n;
}

/* The largest index of an operand with rows rows of cols columns at strides rs and cs, or -1 for
 * an empty one. */
static int64_t
last_index(int64_t rows, int64_t cols, int64_t rs, int64_t cs)
{
    return rows == 0 || cols == 0 ? -1 : (rows - 1) * rs + (cols - 1) * cs;
}

/* Copies each distinct B of g (one when zb is 0) into d's scratch with rows ldb floats apart;
 * *b gets the scratch and its strides. */
static int
pad_b(OclDev *d, const OclGemmArgs *g, int64_t batch, int64_t ldb, OclGemmArgs *b)
{
    int64_t copies = g->zb ? batch : 1;
    size_t need = (size_t)(copies * g->k * ldb) * 4;
    int rc;
    if (!d->scratch || d->scratch->bytes < need) {
        ocl_buf_free(d, d->scratch);
        d->scratch = NULL;
        if ((rc = ocl_buf_new(d, need, &d->scratch)) != RT_OK)
            return rc;
    }
    for (int64_t z = 0; z < copies; z++) {
        size_t src[3] = {(size_t)(g->boff + z * g->zb) * 4, 0, 0};
        size_t dst[3] = {(size_t)(z * g->k * ldb) * 4, 0, 0};
        size_t region[3] = {(size_t)g->n * 4, (size_t)g->k, 1};
        rc = OCL_CALL(d->ctx, clEnqueueCopyBufferRect(d->queue, g->b, d->scratch->mem, src, dst,
                                                      region, (size_t)g->ldb * 4, 0,
                                                      (size_t)ldb * 4, 0, 0, NULL, NULL));
        if (rc != RT_OK)
            return rc;
    }
    b->b = d->scratch->mem;
    b->boff = 0;
    b->ldb = ldb;
    b->zb = g->zb ? g->k * ldb : 0;
    return RT_OK;
}

int
ocl_gemm_cfg(OclDev *d, const OclGemmCfg *cfg, const OclGemmArgs *g, cl_event *ev)
{
    if (ev)
        *ev = NULL;
    if (!well_formed(cfg))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "ocl_sgemm: bad blocking %d/%dx%dx%d/%dx%dx%d",
                       cfg->local, cfg->tm, cfg->tn, cfg->tk, cfg->wm, cfg->vw, cfg->nv);
    int64_t m = g->m, n = g->n, k = g->k, batch = g->batch > 0 ? g->batch : 1;
    int64_t sam = g->trans_a ? 1 : g->lda, sak = g->trans_a ? g->lda : 1;
    int64_t last[4] = { last_index(m, k, sam, sak), last_index(k, n, g->ldb, 1),
                        last_index(m, n, g->ldc, 1), g->e ? last_index(m, n, g->ei, g->ej) : -1 };
    int fits = m >= 0 && n >= 0 && k >= 0 && sam >= 0 && sak >= 0 && g->ldb >= n &&
               g->ldc >= n && g->ei >= 0 && g->ej >= 0;
    for (int i = 0; i < 4; i++)
        fits &= last[i] <= INT_MAX;
    if (!fits || m > INT_MAX || n > INT_MAX || k > INT_MAX)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "ocl_sgemm: sizes %lldx%lldx%lld out of range",
                       (long long)m, (long long)n, (long long)k);
    if (m == 0 || n == 0)   /* nothing to compute; still an event to wait on */
        return OCL_CALL(d->ctx, clEnqueueMarkerWithWaitList(d->queue, 0, NULL, ev));
    OclGemmArgs a = *g;
    int rc;
    if (g->ldb == n && ocl_gemm_ldb(n, k) != n &&
        (rc = pad_b(d, g, batch, ocl_gemm_ldb(n, k), &a)) != RT_OK)
        return rc;
    /* the kernel: the last one again, or found (or built) by its options */
    cl_kernel kern = d->last_kernel;
    if (!kern || memcmp(cfg, &d->last_cfg, sizeof *cfg) != 0) {
        char options[256];
        options_of(d, cfg, options, sizeof options);
        rc = ocl_kernel(d, "gemm", options, cfg->local ? "sgemm_local" : "sgemm_direct", &kern);
        if (rc != RT_OK)
            return rc;
        d->last_kernel = kern;
        d->last_cfg = *cfg;
    }
    /* the epilogue: none for a plain product; no affine step without an activation (act.c) */
    const Fused *f = g->fuse;
    int act = f ? (int)f->act : ACT_NONE, affine = act != ACT_NONE && f->affine;
    int flags = (a.alpha != 1.0f || a.e || act != ACT_NONE ? EPI_ON : 0) | (a.e ? EPI_E : 0);
    cl_float4 ap = {{ f ? f->alpha : 0.0f, f ? f->beta : 0.0f, affine ? f->mul : 1.0f,
                      affine ? f->add : 0.0f }};
    cl_int im = (cl_int)m, in = (cl_int)n, ik = (cl_int)k, isam = (cl_int)sam,
           isak = (cl_int)sak, ildb = (cl_int)a.ldb, ildc = (cl_int)a.ldc, iei = (cl_int)a.ei,
           iej = (cl_int)a.ej, iflags = flags, iact = act;
    cl_long off[4] = {a.aoff, a.boff, a.coff, a.eoff}, z[4] = {a.za, a.zb, a.zc, a.ze};
    cl_mem e = a.e;
    struct {
        size_t size;
        const void *value;
    } arg[] = {
        {sizeof im, &im},       {sizeof in, &in},        {sizeof ik, &ik},
        {sizeof a.a, &a.a},     {sizeof off[0], &off[0]}, {sizeof isam, &isam},
        {sizeof isak, &isak},   {sizeof a.b, &a.b},      {sizeof off[1], &off[1]},
        {sizeof ildb, &ildb},   {sizeof a.c, &a.c},      {sizeof off[2], &off[2]},
        {sizeof ildc, &ildc},   {sizeof e, &e},          {sizeof off[3], &off[3]},
        {sizeof iei, &iei},     {sizeof iej, &iej},      {sizeof z[0], &z[0]},
        {sizeof z[1], &z[1]},   {sizeof z[2], &z[2]},    {sizeof z[3], &z[3]},
        {sizeof a.alpha, &a.alpha}, {sizeof a.beta, &a.beta}, {sizeof iflags, &iflags},
        {sizeof iact, &iact},   {sizeof ap, &ap},
    };
    for (cl_uint i = 0; i < sizeof arg / sizeof arg[0]; i++)
        if ((rc = OCL_CALL(d->ctx, clSetKernelArg(kern, i, arg[i].size, arg[i].value))) != RT_OK)
            return rc;
    size_t lx = (size_t)lx_of(cfg), ly = (size_t)ly_of(cfg);
    size_t local[3] = {lx, ly, 1};
    size_t global[3] = { (size_t)((n + cfg->tn - 1) / cfg->tn) * lx,
                         (size_t)((m + cfg->tm - 1) / cfg->tm) * ly, (size_t)batch };
    return OCL_CALL(d->ctx, clEnqueueNDRangeKernel(d->queue, kern, 3, NULL, global, local, 0,
                                                   NULL, ev));
}

int
ocl_gemm(OclDev *d, const OclGemmArgs *g, cl_event *ev)
{
    OclGemmCfg cfg;
    int rc = ocl_gemm_tuned(d, &cfg);
    if (rc != RT_OK) {
        if (ev)
            *ev = NULL;
        return rc;
    }
    return ocl_gemm_cfg(d, &cfg, g, ev);
}

int
ocl_sgemm_cfg(OclDev *d, const OclGemmCfg *cfg, int64_t m, int64_t n, int64_t k,
              const OclBuf *a, const OclBuf *b, OclBuf *c, cl_event *ev)
{
    if (ev)
        *ev = NULL;
    if (m < 0 || n < 0 || k < 0 || m * k > INT_MAX || k * n > INT_MAX || m * n > INT_MAX)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "ocl_sgemm: sizes %lldx%lldx%lld out of range",
                       (long long)m, (long long)n, (long long)k);
    if ((size_t)(m * k) * 4 > a->bytes || (size_t)(k * n) * 4 > b->bytes ||
        (size_t)(m * n) * 4 > c->bytes)
        return rt_fail(d->ctx, RT_EINPUT, "ocl_sgemm: %lldx%lldx%lld needs larger buffers",
                       (long long)m, (long long)n, (long long)k);
    OclGemmArgs g = {.m = m, .n = n, .k = k, .a = a->mem, .b = b->mem, .c = c->mem,
                     .lda = k, .ldb = n, .ldc = n, .alpha = 1.0f};
    return ocl_gemm_cfg(d, cfg, &g, ev);
}

/* ---- tuning -------------------------------------------------------------------------------- */

/* The cache file of d's tuning result. */
static int
tune_path(const OclDev *d, char *buf, size_t cap)
{
    const char *src = ocl_dev_source(d, "gemm");
    const char *parts[] = {tune_magic, src ? src : ""};
    return ocl_cache_path(d, "gemm", ocl_cache_key(d, parts, 2), "tune", buf, cap);
}

/* The cached choice, if there is one and it is still a candidate. */
static int
tune_read(const OclDev *d, OclGemmCfg *out)
{
    char path[1200], magic[32];
    OclGemmCfg c, cand[MAX_CANDIDATES];
    if (!tune_path(d, path, sizeof path))
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int got = fscanf(f, "%31s %d %d %d %d %d %d %d %d", magic, &c.local, &c.tm, &c.tn, &c.tk,
                     &c.wm, &c.vw, &c.nv, &c.spill);
    fclose(f);
    if (got != 9 || strcmp(magic, tune_magic) != 0)
        return 0;
    int n = ocl_gemm_candidates(d, cand, MAX_CANDIDATES);
    for (int i = 0; i < n && i < MAX_CANDIDATES; i++)
        if (memcmp(&cand[i], &c, sizeof c) == 0) {
            *out = c;
            return 1;
        }
    return 0;
}

/* Writes the choice, and every candidate's time as a comment (ms < 0: it failed). */
static void
tune_write(const OclDev *d, const OclGemmCfg *cand, const double *ms, int n, int best)
{
    char path[1200], text[2048];
    if (!tune_path(d, path, sizeof path))
        return;
    const OclGemmCfg *c = &cand[best];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "%s %d %d %d %d %d %d %d %d\n"
                                  "# kernel ms on %dx%dx%d + %dx%dx%d, per candidate:\n",
                                  tune_magic, c->local, c->tm, c->tn, c->tk, c->wm, c->vw, c->nv,
                                  c->spill, tune_shape[0][0], tune_shape[0][1], tune_shape[0][2],
                                  tune_shape[1][0], tune_shape[1][1], tune_shape[1][2]);
    for (int i = 0; i < n && len < sizeof text; i++) {
        c = &cand[i];
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "# %d %d %d %d %d %d %d %d: %.3f%s\n", c->local, c->tm, c->tn,
                                c->tk, c->wm, c->vw, c->nv, c->spill, ms[i],
                                ms[i] < 0 ? " (failed)" : "");
    }
    if (len < sizeof text)
        ocl_cache_write(path, text, len);
}

/* 1 when a sample of C = A B (M x N x K) matches a double-precision sum. */
static int
sample_ok(const float *a, const float *b, const float *c, int m, int n, int k)
{
    for (int s = 0; s < 16; s++) {
        int i = (s * 37) % m, j = (s * 101 + s / 4) % n;
        double want = 0, mag = 0;
        for (int kk = 0; kk < k; kk++) {
            want += (double)a[i * k + kk] * b[kk * n + j];
            mag += fabs((double)a[i * k + kk] * b[kk * n + j]);
        }
        if (!(fabs(c[i * n + j] - want) <= 1e-4 * mag + 1e-5))
            return 0;
    }
    return 1;
}

/* Runs cfg on tuning shape s once; *ms gets its kernel time. */
static int
run_shape(OclDev *d, const OclGemmCfg *cfg, int s, OclBuf *const buf[3], double *ms)
{
    cl_event ev;
    int rc = ocl_sgemm_cfg(d, cfg, tune_shape[s][0], tune_shape[s][1], tune_shape[s][2], buf[0],
                           buf[1], buf[2], &ev);
    if (rc != RT_OK)
        return rc;
    rc = ocl_event_ms(d, ev, ms);
    clReleaseEvent(ev);
    return rc;
}

/* Runs cfg once on each tuning shape (which builds it, and compiles it on PoCL) and checks a
 * sample of the results. */
static int
try_candidate(OclDev *d, const OclGemmCfg *cfg, OclBuf *const buf[3], const float *host[2],
              float *out)
{
    for (int s = 0; s < NTUNE; s++) {
        double ms;
        int m = tune_shape[s][0], n = tune_shape[s][1], k = tune_shape[s][2];
        int rc = run_shape(d, cfg, s, buf, &ms);
        if (rc == RT_OK)
            rc = ocl_buf_read(d, buf[2], 0, out, (size_t)m * (size_t)n * 4);
        if (rc != RT_OK)
            return rc;
        if (!sample_ok(host[0], host[1], out, m, n, k))
            return rt_fail(d->ctx, RT_ECL,
                           "ocl_sgemm: blocking %d/%dx%dx%d/%dx%dx%d gives wrong results on %s",
                           cfg->local, cfg->tm, cfg->tn, cfg->tk, cfg->wm, cfg->vw, cfg->nv,
                           d->info.name);
    }
    return RT_OK;
}

/* Times every candidate and keeps the fastest in d->gemm_cfg. The candidates take turns, round
 * after round, so that a passing load on the machine does not favour one of them; each one's
 * time is the sum over the shapes of its best round. */
static int
tune(OclDev *d)
{
    OclGemmCfg cand[MAX_CANDIDATES];
    double best[MAX_CANDIDATES][NTUNE], total[MAX_CANDIDATES];
    int ok[MAX_CANDIDATES];
    int ncand = ocl_gemm_candidates(d, cand, MAX_CANDIDATES);
    if (ncand == 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "ocl_sgemm: no GEMM blocking fits %s",
                       d->info.name);
    size_t na = 0, nb = 0, nc = 0;
    for (int s = 0; s < NTUNE; s++) {
        size_t m = (size_t)tune_shape[s][0], n = (size_t)tune_shape[s][1];
        size_t k = (size_t)tune_shape[s][2];
        na = m * k > na ? m * k : na;
        nb = k * n > nb ? k * n : nb;
        nc = m * n > nc ? m * n : nc;
    }
    float *ha = malloc(na * 4), *hb = malloc(nb * 4), *hc = malloc(nc * 4);
    OclBuf *buf[3] = {NULL, NULL, NULL};
    int rc = RT_OK;
    if (!ha || !hb || !hc) {
        rc = rt_fail(d->ctx, RT_ENOMEM, "out of memory tuning the OpenCL GEMM");
        goto done;
    }
    /* small exact values: no overflow, no denormals */
    for (size_t i = 0; i < na; i++)
        ha[i] = (float)((int)(i * 7 % 17) - 8) / 8.0f;
    for (size_t i = 0; i < nb; i++)
        hb[i] = (float)((int)(i * 5 % 13) - 6) / 8.0f;
    if ((rc = ocl_buf_new(d, na * 4, &buf[0])) || (rc = ocl_buf_new(d, nb * 4, &buf[1])) ||
        (rc = ocl_buf_new(d, nc * 4, &buf[2])) ||
        (rc = ocl_buf_write(d, buf[0], 0, ha, na * 4)) ||
        (rc = ocl_buf_write(d, buf[1], 0, hb, nb * 4)))
        goto done;
    /* a candidate the device cannot run, or runs wrong, is dropped; if all are, the last
     * one's error stays */
    const float *host[2] = {ha, hb};
    int alive = 0;
    for (int i = 0; i < ncand; i++) {
        ok[i] = try_candidate(d, &cand[i], buf, host, hc) == RT_OK;
        alive += ok[i];
        for (int s = 0; s < NTUNE; s++)
            best[i][s] = INFINITY;
    }
    if (!alive) {
        rc = RT_ECL;
        goto done;
    }
    for (int r = 0; r < TUNE_ROUNDS; r++)
        for (int i = 0; i < ncand; i++)
            for (int s = 0; s < NTUNE && ok[i]; s++) {
                double ms;
                if ((rc = run_shape(d, &cand[i], s, buf, &ms)) != RT_OK)
                    goto done;
                best[i][s] = ms < best[i][s] ? ms : best[i][s];
            }
    int pick = -1;
    for (int i = 0; i < ncand; i++) {
        total[i] = ok[i] ? 0 : -1;
        for (int s = 0; s < NTUNE && ok[i]; s++)
            total[i] += best[i][s];
        if (ok[i] && (pick < 0 || total[i] < total[pick]))
            pick = i;
    }
    d->gemm_cfg = cand[pick];
    d->gemm_tuned = 1;
    d->stats.tunes++;
    tune_write(d, cand, total, ncand, pick);
    rc = RT_OK;
done:
    for (int i = 0; i < 3; i++)
        ocl_buf_free(d, buf[i]);
    free(ha);
    free(hb);
    free(hc);
    return rc;
}

int
ocl_gemm_tuned(OclDev *d, OclGemmCfg *cfg)
{
    if (!d->gemm_tuned && tune_read(d, &d->gemm_cfg))
        d->gemm_tuned = 1;
    int rc = d->gemm_tuned ? RT_OK : tune(d);
    if (rc == RT_OK)
        *cfg = d->gemm_cfg;
    return rc;
}

int
ocl_sgemm(OclDev *d, int64_t m, int64_t n, int64_t k, const OclBuf *a, const OclBuf *b,
          OclBuf *c, cl_event *ev)
{
    OclGemmCfg cfg;
    int rc = ocl_gemm_tuned(d, &cfg);
    if (rc != RT_OK) {
        if (ev)
            *ev = NULL;
        return rc;
    }
    return ocl_sgemm_cfg(d, &cfg, m, n, k, a, b, c, ev);
}
