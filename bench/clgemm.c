/*
 * clgemm.c: GFLOP/s of the OpenCL GEMM (ocl_sgemm, runtime/opencl/gemm.c) next to OpenBLAS's
 * cblas_sgemm on the same sizes: squares of 256, 512 and 1024, and 64 x 3136 x 576 (a 3x3
 * convolution of 64 channels on 56 x 56, as a matrix product).
 *
 *   clgemm [THREADS [RUNS [DEVICE]]]      (defaults: 1 thread, 20 runs, the default device)
 *
 * OpenBLAS gets THREADS threads; an OpenCL CPU device takes its own count from its driver, so run
 * PoCL with POCL_MAX_PTHREAD_COUNT=THREADS (and OpenBLAS with OPENBLAS_NUM_THREADS=THREADS).
 * Each figure is the median of RUNS back-to-back runs after two warm-up runs, so the operands
 * are as warm in the caches as repeated calls leave them; the OpenCL one is the wall time from the
 * call to the end of the kernel (the kernel alone, from its profiling event, is in brackets).
 * The blocking search, when it is not cached yet, runs before any timing. The two results are
 * compared, so a fast wrong answer does not go unnoticed.
 */
#include "runtime/opencl/ocl.h"

#include <cblas.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Times one shape; 0, or 1 after printing why not. */
static int
bench(RtCtx *ctx, OclDev *d, int m, int n, int k, int runs)
{
    size_t na = (size_t)m * (size_t)k, nb = (size_t)k * (size_t)n, nc = (size_t)m * (size_t)n;
    float *a = malloc(na * 4), *b = malloc(nb * 4), *c = malloc(nc * 4), *ref = malloc(nc * 4);
    double *wall = malloc((size_t)runs * sizeof *wall), *kern = malloc((size_t)runs * sizeof *kern);
    double *blas = malloc((size_t)runs * sizeof *blas);
    OclBuf *ba = NULL, *bb = NULL, *bc = NULL;
    int rc = RT_OK;
    if (!a || !b || !c || !ref || !wall || !kern || !blas) {
        fprintf(stderr, "clgemm: out of memory\n");
        rc = RT_ENOMEM;
        goto done;
    }
    uint32_t s = 1;
    for (size_t i = 0; i < na; i++, s = s * 1664525u + 1013904223u)
        a[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    for (size_t i = 0; i < nb; i++, s = s * 1664525u + 1013904223u)
        b[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    if ((rc = ocl_buf_new(d, na * 4, &ba)) || (rc = ocl_buf_new(d, nb * 4, &bb)) ||
        (rc = ocl_buf_new(d, nc * 4, &bc)) || (rc = ocl_buf_write(d, ba, 0, a, na * 4)) ||
        (rc = ocl_buf_write(d, bb, 0, b, nb * 4)))
        goto done;
    for (int r = -2; r < runs; r++) {
        cl_event ev;
        double t0 = rt_now_ms(), ms;
        if ((rc = ocl_sgemm(d, m, n, k, ba, bb, bc, &ev)) || (rc = ocl_event_ms(d, ev, &ms)))
            goto done;
        clReleaseEvent(ev);
        if (r >= 0) {
            wall[r] = rt_now_ms() - t0;
            kern[r] = ms;
        }
    }
    for (int r = -2; r < runs; r++) {
        double t0 = rt_now_ms();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f,
                    ref, n);
        if (r >= 0)
            blas[r] = rt_now_ms() - t0;
    }
    if ((rc = ocl_buf_read(d, bc, 0, c, nc * 4)))
        goto done;
    double err = 0, mag = 0;
    for (size_t i = 0; i < nc; i++) {
        err = fmax(err, fabs((double)c[i] - ref[i]));
        mag = fmax(mag, fabs((double)ref[i]));
    }
    double flop = 2.0 * m * n * k;
    double w = median(wall, runs), kt = median(kern, runs), bt = median(blas, runs);
    printf("%5d x %4d x %4d  %8.1f (%6.1f)  %8.1f  %6.2f  %s\n", m, n, k, flop / w / 1e6,
           flop / kt / 1e6, flop / bt / 1e6, bt / w, err <= 1e-4 * mag + 1e-5 ? "ok" : "MISMATCH");
done:
    if (rc != RT_OK && rc != RT_ENOMEM)
        fprintf(stderr, "clgemm: %s\n", rt_ctx_error(ctx));
    ocl_buf_free(d, ba);
    ocl_buf_free(d, bb);
    ocl_buf_free(d, bc);
    free(a);
    free(b);
    free(c);
    free(ref);
    free(wall);
    free(kern);
    free(blas);
    return rc != RT_OK;
}

int
main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    int runs = argc > 2 ? atoi(argv[2]) : 20;
    const char *spec = argc > 3 ? argv[3] : NULL;
    if (threads < 1 || runs < 1 || argc > 4) {
        fprintf(stderr, "usage: clgemm [THREADS [RUNS [DEVICE]]]\n");
        return 1;
    }
    RtCtx *ctx = rt_ctx_new(1);
    OclDev *d;
    if (!ctx || ocl_open(ctx, spec, &d) != RT_OK) {
        fprintf(stderr, "clgemm: %s\n", ctx ? rt_ctx_error(ctx) : "out of memory");
        return 3;
    }
    openblas_set_num_threads(threads);  /* after rt_ctx_new, which sets 1 */
    OclGemmCfg cfg;
    if (ocl_gemm_tuned(d, &cfg) != RT_OK) {
        fprintf(stderr, "clgemm: %s\n", rt_ctx_error(ctx));
        return 3;
    }
    const char *pocl = getenv("POCL_MAX_PTHREAD_COUNT");
    printf("device: %s (%s), POCL_MAX_PTHREAD_COUNT=%s; OpenBLAS threads %d; median of %d\n",
           ocl_info(d)->name, ocl_info(d)->platform, pocl ? pocl : "(unset)", threads, runs);
    printf("blocking: %s, tile %dx%d, k slice %d, block %dx(%dx%d)%s\n",
           cfg.local ? "sgemm_local" : "sgemm_direct", cfg.tm, cfg.tn, cfg.tk, cfg.wm, cfg.nv,
           cfg.vw, cfg.spill ? ", spilled" : "");
    printf("    M x    N x    K   OpenCL GFLOP/s     OpenBLAS  OCL/BLAS\n");
    static const int shape[][3] = {{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024},
                                   {64, 3136, 576}};
    int bad = 0;
    for (int i = 0; i < 4; i++)
        bad |= bench(ctx, d, shape[i][0], shape[i][1], shape[i][2], runs);
    ocl_close(d);
    rt_ctx_free(ctx);
    return bad ? 3 : 0;
}
