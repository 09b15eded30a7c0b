/*
 * test_ocl.c: the OpenCL backend's foundation (runtime/opencl) on the machine's real devices:
 * listing and picking devices, CL error messages, buffers, the program cache in a fresh folder
 * (a file appears, the next device loads it, a corrupted file is rebuilt, a broken source reports
 * its build log), and the GEMM against a double-precision reference, with the tuned blocking on
 * many shapes and with every candidate blocking on a few edge cases.
 *
 * With no OpenCL device the test exits 77, which ctest reports as skipped, unless
 * HETC_REQUIRE_OPENCL=1. With --no-platform (ctest runs it with OCL_ICD_VENDORS pointing at an
 * empty folder) it checks the error of a machine without any OpenCL platform instead.
 */
#include "runtime/opencl/ocl.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/test.h"

static RtCtx *ctx;
static char cache[256];         /* this run's cache folder, removed at the end */

static int
has(const char *s, const char *part)
{
    return strstr(s, part) != NULL;
}

/* ---- no platform ----------------------------------------------------------------------------- */

static int
test_no_platform(void)
{
    OclDevInfo info[2];
    OclDev *d = NULL;
    int n = -1;
    CHECK(ocl_list(ctx, info, 2, &n) == RT_ECL);
    CHECK(n == 0);
    CHECK(has(rt_ctx_error(ctx), "clGetPlatformIDs"));
    CHECK(ocl_open(ctx, NULL, &d) == RT_ECL);
    CHECK(d == NULL);
    CHECK(has(rt_ctx_error(ctx), "clGetPlatformIDs"));
    CHECK(rt_exit_status(RT_ECL) == 3);
    printf("without a platform: %s\n", rt_ctx_error(ctx));
    return TEST_DONE();
}

/* ---- devices and errors ---------------------------------------------------------------------- */

static int
contains_nocase(const char *hay, const char *needle)
{
    for (; *hay; hay++) {
        size_t i = 0;
        while (needle[i] && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (!needle[i])
            return 1;
    }
    return 0;
}

/* The index ocl_open should pick for a name or platform substring. */
static int
first_match(const OclDevInfo *info, int n, const char *spec)
{
    for (int i = 0; i < n; i++)
        if (contains_nocase(info[i].name, spec) || contains_nocase(info[i].platform, spec))
            return i;
    return -1;
}

static void
test_devices(const OclDevInfo *info, int n)
{
    OclDev *d;
    char spec[64];
    for (int i = 0; i < n; i++) {
        printf("device %d: %s | %s | %s | %d units%s\n", i, info[i].name, info[i].platform,
               info[i].version, info[i].compute_units, info[i].unified ? " | unified" : "");
        CHECK(info[i].index == i);
        snprintf(spec, sizeof spec, "%d", i);
        CHECK(ocl_open(ctx, spec, &d) == RT_OK);
        CHECK(ocl_info(d)->index == i && strcmp(ocl_info(d)->name, info[i].name) == 0);
        ocl_close(d);
    }
    /* no spec: the first GPU, else the first device */
    int want = 0;
    for (int i = n - 1; i >= 0; i--)
        if (info[i].gpu)
            want = i;
    CHECK(ocl_open(ctx, "", &d) == RT_OK);
    CHECK(ocl_info(d)->index == want);
    ocl_close(d);

    /* a piece of the first device's name, in the other case */
    size_t len = strlen(info[0].name), from = len / 3, take = len - from < 6 ? len - from : 6;
    snprintf(spec, sizeof spec, "%.*s", (int)take, info[0].name + from);
    for (char *p = spec; *p; p++)
        *p = (char)(isupper((unsigned char)*p) ? tolower((unsigned char)*p)
                                               : toupper((unsigned char)*p));
    CHECK(ocl_open(ctx, spec, &d) == RT_OK);
    CHECK(ocl_info(d)->index == first_match(info, n, spec));
    ocl_close(d);
    /* a piece of a platform's name */
    snprintf(spec, sizeof spec, "%.5s", info[n - 1].platform);
    CHECK(ocl_open(ctx, spec, &d) == RT_OK);
    CHECK(ocl_info(d)->index == first_match(info, n, spec));
    ocl_close(d);

    d = (OclDev *)1;
    CHECK(ocl_open(ctx, "no-such-device-xyzzy", &d) == RT_ECL);
    CHECK(d == NULL);
    CHECK(has(rt_ctx_error(ctx), "\"no-such-device-xyzzy\""));
    CHECK(has(rt_ctx_error(ctx), info[0].name));
    CHECK(ocl_open(ctx, "4096", &d) == RT_ECL);
    CHECK(has(rt_ctx_error(ctx), "4096"));
}

static void
test_errors(void)
{
    CHECK(strcmp(ocl_errname(CL_INVALID_VALUE), "CL_INVALID_VALUE") == 0);
    CHECK(strcmp(ocl_errname(CL_DEVICE_NOT_AVAILABLE), "CL_DEVICE_NOT_AVAILABLE") == 0);
    CHECK(strcmp(ocl_errname(CL_INVALID_DEVICE_PARTITION_COUNT),
                 "CL_INVALID_DEVICE_PARTITION_COUNT") == 0);
    CHECK(strcmp(ocl_errname(-1001), "CL_PLATFORM_NOT_FOUND_KHR") == 0);
    CHECK(strcmp(ocl_errname(-12345), "unknown OpenCL error") == 0);
    CHECK(ocl_check(ctx, CL_SUCCESS, "clFinish(q)", __FILE__, __LINE__) == RT_OK);
    CHECK(ocl_check(ctx, CL_DEVICE_NOT_AVAILABLE, "clCreateContext(p, 1, &dev, NULL, NULL, &e)",
                    "/src/hetc/runtime/opencl/ocl.c", 123) == RT_ECL);
    CHECK(strcmp(rt_ctx_error(ctx),
                 "clCreateContext failed: CL_DEVICE_NOT_AVAILABLE (-2) at "
                 "runtime/opencl/ocl.c:123") == 0);
}

/* ---- buffers --------------------------------------------------------------------------------- */

static void
test_buffers(OclDev *d)
{
    enum { N = 1000 };
    unsigned char src[N], dst[N];
    for (int i = 0; i < N; i++)
        src[i] = (unsigned char)(i * 7 + 3);
    OclBuf *b;
    CHECK(ocl_buf_new(d, N, &b) == RT_OK);
    CHECK(b->bytes == N);
    CHECK((b->host != NULL) == ocl_info(d)->unified);
    CHECK(ocl_buf_write(d, b, 0, src, N) == RT_OK);
    memset(dst, 0, N);
    CHECK(ocl_buf_read(d, b, 0, dst, N) == RT_OK);
    CHECK(memcmp(src, dst, N) == 0);
    CHECK(ocl_buf_write(d, b, 100, src, 50) == RT_OK);
    CHECK(ocl_buf_read(d, b, 100, dst, 50) == RT_OK);
    CHECK(memcmp(src, dst, 50) == 0);
    CHECK(ocl_buf_write(d, b, 990, src, 11) == RT_ECL);
    CHECK(ocl_buf_read(d, b, 2000, dst, 1) == RT_ECL);
    ocl_buf_free(d, b);
    OclBuf *none = (OclBuf *)1;
    CHECK(ocl_buf_new(d, 0, &none) == RT_ECL && none == NULL);
    ocl_buf_free(d, NULL);
}

/* ---- program cache --------------------------------------------------------------------------- */

static const char add_src[] =
    "__kernel void add(__global float *x, const float v) { x[get_global_id(0)] += v; }\n";

/* The path of the only file in folder whose name starts with prefix and ends with suffix,
 * or "" when there is not exactly one. */
static void
find_file(const char *folder, const char *prefix, const char *suffix, char *out, size_t cap)
{
    int found = 0;
    out[0] = 0;
    DIR *dir = opendir(folder);
    if (!dir)
        return;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t n = strlen(e->d_name), s = strlen(suffix);
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && n > s &&
            strcmp(e->d_name + n - s, suffix) == 0) {
            snprintf(out, cap, "%s/%s", folder, e->d_name);
            found++;
        }
    }
    closedir(dir);
    if (found != 1)
        out[0] = 0;
}

/* Builds add_src on a fresh device and runs it once; returns the device's counters. */
static OclStats
build_add(const char *options)
{
    OclStats st = {-1, -1, -1, -1, -1};
    OclDev *d;
    if (ocl_open(ctx, NULL, &d) != RT_OK)
        return st;
    cl_program prog;
    OclBuf *b = NULL;
    float x[4] = {1, 2, 3, 4};
    int rc = ocl_program_src(d, "test", add_src, options, &prog);
    CHECK(rc == RT_OK);
    if (rc == RT_OK) {
        cl_int err;
        cl_kernel k = clCreateKernel(prog, "add", &err);
        float v = 0.5f;
        size_t global = 4;
        CHECK(err == CL_SUCCESS);
        CHECK(ocl_buf_new(d, sizeof x, &b) == RT_OK);
        CHECK(ocl_buf_write(d, b, 0, x, sizeof x) == RT_OK);
        CHECK(clSetKernelArg(k, 0, sizeof b->mem, &b->mem) == CL_SUCCESS);
        CHECK(clSetKernelArg(k, 1, sizeof v, &v) == CL_SUCCESS);
        CHECK(clEnqueueNDRangeKernel(ocl_queue(d), k, 1, NULL, &global, NULL, 0, NULL, NULL) ==
              CL_SUCCESS);
        CHECK(ocl_buf_read(d, b, 0, x, sizeof x) == RT_OK);
        CHECK(x[0] == 1.5f && x[3] == 4.5f);
        clReleaseKernel(k);
        ocl_buf_free(d, b);
    }
    st = ocl_stats(d);
    ocl_close(d);
    return st;
}

static void
test_cache(void)
{
    char path[512], dir[300], home[512];
    OclDev *d;
    snprintf(home, sizeof home, "%s", getenv("HOME") ? getenv("HOME") : "");
    /* where the cache goes */
    setenv("HETC_CL_CACHE", "off", 1);
    CHECK(ocl_open(ctx, NULL, &d) == RT_OK);
    CHECK(strcmp(ocl_cache_dir(d), "") == 0);
    ocl_close(d);
    unsetenv("HETC_CL_CACHE");
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    CHECK(ocl_open(ctx, NULL, &d) == RT_OK);
    CHECK(strcmp(ocl_cache_dir(d), "/xdg/hetc/cl") == 0);
    ocl_close(d);
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/someone", 1);
    CHECK(ocl_open(ctx, NULL, &d) == RT_OK);
    CHECK(strcmp(ocl_cache_dir(d), "/home/someone/.cache/hetc/cl") == 0);
    ocl_close(d);
    setenv("HOME", home, 1);

    /* a folder that does not exist yet: made on the first write */
    snprintf(dir, sizeof dir, "%s/a/b", cache);
    setenv("HETC_CL_CACHE", dir, 1);
    OclStats st = build_add("-DFIRST");
    CHECK(st.builds == 1 && st.cache_writes == 1 && st.cache_loads == 0);
    find_file(dir, "test-", ".bin", path, sizeof path);
    CHECK(path[0] != 0);
    /* the next device loads it */
    st = build_add("-DFIRST");
    CHECK(st.builds == 0 && st.cache_loads == 1 && st.cache_rejects == 0);
    /* other options are another program */
    st = build_add("-DSECOND");
    CHECK(st.builds == 1 && st.cache_loads == 0);
    unlink(path);   /* leave one file: the -DSECOND one */
    find_file(dir, "test-", ".bin", path, sizeof path);
    CHECK(path[0] != 0);
    /* a corrupted file is ignored, rebuilt and rewritten */
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 40, SEEK_SET);
        fputs("garbage", f);
        fclose(f);
    }
    st = build_add("-DSECOND");
    CHECK(st.builds == 1 && st.cache_rejects == 1 && st.cache_writes == 1);
    st = build_add("-DSECOND");
    CHECK(st.builds == 0 && st.cache_loads == 1);
    /* so is a truncated one */
    CHECK(truncate(path, 20) == 0);
    st = build_add("-DSECOND");
    CHECK(st.builds == 1 && st.cache_rejects == 1);
    unlink(path);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/a", cache);
    rmdir(dir);
    setenv("HETC_CL_CACHE", cache, 1);

    /* a build failure names the call and quotes the build log */
    CHECK(ocl_open(ctx, NULL, &d) == RT_OK);
    cl_program prog = (cl_program)1;
    CHECK(ocl_program_src(d, "broken", "__kernel void k(__global float *x) { x[0] = nope; }",
                          NULL, &prog) == RT_ECL);
    CHECK(prog == NULL);
    printf("a broken kernel: %s\n", rt_ctx_error(ctx));
    CHECK(has(rt_ctx_error(ctx), "clBuildProgram failed: CL_BUILD_PROGRAM_FAILURE (-11)"));
    CHECK(has(rt_ctx_error(ctx), "nope"));
    CHECK(ocl_program(d, "no-such-kernel-file", NULL, &prog) == RT_ECL);
    CHECK(ocl_source("gemm") != NULL && has(ocl_source("gemm"), "sgemm_direct"));
    CHECK(ocl_source("nothing") == NULL);
    ocl_close(d);
}

/* ---- GEMM ------------------------------------------------------------------------------------ */

static uint32_t seed = 12345;

static float
rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return (float)(seed >> 8) / 8388608.0f - 1.0f;
}

/* C = A B on d (with cfg, or the tuned blocking when NULL) against a double-precision sum:
 * |c - ref| <= 1e-4 + 1e-4 |ref| for every element. */
static int
check_gemm(OclDev *d, const OclGemmCfg *cfg, int m, int n, int k)
{
    size_t um = (size_t)m, un = (size_t)n, uk = (size_t)k;
    size_t na = um * uk, nb = uk * un, nc = um * un;
    float *a = malloc(na * 4 + 4), *b = malloc(nb * 4 + 4), *c = malloc(nc * 4 + 4);
    for (size_t i = 0; i < na; i++)
        a[i] = rnd();
    for (size_t i = 0; i < nb; i++)
        b[i] = rnd();
    for (size_t i = 0; i < nc; i++)
        c[i] = NAN;
    OclBuf *ba = NULL, *bb = NULL, *bc = NULL;
    int ok = ocl_buf_new(d, na * 4 + 4, &ba) == RT_OK && ocl_buf_new(d, nb * 4 + 4, &bb) == RT_OK &&
             ocl_buf_new(d, nc * 4 + 4, &bc) == RT_OK;
    ok = ok && ocl_buf_write(d, ba, 0, a, na * 4) == RT_OK &&
         ocl_buf_write(d, bb, 0, b, nb * 4) == RT_OK && ocl_buf_write(d, bc, 0, c, nc * 4) == RT_OK;
    cl_event ev = NULL;
    int rc = !ok ? RT_ECL
             : cfg ? ocl_sgemm_cfg(d, cfg, m, n, k, ba, bb, bc, &ev)
                   : ocl_sgemm(d, m, n, k, ba, bb, bc, &ev);
    double ms = -1;
    ok = rc == RT_OK && ocl_event_ms(d, ev, &ms) == RT_OK && ms >= 0;
    if (ev)
        clReleaseEvent(ev);
    ok = ok && ocl_buf_read(d, bc, 0, c, nc * 4) == RT_OK;
    for (size_t i = 0; ok && i < um; i++)
        for (size_t j = 0; ok && j < un; j++) {
            double want = 0;
            for (size_t kk = 0; kk < uk; kk++)
                want += (double)a[i * uk + kk] * b[kk * un + j];
            double got = c[i * un + j];
            if (!(fabs(got - want) <= 1e-4 + 1e-4 * fabs(want))) {
                fprintf(stderr, "gemm %dx%dx%d: C[%zu][%zu] = %g, want %g\n", m, n, k, i, j, got,
                        want);
                ok = 0;
            }
        }
    if (rc != RT_OK)
        fprintf(stderr, "gemm %dx%dx%d: %s\n", m, n, k, rt_ctx_error(ctx));
    ocl_buf_free(d, ba);
    ocl_buf_free(d, bb);
    ocl_buf_free(d, bc);
    free(a);
    free(b);
    free(c);
    return ok;
}

static void
test_gemm(void)
{
    static const int shape[][3] = {
        {1, 1, 1}, {7, 5, 3}, {33, 65, 17}, {64, 64, 64}, {127, 129, 131},
        {256, 300, 200}, {1, 300, 200}, {300, 1, 7}, {17, 16, 1}, {8, 33, 300},
        {64, 784, 144}, {5, 7, 0}, {0, 4, 3}, {3, 0, 2},
    };
    OclDev *d;
    OclGemmCfg tuned, again, cand[8];
    CHECK(ocl_open(ctx, NULL, &d) == RT_OK);
    double t0 = rt_now_ms();
    CHECK(ocl_gemm_tuned(d, &tuned) == RT_OK);
    printf("tuning: %.0f ms\n", rt_now_ms() - t0);
    printf("tuned on %s: %s tile %dx%d (k %d), block %dx%dx%d%s\n", ocl_info(d)->name,
           tuned.local ? "local" : "direct", tuned.tm, tuned.tn, tuned.tk, tuned.wm, tuned.vw,
           tuned.nv, tuned.spill ? ", spilled" : "");
    CHECK(ocl_stats(d).tunes == 1);
    for (size_t s = 0; s < sizeof shape / sizeof shape[0]; s++)
        CHECK(check_gemm(d, NULL, shape[s][0], shape[s][1], shape[s][2]));

    /* every candidate, on sizes below, across and above its tiles */
    static const int edge[][3] = {{7, 5, 3}, {33, 65, 17}, {130, 70, 300}, {9, 40, 257}};
    printf("tuning and shapes: %.0f ms\n", rt_now_ms() - t0);
    int n = ocl_gemm_candidates(d, cand, 8);
    CHECK(n >= 1 && n <= 8);
    for (int i = 0; i < n && i < 8; i++)
        for (size_t s = 0; s < sizeof edge / sizeof edge[0]; s++)
            CHECK(check_gemm(d, &cand[i], edge[s][0], edge[s][1], edge[s][2]));
    OclGemmCfg bad = cand[0];
    bad.tn = bad.vw * bad.nv + 1;
    OclBuf *b;
    CHECK(ocl_buf_new(d, 64, &b) == RT_OK);
    CHECK(ocl_sgemm_cfg(d, &bad, 2, 2, 2, b, b, b, NULL) == RT_EUNSUPPORTED);
    CHECK(has(rt_ctx_error(ctx), "bad blocking"));
    CHECK(ocl_sgemm(d, 5, 5, 5, b, b, b, NULL) == RT_EINPUT);    /* 100 bytes > 64 */
    ocl_buf_free(d, b);
    ocl_close(d);

    /* the choice was cached: the next device reads it instead of searching */
    CHECK(ocl_open(ctx, NULL, &d) == RT_OK);
    CHECK(ocl_gemm_tuned(d, &again) == RT_OK);
    CHECK(ocl_stats(d).tunes == 0);
    CHECK(memcmp(&again, &tuned, sizeof tuned) == 0);
    ocl_close(d);
}

/* Removes this run's cache folder and its files. */
static void
remove_cache(void)
{
    DIR *dir = opendir(cache);
    char path[600];
    if (!dir)
        return;
    for (struct dirent *e; (e = readdir(dir));)
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", cache, e->d_name);
            unlink(path);
        }
    closedir(dir);
    rmdir(cache);
}

int
main(int argc, char **argv)
{
    ctx = rt_ctx_new(1);
    if (argc > 1 && strcmp(argv[1], "--no-platform") == 0) {
        int rc = test_no_platform();
        rt_ctx_free(ctx);
        return rc;
    }
    OclDevInfo info[16];
    int n = 0;
    if (ocl_list(ctx, info, 16, &n) != RT_OK || n == 0) {
        const char *req = getenv("HETC_REQUIRE_OPENCL");
        int required = req && strcmp(req, "1") == 0;
        printf("no OpenCL device (%s)%s\n", rt_ctx_error(ctx),
               required ? ", but HETC_REQUIRE_OPENCL=1" : ": skipped");
        rt_ctx_free(ctx);
        return required ? 1 : 77;
    }
    if (n > 16)
        n = 16;
    const char *tmp = getenv("TMPDIR");
    snprintf(cache, sizeof cache, "%s/hetc-cl-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(cache)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("HETC_CL_CACHE", cache, 1);

    double t0 = rt_now_ms();
    test_errors();
    test_devices(info, n);
    {
        OclDev *d;
        CHECK(ocl_open(ctx, NULL, &d) == RT_OK);
        test_buffers(d);
        ocl_close(d);
    }
    double t1 = rt_now_ms();
    test_gemm();
    double t2 = rt_now_ms();
    test_cache();
    printf("devices and buffers %.0f ms, gemm %.0f ms, cache %.0f ms\n", t1 - t0, t2 - t1,
           rt_now_ms() - t2);
    remove_cache();
    rt_ctx_free(ctx);
    return TEST_DONE();
}
