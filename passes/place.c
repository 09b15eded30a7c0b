/*
 * place.c: which processor runs each node. A strategy fills Node.dev and Node.cause; --place
 * rules then override it. Every choice is checked against what the processor can run
 * (target_can_run: the backends' support table narrowed by the description), so a plan never
 * sends a node where it cannot run.
 *
 * cpu and gpu put everything on one processor (the first CPU, the first OpenCL one; on a target
 * of simulated processors, the first of kind cpu or gpu), but a node that processor cannot run
 * goes to the first processor that can (cause PC_ONLY). random, the
 * test strategy, draws each node's processor uniformly among those that can run it, from a
 * generator seeded by --seed alone, so one seed gives one plan on every machine. auto is cpu
 * until the partitioners of the next issues choose.
 */
#include "passes.h"
#include "partition.h"

#include <string.h>

const char *
pass_cause_name(int cause)
{
    switch (cause) {
    case PC_STRATEGY: return "strategy";
    case PC_ONLY: return "the only processor that can run it";
    case PC_FORCED: return "forced by --place";
    case PC_RANDOM: return "random";
    case PC_COPY: return "copy between memories";
    case PC_TRANSFER: return "transfer too dear";
    case PC_EARLIEST: return "earliest finish";
    case PC_OPTIMAL: return "optimal";
    case PC_SPLIT: return "split";
    case PC_STAGE: return "pipeline stage";
    case PC_MERGED: return "merged by --max-partitions";
    default: return "not placed";
    }
}

/* splitmix64: a small generator whose stream depends on the seed only */
static uint64_t
next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* the first processor that can run node n, or -1 */
static int
first_capable(const Graph *g, const Target *t, NodeId n)
{
    for (int p = 0; p < t->nproc; p++)
        if (target_can_run(t, p, g, n))
            return p;
    return -1;
}

static int
no_processor(const Graph *g, const Target *t, NodeId n, Diag *d)
{
    DType dt = target_node_dtype(g, &g->node[n]);
    return diag_node(d, g, n, "no processor of %s can run %s on %s",
                     t->file[0] ? t->file : "the host", ir_op[g->node[n].op].onnx,
                     ir_dtype_name(dt));
}

/* The processor a one-processor strategy uses: the first of backend b, else the first simulated
 * one of kind k (a target that is not here has no real processor to pick), else -1. */
static int
strategy_proc(const Target *t, ProcBackend b, ProcKind k)
{
    int p = target_first(t, b);
    for (int q = 0; p < 0 && q < t->nproc; q++)
        if (t->proc[q].backend == PB_SIMULATED && t->proc[q].kind == k)
            p = q;
    return p;
}

/* Every node on processor p where it can run there, else on the first that can. */
static int
place_on(Graph *g, const Target *t, int p, Diag *d)
{
    for (NodeId n = 0; n < g->nnode; n++) {
        Node *x = &g->node[n];
        if (target_can_run(t, p, g, n)) {
            x->dev = p;
            x->cause = PC_STRATEGY;
        } else if ((x->dev = first_capable(g, t, n)) >= 0) {
            x->cause = PC_ONLY;
        } else {
            return no_processor(g, t, n, d);
        }
    }
    return 0;
}

static int
place_random(Graph *g, const Target *t, uint64_t seed, Diag *d)
{
    uint64_t state = seed;
    for (NodeId n = 0; n < g->nnode; n++) {
        Node *x = &g->node[n];
        int can[TG_MAXPROC], ncan = 0;
        for (int p = 0; p < t->nproc; p++)
            if (target_can_run(t, p, g, n))
                can[ncan++] = p;
        if (ncan == 0)
            return no_processor(g, t, n, d);
        x->dev = can[next_random(&state) % (uint64_t)ncan];
        x->cause = ncan == 1 ? PC_ONLY : PC_RANDOM;
    }
    return 0;
}

/* 1 when rule sel names node x: its op type, or its name */
static int
selects(const char *sel, const Node *x)
{
    return strcmp(sel, ir_op[x->op].onnx) == 0 || strcmp(sel, x->name) == 0;
}

static int
apply_rules(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    for (int r = 0; r < o->nplace; r++) {
        const PlaceRule *rule = &o->place[r];
        int p = target_find(t, rule->proc), hits = 0;
        if (p < 0)
            return diag_error(d, "--place %s=%s: %s has no processor \"%s\"", rule->sel,
                              rule->proc, t->file[0] ? t->file : "the host", rule->proc);
        for (NodeId n = 0; n < g->nnode; n++) {
            Node *x = &g->node[n];
            if (!selects(rule->sel, x))
                continue;
            if (!target_can_run(t, p, g, n))
                return diag_node(d, g, n, "--place %s=%s: %s cannot run %s on %s", rule->sel,
                                 rule->proc, rule->proc, ir_op[x->op].onnx,
                                 ir_dtype_name(target_node_dtype(g, x)));
            x->dev = p;
            x->cause = PC_FORCED;
            hits++;
        }
        if (hits == 0)
            return diag_error(d, "--place %s=%s: no node is named %s or has that op type (an op "
                              "fused into another node is placed with it: see --dump)",
                              rule->sel, rule->proc, rule->sel);
    }
    return 0;
}

int
pass_can_place(const Graph *g, const Target *t, const PlanOptions *o, NodeId n, int p)
{
    if (!target_can_run(t, p, g, n))
        return 0;
    for (int r = o ? o->nplace - 1 : -1; r >= 0; r--)
        if (selects(o->place[r].sel, &g->node[n]))
            return strcmp(o->place[r].proc, t->proc[p].id) == 0;
    return 1;
}

/* Regions: maximal runs of nodes on one processor, in node order. */
static void
number_regions(Graph *g)
{
    int region = -1, dev = NONE;
    for (NodeId n = 0; n < g->nnode; n++) {
        Node *x = &g->node[n];
        if (x->dev != dev)
            region++;
        dev = x->dev;
        x->region = region;
    }
}

/* --no-fallback: every node the strategy's processor cannot run (placed PC_ONLY) named in one
 * line, as many as fit */
static int
refuse_fallbacks(const Graph *g, const Target *t, const char *s, int home, Diag *d)
{
    char list[768];
    size_t k = 0;
    int count = 0, shown = 0;
    list[0] = 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->cause != PC_ONLY)
            continue;
        count++;
        int w = snprintf(list + k, sizeof list - k, "%s\"%s\" (%s)", shown ? ", " : "",
                         x->name[0] ? x->name : "?", ir_op[x->op].onnx);
        if (w > 0 && k + (size_t)w < sizeof list - 40) {
            k += (size_t)w;
            shown++;
        } else {
            list[k] = 0;
        }
    }
    if (count == 0)
        return 0;
    char more[48] = "";
    if (shown < count)
        snprintf(more, sizeof more, " and %d more", count - shown);
    if (home >= 0)
        return diag_error(d, "--no-fallback: %d step%s would leave %s (strategy %s), which cannot "
                          "run %s: %s%s", count, count == 1 ? "" : "s", t->proc[home].id, s,
                          count == 1 ? "it" : "them", list, more);
    return diag_error(d, "--no-fallback: %d step%s can run on one processor only (strategy %s): "
                      "%s%s", count, count == 1 ? "" : "s", s, list, more);
}

/* --max-partitions: while the plan has more regions than max, the region whose move to the
 * processor of a neighbouring region costs least (part_estimate) moves there; nodes forced by
 * --place never move. An error when no region can move. */
static int
merge_regions(Graph *g, const Target *t, const PlanOptions *o, int max, Diag *d)
{
    int nn = g->nnode, rc = -1;
    CostTable c;
    if (part_costs(g, t, o, &c, d) < 0)
        return -1;
    int *dev = ir_alloc((size_t)(nn + 1) * sizeof(int));
    int *best = ir_alloc((size_t)(nn + 1) * sizeof(int));
    if (!dev || !best) {
        diag_oom(d);
        goto done;
    }
    for (;;) {
        number_regions(g);
        int nreg = nn > 0 ? g->node[nn - 1].region + 1 : 0;
        if (nreg <= max)
            break;
        double best_ms = -1;
        for (NodeId a = 0; a < nn;) {
            NodeId b = a;
            while (b < nn && g->node[b].region == g->node[a].region)
                b++;
            /* region [a, b): try the processor before it and the one after it */
            for (int side = 0; side < 2; side++) {
                NodeId nb = side == 0 ? a - 1 : b;
                if (nb < 0 || nb >= nn)
                    continue;
                int to = g->node[nb].dev, ok = 1;
                for (NodeId n = a; n < b && ok; n++)
                    ok = g->node[n].cause != PC_FORCED &&
                         c.us[(size_t)n * (size_t)c.nproc + (size_t)to] >= 0;
                if (!ok)
                    continue;
                for (NodeId n = 0; n < nn; n++)
                    dev[n] = n >= a && n < b ? to : g->node[n].dev;
                double ms = part_estimate(g, t, &c, dev, NULL, NULL);
                if (ms >= 0 && (best_ms < 0 || ms < best_ms)) {
                    best_ms = ms;
                    memcpy(best, dev, (size_t)nn * sizeof(int));
                }
            }
            a = b;
        }
        if (best_ms < 0) {
            diag_error(d, "--max-partitions %d: the plan needs %d regions (steps that only one "
                       "processor can run, or --place, keep them apart)", max, nreg);
            goto done;
        }
        for (NodeId n = 0; n < nn; n++)
            if (g->node[n].dev != best[n]) {
                g->node[n].dev = best[n];
                g->node[n].cause = PC_MERGED;
            }
    }
    rc = 0;
done:
    ir_free(dev);
    ir_free(best);
    part_costs_free(&c);
    return rc;
}

int
pass_place(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    const char *s = o->strategy ? o->strategy : "auto";
    int rc;
    if (t->nproc <= 0)
        return diag_error(d, "%s has no processor", t->file[0] ? t->file : "the target");
    if (strcmp(s, "random") == 0) {
        rc = place_random(g, t, o->seed, d);
    } else if (strcmp(s, "gpu") == 0) {
        int p = strategy_proc(t, PB_OPENCL, PK_GPU);
        if (p < 0)
            return diag_error(d, "strategy gpu: %s has no OpenCL processor (nor a simulated gpu)",
                              t->file[0] ? t->file : "this host (no OpenCL device was found)");
        rc = place_on(g, t, p, d);
    } else if (strcmp(s, "cpu") == 0 || strcmp(s, "auto") == 0) {
        /* auto is chosen by the driver (tools/auto.c) before the passes run; here it is cpu */
        int p = strategy_proc(t, PB_CPU, PK_CPU);
        if (p < 0)
            return diag_error(d, "strategy %s: %s has no CPU processor", s,
                              t->file[0] ? t->file : "the target");
        rc = place_on(g, t, p, d);
    } else if (strcmp(s, "greedy") == 0) {
        rc = place_greedy(g, t, o, d);
    } else if (strcmp(s, "optimal") == 0) {
        rc = place_optimal(g, t, o, d);
    } else if (strcmp(s, "split") == 0) {
        rc = place_split(g, t, o, d);
    } else if (strcmp(s, "pipeline") == 0) {
        rc = place_pipeline(g, t, o, d);
    } else {
        return diag_error(d, "strategy %s cannot place plans yet", s);
    }
    if (rc < 0 || apply_rules(g, t, o, d) < 0)
        return -1;
    if (o->no_fallback) {
        int home = strcmp(s, "gpu") == 0   ? strategy_proc(t, PB_OPENCL, PK_GPU)
                   : strcmp(s, "cpu") == 0 ? strategy_proc(t, PB_CPU, PK_CPU)
                                           : -1;
        if (refuse_fallbacks(g, t, s, home, d) < 0)
            return -1;
    }
    if (o->max_partitions > 0 && merge_regions(g, t, o, o->max_partitions, d) < 0)
        return -1;
    number_regions(g);
    return 0;
}
