/*
 * rt.c: the runtime's core: status strings, tensors, the execution context with its worker
 * threads and scratch memory, and weights files.
 *
 * Threads: a context with T threads starts T-1 workers once; rt_parallel_for publishes a job
 * under a mutex, bumps a generation counter and wakes the workers; each thread (the caller too)
 * takes contiguous chunks from a shared atomic counter until none are left, and the caller waits
 * until every worker has finished the generation. Kernels call it from the plan's thread only.
 */
#include "rt_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

int64_t
rt_numel(const RtTensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= t->dim[i];
    return n;
}

/* ---- context and threads ------------------------------------------------------------------------ */

typedef struct Job {
    void (*fn)(void *arg, int64_t begin, int64_t end);
    void *arg;
    int64_t n, chunk;
    atomic_llong next;          /* first item not yet taken */
} Job;

struct RtCtx {
    int nthreads;
    pthread_t *worker;          /* nthreads - 1 of them */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    long gen;                   /* bumped per job */
    int busy;                   /* workers still on the current job */
    int stop;
    Job job;
    void *scratch[RT_SCRATCH_SLOTS];
    size_t scratch_size[RT_SCRATCH_SLOTS];
    char err[512];
};

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

static void *
worker_main(void *p)
{
    RtCtx *c = p;
    long seen = 0;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->gen == seen && !c->stop)
            pthread_cond_wait(&c->wake, &c->mu);
        if (c->stop)
            break;
        seen = c->gen;
        pthread_mutex_unlock(&c->mu);
        run_chunks(&c->job);
        pthread_mutex_lock(&c->mu);
        if (--c->busy == 0)
            pthread_cond_signal(&c->done);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

RtCtx *
rt_ctx_new(int threads)
{
    if (threads < 1)
        threads = 1;
    RtCtx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nthreads = 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    pthread_cond_init(&c->done, NULL);
    c->worker = calloc((size_t)threads, sizeof *c->worker);
    if (!c->worker) {
        rt_ctx_free(c);
        return NULL;
    }
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&c->worker[i - 1], NULL, worker_main, c) != 0)
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
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->nthreads - 1; i++)
        pthread_join(c->worker[i], NULL);
    for (int i = 0; i < RT_SCRATCH_SLOTS; i++)
        free(c->scratch[i]);
    free(c->worker);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->wake);
    pthread_cond_destroy(&c->done);
    free(c);
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

int
rt_fail(RtCtx *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return status;
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
    pthread_mutex_lock(&c->mu);
    c->job.fn = fn;
    c->job.arg = arg;
    c->job.n = n;
    c->job.chunk = chunk;
    atomic_store(&c->job.next, 0);
    c->busy = t - 1;
    c->gen++;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->mu);
    run_chunks(&c->job);
    pthread_mutex_lock(&c->mu);
    while (c->busy > 0)
        pthread_cond_wait(&c->done, &c->mu);
    pthread_mutex_unlock(&c->mu);
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

int
rt_weights_open(RtWeights *w, const char *path, size_t expect_size, uint64_t expect_sum)
{
    memset(w, 0, sizeof *w);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return RT_EIO;
    struct stat st;
    int rc = RT_EINPUT;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size < WTS_HEADER)
        goto done;
    if ((size_t)st.st_size != WTS_HEADER + expect_size)
        goto done;
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        rc = RT_EIO;
        goto done;
    }
    const unsigned char *h = map;
    uint64_t size, sum;
    memcpy(&size, h + 8, 8);
    memcpy(&sum, h + 16, 8);
    if (memcmp(h, "HETCWTS1", 8) != 0 || size != expect_size || sum != expect_sum ||
        rt_fnv1a64(h + WTS_HEADER, expect_size) != expect_sum) {
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
