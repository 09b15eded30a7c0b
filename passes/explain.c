/*
 * explain.c: hetc compile --explain: the plan in words, for a person deciding whether to trust
 * it. Everything shown comes from the placement (Node.dev, Node.cause), the schedule's
 * predicted times (passes/schedule.c) and the cost model (passes/cost.h); nothing is decided
 * here.
 *
 * Per step, in the schedule's global order (the node order): its name and ops, where it went
 * and why, its predicted start and end, its time alone (Schedule.alone_ms: no contention, no
 * waits; measured where --profile-from gave it) and where that comes from; then, on a line of
 * its own, its predicted time on each processor of the target by the model (cost_work_us), "-"
 * for those that cannot run it. Then each transfer (a Copy step): the tensor, the memories it
 * goes between, its bytes, the processor that copies and its predicted times. Then the
 * regions (runs of steps on one processor, in node order) with the causes of their steps. Then the
 * predicted latency (the makespan), each processor's busy time and the cost model's source.
 *
 * Text is built in small buffers so that its width is known: names are escaped as
 * ir_put_escaped does and cut with "...", and a list that would pass 120 columns goes on to the
 * next line.
 */
#include "explain.h"
#include "cost.h"

#include <stdarg.h>
#include <string.h>

enum {
    EX_COLS = 118,      /* widest line, with room to spare below 120 */
    EX_NAMECOLS = 40,   /* columns of a node or tensor name */
    EX_OPSCOLS = 32,    /* columns of a step's ops */
};

/* A line being written, and its width so far. */
typedef struct Line {
    FILE *f;
    int col;
    int indent;         /* where a continued line starts */
} Line;

/* Writes word, first on a new line when it would pass EX_COLS (and the line holds more than its
 * indent). Columns are counted in bytes, which only overestimates them. Every word but a line's
 * first starts with its blank, so a line is broken only where it has one (a reader joins
 * continued lines with a blank). */
static void
word(Line *l, const char *w)
{
    int n = (int)strlen(w);
    if (l->col > l->indent && l->col + n > EX_COLS) {
        fprintf(l->f, "\n%*s", l->indent, "");
        l->col = l->indent;
        while (*w == ' ') {     /* no leading blank on the new line */
            w++;
            n--;
        }
    }
    fputs(w, l->f);
    l->col += n;
}

static void
wordf(Line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
wordf(Line *l, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    word(l, buf);
}

static void
end_line(Line *l)
{
    fputc('\n', l->f);
    l->col = 0;
}

/* s escaped into buf as ir_put_escaped writes it (each unsafe code point or byte outside
 * well-formed UTF-8 as \xNN), cut with "..." where it would pass max columns; "(unnamed)" for
 * "" or NULL. buf holds at least 4 * max + 8 bytes. */
static const char *
escape(char *buf, size_t size, const char *s, int max)
{
    size_t len = 0;
    if (!s || !*s)
        s = "(unnamed)";
    for (int cols = 0; *s && len + 8 < size;) {
        int n = ir_utf8_printable(s), w = n ? 1 : 4;
        if (cols + w > max) {
            memcpy(buf + len, "...", 3);
            len += 3;
            break;
        }
        cols += w;
        if (n == 0) {
            snprintf(buf + len, size - len, "\\x%02x", (unsigned char)*s++);
            len += 4;
        } else {
            memcpy(buf + len, s, (size_t)n);
            len += (size_t)n;
            s += n;
        }
    }
    buf[len] = 0;
    return buf;
}

/* why node x is where it is */
static const char *
cause(char *buf, size_t size, const Node *x, const char *strategy)
{
    if (x->cause != PC_STRATEGY)
        return pass_cause_name(x->cause);
    snprintf(buf, size, "strategy %s", strategy);
    return buf;
}

/* bytes as "512 B", "1.2 kB", "3.4 MB", "1.02 GB" */
static void
put_bytes(char *buf, size_t size, double n)
{
    if (n < 1e3)
        snprintf(buf, size, "%.0f B", n);
    else if (n < 1e6)
        snprintf(buf, size, "%.1f kB", n / 1e3);
    else if (n < 1e9)
        snprintf(buf, size, "%.1f MB", n / 1e6);
    else
        snprintf(buf, size, "%.2f GB", n / 1e9);
}

/* " START to END ms; alone ALONE ms (SOURCE)": step n's predicted times, and where its time
 * alone comes from */
static void
put_times(Line *l, const Schedule *s, NodeId n)
{
    int alone = s->alone_ms && s->source;
    wordf(l, " %.3f to %.3f ms%s", s->start_ms[n], s->end_ms[n], alone ? ";" : "");
    if (alone)
        wordf(l, " alone %.3f ms (%s)", s->alone_ms[n], cost_source_name(s->source[n]));
}

static void
put_step(Line *l, const Graph *g, const Plan *p, const char *strategy, NodeId n)
{
    const Node *x = &g->node[n];
    const Target *t = p->target;
    const Schedule *s = &p->sched;
    char name[4 * EX_NAMECOLS + 8], ops[4 * EX_OPSCOLS + 8], why[128];
    escape(name, sizeof name, x->name, EX_NAMECOLS);
    escape(ops, sizeof ops, x->ops ? x->ops : x->op == OP_UNKNOWN ? x->optype : ir_op[x->op].onnx,
           EX_OPSCOLS);
    l->indent = 4;
    wordf(l, "  %s (%s):", name, ops);
    wordf(l, " on %s (%s),", t->proc[x->dev].id, cause(why, sizeof why, x, strategy));
    put_times(l, s, n);
    end_line(l);
    Work w = cost_work(g, n);
    l->indent = 12;
    fputs("      each:", l->f);
    l->col = 11;
    for (int q = 0; q < t->nproc; q++) {
        const char *sep = q + 1 < t->nproc ? "," : "";
        if (target_can_run(t, q, g, n))
            wordf(l, " %s %.3f ms%s", t->proc[q].id, cost_work_us(t, q, &w) / 1e3, sep);
        else
            wordf(l, " %s - (unsupported)%s", t->proc[q].id, sep);
    }
    end_line(l);
}

static void
put_transfer(Line *l, const Graph *g, const Plan *p, NodeId n)
{
    const Node *x = &g->node[n];
    const Target *t = p->target;
    const Schedule *s = &p->sched;
    ValId in = x->nin > 0 ? x->in[0] : NONE, out = x->nout > 0 ? x->out[0] : NONE;
    if (in == NONE || out == NONE)
        return;
    /* a copy goes between the host's memory and its processor's (memplan.c's rule) */
    int pm = target_mem(t, t->proc[x->dev].space);
    int from = p->mem.mem ? p->mem.mem[in] : 0, to = from == pm ? 0 : pm;
    char name[4 * EX_NAMECOLS + 8], bytes[32];
    escape(name, sizeof name, g->val[in].name, EX_NAMECOLS);
    put_bytes(bytes, sizeof bytes, (double)ir_nbytes(&g->val[in]));
    l->indent = 4;
    wordf(l, "  %s: %s to %s,", name, t->space[from].id, t->space[to].id);
    wordf(l, " %s by %s,", bytes, t->proc[x->dev].id);
    put_times(l, s, n);
    end_line(l);
}

/* The regions: runs of steps on one processor in schedule order (copies left out), each with
 * its processor, its steps and their causes with how many had each, and its predicted span */
static void
put_regions(Line *l, const Graph *g, const Plan *p, const char *strategy)
{
    const Target *t = p->target;
    const Schedule *s = &p->sched;
    int region = 0;
    for (NodeId a = 0; a < g->nnode;) {
        if (g->node[a].op == OP_NOP || g->node[a].op == OP_COPY) {
            a++;
            continue;
        }
        int dev = g->node[a].dev, count[PC_MERGED + 1] = {0}, nstep = 0;
        double start = s->start_ms[a], end = s->end_ms[a];
        NodeId b = a, last = a;
        for (; b < g->nnode; b++) {
            const Node *x = &g->node[b];
            if (x->op == OP_NOP || x->op == OP_COPY)
                continue;
            if (x->dev != dev)
                break;
            if (x->cause >= 0 && x->cause <= PC_MERGED)
                count[x->cause]++;
            nstep++;
            last = b;
            start = s->start_ms[b] < start ? s->start_ms[b] : start;
            end = s->end_ms[b] > end ? s->end_ms[b] : end;
        }
        l->indent = 6;
        wordf(l, "  region %d: %d step%s on %s, %.3f to %.3f ms:", region++, nstep,
              nstep == 1 ? "" : "s", t->proc[dev].id, start, end);
        int first = 1;
        for (int c = 0; c <= PC_MERGED; c++) {
            if (!count[c])
                continue;
            char why[128];
            Node probe = {.cause = c};
            wordf(l, "%s %s (%d)", first ? "" : ",", cause(why, sizeof why, &probe, strategy),
                  count[c]);
            first = 0;
        }
        end_line(l);
        a = last + 1;
    }
}

void
pass_explain(const Graph *g, const Plan *p, const char *strategy, FILE *f)
{
    const Target *t = p->target;
    const Schedule *s = &p->sched;
    Line l = {f, 0, 2};
    int nstep = 0, ncopy = 0;
    double busy[TG_MAXPROC] = {0};
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        nstep += x->op != OP_COPY;
        ncopy += x->op == OP_COPY;
        busy[s->lane[n]] += s->end_ms[n] - s->start_ms[n];
    }
    wordf(&l, "explain: %d step%s and %d transfer%s on", nstep, nstep == 1 ? "" : "s", ncopy,
          ncopy == 1 ? "" : "s");
    for (int k = 0; k < s->nlane; k++)
        wordf(&l, " %s%s", t->proc[s->lane_proc[k]].id, k + 1 < s->nlane ? "," : "");
    if (s->nlane == 0)
        word(&l, " no processor");
    wordf(&l, " (strategy %s)", strategy);
    end_line(&l);
    fputs("steps in schedule order: where each runs and why, its predicted start and end, its "
          "time\nalone (no waits, no contention) and where that comes from; then its predicted "
          "time on\neach processor of the target (\"-\": that processor cannot run it):\n", f);
    for (NodeId n = 0; n < g->nnode; n++)
        if (g->node[n].op != OP_NOP && g->node[n].op != OP_COPY)
            put_step(&l, g, p, strategy, n);
    fprintf(f, "transfers (tensor: from memory to memory, bytes, the processor that copies, "
            "predicted times):%s\n", ncopy ? "" : " none");
    for (NodeId n = 0; n < g->nnode; n++)
        if (g->node[n].op == OP_COPY)
            put_transfer(&l, g, p, n);
    fputs("regions (runs of steps on one processor, in schedule order): the processor, the "
          "predicted\nspan, and why its steps are there (how many steps for each cause):\n", f);
    put_regions(&l, g, p, strategy);
    fprintf(f, "predicted latency: %.6f ms (the schedule's makespan)\n", s->makespan_ms);
    l.indent = 6;
    word(&l, "busy:");
    for (int k = 0; k < s->nlane; k++)
        wordf(&l, " %s %.3f ms (%.0f%%)%s", t->proc[s->lane_proc[k]].id, busy[k],
              s->makespan_ms > 0 ? 100 * busy[k] / s->makespan_ms : 0.0,
              k + 1 < s->nlane ? "," : "");
    if (s->nlane == 0)
        word(&l, " nothing");
    end_line(&l);
    /* in plan.json's words (codegen/build.c) */
    int rates = 0;
    for (int q = 0; q < t->nproc; q++)
        rates |= t->proc[q].nrate > 0;
    l.indent = 2;
    word(&l, "cost model:");
    if (t->measured[0]) {
        char src[4 * 100 + 8];
        wordf(&l, " %s", escape(src, sizeof src, t->measured, 100));
    } else {
        wordf(&l, " %s", rates ? "the description's figures (no profile)"
                               : "default figures (no profile)");
    }
    end_line(&l);
}
