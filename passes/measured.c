/*
 * measured.c: measured step times for --profile-from. A plan binary's --trace (docs/runtime.md,
 * "Tracing") writes one Chrome trace event ("ph": "X") per step with args.node, args.processor
 * and, after several timed runs, args.median_us; cost_measured_load keeps (node, processor,
 * microseconds) of each, and the schedule asks cost_measured_us for a node's time on its
 * processor.
 *
 * A step is named as the trace names it: a node by its name, a Copy (whose name, "copy to
 * SPACE", is not unique) by its label 'copy of "VALUE" to SPACE', as codegen/emit_c.c's
 * step_label writes it. Names need not be unique (ONNX allows empty and repeated node names):
 * the entries of one (node, processor) keep the order of their steps (args.step, the node's index
 * in the compiled graph), and the k-th of them goes to the k-th node of that name on that
 * processor in the graph. The table is sorted by (processor, node, step) and searched by
 * bisection.
 */
#include "cost.h"
#include "ir/json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAXFILE = 256 << 20 };   /* bytes of a trace, at most */

/* an entry being loaded, with the order its step had in the plan */
typedef struct Entry {
    MeasuredStep s;
    double step;
    int order;
} Entry;

static int
entry_cmp(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    int c = strcmp(x->s.proc, y->s.proc);
    if (c == 0)
        c = strcmp(x->s.node, y->s.node);
    if (c == 0)
        c = x->step < y->step ? -1 : x->step > y->step;
    if (c == 0)
        c = x->order - y->order;
    return c;
}

/* The whole of a regular file at path, at most MAXFILE bytes (ir_alloc'd, NUL after it), or
 * NULL after a message in d. Never blocks on a FIFO. */
static char *
read_file(const char *path, size_t *len, Diag *d)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return diag_error(d, "%s: cannot open: %s", path, strerror(errno)), NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return diag_env(d, "%s: fstat failed: %s", path, strerror(e)), NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return diag_error(d, "%s: not a regular file (%s)", path, S_ISDIR(st.st_mode)
                          ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
                          : "a device or special file"), NULL;
    }
    if (st.st_size > MAXFILE) {
        close(fd);
        return diag_error(d, "%s: the file has %lld bytes, more than the %d a trace may have",
                          path, (long long)st.st_size, MAXFILE), NULL;
    }
    /* the size it has now, and one byte more to see it grow past the cap while read */
    size_t cap = (size_t)st.st_size + 1;
    char *buf = ir_alloc(cap + 1);
    if (!buf) {
        close(fd);
        return diag_oom(d), NULL;
    }
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap > MAXFILE)
                break;
            size_t more = cap * 2 < (size_t)MAXFILE + 1 ? cap * 2 : (size_t)MAXFILE + 1;
            char *b = ir_realloc(buf, more + 1);
            if (!b) {
                close(fd);
                ir_free(buf);
                return diag_oom(d), NULL;
            }
            buf = b;
            cap = more;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            ir_free(buf);
            return diag_env(d, "%s: read failed: %s", path, strerror(e)), NULL;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    if (n > MAXFILE) {
        ir_free(buf);
        return diag_error(d, "%s: the file grew past the %d bytes a trace may have", path,
                          MAXFILE), NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* A step event's figures into e (node borrowed from the tree); 1 a step, 0 another event, -1
 * after a message. */
static int
take_event(const Json *ev, int i, Entry *e, const char *path, Diag *d)
{
    const Json *ph = json_get(ev, "ph"), *args = json_get(ev, "args");
    if (!ph || ph->type != JS_STR || strcmp(ph->str, "X") != 0)
        return 0;
    const Json *node = json_get(args, "node"), *proc = json_get(args, "processor");
    const Json *med = json_get(args, "median_us"), *dur = json_get(ev, "dur");
    const Json *step = json_get(args, "step"), *op = json_get(args, "op");
    const char *what = !node ? "no args.node (a trace of an older hetc? run the binary again)"
                       : node->type != JS_STR || strlen(node->str) != node->len
                       ? "args.node is not a name"
                       : !proc ? "no args.processor"
                       : proc->type != JS_STR || proc->len == 0 || proc->len >= TG_MAXID ||
                         strlen(proc->str) != proc->len ? "args.processor is not a processor id"
                       : med && (med->type != JS_NUM || med->num < 0)
                       ? "args.median_us is not a time"
                       : !med && (!dur || dur->type != JS_NUM || dur->num < 0)
                       ? "no dur, or not a time" : NULL;
    if (what)
        return diag_error(d, "%s: line %d: step event %d: %s", path, ev->line, i, what);
    memset(e, 0, sizeof *e);
    e->s.node = node->str;
    memcpy(e->s.proc, proc->str, proc->len + 1);
    e->s.us = med ? med->num : dur->num;
    e->s.copy = op && op->type == JS_STR && strcmp(op->str, "Copy") == 0;
    const Json *ts = json_get(ev, "ts");
    e->s.ts_us = ts && ts->type == JS_NUM && ts->num >= 0 ? ts->num : -1;
    e->s.dur_us = dur && dur->type == JS_NUM && dur->num >= 0 ? dur->num : -1;
    e->step = step && step->type == JS_NUM ? step->num : 0;
    e->order = i;
    return 1;
}

/* The step events of trace root into m (names copied after the array, one allocation). */
static int
take_steps(Measured *m, const Json *root, const char *path, Diag *d)
{
    const Json *evs = json_get(root, "traceEvents");
    if (!evs || evs->type != JS_ARR)
        return diag_error(d, "%s: not a trace (no \"traceEvents\" array)", path);
    Entry *e = ir_alloc((size_t)evs->n * sizeof *e + 1);
    if (!e)
        return diag_oom(d);
    int n = 0;
    size_t names = 0;
    for (int i = 0; i < evs->n; i++) {
        int k = take_event(&evs->kid[i], i, &e[n], path, d);
        if (k < 0) {
            ir_free(e);
            return -1;
        }
        if (k > 0)
            names += strlen(e[n++].s.node) + 1;
    }
    if (n == 0) {
        ir_free(e);
        return diag_error(d, "%s: no step events (\"ph\": \"X\" with args.node and "
                          "args.processor): not a trace of a plan binary", path);
    }
    qsort(e, (size_t)n, sizeof *e, entry_cmp);
    m->step = ir_alloc((size_t)n * sizeof *m->step + names);
    if (!m->step) {
        ir_free(e);
        return diag_oom(d);
    }
    char *name = (char *)(m->step + n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(e[i].s.node) + 1;
        m->step[i] = e[i].s;
        m->step[i].node = memcpy(name, e[i].s.node, len);
        name += len;
    }
    m->n = n;
    ir_free(e);
    return 0;
}

int
cost_measured_load(Measured *m, const char *path, Diag *d)
{
    memset(m, 0, sizeof *m);
    snprintf(m->file, sizeof m->file, "%s", path);
    size_t len;
    char *text = read_file(path, &len, d);
    if (!text)
        return -1;
    char err[256];
    int oom = 0;
    Json *root = json_parse(text, len, err, sizeof err, &oom);
    ir_free(text);
    if (!root)
        return oom ? diag_oom(d) : diag_error(d, "%s: not JSON: %s", path, err);
    int rc = take_steps(m, root, path, d);
    json_free(root);
    return rc;
}

void
cost_measured_free(Measured *m)
{
    if (!m)
        return;
    ir_free(m->step);
    m->step = NULL;
    m->n = 0;
}

/* The name the trace gives node n: its own, or a Copy's label (see the header comment). */
static const char *
trace_name(const Graph *g, NodeId n, const Target *t, char *buf, size_t size)
{
    const Node *x = &g->node[n];
    if (x->op != OP_COPY || x->nin < 1 || x->in[0] == NONE || x->dev < 0 || x->dev >= t->nproc)
        return x->name;
    snprintf(buf, size, "copy of \"%s\" to %s", g->val[x->in[0]].name,
             t->space[target_mem(t, t->proc[x->dev].space)].id);
    return buf;
}

/* The first entry of (proc, node), or -1. */
static int
lower_bound(const Measured *m, const char *proc, const char *node)
{
    int lo = 0, hi = m->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(m->step[mid].proc, proc);
        if (c == 0)
            c = strcmp(m->step[mid].node, node);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->n && strcmp(m->step[lo].proc, proc) == 0 && strcmp(m->step[lo].node, node) == 0)
        return lo;
    return -1;
}

double
cost_measured_us(Measured *m, const Graph *g, NodeId n, const Target *t, int p)
{
    if (!m || m->n == 0 || p < 0 || p >= t->nproc)
        return -1;
    char buf[2 * IR_MAXNAME + 128];
    const char *name = trace_name(g, n, t, buf, sizeof buf), *proc = t->proc[p].id;
    int i = lower_bound(m, proc, name);
    if (i < 0)
        return -1;
    int k = 1;
    while (i + k < m->n && strcmp(m->step[i + k].proc, proc) == 0 &&
           strcmp(m->step[i + k].node, name) == 0)
        k++;
    int rank = 0;
    if (k > 1) {
        /* a repeated name: n's rank among the nodes of that name on p */
        char other[2 * IR_MAXNAME + 128];
        for (NodeId j = 0; j < n; j++)
            if (g->node[j].op != OP_NOP && g->node[j].dev == p &&
                strcmp(trace_name(g, j, t, other, sizeof other), name) == 0)
                rank++;
        if (rank >= k)
            return -1;
    }
    m->step[i + rank].used = 1;
    return m->step[i + rank].us;
}

int
cost_measured_check(const Measured *m, const Graph *g, const Target *t, Diag *d)
{
    int used = 0;
    for (int i = 0; i < m->n; i++)
        used += m->step[i].used != 0;
    if (used == 0)
        return diag_error(d, "%s: matches no step of this plan (a trace of another model?)",
                          m->file);
    for (int i = 0; i < m->n; i++) {
        const MeasuredStep *s = &m->step[i];
        if (s->used || s->copy || (i > 0 && strcmp(s->node, m->step[i - 1].node) == 0 &&
                                   strcmp(s->proc, m->step[i - 1].proc) == 0))
            continue;
        int found = 0;
        char buf[2 * IR_MAXNAME + 128];
        for (NodeId n = 0; n < g->nnode && !found; n++)
            found = g->node[n].op != OP_NOP && strcmp(trace_name(g, n, t, buf, sizeof buf),
                                                      s->node) == 0;
        if (!found)
            return diag_error(d, "%s: step \"%s\" on %s: the model has no node of that name "
                              "(a trace of another model?)", m->file, s->node, s->proc);
    }
    return 0;
}
