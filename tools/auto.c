/*
 * auto.c: --strategy auto, the default: the plan of least predicted latency among every
 * strategy's, each single-processor plan included, with a margin. Each candidate is planned in
 * full (the pass pipeline, so its prediction is the whole cost model's, contention included) on
 * a fresh load of the model, and freed; then the one chosen is planned on the caller's graph.
 *
 * The candidates: cpu (the target's first CPU processor; on the detected host also at as many
 * threads as CPUs are online, when the processor leaves its threads to --threads), gpu (the
 * first OpenCL processor), greedy, optimal (where the graph is within its size), split, and
 * pipeline under --stream. A candidate that refuses (no OpenCL processor, a graph too large for
 * optimal) is left out. The CPU plans are the baseline; the gpu plan is taken over them, and a
 * plan of several processors over the single-processor plan chosen, only when predicted faster
 * by more than AUTO_MARGIN: measured against their own predictions, plans of several
 * processors take about 1.3 times as long as CPU plans do, and OpenCL plans up to 1.6 times (the
 * waits between lanes, PoCL's steps: docs/benchmarks.md), so a smaller predicted gain is as
 * likely a loss. Under --stream the candidates are compared by the predicted time
 * per frame (a pipeline's slowest stage) rather than by latency.
 */
#include "driver.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define AUTO_MARGIN 0.25

/* One candidate: a strategy and, for the cpu one, a thread count (0: the target's own). */
typedef struct Cand {
    const char *strategy;
    int threads;
    int single;                 /* one processor: a baseline */
} Cand;

static int
cpu_proc(const Target *t)
{
    for (int p = 0; p < t->nproc; p++)
        if (t->proc[p].backend == PB_CPU)
            return p;
    return -1;
}

/* The candidates for t into c[], returning how many */
static int
candidates(const PlanArgs *pa, const Target *t, Cand *c)
{
    int n = 0, cpu = cpu_proc(t);
    c[n++] = (Cand){"cpu", 0, 1};
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    if (!pa->target && cpu >= 0 && t->proc[cpu].threads == 0 && t->proc[cpu].ncore == 0 &&
        online > 1)
        c[n++] = (Cand){"cpu", online > 64 ? 64 : (int)online, 1};
    c[n++] = (Cand){"gpu", 0, 1};
    c[n++] = (Cand){"greedy", 0, 0};
    c[n++] = (Cand){"optimal", 0, 0};
    c[n++] = (Cand){"split", 0, 0};
    if (pa->opt.stream > 0)
        c[n++] = (Cand){"pipeline", 0, 0};
    return n;
}

/* The figure candidates are compared by: latency, or under --stream the time per frame */
static double
figure(const PlanArgs *pa, const Plan *p)
{
    if (pa->opt.stream > 0 && p->sched.frame_ms > 0)
        return p->sched.frame_ms;
    return p->sched.makespan_ms;
}

/* Plans candidate c on a fresh load of the model: its figure, or -1 when it refuses (the
 * reason into why) */
static double
try_candidate(const PlanArgs *pa, const ModelArgs *ma, Target *t, const Cand *c, char *why,
              size_t size, int *st)
{
    int status = 0, saved = c->threads ? t->proc[cpu_proc(t)].threads : 0;
    Graph *g = model_load(ma, NULL, &status);
    if (!g) {
        snprintf(why, size, "the model did not load");
        *st = status;
        return -1;
    }
    if (c->threads)
        t->proc[cpu_proc(t)].threads = c->threads;
    PlanOptions o = pa->opt;
    o.strategy = c->strategy;
    Plan p;
    Diag d;
    diag_init(&d, g->file);
    double ms = pass_pipeline(g, t, &o, NULL, NULL, &p, &d) == 0 ? figure(pa, &p) : -1;
    if (ms < 0) {
        /* the model's path is the command's own: the reason alone */
        size_t k = strlen(g->file);
        const char *msg = strncmp(d.msg, g->file, k) == 0 && d.msg[k] == ':' ? d.msg + k + 1
                                                                           : d.msg;
        snprintf(why, size, "%s", msg + strspn(msg, " "));
        *st = diag_status(&d);
    }
    if (c->threads)
        t->proc[cpu_proc(t)].threads = saved;
    ir_graph_free(g);
    return ms;
}

int
plan_auto(PlanArgs *pa, const ModelArgs *ma, Target *t, const Progress *pr, int *status)
{
    Cand c[8];
    int n = candidates(pa, t, c), best_cpu = -1, best_other = -1, best_multi = -1;
    AutoChoice *a = &pa->choice;
    memset(a, 0, sizeof *a);
    for (int i = 0; i < n && i < AUTO_MAXCAND; i++) {
        AutoCand *ac = &a->cand[a->ncand++];
        snprintf(ac->name, sizeof ac->name, "%s", c[i].strategy);
        if (c[i].threads)
            snprintf(ac->name, sizeof ac->name, "%s@%d", c[i].strategy, c[i].threads);
        progress(pr, "auto: planning ", ac->name);
        ac->ms = try_candidate(pa, ma, t, &c[i], ac->why, sizeof ac->why, &ac->status);
        ac->single = c[i].single;
        if (ac->ms < 0)
            continue;
        int *best = !c[i].single                     ? &best_multi
                    : strcmp(c[i].strategy, "cpu") == 0 ? &best_cpu
                                                        : &best_other;
        if (*best < 0 || ac->ms < a->cand[*best].ms)
            *best = a->ncand - 1;
    }
    int pick = best_cpu;
    if (best_other >= 0 &&
        (pick < 0 || a->cand[best_other].ms < a->cand[pick].ms * (1 - AUTO_MARGIN)))
        pick = best_other;
    if (best_multi >= 0 &&
        (pick < 0 || a->cand[best_multi].ms < a->cand[pick].ms * (1 - AUTO_MARGIN)))
        pick = best_multi;
    if (pick < 0) {
        /* every candidate refused: the cpu one's reason is the one to give */
        fprintf(stderr, "%s\n", a->cand[0].why);
        *status = a->cand[0].status ? a->cand[0].status : EXIT_INPUT;
        return -1;
    }
    a->pick = pick;
    a->margin = AUTO_MARGIN;
    pa->opt.strategy = c[pick].strategy;
    if (c[pick].threads)
        t->proc[cpu_proc(t)].threads = c[pick].threads;
    return 0;
}

const char *
plan_strategy_label(const PlanArgs *pa, char *buf, size_t size)
{
    const AutoChoice *a = &pa->choice;
    if (a->ncand == 0)
        return pa->opt.strategy;
    snprintf(buf, size, "auto: %s", a->cand[a->pick].name);
    return buf;
}

const char *
plan_auto_json(const PlanArgs *pa, char *buf, size_t size)
{
    const AutoChoice *a = &pa->choice;
    if (a->ncand == 0)
        return NULL;
    size_t k = (size_t)snprintf(buf, size, "\"auto\": {\"chosen\": \"%s\", \"margin\": %.2f, "
                                "\"candidates\": [", a->cand[a->pick].name, a->margin);
    for (int i = 0; i < a->ncand && k < size; i++) {
        const AutoCand *c = &a->cand[i];
        k += (size_t)snprintf(buf + k, size - k, "%s{\"strategy\": \"%s\", \"single\": %s, ",
                              i ? ", " : "", c->name, c->single ? "true" : "false");
        if (k < size)
            k += (size_t)(c->ms >= 0 ? snprintf(buf + k, size - k, "\"predicted_ms\": %.6f}", c->ms)
                                     : snprintf(buf + k, size - k, "\"predicted_ms\": null}"));
    }
    if (k < size)
        snprintf(buf + k, size - k, "]}");
    return k < size ? buf : NULL;
}

void
plan_auto_explain(const PlanArgs *pa, FILE *f)
{
    const AutoChoice *a = &pa->choice;
    fprintf(f, "auto: the plans compared (predicted %s); a plan of several processors is\n"
            "taken only when %.0f%% faster than the best plan of one:\n",
            pa->opt.stream > 0 ? "time per frame" : "latency", a->margin * 100);
    for (int i = 0; i < a->ncand; i++) {
        const AutoCand *c = &a->cand[i];
        fprintf(f, "  %-10s %s ", c->name, c->single ? "one processor " : "several       ");
        if (c->ms >= 0)
            fprintf(f, "%10.3f ms%s\n", c->ms, i == a->pick ? "  <- chosen" : "");
        else
            fprintf(f, "refused: %.80s\n", c->why);
    }
}
