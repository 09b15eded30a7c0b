/*
 * isa.h: which build of the CPU kernels runs. The kernels of runtime/cpu are compiled once per
 * instruction-set level the build targets (on x86-64: baseline, AVX2 = x86-64-v3, AVX-512 =
 * x86-64-v4; one build elsewhere or with HETC_NATIVE); each kernel cpu_<stem> is a small
 * dispatcher (cpu/dispatch.h) that calls the build of the level picked once per process: the
 * highest the CPU runs, or the one HETC_CPU names.
 */
#pragma once

/* The number of builds of the kernels in this library, lowest level first. */
int cpu_isa_count(void);

/* The name of build i ("baseline", "avx2", "avx512"; "native" with HETC_NATIVE). */
const char *cpu_isa_name(int i);

/* 1 when this CPU (and its operating system) can run build i. */
int cpu_isa_runs(int i);

/* The build to use when HETC_CPU is want: want NULL or "" picks the highest this CPU runs; else
 * the build of that name, or -1 when there is none or this CPU cannot run it. */
int cpu_isa_pick(const char *want);

/* cpu_isa_pick(getenv("HETC_CPU")), worked out on the first call and kept. Thread-safe. */
int cpu_isa_current(void);
