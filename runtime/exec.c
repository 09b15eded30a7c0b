/*
 * exec.c: the executor: a plan instance made from a generated RtPlanDesc, its lanes and their
 * workers, the waits between lanes, and a run from the caller's buffers to the outputs.
 *
 * Set-up (rt_plan_new): the tables are checked (every index in range, every wait reachable: the
 * lanes are simulated once, so waits that form a cycle are refused instead of hanging a run),
 * the weights file is mapped, the host arenas are allocated (page-aligned, so that an OpenCL
 * device on host memory can use them as they are), and each lane is opened through its
 * backend: a plan of one lane on the caller's thread, any other on one worker thread per lane,
 * pinned to its processor's cores before anything is opened, so that the threads a backend
 * starts (the CPU context's pool, PoCL's) inherit the pinning.
 *
 * A run: lane progress is published per lane as (run << 32) | steps done, so that the counts of
 * the previous run never satisfy a wait of this one. A step that another lane waits for is
 * synchronised by its backend (an OpenCL lane waits for its queue) before its count is
 * published. A waiting lane spins for up to SPIN_NS (yielding its core after the first turns),
 * then sleeps on a futex word that the publishing lane bumps when it sees a sleeper
 * (sequentially consistent on both sides: either the publisher sees the sleeper or the sleeper
 * sees the count). The first failure records its
 * message, sets `stop` and wakes every lane; the others return at their next step or wait. A
 * run ends when every lane returned and finished its queue.
 *
 * A stream (rt_plan_stream) is a run of several frames: each lane runs its steps for frame 0,
 * then 1, ...; a frame's waits are offset by the frames before (the counts grow through the
 * run), frame f works in arena copy f mod ncopy, and a lane starts frame f + ncopy only once
 * every lane has published frame f done (after waiting for its queue).
 *
 * Workers are started once and woken per run through `go` (a futex word, spin first); the caller
 * waits on `running`. Nothing mutable is shared between lanes except these counters.
 */
#define _GNU_SOURCE
#include "exec_impl.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SPIN_NS 50000           /* a waiting lane or idle worker spins this long, then sleeps */
#define CALLER_SPIN_NS 20000    /* the caller of a run with workers, before it sleeps */
enum { STOPPED = 1 };           /* a lane that returned because another failed */
enum { HOST_ALIGN = 4096 };

/* ---- small helpers ------------------------------------------------------------------------ */

static void
futex_wait(void *word, unsigned value)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void
futex_wake(void *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

size_t
rt_exec_bytes(const RtPlan *p, int i)
{
    size_t n;
    return rt_tensor_bytes(&p->d->shape[i], &n) == 0 ? n : 0;
}

/* ---- failures ----------------------------------------------------------------------------- */

/* Stops every lane: the flag, then a bump of every lane's futex word and of `running`'s
 * sleepers' (a waiter checks the flag after announcing itself, see the file's comment). */
static void
stop_all(RtPlan *p)
{
    atomic_store(&p->stop, 1);
    for (int i = 0; i < p->nlane; i++) {
        atomic_fetch_add(&p->sync[i].seq, 1);
        futex_wake(&p->sync[i].seq);
    }
}

int
rt_exec_fail(RtLane *l, int status, const char *what)
{
    const char *detail = l->ctx ? rt_ctx_error(l->ctx) : "";
    snprintf(l->err, sizeof l->err, "%s on %s: %s", what, l->proc->id,
             detail[0] ? detail : rt_strerror(status));
    l->status = status;
    int none = 0;
    atomic_compare_exchange_strong(&l->p->failed, &none, l->index + 1);
    stop_all(l->p);
    return status;
}

/* ---- waits and signals -------------------------------------------------------------------- */

static uint64_t
mark(const RtPlan *p, uint32_t n)
{
    return (uint64_t)p->run << 32 | n;
}

/* Where lane `lane`'s count stands when it starts frame f: its steps of the frames before
 * (a run's frames are chunked so that this fits 32 bits: rt_plan_stream) */
static uint32_t
frame_base(const RtPlan *p, int lane, int f)
{
    return (uint32_t)f * (uint32_t)p->d->lane[lane].nstep;
}

/* One turn of a spin: a pause at first, then a yield, so that a thread that shares the core
 * (the caller of the run, the threads of the lane's own OpenCL device) gets it at once: with
 * no core to spare, a pure spin held it for the whole SPIN_NS. */
static void
spin(int i)
{
    if (i < 64)
        rt_relax();
    else
        sched_yield();
}

/* Waits until lane `lane` has published n steps of this run: 0, or STOPPED. */
static int
wait_for(RtPlan *p, int lane, uint32_t n)
{
    RtLaneSync *s = &p->sync[lane];
    uint64_t want = mark(p, n);
    if (atomic_load_explicit(&s->done, memory_order_acquire) >= want)
        return 0;
    int64_t t0 = rt_now_ns();
    for (int i = 1;; i++) {
        if (atomic_load_explicit(&s->done, memory_order_acquire) >= want)
            return 0;
        if (atomic_load_explicit(&p->stop, memory_order_relaxed))
            return STOPPED;
        spin(i);
        if (i % 64 == 0 && rt_now_ns() - t0 > SPIN_NS)
            break;
    }
    for (;;) {
        unsigned seq = atomic_load(&s->seq);
        atomic_fetch_add(&s->sleepers, 1);
        int ready = atomic_load(&s->done) >= want, stopped = atomic_load(&p->stop);
        if (!ready && !stopped)
            futex_wait(&s->seq, seq);
        atomic_fetch_sub(&s->sleepers, 1);
        if (ready || atomic_load(&s->done) >= want)
            return 0;
        if (stopped || atomic_load(&p->stop))
            return STOPPED;
    }
}

static void
publish(RtPlan *p, int lane, uint32_t n)
{
    RtLaneSync *s = &p->sync[lane];
    atomic_store(&s->done, mark(p, n));
    if (atomic_load(&s->sleepers) > 0) {
        atomic_fetch_add(&s->seq, 1);
        futex_wake(&s->seq);
    }
}

static void
trace_add(RtLane *l, const RtStep *s, double start, double end)
{
    if (l->trace_n >= l->trace_cap)
        return;
    l->trace[l->trace_n++] = (RtTraceEvent){.step = s->node, .start_ms = start - l->p->t0,
                                            .end_ms = end - l->p->t0, .lane = l->index,
                                            .copy = s->fn == NULL};
}

int
rt_lane_steps(RtLane *l, const RtStep *step, int nstep)
{
    RtPlan *p = l->p;
    const RtPlanDesc *d = p->d;
    const RtBackendOps *ops = l->ops;
    int timed = l->tracing && ops->host_timed;
    uint32_t base = frame_base(p, l->index, l->frame);
    for (int k = 0; k < nstep; k++) {
        const RtStep *s = &step[k];
        if (atomic_load_explicit(&p->stop, memory_order_relaxed))
            return STOPPED;     /* another lane failed: no step more */
        const int *w = &d->wait[2 * s->wat];
        for (int j = 0; j < s->nwait; j++)
            if (w[2 * j] != l->index && w[2 * j + 1] > 0 &&
                wait_for(p, w[2 * j],
                         frame_base(p, w[2 * j], l->frame) + (uint32_t)w[2 * j + 1]))
                return STOPPED;
        const int *id = &d->operand[s->at];
        double t0 = timed ? rt_now_ms() : 0;
        int rc = s->fn ? ops->step(l, s, id, k) : ops->copy(l, s, id, k);
        if (rc != RT_OK)
            return rt_exec_fail(l, rc, d->step_name[s->node]);
        if (timed)
            trace_add(l, s, t0, rt_now_ms());
        if (l->sig[k]) {
            if ((rc = ops->sync(l)) != RT_OK)
                return rt_exec_fail(l, rc, d->step_name[s->node]);
            publish(p, l->index, base + (uint32_t)k + 1);
        }
    }
    return RT_OK;
}

/* ---- checking the tables ------------------------------------------------------------------ */

static int
bad(char *err, size_t cap, const char *what, int i)
{
    snprintf(err, cap, "the plan's tables are inconsistent: %s %d", what, i);
    return RT_EINPUT;
}

static int
check_tensors(const RtPlanDesc *d, char *err, size_t cap)
{
    for (int i = 0; i < d->ntensor; i++) {
        const RtPlace *pl = &d->place[i];
        size_t n;
        if (rt_tensor_bytes(&d->shape[i], &n) != 0)
            return bad(err, cap, "no size for tensor", i);
        unsigned long long at = (unsigned long long)pl->at, end = at + n;
        switch (pl->kind) {
        case 'a':
            if (pl->space < 0 || pl->space >= d->nspace || pl->at < 0 ||
                end > d->space[pl->space].arena_bytes || end < at)
                return bad(err, cap, "an arena tensor out of its space:", i);
            break;
        case 'w':
            if (pl->at < 0 || end > d->weights_bytes || end < at)
                return bad(err, cap, "a constant outside the weights:", i);
            break;
        case 'i':
            if (pl->at < 0 || pl->at >= d->ninput || d->input[pl->at] != i)
                return bad(err, cap, "an input tensor not an input:", i);
            break;
        case 'o':
            if (pl->at < 0 || pl->at >= d->noutput || d->output[pl->at] != i)
                return bad(err, cap, "an output tensor not an output:", i);
            break;
        case '-':
            break;
        default:
            return bad(err, cap, "an unknown place for tensor", i);
        }
    }
    for (int i = 0; i < d->ninput; i++)
        if (d->input[i] < 0 || d->input[i] >= d->ntensor || d->place[d->input[i]].kind != 'i')
            return bad(err, cap, "input", i);
    for (int i = 0; i < d->noutput; i++)
        if (d->output[i] < 0 || d->output[i] >= d->ntensor)
            return bad(err, cap, "output", i);
    for (int i = 0; i < d->nweight_use; i++) {
        const RtWeightUse *u = &d->weight_use[i];
        size_t n;
        if (u->tensor < 0 || u->tensor >= d->ntensor || d->place[u->tensor].kind != 'w' ||
            u->space < 0 || u->space >= d->nspace || d->space[u->space].host || u->at < 0 ||
            rt_tensor_bytes(&d->shape[u->tensor], &n) != 0 ||
            (unsigned long long)u->at + n > d->space[u->space].weights_bytes)
            return bad(err, cap, "weight use", i);
    }
    return RT_OK;
}

/* The processors, spaces, lanes, steps and waits; then the lanes are simulated: every wait must
 * be met by the others' progress, or the run would hang. */
static int
check_lanes(const RtPlanDesc *d, char *err, size_t cap)
{
    if (d->nlane < 0)   /* 0: every output is a constant or an input: nothing to run */
        return bad(err, cap, "lanes:", d->nlane);
    for (int i = 0; i < d->nproc; i++) {
        const RtProc *q = &d->proc[i];
        if (q->backend < 0 || q->backend >= RT_BACKEND_COUNT || q->space < 0 ||
            q->space >= d->nspace || q->ncore < 0 || (q->ncore && !q->core) ||
            (q->backend == RT_BACKEND_CPU && !d->space[q->space].host) ||
            (!d->space[q->space].host && d->space[q->space].owner != i))
            return bad(err, cap, "processor", i);
    }
    for (int i = 0; i < d->nlane; i++) {
        const RtLaneDesc *ln = &d->lane[i];
        if (ln->proc < 0 || ln->proc >= d->nproc || ln->nstep < 0 || (ln->nstep && !ln->step))
            return bad(err, cap, "lane", i);
        for (int j = 0; j < i; j++)
            if (d->lane[j].proc == ln->proc)
                return bad(err, cap, "a second lane of processor", ln->proc);
        for (int k = 0; k < ln->nstep; k++) {
            const RtStep *s = &ln->step[k];
            if (s->at < 0 || s->nin < 0 || s->nout < 0 || s->node < 0 || s->node >= d->nsteps ||
                s->nwait < 0 || (s->nwait && s->wat < 0) ||
                (!s->fn && (s->nin != 1 || s->nout != 1)))
                return bad(err, cap, "step", k);
            for (int j = 0; j < s->nin + s->nout; j++)
                if (d->operand[s->at + j] < -1 || d->operand[s->at + j] >= d->ntensor ||
                    (!s->fn && d->operand[s->at + j] < 0))
                    return bad(err, cap, "an operand of step", k);
            for (int j = 0; j < s->nwait; j++) {
                int lane = d->wait[2 * (s->wat + j)], n = d->wait[2 * (s->wat + j) + 1];
                if (lane < 0 || lane >= d->nlane || n < 0 || n > d->lane[lane].nstep)
                    return bad(err, cap, "a wait of step", k);
            }
        }
    }
    int *pos = calloc((size_t)d->nlane, sizeof *pos);
    if (!pos) {
        snprintf(err, cap, "out of memory");
        return RT_ENOMEM;
    }
    for (int moved = 1; moved;) {
        moved = 0;
        for (int i = 0; i < d->nlane; i++) {
            const RtLaneDesc *ln = &d->lane[i];
            while (pos[i] < ln->nstep) {
                const RtStep *s = &ln->step[pos[i]];
                int ok = 1;
                for (int j = 0; ok && j < s->nwait; j++) {
                    int lane = d->wait[2 * (s->wat + j)], n = d->wait[2 * (s->wat + j) + 1];
                    ok = lane == i ? n <= pos[i] : pos[lane] >= n;
                }
                if (!ok)
                    break;
                pos[i]++;
                moved = 1;
            }
        }
    }
    int rc = RT_OK;
    for (int i = 0; i < d->nlane && rc == RT_OK; i++)
        if (pos[i] < d->lane[i].nstep)
            rc = bad(err, cap, "waits that can never be met (a cycle) at lane", i);
    free(pos);
    return rc;
}

/* ---- lanes -------------------------------------------------------------------------------- */

static const RtBackendOps *
backend_of(int kind)
{
    return kind == RT_BACKEND_OPENCL ? &rt_ocl_backend : &rt_cpu_backend;
}

/* The host address of tensor i in arena copy c where it is in host memory, else NULL; inputs
 * and outputs are those of the current run (an output of copy c >= 1 is the plan's own). */
static void *
host_addr(const RtPlan *p, int i, int c)
{
    const RtPlace *pl = &p->d->place[i];
    switch (pl->kind) {
    case 'a':
        return p->arena[pl->space]
                   ? p->arena[pl->space] + (size_t)c * p->stride[pl->space] + (size_t)pl->at
                   : NULL;
    case 'w':
        return p->w.data ? (void *)(p->w.data + pl->at) : NULL;
    case 'i':
        return p->in ? (void *)p->in[pl->at] : NULL;
    case 'o':
        if (c > 0)
            return p->outc[(size_t)(c - 1) * (size_t)p->d->noutput + (size_t)pl->at];
        return p->out ? p->out[pl->at] : NULL;
    default:
        return NULL;
    }
}

static int
pin(RtLane *l)
{
    const RtProc *q = l->proc;
    if (q->ncore == 0)
        return RT_OK;
    cpu_set_t set;
    CPU_ZERO(&set);
    char list[256] = "";
    size_t len = 0;
    for (int i = 0; i < q->ncore; i++) {
        if (q->core[i] < 0 || q->core[i] >= CPU_SETSIZE) {
            snprintf(l->err, sizeof l->err, "processor %s: no core %d", q->id, q->core[i]);
            return RT_ESYS;
        }
        CPU_SET((size_t)q->core[i], &set);
        if (len < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", i ? "," : "",
                                    q->core[i]);
    }
    int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (e != 0) {
        snprintf(l->err, sizeof l->err, "processor %s: cannot pin its thread to cores %s: %s",
                 q->id, list, strerror(e));
        return RT_ESYS;
    }
    return RT_OK;
}

/* On the lane's thread: pinning (when pinned), the context, the host views, the backend. */
static int
lane_open(RtLane *l, int pinned)
{
    RtPlan *p = l->p;
    const RtPlanDesc *d = p->d;
    int rc = pinned ? pin(l) : RT_OK, maxop = 1;
    if (rc != RT_OK)
        return l->status = rc;
    for (int k = 0; k < l->desc->nstep; k++) {
        int n = l->desc->step[k].nin + l->desc->step[k].nout;
        maxop = n > maxop ? n : maxop;
    }
    l->ctx = rt_ctx_new(l->ops == &rt_cpu_backend ? l->threads : 1);
    l->t = calloc((size_t)d->ntensor + 1, sizeof *l->t);
    l->ptrs = calloc((size_t)maxop, sizeof *l->ptrs);
    if (!l->ctx || !l->t || !l->ptrs) {
        snprintf(l->err, sizeof l->err, "out of memory opening processor %s", l->proc->id);
        return l->status = RT_ENOMEM;
    }
    rt_ctx_consts(l->ctx, p->w.data, p->w.size);
    for (int i = 0; i < d->ntensor; i++) {
        l->t[i] = d->shape[i];
        l->t[i].data = host_addr(p, i, 0);
    }
    if ((rc = l->ops->open(l)) != RT_OK) {
        const char *why = rt_ctx_error(l->ctx);
        snprintf(l->err, sizeof l->err, "opening processor %s: %s", l->proc->id,
                 why[0] ? why : rt_strerror(rc));
        return l->status = rc;
    }
    return l->status = RT_OK;
}

static void
lane_close(RtLane *l)
{
    if (l->ctx)
        l->ops->close(l);
    rt_ctx_free(l->ctx);
    l->ctx = NULL;
}

/* Outputs that live in the lane's own memory and that no step writes in place: read back. */
static int
read_outputs(RtLane *l)
{
    RtPlan *p = l->p;
    const RtPlanDesc *d = p->d;
    for (int i = 0; i < d->noutput; i++) {
        int v = d->output[i];
        const RtPlace *pl = &d->place[v];
        if (pl->kind != 'a' || pl->space != l->proc->space || d->space[pl->space].host)
            continue;
        size_t n = rt_exec_bytes(p, v);
        int rc = n && l->ops->read ? l->ops->read(l, v, p->out[i], n) : RT_OK;
        if (rc != RT_OK)
            return rt_exec_fail(l, rc, "reading an output");
    }
    return RT_OK;
}

/* Before frame f of a run on lane l: frame f - ncopy, whose arena copy it takes, done by
 * every lane; then the lane's views of that copy (of copy 0 again at a run's first frame).
 * 0, or STOPPED, or a failure's status. */
static int
frame_start(RtLane *l, int f)
{
    RtPlan *p = l->p;
    int c = f % p->ncopy, rc;
    l->frame = f;
    for (int j = 0; f >= p->ncopy && j < p->nlane; j++)
        if (j != l->index && wait_for(p, j, frame_base(p, j, f - p->ncopy + 1)))
            return STOPPED;
    if (p->ncopy == 1)
        return RT_OK;
    for (int k = 0; k < p->nvar; k++)
        l->t[p->var[k]].data = host_addr(p, p->var[k], c);
    if (l->ops->frame && (rc = l->ops->frame(l, c)) != RT_OK)
        return rt_exec_fail(l, rc, "changing to another frame's arena");
    return RT_OK;
}

/* After frame f of a stream of several lanes: its work complete and counted, for the lanes
 * that wait to reuse its arena copy */
static int
frame_end(RtLane *l, int f)
{
    RtPlan *p = l->p;
    if (f + 1 >= p->nframe || p->nlane < 2)
        return RT_OK;
    int rc = l->ops->sync(l);
    if (rc != RT_OK)
        return rt_exec_fail(l, rc, "finishing a frame");
    publish(p, l->index, frame_base(p, l->index, f + 1));
    return RT_OK;
}

/* One run of lane l on its thread: its steps for each frame of the run in turn. */
static void
lane_run(RtLane *l)
{
    RtPlan *p = l->p;
    l->status = RT_OK;
    l->err[0] = 0;
    l->trace_n = 0;
    l->frame = 0;
    rt_fail(l->ctx, RT_OK, "%s", "");
    for (int k = 0; k < p->nio; k++)
        l->t[p->io[k]].data = host_addr(p, p->io[k], 0);
    int rc = l->ops->bind(l);
    if (rc != RT_OK)
        rt_exec_fail(l, rc, "binding the inputs and outputs");
    for (int f = 0; rc == RT_OK && f < p->nframe; f++) {
        if ((rc = frame_start(l, f)) != RT_OK)
            break;
        if (l->desc->run)
            rc = l->desc->run(l);
        else
            rc = rt_lane_steps(l, l->desc->step, l->desc->nstep);
        if (rc == RT_OK)
            rc = frame_end(l, f);
    }
    rc = l->ops->finish(l);
    if (rc != RT_OK && l->status == RT_OK)
        rt_exec_fail(l, rc, "finishing the queued steps");
    if (l->status == RT_OK && !atomic_load(&p->stop))
        read_outputs(l);
    if (l->tracing && l->ops->trace_end)
        l->ops->trace_end(l);
}

static void *
worker_main(void *arg)
{
    RtLane *l = arg;
    RtPlan *p = l->p;
    int rc = lane_open(l, 1);
    pthread_mutex_lock(&p->mu);
    p->nready++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    unsigned seen = 0;
    while (rc == RT_OK) {
        /* wait for the next run (or the end) */
        int64_t t0 = rt_now_ns();
        for (int i = 1; atomic_load_explicit(&p->go, memory_order_acquire) == seen; i++) {
            spin(i);
            if (i % 64 == 0 && rt_now_ns() - t0 > SPIN_NS) {
                atomic_fetch_add(&p->go_sleepers, 1);
                if (atomic_load(&p->go) == seen)
                    futex_wait(&p->go, seen);
                atomic_fetch_sub(&p->go_sleepers, 1);
                t0 = rt_now_ns();
            }
        }
        seen = atomic_load_explicit(&p->go, memory_order_acquire);
        if (atomic_load(&p->quit))
            break;
        lane_run(l);
        if (atomic_fetch_sub(&p->running, 1) == 1)
            futex_wake(&p->running);
    }
    lane_close(l);
    return NULL;
}

/* ---- the plan ----------------------------------------------------------------------------- */

/* PoCL's thread count from the first OpenCL processor that names one (docs/runtime.md) */
static void
set_pocl_threads(const RtPlanDesc *d)
{
    for (int i = 0; i < d->nlane; i++) {
        const RtProc *q = &d->proc[d->lane[i].proc];
        if (q->backend != RT_BACKEND_OPENCL || q->threads <= 0)
            continue;
        char n[16];
        snprintf(n, sizeof n, "%d", q->threads);
        setenv("POCL_MAX_PTHREAD_COUNT", n, 0);
        return;
    }
}

/* The process's first OpenCL call, made here on the caller's thread before any worker starts:
 * PoCL starts its threads then, so the caller is pinned for the moment to the first OpenCL
 * processor's cores (and given back its own mask after), and LLVM installs its alternate signal
 * stack on the calling thread, which must not be a worker that exits before the process
 * (AddressSanitizer aborts when such a thread exits). Later plans find PoCL running. */
static void
warm_up_opencl(const RtPlanDesc *d)
{
    const RtProc *q = NULL;
    for (int i = 0; i < d->nlane && !q; i++)
        if (d->proc[d->lane[i].proc].backend == RT_BACKEND_OPENCL)
            q = &d->proc[d->lane[i].proc];
    if (!q)
        return;
    cpu_set_t mine, set;
    int pinned = 0;
    if (q->ncore > 0 && pthread_getaffinity_np(pthread_self(), sizeof mine, &mine) == 0) {
        CPU_ZERO(&set);
        for (int i = 0; i < q->ncore; i++)
            if (q->core[i] >= 0 && q->core[i] < CPU_SETSIZE)
                CPU_SET((size_t)q->core[i], &set);
        pinned = pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
    }
    rt_ocl_warm_up();
    if (pinned)
        pthread_setaffinity_np(pthread_self(), sizeof mine, &mine);
}

static int
create_fail(RtPlan *p, int rc, const char *msg, int *status)
{
    rt_set_create_error(msg);
    if (status)
        *status = rc;
    rt_plan_free(p);
    return rc;
}

/* The arenas, ncopy copies each, and the outputs of every copy but the first: a stream of
 * several lanes keeps one frame in flight per lane and one more (so that the first stage need
 * not wait for the last to free a copy), never more than it pushes. */
static int
make_copies(RtPlan *p, int frames)
{
    const RtPlanDesc *d = p->d;
    p->ncopy = d->nlane > 1 && frames > 1 ? (frames < d->nlane + 1 ? frames : d->nlane + 1) : 1;
    p->stride = calloc((size_t)d->nspace + 1, sizeof *p->stride);
    p->var = calloc((size_t)d->ntensor + 1, sizeof *p->var);
    p->outc = calloc((size_t)(p->ncopy - 1) * (size_t)d->noutput + 1, sizeof *p->outc);
    if (!p->stride || !p->var || !p->outc)
        return RT_ENOMEM;
    for (int s = 0; s < d->nspace; s++) {
        size_t n = d->space[s].arena_bytes, k = (size_t)p->ncopy;
        if (n > SIZE_MAX - HOST_ALIGN)
            return RT_ENOMEM;
        n = (n + HOST_ALIGN - 1) / HOST_ALIGN * HOST_ALIGN;
        if (n > SIZE_MAX / k)
            return RT_ENOMEM;
        p->stride[s] = n;
        if (d->space[s].host && n && !(p->arena[s] = aligned_alloc(HOST_ALIGN, n * k)))
            return RT_ENOMEM;
    }
    for (int c = 1; c < p->ncopy; c++)
        for (int i = 0; i < d->noutput; i++) {
            size_t n = rt_exec_bytes(p, d->output[i]);
            if (!(p->outc[(size_t)(c - 1) * (size_t)d->noutput + (size_t)i] = malloc(n ? n : 1)))
                return RT_ENOMEM;
        }
    for (int i = 0; i < d->ntensor; i++) {
        const RtPlace *pl = &d->place[i];
        if ((pl->kind == 'a' && d->space[pl->space].host) || pl->kind == 'o')
            p->var[p->nvar++] = i;
    }
    return RT_OK;
}

RtPlan *
rt_plan_new(const RtPlanDesc *d, const char *weights_path, int threads, int *status)
{
    return rt_plan_new_stream(d, weights_path, threads, 1, status);
}

RtPlan *
rt_plan_new_stream(const RtPlanDesc *d, const char *weights_path, int threads, int frames,
                   int *status)
{
    char err[512] = "";
    int rc;
    rt_set_create_error("");
    if (threads < 1)
        threads = 1;
    RtPlan *p = calloc(1, sizeof *p);
    if (!p) {
        create_fail(NULL, RT_ENOMEM, "out of memory", status);
        return NULL;
    }
    p->d = d;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if ((rc = check_tensors(d, err, sizeof err)) != RT_OK ||
        (rc = check_lanes(d, err, sizeof err)) != RT_OK) {
        create_fail(p, rc, err, status);
        return NULL;
    }
    if (d->weights_bytes &&
        (rc = rt_weights_open(&p->w, weights_path, d->weights_bytes, d->weights_sum)) != RT_OK) {
        create_fail(p, rc, "", status);
        return NULL;
    }
    p->nlane = d->nlane;
    p->arena = calloc((size_t)d->nspace + 1, sizeof *p->arena);
    /* one more lane and sync than there are, zeroed: a plan of no lanes reads lane 0 unset */
    p->lane = calloc((size_t)d->nlane + 1, sizeof *p->lane);
    p->sync = aligned_alloc(64, ((size_t)d->nlane + 1) * sizeof *p->sync);
    p->io = calloc((size_t)d->ntensor + 1, sizeof *p->io);
    if (!p->arena || !p->lane || !p->sync || !p->io) {
        free(p->sync);
        p->sync = NULL;
        create_fail(p, RT_ENOMEM, "out of memory", status);
        return NULL;
    }
    memset(p->sync, 0, ((size_t)d->nlane + 1) * sizeof *p->sync);
    for (int i = 0; i < d->ntensor; i++)
        if (d->place[i].kind == 'i' || d->place[i].kind == 'o')
            p->io[p->nio++] = i;
    if (make_copies(p, frames) != RT_OK) {
        create_fail(p, RT_ENOMEM, "out of memory for the arena", status);
        return NULL;
    }
    p->run = 1;
    for (int i = 0; i < d->nlane; i++) {
        RtLane *l = &p->lane[i];
        l->p = p;
        l->index = i;
        l->desc = &d->lane[i];
        l->proc_index = l->desc->proc;
        l->proc = &d->proc[l->proc_index];
        l->ops = backend_of(l->proc->backend);
        l->threads = l->proc->threads > 0 ? l->proc->threads : threads;
        l->sig = calloc((size_t)l->desc->nstep + 1, 1);
        if (!l->sig) {
            create_fail(p, RT_ENOMEM, "out of memory", status);
            return NULL;
        }
    }
    for (int i = 0; i < d->nlane; i++)
        for (int k = 0; k < d->lane[i].nstep; k++) {
            const RtStep *s = &d->lane[i].step[k];
            for (int j = 0; j < s->nwait; j++) {
                int lane = d->wait[2 * (s->wat + j)], n = d->wait[2 * (s->wat + j) + 1];
                if (lane != i && n > 0)
                    p->lane[lane].sig[n - 1] = 1;
            }
        }
    set_pocl_threads(d);
    if (d->nlane == 1) {
        /* the caller's thread: not pinned (it is the caller's), no handoff */
        lane_open(&p->lane[0], 0);
    } else {
        int started = 0;
        warm_up_opencl(d);
        for (int i = 0; i < d->nlane; i++) {
            RtLane *l = &p->lane[i];
            if (pthread_create(&l->tid, NULL, worker_main, l) != 0) {
                snprintf(l->err, sizeof l->err, "cannot start a thread for processor %s",
                         l->proc->id);
                l->status = RT_ESYS;
                break;
            }
            l->has_thread = 1;
            started++;
        }
        pthread_mutex_lock(&p->mu);
        while (p->nready < started)
            pthread_cond_wait(&p->cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    for (int i = 0; i < d->nlane; i++) {
        if (p->lane[i].status != RT_OK) {
            RtLane *l = &p->lane[i];
            create_fail(p, l->status, l->err, status);
            return NULL;
        }
    }
    if (status)
        *status = RT_OK;
    return p;
}

void
rt_plan_free(RtPlan *p)
{
    if (!p)
        return;
    if (p->lane && p->nlane > 1) {
        atomic_store(&p->quit, 1);
        atomic_fetch_add(&p->go, 1);
        futex_wake(&p->go);
        for (int i = 0; i < p->nlane; i++)
            if (p->lane[i].has_thread)
                pthread_join(p->lane[i].tid, NULL);
    } else if (p->lane && p->nlane == 1) {
        lane_close(&p->lane[0]);
    }
    for (int i = 0; p->lane && i < p->nlane; i++) {
        free(p->lane[i].t);
        free(p->lane[i].ptrs);
        free(p->lane[i].sig);
        free(p->lane[i].trace);
    }
    for (int s = 0; p->arena && s < p->d->nspace; s++)
        free(p->arena[s]);
    for (int c = 1; p->outc && c < p->ncopy; c++)
        for (int i = 0; i < p->d->noutput; i++)
            free(p->outc[(size_t)(c - 1) * (size_t)p->d->noutput + (size_t)i]);
    free(p->outc);
    free(p->stride);
    free(p->var);
    rt_weights_close(&p->w);
    free(p->arena);
    free(p->lane);
    free(p->sync);
    free(p->io);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

/* Outputs that no step writes in place and that live in host memory, and those of the last
 * frame's copy but the first: copied at the end. */
static void
copy_outputs(RtPlan *p)
{
    const RtPlanDesc *d = p->d;
    int c = (p->nframe - 1) % p->ncopy;
    for (int i = 0; i < d->noutput; i++) {
        int v = d->output[i];
        const RtPlace *pl = &d->place[v];
        if (pl->kind == 'o' && pl->at == i && c == 0)
            continue;
        void *src = host_addr(p, v, c);
        size_t n = rt_exec_bytes(p, v);
        if (src && n && src != p->out[i])
            memcpy(p->out[i], src, n);
    }
}

/* One run of nframe frames (the lanes' counts must fit 32 bits: rt_plan_stream). */
static int
run_frames(RtPlan *p, const void *const *inputs, void *const *outputs, int nframe)
{
    p->nframe = nframe;
    p->in = inputs;
    p->out = outputs;
    p->err[0] = 0;
    atomic_store_explicit(&p->stop, 0, memory_order_relaxed);
    atomic_store_explicit(&p->failed, 0, memory_order_relaxed);
    if (++p->run == 0) {        /* after 2^32 runs: counts start again from 0 */
        for (int i = 0; i < p->nlane; i++)
            atomic_store(&p->sync[i].done, 0);
        p->run = 1;
    }
    p->t0 = p->lane[0].tracing || p->nlane > 1 ? rt_now_ms() : 0;
    if (p->nlane == 1) {
        lane_run(&p->lane[0]);
    } else if (p->nlane > 1) {
        atomic_store(&p->running, p->nlane);
        atomic_fetch_add(&p->go, 1);        /* publishes the run's fields (seq_cst) */
        if (atomic_load(&p->go_sleepers) > 0)
            futex_wake(&p->go);
        /* the caller has no core of its own: it yields while it polls, so that a lane's
         * worker pinned to the same core runs at once, then sleeps */
        int64_t t0 = rt_now_ns();
        for (;;) {
            int left = atomic_load(&p->running);
            if (left == 0)
                break;
            if (rt_now_ns() - t0 > CALLER_SPIN_NS)
                futex_wait(&p->running, (unsigned)left);
            else
                sched_yield();
        }
    }
    int f = atomic_load(&p->failed);
    if (f) {
        snprintf(p->err, sizeof p->err, "%s", p->lane[f - 1].err);
        return p->lane[f - 1].status;
    }
    copy_outputs(p);
    return RT_OK;
}

int
rt_plan_run(RtPlan *p, const void *const *inputs, void *const *outputs)
{
    return run_frames(p, inputs, outputs, 1);
}

int
rt_plan_stream(RtPlan *p, const void *const *inputs, void *const *outputs, int nframe)
{
    uint32_t most = 1;
    for (int i = 0; i < p->nlane; i++)
        if ((uint32_t)p->d->lane[i].nstep > most)
            most = (uint32_t)p->d->lane[i].nstep;
    int chunk = (int)((UINT32_MAX - 1) / most < INT_MAX ? (UINT32_MAX - 1) / most : INT_MAX);
    if (nframe < 1) {
        snprintf(p->err, sizeof p->err, "a stream of %d frames", nframe);
        return RT_EUSAGE;
    }
    for (int left = nframe; left > 0;) {
        int n = left < chunk ? left : chunk;
        int rc = run_frames(p, inputs, outputs, n);
        if (rc != RT_OK)
            return rc;
        left -= n;
    }
    return RT_OK;
}

const char *
rt_plan_error(RtPlan *p)
{
    return p->err;
}

RtCtx *
rt_plan_ctx(RtPlan *p)
{
    return p->lane[0].ctx;
}

int
rt_plan_nlane(const RtPlan *p)
{
    return p->nlane;
}

int
rt_plan_trace(RtPlan *p, int on)
{
    for (int i = 0; i < p->nlane; i++) {
        RtLane *l = &p->lane[i];
        free(l->trace);
        l->trace = NULL;
        l->trace_cap = l->trace_n = 0;
        l->tracing = 0;
        if (!on)
            continue;
        if (!(l->trace = calloc((size_t)l->desc->nstep + 1, sizeof *l->trace)))
            return RT_ENOMEM;
        l->trace_cap = l->desc->nstep;
        l->tracing = 1;
    }
    return RT_OK;
}

const RtTraceEvent *
rt_plan_trace_events(const RtPlan *p, int lane, int *n)
{
    *n = lane >= 0 && lane < p->nlane ? p->lane[lane].trace_n : 0;
    return *n ? p->lane[lane].trace : NULL;
}

int
rt_plan_lane_proc(const RtPlan *p, int lane)
{
    return p->lane[lane].proc_index;
}

const char *
rt_plan_device(RtPlan *p, int lane)
{
    return rt_ctx_device_name(p->lane[lane].ctx);
}

int
rt_plan_threads(const RtPlan *p, int lane)
{
    return p->lane[lane].threads;
}
