/*
 * main.c: rt_main, the standalone binary of every plan. Reads the inputs (.bin raw, .pb
 * TensorProto or .npy, in order or by name; seeded pseudo-random without --input), runs the plan
 * --warmup times and then --iters times, writes the outputs and reports latency and throughput.
 * Exit status: 0 ok, 1 usage, 2 bad input (a weights or input file that is missing, not a regular
 * file, of the wrong size or type), 3 environment failure.
 *
 * Every count that comes from the plan or the command line is bounded before it sizes anything:
 * tensor sizes are checked for overflow, input files are sized before they are read, the
 * latencies kept for the statistics are a bounded sample (all of them up to SAMPLE_CAP runs, a
 * uniform reservoir sample beyond; with --trace each step's durations likewise, up to STEP_CAP
 * runs), and --threads is clamped to the CPUs online. Names that come from the model are escaped
 * before they reach a terminal or a JSON file.
 *
 * OpenBLAS picks its kernels and starts its threads when the library loads, before main, and
 * Debian's build does not recognise newer AVX-512 CPUs; so unless the user chose them, the binary
 * sets OPENBLAS_NUM_THREADS=1 (and OPENBLAS_CORETYPE=SkylakeX on such a CPU) and re-executes
 * itself once.
 */
#include "exec.h"
#include "rt_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ir/utf8.h"

#ifndef HETC_VERSION
#error "HETC_VERSION (CMake's PROJECT_VERSION) must be defined"
#endif

enum { SAMPLE_CAP = 1 << 16, STEP_CAP = 256 };

static const char usage[] =
    "usage: %s [--input [NAME=]FILE]... [--output FILE]... [--iters N] [--warmup N]\n"
    "          [--threads N] [--stream N] [--weights FILE] [--trace TRACE.json] [--json]\n"
    "          [--version]\n"
    "\n"
    "Runs the plan %s. Inputs are raw little-endian .bin files, ONNX TensorProto .pb files or\n"
    "NumPy .npy files (little-endian, C order, the input's dtype and shape), one per model input\n"
    "in order, or each as NAME=FILE in any order; without --input they are seeded pseudo-random.\n"
    "--output writes each output in order (.pb or .npy by the name's ending, else raw .bin).\n"
    "--iters runs the plan N times (default 1, 10 with --json) after --warmup runs; it reports\n"
    "the median latency and the throughput, or with --json latency_ms {median, p10, p90, min},\n"
    "throughput_ips, iters, threads and processors. --threads is at most the CPUs online.\n"
    "--stream N pushes N frames of the same inputs through the plan in each run, frames in\n"
    "flight at once where the plan has several lanes; latency is then a run's time over N (the\n"
    "time per frame), and the frames per second are reported (--json: stream {frames, fps});\n"
    "--output writes the last frame's outputs.\n"
    "--trace writes the steps of the last run (Chrome trace format: chrome://tracing, Perfetto),\n"
    "each with its median duration over the timed runs when there are several.\n"
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

/* ---- text from the model: escaped for terminals and JSON (ir/utf8.h) ------------------------- */

/* s made safe to print: printable text as it is; a backslash, a quote, control characters, the
 * bidirectional controls and bytes of invalid UTF-8 as \\, \", \xHH or \uHHHH. Cut with "..."
 * to fit cap bytes. Returns buf. */
static const char *
esc(char *buf, size_t cap, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        char piece[16];
        uint32_t cp;
        int len = ir_utf8_seq((const char *)p, &cp), k;
        if (len == 0)
            k = snprintf(piece, sizeof piece, "\\x%02x", *p), len = 1;
        else if (ir_cp_unsafe(cp))
            k = cp < 0x80 ? snprintf(piece, sizeof piece, "\\x%02x", (unsigned)cp)
                          : snprintf(piece, sizeof piece, "\\u%04x", (unsigned)cp);
        else if (cp == '\\' || cp == '"')
            k = snprintf(piece, sizeof piece, "\\%c", (char)cp);
        else
            k = len, memcpy(piece, p, (size_t)len);
        if (n + (size_t)k + 4 > cap) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        memcpy(buf + n, piece, (size_t)k);
        n += (size_t)k;
        p += len;
    }
    buf[n] = 0;
    return buf;
}

/* ---- inputs and outputs ---------------------------------------------------------------------- */

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

/* Which input an --input value names and the file, for NAME=FILE: the input whose name is the
 * longest text before an '=' of arg; -1 when no input is named so (arg is a file). */
static int
named_input(const RtModelInfo *info, const char *arg, const char **file)
{
    int best = -1;
    size_t best_len = 0;
    for (int k = 0; k < info->ninput; k++) {
        size_t n = strlen(info->input_names[k]);
        if (strncmp(arg, info->input_names[k], n) == 0 && arg[n] == '=' &&
            (best < 0 || n > best_len))
            best = k, best_len = n;
    }
    if (best >= 0)
        *file = arg + best_len + 1;
    return best;
}

/* Puts the --input values in the order of the plan's inputs: all by position or all by name.
 * 0, or 1 (usage) after a message. */
static int
order_inputs(const char *argv0, const RtModelInfo *info, const char **args, int nargs,
             const char **files)
{
    char b1[256], b2[256], b3[256];
    int nnamed = 0;
    for (int k = 0; k < info->ninput; k++)
        files[k] = NULL;
    for (int i = 0; i < nargs; i++) {
        const char *file;
        int k = named_input(info, args[i], &file);
        const char *eq = strchr(args[i], '=');
        if (k < 0 && eq && access(args[i], F_OK) != 0) {
            snprintf(b2, sizeof b2, "%.*s", (int)(eq - args[i]), args[i]);
            fprintf(stderr, "%s: --input %s: the plan has no input named \"%s\"\n", argv0,
                    esc(b1, sizeof b1, args[i]), esc(b3, sizeof b3, b2));
            return 1;
        }
        if (k < 0)
            continue;
        nnamed++;
        if (files[k]) {
            fprintf(stderr, "%s: input \"%s\" is given twice\n", argv0,
                    esc(b1, sizeof b1, info->input_names[k]));
            return 1;
        }
        files[k] = file;
    }
    if (nnamed == 0) {
        if (nargs != info->ninput) {
            fprintf(stderr, "%s: the plan has %d inputs; %d --input given\n", argv0,
                    info->ninput, nargs);
            return 1;
        }
        for (int k = 0; k < nargs; k++)
            files[k] = args[k];
        return 0;
    }
    if (nnamed != nargs) {
        fprintf(stderr, "%s: give every --input as NAME=FILE or none\n", argv0);
        return 1;
    }
    for (int k = 0; k < info->ninput; k++) {
        if (!files[k]) {
            fprintf(stderr, "%s: input \"%s\" has no --input %s=FILE\n", argv0,
                    esc(b1, sizeof b1, info->input_names[k]),
                    esc(b2, sizeof b2, info->input_names[k]));
            return 1;
        }
    }
    return 0;
}

/* The largest file that can hold a tensor of nb bytes, numel elements: raw data (.bin), a .npy
 * header and the data, or a TensorProto with each element in its widest encoding, and room for
 * names and doc strings. The widest is unpacked: a complex128 element is two doubles, each a
 * 1-byte key and 8 bytes (18); a 64-bit varint with its key takes 11. 24 a element covers all. */
static size_t
max_file(const char *path, size_t nb, int64_t numel)
{
    const size_t slack = (size_t)1 << 20;
    if (ends_with(path, ".npy"))
        return nb <= SIZE_MAX - slack ? nb + slack : SIZE_MAX;
    if (!ends_with(path, ".pb"))
        return nb;
    size_t n = (size_t)numel;
    if (n > (SIZE_MAX - slack) / 24)
        return SIZE_MAX;
    return n * 24 + slack;
}

/* Reads input k from path into *dst (nb bytes; replaced when the file's buffer is used as is).
 * RT_OK, or the status after one line on stderr. */
static int
read_input(const RtModelInfo *info, int k, const char *path, size_t nb, void **dst)
{
    const RtTensor *t = &info->inputs[k];
    char err[256], name[256], pathq[512];
    void *data;
    size_t size;
    esc(name, sizeof name, info->input_names[k]);
    esc(pathq, sizeof pathq, path);
    int rc = rt_read_file(path, max_file(path, nb, rt_numel(t)), &data, &size, err, sizeof err);
    if (rc != RT_OK && !(rc == RT_EINPUT && size > nb && !ends_with(path, ".pb") &&
                         !ends_with(path, ".npy"))) {
        fprintf(stderr, "%s: input %d \"%s\": %s\n", pathq, k, name, err);
        return rc;
    }
    if (ends_with(path, ".pb")) {
        rc = rt_read_pb(data, size, t, *dst, err, sizeof err);
    } else if (ends_with(path, ".npy")) {
        rc = rt_read_npy(data, size, t, *dst, err, sizeof err);
    } else if (size != nb) {
        snprintf(err, sizeof err, "needs %zu bytes, the file has %zu", nb, size);
        rc = RT_EINPUT;
    } else {
        free(*dst);     /* the file's bytes are the tensor */
        *dst = data;
        data = NULL;
    }
    free(data);
    if (rc != RT_OK)
        fprintf(stderr, "%s: input %d \"%s\": %s\n", pathq, k, name, err);
    return rc;
}

/* Opens path for writing without blocking on a FIFO that has no reader, then blocking again. */
static FILE *
open_out(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666);
    if (fd < 0)
        return NULL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f)
        close(fd);
    return f;
}

/* Writes output k to path (.pb, .npy or raw by the name's ending); RT_OK or RT_EIO after a
 * message naming the path. */
static int
write_output(const RtModelInfo *info, int k, const char *path, void *data)
{
    RtTensor t = info->outputs[k];
    t.data = data;
    errno = 0;
    FILE *f = open_out(path);
    int rc = f ? RT_OK : RT_EIO;
    if (f && ends_with(path, ".pb")) {
        rc = rt_write_pb(f, &t, info->output_names[k]);
    } else if (f && ends_with(path, ".npy")) {
        rc = rt_write_npy(f, &t);
    } else if (f) {
        size_t nb;
        rt_tensor_bytes(&t, &nb);
        rc = fwrite(data, 1, nb, f) == nb ? RT_OK : RT_EIO;
    }
    int saved = errno;
    if (f && fclose(f) != 0 && rc == RT_OK) {
        saved = errno;
        rc = RT_EIO;
    }
    if (rc != RT_OK) {
        char pathq[512];
        fprintf(stderr, "%s: cannot write output %d: %s\n", esc(pathq, sizeof pathq, path), k,
                saved ? strerror(saved) : "write failed");
        return RT_EIO;
    }
    return RT_OK;
}

/* ---- statistics ------------------------------------------------------------------------------ */

/* Latencies of the timed runs: every one up to cap, then a uniform sample of cap of them
 * (reservoir sampling, a fixed seed); the count, sum and minimum are exact. */
typedef struct Stats {
    double *sample;
    int64_t cap, n, count;
    double sum_ms, min_ms;
    uint64_t rng;
} Stats;

static void
stats_add(Stats *s, double ms)
{
    s->count++;
    s->sum_ms += ms;
    s->min_ms = s->count == 1 || ms < s->min_ms ? ms : s->min_ms;
    if (s->n < s->cap) {
        s->sample[s->n++] = ms;
        return;
    }
    s->rng ^= s->rng << 13;     /* xorshift64 */
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    uint64_t j = s->rng % (uint64_t)s->count;
    if (j < (uint64_t)s->cap)
        s->sample[j] = ms;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile of the sorted sample, as the binary always gave it (element n*p/100);
 * n <= SAMPLE_CAP, so the product cannot overflow. */
static double
stats_pct(const Stats *s, int p)
{
    int64_t i = s->n * p / 100;
    return s->sample[i < s->n ? i : s->n - 1];
}

/* inferences per second over the timed runs; 0 when they took no measurable time */
static double
stats_ips(const Stats *s)
{
    return s->sum_ms > 0 ? (double)s->count * 1e3 / s->sum_ms : 0;
}

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Each step's durations over the timed runs, for the trace's median_us: every run's up to cap,
 * then a uniform sample of cap runs (one draw per run, so that the steps of a run stay
 * together). dur[run slot * nstep + step], in microseconds; a step absent from a run keeps -1. */
typedef struct StepSamples {
    float *dur;
    int nstep, cap, n;
    int64_t runs;               /* timed runs seen */
    uint64_t rng;
} StepSamples;

/* 0, or -1 out of memory */
static int
steps_init(StepSamples *ss, int nstep, int iters)
{
    ss->nstep = nstep;
    ss->cap = iters < STEP_CAP ? iters : STEP_CAP;
    ss->rng = 0x2545f4914f6cdd1du;
    size_t n = (size_t)ss->cap * (size_t)(nstep > 0 ? nstep : 1);
    ss->dur = malloc(n * sizeof *ss->dur);
    if (!ss->dur)
        return -1;
    for (size_t i = 0; i < n; i++)
        ss->dur[i] = -1;
    return 0;
}

/* The durations of the run p has just made. */
static void
steps_add(StepSamples *ss, const RtPlan *p)
{
    int64_t r = ss->runs++;
    int64_t slot = r;
    if (r >= ss->cap) {
        ss->rng ^= ss->rng << 13;     /* xorshift64 */
        ss->rng ^= ss->rng >> 7;
        ss->rng ^= ss->rng << 17;
        slot = (int64_t)(ss->rng % (uint64_t)(r + 1));
        if (slot >= ss->cap)
            return;
    } else {
        ss->n++;
    }
    float *row = ss->dur + (size_t)slot * (size_t)ss->nstep;
    for (int k = 0; k < rt_plan_nlane(p); k++) {
        int n;
        const RtTraceEvent *ev = rt_plan_trace_events(p, k, &n);
        for (int i = 0; i < n; i++)
            if (ev[i].step >= 0 && ev[i].step < ss->nstep)
                row[ev[i].step] = (float)((ev[i].end_ms - ev[i].start_ms) * 1e3);
    }
}

static int
cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Step k's median duration in microseconds over the sampled runs (the element at half the sorted
 * sample, as the latency's median), its sampled run count in *runs; buf has cap floats. */
static double
steps_median(const StepSamples *ss, int k, float *buf, int *runs)
{
    int n = 0;
    for (int r = 0; r < ss->n; r++) {
        float v = ss->dur[(size_t)r * (size_t)ss->nstep + (size_t)k];
        if (v >= 0)
            buf[n++] = v;
    }
    *runs = n;
    if (n == 0)
        return 0;
    qsort(buf, (size_t)n, sizeof *buf, cmp_float);
    return buf[n / 2];
}

/* ---- the rest -------------------------------------------------------------------------------- */

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
    char name[256];
    int64_t n = rt_numel(t);
    printf("output %d \"%s\" %s[", k, esc(name, sizeof name, info->output_names[k]),
           t->dt == DT_F32 ? "float32" : "");
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

static const char *
backend_name(int backend)
{
    return backend == RT_BACKEND_OPENCL ? "opencl" : "cpu";
}

/* "processors": [{"id", "backend", "device"}], one per lane of the plan */
static void
put_processors(FILE *f, const RtModelInfo *info, RtPlan *p)
{
    fprintf(f, "[");
    for (int k = 0; k < rt_plan_nlane(p); k++) {
        const RtProc *q = &info->desc->proc[rt_plan_lane_proc(p, k)];
        fprintf(f, "%s{\"id\": ", k ? ", " : "");
        ir_json_put_str(f, q->id);
        fprintf(f, ", \"backend\": \"%s\", \"device\": ", backend_name(q->backend));
        ir_json_put_str(f, rt_plan_device(p, k));
        fprintf(f, ", \"threads\": %d}", rt_plan_threads(p, k));
    }
    fprintf(f, "]");
}

/* A track's metadata: its process and thread named, in order. */
static void
put_track(FILE *f, int pid, const char *name)
{
    static const char *const what[] = {"process_name", "thread_name"};
    for (int i = 0; i < 2; i++) {
        fprintf(f, "%s  {\"name\": \"%s\", \"ph\": \"M\", \"pid\": %d, \"tid\": 0, "
                "\"args\": {\"name\": ", pid || i ? ",\n" : "", what[i], pid);
        ir_json_put_str(f, name);
        fprintf(f, "}}");
    }
    fprintf(f, ",\n  {\"name\": \"process_sort_index\", \"ph\": \"M\", \"pid\": %d, "
            "\"args\": {\"sort_index\": %d}}", pid, pid);
}

/* The node name in a step's label 'node 12 "NAME" (OPS)' (OPS hold no parenthesis; the name may
 * hold anything) into buf; any other label (a copy's) whole. */
static const char *
step_node(const char *label, char *buf, size_t size)
{
    const char *q = strchr(label, '"'), *paren = strrchr(label, '(');
    size_t len = strlen(label);
    if (strncmp(label, "node ", 5) != 0 || !q || !paren || paren < q + 3 || paren[-1] != ' ' ||
        paren[-2] != '"' || label[len - 1] != ')')
        return label;
    snprintf(buf, size, "%.*s", (int)(paren - 2 - (q + 1)), q + 1);
    return buf;
}

/* The steps of the last run as Chrome trace events: one track (pid) per processor, named by its
 * id, its device and threads, and one for the copies between memory spaces. With ss (several
 * timed runs), each step also gets its median duration over them. */
static int
write_trace(const char *path, const RtModelInfo *info, RtPlan *p, const StepSamples *ss)
{
    FILE *f = open_out(path);
    if (!f)
        return RT_EIO;
    const RtPlanDesc *d = info->desc;
    int nlane = rt_plan_nlane(p);
    char track[512];
    char node[8192];
    float *buf = ss ? malloc((size_t)ss->cap * sizeof *buf) : NULL;
    if (ss && !buf) {
        fclose(f);
        errno = ENOMEM;
        return RT_ENOMEM;
    }
    fprintf(f, "{\"traceEvents\": [\n");
    for (int k = 0; k < nlane; k++) {
        int threads = rt_plan_threads(p, k);
        snprintf(track, sizeof track, "%s: %s (%d thread%s)",
                 d->proc[rt_plan_lane_proc(p, k)].id, rt_plan_device(p, k), threads,
                 threads == 1 ? "" : "s");
        put_track(f, k, track);
    }
    put_track(f, nlane, "copies");
    for (int k = 0; k < nlane; k++) {
        int n;
        const RtTraceEvent *ev = rt_plan_trace_events(p, k, &n);
        const char *proc = d->proc[rt_plan_lane_proc(p, k)].id;
        for (int i = 0; i < n; i++) {
            /* cat and args.ops: the step's fused ops, the last "(...)" of its name ("node 12
             * \"c\" (Conv+Relu)"; ops hold no parenthesis); args.op: the node's own op */
            const char *name = d->step_name[ev[i].step], *op = d->step_op[ev[i].step];
            const char *paren = strrchr(name, '(');
            size_t len = strlen(name);
            char ops[512];
            if (paren && len > 0 && name[len - 1] == ')')
                snprintf(ops, sizeof ops, "%.*s", (int)(name + len - 2 - paren), paren + 1);
            else
                snprintf(ops, sizeof ops, "%s", op);
            fprintf(f, ",\n  {\"name\": ");
            ir_json_put_str(f, name);
            fprintf(f, ", \"cat\": ");
            ir_json_put_str(f, ops);
            fprintf(f, ", \"ph\": \"X\", \"pid\": %d, \"tid\": 0, \"ts\": %.3f, "
                    "\"dur\": %.3f, \"args\": {\"step\": %d, \"op\": ", ev[i].copy ? nlane : k,
                    ev[i].start_ms * 1e3, (ev[i].end_ms - ev[i].start_ms) * 1e3, ev[i].step);
            ir_json_put_str(f, op);
            fprintf(f, ", \"ops\": ");
            ir_json_put_str(f, ops);
            fprintf(f, ", \"processor\": ");
            ir_json_put_str(f, proc);
            fprintf(f, ", \"node\": ");
            ir_json_put_str(f, step_node(name, node, sizeof node));
            int runs;
            if (ss && ss->runs > 1)
                fprintf(f, ", \"median_us\": %.3f, \"runs\": %lld",
                        steps_median(ss, ev[i].step, buf, &runs), (long long)ss->runs);
            fprintf(f, "}}");
        }
    }
    fprintf(f, "\n], \"displayTimeUnit\": \"ms\", \"otherData\": {\"plan\": ");
    ir_json_put_str(f, info->name);
    fprintf(f, ", \"device\": ");
    ir_json_put_str(f, rt_plan_device(p, 0));
    fprintf(f, ", \"processors\": ");
    put_processors(f, info, p);
    fprintf(f, "}}\n");
    free(buf);
    int bad = ferror(f);
    return fclose(f) == 0 && !bad ? RT_OK : RT_EIO;
}

/* --threads beyond the CPUs online are clamped to them, with a note: more threads than CPUs
 * only contend, and a huge count would exhaust the process's threads. */
static int
clamp_threads(const char *argv0, int threads)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (online < 1 || threads <= online)
        return threads;
    fprintf(stderr, "%s: note: --threads %d, but %ld CPUs are online; using %ld\n", argv0,
            threads, online, online);
    return (int)(online < INT_MAX ? online : INT_MAX);
}

int
rt_main(int argc, char **argv, const RtModelInfo *info)
{
    /* at most one --input per input and one --output per output are used; the counts are
     * checked against the plan's below. argc bounds what the flags can name. */
    int nslot = argc > 0 ? argc : 1;
    const char **args = calloc((size_t)nslot, sizeof *args);
    const char **inputs = calloc((size_t)(info->ninput > 0 ? info->ninput : 1), sizeof *inputs);
    const char **outputs = calloc((size_t)nslot, sizeof *outputs);
    void **in = calloc((size_t)(info->ninput > 0 ? info->ninput : 1), sizeof *in);
    void **out = calloc((size_t)(info->noutput > 0 ? info->noutput : 1), sizeof *out);
    const char *weights = NULL, *trace = NULL;
    int nin = 0, nout = 0, iters = 1, warmup = 0, threads = 1, json = 0, iters_set = 0;
    int stream = 0;
    int rc = RT_OK, status = 0;
    char b1[256];
    Stats st = {.rng = 0x9e3779b97f4a7c15u};
    StepSamples ss = {0};
    RtPlan *m = NULL;
    if (!args || !inputs || !outputs || !in || !out) {
        rc = RT_ENOMEM;
        goto fail;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf(usage, argv[0], info->name, info->name);
            goto done;
        } else if (strcmp(a, "--version") == 0) {
            printf("%s (a plan of hetc %s)\n", esc(b1, sizeof b1, info->name), HETC_VERSION);
            goto done;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s: %s needs a value (--help for usage)\n", argv[0], a);
            rc = RT_EUSAGE;
            goto done;
        }
        i++;
        if (strcmp(a, "--input") == 0) {
            args[nin++] = v;
        } else if (strcmp(a, "--output") == 0) {
            outputs[nout++] = v;
        } else if (strcmp(a, "--weights") == 0) {
            weights = v;
        } else if (strcmp(a, "--trace") == 0) {
            trace = v;
        } else if (strcmp(a, "--iters") == 0 && parse_int(v, 1, &iters) == 0) {
            iters_set = 1;
        } else if (strcmp(a, "--warmup") == 0 && parse_int(v, 0, &warmup) == 0) {
        } else if (strcmp(a, "--threads") == 0 && parse_int(v, 1, &threads) == 0) {
        } else if (strcmp(a, "--stream") == 0 && parse_int(v, 1, &stream) == 0) {
        } else {
            fprintf(stderr, "%s: bad flag or value: %s %s (--help for usage)\n", argv[0], a, v);
            rc = RT_EUSAGE;
            goto done;
        }
    }
    if (nin != 0 && order_inputs(argv[0], info, args, nin, inputs) != 0) {
        rc = RT_EUSAGE;
        goto done;
    }
    if (nout != 0 && nout != info->noutput) {
        fprintf(stderr, "%s: the plan has %d outputs; %d --output given\n", argv[0],
                info->noutput, nout);
        rc = RT_EUSAGE;
        goto done;
    }
    for (int k = 0; k < nout; k++) {
        if (ends_with(outputs[k], ".npy") && info->outputs[k].dt == DT_BF16) {
            fprintf(stderr, "%s: --output %s: output %d \"%s\" is bfloat16, which NumPy has no "
                    "dtype for (write .bin or .pb)\n", argv[0], outputs[k], k,
                    esc(b1, sizeof b1, info->output_names[k]));
            rc = RT_EUSAGE;
            goto done;
        }
    }
    if (json && !iters_set)
        iters = 10;
    maybe_reexec(argv);
    threads = clamp_threads(argv[0], threads);   /* after the re-exec: one note */

    char path[4096];
    for (int k = 0; k < info->ninput; k++) {
        const RtTensor *t = &info->inputs[k];
        size_t nb;
        if (rt_tensor_bytes(t, &nb) != 0) {
            fprintf(stderr, "%s: input %d \"%s\" is too large to address\n", argv[0], k,
                    esc(b1, sizeof b1, info->input_names[k]));
            rc = RT_EINPUT;
            goto done;
        }
        if (!(in[k] = malloc(nb ? nb : 1))) {
            rc = RT_ENOMEM;
            goto fail;
        }
        if (nin == 0)
            fill_random(t, in[k], k);
        else if ((rc = read_input(info, k, inputs[k], nb, &in[k])) != RT_OK)
            goto done;
    }
    for (int k = 0; k < info->noutput; k++) {
        size_t nb;
        if (rt_tensor_bytes(&info->outputs[k], &nb) != 0) {
            fprintf(stderr, "%s: output %d \"%s\" is too large to address\n", argv[0], k,
                    esc(b1, sizeof b1, info->output_names[k]));
            rc = RT_EINPUT;
            goto done;
        }
        if (!(out[k] = calloc(nb ? nb : 1, 1))) {
            rc = RT_ENOMEM;
            goto fail;
        }
    }
    if (!weights) {
        default_weights(path, sizeof path, argv[0], info->name);
        weights = path;
    }
    /* the plan opens the weights once (a plan without weights never does): rt_weights_open
     * refuses a FIFO or a device without blocking and says so */
    m = rt_plan_new_stream(info->desc, weights, threads, stream, &rc);
    if (!m) {
        const char *why = rt_weights_error();
        if (rc == RT_EIO) {
            /* a missing or unreadable weights file is bad input, like a missing --input */
            fprintf(stderr, "%s: cannot read the weights: %s\n", esc(b1, sizeof b1, weights),
                    why[0] ? why : strerror(errno));
            rc = RT_EINPUT;
        } else if (rc == RT_EINPUT && why[0]) {
            fprintf(stderr, "%s: the weights file: %s\n", esc(b1, sizeof b1, weights), why);
        } else if (rc == RT_EINPUT && !rt_create_error()[0]) {
            fprintf(stderr, "%s: the weights file is truncated, corrupt or of another plan\n",
                    esc(b1, sizeof b1, weights));
        } else {
            fprintf(stderr, "%s: creating the plan failed: %s\n", argv[0],
                    rt_create_error()[0] ? rt_create_error() : rt_strerror(rc));
        }
        goto done;
    }
    st.cap = iters < SAMPLE_CAP ? iters : SAMPLE_CAP;
    st.sample = malloc((size_t)st.cap * sizeof *st.sample);
    if (!st.sample || (trace && rt_plan_trace(m, 1) != RT_OK) ||
        (trace && iters > 1 && steps_init(&ss, info->desc->nsteps, iters) != 0)) {
        rc = RT_ENOMEM;
        goto fail;
    }
    for (int64_t i = 0; i < (int64_t)warmup + iters; i++) {
        double t0 = now_ms();
        rc = stream ? rt_plan_stream(m, (const void *const *)in, out, stream)
                    : rt_plan_run(m, (const void *const *)in, out);
        double t1 = now_ms();
        if (rc != RT_OK) {
            fprintf(stderr, "%s: %s\n", argv[0], rt_plan_error(m));
            goto done;
        }
        if (i >= warmup)
            stats_add(&st, (t1 - t0) / (stream ? stream : 1));
        if (i >= warmup && ss.dur)
            steps_add(&ss, m);
    }
    for (int k = 0; k < nout; k++)
        if ((rc = write_output(info, k, outputs[k], out[k])) != RT_OK)
            goto done;
    if (trace && (rc = write_trace(trace, info, m, ss.dur ? &ss : NULL)) != RT_OK) {
        fprintf(stderr, "%s: cannot write the trace: %s\n", esc(b1, sizeof b1, trace),
                strerror(errno));
        goto done;
    }
    qsort(st.sample, (size_t)st.n, sizeof *st.sample, cmp_double);
    if (json) {
        printf("{\"latency_ms\": {\"median\": %.4f, \"p10\": %.4f, \"p90\": %.4f, \"min\": %.4f}, "
               "\"iters\": %d, \"threads\": %d, \"processors\": ",
               stats_pct(&st, 50), stats_pct(&st, 10), stats_pct(&st, 90), st.min_ms, iters,
               threads);
        put_processors(stdout, info, m);
        printf(", \"throughput_ips\": %.2f", stats_ips(&st));
        if (stream)
            printf(", \"stream\": {\"frames\": %d, \"fps\": %.2f}", stream,
                   stats_pct(&st, 50) > 0 ? 1e3 / stats_pct(&st, 50) : 0);
        printf("}\n");
    } else if (nout == 0) {
        for (int k = 0; k < info->noutput; k++) {
            RtTensor t = info->outputs[k];
            t.data = out[k];
            print_summary(info, k, &t);
        }
        if (iters > 1 && !stream)
            printf("latency median %.3f ms over %d runs, throughput %.2f inferences/s\n",
                   stats_pct(&st, 50), iters, stats_ips(&st));
        if (stream)
            printf("stream of %d frames: %.3f ms per frame (median over %d runs), %.2f "
                   "frames/s\n", stream, stats_pct(&st, 50), iters,
                   stats_pct(&st, 50) > 0 ? 1e3 / stats_pct(&st, 50) : 0);
    }
    goto done;
fail:
    fprintf(stderr, "%s: %s\n", argv[0], rt_strerror(rc));
done:
    status = rt_exit_status(rc);
    if (m)
        rt_plan_free(m);
    for (int k = 0; in && k < info->ninput; k++)
        free(in[k]);
    for (int k = 0; out && k < info->noutput; k++)
        free(out[k]);
    free(in);
    free(out);
    free(args);
    free(inputs);
    free(outputs);
    free(st.sample);
    free(ss.dur);
    return status;
}
