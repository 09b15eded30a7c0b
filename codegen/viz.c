/*
 * viz.c: a placed plan as a picture (hetc viz), drawn with Graphviz's libgvc.
 *
 * One Graphviz node per step, filled with its processor's colour and labelled with its op (the
 * fused ops), its name, its output shape and, when the plan has a schedule, its predicted time
 * (end - start); a Copy as a small node of its own; graph inputs and outputs as house shapes; a
 * bold border where --place chose the processor, a dashed one where the strategy's could not run
 * the step; a legend node per processor (id, kind, backend, steps). An edge per tensor a step
 * reads: thin and grey within a processor, bold across processors, labelled with the bytes that
 * cross (on the edge into each Copy, with the copy's predicted time, and on every edge between
 * processors that share memory and so need none). Each run of two or more consecutive steps on
 * one processor (node order, the plan's global order) is a cluster labelled with the processor:
 * a run is an interval of a topological order, hence convex, which keeps dot's layout readable
 * when a placement interleaves processors (a cluster per processor would not be).
 *
 * DOT is written without a layout, at any size; SVG and PNG are laid out by dot, up to
 * VIZ_MAXLAYOUT steps; large plans lose edge labels in the ranking, then clusters (see below).
 * Text from the model is escaped so that Graphviz shows it as it is and nothing in it can break
 * the DOT or SVG: see put_text.
 */
#include "codegen.h"
#include "ir/utf8.h"

#include <errno.h>
#include <gvc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Sizes, in steps, beyond which dot is spared what makes it slow or fragile. Times measured on
 * random DAGs placed at random over two processors (docs/viz.md): edge labels that dot ranks
 * like nodes, between many small clusters, took 20 s at 900 steps, where labels placed after
 * the layout (xlabel) took 0.6 s; dot 2.43 crashed (SIGSEGV, SIGABRT) on 2281 and 3671 steps
 * with ranked labels and clusters; with xlabels, 1500 steps in clusters took 0.9 s. */
enum {
    VIZ_MAXLABEL = 500,         /* beyond: bytes as xlabels, placed once the layout is done */
    VIZ_MAXCLUSTER = 1500,      /* beyond: no clusters */
    VIZ_MAXLAYOUT = 5000,       /* beyond: DOT only (3671 steps: 5 s, 15-20 s under load) */
    VIZ_NAMECOLS = 40,          /* characters of a name shown on a node */
};

/* Paul Tol's "light" scheme: distinct for colour-blind readers, dark text stays legible on
 * each. Processors beyond these repeat the colours with a double border. */
static const char *const palette[CG_NCOLOUR] = {
    "#77AADD", "#EE8866", "#44BB99", "#FFAABB", "#EEDD88", "#99DDFF", "#BBCC33", "#AAAA00",
};

const char *
cg_proc_colour(int dev)
{
    return dev < 0 ? "#DDDDDD" : palette[dev % CG_NCOLOUR];
}

/* The last message libcgraph and libgvc reported (their error hook is process-wide). */
static char gv_msg[256];
/* One Graphviz context for the process, made on first use and kept (reachable, so no leak):
 * Graphviz 2.43's pango plugin keeps a pointer into a context's font table from one layout to
 * the next, which freeing the context leaves dangling (a use after free on the next picture).
 * Neither this nor gv_msg makes cg_viz safe to call from two threads at once. */
static GVC_t *gvc_kept;

static int
gv_error(char *msg)
{
    size_t n = strcspn(msg, "\n");
    snprintf(gv_msg, sizeof gv_msg, "%.*s", (int)(n < sizeof gv_msg ? n : sizeof gv_msg - 1),
             msg);
    return 0;
}

/* Label text being built; what does not fit is left out (never a partial escape). */
typedef struct Buf {
    char s[1024];
    size_t len;
} Buf;

static void
put(Buf *b, const char *s, size_t n)
{
    if (b->len + n < sizeof b->s) {
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = 0;
    }
}

static void
puts_(Buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void
putf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
putf(Buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Appends up to max characters of s (then "...") as label text that Graphviz shows as it is:
 * a backslash doubled (Graphviz reads \N, \n, \l in labels), '&' as "&amp;" (it reads
 * entities), and each unsafe code point (ir_cp_unsafe) or byte outside well-formed UTF-8 as
 * the four characters \xNN (per byte), so no control, bidirectional control or invalid byte
 * reaches the DOT or SVG. */
static void
put_text(Buf *b, const char *s, int max)
{
    for (int cols = 0; *s; cols++) {
        if (cols == max) {
            puts_(b, "...");
            return;
        }
        uint32_t cp;
        int n = ir_utf8_seq(s, &cp);
        if (n == 0 || ir_cp_unsafe(cp)) {
            for (int i = 0; i < (n ? n : 1); i++)
                putf(b, "\\\\x%02x", (unsigned char)s[i]);
        } else if (cp == '\\') {
            puts_(b, "\\\\");
        } else if (cp == '&') {
            puts_(b, "&amp;");
        } else {
            put(b, s, (size_t)n);
        }
        s += n ? n : 1;
    }
}

/* "1x64x56x56", with the dtype unless float32; "?" when unknown */
static void
put_shape(Buf *b, const Value *v)
{
    if (v->rank < 0) {
        puts_(b, "?");
        return;
    }
    if (v->rank == 0)
        puts_(b, "scalar");
    for (int i = 0; i < v->rank; i++) {
        if (v->dim[i] < 0)
            putf(b, "%s?", i ? "x" : "");
        else
            putf(b, "%s%lld", i ? "x" : "", (long long)v->dim[i]);
    }
    if (v->dt != DT_F32)
        putf(b, " %s", ir_dtype_short(v->dt));
}

static void
put_bytes(Buf *b, int64_t n)
{
    if (n < 1000)
        putf(b, "%lld B", (long long)n);
    else if (n < 1000000)
        putf(b, "%.1f kB", (double)n / 1e3);
    else if (n < 1000000000)
        putf(b, "%.1f MB", (double)n / 1e6);
    else
        putf(b, "%.2f GB", (double)n / 1e9);
}

/* agsafeset and friends take char * for strings they only read and copy */
static void
set(void *obj, const char *key, const char *value)
{
    agsafeset(obj, (char *)key, (char *)value, (char *)"");
}

static void
set_default(Agraph_t *gr, int kind, const char *key, const char *value)
{
    agattr(gr, kind, (char *)key, (char *)value);
}

static Agnode_t *
gv_node(Agraph_t *gr, char kind, int i)
{
    char id[32];
    snprintf(id, sizeof id, "%c%d", kind, i);
    return agnode(gr, id, 1);
}

/* Fills and borders a node or cluster for processor dev (NONE: unplaced) */
static void
paint(void *obj, int dev)
{
    set(obj, "fillcolor", cg_proc_colour(dev));
    if (dev >= CG_NCOLOUR)
        set(obj, "peripheries", "2");
}

/* The drawing being made: Graphviz nodes per IR node, graph input and graph output. */
typedef struct Viz {
    const Graph *g;
    const Target *t;
    const Schedule *s;          /* the predicted times, or NULL */
    int nstep;
    Agraph_t *root;
    Agnode_t **step;            /* per IR node; NULL for NOP */
    Agnode_t **in;              /* per value: the graph input's node, or NULL */
} Viz;

/* node n's processor, NONE when unplaced (or placed outside the target) */
static int
proc(const Viz *v, NodeId n)
{
    int dev = v->g->node[n].dev;
    return v->t && dev >= 0 && dev < v->t->nproc ? dev : NONE;
}

/* "\\n0.42 ms": step n's predicted time, when the plan has a schedule */
static void
put_time(Buf *b, const Viz *v, NodeId n)
{
    if (v->s && v->s->start_ms && v->s->end_ms)
        putf(b, "\\n%.3g ms", v->s->end_ms[n] - v->s->start_ms[n]);
}

static void
draw_step(Viz *v, Agraph_t *sub, NodeId n)
{
    const Node *x = &v->g->node[n];
    Buf b = {.len = 0};
    b.s[0] = 0;
    Agnode_t *gn = gv_node(sub, 'n', n);
    v->step[n] = gn;
    paint(gn, proc(v, n));
    if (x->op == OP_COPY) {
        puts_(&b, "Copy");
        set(gn, "shape", "cds");
        set(gn, "fontsize", "8");
    } else {
        put_text(&b, x->ops ? x->ops : x->op == OP_UNKNOWN ? x->optype : ir_op[x->op].onnx,
                 VIZ_NAMECOLS);
        if (x->name && x->name[0]) {
            puts_(&b, "\\n");
            put_text(&b, x->name, VIZ_NAMECOLS);
        }
        int shown = 0;
        for (int j = 0; j < x->nout; j++) {
            if (x->out[j] == NONE)
                continue;
            if (shown == 3) {
                puts_(&b, ", ...");
                break;
            }
            puts_(&b, shown++ ? ", " : "\\n");
            put_shape(&b, &v->g->val[x->out[j]]);
        }
        put_time(&b, v, n);
    }
    set(gn, "label", b.s);
    if (x->cause == PC_FORCED)          /* --place put it there */
        set(gn, "penwidth", "2.5");
    else if (x->cause == PC_ONLY)       /* the strategy's processor cannot run it */
        set(gn, "style", "rounded,filled,dashed");
}

static void
draw_io(Viz *v, int output, int i)
{
    const Value *val = &v->g->val[output ? v->g->output[i] : v->g->input[i]];
    Agnode_t *gn = gv_node(v->root, output ? 'o' : 'i', i);
    Buf b = {.len = 0};
    b.s[0] = 0;
    puts_(&b, output ? "output\\n" : "input\\n");
    put_text(&b, val->name, VIZ_NAMECOLS);
    puts_(&b, "\\n");
    put_shape(&b, val);
    set(gn, "label", b.s);
    set(gn, "shape", output ? "house" : "invhouse");
    set(gn, "style", "filled");
    set(gn, "fillcolor", "white");
    if (!output)
        v->in[v->g->input[i]] = gn;
}

/* The edge from the writer of value id (a step or a graph input) to node to, once; bytes on it
 * when it crosses processors, and the copy's predicted time on the edge into copy step to_copy
 * (NONE: to is no copy). */
static void
draw_edge(Viz *v, ValId id, Agnode_t *to, int to_dev, NodeId to_copy)
{
    const Value *val = &v->g->val[id];
    Agnode_t *from = val->def != NONE ? v->step[val->def] : v->in[id];
    if (!from || agedge(v->root, from, to, NULL, 0))
        return;
    Agedge_t *e = agedge(v->root, from, to, NULL, 1);
    int from_dev = val->def != NONE ? proc(v, val->def) : NONE;
    int from_copy = val->def != NONE && v->g->node[val->def].op == OP_COPY;
    if (to_copy == NONE && (from_copy || from_dev == to_dev || from_dev < 0 || to_dev < 0))
        return;
    set(e, "penwidth", "2");
    set(e, "color", "#333333");
    Buf b = {.len = 0};
    b.s[0] = 0;
    put_bytes(&b, (int64_t)ir_nbytes(val));
    if (to_copy != NONE)
        put_time(&b, v, to_copy);
    set(e, v->nstep <= VIZ_MAXLABEL ? "label" : "xlabel", b.s);
}

static void
draw_legend(Viz *v)
{
    const Graph *g = v->g;
    int nproc = v->t ? v->t->nproc : 0, unplaced = 0;
    int steps[TG_MAXPROC] = {0};
    for (NodeId n = 0; n < g->nnode; n++) {
        int dev = proc(v, n);
        if (g->node[n].op == OP_NOP)
            continue;
        if (dev >= 0)
            steps[dev]++;
        else
            unplaced++;
    }
    Agraph_t *sub = agsubg(v->root, (char *)"cluster_legend", 1);
    set(sub, "label", "processors");
    set(sub, "style", "rounded");
    Agnode_t *prev = NULL;
    for (int p = 0; p <= nproc; p++) {
        if (p == nproc && !unplaced)
            break;
        Agnode_t *gn = gv_node(sub, 'p', p);
        Buf b = {.len = 0};
        b.s[0] = 0;
        if (p < nproc) {
            const Proc *pr = &v->t->proc[p];
            put_text(&b, pr->id, TG_MAXID);
            putf(&b, "\\n%s, %s: %d step%s", target_kind_name(pr->kind),
                 target_backend_name(pr->backend), steps[p], steps[p] == 1 ? "" : "s");
        } else {
            putf(&b, "unplaced\\n%d step%s", unplaced, unplaced == 1 ? "" : "s");
        }
        set(gn, "label", b.s);
        paint(gn, p < nproc ? p : NONE);
        if (prev)   /* in order, one above the other */
            set(agedge(sub, prev, gn, NULL, 1), "style", "invis");
        prev = gn;
    }
}

/* The steps, each run of two or more consecutive steps on one processor in a cluster */
static void
draw_steps(Viz *v)
{
    const Graph *g = v->g;
    int nrun = 0;
    for (NodeId n = 0; n < g->nnode;) {
        if (g->node[n].op == OP_NOP) {
            n++;
            continue;
        }
        int dev = proc(v, n);
        NodeId end = n + 1;
        while (end < g->nnode && (g->node[end].op == OP_NOP || proc(v, end) == dev))
            end++;
        Agraph_t *sub = v->root;
        if (dev >= 0 && end - n >= 2 && v->nstep <= VIZ_MAXCLUSTER) {
            char name[48];
            snprintf(name, sizeof name, "cluster_%d_%d", dev, nrun++);
            sub = agsubg(v->root, name, 1);
            Buf b = {.len = 0};
            b.s[0] = 0;
            put_text(&b, v->t->proc[dev].id, TG_MAXID);
            set(sub, "label", b.s);
            set(sub, "style", "dashed");
            set(sub, "color", cg_proc_colour(dev));
        }
        for (; n < end; n++)
            if (g->node[n].op != OP_NOP)
                draw_step(v, sub, n);
    }
}

static void
draw(Viz *v)
{
    const Graph *g = v->g;
    Agraph_t *gr = v->root;
    set_default(gr, AGRAPH, "fontname", "Helvetica");
    set_default(gr, AGRAPH, "fontsize", "10");
    set_default(gr, AGRAPH, "nodesep", "0.2");
    set_default(gr, AGRAPH, "ranksep", "0.3");
    set_default(gr, AGNODE, "shape", "box");
    set_default(gr, AGNODE, "style", "rounded,filled");
    set_default(gr, AGNODE, "fontname", "Helvetica");
    set_default(gr, AGNODE, "fontsize", "10");
    set_default(gr, AGNODE, "margin", "0.08,0.03");
    set_default(gr, AGNODE, "height", "0.3");
    set_default(gr, AGEDGE, "color", "#888888");
    set_default(gr, AGEDGE, "arrowsize", "0.6");
    set_default(gr, AGEDGE, "fontname", "Helvetica");
    set_default(gr, AGEDGE, "fontsize", "9");
    Buf b = {.len = 0};
    b.s[0] = 0;
    put_text(&b, g->file ? g->file : "", 120);
    if (v->t) {
        puts_(&b, " on ");
        put_text(&b, v->t->file[0] ? v->t->file : "the detected host", 120);
    }
    set(gr, "label", b.s);
    set(gr, "labelloc", "t");
    draw_legend(v);
    for (int i = 0; i < g->ninput; i++)
        draw_io(v, 0, i);
    draw_steps(v);
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        for (int j = 0; x->op != OP_NOP && j < x->nin; j++)
            if (x->in[j] != NONE)
                draw_edge(v, x->in[j], v->step[n], proc(v, n), x->op == OP_COPY ? n : NONE);
    }
    for (int i = 0; i < g->noutput; i++) {
        draw_io(v, 1, i);
        draw_edge(v, g->output[i], gv_node(gr, 'o', i), NONE, NONE);
    }
}

const char *
cg_viz_format(const char *path)
{
    static const char *const formats[] = {"svg", "png", "dot"};
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (int i = 0; i < 3; i++) {
        int same = 1;
        for (int k = 0; same && k < 4; k++) {
            char c = dot[1 + k];
            same = (c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c) == formats[i][k];
        }
        if (same)
            return formats[i];
    }
    return NULL;
}

int
cg_viz(const Graph *g, const Plan *p, const char *path, Diag *d)
{
    const char *fmt = cg_viz_format(path);
    if (!fmt)
        return diag_error(d, "%s: unknown picture format (the name must end in .svg, .png or "
                          ".dot)", path);
    int nstep = 0;
    for (NodeId n = 0; n < g->nnode; n++)
        nstep += g->node[n].op != OP_NOP;
    if (strcmp(fmt, "dot") != 0 && nstep > VIZ_MAXLAYOUT)
        return diag_error(d, "%d steps are too many to lay out (at most %d): write a .dot file "
                          "instead", nstep, VIZ_MAXLAYOUT);
    Viz v = {g, p ? p->target : NULL, p ? &p->sched : NULL, nstep, NULL, NULL, NULL};
    v.step = ir_alloc((size_t)(g->nnode + 1) * sizeof *v.step);
    v.in = ir_alloc((size_t)(g->nval + 1) * sizeof *v.in);
    if (!v.step || !v.in) {
        ir_free(v.step);
        ir_free(v.in);
        return diag_oom(d);
    }
    memset(v.step, 0, (size_t)(g->nnode + 1) * sizeof *v.step);
    memset(v.in, 0, (size_t)(g->nval + 1) * sizeof *v.in);
    int rc = -1;
    gv_msg[0] = 0;
    agseterrf(gv_error);
    FILE *f = fopen(path, "wb");
    if (!f) {
        diag_env(d, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    if (!gvc_kept)
        gvc_kept = gvContext();
    GVC_t *gvc = gvc_kept;
    v.root = gvc ? agopen((char *)"plan", Agdirected, NULL) : NULL;
    if (!v.root) {
        diag_env(d, "%s failed%s%s", gvc ? "agopen" : "gvContext", gv_msg[0] ? ": " : "",
                 gv_msg);
        goto done;
    }
    draw(&v);
    if (strcmp(fmt, "dot") == 0) {
        if (agwrite(v.root, f) != 0) {
            diag_env(d, "writing %s failed: %s", path, strerror(errno));
            goto done;
        }
    } else if (gvLayout(gvc, v.root, "dot") != 0) {
        diag_env(d, "gvLayout(dot) failed%s%s", gv_msg[0] ? ": " : "", gv_msg);
        goto done;
    } else {
        int r = gvRender(gvc, v.root, fmt, f);
        gvFreeLayout(gvc, v.root);
        if (r != 0) {
            diag_env(d, "gvRender(%s) failed%s%s", fmt, gv_msg[0] ? ": " : "", gv_msg);
            goto done;
        }
    }
    rc = 0;
done:
    if (v.root)
        agclose(v.root);
    if (f && (ferror(f) | fclose(f)) && rc == 0)
        rc = diag_env(d, "writing %s failed: %s", path, strerror(errno));
    if (f && rc < 0)
        remove(path);
    agseterrf(NULL);
    ir_free(v.step);
    ir_free(v.in);
    return rc;
}
