/*
 * hetc.c: the command-line driver. Parses the command and its flags, runs the frontend and the
 * passes, and prints reports. Exit status follows the contract in docs/cli.md: 0 ok, 1 usage
 * error, 2 bad input, 3 environment failure.
 *
 * This file only wires public headers together; it holds no compiler logic.
 */
#include "codegen/codegen.h"
#include "frontend/onnx.h"
#include "ir/ir.h"
#include "ir/utf8.h"
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef HETC_VERSION
#error "HETC_VERSION (CMake's PROJECT_VERSION) must be defined"
#endif

enum { EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_ENV = 3 };

static const char usage_main[] =
    "usage: hetc COMMAND [ARGS]\n"
    "\n"
    "hetc compiles ONNX models into plans that run across a machine's processors.\n"
    "\n"
    "commands:\n"
    "  inspect MODEL.onnx   load a model, infer every shape, and report ops, parameters, FLOPs,\n"
    "                       inputs, outputs and unsupported ops\n"
    "  compile MODEL.onnx   compile a model into C, a weights file, a library and a binary\n"
    "\n"
    "Run 'hetc help COMMAND' (or 'hetc COMMAND --help') for a command's flags, and\n"
    "'hetc --version' for the version. Exit status: 0 ok, 1 usage error, 2 bad input (model,\n"
    "flags, tensors), 3 environment failure (out of memory, I/O).\n";

static const char usage_inspect[] =
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
    "FLOPs count a multiply-add as 2. Ops hetc does not know are all listed; the command then\n"
    "exits with status 2 after printing its report.\n";

static const char usage_compile[] =
    "usage: hetc compile MODEL.onnx -o DIR [--name NAME] [--strategy S] [--shape NAME=DIMS]...\n"
    "                    [--bind NAME=FILE.pb]... [--no-build] [--verbose]\n"
    "\n"
    "Compiles MODEL.onnx into DIR: NAME.c (the plan), NAME.h (the embedding API), NAME_main.c,\n"
    "NAME.weights, NAME.plan.json, libNAME.a and the executable NAME (run it with --help).\n"
    "\n"
    "  -o DIR             output folder (created if missing)\n"
    "  --name NAME        name of the plan, its files and symbols (default: the model's stem)\n"
    "  --strategy S       cpu (every step on the CPU), gpu (every step on one OpenCL device:\n"
    "                     at run time the one $HETC_CL_DEVICE names by index or by part of\n"
    "                     its name, else the first GPU, else the first device), or auto (the\n"
    "                     default; the CPU in this version). greedy, optimal, split and\n"
    "                     pipeline partition across processors and come with later versions.\n"
    "  --shape NAME=DIMS  as for inspect: static shapes for inputs with symbolic dimensions\n"
    "  --bind NAME=FILE   as for inspect: input NAME becomes a constant of the plan\n"
    "  --no-build         write the sources and weights but do not run the C compiler\n"
    "  --verbose          print the compiler commands\n"
    "  -h, --help         this text\n"
    "\n"
    "Prints the memory plan: the arena beside the sum of all intermediate tensors and the\n"
    "lower bound (the most bytes alive at once). $HETC_CC overrides the C compiler. On a\n"
    "terminal, each phase is shown on stderr as it starts, with the time since the start.\n";

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
        fputs("\" has dynamic dimensions; pass --shape NAME=DIMS to make every shape static\n",
              stderr);
    }
}

static int
usage_error(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "hetc%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    ir_put_escaped(msg, stderr);
    if (arg) {
        fputs(": ", stderr);
        ir_put_escaped(arg, stderr);
    }
    fprintf(stderr, "\nRun 'hetc%s%s --help' for usage.\n", cmd ? " " : "", cmd ? cmd : "");
    return EXIT_USAGE;
}

/* Progress of a long command, for a person watching: "hetc: [1.2 s] PHASE" on stderr as each
 * phase starts, only when stderr is a terminal (logs and pipes stay quiet). */
typedef struct Progress {
    int on;
    struct timespec t0;
} Progress;

static void
progress_init(Progress *p)
{
    p->on = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
}

/* "WHAT" and then NAME (a path from the command line, may be NULL) escaped */
static void
progress(const Progress *p, const char *what, const char *name)
{
    if (!p || !p->on)
        return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double s = (double)(t.tv_sec - p->t0.tv_sec) + (double)(t.tv_nsec - p->t0.tv_nsec) / 1e9;
    fprintf(stderr, "hetc: [%.1f s] %s", s, what);
    if (name)
        ir_put_escaped(name, stderr);
    fputc('\n', stderr);
}

/* What inspect and compile share: the model, --shape overrides and --bind tensors. */
typedef struct ModelArgs {
    const char *cmd;                /* for messages */
    const char *model;
    ShapeOverride *ov;              /* argc entries: owned, free with model_args_free */
    int nov;
    const char **bind;              /* "NAME=FILE" */
    int nbind;
} ModelArgs;

static int
model_args_init(ModelArgs *ma, const char *cmd, int argc)
{
    memset(ma, 0, sizeof *ma);
    ma->cmd = cmd;
    ma->ov = calloc((size_t)argc + 1, sizeof *ma->ov);
    ma->bind = calloc((size_t)argc + 1, sizeof *ma->bind);
    if (ma->ov && ma->bind)
        return 0;
    fputs("hetc: out of memory\n", stderr);
    return -1;
}

static void
model_args_free(ModelArgs *ma)
{
    free(ma->ov);
    free(ma->bind);
}

/* A flag's value: "--flag=VALUE" or the next argument (i advances). NULL if missing. */
static const char *
flag_value(const char *flag, int argc, char **argv, int *i)
{
    size_t n = strlen(flag);
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

static int
is_flag(const char *a, const char *flag)
{
    size_t n = strlen(flag);
    return strncmp(a, flag, n) == 0 && (a[n] == 0 || a[n] == '=');
}

/* Takes argv[*i] when it is --shape, --bind or the model path: 1 taken, 0 not one of those,
 * -1 after a usage message (the exit status is EXIT_USAGE). */
static int
model_arg(ModelArgs *ma, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    Diag d;
    diag_init(&d, NULL);
    if (is_flag(a, "--shape")) {
        const char *v = flag_value("--shape", argc, argv, i);
        if (!v)
            return usage_error(ma->cmd, "--shape needs NAME=DIMS", NULL), -1;
        if (onnx_parse_shape(v, &ma->ov[ma->nov++], &d) < 0)
            return usage_error(ma->cmd, d.msg, NULL), -1;
        return 1;
    }
    if (is_flag(a, "--bind")) {
        const char *v = flag_value("--bind", argc, argv, i);
        if (!v || !strchr(v, '=') || v[0] == '=')
            return usage_error(ma->cmd, "--bind needs NAME=FILE", v), -1;
        ma->bind[ma->nbind++] = v;
        return 1;
    }
    if (a[0] == '-' && a[1])
        return 0;
    if (ma->model)
        return usage_error(ma->cmd, "more than one model given", a), -1;
    ma->model = a;
    return 1;
}

/* Loads the model, binds inputs, infers and verifies, showing the phases on pr (may be NULL).
 * NULL after printing the diagnostic, with *status set to the exit status. */
static Graph *
model_load(const ModelArgs *ma, const Progress *pr, int *status)
{
    Diag d;
    diag_init(&d, ma->model);
    progress(pr, "loading ", ma->model);
    Graph *g = onnx_load(ma->model, ma->ov, ma->nov, &d);
    for (int i = 0; g && i < ma->nbind && !d.nerr; i++) {
        char name[IR_MAXNAME];
        size_t len = strcspn(ma->bind[i], "=");
        snprintf(name, sizeof name, "%.*s", (int)len, ma->bind[i]);
        onnx_bind_input(g, name, ma->bind[i] + len + 1, &d);
    }
    if (g && !d.nerr)
        progress(pr, "inferring shapes", NULL);
    if (g && !d.nerr && ir_infer(g, &d) == 0 && ir_verify(g, &d) == 0)
        return g;
    fprintf(stderr, "%s\n", d.msg);
    *status = diag_status(&d);
    ir_graph_free(g);
    return NULL;
}

static int
cmd_inspect(int argc, char **argv)
{
    int json = 0, dump = 0, rc = EXIT_USAGE;
    ModelArgs ma;
    if (model_args_init(&ma, "inspect", argc) < 0) {
        model_args_free(&ma);
        return EXIT_ENV;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int taken = model_arg(&ma, argc, argv, &i);
        if (taken < 0)
            goto done;
        if (taken)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_inspect, stdout);
            rc = 0;
            goto done;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--dump") == 0) {
            dump = 1;
        } else {
            rc = usage_error("inspect", "unknown flag", a);
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

/* the file name without folder and extension */
static void
model_stem(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(buf, size, "%s", base);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = 0;
}

/* A note on stderr when the plan's C identifier ident differs from want (--name or the
 * model's stem): why, and which name the files took. Printed once the plan is written, so that
 * a failed compile still says one line. */
static void
plan_name_note(const char *want, const char *ident)
{
    if (strcmp(want, ident) == 0)
        return;
    int taken = strncmp(ident, "plan_", 5) == 0 && strcmp(ident + 5, want) == 0 &&
                !(want[0] >= '0' && want[0] <= '9');
    fputs("hetc compile: note: plan name \"", stderr);
    ir_put_escaped(want, stderr);
    fprintf(stderr, "\" %s; using \"%s\"\n",
            taken ? "is taken by C or the plan's own names" : "is not a C identifier", ident);
}

/* 0 for the strategies this version compiles, else a usage message's status */
static int
check_strategy(const char *s)
{
    static const char *const now[] = {"cpu", "gpu", "auto"};
    static const char *const later[] = {"greedy", "optimal", "split", "pipeline"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, now[i]) == 0)
            return 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, later[i]) == 0)
            return usage_error("compile", "this strategy (partitioning across processors) "
                               "comes with a later version; use cpu, gpu or auto", s);
    return usage_error("compile", "unknown strategy (cpu, gpu, greedy, optimal, split, "
                       "pipeline, auto)", s);
}

static int
cmd_compile(int argc, char **argv)
{
    const char *dir = NULL, *name = NULL, *strategy = "auto";
    int build = 1, verbose = 0, rc = EXIT_USAGE;
    ModelArgs ma;
    if (model_args_init(&ma, "compile", argc) < 0) {
        model_args_free(&ma);
        return EXIT_ENV;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int taken = model_arg(&ma, argc, argv, &i);
        if (taken < 0)
            goto done;
        if (taken)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_compile, stdout);
            rc = 0;
            goto done;
        } else if (strcmp(a, "--no-build") == 0) {
            build = 0;
        } else if (strcmp(a, "--verbose") == 0) {
            verbose = 1;
        } else if (strcmp(a, "-o") == 0 || is_flag(a, "--name") || is_flag(a, "--strategy") ||
                   is_flag(a, "--target")) {
            const char *flag = a[1] == 'o' ? "-o" : a[2] == 'n' ? "--name"
                             : a[3] == 't' ? "--strategy" : "--target";
            const char *v = flag_value(flag, argc, argv, &i);
            if (!v) {
                rc = usage_error("compile", "missing value for", a);
                goto done;
            }
            if (flag[1] == 'o') {
                dir = v;
            } else if (flag[2] == 'n') {
                name = v;
            } else if (flag[3] == 't') {
                strategy = v;
            } else {
                rc = usage_error("compile", "--target (device descriptions) comes with a later "
                                 "version", NULL);
                goto done;
            }
        } else {
            rc = usage_error("compile", "unknown flag", a);
            goto done;
        }
    }
    if (!ma.model || !dir) {
        rc = usage_error("compile", ma.model ? "no output folder given (-o DIR)"
                                             : "no model given", NULL);
        goto done;
    }
    if (!dir[0] || (name && !name[0])) {
        rc = usage_error("compile", dir[0] ? "--name needs a name" : "-o needs a folder", NULL);
        goto done;
    }
    if ((rc = check_strategy(strategy)) != 0)
        goto done;
    char ident[128], stem[256];
    if (!name)
        model_stem(ma.model, stem, sizeof stem);
    cg_identifier(name ? name : stem, ident, sizeof ident);
    Progress pr;
    progress_init(&pr);
    Graph *g = model_load(&ma, &pr, &rc);
    if (!g)
        goto done;
    Diag d;
    diag_init(&d, ma.model);
    MemPlan mp;
    int gpu = strcmp(strategy, "gpu") == 0;
    CgOptions o = {dir, ident, ma.model, gpu ? "gpu" : "cpu", gpu, build, verbose};
    progress(&pr, "planning (cleanup, fusion, memory plan)", NULL);
    int planned = pass_pipeline_cpu(g, &mp, &d) == 0;
    if (planned)
        progress(&pr, "writing sources into ", dir);
    if (!planned || cg_compile(g, &mp, &o, &d) < 0) {
        fprintf(stderr, "%s\n", d.msg);
        rc = diag_status(&d);
        ir_graph_free(g);
        goto done;
    }
    printf("%s: %d steps on %s; arena %.2f MB (all intermediates %.2f MB, lower bound %.2f MB)\n",
           ident, g->nnode, o.strategy, (double)mp.arena / 1e6, (double)mp.total / 1e6,
           (double)mp.lower / 1e6);
    if (build) {
        fputs("wrote ", stdout);
        ir_put_escaped(dir, stdout);
        printf("/%s (run it with --help)\n", ident);
    }
    ir_graph_free(g);
    plan_name_note(name ? name : stem, ident);
    rc = 0;
done:
    model_args_free(&ma);
    return rc;
}

static int
not_yet(const char *cmd)
{
    fprintf(stderr, "hetc %s: not implemented yet in this version\n", cmd);
    return EXIT_USAGE;
}

/* hetc help [COMMAND]: the text of hetc --help or of hetc COMMAND --help */
static int
cmd_help(int argc, char **argv)
{
    if (argc > 1)
        return usage_error(NULL, "help takes one command", argv[1]);
    const char *topic = argc ? argv[0] : NULL;
    if (!topic)
        fputs(usage_main, stdout);
    else if (strcmp(topic, "inspect") == 0)
        fputs(usage_inspect, stdout);
    else if (strcmp(topic, "compile") == 0)
        fputs(usage_compile, stdout);
    else if (strcmp(topic, "viz") == 0 || strcmp(topic, "profile") == 0 ||
             strcmp(topic, "study") == 0)
        return not_yet(topic);
    else
        return usage_error(NULL, "unknown command", topic);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(NULL, "no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        puts("hetc " HETC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0)
        return cmd_help(argc - 2, argv + 2);
    if (strcmp(cmd, "inspect") == 0)
        return cmd_inspect(argc - 2, argv + 2);
    if (strcmp(cmd, "compile") == 0)
        return cmd_compile(argc - 2, argv + 2);
    if (strcmp(cmd, "viz") == 0 || strcmp(cmd, "profile") == 0 || strcmp(cmd, "study") == 0)
        return not_yet(cmd);
    return usage_error(NULL, "unknown command", cmd);
}
