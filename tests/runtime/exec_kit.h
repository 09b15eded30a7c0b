/*
 * exec_kit.h: what the executor's tests and benchmark share: hand-written plan tables need
 * tensors, a weights file and a few kernels of their own (slow, failing, reporting where they
 * run), and a watchdog, so that a run that hangs fails the test instead of stalling ctest.
 */
#pragma once

#define _GNU_SOURCE
#include "runtime/exec.h"
#include "runtime/rt_backend.h"
#include "ir/checksum.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../unit/test.h"

#define F32(n) {.dt = DT_F32, .rank = 1, .dim = {n}}

static const Attr kit_none;

/* Ends the process with a message when a test takes longer than seconds: a hang is a failure. */
static void
kit_on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "timed out: a run hangs\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(2);
    _exit(2);
}

static inline void
kit_watchdog(unsigned seconds)
{
    signal(SIGALRM, kit_on_alarm);
    alarm(seconds);
}

/* A weights file of n bytes of data (HETCWTS2, rt.h) at path; returns its checksum. */
static inline uint64_t
kit_weights(const char *path, const void *data, size_t n)
{
    unsigned char head[64] = "HETCWTS2";
    uint64_t size = n, sum = hc_sum(data, n);
    memcpy(head + 8, &size, 8);
    memcpy(head + 16, &sum, 8);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(head, 1, 64, f) != 64 || fwrite(data, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
    return sum;
}

static inline void
kit_sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* out = in0 * in1 (float32), after a pause of a[...] microseconds given through the global: a
 * slow producer, so that a consumer that does not wait reads stale data. */
static long kit_slow_us;

static inline int
kit_slow_mul(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
             int nout)
{
    (void)ctx, (void)a, (void)nin, (void)nout;
    if (kit_slow_us)
        kit_sleep_us(kit_slow_us);
    const float *x = in[0]->data, *y = in[1]->data;
    float *z = out[0]->data;
    for (int64_t i = 0; i < rt_numel(out[0]); i++)
        z[i] = x[i] * y[i];
    return RT_OK;
}

/* Fails (after a pause, so that the other lanes are already waiting) with a detail. */
static int kit_fail_runs = 1 << 30;     /* how many more runs fail */

static inline int
kit_fail(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
         int nout)
{
    (void)a, (void)in, (void)nin, (void)out, (void)nout;
    kit_sleep_us(20000);
    if (kit_fail_runs > 0) {
        kit_fail_runs--;
        return rt_fail(ctx, RT_EUNSUPPORTED, "boom %d", 7);
    }
    const float *x = in[0]->data;
    float *z = out[0]->data;
    for (int64_t i = 0; i < rt_numel(out[0]); i++)
        z[i] = x[i];
    return RT_OK;
}

/* Where it runs: out[0] = the CPUs its thread may run on, out[1] = the CPU it runs on,
 * out[2] = 1 when it runs on the thread that started the test, out[3] = its context's threads. */
static pthread_t kit_main_thread;

static inline int
kit_where(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
          int nout)
{
    (void)a, (void)in, (void)nin, (void)nout;
    cpu_set_t set;
    CPU_ZERO(&set);
    pthread_getaffinity_np(pthread_self(), sizeof set, &set);
    float *z = out[0]->data;
    z[0] = (float)CPU_COUNT(&set);
    z[1] = (float)sched_getcpu();
    z[2] = pthread_equal(pthread_self(), kit_main_thread) ? 1.0f : 0.0f;
    z[3] = (float)rt_ctx_threads(ctx);
    return RT_OK;
}

/* Does nothing: the executor's own cost per step. */
static inline int
kit_nop(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)ctx, (void)a, (void)in, (void)nin, (void)out, (void)nout;
    return RT_OK;
}
