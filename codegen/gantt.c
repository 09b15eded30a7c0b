/*
 * gantt.c: a plan's predicted schedule as a Gantt chart (hetc viz --gantt FILE.svg), written as
 * SVG text by hand: no layout is needed, so no Graphviz.
 *
 * One row per lane (a processor, labelled with its id in its colour), in lane order, and one
 * more for the copies when the plan has any; time runs left to right, the axis in milliseconds
 * with ticks at 1, 2 or 5 times a power of ten, about eight of them, and a dashed line at the
 * makespan. Each step is a box from its predicted start to its predicted end (Schedule.start_ms,
 * end_ms), filled with its processor's colour (cg_proc_colour, as hetc viz), named inside when
 * it is wide enough and fully in its tooltip (<title>: name, ops, processor, times). A Copy is a
 * box on the copies row, in its processor's colour, hatched. Boxes are at least half a pixel
 * wide, so a step predicted to take no time is still there.
 *
 * With a trace of a run of the plan (hetc viz --trace: the steps' ts and dur of its last run,
 * passes/measured.c), a second section below the first draws what was measured, on the same
 * rows and the same time axis, so the two compare at a glance.
 *
 * Text from the model goes through put_xml: the five XML specials as entities, and each unsafe
 * code point (ir_cp_unsafe: XML 1.0 forbids most of them even as references) or byte outside
 * well-formed UTF-8 as the four characters \xNN, as viz and the terminal show them.
 */
#include "codegen.h"
#include "passes/cost.h"
#include "ir/utf8.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    GT_WIDTH = 1200,        /* pixels, the whole picture */
    GT_LEFT = 130,          /* the row labels' column */
    GT_RIGHT = 30,
    GT_TOP = 44,            /* the title above the rows */
    GT_ROW = 30,            /* a row's height; its box is GT_BOX high */
    GT_BOX = 22,
    GT_AXIS = 46,           /* below the rows: ticks, their labels, the axis' name */
    GT_HEAD = 22,           /* a section's heading, with a trace */
    GT_GAP = 16,            /* between the sections */
    GT_LABELCOLS = 16,      /* characters of a processor id beside its row */
    GT_TITLECOLS = 120,
};

/* s as XML text or attribute value, cut after max characters with "..." */
static void
put_xml(FILE *f, const char *s, int max)
{
    for (int cols = 0; s && *s; cols++) {
        if (cols == max) {
            fputs("...", f);
            return;
        }
        uint32_t cp;
        int n = ir_utf8_seq(s, &cp);
        if (n == 0 || ir_cp_unsafe(cp)) {
            for (int i = 0; i < (n ? n : 1); i++)
                fprintf(f, "\\x%02x", (unsigned char)s[i]);
        } else if (cp == '&') {
            fputs("&amp;", f);
        } else if (cp == '<') {
            fputs("&lt;", f);
        } else if (cp == '>') {
            fputs("&gt;", f);
        } else if (cp == '"') {
            fputs("&quot;", f);
        } else if (cp == '\'') {
            fputs("&apos;", f);
        } else {
            fwrite(s, 1, (size_t)n, f);
        }
        s += n ? n : 1;
    }
}

/* the step's ops as shown: "Conv+Relu", the ONNX op, or the op type as written */
static const char *
ops_of(const Node *x)
{
    return x->ops ? x->ops : x->op == OP_UNKNOWN ? x->optype : ir_op[x->op].onnx;
}

/* The tick spacing, 1, 2 or 5 times a power of ten giving at most about 8 ticks over span, and
 * the decimals its labels need into *digits */
static double
tick_step(double span, int *digits)
{
    double raw = span / 8, base = 1;
    *digits = 0;
    while (base * 10 <= raw)
        base *= 10;
    while (base > raw && *digits < 12) {
        base /= 10;
        ++*digits;
    }
    if (raw > 5 * base) {
        base *= 10;
        *digits -= *digits > 0;
        return base;
    }
    return raw > 2 * base ? 5 * base : raw > base ? 2 * base : base;
}

/* The chart's geometry: a time in ms to an x in pixels. */
typedef struct Chart {
    double span;            /* ms across the plot (the makespan, or 1 us for an empty one) */
    double scale;           /* pixels per ms */
} Chart;

static double
x_at(const Chart *c, double ms)
{
    return GT_LEFT + ms * c->scale;
}

static void
draw_axis(FILE *f, const Chart *c, double y)
{
    int digits;
    double step = tick_step(c->span, &digits);
    fprintf(f, "<g class=\"axis\">\n<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
            "stroke=\"#333333\"/>\n", GT_LEFT, y, GT_WIDTH - GT_RIGHT, y);
    for (int k = 0; k * step <= c->span * (1 + 1e-9) && k < 100; k++) {
        double x = x_at(c, k * step);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.*f</text>\n", x, y, x,
                y + 5, x, y + 17, digits, k * step);
    }
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">time (ms)</text>\n</g>\n",
            (GT_LEFT + GT_WIDTH - GT_RIGHT) / 2, y + 34);
}

/* A dashed line at ms from y0 to y1 with "WHAT X ms" beside its top */
static void
draw_end(FILE *f, const Chart *c, const char *cls, const char *what, double ms, double y0,
         double y1)
{
    double x = x_at(c, ms);
    fprintf(f, "<g class=\"%s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#CC3311\" stroke-dasharray=\"4,3\"/><text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"end\" fill=\"#CC3311\">%s %.3f ms</text></g>\n", cls, x, y0 - 4, x,
            y1, x - 3, y0 - 6, what, ms);
}

/* A step's box: box_open starts its group (class cls) and tooltip, the caller writes the
 * tooltip's text, box_close ends it with the times and draws the box from start to end ms in
 * the row at row_y, in processor dev's colour, hatched for a copy, with label inside. */
static void
box_open(FILE *f, const char *cls)
{
    fprintf(f, "<g class=\"%s\"><title>", cls);
}

static void
box_close(FILE *f, const Chart *c, double start, double end, double row_y, int dev, int copy,
          const char *label)
{
    double x0 = x_at(c, start), w = (end - start) * c->scale;
    double y = row_y + (GT_ROW - GT_BOX) / 2.0;
    if (w < 0.5)
        w = 0.5;
    fprintf(f, ": %.3f to %.3f ms (%.3f ms)</title>\n", start, end, end - start);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
            "stroke=\"%s\" stroke-width=\"%s\"/>", x0, y, w, GT_BOX, cg_proc_colour(dev),
            dev >= CG_NCOLOUR ? "#000000" : "#555555", dev >= CG_NCOLOUR ? "1.5" : "0.5");
    if (copy)
        fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
                "fill=\"url(#hatch)\"/>", x0, y, w, GT_BOX);
    /* the label inside (about 6 pixels a character), cut to fit, or left out when fewer than
     * three characters and the "..." would fit */
    int fit = (int)((w - 4) / 6), len = (int)strlen(label);
    if (fit > 40)
        fit = 40;
    if (len <= fit || fit >= 6) {
        fprintf(f, "\n<text x=\"%.2f\" y=\"%.1f\" font-size=\"10\">", x0 + 2,
                y + GT_BOX / 2.0 + 3.5);
        put_xml(f, label, len <= fit ? len : fit - 3);
        fputs("</text>", f);
    }
    fputs("</g>\n", f);
}

/* The predicted box of step n in the row at y */
static void
draw_step(FILE *f, const Graph *g, const Plan *p, const Chart *c, NodeId n, double y)
{
    const Node *x = &g->node[n];
    const Schedule *s = &p->sched;
    int copy = x->op == OP_COPY;
    box_open(f, copy ? "copy" : "step");
    if (copy) {
        fputs("Copy of ", f);
        put_xml(f, x->nin > 0 && x->in[0] != NONE ? g->val[x->in[0]].name : "", GT_TITLECOLS);
    } else {
        put_xml(f, x->name && x->name[0] ? x->name : "(unnamed)", GT_TITLECOLS);
        fputs(" (", f);
        put_xml(f, ops_of(x), GT_TITLECOLS);
        fputc(')', f);
    }
    fputs(" on ", f);
    put_xml(f, p->target->proc[x->dev].id, TG_MAXID);
    box_close(f, c, s->start_ms[n], s->end_ms[n], y, x->dev, copy, copy ? "Copy" : ops_of(x));
}

/* Rows labelled with the processors of p's lanes, and "copies" when copies, from y */
static void
draw_rows(FILE *f, const Plan *p, int copies, double y)
{
    const Target *t = p->target;
    const Schedule *s = &p->sched;
    for (int r = 0; r < s->nlane + copies; r++, y += GT_ROW) {
        int dev = r < s->nlane ? s->lane_proc[r] : NONE;
        fprintf(f, "<g class=\"row\"><rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
                "fill=\"%s\"/>", GT_LEFT, y, GT_WIDTH - GT_LEFT - GT_RIGHT, GT_ROW,
                r % 2 ? "#FFFFFF" : "#F4F4F4");
        fprintf(f, "<rect x=\"8\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"26\" y=\"%.1f\">", y + GT_ROW / 2.0 - 6,
                dev >= 0 ? cg_proc_colour(dev) : "#FFFFFF", y + GT_ROW / 2.0 + 4);
        if (dev >= 0)
            put_xml(f, t->proc[dev].id, GT_LABELCOLS);
        else
            fputs("copies", f);
        fputs("</text></g>\n", f);
    }
}

/* A section's heading at y */
static void
draw_heading(FILE *f, const char *what, const char *file, double y)
{
    fprintf(f, "<text class=\"section\" x=\"8\" y=\"%.1f\" font-weight=\"bold\">%s", y + 14,
            what);
    if (file)
        put_xml(f, file, GT_TITLECOLS / 2);
    fputs("</text>\n", f);
}

/* The lane of processor id in p, or -1 */
static int
lane_of(const Plan *p, const char *id)
{
    int q = target_find(p->target, id);
    for (int l = 0; q >= 0 && l < p->sched.nlane; l++)
        if (p->sched.lane_proc[l] == q)
            return l;
    return -1;
}

/* Checks that every step of trace m runs on a lane of p and has its times; its end into *end
 * and whether it holds copies into *copies. 0, or -1 with the reason in d (bad input). */
static int
check_trace(const Plan *p, const Measured *m, double *end, int *copies, Diag *d)
{
    *end = 0;
    *copies = 0;
    for (int i = 0; i < m->n; i++) {
        const MeasuredStep *x = &m->step[i];
        if (lane_of(p, x->proc) < 0)
            return diag_error(d, "%s: a step on processor \"%s\", which the plan does not run "
                              "on (a trace of another plan?)", m->file, x->proc);
        if (x->ts_us < 0 || x->dur_us < 0)
            return diag_error(d, "%s: a step on %s without ts or dur", m->file, x->proc);
        if ((x->ts_us + x->dur_us) / 1e3 > *end)
            *end = (x->ts_us + x->dur_us) / 1e3;
        *copies |= x->copy;
    }
    return 0;
}

int
cg_gantt(const Graph *g, const Plan *p, const Measured *trace, const char *path, Diag *d)
{
    const Target *t = p ? p->target : NULL;
    const Schedule *s = p ? &p->sched : NULL;
    if (!t || !s->start_ms || !s->end_ms)
        return diag_error(d, "%s: the plan has no schedule to draw", path);
    double measured = 0;
    int ncopy = 0, mcopy = 0;
    if (trace && check_trace(p, trace, &measured, &mcopy, d) < 0)
        return -1;
    for (NodeId n = 0; n < g->nnode; n++)
        ncopy += g->node[n].op == OP_COPY;
    int prow = s->nlane + (ncopy > 0), mrow = trace ? s->nlane + mcopy : 0;
    double most = s->makespan_ms > measured ? s->makespan_ms : measured;
    Chart c = {most > 1e-3 ? most : 1e-3, 0};
    c.scale = (GT_WIDTH - GT_LEFT - GT_RIGHT) / c.span;
    int head = trace ? GT_HEAD : 0;
    double top = GT_TOP + head, mtop = top + prow * GT_ROW + GT_GAP + head;
    double axis = (trace ? mtop + mrow * GT_ROW : top + prow * GT_ROW) + 4;
    int height = (int)axis + GT_AXIS;
    FILE *f = fopen(path, "wb");
    if (!f)
        return diag_env(d, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/"
            "2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"Helvetica,"
            " Arial, sans-serif\" font-size=\"11\">\n", GT_WIDTH, height, GT_WIDTH, height);
    fputs("<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
          "stroke=\"#333333\" stroke-width=\"1\"/></pattern></defs>\n<title>", f);
    put_xml(f, g->file ? g->file : "", GT_TITLECOLS);
    fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#FFFFFF\"/>\n", f);
    fputs("<text class=\"title\" x=\"8\" y=\"18\" font-size=\"13\">predicted schedule of ", f);
    put_xml(f, g->file ? g->file : "", GT_TITLECOLS / 2);
    fputs(" on ", f);
    put_xml(f, t->file[0] ? t->file : "the detected host", GT_TITLECOLS / 2);
    fprintf(f, ": %.3f ms</text>\n", s->makespan_ms);

    if (trace)
        draw_heading(f, "predicted", NULL, top - head);
    draw_rows(f, p, ncopy > 0, top);
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP || x->dev < 0 || x->dev >= t->nproc)
            continue;
        draw_step(f, g, p, &c, n, top + (x->op == OP_COPY ? s->nlane : s->lane[n]) * GT_ROW);
    }
    draw_end(f, &c, "makespan", "makespan", s->makespan_ms, top, top + prow * GT_ROW);

    if (trace) {
        draw_heading(f, "measured (the trace's last run): ", trace->file, mtop - head);
        draw_rows(f, p, mcopy, mtop);
        for (int i = 0; i < trace->n; i++) {
            const MeasuredStep *x = &trace->step[i];
            int l = lane_of(p, x->proc);
            box_open(f, x->copy ? "measured-copy" : "measured-step");
            put_xml(f, x->node[0] ? x->node : "(unnamed)", GT_TITLECOLS);
            fputs(" on ", f);
            put_xml(f, x->proc, TG_MAXID);
            box_close(f, &c, x->ts_us / 1e3, (x->ts_us + x->dur_us) / 1e3,
                      mtop + (x->copy ? s->nlane : l) * GT_ROW, s->lane_proc[l], x->copy,
                      x->copy ? "Copy" : x->node);
        }
        draw_end(f, &c, "measured", "measured", measured, mtop, mtop + mrow * GT_ROW);
    }
    draw_axis(f, &c, axis);
    fputs("</svg>\n", f);
    if (ferror(f) | fclose(f)) {
        int e = errno;
        remove(path);
        return diag_env(d, "writing %s failed: %s", path, strerror(e));
    }
    return 0;
}
