/*
 * emit_c.c: the plan as C source. NAME.c holds a table of every tensor (dtype, shape and where it
 * lives: the arena, the weights, a caller's input or output buffer), the attributes of every node
 * as static constants, and the steps as a table, one row per step (its kernel, attribute and
 * operands) under a comment naming its ONNX node and ops, which NAME_run walks in order. A table
 * compiles in time linear in the steps, where one call per step in one function does not (gcc
 * -O2 took minutes on 10k steps). NAME.h is the embedding API; NAME_main.c is the binary's main.
 *
 * Names from the model reach the sources only through cg_put_cstr (string literals) and
 * put_comment (comments), which keep them from ending a comment, forming a trigraph or carrying
 * bytes that are not UTF-8; the plan's own name is a safe identifier (names.c).
 */
#include "cg_impl.h"

#include <errno.h>
#include <string.h>

void
cg_put_cstr(FILE *f, const char *s, const char *brk)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' && brk)
            fprintf(f, "\\n%s", s[1] ? brk : "");
        else if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '?' && s[1] == '?')
            fputs("?\\", f); /* "??=" would be a trigraph: "?\?=" is not */
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\%03o", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* A name inside a comment: no "*" "/" to end it, no "/" "*" to nest, no "??" to form a
 * trigraph, no control character (a newline would end a // comment and a backslash at the end
 * of a line would continue one), and no byte outside well-formed UTF-8. */
static void
put_comment(FILE *f, const char *s)
{
    while (*s) {
        unsigned char c = (unsigned char)*s;
        int n = ir_utf8_printable(s);
        if (n > 1) {
            fwrite(s, 1, (size_t)n, f);
            s += n;
            continue;
        }
        int bad = c < 0x20 || c >= 0x7f || c == '\\' || (c == '*' && s[1] == '/') ||
                  (c == '/' && s[1] == '*') || (c == '?' && s[1] == '?');
        fputc(bad ? '_' : c, f);
        s++;
    }
}

/* the ops of a step: the node's op and the ops fused into it ("Conv+Relu") */
static const char *
step_ops(const Node *x)
{
    return x->ops ? x->ops : ir_op[x->op].onnx;
}

static void
put_tensor(FILE *f, const Value *v)
{
    fprintf(f, "{.dt = %d, .rank = %d, .dim = {", (int)v->dt, v->rank);
    for (int i = 0; i < v->rank; i++)
        fprintf(f, "%s%lld", i ? ", " : "", (long long)v->dim[i]);
    fputs("}}", f);
}

static void
emit_header(FILE *f, const Graph *g, const CgOptions *o)
{
    const char *n = o->name;
    fprintf(f, "/*\n * %s.h: the embedding API of the plan compiled by hetc from ", n);
    put_comment(f, o->model);
    fprintf(f, ".\n *\n"
            " * %s *m = %s_create(\"%s.weights\", threads, &status);  // NULL on failure\n"
            " * status = %s_run(m, inputs, outputs);                   // 0 on success\n"
            " * %s_destroy(m);\n"
            " *\n"
            " * inputs[i] and outputs[i] are caller-owned buffers of the dtypes and shapes below,\n"
            " * C order; a run reads the inputs and writes every output. A status is 0 or a\n"
            " * negative code; %s_error(m) describes the last failure (rt_create_error() in\n"
            " * runtime/rt.h, that of a create that returned NULL). Instances are independent;\n"
            " * one instance runs one call at a time. Link with lib%s.a, libhetc_runtime.a, OpenBLAS,\n"
            " * OpenCL, pthreads and libm. C++ includes it as it is.\n */\n",
            n, n, n, n, n, n, n);
    fputs("#pragma once\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", f);
    fprintf(f, "typedef struct %s %s;\n\n", n, n);
    fprintf(f, "enum { %s_NINPUTS = %d, %s_NOUTPUTS = %d };\n", n, g->ninput, n, g->noutput);
    /* buffer sizes as initializers: size_t in[] = NAME_INPUT_BYTES; */
    for (int io = 0; io < 2; io++) {
        fprintf(f, "#define %s_%s_BYTES {", n, io ? "OUTPUT" : "INPUT");
        int cnt = io ? g->noutput : g->ninput;
        for (int i = 0; i < cnt; i++)
            fprintf(f, "%s%zu", i ? ", " : "", ir_nbytes(&g->val[io ? g->output[i] : g->input[i]]));
        fputs(cnt ? "}\n" : "0}\n", f);
    }
    fputc('\n', f);
    for (int io = 0; io < 2; io++) {
        int cnt = io ? g->noutput : g->ninput;
        for (int i = 0; i < cnt; i++) {
            const Value *v = &g->val[io ? g->output[i] : g->input[i]];
            fprintf(f, "/* %s %d \"", io ? "output" : "input", i);
            put_comment(f, v->name);
            fprintf(f, "\": %s [", ir_dtype_name(v->dt));
            for (int k = 0; k < v->rank; k++)
                fprintf(f, "%s%lld", k ? "," : "", (long long)v->dim[k]);
            fprintf(f, "], %lld bytes */\n", (long long)ir_nbytes(v));
        }
    }
    fprintf(f, "\n/* Maps the weights file and makes an instance using `threads` threads (<= 0: "
            "1).\n * NULL on failure, with *status (if not NULL) set: -1 out of memory, -2 the "
            "file\n * cannot be read, -3 it is corrupt or belongs to another plan. */\n");
    fprintf(f, "%s *%s_create(const char *weights_path, int threads, int *status);\n", n, n);
    fprintf(f, "int %s_run(%s *m, const void *const *inputs, void *const *outputs);\n", n, n);
    fprintf(f, "const char *%s_error(%s *m);\n", n, n);
    fprintf(f, "void %s_destroy(%s *m);\n", n, n);
    fputs("\n#ifdef __cplusplus\n}\n#endif\n", f);
}

/* What the tables need to know about the plan beyond the graph: the runtime's spaces (the
 * memories in use, the host's first) and where each space's weights go. */
typedef struct Layout {
    int rtspace[TG_MAXSPACE];   /* memory (target space index) -> runtime space, -1 unused */
    int mem[TG_MAXSPACE];       /* runtime space -> memory */
    int nspace;
    int64_t *wat;               /* per value and runtime space: offset among that space's
                                 * weights (-1: not there); NULL when every space is the host's */
    int64_t wbytes[TG_MAXSPACE];
    int nwuse;
} Layout;

static int
lane_mem(const Plan *p, int lane)
{
    const Target *t = p->target;
    return target_mem(t, t->proc[p->sched.lane_proc[lane]].space);
}

static int64_t *
wat_of(const Layout *l, ValId v, int s)
{
    return &l->wat[(size_t)v * (size_t)l->nspace + (size_t)s];
}

/* -1 on OOM */
static int
layout_init(Layout *l, const Graph *g, const Plan *p, const Weights *w)
{
    memset(l, 0, sizeof *l);
    for (int i = 0; i < TG_MAXSPACE; i++)
        l->rtspace[i] = -1;
    l->rtspace[0] = 0;
    l->nspace = 1;
    for (int k = 0; k < p->sched.nlane; k++) {
        int m = lane_mem(p, k);
        if (l->rtspace[m] < 0) {
            l->rtspace[m] = l->nspace;
            l->mem[l->nspace++] = m;
        }
    }
    if (l->nspace == 1)
        return 0;
    size_t n = (size_t)g->nval * (size_t)l->nspace;
    if (!(l->wat = ir_alloc(n * sizeof *l->wat + 1)))
        return -1;
    for (size_t i = 0; i < n; i++)
        l->wat[i] = -1;
    /* the constants each device space's steps read, packed 64-byte aligned */
    for (NodeId i = 0; i < g->nnode; i++) {
        const Node *x = &g->node[i];
        int s = l->rtspace[lane_mem(p, p->sched.lane[i])];
        for (int j = 0; s > 0 && j < x->nin; j++) {
            ValId v = x->in[j];
            if (v == NONE || w->offset[v] < 0 || *wat_of(l, v, s) >= 0)
                continue;
            l->wbytes[s] = (l->wbytes[s] + 63) / 64 * 64;
            *wat_of(l, v, s) = l->wbytes[s];
            l->wbytes[s] += (int64_t)ir_nbytes(&g->val[v]);
            l->nwuse++;
        }
    }
    return 0;
}

/* "node 12 \"conv1\" (Conv+Relu)", or for a copy "copy of \"x\" to dev" */
static void
step_label(char *buf, size_t size, const Graph *g, const Plan *p, NodeId n)
{
    const Node *x = &g->node[n];
    const Target *t = p->target;
    if (x->op == OP_COPY)
        snprintf(buf, size, "copy of \"%s\" to %s", g->val[x->in[0]].name,
                 t->space[target_mem(t, t->proc[x->dev].space)].id);
    else
        snprintf(buf, size, "node %d \"%s\" (%s)", x->index, x->name, step_ops(x));
}

/* -1 on OOM */
static int
emit_tables(FILE *f, const Graph *g, const Plan *p, const Layout *l, const Weights *w)
{
    const MemPlan *mp = &p->mem;
    /* io[2v], io[2v + 1]: v's index among the graph inputs, outputs (the first); -1 if none */
    int *io = ir_alloc((size_t)g->nval * 2 * sizeof *io + 1);
    if (!io)
        return -1;
    for (ValId v = 0; v < g->nval; v++)
        io[2 * v] = io[2 * v + 1] = -1;
    for (int i = g->ninput - 1; i >= 0; i--)
        io[2 * g->input[i]] = i;
    for (int i = g->noutput - 1; i >= 0; i--)
        io[2 * g->output[i] + 1] = i;
    fprintf(f, "enum { NTENSOR = %d, NINPUT = %d, NOUTPUT = %d, NSPACE = %d };\n", g->nval,
            g->ninput, g->noutput, l->nspace);
    fprintf(f, "#define WEIGHTS_BYTES ((size_t)%lld)\n", (long long)w->size);
    fprintf(f, "#define WEIGHTS_SUM 0x%016llxull\n\n", (unsigned long long)w->sum);
    fputs("/* every tensor: dtype and shape; where it lives: 'a' the arena of a space, 'w' the\n"
          " * weights, 'i' input, 'o' output (the offset or the index, then the space), '-' not\n"
          " * stored */\n", f);
    fputs("static const RtTensor shape[NTENSOR] = {\n", f);
    for (ValId v = 0; v < g->nval; v++) {
        fputs("    ", f);
        put_tensor(f, &g->val[v]);
        fputs(", /* ", f);
        put_comment(f, g->val[v].name);
        fputs(" */\n", f);
    }
    fputs("};\n\nstatic const RtPlace place[NTENSOR] = {\n", f);
    for (ValId v = 0; v < g->nval; v++) {
        char kind = '-';
        long long at = 0;
        int ii = io[2 * v], oi = io[2 * v + 1], space = 0;
        if (ii >= 0) {
            kind = 'i';
            at = ii;
        } else if (w->offset[v] >= 0) {
            kind = 'w';
            at = w->offset[v];
        } else if (oi >= 0 && g->val[v].def != NONE) {
            kind = 'o';
            at = oi;
        } else if (mp->offset[v] >= 0) {
            kind = 'a';
            at = mp->offset[v];
            space = l->rtspace[mp->mem ? mp->mem[v] : 0];
        }
        fprintf(f, "    {'%c', %lld, %d},\n", kind, at, space);
    }
    fputs("};\n\n", f);
    fputs("/* the memory spaces: the host's, then each device's that has its own */\n"
          "static const RtSpace space[NSPACE] = {\n", f);
    for (int s = 0; s < l->nspace; s++) {
        int owner = -1;
        for (int k = 0; s > 0 && owner < 0 && k < p->sched.nlane; k++)
            if (lane_mem(p, k) == l->mem[s])
                owner = k;
        fprintf(f, "    {%d, %d, %lld, %lld}, /* %s */\n", s == 0, owner,
                (long long)mp->mem_arena[l->mem[s]], (long long)l->wbytes[s],
                p->target->space[l->mem[s]].id);
    }
    fputs("};\n\n", f);
    fprintf(f, "/* the constants each device space receives when the plan starts */\n"
            "enum { NWEIGHTUSE = %d };\n"
            "static const RtWeightUse weight_use[NWEIGHTUSE + 1] = {\n", l->nwuse);
    for (ValId v = 0; l->wat && v < g->nval; v++)
        for (int s = 1; s < l->nspace; s++)
            if (*wat_of(l, v, s) >= 0)
                fprintf(f, "    {%d, %d, %lld},\n", v, s, (long long)*wat_of(l, v, s));
    fputs("    {-1, 0, 0}};\n\n", f);
    fprintf(f, "enum { NSTEP = %d };\n", g->nnode);
    fputs("/* every step, as messages and traces name it */\n"
          "static const char *const step_name[NSTEP + 1] = {\n", f);
    for (NodeId n = 0; n < g->nnode; n++) {
        char buf[2 * IR_MAXNAME + 256];
        step_label(buf, sizeof buf, g, p, n);
        fputs("    ", f);
        cg_put_cstr(f, buf, NULL);
        fputs(",\n", f);
    }
    /* the node's own op ("Conv"); step_name ends with the fused ops ("(Conv+Relu)") */
    fputs("    NULL};\nstatic const char *const step_op[NSTEP + 1] = {", f);
    for (NodeId n = 0; n < g->nnode; n++) {
        fputs(n == 0 ? "\n    " : n % 8 ? ", " : ",\n    ", f);
        cg_put_cstr(f, ir_op[g->node[n].op].onnx, NULL);
    }
    fputs(g->nnode ? ",\n    NULL};\n\n" : "NULL};\n\n", f);
    fputs("static const int input_tensor[NINPUT + 1] = {", f);
    for (int i = 0; i < g->ninput; i++)
        fprintf(f, "%d, ", g->input[i]);
    fputs("-1};\nstatic const int output_tensor[NOUTPUT + 1] = {", f);
    for (int i = 0; i < g->noutput; i++)
        fprintf(f, "%d, ", g->output[i]);
    fputs("-1};\n\n", f);
    ir_free(io);
    return 0;
}

/* The processors, one per lane, as the runtime opens them. */
static void
emit_procs(FILE *f, const Plan *p, const Layout *l)
{
    const Target *t = p->target;
    int first_cl = target_first(t, PB_OPENCL);
    for (int k = 0; k < p->sched.nlane; k++) {
        const Proc *x = &t->proc[p->sched.lane_proc[k]];
        if (x->ncore <= 0)
            continue;
        fprintf(f, "static const int cores%d[] = {", k);
        for (int c = 0; c < x->ncore && c < 64; c++)
            fprintf(f, "%s%d", c ? ", " : "", x->core[c]);
        fputs("};\n", f);
    }
    fprintf(f, "enum { NLANE = %d };\nstatic const RtProc proc[NLANE] = {\n", p->sched.nlane);
    for (int k = 0; k < p->sched.nlane; k++) {
        int pi = p->sched.lane_proc[k];
        const Proc *x = &t->proc[pi];
        int ncore = x->ncore < 64 ? x->ncore : 64;
        fputs("    {", f);
        cg_put_cstr(f, x->id, NULL);
        fprintf(f, ", %s, %d, %d, ", x->backend == PB_OPENCL ? "RT_BACKEND_OPENCL"
                : "RT_BACKEND_CPU", x->threads, ncore);
        if (ncore)
            fprintf(f, "cores%d, ", k);
        else
            fputs("NULL, ", f);
        /* the detected host's first OpenCL device is found at run time as gpu plans always
         * found theirs ($HETC_CL_DEVICE, else the first GPU, else the first device) */
        if (x->backend == PB_OPENCL && !(t->file[0] == 0 && pi == first_cl)) {
            if (x->cl_index >= 0 && !x->cl_platform[0] && !x->cl_device[0]) {
                fprintf(f, "NULL, NULL, %d", x->cl_index);
            } else {
                cg_put_cstr(f, x->cl_platform, NULL);
                fputs(", ", f);
                cg_put_cstr(f, x->cl_device, NULL);
                fprintf(f, ", %d", x->cl_index);
            }
        } else {
            fputs("NULL, NULL, -1", f);
        }
        fprintf(f, ", %d},\n", l->rtspace[lane_mem(p, k)]);
    }
    fputs("};\n\n", f);
}

/* the operands of every step as tensor ids (-1: an omitted optional one), inputs then outputs;
 * the waits; and per lane its steps (RtStep) and its function. -1 on OOM. */
static int
emit_lanes(FILE *f, const Graph *g, const Plan *p, const int *attr)
{
    const Schedule *s = &p->sched;
    long long *at = ir_alloc((size_t)g->nnode * sizeof *at + 1);
    if (!at)
        return -1;
    long long sum = 0;
    fputs("static const int operand[] = {", f);
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        at[n] = sum;
        sum += x->nin + x->nout;
        fputs(n % 4 ? "  " : "\n    ", f);
        for (int j = 0; j < x->nin + x->nout; j++)
            fprintf(f, "%d, ", j < x->nin ? x->in[j] : x->out[j - x->nin]);
    }
    fputs("-1};\n\n/* waits: (lane, steps of it done) pairs */\nstatic const int wait[] = {", f);
    for (NodeId n = 0; n < g->nnode; n++)
        for (int k = s->wat[n]; k < s->wat[n + 1]; k++)
            fprintf(f, "%s%d, %d,", (k % 8) ? " " : "\n    ", s->wait[2 * k],
                    s->wait[2 * k + 1]);
    fputs(" -1};\n\n", f);
    for (int k = 0; k < s->nlane; k++) {
        const Proc *x = &p->target->proc[s->lane_proc[k]];
        int cl = x->backend == PB_OPENCL;
        fprintf(f, "/* lane %d: processor %s, %d steps */\n"
                "static const RtStep lane%d_step[%d] = {\n", k, x->id, s->nstep[k], k,
                s->nstep[k] + 1);
        for (NodeId n = 0; n < g->nnode; n++) {
            const Node *y = &g->node[n];
            if (s->lane[n] != k)
                continue;
            char buf[2 * IR_MAXNAME + 256];
            step_label(buf, sizeof buf, g, p, n);
            fprintf(f, "    /* %d: ", n);
            put_comment(f, buf);
            fputs(" */\n    {", f);
            if (y->op == OP_COPY)
                fputs("NULL, NULL", f);
            else
                fprintf(f, "RT_FN(%s%s), &a%d", cl ? "ocl_op_" : "cpu_", ir_op[y->op].stem,
                        attr[n]);
            fprintf(f, ", %lld, %d, %d, %d, %d, %d, %d},\n", at[n], y->nin, y->nout,
                    s->wat[n], s->wat[n + 1] - s->wat[n], s->signal[n], n);
        }
        fprintf(f, "    {NULL, NULL, 0, 0, 0, 0, 0, 0, -1}};\n\n"
                "static int\nlane%d(RtLane *l)\n{\n"
                "    return rt_lane_steps(l, lane%d_step, %d);\n}\n\n", k, k, s->nstep[k]);
    }
    ir_free(at);
    fputs("static const RtLaneDesc lane[NLANE] = {\n", f);
    for (int k = 0; k < s->nlane; k++)
        fprintf(f, "    {%d, %d, lane%d_step, lane%d},\n", k, s->nstep[k], k, k);
    fputs("};\n\n", f);
    return 0;
}

static int
uses_opencl(const Plan *p)
{
    for (int k = 0; k < p->sched.nlane; k++)
        if (p->target->proc[p->sched.lane_proc[k]].backend == PB_OPENCL)
            return 1;
    return 0;
}

static void
emit_plan(FILE *f, const CgOptions *o, const Plan *p)
{
    const char *n = o->name;
    fputs("static const RtPlanDesc plan_desc = {\n    ", f);
    cg_put_cstr(f, n, NULL);
    fprintf(f, ",\n    NTENSOR, shape, place, NINPUT, NOUTPUT, input_tensor, output_tensor,\n"
            "    NSPACE, space, NLANE, proc, NLANE, lane, operand, wait, NWEIGHTUSE, weight_use,\n"
            "    WEIGHTS_BYTES, WEIGHTS_SUM, NSTEP, step_name, step_op,\n    %s,\n};\n\n",
            uses_opencl(p) ? "NPROGRAM, cl_names, cl_texts" : "0, NULL, NULL");
    fprintf(f, "%s *\n%s_create(const char *weights_path, int threads, int *status)\n{\n"
            "    return (void *)rt_plan_new(&plan_desc, weights_path, threads, status);\n}\n\n",
            n, n);
    fprintf(f, "int\n%s_run(%s *m, const void *const *inputs, void *const *outputs)\n{\n"
            "    return rt_plan_run((RtPlan *)m, inputs, outputs);\n}\n\n", n, n);
    fprintf(f, "const char *\n%s_error(%s *m)\n{\n    return rt_plan_error((RtPlan *)m);\n}\n\n",
            n, n);
    fprintf(f, "void\n%s_destroy(%s *m)\n{\n    rt_plan_free((RtPlan *)m);\n}\n\n", n, n);
}

static void
emit_info(FILE *f, const Graph *g, const CgOptions *o)
{
    const char *n = o->name;
    for (int io = 0; io < 2; io++) {
        int cnt = io ? g->noutput : g->ninput;
        const char *what = io ? "output" : "input";
        fprintf(f, "static const RtTensor info_%ss[%d] = {", what, cnt + 1);
        for (int i = 0; i < cnt; i++) {
            put_tensor(f, &g->val[io ? g->output[i] : g->input[i]]);
            fputs(", ", f);
        }
        fprintf(f, "{0}};\nstatic const char *const info_%s_names[%d] = {", what, cnt + 1);
        for (int i = 0; i < cnt; i++) {
            cg_put_cstr(f, g->val[io ? g->output[i] : g->input[i]].name, NULL);
            fputs(", ", f);
        }
        fputs("NULL};\n", f);
    }
    fprintf(f, "\nconst RtModelInfo %s_info = {\n    ", n);
    cg_put_cstr(f, n, NULL);
    fprintf(f, ", NINPUT, NOUTPUT, info_inputs, info_input_names, info_outputs, "
            "info_output_names,\n    &plan_desc,\n};\n");
}

static FILE *
open_out(const CgOptions *o, const char *suffix, Diag *d)
{
    char path[4096];
    cg_path(path, sizeof path, o, suffix);
    FILE *f = fopen(path, "w");
    if (!f)
        diag_env(d, "cannot write %s: %s", path, strerror(errno));
    return f;
}

static int
close_out(FILE *f, const CgOptions *o, const char *suffix, Diag *d)
{
    char path[4096];
    if (fclose(f) != 0)
        return diag_env(d, "writing %s failed: %s", cg_path(path, sizeof path, o, suffix),
                        strerror(errno));
    return 0;
}

int
cg_emit_sources(const Graph *g, const Plan *p, const Weights *w, const CgOptions *o, Diag *d)
{
    Layout l;
    if (layout_init(&l, g, p, w) < 0)
        return diag_oom(d);
    int rc = -1, *attr = NULL;
    int cl = uses_opencl(p);
    FILE *f = open_out(o, ".h", d);
    if (!f)
        goto done;
    emit_header(f, g, o);
    if (close_out(f, o, ".h", d) < 0 || !(f = open_out(o, ".c", d)))
        goto done;
    fprintf(f, "/*\n * %s.c: generated by hetc from ", o->name);
    put_comment(f, o->model);
    fprintf(f, " (opset %lld), strategy %s:\n * %d steps on %d processors, arenas %lld bytes, "
            "weights %lld bytes. Do not edit; compile\n * the model again.\n */\n",
            (long long)g->opset, o->strategy, g->nnode, p->sched.nlane,
            (long long)p->mem.arena, (long long)w->size);
    fprintf(f, "#include \"%s.h\"\n\n#include \"runtime/exec.h\"\n"
            "#include \"runtime/rt_backend.h\"\n", o->name);
    if (cl)
        fputs("#include \"runtime/opencl/ops.h\"\n", f);
    fputs("\n#include <stddef.h>\n\n", f);
    if (emit_tables(f, g, p, &l, w) < 0) {
        fclose(f);
        diag_oom(d);
        goto done;
    }
    if (cl && cg_emit_cl(f, g, p, o, d) < 0) {
        fclose(f);
        goto done;
    }
    fputs("/* attributes: a<k>, that of step k and of the later steps with the same */\n", f);
    attr = ir_alloc((size_t)g->nnode * sizeof *attr + 1);
    if (!attr || cg_emit_attrs(f, g, attr, d) < 0) {
        fclose(f);
        if (!attr)
            diag_oom(d);
        goto done;
    }
    fputc('\n', f);
    emit_procs(f, p, &l);
    if (emit_lanes(f, g, p, attr) < 0) {
        fclose(f);
        diag_oom(d);
        goto done;
    }
    emit_plan(f, o, p);
    emit_info(f, g, o);
    if (close_out(f, o, ".c", d) < 0 || !(f = open_out(o, "_main.c", d)))
        goto done;
    fprintf(f, "/* %s_main.c: the standalone binary of plan %s (generated by hetc). */\n"
            "#include \"runtime/rt.h\"\n\nextern const RtModelInfo %s_info;\n\n"
            "int\nmain(int argc, char **argv)\n{\n    return rt_main(argc, argv, &%s_info);\n}\n",
            o->name, o->name, o->name, o->name);
    rc = close_out(f, o, "_main.c", d);
done:
    ir_free(attr);
    ir_free(l.wat);
    return rc;
}
