/*
 * isa.c: the instruction-set level the CPU kernels run at (isa.h). The levels are the ones
 * runtime/CMakeLists.txt builds: HETC_CPU_LEVELS is 3 for the x86-64 baseline, x86-64-v3 and
 * x86-64-v4, else 1 (one build, for no particular CPU or, with HETC_NATIVE, for this one). The
 * CPU's features come from GCC's __builtin_cpu_supports, which also checks that the operating
 * system saves the wider registers.
 */
#include "isa.h"
#include "dispatch.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HETC_CPU_LEVELS
#define HETC_CPU_LEVELS 1
#endif
#ifndef HETC_CPU_ONE
#define HETC_CPU_ONE "baseline"
#endif

#if HETC_CPU_LEVELS == 3
static const char *const level_name[] = {"baseline", "avx2", "avx512"};
#else
static const char *const level_name[] = {HETC_CPU_ONE};
#endif
enum { NLEVEL = sizeof level_name / sizeof level_name[0] };

int
cpu_isa_count(void)
{
    return NLEVEL;
}

const char *
cpu_isa_name(int i)
{
    return i >= 0 && i < NLEVEL ? level_name[i] : "?";
}

int
cpu_isa_runs(int i)
{
    if (i < 0 || i >= NLEVEL)
        return 0;
#if HETC_CPU_LEVELS == 3
    __builtin_cpu_init();
    /* x86-64-v3: AVX2, FMA, BMI1/2 on top of v2 (SSE4.2, POPCNT, ...); its F16C, LZCNT and
     * MOVBE, which clang's builtin cannot ask for, come with every CPU that has AVX2 and BMI2 */
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
             __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("sse4.2");
    /* x86-64-v4: AVX-512 F, BW, CD, DQ and VL on top of v3 */
    int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl");
    return i == 0 || (i == 1 && v3) || (i == 2 && v4);
#else
    return 1;
#endif
}

int
cpu_isa_pick(const char *want)
{
    if (!want || !*want) {
        int best = 0;
        for (int i = 1; i < NLEVEL; i++)
            if (cpu_isa_runs(i))
                best = i;
        return best;
    }
    for (int i = 0; i < NLEVEL; i++)
        if (strcmp(want, level_name[i]) == 0)
            return cpu_isa_runs(i) ? i : -1;
    return -1;
}

int
cpu_isa_current(void)
{
    /* -2: not yet worked out; every thread that races here works out the same value */
    static _Atomic int level = -2;
    int l = atomic_load_explicit(&level, memory_order_relaxed);
    if (l == -2) {
        l = cpu_isa_pick(getenv("HETC_CPU"));
        atomic_store_explicit(&level, l, memory_order_relaxed);
    }
    return l;
}

int
cpu_isa_refuse(RtCtx *ctx)
{
    const char *want = getenv("HETC_CPU");
    char have[64] = "";
    for (int i = 0; i < NLEVEL; i++)
        if (cpu_isa_runs(i))
            snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", *have ? ", " : "",
                     level_name[i]);
    for (int i = 0; i < NLEVEL; i++)
        if (want && strcmp(want, level_name[i]) == 0)
            return rt_fail(ctx, RT_EUNSUPPORTED,
                           "HETC_CPU=%s: this CPU cannot run those kernels (it runs: %s)", want,
                           have);
    return rt_fail(ctx, RT_EUNSUPPORTED,
                   "HETC_CPU=%s: no such build of the kernels (this CPU runs: %s)",
                   want ? want : "", have);
}
