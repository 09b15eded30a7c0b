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
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>

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
    "Run 'hetc COMMAND --help' for a command's flags. Exit status: 0 ok, 1 usage error,\n"
    "2 bad input (model, flags, tensors), 3 environment failure (out of memory, I/O).\n";

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

/* Length of the well-formed UTF-8 sequence at s (1 to 4), or 0 if it is not one. */
static int
utf8_len(const unsigned char *s)
{
    int n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
          : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 4 && s[0] == 0xf0 && s[1] < 0x90) ||
        (n == 3 && s[0] == 0xed && s[1] >= 0xa0))
        return 0;   /* overlong forms and surrogates */
    return n;
}

/* A JSON string; bytes of a model's names that are not UTF-8 become U+FFFD. */
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
    "lower bound (the most bytes alive at once). $HETC_CC overrides the C compiler.\n";

static void
json_str(const char *str, FILE *f)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    while (*s) {
        int n = utf8_len(s);
        if (n == 0) {
            fputs("\\ufffd", f);
            s++;
        } else if (*s == '"' || *s == '\\') {
            fprintf(f, "\\%c", *s++);
        } else if (*s < 0x20 || *s == 0x7f) {
            fprintf(f, "\\u%04x", *s++);
        } else {
            fwrite(s, 1, (size_t)n, f);
            s += n;
        }
    }
    fputc('"', f);
}

/* A model's name on a diagnostic line: control characters become '?' so the line stays one. */
static void
put_clean(const char *s, FILE *f)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

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
    int64_t params, flops, act_bytes;
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
        int64_t n = ir_numel(&g->val[v]);
        if ((g->val[v].flags & V_PARAM) && n > 0)
            r->params = ir_count_add(r->params, n);
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
                r->act_bytes = ir_count_add(r->act_bytes, (int64_t)ir_nbytes(o));
            }
        }
        if (!folded)
            r->flops = ir_count_add(r->flops, ir_node_flops(g, x));
    }
}

static void
print_json(const Graph *g, const Report *r, FILE *f)
{
    fputs("{\"model\": ", f);
    json_str(g->file, f);
    fprintf(f, ", \"opset\": %lld, \"nodes\": %d, \"ops\": {", (long long)g->opset, r->nnodes);
    for (int i = 0; i < r->nops; i++) {
        fputs(i ? ", " : "", f);
        json_str(r->ops[i], f);
        fprintf(f, ": %d", r->opcount[i]);
    }
    fprintf(f, "}, \"params\": %lld, \"flops\": %lld, \"activation_bytes\": %lld",
            (long long)r->params, (long long)r->flops, (long long)r->act_bytes);
    for (int io = 0; io < 2; io++) {
        fputs(io ? ", \"outputs\": [" : ", \"inputs\": [", f);
        int n = io ? g->noutput : g->ninput;
        for (int i = 0; i < n; i++) {
            const Value *v = &g->val[io ? g->output[i] : g->input[i]];
            fputs(i ? ", {\"name\": " : "{\"name\": ", f);
            json_str(v->name, f);
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
        json_str(x->name, f);
        fputs(", \"op\": ", f);
        json_str(x->optype, f);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

static void
print_value_line(const Value *v, FILE *f)
{
    fprintf(f, "  %-32s %-8s ", v->name, ir_dtype_name(v->dt));
    json_shape(v, f);
    fputc('\n', f);
}

static void
print_text(const Graph *g, const Report *r, FILE *f)
{
    fprintf(f, "model       %s\n", g->file);
    fprintf(f, "graph       \"%s\", opset %lld, IR version %lld, producer \"%s\"\n", g->name,
            (long long)g->opset, (long long)g->ir_version, g->producer);
    fprintf(f, "nodes       %d\n", r->nnodes);
    fprintf(f, "params      %lld (%.2f MB as float32)\n", (long long)r->params,
            (double)r->params * 4 / 1e6);
    fprintf(f, "flops       %lld (%.3f G; a multiply-add counts 2)\n", (long long)r->flops,
            (double)r->flops / 1e9);
    fprintf(f, "activations %lld bytes (%.2f MB, all intermediate tensors)\n",
            (long long)r->act_bytes, (double)r->act_bytes / 1e6);
    fputs("inputs\n", f);
    for (int i = 0; i < g->ninput; i++)
        print_value_line(&g->val[g->input[i]], f);
    fputs("outputs\n", f);
    for (int i = 0; i < g->noutput; i++)
        print_value_line(&g->val[g->output[i]], f);
    fputs("ops\n", f);
    for (int i = 0; i < r->nops; i++)
        fprintf(f, "  %-24s %d\n", r->ops[i], r->opcount[i]);
    fprintf(f, "unsupported %d\n", r->nunsupported);
    for (NodeId n = 0; n < g->nnode; n++)
        if (g->node[n].op == OP_UNKNOWN)
            fprintf(f, "  node %d \"%s\" (%s)\n", g->node[n].index, g->node[n].name,
                    g->node[n].optype);
}

/* One line naming every unsupported node (up to what fits), for stderr. */
static void
report_unsupported(const Graph *g, int count)
{
    put_clean(g->file, stderr);
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
        put_clean(x->name, stderr);
        fputs("\" (", stderr);
        put_clean(x->optype, stderr);
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
        put_clean(g->file, stderr);
        fputs(": note: input \"", stderr);
        put_clean(v->name, stderr);
        fputs("\" has dynamic dimensions; pass --shape NAME=DIMS to make every shape static\n",
              stderr);
    }
}

static int
usage_error(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "hetc%s%s: %s%s%s\n", cmd ? " " : "", cmd ? cmd : "", msg, arg ? ": " : "",
            arg ? arg : "");
    fprintf(stderr, "Run 'hetc%s%s --help' for usage.\n", cmd ? " " : "", cmd ? cmd : "");
    return EXIT_USAGE;
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

/* Loads the model, binds inputs, infers and verifies. NULL after printing the diagnostic, with
 * *status set to the exit status. */
static Graph *
model_load(const ModelArgs *ma, int *status)
{
    Diag d;
    diag_init(&d, ma->model);
    Graph *g = onnx_load(ma->model, ma->ov, ma->nov, &d);
    for (int i = 0; g && i < ma->nbind && !d.nerr; i++) {
        char name[IR_MAXNAME];
        size_t len = strcspn(ma->bind[i], "=");
        snprintf(name, sizeof name, "%.*s", (int)len, ma->bind[i]);
        onnx_bind_input(g, name, ma->bind[i] + len + 1, &d);
    }
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
    Graph *g = model_load(&ma, &rc);
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

/* the file name without folder and extension, as a C identifier */
static void
model_stem(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", base);
    char *dot = strrchr(tmp, '.');
    if (dot && dot != tmp)
        *dot = 0;
    cg_identifier(tmp, buf, size);
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
    if ((rc = check_strategy(strategy)) != 0)
        goto done;
    char ident[128];
    if (name)
        cg_identifier(name, ident, sizeof ident);
    else
        model_stem(ma.model, ident, sizeof ident);
    Graph *g = model_load(&ma, &rc);
    if (!g)
        goto done;
    Diag d;
    diag_init(&d, ma.model);
    MemPlan mp;
    int gpu = strcmp(strategy, "gpu") == 0;
    CgOptions o = {dir, ident, ma.model, gpu ? "gpu" : "cpu", gpu, build, verbose};
    if (pass_pipeline_cpu(g, &mp, &d) < 0 || cg_compile(g, &mp, &o, &d) < 0) {
        fprintf(stderr, "%s\n", d.msg);
        rc = diag_status(&d);
        ir_graph_free(g);
        goto done;
    }
    printf("%s: %d steps on %s; arena %.2f MB (all intermediates %.2f MB, lower bound %.2f MB)\n",
           ident, g->nnode, o.strategy, (double)mp.arena / 1e6, (double)mp.total / 1e6,
           (double)mp.lower / 1e6);
    if (build)
        printf("wrote %s/%s (run it with --help)\n", dir, ident);
    ir_graph_free(g);
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

int
main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(NULL, "no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "inspect") == 0)
        return cmd_inspect(argc - 2, argv + 2);
    if (strcmp(cmd, "compile") == 0)
        return cmd_compile(argc - 2, argv + 2);
    if (strcmp(cmd, "viz") == 0 || strcmp(cmd, "profile") == 0 || strcmp(cmd, "study") == 0)
        return not_yet(cmd);
    return usage_error(NULL, "unknown command", cmd);
}
