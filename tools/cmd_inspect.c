/*
 * cmd_inspect.c: hetc inspect: loads a model, infers every shape and reports ops, parameters,
 * FLOPs, inputs, outputs and unsupported ops, as text or JSON, or dumps the IR.
 */
#include "driver.h"

#include "ir/utf8.h"

#include <stdio.h>
#include <string.h>

enum { F_JSON = F_CMD, F_DUMP };

const char usage_inspect[] =
    "usage: hetc inspect MODEL.onnx [--shape NAME=DIMS]... [--bind NAME=FILE.pb]... [--json]\n"
    "                    [--dump]\n"
    "\n"
    "Loads MODEL.onnx, folds shape computations and infers the type and shape of every tensor.\n"
    "\n"
    "  --shape NAME=DIMS  set graph input NAME's shape, DIMS like 1x3x224x224 (NAME= for a\n"
    "                     scalar); needed for inputs with symbolic dimensions. Repeatable.\n"
    "  --bind NAME=FILE   make input NAME a constant holding the TensorProto in FILE, so shapes\n"
    "                     that depend on its values (e.g. a Reshape's target) become known.\n"
    "                     Repeatable.\n"
    "  --json             print one JSON object: model, opset, nodes, ops, params, flops,\n"
    "                     activation_bytes, inputs, outputs, unsupported\n"
    "  --dump             print the IR in its text form (see docs/ir.md)\n"
    "  -h, --help         this text\n"
    "\n"
    "If, Loop and Scan are first inlined as compile does (docs/ir.md), so the report counts the\n"
    "nodes hetc compiles; one whose trip count or condition is known only at run time stays,\n"
    "with outputs of unknown shape, and one hetc cannot inline is refused with status 2.\n"
    "FLOPs count a multiply-add as 2. Ops hetc does not know are all listed; the command then\n"
    "exits with status 2 after printing its report.\n";


static void
json_shape(const Value *v, FILE *f)
{
    if (v->rank < 0) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    for (int i = 0; i < v->rank; i++) {
        if (i)
            fputs(", ", f);
        if (v->dim[i] < 0)
            fputs("null", f);
        else
            fprintf(f, "%lld", (long long)v->dim[i]);
    }
    fputc(']', f);
}

typedef struct Report {
    int64_t params, flops, act_bytes;   /* -1: unknown (dynamic dims); INT64_MAX: too large */
    int nnodes;             /* nodes of the model, Constant nodes included */
    const char *ops[OP_COUNT + 1];      /* op names in order of first appearance */
    int opcount[OP_COUNT + 1];
    int nops;
    int nunsupported;
} Report;

static void
count_op(Report *r, const char *name)
{
    for (int i = 0; i < r->nops; i++)
        if (strcmp(r->ops[i], name) == 0) {
            r->opcount[i]++;
            return;
        }
    if (r->nops < OP_COUNT + 1) {
        r->ops[r->nops] = name;
        r->opcount[r->nops++] = 1;
    }
}

/* v's bytes: -1 if its shape or dtype is unknown, INT64_MAX if more than int64 holds */
static int64_t
value_bytes(const Value *v)
{
    int64_t n = ir_numel(v);
    int64_t es = (int64_t)ir_dtype_size(v->dt);
    if (n < 0 || (es == 0 && n > 0))
        return -1;
    return n > 0 && es > INT64_MAX / n ? INT64_MAX : n * es;
}

static void
make_report(const Graph *g, Report *r)
{
    memset(r, 0, sizeof *r);
    if (g->nconstnode) {
        r->ops[r->nops] = "Constant";
        r->opcount[r->nops++] = g->nconstnode;
    }
    r->nnodes = g->nconstnode;
    for (ValId v = 0; v < g->nval; v++) {
        if (g->val[v].flags & V_PARAM)
            r->params = ir_count_add(r->params, ir_numel(&g->val[v]));
    }
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        r->nnodes++;
        count_op(r, x->op == OP_UNKNOWN ? x->optype : ir_op[x->op].onnx);
        if (x->op == OP_UNKNOWN)
            r->nunsupported++;
        int folded = 1;
        for (int j = 0; j < x->nout; j++) {
            const Value *o = x->out[j] == NONE ? NULL : &g->val[x->out[j]];
            if (o && !(o->flags & V_CONST)) {
                folded = 0;
                r->act_bytes = ir_count_add(r->act_bytes, value_bytes(o));
            }
        }
        if (!folded)
            r->flops = ir_count_add(r->flops, ir_node_flops_known(g, x));
    }
}

static int
count_known(int64_t n)
{
    return n >= 0 && n != INT64_MAX;
}

static void
json_count(const char *key, int64_t n, FILE *f)
{
    if (count_known(n))
        fprintf(f, ", \"%s\": %lld", key, (long long)n);
    else
        fprintf(f, ", \"%s\": null", key);
}

/* A count in the text report, "LABEL N UNIT (N / SCALE, with DIGITS decimals, TAIL)", or "?" and
 * why there is no number. */
static void
text_count(const char *label, int64_t n, const char *unit, double scale, int digits,
           const char *tail, FILE *f)
{
    fprintf(f, "%-12s", label);
    if (count_known(n))
        fprintf(f, "%lld%s (%.*f %s)\n", (long long)n, unit, digits, (double)n / scale, tail);
    else
        fprintf(f, "? (%s)\n", n < 0 ? "depends on dynamic dimensions or unsupported ops"
                                     : "too large to count");
}

static void
print_json(const Graph *g, const Report *r, FILE *f)
{
    fputs("{\"model\": ", f);
    ir_json_put_str(f, g->file);
    fprintf(f, ", \"opset\": %lld, \"nodes\": %d, \"ops\": {", (long long)g->opset, r->nnodes);
    for (int i = 0; i < r->nops; i++) {
        fputs(i ? ", " : "", f);
        ir_json_put_str(f, r->ops[i]);
        fprintf(f, ": %d", r->opcount[i]);
    }
    fputc('}', f);
    json_count("params", r->params, f);
    json_count("flops", r->flops, f);
    json_count("activation_bytes", r->act_bytes, f);
    for (int io = 0; io < 2; io++) {
        fputs(io ? ", \"outputs\": [" : ", \"inputs\": [", f);
        int n = io ? g->noutput : g->ninput;
        for (int i = 0; i < n; i++) {
            const Value *v = &g->val[io ? g->output[i] : g->input[i]];
            fputs(i ? ", {\"name\": " : "{\"name\": ", f);
            ir_json_put_str(f, v->name);
            fprintf(f, ", \"dtype\": \"%s\", \"shape\": ", ir_dtype_name(v->dt));
            json_shape(v, f);
            fputc('}', f);
        }
        fputc(']', f);
    }
    fputs(", \"unsupported\": [", f);
    int k = 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op != OP_UNKNOWN)
            continue;
        fputs(k++ ? ", {\"node\": " : "{\"node\": ", f);
        ir_json_put_str(f, x->name);
        fputs(", \"op\": ", f);
        ir_json_put_str(f, x->optype);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

static void
print_value_line(const Value *v, FILE *f)
{
    fputs("  ", f);
    int w = ir_put_escaped(v->name, f);
    fprintf(f, "%*s %-8s ", w < 32 ? 32 - w : 0, "", ir_dtype_name(v->dt));
    json_shape(v, f);
    fputc('\n', f);
}

static void
print_text(const Graph *g, const Report *r, FILE *f)
{
    fputs("model       ", f);
    ir_put_escaped(g->file, f);
    fputs("\ngraph       \"", f);
    ir_put_escaped(g->name, f);
    fprintf(f, "\", opset %lld, IR version %lld, producer \"", (long long)g->opset,
            (long long)g->ir_version);
    ir_put_escaped(g->producer, f);
    fprintf(f, "\"\nnodes       %d\n", r->nnodes);
    text_count("params", r->params, "", 1e6 / 4, 2, "MB as float32", f);
    text_count("flops", r->flops, "", 1e9, 3, "G; a multiply-add counts 2", f);
    text_count("activations", r->act_bytes, " bytes", 1e6, 2, "MB, all intermediate tensors", f);
    fputs("inputs\n", f);
    for (int i = 0; i < g->ninput; i++)
        print_value_line(&g->val[g->input[i]], f);
    fputs("outputs\n", f);
    for (int i = 0; i < g->noutput; i++)
        print_value_line(&g->val[g->output[i]], f);
    fputs("ops\n", f);
    for (int i = 0; i < r->nops; i++) {
        fputs("  ", f);
        int w = ir_put_escaped(r->ops[i], f);
        fprintf(f, "%*s %d\n", w < 24 ? 24 - w : 0, "", r->opcount[i]);
    }
    fprintf(f, "unsupported %d\n", r->nunsupported);
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op != OP_UNKNOWN)
            continue;
        fprintf(f, "  node %d \"", x->index);
        ir_put_escaped(x->name, f);
        fputs("\" (", f);
        ir_put_escaped(x->optype, f);
        fputs(")\n", f);
    }
}

/* One line naming every unsupported node (up to what fits), for stderr. */
static void
report_unsupported(const Graph *g, int count)
{
    ir_put_escaped(g->file, stderr);
    fprintf(stderr, ": %d unsupported op%s:", count, count == 1 ? "" : "s");
    int shown = 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op != OP_UNKNOWN)
            continue;
        if (shown++ == 20) {
            fprintf(stderr, " ... (%d more; see --json)", count - 20);
            break;
        }
        fprintf(stderr, "%s node %d \"", shown > 1 ? "," : "", x->index);
        ir_put_escaped(x->name, stderr);
        fputs("\" (", stderr);
        ir_put_escaped(x->optype, stderr);
        fputc(')', stderr);
    }
    fputc('\n', stderr);
}

static void
note_dynamic(const Graph *g)
{
    for (int i = 0; i < g->ninput; i++) {
        const Value *v = &g->val[g->input[i]];
        if (ir_shape_known(v))
            continue;
        ir_put_escaped(g->file, stderr);
        fputs(": note: input \"", stderr);
        ir_put_escaped(v->name, stderr);
        if (v->flags & (V_SEQ | V_OPT))
            fputs(v->flags & V_OPT ? "\" is an optional; --bind NAME=FILE.pb gives its value\n"
                                   : "\" is a sequence; --bind NAME=FILE.pb gives its tensors\n",
                  stderr);
        else
            fputs("\" has dynamic dimensions; pass --shape NAME=DIMS to make every shape "
                  "static\n", stderr);
    }
}

static const Flag flags[] = {
    ARGS_HELP, ARGS_MODEL,
    {"--json", NULL, NULL, 0, F_JSON},
    {"--dump", NULL, NULL, 0, F_DUMP},
    {NULL, NULL, NULL, 0, 0},
};

int
cmd_inspect(int argc, char **argv)
{
    int json = 0, dump = 0, rc = EXIT_USAGE;
    ModelArgs ma;
    if (model_args_init(&ma, "inspect", argc) < 0) {
        model_args_free(&ma);
        return EXIT_ENV;
    }
    Args it;
    args_init(&it, "inspect", flags, argc, argv);
    const char *v;
    for (int id; (id = args_next(&it, &v)) != ARG_END;) {
        switch (id) {
        case ARG_ERROR:
            goto done;
        case F_HELP:
            fputs(usage_inspect, stdout);
            rc = 0;
            goto done;
        case F_JSON:
            json = 1;
            break;
        case F_DUMP:
            dump = 1;
            break;
        default:
            if (model_arg(&ma, id, v) < 0)
                goto done;
        }
    }
    if (!ma.model) {
        rc = usage_error("inspect", "no model given", NULL);
        goto done;
    }
    Graph *g = model_load(&ma, NULL, &rc);
    if (!g)
        goto done;
    Diag d;
    diag_init(&d, ma.model);
    if (pass_control(g, 0, &d) < 0) {
        fprintf(stderr, "%s\n", d.msg);
        rc = diag_status(&d);
        ir_graph_free(g);
        goto done;
    }
    Report r;
    make_report(g, &r);
    if (dump)
        ir_dump(g, stdout);
    if (json)
        print_json(g, &r, stdout);
    else if (!dump)
        print_text(g, &r, stdout);
    note_dynamic(g);
    rc = 0;
    if (r.nunsupported) {
        report_unsupported(g, r.nunsupported);
        rc = EXIT_INPUT;
    }
    ir_graph_free(g);
done:
    model_args_free(&ma);
    return rc;
}

