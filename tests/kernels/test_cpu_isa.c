/*
 * test_cpu_isa.c: the run-time choice of a build of the CPU kernels (runtime/cpu/isa.c). The
 * build picked by default must be the highest this CPU runs, as __builtin_cpu_supports tells
 * independently of isa.c; HETC_CPU must force the build it names, and be refused, with a kernel
 * error naming it, when the CPU lacks that build or there is no such build. A kernel called
 * through its dispatcher gives the right answer. ctest runs this program and the kernel tests
 * once per build with HETC_CPU set (tests/CMakeLists.txt).
 *
 * With the argument --runs it only tells whether HETC_CPU names a build this CPU runs: exit 0 if
 * so (or HETC_CPU is unset), 77 (ctest's skip) if not, so that ctest skips the runs forced to a
 * build this CPU lacks.
 */
#include "../kernels/ktest.h"
#include "../../runtime/cpu/isa.h" /* private to the runtime: the test reaches into it */

/* The highest x86-64 level by the CPU's flagship features alone. */
static const char *
expected_best(void)
{
    if (cpu_isa_count() == 1)
        return cpu_isa_name(0);
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "avx2";
#endif
    return "baseline";
}

/* Relu through its dispatcher on a few values; the kernel's status. */
static int
run_relu(RtCtx *ctx, int *right)
{
    int64_t dim[1] = {37};
    RtTensor *x = kt_new(DT_F32, 1, dim), *y = kt_new(DT_F32, 1, dim);
    kt_fill(x, 7, -1.0f, 1.0f);
    Attr a;
    memset(&a, 0, sizeof a);
    int rc = cpu_relu(ctx, &a, &x, 1, &y, 1);
    const float *px = x->data, *py = y->data;
    *right = 1;
    for (int i = 0; i < 37; i++)
        if (py[i] != (px[i] > 0 ? px[i] : 0.0f))
            *right = 0;
    kt_free(x);
    kt_free(y);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *want = getenv("HETC_CPU");
    if (argc > 1 && strcmp(argv[1], "--runs") == 0)
        return cpu_isa_pick(want) >= 0 ? 0 : 77;

    int n = cpu_isa_count(), best = cpu_isa_pick(NULL);
    CHECK(n == 1 || n == 3);
    CHECK(best >= 0 && best < n && cpu_isa_runs(best));
    CHECK(strcmp(cpu_isa_name(best), expected_best()) == 0);
    CHECK(cpu_isa_pick("") == best);
    CHECK(cpu_isa_runs(0) && cpu_isa_pick(cpu_isa_name(0)) == 0);
    for (int i = 0; i < n; i++)
        CHECK(cpu_isa_pick(cpu_isa_name(i)) == (cpu_isa_runs(i) ? i : -1));
    for (int i = best + 1; i < n; i++)
        CHECK(!cpu_isa_runs(i));
    CHECK(cpu_isa_pick("avx1024") == -1 && cpu_isa_pick("AVX2") == -1);
    if (n == 3) {
        CHECK(strcmp(cpu_isa_name(0), "baseline") == 0 && strcmp(cpu_isa_name(1), "avx2") == 0 &&
              strcmp(cpu_isa_name(2), "avx512") == 0);
        CHECK(cpu_isa_pick("avx512") == (strcmp(expected_best(), "avx512") == 0 ? 2 : -1));
    }

    int cur = cpu_isa_current();
    CHECK(cur == cpu_isa_pick(want));
    CHECK(cpu_isa_current() == cur);
    RtCtx *ctx = rt_ctx_new(1);
    int right = 0, rc = run_relu(ctx, &right);
    if (cur >= 0) {
        CHECK(rc == RT_OK && right);
        if (want && *want)
            CHECK(strcmp(cpu_isa_name(cur), want) == 0);
        else
            CHECK(cur == best);
    } else {
        const char *err = rt_ctx_error(ctx);
        CHECK(rc == RT_EUNSUPPORTED);
        CHECK(err && strstr(err, "HETC_CPU=") && strstr(err, want));
        printf("refused: %s\n", err ? err : "(none)");
    }
    rt_ctx_free(ctx);
    printf("kernels: %s (HETC_CPU %s; this CPU's best of %d: %s)\n",
           cur >= 0 ? cpu_isa_name(cur) : "none", want ? want : "unset", n, cpu_isa_name(best));
    return TEST_DONE();
}
