/*
 * test_viz.c: cg_viz (hetc viz) on hand-built placed graphs, before and beside the driver. A
 * graph on two processors of different memories with a Copy: the SVG has one node per step,
 * graph input and output and processor of the legend, names both processors, labels the
 * crossing edges with bytes, and holds only well-formed UTF-8 with no control byte and no '&'
 * that starts no entity, though the node names hold quotes, '<', '&', "&foo;", a newline, ESC,
 * U+202E, bytes that are not UTF-8 and Graphviz's own escapes (\N, \n). The PNG has its
 * signature and a non-empty IHDR; the DOT is a digraph. An unknown extension is bad input, an
 * unwritable path an environment failure naming it, an unplaced graph draws, a graph beyond the
 * cluster limit draws without clusters, and one beyond the layout limit is refused for SVG but
 * written as DOT. With a schedule, each step's label has its predicted time and the edge into
 * each Copy the copy's.
 *
 * cg_gantt (hetc viz --gantt) on the same graph with a schedule made by hand: one row per lane
 * and one for the copies, a box per step on its lane's row and per copy on the copies' row,
 * placed and sized by its times, in its processor's colour; the axis and the makespan; the
 * hostile name escaped for XML; a zero makespan draws; a ninth processor gets the first colour
 * with a darker border; no schedule is bad input, an unwritable path an environment failure
 * naming it (no file left). With a trace (a Measured table by hand), a second section of rows
 * with a box per measured step at its ts and dur on the shared axis, and its end; a trace step
 * on a processor the plan does not use, or without ts, is bad input naming the trace.
 */
#include "codegen/codegen.h"
#include "ir/ir.h"
#include "ir/utf8.h"
#include "passes/cost.h"
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"

static Graph *g;
static Target tg;
static char dir[] = "/tmp/test_viz_XXXXXX";

/* a float32 value of shape [1, c, 8, 8] */
static ValId
value(const char *name, int64_t c)
{
    ValId v = ir_val_add(g, name, DT_F32, NULL);
    Value *x = &g->val[v];
    x->rank = 4;
    x->dim[0] = 1, x->dim[1] = c, x->dim[2] = 8, x->dim[3] = 8;
    return v;
}

/* a step reading a and b (b may be NONE) on processor dev; its output */
static ValId
step(OpKind op, const char *name, ValId a, ValId b, int dev)
{
    NodeId n = ir_node_add(g, op, name, b == NONE ? 1 : 2, 1);
    g->node[n].in[0] = a;
    if (b != NONE)
        g->node[n].in[1] = b;
    ValId v = value(NULL, g->val[a].dim[1]);
    g->node[n].out[0] = v;
    g->val[v].def = n;
    g->node[n].dev = dev;
    g->node[n].cause = PC_FORCED;
    return v;
}

static void
fresh(void)
{
    if (g)
        ir_graph_free(g);
    g = ir_graph_new("t.onnx");
    g->input = ir_galloc(g, 4 * sizeof(ValId));
    g->output = ir_galloc(g, 4 * sizeof(ValId));
}

static void
target_two(void)
{
    memset(&tg, 0, sizeof tg);
    tg.nproc = 2;
    snprintf(tg.proc[0].id, TG_MAXID, "cpu0");
    tg.proc[0].kind = PK_CPU, tg.proc[0].backend = PB_CPU;
    snprintf(tg.proc[1].id, TG_MAXID, "ocl0");
    tg.proc[1].kind = PK_GPU, tg.proc[1].backend = PB_OPENCL, tg.proc[1].space = 1;
    tg.nspace = 2;
    snprintf(tg.space[0].id, TG_MAXID, "host");
    snprintf(tg.space[1].id, TG_MAXID, "vram");
}

static const char hostile[] = "q\"uote<b>&amp;&foo;&#0;\n\x1b[2J\xe2\x80\xae\xff\xc3(\\N\\n\\";

/* X -> Relu (cpu0) -> Copy (ocl0) -> Add (ocl0, hostile name) -> Copy (ocl0) -> Y; Add also
 * reads a Relu on ocl0 of its own */
static void
two_processors(void)
{
    fresh();
    ValId x = value("X", 3);
    g->val[x].flags |= V_INPUT;
    g->input[g->ninput++] = x;
    ValId r = step(OP_RELU, "relu", x, NONE, 0);
    ValId c = step(OP_COPY, "copy_in", r, NONE, 1);
    ValId s = step(OP_SIGMOID, "sig", c, NONE, 1);
    ValId a = step(OP_ADD, hostile, c, s, 1);
    ValId y = step(OP_COPY, "copy_out", a, NONE, 1);
    g->val[y].flags |= V_OUTPUT;
    g->output[g->noutput++] = y;
    g->node[g->val[s].def].ops = "Sigmoid+Mul";
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[8 << 20];
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

static int
count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* well-formed UTF-8 without controls (but newline and tab) and every '&' starting an entity */
static int
clean_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int n = ir_utf8_seq(s + i, &cp);
        if (n == 0 || (ir_cp_unsafe(cp) && cp != '\n' && cp != '\t'))
            return 0;
        if (cp == '&') {
            size_t k = i + 1;
            if (s[k] == '#')
                k++;
            while ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9'))
                k++;
            if (s[k] != ';' || k == i + 1 || strncmp(s + i, "&#0;", 4) == 0)
                return 0;
        }
        i += (size_t)n;
    }
    return 1;
}

static void
check_two(void)
{
    two_processors();
    Plan p = {.target = &tg};
    Diag d;
    char path[256];
    size_t len;

    snprintf(path, sizeof path, "%s/two.svg", dir);
    diag_init(&d, "t.onnx");
    CHECK(cg_viz(g, &p, path, &d) == 0);
    const char *svg = slurp(path, &len);
    CHECK(svg && strncmp(svg, "<?xml", 5) == 0);
    if (!svg)
        return;
    /* 5 steps, 1 input, 1 output, 2 processors */
    CHECK(count(svg, "class=\"node\"") == 9);
    CHECK(strstr(svg, ">cpu0<") && strstr(svg, ">ocl0<"));
    CHECK(count(svg, "fill=\"#77aadd\"") + count(svg, "fill=\"#77AADD\"") >= 2);
    CHECK(count(svg, "fill=\"#ee8866\"") + count(svg, "fill=\"#EE8866\"") >= 2);
    CHECK(strstr(svg, ">Sigmoid+Mul<") != NULL);
    CHECK(strstr(svg, "1x3x8x8") != NULL);
    /* the edge into each Copy: 768 bytes */
    CHECK(count(svg, ">768 B<") == 2);
    CHECK(clean_text(svg, len));
    CHECK(strstr(svg, "q&quot;uote&lt;b&gt;&amp;amp;&amp;foo;&amp;#0;\\x0a\\x1b[2J\\xe2\\x80"
                      "\\xae\\xff\\xc3(\\N\\n\\") != NULL);

    snprintf(path, sizeof path, "%s/two.png", dir);
    CHECK(cg_viz(g, &p, path, &d) == 0);
    const unsigned char *png = (const unsigned char *)slurp(path, &len);
    CHECK(png && len > 24 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0 &&
          memcmp(png + 12, "IHDR", 4) == 0);
    if (png && len > 24) {
        unsigned w = (unsigned)png[16] << 24 | (unsigned)png[17] << 16 | png[18] << 8 | png[19];
        unsigned h = (unsigned)png[20] << 24 | (unsigned)png[21] << 16 | png[22] << 8 | png[23];
        CHECK(w > 0 && h > 0);
    }

    snprintf(path, sizeof path, "%s/two.DOT", dir);
    CHECK(cg_viz(g, &p, path, &d) == 0);
    const char *dot = slurp(path, &len);
    CHECK(dot && strncmp(dot, "digraph plan {", 14) == 0 && clean_text(dot, len));
    CHECK(dot && strstr(dot, "cluster_1_") != NULL);
    CHECK(d.nerr == 0);
}

/* A schedule by hand for two_processors(): lanes cpu0 (relu) and ocl0 (the rest), each step
 * 0.5 ms after the last, ms_each long (arrays in g's arena) */
static void
schedule_by_hand(Plan *p, double ms_each)
{
    Schedule *s = &p->sched;
    memset(s, 0, sizeof *s);
    s->nlane = 2;
    s->lane_proc[0] = 0, s->lane_proc[1] = 1;
    s->lane = ir_galloc(g, (size_t)g->nnode * sizeof(int));
    s->start_ms = ir_galloc(g, (size_t)g->nnode * sizeof(double));
    s->end_ms = ir_galloc(g, (size_t)g->nnode * sizeof(double));
    for (NodeId n = 0; n < g->nnode; n++) {
        s->lane[n] = g->node[n].dev;
        s->start_ms[n] = 0.5 * n;
        s->end_ms[n] = 0.5 * n + ms_each;
        s->makespan_ms = s->end_ms[n];
    }
}

/* a and b within 0.01 */
static int
near(double a, double b)
{
    return a - b < 0.01 && b - a < 0.01;
}

/* the value of attribute name in the first element after s, as a number */
static double
attr_num(const char *s, const char *name)
{
    char key[32];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *a = s ? strstr(s, key) : NULL;
    return a ? strtod(a + strlen(key), NULL) : -1;
}

static void
check_gantt(void)
{
    two_processors();
    Plan p = {.target = &tg};
    Diag d;
    char path[256];
    size_t len;

    /* no schedule: nothing to draw */
    snprintf(path, sizeof path, "%s/gantt.svg", dir);
    diag_init(&d, "t.onnx");
    CHECK(cg_gantt(g, &p, NULL, path, &d) < 0 && d.kind == DIAG_INPUT && access(path, F_OK) != 0);

    schedule_by_hand(&p, 0.25);
    diag_init(&d, "t.onnx");
    CHECK(cg_gantt(g, &p, NULL, path, &d) == 0 && d.nerr == 0);
    const char *svg = slurp(path, &len);
    CHECK(svg && strncmp(svg, "<?xml", 5) == 0 && clean_text(svg, len));
    if (!svg)
        return;
    CHECK(strstr(svg, "</svg>\n") != NULL);
    CHECK(count(svg, "<g class=\"row\">") == 3);
    CHECK(strstr(svg, ">cpu0</text>") && strstr(svg, ">ocl0</text>") &&
          strstr(svg, ">copies</text>"));
    CHECK(count(svg, "<g class=\"step\">") == 3 && count(svg, "<g class=\"copy\">") == 2);
    CHECK(strstr(svg, ">makespan 2.250 ms<") != NULL);
    /* the Add (node 3): 1.5 to 1.75 ms on ocl0's row (the second), 1040 px for 2.25 ms */
    const char *add = strstr(svg, "q&quot;uote&lt;b&gt;&amp;amp;&amp;foo;&amp;#0;\\x0a\\x1b[2J"
                                  "\\xe2\\x80\\xae\\xff\\xc3(\\N\\n\\ (Add) on ocl0: "
                                  "1.500 to 1.750 ms");
    CHECK(add != NULL);
    const char *box = add ? strstr(add, "<rect") : NULL;
    CHECK(box && near(attr_num(box, "x"), 130 + 1.5 * 1040 / 2.25));
    CHECK(box && near(attr_num(box, "width"), 0.25 * 1040 / 2.25));
    CHECK(box && attr_num(box, "y") > 74 && attr_num(box, "y") < 104);
    CHECK(box && strncmp(strstr(box, "fill=\""), "fill=\"#EE8866\"", 14) == 0);
    /* the copy out of ocl0 (node 4) on the third row, hatched */
    const char *out = strstr(svg, "Copy of ");
    out = out ? strstr(out + 1, "Copy of ") : NULL;
    CHECK(out && attr_num(strstr(out, "<rect"), "y") > 104 && strstr(out, "url(#hatch)"));
    /* the label of the step fused from two ops */
    CHECK(strstr(svg, ">Sigmoid+Mul</text>") != NULL);
    /* with a schedule, viz labels steps and copies' edges with their times */
    snprintf(path, sizeof path, "%s/timed.svg", dir);
    CHECK(cg_viz(g, &p, path, &d) == 0);
    svg = slurp(path, &len);
    CHECK(svg && count(svg, ">0.25 ms<") == 5);

    /* a trace of the same plan: 3 ms long, so the axis spans 3 ms */
    MeasuredStep ms[] = {
        {.node = "relu", .proc = "cpu0", .ts_us = 0, .dur_us = 400},
        {.node = "copy of \"relu\" to vram", .proc = "ocl0", .copy = 1, .ts_us = 400,
         .dur_us = 100},
        {.node = "sig", .proc = "ocl0", .ts_us = 500, .dur_us = 500},
        {.node = hostile, .proc = "ocl0", .ts_us = 1000, .dur_us = 1500},
        {.node = "copy of \"a\" to host", .proc = "ocl0", .copy = 1, .ts_us = 2500,
         .dur_us = 500},
    };
    Measured m = {.file = "t.json", .n = 5, .step = ms};
    snprintf(path, sizeof path, "%s/traced.svg", dir);
    diag_init(&d, "t.onnx");
    CHECK(cg_gantt(g, &p, &m, path, &d) == 0);
    svg = slurp(path, &len);
    CHECK(svg && clean_text(svg, len) && count(svg, "<g class=\"row\">") == 6);
    CHECK(svg && count(svg, "<g class=\"measured-step\">") == 3 &&
          count(svg, "<g class=\"measured-copy\">") == 2);
    CHECK(svg && strstr(svg, ">measured 3.000 ms<") && strstr(svg, ">makespan 2.250 ms<"));
    /* the Add measured from 1 to 2.5 ms: 1040 px for 3 ms */
    add = svg ? strstr(svg, "<g class=\"measured-step\"><title>q&quot;uote") : NULL;
    box = add ? strstr(add, "<rect") : NULL;
    CHECK(box && near(attr_num(box, "x"), 130 + 1.0 * 1040 / 3) &&
          near(attr_num(box, "width"), 1.5 * 1040 / 3));
    ms[2].proc[0] = 'n';      /* "ncl0": not in the plan */
    diag_init(&d, "t.onnx");
    CHECK(cg_gantt(g, &p, &m, path, &d) < 0 && d.kind == DIAG_INPUT && strstr(d.msg, "t.json") &&
          strstr(d.msg, "ncl0"));
    ms[2].proc[0] = 'o';
    ms[3].ts_us = -1;
    diag_init(&d, "t.onnx");
    CHECK(cg_gantt(g, &p, &m, path, &d) < 0 && d.kind == DIAG_INPUT && strstr(d.msg, "t.json"));

    /* all steps taking no time, and a processor beyond the palette */
    schedule_by_hand(&p, 0);
    for (NodeId n = 0; n < g->nnode; n++)
        p.sched.start_ms[n] = p.sched.end_ms[n] = p.sched.makespan_ms = 0;
    Target *t9 = malloc(sizeof *t9);
    CHECK(t9 != NULL);
    if (!t9)
        return;
    *t9 = tg;
    t9->nproc = 9;
    for (int i = 2; i < 9; i++) {
        t9->proc[i] = tg.proc[0];
        snprintf(t9->proc[i].id, TG_MAXID, "cpu%d", i);
    }
    t9->proc[8].kind = PK_CPU;
    for (NodeId n = 0; n < g->nnode; n++)
        if (g->node[n].dev == 0)
            g->node[n].dev = 8;
    p.sched.lane_proc[0] = 8;
    p.target = t9;
    snprintf(path, sizeof path, "%s/zero.svg", dir);
    CHECK(cg_gantt(g, &p, NULL, path, &d) == 0);
    svg = slurp(path, &len);
    CHECK(svg && strstr(svg, ">makespan 0.000 ms<") && !strstr(svg, "nan") && !strstr(svg, "inf"));
    CHECK(svg && count(svg, "width=\"0.50\"") == 7 && strstr(svg, ">cpu8</text>"));
    CHECK(svg && strstr(svg, "fill=\"#77AADD\" stroke=\"#000000\"") != NULL);
    free(t9);

    /* an unwritable path */
    p.target = &tg;
    diag_init(&d, "t.onnx");
    snprintf(path, sizeof path, "%s/missing/gantt.svg", dir);
    CHECK(cg_gantt(g, &p, NULL, path, &d) < 0 && d.kind == DIAG_ENV && strstr(d.msg, path));
}

static void
check_errors(void)
{
    two_processors();
    Plan p = {.target = &tg};
    Diag d;
    char path[256];

    diag_init(&d, "t.onnx");
    snprintf(path, sizeof path, "%s/two.jpg", dir);
    CHECK(cg_viz(g, &p, path, &d) < 0 && d.kind == DIAG_INPUT);
    CHECK(access(path, F_OK) != 0);
    CHECK(cg_viz_format("a.svg") && cg_viz_format("a.b/c") == NULL && !cg_viz_format("svg") &&
          !cg_viz_format("a.svgz") && !cg_viz_format("a."));

    diag_init(&d, "t.onnx");
    snprintf(path, sizeof path, "%s/missing/two.svg", dir);
    CHECK(cg_viz(g, &p, path, &d) < 0 && d.kind == DIAG_ENV && strstr(d.msg, path));

    /* unplaced, no target */
    for (NodeId n = 0; n < g->nnode; n++)
        g->node[n].dev = NONE;
    diag_init(&d, "t.onnx");
    snprintf(path, sizeof path, "%s/unplaced.svg", dir);
    CHECK(cg_viz(g, NULL, path, &d) == 0);
    size_t len;
    const char *svg = slurp(path, &len);
    CHECK(svg && strstr(svg, ">unplaced<") && count(svg, "class=\"node\"") == 8);
}

/* a chain of n steps, alternating processors in runs of 3 */
static void
chain(int n)
{
    fresh();
    ValId x = value("X", 3);
    g->val[x].flags |= V_INPUT;
    g->input[g->ninput++] = x;
    for (int i = 0; i < n; i++)
        x = step(OP_RELU, "r", x, NONE, (i / 3) % 2);
    g->val[x].flags |= V_OUTPUT;
    g->output[g->noutput++] = x;
}

static void
check_large(void)
{
    Plan p = {.target = &tg};
    Diag d;
    char path[256];
    chain(5001);
    diag_init(&d, "t.onnx");
    snprintf(path, sizeof path, "%s/large.svg", dir);
    CHECK(cg_viz(g, &p, path, &d) < 0 && d.kind == DIAG_INPUT && strstr(d.msg, "5001 steps"));
    snprintf(path, sizeof path, "%s/large.dot", dir);
    diag_init(&d, "t.onnx");
    CHECK(cg_viz(g, &p, path, &d) == 0);
    chain(300);
    snprintf(path, sizeof path, "%s/chain.svg", dir);
    CHECK(cg_viz(g, &p, path, &d) == 0);
    size_t len;
    const char *svg = slurp(path, &len);
    CHECK(svg && count(svg, "class=\"node\"") == 304 && count(svg, "class=\"cluster\"") == 101);
    CHECK(svg && count(svg, ">768 B<") == 99);
    /* beyond 1500 steps no clusters but the legend's, the bytes still shown */
    chain(1600);
    snprintf(path, sizeof path, "%s/chain.svg", dir);
    CHECK(cg_viz(g, &p, path, &d) == 0);
    svg = slurp(path, &len);
    CHECK(svg && count(svg, "class=\"node\"") == 1604 && count(svg, "class=\"cluster\"") == 1);
    CHECK(svg && count(svg, ">768 B<") == 533);
}

int
main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    target_two();
    check_two();
    check_errors();
    check_large();
    check_gantt();
    ir_graph_free(g);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return TEST_DONE();
}
