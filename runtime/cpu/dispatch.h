/*
 * dispatch.h: the dispatcher of a CPU kernel, included by the files the build generates, one per
 * kernel group (dispatch_<group>.c). Each build of the kernels names its kernels with a suffix
 * (cpu_conv_avx2: the build renames them with a forced include), and CPU_DISPATCH(conv) defines
 * cpu_conv, which calls the build of the level cpu_isa_current() picked: one relaxed load and an
 * indirect call per kernel call.
 */
#pragma once

#include "isa.h"
#include "rt_backend.h"

/* Records why HETC_CPU cannot be honoured (no such build, or the CPU lacks it) and returns
 * RT_EUNSUPPORTED. */
int cpu_isa_refuse(RtCtx *ctx);

#define CPU_KERNEL_ARGS                                                                            \
    RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout

#if HETC_CPU_LEVELS == 3
#define CPU_DISPATCH(stem)                                                                         \
    int cpu_##stem##_baseline(CPU_KERNEL_ARGS);                                                    \
    int cpu_##stem##_avx2(CPU_KERNEL_ARGS);                                                        \
    int cpu_##stem##_avx512(CPU_KERNEL_ARGS);                                                      \
    int cpu_##stem(CPU_KERNEL_ARGS)                                                                \
    {                                                                                              \
        static const RtKernel k[] = {cpu_##stem##_baseline, cpu_##stem##_avx2,                     \
                                     cpu_##stem##_avx512};                                         \
        int l = cpu_isa_current();                                                                 \
        return l < 0 ? cpu_isa_refuse(ctx) : k[l](ctx, a, in, nin, out, nout);                    \
    }
#else
#define CPU_DISPATCH(stem)                                                                         \
    int cpu_##stem##_one(CPU_KERNEL_ARGS);                                                         \
    int cpu_##stem(CPU_KERNEL_ARGS)                                                                \
    {                                                                                              \
        return cpu_isa_current() < 0 ? cpu_isa_refuse(ctx) : cpu_##stem##_one(ctx, a, in, nin,    \
                                                                                out, nout);        \
    }
#endif
