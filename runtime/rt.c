/*
 * rt.c: the runtime's core: status strings, tensors, the execution context with its worker
 * threads and scratch memory, and weights files.
 *
 * Threads: a context with T threads starts T-1 workers once; rt_parallel_for publishes a job and
 * hands it to the workers (see the state machine below); each thread (the caller too) takes
 * contiguous chunks from a shared atomic counter until none are left. OpenBLAS is kept
 * single-threaded. Kernels call it from the plan's thread only.
 */
#include "exec_impl.h"
#include "ir/checksum.h"

#include <cblas.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

const char *
rt_strerror(int status)
{
    switch (status) {
    case RT_OK: return "ok";
    case RT_ENOMEM: return "out of memory";
    case RT_EIO: return "I/O error";
    case RT_EINPUT: return "bad input";
    case RT_EUNSUPPORTED: return "unsupported by the kernel";
    case RT_ECL: return "OpenCL error";
    case RT_EUSAGE: return "usage error";
    case RT_ESYS: return "system call failed";
    default: return "unknown error";
    }
}

int
rt_exit_status(int status)
{
    switch (status) {
    case RT_OK: return 0;
    case RT_EUSAGE: return 1;
    case RT_EINPUT: case RT_EUNSUPPORTED: return 2;
    default: return 3;
    }
}

size_t
rt_dtype_size(DType t)
{
    switch (t) {
    case DT_F32: case DT_I32: case DT_U32: return 4;
    case DT_U8: case DT_I8: case DT_BOOL: return 1;
    case DT_U16: case DT_I16: case DT_F16: case DT_BF16: return 2;
    case DT_I64: case DT_F64: case DT_U64: case DT_C64: return 8;
    case DT_C128: return 16;
    default: return 0;
    }
}

int
rt_tensor_bytes(const RtTensor *t, size_t *bytes)
{
    size_t n = rt_dtype_size(t->dt);
    *bytes = 0;
    if (n == 0 || t->rank < 0 || t->rank > RT_MAXRANK)
        return -1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dim[i] < 0 || (uint64_t)t->dim[i] > SIZE_MAX)
            return -1;
        size_t d = (size_t)t->dim[i];
        if (d && n > SIZE_MAX / d)
            return -1;
        n *= d;
    }
    *bytes = n;
    return 0;
}

int64_t
rt_numel(const RtTensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= t->dim[i];
    return n;
}

/* ---- context and threads ------------------------------------------------------------------------ */

/*
 * Each worker has a state: IDLE, ASSIGNED (a job is published for it) or RUNNING. The caller
 * writes the job while every worker is IDLE, then marks them ASSIGNED (release). A worker claims
 * the job by moving ASSIGNED to RUNNING (acquire), takes chunks, and goes back to IDLE (release).
 * Once the caller has taken the last chunk itself, it withdraws the job from workers that have
 * not claimed it yet (ASSIGNED to IDLE) and waits only for those RUNNING, so a worker slow to wake
 * costs nothing. Workers spin for a while (SPIN_NS) before they sleep on the condition variable;
 * `sleepers` lets the caller skip the broadcast when no one sleeps (both sides use seq_cst, so
 * either the caller sees the sleeper or the sleeper sees its state ASSIGNED).
 */
enum { W_IDLE, W_ASSIGNED, W_RUNNING };
#define SPIN_NS 50000

typedef struct Job {
    void (*fn)(void *arg, int64_t begin, int64_t end);
    void *arg;
    int64_t n, chunk;
    atomic_llong next;          /* first item not yet taken */
} Job;

/* A buffer a kernel derived from a constant (rt_derived). */
typedef struct Derived {
    struct Derived *next;
    const void *key;
    int tag;
    size_t bytes;
    void *data;
} Derived;

typedef struct Worker {
    RtCtx *c;
    pthread_t tid;
    _Alignas(64) atomic_int state;
    char pad[60];
} Worker;

struct RtCtx {
    int nthreads;
    Worker *worker;             /* nthreads - 1 of them */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_int sleepers;        /* workers in (or about to enter) pthread_cond_wait */
    atomic_int stop;
    Job job;
    void *scratch[RT_SCRATCH_SLOTS];
    size_t scratch_size[RT_SCRATCH_SLOTS];
    const unsigned char *const_lo, *const_hi; /* the plan's constants (rt_ctx_consts) */
    Derived *derived;           /* rt_derived's buffers, newest first */
    char err[512];
    char device[256];           /* rt_ctx_device_name; "" until asked or set */
};

void
rt_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

int64_t
rt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
run_chunks(Job *j)
{
    for (;;) {
        int64_t b = atomic_fetch_add(&j->next, j->chunk);
        if (b >= j->n)
            return;
        int64_t e = b + j->chunk < j->n ? b + j->chunk : j->n;
        j->fn(j->arg, b, e);
    }
}

/* 1 when w has a job or the context stops. */
static int
has_work(Worker *w)
{
    return atomic_load(&w->state) == W_ASSIGNED || atomic_load(&w->c->stop);
}

static void *
worker_main(void *p)
{
    Worker *w = p;
    RtCtx *c = w->c;
    for (;;) {
        if (!has_work(w)) {
            int64_t t0 = rt_now_ns();
            for (int i = 1; !has_work(w); i++) {
                rt_relax();
                if (i % 64 == 0 && rt_now_ns() - t0 > SPIN_NS)
                    break;
            }
        }
        if (!has_work(w)) {
            pthread_mutex_lock(&c->mu);
            atomic_fetch_add(&c->sleepers, 1);
            while (!has_work(w))
                pthread_cond_wait(&c->wake, &c->mu);
            atomic_fetch_sub(&c->sleepers, 1);
            pthread_mutex_unlock(&c->mu);
        }
        if (atomic_load(&c->stop))
            break;
        int expect = W_ASSIGNED;
        if (!atomic_compare_exchange_strong(&w->state, &expect, W_RUNNING))
            continue;   /* withdrawn by the caller */
        run_chunks(&c->job);
        atomic_store_explicit(&w->state, W_IDLE, memory_order_release);
    }
    return NULL;
}

RtCtx *
rt_ctx_new(int threads)
{
    if (threads < 1)
        threads = 1;
    /* OpenBLAS stays on the calling thread: the kernels split their GEMMs over our threads */
    openblas_set_num_threads(1);
    RtCtx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nthreads = 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    c->worker = aligned_alloc(64, (size_t)threads * sizeof *c->worker);
    if (!c->worker) {
        rt_ctx_free(c);
        return NULL;
    }
    memset(c->worker, 0, (size_t)threads * sizeof *c->worker);
    for (int i = 1; i < threads; i++) {
        Worker *w = &c->worker[i - 1];
        w->c = c;
        atomic_init(&w->state, W_IDLE);
        if (pthread_create(&w->tid, NULL, worker_main, w) != 0)
            break;  /* fewer threads than asked: still correct */
        c->nthreads++;
    }
    return c;
}

void
rt_ctx_free(RtCtx *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, 1);
    pthread_mutex_lock(&c->mu);
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; c->worker && i < c->nthreads - 1; i++)
        pthread_join(c->worker[i].tid, NULL);
    for (int i = 0; i < RT_SCRATCH_SLOTS; i++)
        free(c->scratch[i]);
    while (c->derived) {
        Derived *d = c->derived;
        c->derived = d->next;
        free(d->data);
        free(d);
    }
    free(c->worker);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->wake);
    free(c);
}

void
rt_ctx_consts(RtCtx *c, const void *data, size_t bytes)
{
    c->const_lo = data;
    c->const_hi = data ? (const unsigned char *)data + bytes : NULL;
}

void *
rt_derived(RtCtx *c, const void *key, int tag, size_t bytes, int *fresh)
{
    const unsigned char *k = key;
    *fresh = 0;
    if (!k || !c->const_lo || k < c->const_lo || k >= c->const_hi)
        return NULL;
    for (Derived *d = c->derived; d; d = d->next)
        if (d->key == key && d->tag == tag && d->bytes == bytes)
            return d->data;
    Derived *d = calloc(1, sizeof *d);
    if (!d || !(d->data = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64))) {
        free(d);
        return NULL;
    }
    d->key = key;
    d->tag = tag;
    d->bytes = bytes;
    d->next = c->derived;
    c->derived = d;
    *fresh = 1;
    return d->data;
}

int
rt_ctx_threads(const RtCtx *c)
{
    return c->nthreads;
}

const char *
rt_ctx_error(const RtCtx *c)
{
    return c->err;
}

void
rt_ctx_set_device_name(RtCtx *c, const char *name)
{
    snprintf(c->device, sizeof c->device, "%s", name);
}

/* The value of /proc/cpuinfo's first "model name" line (x86; "Hardware" or "Model" elsewhere),
 * without the spaces around it; 0 when there is none. */
static int
cpu_model_name(char *out, size_t cap)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon || (strncmp(line, "model name", 10) && strncmp(line, "Hardware", 8) &&
                       strncmp(line, "Model", 5)))
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strcspn(v, "\n");
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n) {
            snprintf(out, cap, "%.*s", (int)n, v);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

const char *
rt_ctx_device_name(RtCtx *c)
{
    if (!c->device[0] && !cpu_model_name(c->device, sizeof c->device))
        snprintf(c->device, sizeof c->device, "cpu");
    return c->device;
}

/* one per thread: instances are made on any thread */
static _Thread_local char create_err[600];

const char *
rt_create_error(void)
{
    return create_err;
}

void
rt_set_create_error(const char *msg)
{
    snprintf(create_err, sizeof create_err, "%s", msg ? msg : "");
}

int
rt_fail(RtCtx *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return status;
}

double
rt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
rt_require_f32(RtCtx *c, const char *op, RtTensor *const *in, int nin, RtTensor *const *out,
               int nout)
{
    for (int i = 0; i < nin; i++)
        if (in[i] && in[i]->dt != DT_F32)
            return rt_fail(c, RT_EUNSUPPORTED, "%s: input %d has dtype %d, only f32 is supported",
                           op, i, (int)in[i]->dt);
    for (int i = 0; i < nout; i++)
        if (out[i] && out[i]->dt != DT_F32)
            return rt_fail(c, RT_EUNSUPPORTED, "%s: output %d has dtype %d, only f32 is supported",
                           op, i, (int)out[i]->dt);
    return RT_OK;
}

void
rt_parallel_for(RtCtx *c, int64_t n, int64_t grain, void (*fn)(void *, int64_t, int64_t),
                void *arg)
{
    if (n <= 0)
        return;
    if (grain < 1)
        grain = 1;
    int t = c->nthreads;
    if (t == 1 || n <= grain) {
        fn(arg, 0, n);
        return;
    }
    /* a few chunks per thread balance uneven work without much overhead */
    int64_t chunk = (n + 4 * t - 1) / (4 * t);
    if (chunk < grain)
        chunk = grain;
    int helpers = (int)((n + chunk - 1) / chunk) - 1; /* workers that can get a chunk */
    if (helpers > t - 1)
        helpers = t - 1;
    /* every worker is IDLE here, so none reads the job while it is written */
    c->job.fn = fn;
    c->job.arg = arg;
    c->job.n = n;
    c->job.chunk = chunk;
    atomic_store_explicit(&c->job.next, 0, memory_order_relaxed);
    for (int i = 0; i < helpers; i++)
        atomic_store(&c->worker[i].state, W_ASSIGNED);
    if (atomic_load(&c->sleepers) > 0) {
        pthread_mutex_lock(&c->mu);
        pthread_cond_broadcast(&c->wake);
        pthread_mutex_unlock(&c->mu);
    }
    run_chunks(&c->job);
    for (int i = 0; i < helpers; i++) {
        int expect = W_ASSIGNED;
        if (atomic_compare_exchange_strong(&c->worker[i].state, &expect, W_IDLE))
            continue;   /* it never started: withdrawn */
        while (atomic_load_explicit(&c->worker[i].state, memory_order_acquire) != W_IDLE)
            rt_relax();
    }
}

void *
rt_scratch(RtCtx *c, int slot, size_t bytes)
{
    if (slot < 0 || slot >= RT_SCRATCH_SLOTS)
        return NULL;
    if (bytes <= c->scratch_size[slot])
        return c->scratch[slot];
    free(c->scratch[slot]);
    c->scratch_size[slot] = 0;
    size_t n = (bytes + 63) & ~(size_t)63;
    c->scratch[slot] = aligned_alloc(64, n);
    if (!c->scratch[slot])
        return NULL;
    c->scratch_size[slot] = n;
    return c->scratch[slot];
}

/* ---- weights files ------------------------------------------------------------------------------ */

uint64_t
rt_fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

enum { WTS_HEADER = 64 };

static _Thread_local char weights_err[300];

const char *
rt_weights_error(void)
{
    return weights_err;
}

int
rt_weights_open(RtWeights *w, const char *path, size_t expect_size, uint64_t expect_sum)
{
    memset(w, 0, sizeof *w);
    weights_err[0] = 0;
    /* without blocking: a FIFO must not hang the open (it is refused below); the file checked
     * is the file mapped, through the one descriptor */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(weights_err, sizeof weights_err, "%s", strerror(errno));
        return RT_EIO;
    }
    struct stat st;
    int rc = RT_EINPUT;
    if (fstat(fd, &st) != 0) {
        snprintf(weights_err, sizeof weights_err, "%s", strerror(errno));
        rc = RT_EIO;
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(weights_err, sizeof weights_err, "not a regular file");
        goto done;
    }
    if ((size_t)st.st_size < WTS_HEADER)
        goto done;
    if ((size_t)st.st_size != WTS_HEADER + expect_size)
        goto done;
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        snprintf(weights_err, sizeof weights_err, "%s", strerror(errno));
        rc = RT_EIO;
        goto done;
    }
    const unsigned char *h = map;
    uint64_t size, sum;
    memcpy(&size, h + 8, 8);
    memcpy(&sum, h + 16, 8);
    if (memcmp(h, "HETCWTS2", 8) != 0 || size != expect_size || sum != expect_sum ||
        hc_sum(h + WTS_HEADER, expect_size) != expect_sum) {
        munmap(map, (size_t)st.st_size);
        goto done;
    }
    w->map = map;
    w->mapsize = (size_t)st.st_size;
    w->data = h + WTS_HEADER;
    w->size = expect_size;
    rc = RT_OK;
done:
    close(fd);
    return rc;
}

void
rt_weights_close(RtWeights *w)
{
    if (w->map)
        munmap(w->map, w->mapsize);
    memset(w, 0, sizeof *w);
}
