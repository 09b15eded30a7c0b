/*
 * plan.c: what the driver's commands that plan share (compile, viz): the flags --target,
 * --strategy, --seed, --place, --dump-after and --profile-from, the target (a description or
 * the detected host), the measured step times of a trace and the pass pipeline.
 */
#include "driver.h"
#include "profile.h"

#include "host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
plan_args_init(PlanArgs *pa, const char *cmd, int argc)
{
    memset(pa, 0, sizeof *pa);
    pa->cmd = cmd;
    pa->opt.strategy = "auto";
    pa->opt.seed = 1;
    pa->rule = calloc((size_t)argc + 1, sizeof *pa->rule);
    pa->sel = calloc((size_t)argc + 1, sizeof *pa->sel);
    pa->measured = calloc(1, sizeof *pa->measured);
    pa->opt.place = pa->rule;
    if (pa->rule && pa->sel && pa->measured)
        return 0;
    fputs("hetc: out of memory\n", stderr);
    return -1;
}

void
plan_args_free(PlanArgs *pa)
{
    for (int i = 0; pa->sel && i < pa->opt.nplace; i++)
        free(pa->sel[i]);
    free(pa->sel);
    free(pa->rule);
    cost_measured_free(pa->measured);
    free(pa->measured);
}

/* The strategies, one of which --strategy names */
static int
set_strategy(PlanArgs *pa, const char *s)
{
    static const char *const known[] = {"auto", "cpu", "gpu", "greedy", "optimal", "split",
                                        "pipeline", "random"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(s, known[i]) == 0) {
            pa->opt.strategy = known[i];
            return 1;
        }
    return usage_error(pa->cmd, "unknown strategy (auto, cpu, gpu, greedy, optimal, split, "
                       "pipeline, random)", s), -1;
}

/* --max-partitions N, --stream N: a count from 1 to max */
static int
set_count(PlanArgs *pa, const char *flag, const char *v, int max, int *out)
{
    size_t n = strspn(v, "0123456789");
    long k = n > 0 && n <= 9 && v[n] == 0 ? strtol(v, NULL, 10) : 0;
    if (k < 1 || k > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s needs a number from 1 to %d", flag, max);
        return usage_error(pa->cmd, msg, v), -1;
    }
    *out = (int)k;
    return 1;
}

/* --seed N: a decimal number that fits 64 bits, nothing else */
static int
set_seed(PlanArgs *pa, const char *v)
{
    size_t n = strspn(v, "0123456789");
    errno = 0;
    unsigned long long s = n > 0 && v[n] == 0 ? strtoull(v, NULL, 10) : 0;
    if (n == 0 || v[n] != 0 || errno == ERANGE)
        return usage_error(pa->cmd, "--seed needs a number from 0 to 2^64-1", v), -1;
    pa->opt.seed = (uint64_t)s;
    return 1;
}

/* --place SEL=PROC: SEL up to the last '=' (a node name may hold one; an id never does) */
static int
add_rule(PlanArgs *pa, const char *v)
{
    const char *eq = strrchr(v, '=');
    if (!eq || eq == v || !eq[1])
        return usage_error(pa->cmd, "--place needs SELECTOR=PROCESSOR (an op type or a node "
                           "name, a processor id)", v), -1;
    size_t len = (size_t)(eq - v);
    char *sel = malloc(len + 1);
    if (!sel) {
        fputs("hetc: out of memory\n", stderr);
        return -1;
    }
    memcpy(sel, v, len);
    sel[len] = 0;
    int k = pa->opt.nplace++;
    pa->sel[k] = sel;
    pa->rule[k] = (PlaceRule){sel, eq + 1};
    return 1;
}

/* --dump-after PASS: one of pass_names */
static int
set_dump_after(PlanArgs *pa, const char *v)
{
    char msg[256] = "unknown pass (";
    for (int i = 0; pass_names[i]; i++) {
        if (strcmp(v, pass_names[i]) == 0) {
            pa->dump_after = pass_names[i];
            return 1;
        }
        size_t k = strlen(msg);
        snprintf(msg + k, sizeof msg - k, "%s%s", i ? ", " : "", pass_names[i]);
    }
    size_t k = strlen(msg);
    snprintf(msg + k, sizeof msg - k, ")");
    return usage_error(pa->cmd, msg, v), -1;
}

int
plan_arg(PlanArgs *pa, int id, const char *v)
{
    switch (id) {
    case F_TARGET:
        if (!v[0])
            return usage_error(pa->cmd, "--target needs a file", NULL), -1;
        pa->target = v;
        return 1;
    case F_STRATEGY:
        return set_strategy(pa, v);
    case F_SEED:
        return set_seed(pa, v);
    case F_PLACE:
        return add_rule(pa, v);
    case F_DUMP_AFTER:
        return set_dump_after(pa, v);
    case F_PROFILE_FROM:
        if (!v[0])
            return usage_error(pa->cmd, "--profile-from needs a trace (a plan binary's --trace)",
                               NULL), -1;
        pa->profile_from = v;
        pa->opt.measured = pa->measured;    /* empty until plan_run reads it */
        return 1;
    case F_NO_FALLBACK:
        pa->opt.no_fallback = 1;
        return 1;
    case F_MAX_PARTITIONS:
        return set_count(pa, "--max-partitions", v, 1000000, &pa->opt.max_partitions);
    case F_STREAM:
        return set_count(pa, "--stream", v, 1000000, &pa->opt.stream);
    default:
        return 0;
    }
}

int
plan_target(PlanArgs *pa, Target *t, int *status)
{
    TargetHost host;
    host_probe(&host);
    Diag d;
    diag_init(&d, NULL);
    int rc = pa->target ? target_load(t, pa->target, &host, &d) : target_detect(t, &host, &d);
    if (rc == 0)
        return profile_fill(t, pa->cmd, pa->figures, sizeof pa->figures, status);
    fprintf(stderr, "%s\n", d.msg);
    *status = diag_status(&d);
    return -1;
}

int
plan_run(PlanArgs *pa, const ModelArgs *ma, Graph *g, Target *t, Plan *p, const Progress *pr,
         int *status)
{
    Diag d;
    diag_init(&d, g->file);
    if (pa->profile_from) {
        progress(pr, "reading the trace ", pa->profile_from);
        diag_init(&d, NULL);
        cost_measured_free(pa->measured);
        if (cost_measured_load(pa->measured, pa->profile_from, &d) < 0)
            goto fail;
        diag_init(&d, g->file);
    }
    if (strcmp(pa->opt.strategy, "auto") == 0 && plan_auto(pa, ma, t, pr, status) < 0)
        return -1;
    progress(pr, "planning (cleanup, fusion, placement, schedule, memory plan)", NULL);
    fflush(stdout);
    if (pass_pipeline(g, t, &pa->opt, pa->dump_after, stdout, p, &d) == 0) {
        diag_init(&d, NULL);
        if (!pa->profile_from || cost_measured_check(pa->measured, g, t, &d) == 0)
            return 0;
    }
fail:
    fflush(stdout);
    fprintf(stderr, "%s\n", d.msg);
    *status = diag_status(&d);
    return -1;
}

void
plan_put_lanes(const Plan *p, FILE *f)
{
    for (int l = 0; l < p->sched.nlane; l++)
        fprintf(f, "%s%s", l ? ", " : "", p->target->proc[p->sched.lane_proc[l]].id);
    if (p->sched.nlane == 0)
        fputs("no processor", f);
}
