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
 * Text from the model goes through put_xml: the five XML specials as entities, and each unsafe
 * code point (ir_cp_unsafe: XML 1.0 forbids most of them even as references) or byte outside
 * well-formed UTF-8 as the four characters \xNN, as viz and the terminal show them.
 */
#include "codegen.h"
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
draw_axis(FILE *f, const Chart *c, double y, double makespan)
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
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">predicted time (ms)</text>\n"
            "</g>\n", (GT_LEFT + GT_WIDTH - GT_RIGHT) / 2, y + 34);
    double x = x_at(c, makespan);
    fprintf(f, "<g class=\"makespan\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#CC3311\" stroke-dasharray=\"4,3\"/><text x=\"%.1f\" y=\"%.1f\" "
            "text-anchor=\"end\" fill=\"#CC3311\">makespan %.3f ms</text></g>\n", x, GT_TOP - 4,
            x, y, x, y + 34, makespan);
}

/* The box of step n in row r */
static void
draw_box(FILE *f, const Graph *g, const Plan *p, const Chart *c, NodeId n, int r)
{
    const Node *x = &g->node[n];
    const Target *t = p->target;
    const Schedule *s = &p->sched;
    int copy = x->op == OP_COPY, dev = x->dev;
    double x0 = x_at(c, s->start_ms[n]), w = (s->end_ms[n] - s->start_ms[n]) * c->scale;
    double y = GT_TOP + r * GT_ROW + (GT_ROW - GT_BOX) / 2.0;
    if (w < 0.5)
        w = 0.5;
    fprintf(f, "<g class=\"%s\"><title>", copy ? "copy" : "step");
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
    put_xml(f, t->proc[dev].id, TG_MAXID);
    fprintf(f, ": %.3f to %.3f ms (%.3f ms)</title>\n", s->start_ms[n], s->end_ms[n],
            s->end_ms[n] - s->start_ms[n]);
    fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
            "stroke=\"%s\" stroke-width=\"%s\"/>", x0, y, w, GT_BOX, cg_proc_colour(dev),
            dev >= CG_NCOLOUR ? "#000000" : "#555555", dev >= CG_NCOLOUR ? "1.5" : "0.5");
    if (copy)
        fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
                "fill=\"url(#hatch)\"/>", x0, y, w, GT_BOX);
    /* the ops inside (about 6 pixels a character), cut to fit, or left out when fewer than
     * three characters and the "..." would fit */
    const char *label = copy ? "Copy" : ops_of(x);
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

/* The rows' labels and bands */
static void
draw_rows(FILE *f, const Plan *p, int nrow)
{
    const Target *t = p->target;
    const Schedule *s = &p->sched;
    for (int r = 0; r < nrow; r++) {
        int y = GT_TOP + r * GT_ROW, dev = r < s->nlane ? s->lane_proc[r] : NONE;
        fprintf(f, "<g class=\"row\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                "fill=\"%s\"/>", GT_LEFT, y, GT_WIDTH - GT_LEFT - GT_RIGHT, GT_ROW,
                r % 2 ? "#FFFFFF" : "#F4F4F4");
        fprintf(f, "<rect x=\"8\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"26\" y=\"%d\">", y + GT_ROW / 2 - 6,
                dev >= 0 ? cg_proc_colour(dev) : "#FFFFFF", y + GT_ROW / 2 + 4);
        if (dev >= 0)
            put_xml(f, t->proc[dev].id, GT_LABELCOLS);
        else
            fputs("copies", f);
        fputs("</text></g>\n", f);
    }
}

int
cg_gantt(const Graph *g, const Plan *p, const char *path, Diag *d)
{
    const Target *t = p ? p->target : NULL;
    const Schedule *s = p ? &p->sched : NULL;
    if (!t || !s->start_ms || !s->end_ms)
        return diag_error(d, "%s: the plan has no schedule to draw", path);
    int ncopy = 0;
    for (NodeId n = 0; n < g->nnode; n++)
        ncopy += g->node[n].op == OP_COPY;
    int nrow = s->nlane + (ncopy > 0);
    Chart c = {s->makespan_ms > 1e-3 ? s->makespan_ms : 1e-3, 0};
    c.scale = (GT_WIDTH - GT_LEFT - GT_RIGHT) / c.span;
    int height = GT_TOP + nrow * GT_ROW + GT_AXIS;
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
    draw_rows(f, p, nrow);
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP || x->dev < 0 || x->dev >= t->nproc)
            continue;
        draw_box(f, g, p, &c, n, x->op == OP_COPY ? s->nlane : s->lane[n]);
    }
    draw_axis(f, &c, GT_TOP + nrow * GT_ROW + 4.0, s->makespan_ms);
    fputs("</svg>\n", f);
    if (ferror(f) | fclose(f)) {
        int e = errno;
        remove(path);
        return diag_env(d, "writing %s failed: %s", path, strerror(e));
    }
    return 0;
}
