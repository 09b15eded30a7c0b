/*
 * test_measured.c: measured step times (passes/measured.c) from traces written to a scratch
 * folder. A trace's steps are matched by node name and processor id: median_us before dur,
 * repeated names (empty ONNX names, copies of one value to one space) by their order in the plan,
 * a Copy by its label; entries are marked used; cost_measured_check refuses a table that matched
 * nothing or names a node the graph lacks, and lets pass another plan's copies. Hostile files (not
 * JSON, no traceEvents, no step, a step without node or processor, a negative time, a directory,
 * a FIFO, a missing file) give one "FILE: ..." line; pass_schedule takes the measured times.
 */
#include "ir/ir.h"
#include "passes/cost.h"
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "graph_kit.h"

static Target t;
static char dir[] = "/tmp/test_measured.XXXXXX";
static char path[256];

/* path: a file of the dir holding text */
static const char *
put(const char *name, const char *text)
{
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    return path;
}

#define EV(node, proc, extra) \
    "{\"name\": \"x\", \"ph\": \"X\", \"pid\": 0, \"tid\": 0, \"ts\": 1, " extra \
    "\"args\": {\"node\": \"" node "\", \"processor\": \"" proc "\"}}"

/* fails to load with a one-line message that starts with the path and holds what */
static int
refused(const char *file, const char *what)
{
    Measured m;
    Diag dd;
    diag_init(&dd, NULL);
    int rc = cost_measured_load(&m, file, &dd);
    int ok = rc < 0 && diag_status(&dd) == 2 && strncmp(dd.msg, file, strlen(file)) == 0 &&
             strstr(dd.msg, what) && !strchr(dd.msg, '\n');
    if (!ok)
        fprintf(stderr, "%s: got rc %d \"%s\", wanted \"%s\"\n", file, rc, dd.msg, what);
    cost_measured_free(&m);
    return ok;
}

static void
test_hostile(void)
{
    CHECK(refused(put("empty.json", ""), "not JSON: line 1: expected a value"));
    CHECK(refused(put("text.json", "{\"traceEvents\": [\n  {\"ph\": \"X\",}\n]}"),
                  "not JSON: line 2: expected a string key"));
    CHECK(refused(put("array.json", "[]"), "no \"traceEvents\" array"));
    CHECK(refused(put("noev.json", "{\"traceEvents\": {}}"), "no \"traceEvents\" array"));
    CHECK(refused(put("nostep.json", "{\"traceEvents\": [{\"ph\": \"M\", \"args\": {}}]}"),
                  "no step events"));
    CHECK(refused(put("nonode.json", "{\"traceEvents\": [{\"ph\": \"X\", \"dur\": 1, "
                      "\"args\": {\"processor\": \"p0\"}}]}"), "step event 0: no args.node"));
    CHECK(refused(put("noproc.json", "{\"traceEvents\": [\n" EV("a", "p0", "\"dur\": 1, ") ",\n"
                      "{\"ph\": \"X\", \"dur\": 1, \"args\": {\"node\": \"b\"}}]}"),
                  "line 3: step event 1: no args.processor"));
    CHECK(refused(put("longproc.json", "{\"traceEvents\": [" EV("a", "p01234567890123456789"
                      "0123456789012345678901234567890123456789012345", "\"dur\": 1, ") "]}"),
                  "not a processor id"));
    CHECK(refused(put("nodur.json", "{\"traceEvents\": [" EV("a", "p0", "") "]}"), "no dur"));
    CHECK(refused(put("negdur.json", "{\"traceEvents\": [" EV("a", "p0", "\"dur\": -1, ") "]}"),
                  "no dur, or not a time"));
    CHECK(refused(put("strmed.json", "{\"traceEvents\": [{\"ph\": \"X\", \"dur\": 1, \"args\": "
                      "{\"node\": \"a\", \"processor\": \"p0\", \"median_us\": \"3\"}}]}"),
                  "args.median_us is not a time"));
    CHECK(refused(put("nulnode.json", "{\"traceEvents\": [" EV("a\\u0000b", "p0", "\"dur\": 1, ")
                      "]}"), "args.node is not a name"));
    CHECK(refused(dir, "not a regular file (a directory)"));
    snprintf(path, sizeof path, "%s/missing.json", dir);
    CHECK(refused(path, "cannot open: No such file"));
    snprintf(path, sizeof path, "%s/fifo", dir);
    if (mkfifo(path, 0600) == 0) {
        CHECK(refused(path, "not a regular file (a FIFO)"));
        unlink(path);
    }
}

/*   a = Relu(x) p0, "" = Sigmoid(a) p1, "" = Relu(x) p1, c = Add p0, its copy to s1 on p1
 * the trace: a on p0 (median_us 7 over dur 9), the two unnamed on p1 in step order 1 then 2
 * (written out of order), c on p1 (another processor: not taken), a copy label, an unknown
 * copy of another plan */
static void
test_match(void)
{
    fresh();
    kit_target(&t, 2, (int[]){0, 1});
    ValId x = input("x", 1, 2);
    ValId a = NODE(OP_RELU, "a", x);
    ValId u1 = on(1, NODE(OP_SIGMOID, "u1", a));
    ValId u2 = on(1, NODE(OP_RELU, "u2", x));
    g->node[g->val[u1].def].name = g->node[g->val[u2].def].name = "";
    ValId c = NODE(OP_ADD, "c", u1, u2);
    ValId k = on(1, NODE(OP_COPY, "copy to s1", c));
    mark_output(k);
    const char *file = put("good.json",
        "{\"traceEvents\": [\n"
        "  {\"name\": \"p0\", \"ph\": \"M\", \"pid\": 0, \"args\": {\"name\": \"p0\"}},\n"
        "  {\"ph\": \"X\", \"dur\": 9, \"args\": {\"node\": \"a\", \"processor\": \"p0\", "
        "\"step\": 0, \"median_us\": 7, \"runs\": 20}},\n"
        "  {\"ph\": \"X\", \"dur\": 22, \"args\": {\"node\": \"\", \"processor\": \"p1\", "
        "\"step\": 2}},\n"
        "  {\"ph\": \"X\", \"dur\": 11, \"args\": {\"node\": \"\", \"processor\": \"p1\", "
        "\"step\": 1}},\n"
        "  {\"ph\": \"X\", \"dur\": 5, \"args\": {\"node\": \"c\", \"processor\": \"p1\"}},\n"
        "  {\"ph\": \"X\", \"dur\": 3, \"args\": {\"node\": \"copy of \\\"c\\\" to s1\", "
        "\"processor\": \"p1\", \"op\": \"Copy\"}},\n"
        "  {\"ph\": \"X\", \"dur\": 4, \"args\": {\"node\": \"copy of \\\"zz\\\" to s1\", "
        "\"processor\": \"p1\", \"op\": \"Copy\"}}\n"
        "], \"displayTimeUnit\": \"ms\"}\n");
    Measured m;
    Diag dd;
    diag_init(&dd, NULL);
    CHECK(cost_measured_load(&m, file, &dd) == 0 && m.n == 6);
    CHECK(strcmp(m.file, file) == 0);
    /* nothing taken yet: matches no step */
    CHECK(cost_measured_check(&m, g, &t, &dd) < 0 && strstr(dd.msg, "matches no step of this "
                                                            "plan (a trace of another model?)"));
    CHECK(cost_measured_us(&m, g, g->val[a].def, &t, 0) == 7);
    CHECK(cost_measured_us(&m, g, g->val[a].def, &t, 1) == -1);
    CHECK(cost_measured_us(&m, g, g->val[u1].def, &t, 1) == 11);
    CHECK(cost_measured_us(&m, g, g->val[u2].def, &t, 1) == 22);
    CHECK(cost_measured_us(&m, g, g->val[c].def, &t, 0) == -1);
    CHECK(cost_measured_us(&m, g, g->val[k].def, &t, 1) == 3);
    CHECK(cost_measured_us(NULL, g, g->val[a].def, &t, 0) == -1);
    int used = 0;
    for (int i = 0; i < m.n; i++)
        used += m.step[i].used;
    CHECK(used == 4);
    diag_init(&dd, NULL);
    CHECK(cost_measured_check(&m, g, &t, &dd) == 0);

    /* the schedule takes them: a on p0 7 us, its source "measured" */
    for (int i = 0; i < m.n; i++)
        m.step[i].used = 0;
    Schedule s;
    memset(&s, 0, sizeof s);
    diag_init(&d, "t.onnx");
    int rcs = ir_infer(g, &d) == 0 && pass_schedule(g, &t, &m, &s, &d) == 0;
    if (!rcs)
        fprintf(stderr, "schedule: %s\n", d.msg);
    CHECK(rcs);
    CHECK(s.alone_ms && s.alone_ms[g->val[a].def] == 7e-3);
    CHECK(s.source && s.source[g->val[a].def] == CS_MEASURED);
    CHECK(s.alone_ms && s.alone_ms[g->val[u2].def] == 22e-3);
    cost_measured_free(&m);

    /* a node the graph has not: named; a graph none of whose steps is in the trace */
    file = put("other.json", "{\"traceEvents\": [" EV("a", "p0", "\"dur\": 1, ") ", "
               EV("zz\\u0007", "p0", "\"dur\": 1, ") "]}");
    CHECK(cost_measured_load(&m, file, &dd) == 0 && m.n == 2);
    CHECK(cost_measured_us(&m, g, g->val[a].def, &t, 0) == 1);
    CHECK(cost_measured_check(&m, g, &t, &dd) < 0 && diag_status(&dd) == 2 &&
          strstr(dd.msg, "step \"zz\\x07\" on p0: the model has no node of that name"));
    cost_measured_free(&m);
    cost_measured_free(&m);
}

int
main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_hostile();
    test_match();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    ir_graph_free(g);
    return TEST_DONE();
}
