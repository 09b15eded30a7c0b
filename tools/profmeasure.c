/*
 * profmeasure.c: hetc profile's measurements (profile_measure): for each real processor its
 * probe plan (probe.c) run at each thread count and the rates fitted to the per-step medians
 * (passes/fit.c), one per class and one per op that departs from its class; then a chain of
 * small steps for the executor's cost per step, the same chain across two processors for the
 * handoff, the copy links from the copy steps, and contention from each processor's probes
 * run beside another's. Progress is a bar on a terminal, a line per phase otherwise.
 */
#include "profile.h"

#include "args.h"
#include "ir/json.h"
#include "passes/fit.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct Sample {
    FitSample s;
    CostClass cls;
    int op;
    int to_dev;                 /* a Copy: 1 from the host's memory, 0 to it */
    Work w;                     /* its work, fused ops included */
} Sample;

typedef struct Meas {
    Target *t;
    const ProfileOptions *o;
    char dir[1024];             /* the temporary folder */
    Diag d;
    int nrun, run;              /* runs planned, done: the progress bar */
    const char *what;
    struct timespec t0;
    double over[TG_MAXPROC];    /* per processor: the executor's cost per step beyond the
                                 * steps' own times (measure_chain) */
    Sample *sample;             /* scratch */
    int nsample, csample;
} Meas;

static const char *const class_name[CC_COUNT] = {
    "conv", "depthwise", "gemm", "eltwise", "reduce", "move", "copy",
};

/* The bar on a terminal, else a line per phase. */
static void
show(Meas *ms, const char *what)
{
    ms->what = what;
    if (isatty(2)) {
        int w = 30, k = ms->nrun ? w * ms->run / ms->nrun : 0;
        char bar[64];
        for (int i = 0; i < w; i++)
            bar[i] = i < k ? '=' : i == k ? '>' : ' ';
        bar[w] = 0;
        fprintf(stderr, "\r\033[K[%s] %s", bar, what);
    } else {
        fprintf(stderr, "hetc profile: %s\n", what);
    }
    fflush(stderr);
}

static void
done_bar(void)
{
    if (isatty(2))
        fputs("\r\033[K", stderr);
}

/* The one-processor copy of t for measuring processor p: its space and links kept, figures
 * dropped. Owned; free(). */
static Target *
alone(const Target *t, int p, int q)
{
    Target *t1 = malloc(sizeof *t1);
    if (!t1)
        return NULL;
    *t1 = *t;
    t1->nproc = q < 0 ? 1 : 2;
    t1->proc[0] = t->proc[p];
    if (q >= 0)
        t1->proc[1] = t->proc[q];
    t1->ncont = 0;
    for (int i = 0; i < t1->nproc; i++)
        t1->proc[i].nrate = 0, t1->proc[i].launch_us = t1->proc[i].sync_us = 0;
    return t1;
}

/* The samples of run m on the planned graph g (processor 0 of t1), appended to ms. */
static int
collect(Meas *ms, const Graph *g, const Target *t1, Measured *m)
{
    for (NodeId k = 0; k < g->nnode; k++) {
        if (g->node[k].name[0] != 'p' && g->node[k].op != OP_COPY)
            continue;   /* a warming step or a sink */
        double us = cost_measured_us(m, g, k, t1, 0);
        if (!(us > 0))
            continue;
        if (ms->nsample == ms->csample) {
            int c = ms->csample ? 2 * ms->csample : 256;
            Sample *s = realloc(ms->sample, (size_t)c * sizeof *s);
            if (!s)
                return diag_oom(&ms->d);
            ms->sample = s, ms->csample = c;
        }
        Work w = cost_work(g, k);
        const Node *x = &g->node[k];
        ms->sample[ms->nsample++] = (Sample){{us, w.flops, w.bytes, w.m, w.n, w.k}, w.cls, w.op,
                                            x->in[0] != NONE && g->val[x->in[0]].def == NONE, w};
    }
    return 0;
}

static double
median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median relative error of r over the samples s[0, n). */
static double
fit_error(const Rate *r, const FitSample *s, int n)
{
    double *e = malloc((size_t)(n ? n : 1) * sizeof *e);
    if (!e)
        return 0;
    for (int i = 0; i < n; i++)
        e[i] = fabs(fit_predict(r, &s[i]) - s[i].us) / s[i].us;
    double v = median(e, n);
    free(e);
    return v;
}

/* Adds rate r to p (when there is room) and says so in the report. */
static void
add_rate(Meas *ms, Proc *p, const Rate *r, double err, int n)
{
    if (p->nrate == TG_MAXRATE)
        return;
    p->rate[p->nrate++] = *r;
    if (!ms->o->report)
        return;
    fprintf(ms->o->report, "%s %-9s %-12s threads %d: %8.2f GFLOP/s %8.2f GB/s launch %6.2f us"
            "  (%d probes, median error %.1f%%)\n", p->id, class_name[r->cls],
            r->op >= 0 ? ir_op[r->op].onnx : "", r->threads, r->gflops, r->gbps, r->launch_us, n,
            100 * err);
}

/* A class whose ops differ too much for one rate (its fit misses by more than half): the rate
 * at p->rate[ci], which stands for the ops no probe measured, becomes the typical op's, the
 * median of each figure over the op rates after it (three or more). */
static void
typical(Meas *ms, Proc *p, int ci)
{
    int n = p->nrate - ci - 1;
    if (n < 3)
        return;
    double g[TG_MAXRATE], b[TG_MAXRATE], l[TG_MAXRATE];
    for (int i = 0; i < n; i++) {
        const Rate *r = &p->rate[ci + 1 + i];
        g[i] = r->gflops, b[i] = r->gbps, l[i] = r->launch_us;
    }
    Rate *r = &p->rate[ci];
    r->gflops = median(g, n), r->gbps = median(b, n), r->launch_us = median(l, n);
    if (r->gflops == 0 && r->gbps == 0)
        r->gbps = 20;
    if (ms->o->report)
        fprintf(ms->o->report, "%s %-9s %-12s threads %d: %8.2f GFLOP/s %8.2f GB/s launch %6.2f us"
                "  (the median of its %d op rates)\n", p->id, class_name[r->cls], "", r->threads,
                r->gflops, r->gbps, r->launch_us, n);
}

/* The median error over the class's probes of the rates made for it from p->rate[ci] on (each
 * probe by its op's rate where there is one), in the report. */
static void
summary(Meas *ms, const Proc *p, int ci)
{
    double *e = malloc((size_t)(ms->nsample ? ms->nsample : 1) * sizeof *e);
    if (!e)
        return;
    int n = 0;
    for (int i = 0; i < ms->nsample; i++) {
        const Sample *x = &ms->sample[i];
        if (x->cls != p->rate[ci].cls)
            continue;
        const Rate *r = &p->rate[ci];
        for (int k = ci + 1; k < p->nrate; k++)
            if (p->rate[k].op == x->op)
                r = &p->rate[k];
        e[n++] = fabs(fit_predict(r, &x->s) - x->s.us) / x->s.us;
    }
    fprintf(ms->o->report, "%s %-9s threads %d: median error %.1f%% over %d probes, op rates "
            "included\n", p->id, class_name[p->rate[ci].cls], p->rate[ci].threads,
            100 * median(e, n), n);
    free(e);
}

/* Fits p's rates at one thread count to the samples of ms: one per class, and one per op where
 * the class's misses that op's probes by more than 12% (median). */
/* cost_fused_us of w on p as if p ran threads threads: what the cost model will add back for
 * the fused ops of a step at the rates fitted so far */
static double
fused_at(Meas *ms, Proc *p, int threads, const Work *w)
{
    int keep = p->threads;
    p->threads = threads;
    double us = cost_fused_us(ms->t, (int)(p - ms->t->proc), w);
    p->threads = keep;
    return us;
}

static void
fit_proc(Meas *ms, Proc *p, int threads)
{
    FitSample *fs = malloc((size_t)(ms->nsample ? ms->nsample : 1) * sizeof *fs);
    if (!fs)
        return;
    Rate have[CC_COUNT];
    int has[CC_COUNT] = {0};
    /* elementwise first: the other classes' probes carry fused elementwise ops (Conv+SiLU),
     * whose time at those rates comes off what the class is fitted to */
    static const CostClass order[CC_COUNT] = {CC_ELTWISE, CC_CONV, CC_DEPTHWISE, CC_GEMM,
                                               CC_REDUCE, CC_MOVE, CC_COPY};
    for (int oi = 0; oi < CC_COUNT; oi++) {
        int c = (int)order[oi];
        for (int i = 0; c != CC_ELTWISE && i < ms->nsample; i++) {
            Sample *sm = &ms->sample[i];
            if (sm->cls == (CostClass)c && sm->w.nfused > 0) {
                double f = fused_at(ms, p, threads, &sm->w);
                sm->s.us = sm->s.us - f > 0.2 * sm->s.us ? sm->s.us - f : 0.2 * sm->s.us;
            }
        }
        /* the class's rate stands for the ops no probe measured: views (a Reshape that is
         * a step at all copies little) would pull it towards free */
        int n = 0;
        for (int i = 0; i < ms->nsample; i++)
            if (ms->sample[i].cls == (CostClass)c && !(ir_op[ms->sample[i].op].flags & F_VIEW))
                fs[n++] = ms->sample[i].s;
        Rate r = {(CostClass)c, -1, threads, 0, 0, 0, 0, 0, 0, 0};
        if (c == CC_COPY || fit_rate(fs, n, c == CC_CONV || c == CC_GEMM, &r) < 0)
            continue;
        int ci = p->nrate;
        double err = fit_error(&r, fs, n);
        add_rate(ms, p, &r, err, n);
        /* ops of the class that the class's rate misses */
        for (int op = 0; op < OP_COUNT; op++) {
            int k = 0;
            for (int i = 0; i < ms->nsample; i++)
                if (ms->sample[i].cls == (CostClass)c && ms->sample[i].op == op)
                    fs[k++] = ms->sample[i].s;
            if (k < 3 || (k == n && !(ir_op[op].flags & F_VIEW)) || fit_error(&r, fs, k) < 0.12)
                continue;
            Rate ro = {(CostClass)c, op, threads, 0, 0, 0, 0, 0, 0, 0};
            if (fit_rate(fs, k, c == CC_CONV || c == CC_GEMM, &ro) == 0)
                add_rate(ms, p, &ro, fit_error(&ro, fs, k), k);
        }
        if (ci < p->nrate && err > 0.5 && c != CC_CONV && c != CC_GEMM)
            typical(ms, p, ci);
        if (ci < p->nrate && ms->o->report)
            summary(ms, p, ci);
        has[c] = ci < p->nrate, have[c] = p->rate[ci < p->nrate ? ci : 0];
    }
    /* classes no probe measured: a copy within one memory moves bytes as a move does; the
     * rest (a processor that cannot run them) as its elementwise ops */
    for (int c = 0; c < CC_COUNT; c++) {
        if (has[c])
            continue;
        int from = c == CC_COPY && has[CC_MOVE] ? CC_MOVE : has[CC_ELTWISE] ? CC_ELTWISE : -1;
        for (int i = 0; from < 0 && i < CC_COUNT; i++)
            if (has[i])
                from = i;
        if (from < 0)
            break;
        Rate r = have[from];
        r.cls = (CostClass)c;
        r.op = -1;
        if (r.gbps == 0)
            r.gbps = 20;    /* a copy needs a memory term */
        if (p->nrate < TG_MAXRATE)
            p->rate[p->nrate++] = r;
    }
    free(fs);
}

/* A link's figures from the copy probes: the host to the device and back. */
static void
fit_link(Meas *ms, Target *t, int p)
{
    Link *l = NULL;
    for (int i = 0; i < t->nlink; i++)
        if (!t->link[i].zero_copy && ((t->link[i].a == 0 && t->link[i].b == t->proc[p].space) ||
                                      (t->link[i].b == 0 && t->link[i].a == t->proc[p].space)))
            l = &t->link[i];
    FitSample *fs = malloc((size_t)(ms->nsample ? ms->nsample : 1) * sizeof *fs);
    for (int dir = 0; l && fs && dir < 2; dir++) {
        int n = 0;
        for (int i = 0; i < ms->nsample; i++)
            if (ms->sample[i].cls == CC_COPY && ms->sample[i].to_dev == (dir == 0))
                fs[n++] = ms->sample[i].s;
        Rate r = {CC_COPY, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        if (fit_rate(fs, n, 0, &r) < 0 || r.gbps <= 0)
            continue;
        int forward = (dir == 0) == (l->a == 0);
        *(forward ? &l->gbps : &l->back_gbps) = r.gbps;
        *(forward ? &l->latency_us : &l->back_latency_us) = r.launch_us;
        if (ms->o->report)
            fprintf(ms->o->report, "link %s-%s %s: %.2f GB/s, latency %.1f us (%d copies, median "
                    "error %.1f%%)\n", t->space[l->a].id, t->space[l->b].id,
                    dir == 0 ? "to the device" : "to the host", r.gbps, r.launch_us, n,
                    100 * fit_error(&r, fs, n));
    }
    free(fs);
}

/* The run's median wall time in microseconds from the binary's --json line
 * ({"latency_ms": {"median": ...}, ...}), or -1. */
static double
run_us(const char *dir, const char *name)
{
    char path[1100], text[4096], err[128];
    snprintf(path, sizeof path, "%s/%s.out", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *open = strchr(text, '{');
    Json *j = open ? json_parse(open, strlen(open), err, sizeof err, NULL) : NULL;
    const Json *v = json_get(json_get(j, "latency_ms"), "median");
    double us = v && v->type == JS_NUM ? v->num * 1e3 : -1;
    json_free(j);
    return us;
}

/* The thread counts cpu processor p is measured at: 1, 2, 4 and its most (its threads, or its
 * cores, or the host's), those not above the most; its own threads alone for an OpenCL
 * processor (0: the device's). At most 4, so that its rates fit TG_MAXRATE. */
static int
thread_counts(const Proc *p, const TargetHost *host, int *tc)
{
    if (p->backend != PB_CPU) {
        tc[0] = p->threads;
        return 1;
    }
    int max = p->threads > 0 ? p->threads : p->ncore > 0 ? p->ncore : host->ncpu;
    int n = 0;
    for (int k = 1; k < max && k <= 4; k *= 2)
        tc[n++] = k;
    tc[n++] = max > 0 ? max : 1;
    return n;
}

static int
real(const Proc *p)
{
    return p->backend == PB_CPU || p->backend == PB_OPENCL;
}

/* One processor: its probe binary, a run per thread count, the fits. */
static int
measure_proc(Meas *ms, const TargetHost *host, int p)
{
    Target *t = ms->t;
    Proc *pr = &t->proc[p];
    Target *t1 = alone(t, p, -1);
    if (!t1)
        return diag_oom(&ms->d);
    char name[32], msg[256];
    snprintf(name, sizeof name, "probe%d", p);
    snprintf(msg, sizeof msg, "%s: building the probes", pr->id);
    show(ms, msg);
    PlanOptions po = {.strategy = pr->backend == PB_CPU ? "cpu" : "gpu", .seed = 1};
    Plan plan;
    Graph *g = probe_graph(t1, &ms->d);
    if (!g && ms->d.nerr == 0) {
        /* narrowed to ops no probe has: nothing to measure, its figures stay unknown */
        if (ms->o->report)
            fprintf(ms->o->report, "%s: runs none of the probes\n", pr->id);
        free(t1);
        return 0;
    }
    int rc = g ? probe_compile(g, t1, &po, ms->dir, name, &plan, &ms->d) : -1;
    int tc[4], ntc = thread_counts(pr, host, tc);
    for (int i = 0; rc == 0 && i < ntc; i++) {
        snprintf(msg, sizeof msg, "%s: %d probe steps at %d thread%s", pr->id, g->nnode,
                 tc[i] ? tc[i] : 1, tc[i] > 1 ? "s" : "");
        ms->run++;
        show(ms, msg);
        ProbeRun r = {ms->o->quick ? 2 : 3, ms->o->quick ? 5 : 15, tc[i]};
        Measured m = {0};
        if ((rc = probe_run(ms->dir, name, &r, &m, &ms->d)) < 0)
            break;
        ms->nsample = 0;
        rc = collect(ms, g, t1, &m);
        fit_proc(ms, pr, pr->backend == PB_CPU ? tc[i] : pr->threads);
        if (i == 0)
            fit_link(ms, t, p);
        cost_measured_free(&m);
    }
    /* the launch common to every class is the processor's */
    double low = -1;
    for (int i = 0; i < pr->nrate; i++)
        low = low < 0 || pr->rate[i].launch_us < low ? pr->rate[i].launch_us : low;
    for (int i = 0; low > 0 && i < pr->nrate; i++)
        pr->rate[i].launch_us -= low;
    pr->launch_us = low > 0 ? low : 0;
    if (g)
        ir_graph_free(g);
    free(t1);
    return rc;
}

/* The sum of the steps of a that b also has, over the sum of b's for them. */
static double
ratio(const Measured *a, const Measured *b)
{
    double sa = 0, sb = 0;
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++)
            if (strcmp(a->step[i].node, b->step[j].node) == 0 &&
                strcmp(a->step[i].proc, b->step[j].proc) == 0) {
                sa += a->step[i].us, sb += b->step[j].us;
                break;
            }
    return sb > 0 ? sa / sb : 1;
}

/* One round: a's probes alone, then while b's loop: the ratio, 0 after a failure (in ms->d). */
static double
contention_round(Meas *ms, int a, int b)
{
    Target *t = ms->t;
    char name_a[32], name_b[32], iters[] = "1000000", thr[16];
    snprintf(name_a, sizeof name_a, "probe%d", a);
    snprintf(name_b, sizeof name_b, "probe%d", b);
    snprintf(thr, sizeof thr, "%d", t->proc[b].threads > 0 ? t->proc[b].threads : 1);
    ProbeRun r = {1, ms->o->quick ? 5 : 15, t->proc[a].threads > 0 ? t->proc[a].threads : 1};
    Measured alone_m = {0}, m = {0};
    if (probe_run(ms->dir, name_a, &r, &alone_m, &ms->d) < 0)
        return 0;
    const char *args[] = {"--iters", iters, "--threads", thr, NULL};
    pid_t bg = probe_spawn(ms->dir, name_b, args, &ms->d);
    if (bg < 0) {
        cost_measured_free(&alone_m);
        return 0;
    }
    struct timespec nap = {0, 300000000};
    nanosleep(&nap, NULL);      /* b under way */
    int rc = probe_run(ms->dir, name_a, &r, &m, &ms->d);
    kill(bg, SIGKILL);
    waitpid(bg, NULL, 0);
    double f = rc < 0 ? 0 : ratio(&m, &alone_m);
    cost_measured_free(&m);
    cost_measured_free(&alone_m);
    return f;
}

/* Processor a's probes while b's loop, against a's probes alone just before (side by side in
 * time, so that a load of the machine from elsewhere weighs on both), in two rounds (one with
 * --quick): the lesser ratio is the contention factor of a by b (a load from elsewhere that
 * comes and goes inflates one round, rarely both). */
static int
measure_contention(Meas *ms, int a, int b)
{
    Target *t = ms->t;
    char msg[256];
    snprintf(msg, sizeof msg, "%s while %s is busy", t->proc[a].id, t->proc[b].id);
    ms->run += 2;
    show(ms, msg);
    double f = contention_round(ms, a, b);
    if (f > 0 && !ms->o->quick) {
        ms->run += 2;
        show(ms, msg);
        double g = contention_round(ms, a, b);
        f = g > 0 && g < f ? g : g > 0 ? f : 0;
    }
    if (f == 0)
        return -1;
    if (ms->o->report)
        fprintf(ms->o->report, "contention %s by %s: %.3f\n", t->proc[a].id, t->proc[b].id, f);
    if (f > 1.02 && t->ncont < TG_MAXLINK)
        t->cont[t->ncont++] = (Contention){a, b, f, 0};
    return 0;
}

/* A chain of small steps on processor a alone (b < 0): the executor's cost per step beyond the
 * steps' own times, added to a's launch_us. On a and b alternately: the handoff between lanes
 * beyond that, their sync_us. */
static int
measure_chain(Meas *ms, int a, int b)
{
    enum { N = 40 };
    Target *t = ms->t;
    char msg[256], name[32];
    snprintf(msg, sizeof msg, b < 0 ? "%s: the cost of a step" : "handoffs between %s and %s",
             t->proc[a].id, b < 0 ? "" : t->proc[b].id);
    snprintf(name, sizeof name, b < 0 ? "chain%d" : "pingpong", a);
    ms->run++;
    show(ms, msg);
    Target *t2 = alone(t, a, b);
    if (!t2)
        return diag_oom(&ms->d);
    PlaceRule rule[N];
    char names[N][16];
    Graph *g = probe_pingpong(N, 16, rule, names, t2, &ms->d);
    int rc = !g && ms->d.nerr == 0 ? 0 : -1;    /* 0: no chain runs there */
    if (g) {
        PlanOptions po = {.strategy = t->proc[a].backend == PB_CPU ? "cpu" : "gpu", .seed = 1,
                          .place = rule, .nplace = N};
        Plan plan;
        Measured m = {0};
        ProbeRun r = {ms->o->quick ? 3 : 5, ms->o->quick ? 20 : 100, 1};
        rc = probe_compile(g, t2, &po, ms->dir, name, &plan, &ms->d);
        /* three runs, the least time beyond the steps: the machine's, not a passing load's */
        double beyond = 0;
        for (int k = 0, have = 0; rc == 0 && k < 3; k++) {
            cost_measured_free(&m);
            if ((rc = probe_run(ms->dir, name, &r, &m, &ms->d)) < 0)
                break;
            double wall = run_us(ms->dir, name), steps = 0;
            for (int i = 0; i < m.n; i++)
                steps += m.step[i].us;
            if (wall >= 0 && (!have || wall - steps < beyond))
                beyond = wall - steps, have = 1;
        }
        if (rc == 0) {
            if (b < 0) {
                ms->over[a] = beyond > 0 ? beyond / N : 0;
                t->proc[a].launch_us += ms->over[a];
            } else {
                double over = N * (ms->over[a] + ms->over[b]) / 2;
                double sync = beyond > over ? (beyond - over) / (N - 1) : 0;
                t->proc[a].sync_us = t->proc[b].sync_us = sync;
            }
            if (ms->o->report && b < 0)
                fprintf(ms->o->report, "%s: %.2f us per step beyond its kernel\n",
                        t->proc[a].id, ms->over[a]);
            if (ms->o->report && b >= 0)
                fprintf(ms->o->report, "sync %s, %s: %.2f us per handoff\n", t->proc[a].id,
                        t->proc[b].id, t->proc[a].sync_us);
        }
        cost_measured_free(&m);
        ir_graph_free(g);
    }
    free(t2);
    return rc;
}

/* The least of three runs' median wall time (us) of a chain of N Relu of [1, width] on a, or
 * alternating between a and b (b >= 0); -1 after a failure (in ms->d). */
static double
chain_wall(Meas *ms, int a, int b, int64_t width, int n)
{
    Target *t2 = alone(ms->t, a, b);
    if (!t2)
        return diag_oom(&ms->d);
    PlaceRule rule[64];
    char names[64][16], name[32];
    snprintf(name, sizeof name, "wide%d_%d", a, b + 1);
    double best = -1;
    Graph *g = probe_pingpong(n, width, rule, names, t2, &ms->d);
    if (g) {
        PlanOptions po = {.strategy = ms->t->proc[a].backend == PB_CPU ? "cpu" : "gpu",
                          .seed = 1, .place = rule, .nplace = n};
        Plan plan;
        ProbeRun r = {ms->o->quick ? 3 : 5, ms->o->quick ? 20 : 50, 1};
        int rc = probe_compile(g, t2, &po, ms->dir, name, &plan, &ms->d);
        for (int k = 0; rc == 0 && k < 3; k++) {
            Measured m = {0};
            rc = probe_run(ms->dir, name, &r, &m, &ms->d);
            cost_measured_free(&m);
            double w = rc == 0 ? run_us(ms->dir, name) : -1;
            if (w >= 0 && (best < 0 || w < best))
                best = w;
        }
        ir_graph_free(g);
    }
    free(t2);
    return best;
}

/* The rate at which a step of one processor reads what the other (of the same memory) wrote:
 * a chain of wide steps alternating between a and b against the same chain on each alone;
 * what a handoff costs beyond sync_us is the bytes of one tensor crossing between caches.
 * Sets handoff_gbps of both (none when a handoff costs no more than sync_us). 0, or -1. */
static int
measure_handoff(Meas *ms, int a, int b)
{
    enum { N = 40 };
    const int64_t width = 65536;            /* 256 KB a tensor: more than a core's L1 */
    Target *t = ms->t;
    char msg[256];
    snprintf(msg, sizeof msg, "handoffs of 256 KB between %s and %s", t->proc[a].id,
             t->proc[b].id);
    ms->run++;
    show(ms, msg);
    double wa = chain_wall(ms, a, -1, width, N), wb = chain_wall(ms, b, -1, width, N);
    double wab = wa >= 0 && wb >= 0 ? chain_wall(ms, a, b, width, N) : -1;
    if (wab < 0)
        return ms->d.nerr ? -1 : 0;
    /* per handoff beyond the steps (half of each chain) and the sync already measured */
    double extra = (wab - (wa + wb) / 2) / (N - 1) - t->proc[a].sync_us;
    double gbps = extra > 0.5 ? (double)width * 4 / (extra * 1e3) : 0;
    t->proc[a].handoff_gbps = t->proc[b].handoff_gbps = gbps;
    if (ms->o->report)
        fprintf(ms->o->report, "handoff %s, %s: %.2f us per 256 KB beyond sync: %.2f GB/s\n",
                t->proc[a].id, t->proc[b].id, extra, gbps);
    return 0;
}

/* Removes the files of the temporary folder (one level: cg_compile writes no sub-folder)
 * and the folder. */
static void
remove_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (dp)
        closedir(dp);
    rmdir(dir);
}

/* 1 when s contains part, in any case */
static int
has(const char *s, const char *part)
{
    size_t n = strlen(part);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && tolower((unsigned char)s[i]) == tolower((unsigned char)part[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* The OpenCL devices measured, "name (platform)" joined by "; " */
static void
meta_opencl(const Target *t, const TargetHost *host, char *buf, size_t size)
{
    buf[0] = 0;
    for (int p = 0; p < t->nproc; p++) {
        const Proc *pr = &t->proc[p];
        if (pr->backend != PB_OPENCL)
            continue;
        const char *dev = pr->cl_device, *plat = pr->cl_platform;
        for (int i = host->ndev - 1; i >= 0; i--)   /* the first that matches */
            if (pr->cl_index >= 0 ? host->dev[i].index == pr->cl_index
                                  : has(host->dev[i].platform, pr->cl_platform) &&
                                        has(host->dev[i].name, pr->cl_device))
                dev = host->dev[i].name, plat = host->dev[i].platform;
        size_t k = strlen(buf);
        snprintf(buf + k, size - k, "%s%s (%s)", k ? "; " : "", dev, plat);
    }
}

int
profile_measure(Target *t, const TargetHost *host, const ProfileOptions *o, ProfileMeta *meta,
                int *status)
{
    Meas ms = {.t = t, .o = o};
    clock_gettime(CLOCK_MONOTONIC, &ms.t0);
    diag_init(&ms.d, t->file[0] ? t->file : NULL);
    int nreal = 0, first[2] = {-1, -1};
    for (int p = 0; p < t->nproc; p++)
        if (real(&t->proc[p])) {
            if (nreal < 2)
                first[nreal] = p;
            nreal++;
            int tc[4];
            ms.nrun += thread_counts(&t->proc[p], host, tc) + 1;
        }
    if (nreal == 0) {
        fprintf(stderr, "hetc profile: %s has no cpu or opencl processor to measure\n",
                t->file[0] ? t->file : "the target");
        *status = EXIT_INPUT;
        return -1;
    }
    ms.nrun += nreal > 1 ? 2 + (o->quick ? 2 : 4) * nreal * (nreal - 1) : 0;
    const char *tmp = getenv("TMPDIR");
    snprintf(ms.dir, sizeof ms.dir, "%s/hetc-profile-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(ms.dir)) {
        fprintf(stderr, "hetc profile: cannot make a temporary folder %s: %s\n", ms.dir,
                strerror(errno));
        *status = EXIT_ENV;
        return -1;
    }
    for (int p = 0; p < t->nproc; p++)
        if (real(&t->proc[p]))
            t->proc[p].nrate = 0;
    int rc = 0;
    for (int p = 0; rc == 0 && p < t->nproc; p++)
        if (real(&t->proc[p]) && (rc = measure_proc(&ms, host, p)) == 0)
            rc = measure_chain(&ms, p, -1);
    if (rc == 0 && nreal > 1)
        rc = measure_chain(&ms, first[0], first[1]);
    if (rc == 0 && nreal > 1 &&
        target_mem(t, t->proc[first[0]].space) == target_mem(t, t->proc[first[1]].space))
        rc = measure_handoff(&ms, first[0], first[1]);
    int keep = 0;   /* what involves a simulated processor stays as described */
    for (int i = 0; i < t->ncont; i++)
        if (!real(&t->proc[t->cont[i].a]) || !real(&t->proc[t->cont[i].b]))
            t->cont[keep++] = t->cont[i];
    t->ncont = keep;
    for (int a = 0; rc == 0 && a < t->nproc; a++)
        for (int b = 0; rc == 0 && b < t->nproc; b++)
            if (a != b && real(&t->proc[a]) && real(&t->proc[b]))
                rc = measure_contention(&ms, a, b);
    free(ms.sample);
    done_bar();
    if (!getenv("HETC_PROFILE_KEEP"))
        remove_dir(ms.dir);
    if (rc < 0) {
        fprintf(stderr, "hetc profile: %s\n", ms.d.msg);
        *status = diag_status(&ms.d);
        return -1;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    meta->seconds = (double)(now.tv_sec - ms.t0.tv_sec) +
                    1e-9 * (double)(now.tv_nsec - ms.t0.tv_nsec);
    meta->mode = o->quick ? "quick" : "full";
    snprintf(meta->cpu, sizeof meta->cpu, "%.120s", host->cpu_name);
    meta_opencl(t, host, meta->opencl, sizeof meta->opencl);
    time_t now_t = time(NULL);
    struct tm tm;
    gmtime_r(&now_t, &tm);
    strftime(meta->date, sizeof meta->date, "%Y-%m-%d", &tm);
    snprintf(t->measured, sizeof t->measured, "hetc profile%s, %s, %s", o->quick ? " --quick" : "",
             meta->cpu, meta->date);
    return 0;
}
