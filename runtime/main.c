/*
 * main.c: rt_main, the standalone binary of every plan. Reads the inputs (.bin raw or .pb
 * TensorProto; seeded pseudo-random without --input), runs the plan --warmup times and then
 * --iters times, writes the outputs and reports latency. Exit status: 0 ok, 1 usage, 2 bad input
 * (a weights file or an input of the wrong size or type), 3 environment failure.
 *
 * OpenBLAS picks its kernels and starts its threads when the library loads, before main, and
 * Debian's build does not recognise newer AVX-512 CPUs; so unless the user chose them, the binary
 * sets OPENBLAS_NUM_THREADS=1 (and OPENBLAS_CORETYPE=SkylakeX on such a CPU) and re-executes
 * itself once.
 */
#include "rt_io.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAXFILES = 256 };

static const char usage[] =
    "usage: %s [--input FILE]... [--output FILE]... [--iters N] [--warmup N] [--threads N]\n"
    "          [--weights FILE] [--trace TRACE.json] [--json]\n"
    "\n"
    "Runs the plan %s. Inputs are raw little-endian .bin files or ONNX TensorProto .pb files, one\n"
    "per model input in order; without --input they are seeded pseudo-random. --output writes\n"
    "each output (.pb when the name ends in .pb, else raw .bin). --json prints latency as JSON.\n"
    "--trace writes the steps of the last run (Chrome trace format: chrome://tracing, Perfetto).\n"
    "The weights default to %s.weights beside the executable.\n";

/* OpenBLAS reads its settings when it loads: set them and start again, once. Its own threads
 * are not wanted (hetc splits GEMMs over its pool), and on AVX-512 CPUs it needs to be told the
 * core type. Settings the user made are kept. */
static void
maybe_reexec(char **argv)
{
    if (getenv("HETC_NO_REEXEC"))
        return;
    int again = 0;
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        again = 1;
    }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (!getenv("OPENBLAS_CORETYPE") && __builtin_cpu_supports("avx512f")) {
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
        again = 1;
    }
#endif
    if (!again)
        return;
    setenv("HETC_NO_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    /* if exec fails, run on with OpenBLAS's defaults */
}

static int
parse_int(const char *s, int lo, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* seeded inputs: xorshift32 from 1234 + index; floats in [0, 1), integers in 0..9, bools 0/1 */
static void
fill_random(const RtTensor *t, void *dst, int index)
{
    uint32_t s = 1234u + (uint32_t)index;
    int64_t n = rt_numel(t);
    size_t es = rt_dtype_size(t->dt);
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        double u = (double)(s >> 8) / 16777216.0;
        unsigned char *p = (unsigned char *)dst + (size_t)i * es;
        switch (t->dt) {
        case DT_F32: { float f = (float)u; memcpy(p, &f, 4); break; }
        case DT_F64: memcpy(p, &u, 8); break;
        case DT_BOOL: *p = (unsigned char)(s & 1); break;
        default: {
            int64_t v = (int64_t)(s % 10);
            memcpy(p, &v, es <= 8 ? es : 8);   /* little-endian low bytes */
            break;
        }
        }
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* the default weights path: NAME.weights beside the executable */
static void
default_weights(char *buf, size_t size, const char *argv0, const char *name)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0)
        exe[n] = 0;
    else
        snprintf(exe, sizeof exe, "%s", argv0);
    char *slash = strrchr(exe, '/');
    if (slash)
        slash[1] = 0;
    else
        exe[0] = 0;
    snprintf(buf, size, "%s%s.weights", exe, name);
}

static void
print_summary(const RtModelInfo *info, int k, const RtTensor *t)
{
    int64_t n = rt_numel(t);
    printf("output %d \"%s\" %s[", k, info->output_names[k], t->dt == DT_F32 ? "float32" : "");
    for (int i = 0; i < t->rank; i++)
        printf("%s%lld", i ? "," : "", (long long)t->dim[i]);
    printf("]");
    if (t->dt == DT_F32 && n > 0) {
        const float *p = t->data;
        double lo = p[0], hi = p[0], sum = 0;
        for (int64_t i = 0; i < n; i++) {
            lo = p[i] < lo ? p[i] : lo;
            hi = p[i] > hi ? p[i] : hi;
            sum += p[i];
        }
        printf(" min %g max %g mean %g first", lo, hi, sum / (double)n);
        for (int64_t i = 0; i < n && i < 4; i++)
            printf(" %g", (double)p[i]);
    }
    printf("\n");
}

static void
json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* The steps of the last run as Chrome trace events, one track per processor. */
static int
write_trace(const char *path, const RtModelInfo *info, RtCtx *ctx, int threads)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return RT_EIO;
    int n;
    const RtTraceEvent *ev = rt_ctx_trace_events(ctx, &n);
    fprintf(f, "{\"traceEvents\": [\n");
    fprintf(f, "  {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 0, \"tid\": 0, "
            "\"args\": {\"name\": \"%s (%d thread%s)\"}}", info->processors[0], threads,
            threads == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        fprintf(f, ",\n  {\"name\": ");
        json_string(f, info->step_names[ev[i].step]);
        fprintf(f, ", \"cat\": \"%s\", \"ph\": \"X\", \"pid\": 0, \"tid\": 0, \"ts\": %.3f, "
                "\"dur\": %.3f, \"args\": {\"step\": %d, \"op\": \"%s\"}}",
                info->step_ops[ev[i].step], ev[i].start_ms * 1e3,
                (ev[i].end_ms - ev[i].start_ms) * 1e3, ev[i].step, info->step_ops[ev[i].step]);
    }
    fprintf(f, "\n], \"displayTimeUnit\": \"ms\", \"otherData\": {\"plan\": ");
    json_string(f, info->name);
    fprintf(f, "}}\n");
    int bad = ferror(f);
    return fclose(f) == 0 && !bad ? RT_OK : RT_EIO;
}

int
rt_main(int argc, char **argv, const RtModelInfo *info)
{
    const char *inputs[MAXFILES], *outputs[MAXFILES], *weights = NULL, *trace = NULL;
    int nin = 0, nout = 0, iters = 1, warmup = 0, threads = 1, json = 0, iters_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf(usage, argv[0], info->name, info->name);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s: %s needs a value (--help for usage)\n", argv[0], a);
            return 1;
        }
        i++;
        if (strcmp(a, "--input") == 0 && nin < MAXFILES) {
            inputs[nin++] = v;
        } else if (strcmp(a, "--output") == 0 && nout < MAXFILES) {
            outputs[nout++] = v;
        } else if (strcmp(a, "--weights") == 0) {
            weights = v;
        } else if (strcmp(a, "--trace") == 0) {
            trace = v;
        } else if (strcmp(a, "--iters") == 0 && parse_int(v, 1, &iters) == 0) {
            iters_set = 1;
        } else if (strcmp(a, "--warmup") == 0 && parse_int(v, 0, &warmup) == 0) {
        } else if (strcmp(a, "--threads") == 0 && parse_int(v, 1, &threads) == 0) {
        } else {
            fprintf(stderr, "%s: bad flag or value: %s %s (--help for usage)\n", argv[0], a, v);
            return 1;
        }
    }
    if (nin != 0 && nin != info->ninput) {
        fprintf(stderr, "%s: the plan has %d inputs; %d --input given\n", argv[0], info->ninput,
                nin);
        return 1;
    }
    if (nout != 0 && nout != info->noutput) {
        fprintf(stderr, "%s: the plan has %d outputs; %d --output given\n", argv[0],
                info->noutput, nout);
        return 1;
    }
    if (json && !iters_set)
        iters = 10;
    maybe_reexec(argv);

    int rc = RT_OK, status = 0;
    char path[4096], err[256];
    void *in[MAXFILES] = {0}, *out[MAXFILES] = {0};
    double *lat = NULL;
    void *m = NULL;
    if (info->ninput > MAXFILES || info->noutput > MAXFILES) {
        fprintf(stderr, "%s: too many inputs or outputs\n", argv[0]);
        return 3;
    }
    for (int k = 0; k < info->ninput; k++) {
        const RtTensor *t = &info->inputs[k];
        size_t nb = (size_t)rt_numel(t) * rt_dtype_size(t->dt);
        in[k] = malloc(nb ? nb : 1);
        if (!in[k]) {
            rc = RT_ENOMEM;
            goto fail;
        }
        if (nin == 0) {
            fill_random(t, in[k], k);
            continue;
        }
        void *data;
        size_t size;
        if ((rc = rt_read_file(inputs[k], &data, &size)) != RT_OK) {
            fprintf(stderr, "%s: cannot read: %s\n", inputs[k], strerror(errno));
            rc = RT_EINPUT;
            goto done;
        }
        if (ends_with(inputs[k], ".pb")) {
            rc = rt_read_pb(data, size, t, in[k], err, sizeof err);
            if (rc != RT_OK)
                fprintf(stderr, "%s: input %d \"%s\": %s\n", inputs[k], k, info->input_names[k],
                        err);
        } else if (size != nb) {
            fprintf(stderr, "%s: input %d \"%s\" needs %zu bytes, the file has %zu\n", inputs[k],
                    k, info->input_names[k], nb, size);
            rc = RT_EINPUT;
        } else {
            memcpy(in[k], data, nb);
        }
        free(data);
        if (rc != RT_OK)
            goto done;
    }
    for (int k = 0; k < info->noutput; k++) {
        const RtTensor *t = &info->outputs[k];
        size_t nb = (size_t)rt_numel(t) * rt_dtype_size(t->dt);
        if (!(out[k] = calloc(nb ? nb : 1, 1))) {
            rc = RT_ENOMEM;
            goto fail;
        }
    }
    if (!weights) {
        default_weights(path, sizeof path, argv[0], info->name);
        weights = path;
    }
    m = info->create(weights, threads, &rc);
    if (!m) {
        if (rc == RT_EIO) {
            /* a missing or unreadable weights file is bad input, like a missing --input */
            fprintf(stderr, "%s: cannot read the weights: %s\n", weights, strerror(errno));
            rc = RT_EINPUT;
        }
        else if (rc == RT_EINPUT)
            fprintf(stderr, "%s: the weights file is truncated, corrupt or of another plan\n",
                    weights);
        else
            fprintf(stderr, "%s: creating the plan failed: %s\n", argv[0],
                    rt_create_error()[0] ? rt_create_error() : rt_strerror(rc));
        goto done;
    }
    lat = malloc((size_t)iters * sizeof *lat);
    if (!lat || (trace && rt_ctx_trace(info->ctx(m), info->nsteps + 1) != RT_OK)) {
        rc = RT_ENOMEM;
        goto fail;
    }
    for (int i = 0; i < warmup + iters; i++) {
        double t0 = now_ms();
        rc = info->run(m, in, out);
        double t1 = now_ms();
        if (rc != RT_OK) {
            fprintf(stderr, "%s: %s\n", argv[0], info->error(m));
            goto done;
        }
        if (i >= warmup)
            lat[i - warmup] = t1 - t0;
    }
    for (int k = 0; k < nout; k++) {
        RtTensor t = info->outputs[k];
        t.data = out[k];
        FILE *f = fopen(outputs[k], "wb");
        int ok = f != NULL;
        if (ok && ends_with(outputs[k], ".pb"))
            ok = rt_write_pb(f, &t, info->output_names[k]) == RT_OK;
        else if (ok) {
            size_t nb = (size_t)rt_numel(&t) * rt_dtype_size(t.dt);
            ok = fwrite(out[k], 1, nb, f) == nb;
        }
        if (f && fclose(f) != 0)
            ok = 0;
        if (!ok) {
            fprintf(stderr, "%s: cannot write: %s\n", outputs[k], strerror(errno));
            rc = RT_EIO;
            goto done;
        }
    }
    if (trace && (rc = write_trace(trace, info, info->ctx(m), threads)) != RT_OK) {
        fprintf(stderr, "%s: cannot write: %s\n", trace, strerror(errno));
        goto done;
    }
    qsort(lat, (size_t)iters, sizeof *lat, cmp_double);
    if (json) {
        printf("{\"latency_ms\": {\"median\": %.4f, \"p10\": %.4f, \"p90\": %.4f, \"min\": %.4f}, "
               "\"iters\": %d, \"threads\": %d, \"processors\": [",
               lat[iters / 2], lat[iters / 10], lat[(iters * 9) / 10 < iters ? (iters * 9) / 10
                                                                             : iters - 1],
               lat[0], iters, threads);
        for (int i = 0; i < info->nprocessors; i++)
            printf("%s\"%s\"", i ? ", " : "", info->processors[i]);
        printf("]}\n");
    } else if (nout == 0) {
        for (int k = 0; k < info->noutput; k++) {
            RtTensor t = info->outputs[k];
            t.data = out[k];
            print_summary(info, k, &t);
        }
        if (iters > 1)
            printf("latency median %.3f ms over %d runs\n", lat[iters / 2], iters);
    }
    goto done;
fail:
    fprintf(stderr, "%s: %s\n", argv[0], rt_strerror(rc));
done:
    status = rt_exit_status(rc);
    if (m)
        info->destroy(m);
    for (int k = 0; k < MAXFILES; k++) {
        free(in[k]);
        free(out[k]);
    }
    free(lat);
    return status;
}
