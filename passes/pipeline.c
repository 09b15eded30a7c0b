/*
 * pipeline.c: the passes and their one order, in one table: check (refuse what cannot be
 * compiled: unknown ops, dynamic shapes, strings), cleanup (QDQ patterns fused into integer ops
 * first, passes/qdq.c), fuse (patterns written out put back as one op first, passes/patterns.c),
 * place (a processor for each node), copies (between memories), schedule (lanes and waits),
 * memplan (per memory). Costing and the partitioners join here as they arrive. --dump-after PASS
 * prints the IR once PASS is
 * done.
 */
#include "passes.h"

#include <string.h>

/* Ops whose CPU kernels compute in float32 only (their integer forms are rare in models); the
 * kernels check too, but a plan should be refused when it is compiled, not when it runs. */
static int
float_only(OpKind op, const Node *x, const Graph *g)
{
    switch (op) {
    case OP_CONV: case OP_CONVTRANSPOSE: case OP_GEMM: case OP_MATMUL: case OP_AVERAGEPOOL:
    case OP_MAXPOOL: case OP_LPPOOL: case OP_GLOBALAVERAGEPOOL: case OP_GLOBALMAXPOOL:
    case OP_BATCHNORMALIZATION: case OP_INSTANCENORMALIZATION: case OP_LAYERNORMALIZATION:
    case OP_LRN: case OP_SOFTMAX: case OP_LOGSOFTMAX: case OP_HARDMAX:
    case OP_QUANTIZELINEAR: case OP_DYNAMICQUANTIZELINEAR:
    case OP_GRU: case OP_LSTM: case OP_RNN:
        return 1;
    case OP_RESIZE:
        return x->attr->resize.mode != RSZ_NEAREST;
    default:
        (void)g;
        return 0;
    }
}

/* What the CPU kernels cannot do, refused with a reason. */
static int
check_supported(const Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *in0 = x->nin > 0 && x->in[0] != NONE ? &g->val[x->in[0]] : NULL;
    if (in0 && float_only(x->op, x, g) && in0->dt != DT_F32)
        return diag_node(d, g, n, "%s on %s is not supported (float32 only)", ir_op[x->op].onnx,
                         ir_dtype_name(in0->dt));
    if (x->op == OP_NONZERO) { /* folded when its input is a constant; no kernel runs it */
        const Value *y = x->out[0] != NONE ? &g->val[x->out[0]] : NULL;
        if (!y || (y->flags & V_CONST))
            return 0;   /* folded: cleanup drops it */
        if (ir_shape_known(y))
            return diag_node(d, g, n, "NonZero with an output of %lld elements is not supported "
                             "(more than compile-time folding computes)",
                             (long long)ir_numel(y));
        return diag_node(d, g, n, "NonZero's output has a dynamic shape (its size depends on the "
                         "input's values): --bind the input to make it a constant");
    }
    if (x->op == OP_DROPOUT && x->nin >= 3 && x->in[2] != NONE) {
        const Value *t = &g->val[x->in[2]];
        if (!(t->flags & V_CONST) || ir_numel(t) != 1 || ir_const_i(t, 0) != 0)
            return diag_node(d, g, n, "Dropout in training mode is not supported (inference "
                             "only)");
    }
    return 0;
}

/* A static shape whose bytes cannot be addressed */
static int
too_large(const Value *v)
{
    int64_t bytes;
    return ir_shape_known(v) && pass_tensor_bytes(v, &bytes) < 0;
}

/* "f32[2147483648,2147483648]" for messages */
static const char *
shape_text(const Value *v, char *buf, size_t size)
{
    int k = snprintf(buf, size, "%s[", ir_dtype_short(v->dt));
    for (int i = 0; i < v->rank && k > 0 && (size_t)k < size; i++)
        k += snprintf(buf + k, size - (size_t)k, "%s%lld", i ? "," : "", (long long)v->dim[i]);
    if (k > 0 && (size_t)k < size)
        snprintf(buf + k, size - (size_t)k, "]");
    return buf;
}

/* Every node known, every value it touches of static shape, fixed-size dtype and addressable
 * size (at most PASS_MAX_BYTES), and so every graph input and output. */
static int
check_compilable(const Graph *g, Diag *d)
{
    char buf[IR_MAXRANK * 24 + 16];
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        if (x->op == OP_UNKNOWN)
            return diag_node(d, g, n, "op is not supported");
        if (check_supported(g, n, d) < 0)
            return -1;
        for (int j = 0; j < x->nin + x->nout; j++) {
            ValId v = x->in[j];
            if (v == NONE)
                continue;
            const Value *val = &g->val[v];
            if (!ir_shape_known(val))
                return diag_node(d, g, n, "tensor \"%s\" has a dynamic shape; pass --shape for "
                                 "the model's inputs", val->name);
            if (ir_dtype_size(val->dt) == 0)
                return diag_node(d, g, n, "tensor \"%s\" of type %s is not supported", val->name,
                                 ir_dtype_name(val->dt));
            if (too_large(val))
                return diag_node(d, g, n, "tensor \"%s\" %s is too large to address (more than "
                                 "2^47 bytes)", val->name, shape_text(val, buf, sizeof buf));
        }
    }
    /* the graph's inputs and outputs get buffers of their own, used by a node or not */
    for (int io = 0; io < 2; io++)
        for (int i = 0; i < (io ? g->noutput : g->ninput); i++) {
            const Value *val = &g->val[io ? g->output[i] : g->input[i]];
            if (too_large(val))
                return diag_error(d, "graph %s \"%s\" %s is too large to address (more than "
                                  "2^47 bytes)", io ? "output" : "input", val->name,
                                  shape_text(val, buf, sizeof buf));
        }
    return 0;
}

/* What the passes read and fill */
typedef struct Run {
    Graph *g;
    const Target *t;
    const PlanOptions *o;
    Plan *p;
    Diag *d;
} Run;

static int
run_check(Run *r)
{
    if (pass_control(r->g, 1, r->d) < 0 || pass_einsum(r->g, r->d) < 0)
        return -1;
    return check_compilable(r->g, r->d);
}

static int
run_cleanup(Run *r)
{
    return pass_qdq(r->g, r->d) < 0 || pass_cleanup(r->g, r->d) < 0 || ir_verify(r->g, r->d) < 0
               ? -1 : 0;
}

static int
run_fuse(Run *r)
{
    if (pass_patterns(r->g, r->d) < 0 || pass_fuse(r->g, r->d) < 0)
        return -1;
    return ir_verify(r->g, r->d) < 0 ? -1 : 0;
}

static int
run_place(Run *r)
{
    return pass_place(r->g, r->t, r->o, r->d);
}

static int
run_copies(Run *r)
{
    return pass_copies(r->g, r->t, r->d) < 0 || ir_verify(r->g, r->d) < 0 ? -1 : 0;
}

static int
run_schedule(Run *r)
{
    return pass_schedule(r->g, r->t, r->o->measured, &r->p->sched, r->d);
}

static int
run_memplan(Run *r)
{
    return pass_memplan_placed(r->g, r->t, &r->p->sched, &r->p->mem, r->d);
}

/* The passes in their order: each row names one and its run_ function. */
#define PASSES(X) X(check) X(cleanup) X(fuse) X(place) X(copies) X(schedule) X(memplan)

#define PASS_NAME(p) #p,
#define PASS_RUN(p) run_##p,
const char *const pass_names[] = {PASSES(PASS_NAME) NULL};
static int (*const pass_run[])(Run *) = {PASSES(PASS_RUN)};

/* The IR with each node's processor and cause, once placed (Node.dev is NONE until then) */
static void
dump_ir(const Run *r, FILE *f)
{
    const char *dev[TG_MAXPROC];
    int n = r->t->nproc < TG_MAXPROC ? r->t->nproc : TG_MAXPROC;
    for (int i = 0; i < n; i++)
        dev[i] = r->t->proc[i].id;
    ir_dump_placed(r->g, f, dev, n, pass_cause_name);
}

int
pass_pipeline(Graph *g, const Target *t, const PlanOptions *o, const char *dump_after,
              FILE *dump, Plan *p, Diag *d)
{
    Run r = {g, t, o, p, d};
    memset(p, 0, sizeof *p);
    p->target = t;
    for (int k = 0; pass_names[k]; k++) {
        if (pass_run[k](&r) < 0)
            return -1;
        if (dump_after && dump && strcmp(dump_after, pass_names[k]) == 0)
            dump_ir(&r, dump);
    }
    return 0;
}
