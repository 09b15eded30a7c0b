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
            " * %spthreads and libm. C++ includes it as it is.\n */\n",
            n, n, n, n, n, n, n, o->gpu ? "OpenCL, " : "");
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

/* -1 on OOM */
static int
emit_tables(FILE *f, const Graph *g, const MemPlan *mp, const Weights *w)
{
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
    fprintf(f, "enum { NTENSOR = %d, NINPUT = %d, NOUTPUT = %d };\n", g->nval, g->ninput,
            g->noutput);
    fprintf(f, "#define ARENA_BYTES ((size_t)%lld)\n", (long long)mp->arena);
    fprintf(f, "#define WEIGHTS_BYTES ((size_t)%lld)\n", (long long)w->size);
    fprintf(f, "#define WEIGHTS_SUM 0x%016llxull\n\n", (unsigned long long)w->sum);
    fputs("/* every tensor: dtype and shape; where it lives: 'a' arena, 'w' weights, 'i' input,\n"
          " * 'o' output (the offset or the index), '-' not stored */\n", f);
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
        int ii = io[2 * v], oi = io[2 * v + 1];
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
        }
        fprintf(f, "    {'%c', %lld},\n", kind, at);
    }
    fputs("};\n\n", f);
    fprintf(f, "enum { NSTEP = %d };\n", g->nnode);
    fputs("/* every step, as messages and traces name it */\n"
          "static const char *const step_name[NSTEP + 1] = {\n", f);
    for (NodeId n = 0; n < g->nnode; n++) {
        char buf[IR_MAXNAME + 256];
        snprintf(buf, sizeof buf, "node %d \"%s\" (%s)", g->node[n].index, g->node[n].name,
                 step_ops(&g->node[n]));
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

static const char runtime_part[] =
    "struct %N {\n"
    "    RtCtx *ctx;\n"
    "    RtWeights w;\n"
    "    unsigned char *arena;\n"
    "    RtTensor t[NTENSOR];\n"
    "    char err[600];\n"
    "};\n"
    "\n"
    "const char *\n%N_error(struct %N *m)\n{\n"
    "    return m->err[0] ? m->err : rt_ctx_error(m->ctx);\n}\n"
    "\n"
    "void\n%N_destroy(struct %N *m)\n{\n"
    "    if (!m)\n        return;\n"
    "    rt_weights_close(&m->w);\n"
    "    rt_ctx_free(m->ctx);\n"
    "    free(m->arena);\n"
    "    free(m);\n}\n"
    "\n"
    "%N *\n%N_create(const char *weights_path, int threads, int *status)\n{\n"
    "    int rc = RT_ENOMEM;\n"
    "    struct %N *m = calloc(1, sizeof *m);\n"
    "    if (!m || !(m->ctx = rt_ctx_new(threads)))\n        goto fail;\n"
    "    if (ARENA_BYTES && !(m->arena = aligned_alloc(64, (ARENA_BYTES + 63) / 64 * 64)))\n"
    "        goto fail;\n"
    "    if (WEIGHTS_BYTES && (rc = rt_weights_open(&m->w, weights_path, WEIGHTS_BYTES,\n"
    "                                               WEIGHTS_SUM)) != RT_OK)\n"
    "        goto fail;\n"
    "    rt_ctx_consts(m->ctx, m->w.data, m->w.size);\n"
    "    for (int i = 0; i < NTENSOR; i++) {\n"
    "        m->t[i] = shape[i];\n"
    "        if (place[i].kind == 'a')\n"
    "            m->t[i].data = m->arena + place[i].at;\n"
    "        else if (place[i].kind == 'w')\n"
    "            m->t[i].data = (void *)(m->w.data + place[i].at);\n"
    "    }\n"
    "    if (status)\n        *status = RT_OK;\n"
    "    return m;\n"
    "fail:\n"
    "    if (status)\n        *status = rc;\n"
    "    %N_destroy(m);\n"
    "    return NULL;\n}\n"
    "\n"
    "/* one step: timed when tracing, and a failure names the step */\n"
    "#define STEP(k, call)                                                  \\\n"
    "    do {                                                               \\\n"
    "        double t0_ = tracing ? rt_now_ms() : 0;                        \\\n"
    "        if ((rc = (call)) != RT_OK)                                    \\\n"
    "            return fail(m, rc, step_name[k]);                          \\\n"
    "        if (tracing)                                                   \\\n"
    "            rt_trace_step(m->ctx, k, t0_);                             \\\n"
    "    } while (0)\n\n"
    "\n";

/* The same for a plan on OpenCL: the tensors live on the device (runtime/opencl/plan.c); the
 * device is the one HETC_CL_DEVICE names (an index or part of a name), else the first GPU, else
 * the first device. Steps are queued; a traced run waits for each. */
static const char runtime_part_gpu[] =
    "static const OclPlanLayout layout = {NTENSOR, shape, place, NINPUT, NOUTPUT, input_tensor,\n"
    "                                     output_tensor, ARENA_BYTES, WEIGHTS_BYTES};\n"
    "\n"
    "struct %N {\n"
    "    RtCtx *ctx;\n"
    "    RtWeights w;\n"
    "    OclPlan p;\n"
    "    char err[600];\n"
    "};\n"
    "\n"
    "const char *\n%N_error(struct %N *m)\n{\n"
    "    return m->err[0] ? m->err : rt_ctx_error(m->ctx);\n}\n"
    "\n"
    "void\n%N_destroy(struct %N *m)\n{\n"
    "    if (!m)\n        return;\n"
    "    ocl_plan_close(&m->p);\n"
    "    rt_weights_close(&m->w);\n"
    "    rt_ctx_free(m->ctx);\n"
    "    free(m);\n}\n"
    "\n"
    "%N *\n%N_create(const char *weights_path, int threads, int *status)\n{\n"
    "    int rc = RT_ENOMEM;\n"
    "    rt_set_create_error(\"\");\n"
    "    struct %N *m = calloc(1, sizeof *m);\n"
    "    if (!m || !(m->ctx = rt_ctx_new(threads)))\n        goto fail;\n"
    "    if (WEIGHTS_BYTES && (rc = rt_weights_open(&m->w, weights_path, WEIGHTS_BYTES,\n"
    "                                               WEIGHTS_SUM)) != RT_OK)\n"
    "        goto fail;\n"
    "    if ((rc = ocl_plan_open(&m->p, m->ctx, getenv(\"HETC_CL_DEVICE\"), &layout, m->w.data))"
    " != RT_OK)\n"
    "        goto fail;\n"
    "    ocl_use_sources(m->p.dev, NPROGRAM, cl_names, cl_texts);\n"
    "    if (status)\n        *status = RT_OK;\n"
    "    return m;\n"
    "fail:\n"
    "    if (m && m->ctx)\n        rt_set_create_error(rt_ctx_error(m->ctx));\n"
    "    if (status)\n        *status = rc;\n"
    "    %N_destroy(m);\n"
    "    return NULL;\n}\n"
    "\n"
    "/* one step: queued, and when tracing waited for and timed; a failure names the step */\n"
    "#define STEP(k, call)                                                  \\\n"
    "    do {                                                               \\\n"
    "        double t0_ = tracing ? rt_now_ms() : 0;                        \\\n"
    "        if ((rc = (call)) != RT_OK ||                                  \\\n"
    "            (tracing && (rc = ocl_finish(m->p.dev)) != RT_OK))         \\\n"
    "            return fail(m, rc, step_name[k]);                          \\\n"
    "        if (tracing)                                                   \\\n"
    "            rt_trace_step(m->ctx, k, t0_);                             \\\n"
    "    } while (0)\n\n"
    "\n";

/* what both kinds of plan have after the part above */
static const char fail_part[] =
    "/* records which step failed, after the kernel's own detail */\n"
    "static int\nfail(struct %N *m, int rc, const char *step)\n{\n"
    "    snprintf(m->err, sizeof m->err, \"%s: %s\", step, rt_ctx_error(m->ctx)[0] ?\n"
    "             rt_ctx_error(m->ctx) : rt_strerror(rc));\n"
    "    return rc;\n}\n"
    "\n";

/* part with %N replaced by the plan's name (and %s kept for snprintf) */
static void
emit_part(FILE *f, const char *part, const char *name)
{
    for (const char *p = part; *p; p++) {
        if (p[0] == '%' && p[1] == 'N') {
            fputs(name, f);
            p++;
        } else {
            fputc(*p, f);
        }
    }
}

/* the operands of every step as tensor ids (-1: an omitted optional one), inputs then outputs,
 * and the steps: kernel, attribute, where its operands begin, how many (Step) */
static void
emit_steps(FILE *f, const Graph *g, const int *attr, const CgOptions *o)
{
    int maxin = 1, maxout = 1;
    fputs("static const int operand[] = {", f);
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        maxin = x->nin > maxin ? x->nin : maxin;
        maxout = x->nout > maxout ? x->nout : maxout;
        fputs(n % 4 ? "  " : "\n    ", f);
        for (int j = 0; j < x->nin + x->nout; j++)
            fprintf(f, "%d, ", j < x->nin ? x->in[j] : x->out[j - x->nin]);
    }
    fputs("-1};\n\n", f);
    fprintf(f, "enum { MAXIN = %d, MAXOUT = %d };\n", maxin, maxout);
    fprintf(f, "typedef struct Step {\n    %s fn;\n    const Attr *a;\n"
            "    int at, nin, nout; /* operand[at...]: nin inputs, then nout outputs */\n"
            "} Step;\n\n", o->gpu ? "OclOp" : "RtKernel");
    fputs("static const Step steps[NSTEP + 1] = {\n", f);
    long long at = 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        fprintf(f, "    /* %d: node %d \"", n, x->index);
        put_comment(f, x->name);
        fprintf(f, "\" (%s) */\n    {%s%s, &a%d, %lld, %d, %d},\n", step_ops(x),
                o->gpu ? "ocl_op_" : "cpu_", ir_op[x->op].stem, attr[n], at, x->nin, x->nout);
        at += x->nin + x->nout;
    }
    fputs("    {NULL, NULL, 0, 0, 0}};\n\n", f);
}

static void
emit_run(FILE *f, const Graph *g, const int *attr, const CgOptions *o)
{
    const char *tensor = o->gpu ? "OclTensor" : "RtTensor";
    emit_steps(f, g, attr, o);
    fprintf(f, "int\n%s_run(struct %s *m, const void *const *inputs, void *const *outputs)\n{\n",
            o->name, o->name);
    fprintf(f, "    %s *t = %s;\n    int rc, tracing = rt_trace_on(m->ctx);\n"
            "    m->err[0] = 0;\n    if (tracing)\n        rt_trace_run(m->ctx);\n",
            tensor, o->gpu ? "m->p.t" : "m->t");
    if (o->gpu)
        fputs("    if ((rc = ocl_plan_write_inputs(&m->p, inputs)) != RT_OK)\n"
              "        return fail(m, rc, \"copying the inputs to the device\");\n", f);
    else
        fputs("    for (int i = 0; i < NINPUT; i++)\n"
              "        t[input_tensor[i]].data = (void *)inputs[i];\n"
              "    for (int i = 0; i < NOUTPUT; i++)\n"
              "        if (place[output_tensor[i]].kind == 'o' && place[output_tensor[i]].at == i)\n"
              "            t[output_tensor[i]].data = outputs[i];\n", f);
    fprintf(f, "    for (int k = 0; k < NSTEP; k++) {\n"
            "        const Step *s = &steps[k];\n"
            "        const int *id = &operand[s->at];\n"
            "        %s *in[MAXIN], *out[MAXOUT];\n"
            "        for (int j = 0; j < s->nin; j++)\n"
            "            in[j] = id[j] < 0 ? NULL : &t[id[j]];\n"
            "        for (int j = 0; j < s->nout; j++)\n"
            "            out[j] = id[s->nin + j] < 0 ? NULL : &t[id[s->nin + j]];\n"
            "        STEP(k, s->fn(%s, s->a, in, s->nin, out, s->nout));\n"
            "    }\n", tensor, o->gpu ? "m->p.dev" : "m->ctx");
    if (o->gpu) {
        fputs("    if ((rc = ocl_plan_read_outputs(&m->p, outputs)) != RT_OK)\n"
              "        return fail(m, rc, \"copying the outputs from the device\");\n"
              "    return RT_OK;\n}\n\n", f);
        return;
    }
    /* outputs that no step writes in place: constants, inputs, repeated outputs */
    fputs("    for (int i = 0; i < NOUTPUT; i++) {\n"
          "        const RtTensor *s = &t[output_tensor[i]];\n"
          "        if (s->data != outputs[i] && rt_numel(s))\n"
          "            memcpy(outputs[i], s->data, (size_t)rt_numel(s) * rt_dtype_size(s->dt));\n"
          "    }\n", f);
    fputs("    return RT_OK;\n}\n\n", f);
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
    fprintf(f, "static const char *const info_processors[] = {\"%s\"};\n\n",
            o->gpu ? "gpu" : "cpu");
    fprintf(f, "static void *\ninfo_create(const char *path, int threads, int *status)\n{\n"
            "    return %s_create(path, threads, status);\n}\n\n", n);
    fprintf(f, "static int\ninfo_run(void *m, void *const *in, void *const *out)\n{\n"
            "    return %s_run(m, (const void *const *)in, out);\n}\n\n", n);
    fprintf(f, "static void\ninfo_destroy(void *m)\n{\n    %s_destroy(m);\n}\n\n", n);
    fprintf(f, "static const char *\ninfo_error(void *m)\n{\n    return %s_error(m);\n}\n\n", n);
    fprintf(f, "static RtCtx *\ninfo_ctx(void *inst)\n{\n    const struct %s *p = inst;\n"
            "    return p->ctx;\n}\n\n", n);
    fprintf(f, "const RtModelInfo %s_info = {\n    ", n);
    cg_put_cstr(f, n, NULL);
    fprintf(f, ", NINPUT, NOUTPUT, info_inputs, info_input_names, info_outputs, "
            "info_output_names,\n    info_processors, 1, info_create, info_run, info_destroy, "
            "info_error,\n    info_ctx, NSTEP, step_name, step_op,\n};\n");
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
cg_emit_sources(const Graph *g, const MemPlan *mp, const Weights *w, const CgOptions *o, Diag *d)
{
    FILE *f = open_out(o, ".h", d);
    if (!f)
        return -1;
    emit_header(f, g, o);
    if (close_out(f, o, ".h", d) < 0 || !(f = open_out(o, ".c", d)))
        return -1;
    fprintf(f, "/*\n * %s.c: generated by hetc from ", o->name);
    put_comment(f, o->model);
    fprintf(f, " (opset %lld), strategy %s:\n * %d steps, arena %lld bytes, weights %lld bytes. "
            "Do not edit; compile the model again.\n */\n",
            (long long)g->opset, o->strategy, g->nnode, (long long)mp->arena,
            (long long)w->size);
    fprintf(f, "#include \"%s.h\"\n\n#include \"runtime/%s\"\n\n", o->name,
            o->gpu ? "opencl/ops.h" : "rt_backend.h");
    fputs("#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n",
          f);
    if (emit_tables(f, g, mp, w) < 0) {
        fclose(f);
        return diag_oom(d);
    }
    if (o->gpu && cg_emit_cl(f, g, o, d) < 0) {
        fclose(f);
        return -1;
    }
    fputs("/* attributes: a<k>, that of step k and of the later steps with the same */\n", f);
    int *attr = ir_alloc((size_t)g->nnode * sizeof *attr + 1);
    if (!attr || cg_emit_attrs(f, g, attr, d) < 0) {
        ir_free(attr);
        fclose(f);
        return attr ? -1 : diag_oom(d);
    }
    fputc('\n', f);
    emit_part(f, o->gpu ? runtime_part_gpu : runtime_part, o->name);
    emit_part(f, fail_part, o->name);
    emit_run(f, g, attr, o);
    emit_info(f, g, o);
    ir_free(attr);
    if (close_out(f, o, ".c", d) < 0 || !(f = open_out(o, "_main.c", d)))
        return -1;
    fprintf(f, "/* %s_main.c: the standalone binary of plan %s (generated by hetc). */\n"
            "#include \"runtime/rt.h\"\n\nextern const RtModelInfo %s_info;\n\n"
            "int\nmain(int argc, char **argv)\n{\n    return rt_main(argc, argv, &%s_info);\n}\n",
            o->name, o->name, o->name, o->name);
    return close_out(f, o, "_main.c", d);
}
