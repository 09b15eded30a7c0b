/*
 * probe.c: the probe graphs of hetc profile and how they are built and run (profmeasure.c runs
 * them and fits the figures).
 *
 * A probe graph is made in memory with the IR API: many independent steps, each reading warm
 * graph inputs (and zero-filled constant weights) and writing an arena tensor that a small
 * Slice keeps, of the shapes real CNNs and transformers have: convolutions 1x1, 3x3, 5x5, 7x7
 * (first layers with 3 channels, strides 1 and 2, grouped, with a fused Relu, SiLU or HardSwish
 * as models have them), depthwise, Gemm and MatMul (batched too), elementwise ops, pools,
 * reductions, Softmax, LayerNormalization and data movement, from launch-bound to compute- or
 * bandwidth-bound sizes. The graph is planned with the normal
 * pipeline on a copy of the target that holds the one processor measured, compiled with
 * cg_compile into a temporary folder and run as a child: `probe --warmup W --iters N --trace
 * T.json --json`; cost_measured_load reads each step's median from the trace and cost_work the
 * step's work from the planned graph, so what is fitted is exactly what the cost model sees.
 */
#include "profile.h"

#include "codegen/codegen.h"
#include "passes/cost.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { MAXIO = 1024 };          /* graph inputs and outputs of one probe graph */

/* ---- building ------------------------------------------------------------------------------- */

typedef struct Builder {
    Graph *g;
    const Target *t;            /* the one-processor target */
    int warm;                   /* probes read warm inputs (step) */
    ValId slice[3];             /* the sinks' Slice starts, ends, axes (NONE: not made yet) */
    int fail;                   /* out of memory on the way */
} Builder;

static const int64_t *
ints(Builder *b, int n, const int64_t *v)
{
    int64_t *p = ir_galloc(b->g, (size_t)n * sizeof *p + 1);
    if (!p) {
        b->fail = 1;
        return NULL;
    }
    memcpy(p, v, (size_t)n * sizeof *p);
    return p;
}

/* A float32 graph input of shape dim (one per shape, shared by the probes that read it). */
static ValId
input(Builder *b, int rank, const int64_t *dim)
{
    char name[128] = "x";
    for (int i = 0; i < rank; i++)
        snprintf(name + strlen(name), sizeof name - strlen(name), "_%lld", (long long)dim[i]);
    ValId v = ir_val_find(b->g, name);
    if (v != NONE)
        return v;
    if (b->g->ninput == MAXIO || (v = ir_val_add(b->g, name, DT_F32, NULL)) == NONE) {
        b->fail = 1;
        return NONE;
    }
    Value *x = &b->g->val[v];
    x->rank = rank;
    memcpy(x->dim, dim, (size_t)rank * sizeof *dim);
    x->flags |= V_INPUT;
    b->g->input[b->g->ninput++] = v;
    return v;
}

/* A constant of dtype dt and shape dim, every element fill. */
static ValId
constant(Builder *b, DType dt, int rank, const int64_t *dim, double fill)
{
    ValId v = ir_val_add(b->g, NULL, dt, NULL);
    if (v == NONE) {
        b->fail = 1;
        return NONE;
    }
    Value *x = &b->g->val[v];
    x->rank = rank;
    if (rank > 0)
        memcpy(x->dim, dim, (size_t)rank * sizeof *dim);
    int64_t n = ir_numel(x);
    x->data = ir_galloc(b->g, (size_t)n * ir_dtype_size(dt) + 1);
    if (!x->data) {
        b->fail = 1;
        return NONE;
    }
    for (int64_t i = 0; fill != 0 && i < n; i++) {
        if (dt == DT_F32)
            ((float *)x->data)[i] = (float)fill;
        else
            ((int64_t *)x->data)[i] = (int64_t)fill;
    }
    x->flags |= V_CONST | V_PARAM;
    return v;
}

static ValId
ivec(Builder *b, int n, const int64_t *v)
{
    ValId c = constant(b, DT_I64, 1, (int64_t[]){n}, 0);
    if (c != NONE)
        memcpy(b->g->val[c].data, v, (size_t)n * sizeof *v);
    return c;
}

static NodeId node(Builder *b, OpKind op, char prefix, int nin, const ValId *in, int out);

/* Keeps v alive: a graph output of its own would be written outside the arena, in pages the
 * binary touches afresh, which a model's steps never do but at the very end; so v stays an
 * arena tensor, read at once by a small Slice (its first channel, a step named z...) whose
 * output is the graph output. */
static void
sink(Builder *b, ValId v)
{
    if (b->slice[0] == NONE) {
        b->slice[0] = ivec(b, 1, (int64_t[]){0});
        b->slice[1] = ivec(b, 1, (int64_t[]){1});
        b->slice[2] = b->slice[1];
    }
    if (b->fail)
        return;
    if (!(b->t->proc[0].can[OP_SLICE] & (1u << DT_F32))) {
        b->g->val[v].flags |= V_OUTPUT;
        b->g->output[b->g->noutput++] = v;
        return;
    }
    node(b, OP_SLICE, 'z', 4, (ValId[]){v, b->slice[0], b->slice[1], b->slice[2]}, -1);
}

/* A node of op named PREFIX + its index on inputs in, of one output: kept by a sink when out
 * is 1, a graph output itself when out is -1 */
static NodeId
node(Builder *b, OpKind op, char prefix, int nin, const ValId *in, int out)
{
    char name[32];
    snprintf(name, sizeof name, "%c%d", prefix, b->g->nnode);
    NodeId n = ir_node_add(b->g, op, name, nin, 1);
    ValId v = n == NONE ? NONE : ir_val_add(b->g, name, DT_UNDEF, NULL);
    if (v == NONE || b->g->noutput == MAXIO) {
        b->fail = 1;
        return NONE;
    }
    Node *x = &b->g->node[n];
    x->index = n;
    for (int i = 0; i < nin; i++)
        x->in[i] = in[i];
    x->out[0] = v;
    b->g->val[v].def = n;
    if (out > 0) {
        sink(b, v);
    } else if (out < 0) {
        b->g->val[v].flags |= V_OUTPUT;
        b->g->output[b->g->noutput++] = v;
    }
    return n;
}

/* A probe step of op on inputs in (NONE: omitted); its node, or NONE when the processor cannot
 * run op on float32 (the probe is left out). out: a graph output (else its value feeds
 * another). With b->warm, each graph input it reads is first passed through a Relu of its own
 * (a step named w..., not a sample), so that the probe reads what was just written, as a step
 * of a model does, rather than data the other probes have pushed out of the caches. */
static NodeId
step(Builder *b, OpKind op, int nin, const ValId *in, int out)
{
    for (int p = 0; p < b->t->nproc; p++)
        if (!(b->t->proc[p].can[op] & (1u << DT_F32)))
            return NONE;
    if (b->fail || in[0] == NONE)
        return NONE;
    ValId warm[8];
    IR_ASSERT(nin <= 8);
    for (int i = 0; i < nin; i++) {
        warm[i] = in[i];
        if (b->warm && in[i] != NONE && (b->g->val[in[i]].flags & V_INPUT) &&
            (b->t->proc[0].can[OP_RELU] & (1u << DT_F32))) {
            NodeId w = node(b, OP_RELU, 'w', 1, &in[i], 0);
            if (w == NONE)
                return NONE;
            warm[i] = b->g->node[w].out[0];
        }
    }
    return node(b, op, 'p', nin, warm, out);
}

/* Conv of c channels on an s x s map to m channels, kernel k, stride st, groups grp; act: then
 * 1 a Relu, 2 a SiLU (Sigmoid and Mul), 3 a HardSwish, which the pipeline fuses into the conv as
 * in models */
static void
conv(Builder *b, int64_t c, int64_t s, int64_t m, int64_t k, int64_t st, int64_t grp, int act)
{
    ValId x = input(b, 4, (int64_t[]){1, c, s, s});
    ValId w = constant(b, DT_F32, 4, (int64_t[]){m, c / grp, k, k}, 0);
    ValId bias = constant(b, DT_F32, 1, (int64_t[]){m}, 0);
    NodeId n = step(b, OP_CONV, 3, (ValId[]){x, w, bias}, !act);
    if (n == NONE)
        return;
    ConvAttr *a = &b->g->node[n].attr->conv;
    int64_t p = k / 2;
    a->group = grp;
    a->pads = (Ints){4, ints(b, 4, (int64_t[]){p, p, p, p})};
    a->strides = (Ints){2, ints(b, 2, (int64_t[]){st, st})};
    ValId y = b->g->node[n].out[0];
    if (act == 1 || act == 3)
        step(b, act == 1 ? OP_RELU : OP_HARDSWISH, 1, (ValId[]){y}, 1);
    NodeId sg = act == 2 ? step(b, OP_SIGMOID, 1, (ValId[]){y}, 0) : NONE;
    if (sg != NONE)
        step(b, OP_MUL, 2, (ValId[]){y, b->g->node[sg].out[0]}, 1);
}

/* ConvTranspose of c channels on an s x s map to m, kernel k, stride st, padding p: the
 * upsampling of segmentation and detection heads, whose kernels run at rates of their own */
static void
convt(Builder *b, int64_t c, int64_t s, int64_t m, int64_t k, int64_t st, int64_t p)
{
    ValId x = input(b, 4, (int64_t[]){1, c, s, s});
    ValId w = constant(b, DT_F32, 4, (int64_t[]){c, m, k, k}, 0);
    ValId bias = constant(b, DT_F32, 1, (int64_t[]){m}, 0);
    NodeId n = step(b, OP_CONVTRANSPOSE, 3, (ValId[]){x, w, bias}, 1);
    if (n == NONE)
        return;
    ConvAttr *a = &b->g->node[n].attr->conv;
    a->pads = (Ints){4, ints(b, 4, (int64_t[]){p, p, p, p})};
    a->strides = (Ints){2, ints(b, 2, (int64_t[]){st, st})};
}

/* one op of one input, or two of the same shape (binary: the second input another tensor) */
static NodeId
unary(Builder *b, OpKind op, int rank, const int64_t *dim)
{
    return step(b, op, 1, (ValId[]){input(b, rank, dim)}, 1);
}

static void
binary(Builder *b, OpKind op, int rank, const int64_t *dim, int bcast)
{
    int64_t d2[IR_MAXRANK];
    memcpy(d2, dim, (size_t)rank * sizeof *dim);
    if (bcast)  /* a per-channel operand, as a folded bias or scale is */
        for (int i = 0; i < rank; i++)
            d2[i] = i == 1 ? dim[1] : 1;
    ValId y = bcast ? constant(b, DT_F32, rank, d2, 1.5) : input(b, rank, d2);
    step(b, op, 2, (ValId[]){input(b, rank, dim), y}, 1);
}

static void
convs(Builder *b)
{
    /* c, map, m, k, stride, groups, activation (conv) */
    static const int64_t t[][7] = {
        {3, 224, 32, 3, 2, 1, 1},   {3, 224, 64, 7, 2, 1, 1},  {3, 160, 16, 5, 2, 1, 1},
        {3, 64, 16, 3, 1, 1, 0},    {16, 112, 16, 1, 1, 1, 1}, {32, 112, 64, 1, 1, 1, 1},
        {64, 56, 64, 3, 1, 1, 1},   {64, 56, 128, 3, 2, 1, 1}, {128, 28, 128, 3, 1, 1, 1},
        {256, 14, 256, 3, 1, 1, 1}, {512, 7, 512, 3, 1, 1, 1}, {64, 56, 256, 1, 1, 1, 0},
        {256, 56, 64, 1, 1, 1, 1},  {128, 28, 512, 1, 1, 1, 0}, {512, 14, 512, 1, 1, 1, 1},
        {1024, 7, 256, 1, 1, 1, 0}, {96, 55, 16, 1, 1, 1, 1},  {16, 55, 64, 3, 1, 1, 1},
        {8, 20, 8, 3, 1, 1, 1},     {32, 40, 32, 3, 1, 4, 1},  {24, 10, 24, 1, 1, 1, 0},
        {16, 160, 32, 3, 2, 1, 1},  {256, 7, 10, 1, 1, 1, 0},  {48, 28, 48, 5, 1, 1, 1},
        {64, 32, 64, 3, 1, 2, 1},   {320, 7, 1280, 1, 1, 1, 1}, {58, 28, 58, 1, 1, 1, 1},
        {116, 14, 116, 1, 1, 1, 0}, {232, 7, 232, 1, 1, 1, 1}, {24, 56, 24, 1, 1, 1, 0},
        {16, 80, 16, 3, 1, 1, 1},   {40, 40, 40, 3, 1, 1, 1},  {32, 26, 64, 3, 2, 1, 1},
        /* with SiLU (YOLO-like) and HardSwish (MobileNetV3-like) */
        {16, 104, 32, 3, 2, 1, 2},  {32, 52, 32, 1, 1, 1, 2},  {64, 26, 64, 3, 1, 1, 2},
        {128, 13, 128, 1, 1, 1, 2}, {24, 52, 24, 3, 1, 1, 2},  {256, 13, 64, 1, 1, 1, 2},
        {12, 208, 16, 3, 1, 1, 2},  {40, 28, 120, 1, 1, 1, 3}, {16, 56, 64, 1, 1, 1, 3},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        conv(b, t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], (int)t[i][6]);
    /* depthwise: channels, map, kernel, stride, activation */
    static const int64_t dw[][5] = {
        {32, 112, 3, 1, 1}, {96, 112, 3, 2, 1}, {144, 56, 3, 1, 1}, {192, 28, 3, 1, 0},
        {384, 14, 3, 1, 1}, {576, 14, 3, 2, 1}, {960, 7, 3, 1, 0}, {72, 56, 5, 2, 1},
        {120, 28, 5, 1, 0}, {16, 8, 3, 1, 1},   {672, 14, 5, 1, 1}, {64, 52, 3, 1, 2},
        {128, 26, 3, 2, 2}, {240, 14, 5, 1, 3}, {32, 104, 3, 1, 2},
    };
    for (size_t i = 0; i < sizeof dw / sizeof dw[0]; i++)
        conv(b, dw[i][0], dw[i][1], dw[i][0], dw[i][2], dw[i][3], dw[i][0], (int)dw[i][4]);
    /* ConvTranspose: c, map, m, kernel, stride, padding */
    static const int64_t ct[][6] = {
        {96, 40, 96, 2, 2, 0}, {24, 160, 24, 2, 2, 0}, {64, 20, 64, 4, 2, 1},
        {32, 80, 32, 3, 2, 1}, {16, 56, 8, 2, 2, 0},
    };
    for (size_t i = 0; i < sizeof ct / sizeof ct[0]; i++)
        convt(b, ct[i][0], ct[i][1], ct[i][2], ct[i][3], ct[i][4], ct[i][5]);
}

static void
gemms(Builder *b)
{
    /* Gemm: a row of k features to n outputs (a classifier) */
    static const int64_t fc[][3] = {{1, 1024, 1000}, {1, 512, 10}, {1, 2048, 1000}, {8, 256, 256}};
    for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++) {
        ValId x = input(b, 2, (int64_t[]){fc[i][0], fc[i][1]});
        ValId w = constant(b, DT_F32, 2, (int64_t[]){fc[i][2], fc[i][1]}, 0);
        ValId c = constant(b, DT_F32, 1, (int64_t[]){fc[i][2]}, 0);
        NodeId n = step(b, OP_GEMM, 3, (ValId[]){x, w, c}, 1);
        if (n != NONE)
            b->g->node[n].attr->gemm.trans_b = 1;
    }
    /* MatMul: batch, m, k, n (both operands inputs, as in attention) */
    static const int64_t mm[][4] = {
        {1, 64, 64, 64},   {4, 40, 64, 64},   {1, 196, 768, 768}, {8, 49, 32, 49},
        {1, 256, 256, 256}, {12, 40, 40, 64}, {1, 16, 128, 16},
    };
    for (size_t i = 0; i < sizeof mm / sizeof mm[0]; i++) {
        ValId x = input(b, 3, (int64_t[]){mm[i][0], mm[i][1], mm[i][2]});
        ValId y = input(b, 3, (int64_t[]){mm[i][0], mm[i][2], mm[i][3]});
        step(b, OP_MATMUL, 2, (ValId[]){x, y}, 1);
    }
}

static void
eltwise(Builder *b)
{
    static const int64_t size[][4] = {
        {1, 16, 8, 8}, {1, 32, 28, 28}, {1, 64, 56, 56}, {1, 128, 112, 112},
    };
    static const OpKind un[] = {OP_RELU, OP_SIGMOID, OP_HARDSIGMOID, OP_LEAKYRELU, OP_EXP,
                                OP_TANH, OP_HARDSWISH, OP_ERF, OP_SQRT};
    static const OpKind bin[] = {OP_ADD, OP_MUL, OP_DIV, OP_SUB, OP_POW};
    for (size_t s = 0; s < sizeof size / sizeof size[0]; s++) {
        const int64_t *d = size[s];
        for (size_t i = 0; i < sizeof un / sizeof un[0]; i++)
            unary(b, un[i], 4, d);
        for (size_t i = 0; i < sizeof bin / sizeof bin[0]; i++)
            binary(b, bin[i], 4, d, 0);
        binary(b, OP_ADD, 4, d, 1);
        binary(b, OP_MUL, 4, d, 1);
        binary(b, OP_SUM, 4, d, 0);     /* a residual sum, as some exporters write it */
        ValId lo = constant(b, DT_F32, 0, NULL, 0), hi = constant(b, DT_F32, 0, NULL, 6);
        step(b, OP_CLIP, 3, (ValId[]){input(b, 4, d), lo, hi}, 1);
    }
}

/* a pool of c channels on an s x s map, kernel k, stride st, padding p on every side */
static void
pool(Builder *b, OpKind op, int64_t c, int64_t s, int64_t k, int64_t st, int64_t p)
{
    NodeId n = unary(b, op, 4, (int64_t[]){1, c, s, s});
    if (n == NONE || op == OP_GLOBALAVERAGEPOOL)
        return;
    PoolAttr *a = &b->g->node[n].attr->pool;
    a->kernel = (Ints){2, ints(b, 2, (int64_t[]){k, k})};
    a->strides = (Ints){2, ints(b, 2, (int64_t[]){st, st})};
    a->pads = (Ints){4, ints(b, 4, (int64_t[]){p, p, p, p})};
}

static void
reduces(Builder *b)
{
    /* op, channels, map, kernel, stride, padding */
    static const int64_t pl[][6] = {
        {OP_MAXPOOL, 64, 112, 3, 2, 1},       {OP_MAXPOOL, 16, 32, 2, 2, 0},
        {OP_MAXPOOL, 64, 20, 5, 1, 2},        {OP_MAXPOOL, 64, 20, 9, 1, 4},
        {OP_MAXPOOL, 64, 20, 13, 1, 6},       {OP_MAXPOOL, 128, 56, 3, 2, 0},
        {OP_AVERAGEPOOL, 32, 28, 3, 1, 1},    {OP_AVERAGEPOOL, 256, 14, 3, 1, 1},
        {OP_AVERAGEPOOL, 512, 7, 7, 1, 0},    {OP_AVERAGEPOOL, 64, 28, 2, 2, 0},
        {OP_GLOBALAVERAGEPOOL, 512, 7, 0, 0, 0}, {OP_GLOBALAVERAGEPOOL, 64, 8, 0, 0, 0},
        {OP_GLOBALAVERAGEPOOL, 1280, 7, 0, 0, 0}, {OP_GLOBALAVERAGEPOOL, 256, 56, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof pl / sizeof pl[0]; i++)
        pool(b, (OpKind)pl[i][0], pl[i][1], pl[i][2], pl[i][3], pl[i][4], pl[i][5]);
    static const int64_t sm[][3] = {{1, 1, 1000}, {8, 196, 196}, {4, 40, 40}, {1, 64, 4096}};
    for (size_t i = 0; i < sizeof sm / sizeof sm[0]; i++) {
        unary(b, OP_SOFTMAX, 3, sm[i]);
        ValId ax = ivec(b, 1, (int64_t[]){-1});
        step(b, OP_REDUCEMEAN, 2, (ValId[]){input(b, 3, sm[i]), ax}, 1);
        ValId g = constant(b, DT_F32, 1, (int64_t[]){sm[i][2]}, 1);
        ValId be = constant(b, DT_F32, 1, (int64_t[]){sm[i][2]}, 0);
        NodeId n = step(b, OP_LAYERNORMALIZATION, 3, (ValId[]){input(b, 3, sm[i]), g, be}, 1);
        if (n != NONE)
            b->g->node[n].attr->norm.axis = -1;
    }
}

static void
moves(Builder *b)
{
    static const int64_t size[][4] = {
        {1, 16, 8, 8}, {1, 64, 28, 28}, {1, 64, 56, 56}, {1, 128, 80, 80},
    };
    for (size_t s = 0; s < sizeof size / sizeof size[0]; s++) {
        const int64_t *d = size[s];
        NodeId n = unary(b, OP_TRANSPOSE, 4, d);
        if (n != NONE)
            b->g->node[n].attr->perm.perm = (Ints){4, ints(b, 4, (int64_t[]){0, 2, 3, 1})};
        /* a channel shuffle: blocks of a whole map */
        n = unary(b, OP_TRANSPOSE, 5, (int64_t[]){1, 2, d[1] / 2, d[2], d[3]});
        if (n != NONE)
            b->g->node[n].attr->perm.perm = (Ints){5, ints(b, 5, (int64_t[]){0, 2, 1, 3, 4})};
        ValId x = input(b, 4, d);
        if ((n = step(b, OP_CONCAT, 2, (ValId[]){x, x}, 1)) != NONE)
            b->g->node[n].attr->axis.axis = 1;
        ValId st = ivec(b, 1, (int64_t[]){0}), en = ivec(b, 1, (int64_t[]){d[1] / 2});
        ValId ax = ivec(b, 1, (int64_t[]){1});
        step(b, OP_SLICE, 4, (ValId[]){x, st, en, ax}, 1);
        /* every other column, as a YOLO focus layer takes them */
        ValId st3 = ivec(b, 1, (int64_t[]){0}), en3 = ivec(b, 1, (int64_t[]){d[3]});
        ValId ax3 = ivec(b, 1, (int64_t[]){3}), two = ivec(b, 1, (int64_t[]){2});
        step(b, OP_SLICE, 5, (ValId[]){x, st3, en3, ax3, two}, 1);
        ValId idx = ivec(b, 4, (int64_t[]){0, 3, 1, 2});
        if ((n = step(b, OP_GATHER, 2, (ValId[]){x, idx}, 1)) != NONE)
            b->g->node[n].attr->axis.axis = 1;
        ValId shape = ivec(b, 2, (int64_t[]){1, -1});
        step(b, OP_RESHAPE, 2, (ValId[]){x, shape}, 1);
        ValId pads = ivec(b, 8, (int64_t[]){0, 0, 1, 1, 0, 0, 1, 1});
        step(b, OP_PAD, 2, (ValId[]){x, pads}, 1);
        ValId sc = constant(b, DT_F32, 1, (int64_t[]){4}, 2);
        if (sc != NONE)
            ((float *)b->g->val[sc].data)[0] = ((float *)b->g->val[sc].data)[1] = 1;
        step(b, OP_RESIZE, 3, (ValId[]){x, NONE, sc}, 1);
    }
}

/* A new graph for b (NULL: out of memory) */
static Graph *
begin(Builder *b, const char *name, const Target *t)
{
    *b = (Builder){ir_graph_new(name), t, 1, {NONE, NONE, NONE}, 0};
    Graph *g = b->g;
    if (!g)
        return NULL;
    g->opset = 17;
    g->ir_version = 8;
    g->name = name;
    g->input = ir_galloc(g, MAXIO * sizeof(ValId));
    g->output = ir_galloc(g, MAXIO * sizeof(ValId));
    b->fail = !g->input || !g->output;
    return g;
}

/* b's graph with its shapes inferred, or NULL (freed) with the reason in d, or with d untouched
 * when no probe runs on the processor */
static Graph *
finish(Builder *b, Diag *d)
{
    if (b->fail || b->g->noutput == 0) {
        ir_graph_free(b->g);
        return b->fail ? (diag_oom(d), NULL) : NULL;
    }
    if (ir_infer(b->g, d) < 0) {
        ir_graph_free(b->g);
        return NULL;
    }
    return b->g;
}

Graph *
probe_graph(const Target *t1, Diag *d)
{
    Builder b;
    if (!begin(&b, "probe", t1))
        return diag_oom(d), NULL;
    convs(&b);
    gemms(&b);
    eltwise(&b);
    reduces(&b);
    moves(&b);
    return finish(&b, d);
}

/* A chain of n small Relu steps, alternating between the processors of t2 (one or two) by
 * --place rules (rule[] gets the rules, names in names[]): the executor's cost per step, and
 * its handoff between lanes, are what it measures. */
Graph *
probe_pingpong(int n, int64_t width, PlaceRule *rule, char (*names)[16], const Target *t2,
               Diag *d)
{
    Builder b;
    Graph *g = begin(&b, "pingpong", t2);
    if (!g)
        return diag_oom(d), NULL;
    b.warm = 0;
    ValId x = input(&b, 2, (int64_t[]){1, width});
    for (int i = 0; i < n && !b.fail; i++) {
        NodeId k = step(&b, OP_RELU, 1, (ValId[]){x}, i == n - 1 ? -1 : 0);
        if (k == NONE)
            break;
        x = g->node[k].out[0];
        snprintf(names[i], sizeof names[i], "p%d", k);
        rule[i] = (PlaceRule){names[i], t2->proc[i % t2->nproc].id};
    }
    return finish(&b, d);
}

/* ---- compiling and running ---------------------------------------------------------------- */

int
probe_compile(Graph *g, const Target *t, const PlanOptions *o, const char *dir,
              const char *name, Plan *p, Diag *d)
{
    if (pass_pipeline(g, t, o, NULL, NULL, p, d) < 0)
        return -1;
    CgOptions co = {dir, name, "probe", o->strategy, NULL, 1, 0};
    return cg_compile(g, p, &co, d);
}

/* Starts DIR/NAME with args, stdout into DIR/NAME.out and stderr into DIR/NAME.err. */
pid_t
probe_spawn(const char *dir, const char *name, const char *const *args, Diag *d)
{
    char exe[1100], out[1100], err[1100];
    snprintf(exe, sizeof exe, "%s/%s", dir, name);
    snprintf(out, sizeof out, "%s/%s.out", dir, name);
    snprintf(err, sizeof err, "%s/%s.err", dir, name);
    const char *argv[32];
    int n = 0;
    argv[n++] = exe;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        diag_env(d, "cannot run %s: %s", exe, strerror(rc));
        return -1;
    }
    return pid;
}

/* Waits for pid at most limit_s seconds (then kills it): 0 when it exited with status 0. */
int
probe_wait(pid_t pid, double limit_s, const char *what, Diag *d)
{
    struct timespec t0, now, nap = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
            return diag_env(d, "probe %s failed (%s %d)", what,
                            WIFEXITED(st) ? "exit status" : "signal",
                            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        }
        if (r < 0 && errno != EINTR)
            return diag_env(d, "probe %s: waitpid: %s", what, strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - t0.tv_nsec) >
            limit_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return diag_env(d, "probe %s did not finish within %.0f s", what, limit_s);
        }
        nanosleep(&nap, NULL);
    }
}

int
probe_run(const char *dir, const char *name, const ProbeRun *r, Measured *m, Diag *d)
{
    char iters[16], warmup[16], threads[16], trace[1100];
    snprintf(iters, sizeof iters, "%d", r->iters);
    snprintf(warmup, sizeof warmup, "%d", r->warmup);
    snprintf(threads, sizeof threads, "%d", r->threads > 0 ? r->threads : 1);
    snprintf(trace, sizeof trace, "%s/%s.trace.json", dir, name);
    const char *args[] = {"--iters", iters, "--warmup", warmup, "--threads", threads,
                          "--trace", trace, "--json", NULL};
    pid_t pid = probe_spawn(dir, name, args, d);
    if (pid < 0 || probe_wait(pid, 300, name, d) < 0)
        return -1;
    if (cost_measured_load(m, trace, d) < 0) {
        d->kind = DIAG_ENV;     /* a trace the probe wrote itself */
        return -1;
    }
    return 0;
}
