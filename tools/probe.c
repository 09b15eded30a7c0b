/*
 * probe.c: the probe graphs of hetc profile and how they are built and run.
 *
 * A probe graph is made in memory with the IR API: many independent steps, each reading graph
 * inputs (and zero-filled constant weights) and writing a graph output, of the shapes real CNNs
 * and transformers have: convolutions 1x1, 3x3, 5x5, 7x7 (first layers with 3 channels, strides
 * 1 and 2, grouped, with a fused Relu as models have them), depthwise, Gemm and MatMul (batched
 * too), elementwise ops, pools, reductions, Softmax, LayerNormalization and data movement, from
 * launch-bound to compute- or bandwidth-bound sizes. The graph is planned with the normal
 * pipeline on a copy of the target that holds the one processor measured, compiled with
 * cg_compile into a temporary folder and run as a child: `probe --warmup W --iters N --trace
 * T.json --json`; cost_measured_load reads each step's median from the trace and cost_work the
 * step's work from the planned graph, so what is fitted is exactly what the cost model sees.
 */
#include "profile.h"

#include "codegen/codegen.h"
#include "passes/cost.h"
#include "passes/fit.h"
#include "args.h"
#include "ir/json.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
    int quick;
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
    if (b->fail || !(b->t->proc[0].can[op] & (1u << DT_F32)) || in[0] == NONE)
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
    /* c, map, m, k, stride, groups, activation (conv), in the quick set */
    static const int64_t t[][8] = {
        {3, 224, 32, 3, 2, 1, 1, 1},   {3, 224, 64, 7, 2, 1, 1, 0},  {3, 160, 16, 5, 2, 1, 1, 0},
        {3, 64, 16, 3, 1, 1, 0, 1},    {16, 112, 16, 1, 1, 1, 1, 0}, {32, 112, 64, 1, 1, 1, 1, 1},
        {64, 56, 64, 3, 1, 1, 1, 1},   {64, 56, 128, 3, 2, 1, 1, 0}, {128, 28, 128, 3, 1, 1, 1, 1},
        {256, 14, 256, 3, 1, 1, 1, 0}, {512, 7, 512, 3, 1, 1, 1, 1}, {64, 56, 256, 1, 1, 1, 0, 1},
        {256, 56, 64, 1, 1, 1, 1, 0},  {128, 28, 512, 1, 1, 1, 0, 0}, {512, 14, 512, 1, 1, 1, 1, 1},
        {1024, 7, 256, 1, 1, 1, 0, 0}, {96, 55, 16, 1, 1, 1, 1, 1},  {16, 55, 64, 3, 1, 1, 1, 0},
        {8, 20, 8, 3, 1, 1, 1, 1},     {32, 40, 32, 3, 1, 4, 1, 0},  {24, 10, 24, 1, 1, 1, 0, 1},
        {16, 160, 32, 3, 2, 1, 1, 0},  {256, 7, 10, 1, 1, 1, 0, 1},  {48, 28, 48, 5, 1, 1, 1, 0},
        {64, 32, 64, 3, 1, 2, 1, 1},   {320, 7, 1280, 1, 1, 1, 1, 0}, {58, 28, 58, 1, 1, 1, 1, 1},
        {116, 14, 116, 1, 1, 1, 0, 0}, {232, 7, 232, 1, 1, 1, 1, 1}, {24, 56, 24, 1, 1, 1, 0, 0},
        {16, 80, 16, 3, 1, 1, 1, 0},   {40, 40, 40, 3, 1, 1, 1, 1},  {32, 26, 64, 3, 2, 1, 1, 0},
        /* with SiLU (YOLO-like) and HardSwish (MobileNetV3-like) */
        {16, 104, 32, 3, 2, 1, 2, 1},  {32, 52, 32, 1, 1, 1, 2, 1},  {64, 26, 64, 3, 1, 1, 2, 0},
        {128, 13, 128, 1, 1, 1, 2, 1}, {24, 52, 24, 3, 1, 1, 2, 0},  {256, 13, 64, 1, 1, 1, 2, 0},
        {12, 208, 16, 3, 1, 1, 2, 0},  {40, 28, 120, 1, 1, 1, 3, 1}, {16, 56, 64, 1, 1, 1, 3, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!b->quick || t[i][7])
            conv(b, t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], (int)t[i][6]);
    /* depthwise: channels, map, kernel, stride, activation, quick */
    static const int64_t dw[][6] = {
        {32, 112, 3, 1, 1, 1}, {96, 112, 3, 2, 1, 0}, {144, 56, 3, 1, 1, 1}, {192, 28, 3, 1, 0, 0},
        {384, 14, 3, 1, 1, 1}, {576, 14, 3, 2, 1, 0}, {960, 7, 3, 1, 0, 1}, {72, 56, 5, 2, 1, 1},
        {120, 28, 5, 1, 0, 0}, {16, 8, 3, 1, 1, 1},   {672, 14, 5, 1, 1, 0}, {64, 52, 3, 1, 2, 1},
        {128, 26, 3, 2, 2, 0}, {240, 14, 5, 1, 3, 0}, {32, 104, 3, 1, 2, 0},
    };
    for (size_t i = 0; i < sizeof dw / sizeof dw[0]; i++)
        if (!b->quick || dw[i][5])
            conv(b, dw[i][0], dw[i][1], dw[i][0], dw[i][2], dw[i][3], dw[i][0], (int)dw[i][4]);
}

static void
gemms(Builder *b)
{
    /* Gemm: a row of k features to n outputs (a classifier) */
    static const int64_t fc[][3] = {{1, 1024, 1000}, {1, 512, 10}, {1, 2048, 1000}, {8, 256, 256}};
    for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++) {
        if (b->quick && i % 2)
            continue;
        ValId x = input(b, 2, (int64_t[]){fc[i][0], fc[i][1]});
        ValId w = constant(b, DT_F32, 2, (int64_t[]){fc[i][2], fc[i][1]}, 0);
        ValId c = constant(b, DT_F32, 1, (int64_t[]){fc[i][2]}, 0);
        NodeId n = step(b, OP_GEMM, 3, (ValId[]){x, w, c}, 1);
        if (n != NONE)
            b->g->node[n].attr->gemm.trans_b = 1;
    }
    /* MatMul: batch, m, k, n (both operands inputs, as in attention) */
    static const int64_t mm[][5] = {
        {1, 64, 64, 64, 1},   {4, 40, 64, 64, 1},   {1, 196, 768, 768, 0}, {8, 49, 32, 49, 1},
        {1, 256, 256, 256, 0}, {12, 40, 40, 64, 0}, {1, 16, 128, 16, 1},
    };
    for (size_t i = 0; i < sizeof mm / sizeof mm[0]; i++) {
        if (b->quick && !mm[i][4])
            continue;
        ValId x = input(b, 3, (int64_t[]){mm[i][0], mm[i][1], mm[i][2]});
        ValId y = input(b, 3, (int64_t[]){mm[i][0], mm[i][2], mm[i][3]});
        step(b, OP_MATMUL, 2, (ValId[]){x, y}, 1);
    }
}

static void
eltwise(Builder *b)
{
    static const int64_t size[][5] = {
        {1, 16, 8, 8, 1}, {1, 32, 28, 28, 1}, {1, 64, 56, 56, 1}, {1, 128, 112, 112, 0},
    };
    static const OpKind un[] = {OP_RELU, OP_SIGMOID, OP_HARDSIGMOID, OP_LEAKYRELU, OP_EXP,
                                OP_TANH, OP_HARDSWISH, OP_ERF, OP_SQRT};
    static const OpKind bin[] = {OP_ADD, OP_MUL, OP_DIV, OP_SUB, OP_POW};
    for (size_t s = 0; s < sizeof size / sizeof size[0]; s++) {
        if (b->quick && !size[s][4])
            continue;
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
    /* op, channels, map, kernel, stride, padding, quick */
    static const int64_t pl[][7] = {
        {OP_MAXPOOL, 64, 112, 3, 2, 1, 1},       {OP_MAXPOOL, 16, 32, 2, 2, 0, 1},
        {OP_MAXPOOL, 64, 20, 5, 1, 2, 1},        {OP_MAXPOOL, 64, 20, 9, 1, 4, 0},
        {OP_MAXPOOL, 64, 20, 13, 1, 6, 0},       {OP_MAXPOOL, 128, 56, 3, 2, 0, 0},
        {OP_AVERAGEPOOL, 32, 28, 3, 1, 1, 1},    {OP_AVERAGEPOOL, 256, 14, 3, 1, 1, 0},
        {OP_AVERAGEPOOL, 512, 7, 7, 1, 0, 1},    {OP_AVERAGEPOOL, 64, 28, 2, 2, 0, 0},
        {OP_GLOBALAVERAGEPOOL, 512, 7, 0, 0, 0, 1}, {OP_GLOBALAVERAGEPOOL, 64, 8, 0, 0, 0, 1},
        {OP_GLOBALAVERAGEPOOL, 1280, 7, 0, 0, 0, 0}, {OP_GLOBALAVERAGEPOOL, 256, 56, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof pl / sizeof pl[0]; i++)
        if (!b->quick || pl[i][6])
            pool(b, (OpKind)pl[i][0], pl[i][1], pl[i][2], pl[i][3], pl[i][4], pl[i][5]);
    static const int64_t sm[][3] = {{1, 1, 1000}, {8, 196, 196}, {4, 40, 40}, {1, 64, 4096}};
    for (size_t i = 0; i < sizeof sm / sizeof sm[0]; i++) {
        if (b->quick && i % 2)
            continue;
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
    static const int64_t size[][5] = {
        {1, 16, 8, 8, 1}, {1, 64, 28, 28, 1}, {1, 64, 56, 56, 1}, {1, 128, 80, 80, 0},
    };
    for (size_t s = 0; s < sizeof size / sizeof size[0]; s++) {
        if (b->quick && !size[s][4])
            continue;
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
begin(Builder *b, const char *name, const Target *t, int quick)
{
    *b = (Builder){ir_graph_new(name), t, quick, 1, {NONE, NONE, NONE}, 0};
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

/* b's graph with its shapes inferred, or NULL with the reason in d (freed) */
static Graph *
finish(Builder *b, Diag *d)
{
    if (b->fail || b->g->noutput == 0) {
        ir_graph_free(b->g);
        return diag_oom(d), NULL;
    }
    if (ir_infer(b->g, d) < 0) {
        ir_graph_free(b->g);
        return NULL;
    }
    return b->g;
}

Graph *
probe_graph(const Target *t1, int quick, Diag *d)
{
    Builder b;
    if (!begin(&b, "probe", t1, quick))
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
probe_pingpong(int n, PlaceRule *rule, char (*names)[16], const Target *t2, Diag *d)
{
    Builder b;
    Graph *g = begin(&b, "pingpong", t2, 0);
    if (!g)
        return diag_oom(d), NULL;
    b.warm = 0;
    ValId x = input(&b, 2, (int64_t[]){1, 16});
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
    CgOptions co = {dir, name, "probe", o->strategy, 1, 0};
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

/* ---- measuring ------------------------------------------------------------------------------ */

typedef struct Sample {
    FitSample s;
    CostClass cls;
    int op;
    int to_dev;                 /* a Copy: 1 from the host's memory, 0 to it */
} Sample;

typedef struct Meas {
    Target *t;
    const ProfileOptions *o;
    char dir[1024];             /* the temporary folder */
    Diag d;
    int nrun, run;              /* runs planned, done: the progress bar */
    const char *what;
    struct timespec t0;
    double over[TG_MAXPROC];    /* per processor: the executor's cost per step beyond the
                                 * steps' own times, from the run's wall time */
    Sample *sample;             /* scratch */
    int nsample, csample;
} Meas;

static const char *const class_name[CC_COUNT] = {
    "conv", "depthwise", "gemm", "eltwise", "reduce", "move", "copy",
};

/* The bar on a terminal, else a line per phase. */
static void
show(Meas *ms, const char *what)
{
    ms->what = what;
    if (isatty(2)) {
        int w = 30, k = ms->nrun ? w * ms->run / ms->nrun : 0;
        char bar[64];
        for (int i = 0; i < w; i++)
            bar[i] = i < k ? '=' : i == k ? '>' : ' ';
        bar[w] = 0;
        fprintf(stderr, "\r\033[K[%s] %s", bar, what);
    } else {
        fprintf(stderr, "hetc profile: %s\n", what);
    }
    fflush(stderr);
}

static void
done_bar(void)
{
    if (isatty(2))
        fputs("\r\033[K", stderr);
}

/* The one-processor copy of t for measuring processor p: its space and links kept, figures
 * dropped. Owned; free(). */
static Target *
alone(const Target *t, int p, int q)
{
    Target *t1 = malloc(sizeof *t1);
    if (!t1)
        return NULL;
    *t1 = *t;
    t1->nproc = q < 0 ? 1 : 2;
    t1->proc[0] = t->proc[p];
    if (q >= 0)
        t1->proc[1] = t->proc[q];
    t1->ncont = 0;
    for (int i = 0; i < t1->nproc; i++)
        t1->proc[i].nrate = 0, t1->proc[i].launch_us = t1->proc[i].sync_us = 0;
    return t1;
}

/* The samples of run m on the planned graph g (processor 0 of t1), appended to ms. */
static int
collect(Meas *ms, const Graph *g, const Target *t1, Measured *m)
{
    for (NodeId k = 0; k < g->nnode; k++) {
        if (g->node[k].name[0] != 'p' && g->node[k].op != OP_COPY)
            continue;   /* a warming step or a sink */
        double us = cost_measured_us(m, g, k, t1, 0);
        if (!(us > 0))
            continue;
        if (ms->nsample == ms->csample) {
            int c = ms->csample ? 2 * ms->csample : 256;
            Sample *s = realloc(ms->sample, (size_t)c * sizeof *s);
            if (!s)
                return diag_oom(&ms->d);
            ms->sample = s, ms->csample = c;
        }
        Work w = cost_work(g, k);
        const Node *x = &g->node[k];
        ms->sample[ms->nsample++] = (Sample){{us, w.flops, w.bytes, w.m, w.n, w.k}, w.cls, w.op,
                                            x->in[0] != NONE && g->val[x->in[0]].def == NONE};
    }
    return 0;
}

static double
median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median relative error of r over the samples s[0, n). */
static double
fit_error(const Rate *r, const FitSample *s, int n)
{
    double *e = malloc((size_t)(n ? n : 1) * sizeof *e);
    if (!e)
        return 0;
    for (int i = 0; i < n; i++)
        e[i] = fabs(fit_predict(r, &s[i]) - s[i].us) / s[i].us;
    double v = median(e, n);
    free(e);
    return v;
}

/* Adds rate r to p (when there is room) and says so in the report. */
static void
add_rate(Meas *ms, Proc *p, const Rate *r, double err, int n)
{
    if (p->nrate == TG_MAXRATE)
        return;
    p->rate[p->nrate++] = *r;
    if (!ms->o->report)
        return;
    fprintf(ms->o->report, "%s %-9s %-12s threads %d: %8.2f GFLOP/s %8.2f GB/s launch %6.2f us"
            "  (%d probes, median error %.1f%%)\n", p->id, class_name[r->cls],
            r->op >= 0 ? ir_op[r->op].onnx : "", r->threads, r->gflops, r->gbps, r->launch_us, n,
            100 * err);
}

/* Fits p's rates at one thread count to the samples of ms: one per class, and one per op where
 * the class's misses that op's probes by more than 12% (median). */
static void
fit_proc(Meas *ms, Proc *p, int threads)
{
    FitSample *fs = malloc((size_t)(ms->nsample ? ms->nsample : 1) * sizeof *fs);
    if (!fs)
        return;
    Rate have[CC_COUNT];
    int has[CC_COUNT] = {0};
    for (int c = 0; c < CC_COUNT; c++) {
        int n = 0;
        for (int i = 0; i < ms->nsample; i++)
            if (ms->sample[i].cls == (CostClass)c)
                fs[n++] = ms->sample[i].s;
        Rate r = {(CostClass)c, -1, threads, 0, 0, 0, 0, 0, 0, 0};
        if (c == CC_COPY || fit_rate(fs, n, c == CC_CONV || c == CC_GEMM, &r) < 0)
            continue;
        has[c] = 1, have[c] = r;
        add_rate(ms, p, &r, fit_error(&r, fs, n), n);
        /* ops of the class that the class's rate misses */
        for (int op = 0; op < OP_COUNT; op++) {
            int k = 0;
            for (int i = 0; i < ms->nsample; i++)
                if (ms->sample[i].cls == (CostClass)c && ms->sample[i].op == op)
                    fs[k++] = ms->sample[i].s;
            if (k < 3 || k == n || fit_error(&r, fs, k) < 0.12)
                continue;
            Rate ro = {(CostClass)c, op, threads, 0, 0, 0, 0, 0, 0, 0};
            if (fit_rate(fs, k, c == CC_CONV || c == CC_GEMM, &ro) == 0)
                add_rate(ms, p, &ro, fit_error(&ro, fs, k), k);
        }
    }
    /* classes no probe measured: a copy within one memory moves bytes as a move does; the
     * rest (a processor that cannot run them) as its elementwise ops */
    for (int c = 0; c < CC_COUNT; c++) {
        if (has[c])
            continue;
        int from = c == CC_COPY && has[CC_MOVE] ? CC_MOVE : has[CC_ELTWISE] ? CC_ELTWISE : -1;
        for (int i = 0; from < 0 && i < CC_COUNT; i++)
            if (has[i])
                from = i;
        if (from < 0)
            break;
        Rate r = have[from];
        r.cls = (CostClass)c;
        r.op = -1;
        if (r.gbps == 0)
            r.gbps = 20;    /* a copy needs a memory term */
        if (p->nrate < TG_MAXRATE)
            p->rate[p->nrate++] = r;
    }
    free(fs);
}

/* A link's figures from the copy probes: the host to the device and back. */
static void
fit_link(Meas *ms, Target *t, int p)
{
    Link *l = NULL;
    for (int i = 0; i < t->nlink; i++)
        if (!t->link[i].zero_copy && ((t->link[i].a == 0 && t->link[i].b == t->proc[p].space) ||
                                      (t->link[i].b == 0 && t->link[i].a == t->proc[p].space)))
            l = &t->link[i];
    FitSample *fs = malloc((size_t)(ms->nsample ? ms->nsample : 1) * sizeof *fs);
    for (int dir = 0; l && fs && dir < 2; dir++) {
        int n = 0;
        for (int i = 0; i < ms->nsample; i++)
            if (ms->sample[i].cls == CC_COPY && ms->sample[i].to_dev == (dir == 0))
                fs[n++] = ms->sample[i].s;
        Rate r = {CC_COPY, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        if (fit_rate(fs, n, 0, &r) < 0 || r.gbps <= 0)
            continue;
        int forward = (dir == 0) == (l->a == 0);
        *(forward ? &l->gbps : &l->back_gbps) = r.gbps;
        *(forward ? &l->latency_us : &l->back_latency_us) = r.launch_us;
        if (ms->o->report)
            fprintf(ms->o->report, "link %s-%s %s: %.2f GB/s, latency %.1f us (%d copies, median "
                    "error %.1f%%)\n", t->space[l->a].id, t->space[l->b].id,
                    dir == 0 ? "to the device" : "to the host", r.gbps, r.launch_us, n,
                    100 * fit_error(&r, fs, n));
    }
    free(fs);
}

/* The run's median wall time in microseconds from the binary's --json line
 * ({"latency_ms": {"median": ...}, ...}), or -1. */
static double
run_us(const char *dir, const char *name)
{
    char path[1100], text[4096], err[128];
    snprintf(path, sizeof path, "%s/%s.out", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *open = strchr(text, '{');
    Json *j = open ? json_parse(open, strlen(open), err, sizeof err, NULL) : NULL;
    const Json *v = json_get(json_get(j, "latency_ms"), "median");
    double us = v && v->type == JS_NUM ? v->num * 1e3 : -1;
    json_free(j);
    return us;
}

/* The thread counts cpu processor p is measured at: 1, 2, 4 and its most (its threads, or its
 * cores, or the host's), those not above the most; its own threads alone for an OpenCL
 * processor (0: the device's). At most 4, so that its rates fit TG_MAXRATE. */
static int
thread_counts(const Proc *p, const TargetHost *host, int *tc)
{
    if (p->backend != PB_CPU) {
        tc[0] = p->threads;
        return 1;
    }
    int max = p->threads > 0 ? p->threads : p->ncore > 0 ? p->ncore : host->ncpu;
    int n = 0;
    for (int k = 1; k < max && k <= 4; k *= 2)
        tc[n++] = k;
    tc[n++] = max > 0 ? max : 1;
    return n;
}

static int
real(const Proc *p)
{
    return p->backend == PB_CPU || p->backend == PB_OPENCL;
}

/* One processor: its probe binary, a run per thread count, the fits. */
static int
measure_proc(Meas *ms, const TargetHost *host, int p)
{
    Target *t = ms->t;
    Proc *pr = &t->proc[p];
    Target *t1 = alone(t, p, -1);
    if (!t1)
        return diag_oom(&ms->d);
    char name[32], msg[256];
    snprintf(name, sizeof name, "probe%d", p);
    snprintf(msg, sizeof msg, "%s: building the probes", pr->id);
    show(ms, msg);
    PlanOptions po = {pr->backend == PB_CPU ? "cpu" : "gpu", 1, NULL, 0, NULL};
    Plan plan;
    Graph *g = probe_graph(t1, ms->o->quick, &ms->d);
    int rc = g ? probe_compile(g, t1, &po, ms->dir, name, &plan, &ms->d) : -1;
    int tc[4], ntc = thread_counts(pr, host, tc);
    for (int i = 0; rc == 0 && i < ntc; i++) {
        snprintf(msg, sizeof msg, "%s: %d probe steps at %d thread%s", pr->id, g->nnode,
                 tc[i] ? tc[i] : 1, tc[i] > 1 ? "s" : "");
        ms->run++;
        show(ms, msg);
        ProbeRun r = {ms->o->quick ? 2 : 3, ms->o->quick ? 5 : 15, tc[i]};
        Measured m = {0};
        if ((rc = probe_run(ms->dir, name, &r, &m, &ms->d)) < 0)
            break;
        ms->nsample = 0;
        rc = collect(ms, g, t1, &m);
        fit_proc(ms, pr, pr->backend == PB_CPU ? tc[i] : pr->threads);
        if (i == 0)
            fit_link(ms, t, p);
        cost_measured_free(&m);
    }
    /* the launch common to every class is the processor's */
    double low = -1;
    for (int i = 0; i < pr->nrate; i++)
        low = low < 0 || pr->rate[i].launch_us < low ? pr->rate[i].launch_us : low;
    for (int i = 0; low > 0 && i < pr->nrate; i++)
        pr->rate[i].launch_us -= low;
    pr->launch_us = low > 0 ? low : 0;
    if (g)
        ir_graph_free(g);
    free(t1);
    return rc;
}

/* The sum of the steps of a that b also has, over the sum of b's for them. */
static double
ratio(const Measured *a, const Measured *b)
{
    double sa = 0, sb = 0;
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++)
            if (strcmp(a->step[i].node, b->step[j].node) == 0 &&
                strcmp(a->step[i].proc, b->step[j].proc) == 0) {
                sa += a->step[i].us, sb += b->step[j].us;
                break;
            }
    return sb > 0 ? sa / sb : 1;
}

/* Processor a's probes while b's loop, against a's probes alone just before: the contention
 * factor of a by b (measured side by side in time, so that the load of the machine at large
 * weighs on both alike). */
static int
measure_contention(Meas *ms, int a, int b)
{
    Target *t = ms->t;
    char name_a[32], name_b[32], iters[] = "1000000", thr[16], msg[256];
    snprintf(name_a, sizeof name_a, "probe%d", a);
    snprintf(name_b, sizeof name_b, "probe%d", b);
    snprintf(thr, sizeof thr, "%d", t->proc[b].threads > 0 ? t->proc[b].threads : 1);
    snprintf(msg, sizeof msg, "%s while %s is busy", t->proc[a].id, t->proc[b].id);
    ms->run += 2;
    show(ms, msg);
    ProbeRun r = {1, ms->o->quick ? 5 : 15, t->proc[a].threads > 0 ? t->proc[a].threads : 1};
    Measured alone_m = {0}, m = {0};
    if (probe_run(ms->dir, name_a, &r, &alone_m, &ms->d) < 0)
        return -1;
    const char *args[] = {"--iters", iters, "--threads", thr, NULL};
    pid_t bg = probe_spawn(ms->dir, name_b, args, &ms->d);
    if (bg < 0) {
        cost_measured_free(&alone_m);
        return -1;
    }
    struct timespec nap = {0, 300000000};
    nanosleep(&nap, NULL);      /* b under way */
    int rc = probe_run(ms->dir, name_a, &r, &m, &ms->d);
    kill(bg, SIGKILL);
    waitpid(bg, NULL, 0);
    double f = ratio(&m, &alone_m);
    cost_measured_free(&m);
    cost_measured_free(&alone_m);
    if (rc < 0)
        return -1;
    if (ms->o->report)
        fprintf(ms->o->report, "contention %s by %s: %.3f\n", t->proc[a].id, t->proc[b].id, f);
    if (f > 1.02 && t->ncont < TG_MAXLINK)
        t->cont[t->ncont++] = (Contention){a, b, f, 0};
    return 0;
}

/* A chain of small steps on processor a alone (b < 0): the executor's cost per step beyond the
 * steps' own times, added to a's launch_us. On a and b alternately: the handoff between lanes
 * beyond that, their sync_us. */
static int
measure_chain(Meas *ms, int a, int b)
{
    enum { N = 40 };
    Target *t = ms->t;
    char msg[256], name[32];
    snprintf(msg, sizeof msg, b < 0 ? "%s: the cost of a step" : "handoffs between %s and %s",
             t->proc[a].id, b < 0 ? "" : t->proc[b].id);
    snprintf(name, sizeof name, b < 0 ? "chain%d" : "pingpong", a);
    ms->run++;
    show(ms, msg);
    Target *t2 = alone(t, a, b);
    PlaceRule rule[N];
    char names[N][16];
    Graph *g = t2 ? probe_pingpong(N, rule, names, t2, &ms->d) : NULL;
    int rc = -1;
    if (g) {
        PlanOptions po = {t->proc[a].backend == PB_CPU ? "cpu" : "gpu", 1, rule, N, NULL};
        Plan plan;
        Measured m = {0};
        ProbeRun r = {ms->o->quick ? 3 : 5, ms->o->quick ? 20 : 100, 1};
        rc = probe_compile(g, t2, &po, ms->dir, name, &plan, &ms->d);
        if (rc == 0 && (rc = probe_run(ms->dir, name, &r, &m, &ms->d)) == 0) {
            double steps = 0;
            for (int i = 0; i < m.n; i++)
                steps += m.step[i].us;
            double wall = run_us(ms->dir, name);
            if (b < 0) {
                ms->over[a] = wall > steps ? (wall - steps) / N : 0;
                t->proc[a].launch_us += ms->over[a];
            } else {
                double over = N * (ms->over[a] + ms->over[b]) / 2;
                double sync = wall > steps + over ? (wall - steps - over) / (N - 1) : 0;
                t->proc[a].sync_us = t->proc[b].sync_us = sync;
            }
            if (ms->o->report && b < 0)
                fprintf(ms->o->report, "%s: %.2f us per step beyond its kernel\n",
                        t->proc[a].id, ms->over[a]);
            if (ms->o->report && b >= 0)
                fprintf(ms->o->report, "sync %s, %s: %.2f us per handoff\n", t->proc[a].id,
                        t->proc[b].id, t->proc[a].sync_us);
        }
        cost_measured_free(&m);
        ir_graph_free(g);
    }
    free(t2);
    return rc;
}

/* Removes the files of the temporary folder (one level: cg_compile writes no sub-folder)
 * and the folder. */
static void
remove_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (dp)
        closedir(dp);
    rmdir(dir);
}

/* 1 when s contains part, in any case */
static int
has(const char *s, const char *part)
{
    size_t n = strlen(part);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && tolower((unsigned char)s[i]) == tolower((unsigned char)part[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* The OpenCL devices measured, "name (platform)" joined by "; " */
static void
meta_opencl(const Target *t, const TargetHost *host, char *buf, size_t size)
{
    buf[0] = 0;
    for (int p = 0; p < t->nproc; p++) {
        const Proc *pr = &t->proc[p];
        if (pr->backend != PB_OPENCL)
            continue;
        const char *dev = pr->cl_device, *plat = pr->cl_platform;
        for (int i = host->ndev - 1; i >= 0; i--)   /* the first that matches */
            if (pr->cl_index >= 0 ? host->dev[i].index == pr->cl_index
                                  : has(host->dev[i].platform, pr->cl_platform) &&
                                        has(host->dev[i].name, pr->cl_device))
                dev = host->dev[i].name, plat = host->dev[i].platform;
        size_t k = strlen(buf);
        snprintf(buf + k, size - k, "%s%s (%s)", k ? "; " : "", dev, plat);
    }
}

int
profile_measure(Target *t, const TargetHost *host, const ProfileOptions *o, ProfileMeta *meta,
                int *status)
{
    Meas ms = {.t = t, .o = o};
    clock_gettime(CLOCK_MONOTONIC, &ms.t0);
    diag_init(&ms.d, t->file[0] ? t->file : NULL);
    int nreal = 0, first[2] = {-1, -1};
    for (int p = 0; p < t->nproc; p++)
        if (real(&t->proc[p])) {
            if (nreal < 2)
                first[nreal] = p;
            nreal++;
            int tc[4];
            ms.nrun += thread_counts(&t->proc[p], host, tc) + 1;
        }
    if (nreal == 0) {
        fprintf(stderr, "hetc profile: %s has no cpu or opencl processor to measure\n",
                t->file[0] ? t->file : "the target");
        *status = EXIT_INPUT;
        return -1;
    }
    ms.nrun += nreal > 1 ? 1 + 2 * nreal * (nreal - 1) : 0;
    const char *tmp = getenv("TMPDIR");
    snprintf(ms.dir, sizeof ms.dir, "%s/hetc-profile-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(ms.dir)) {
        fprintf(stderr, "hetc profile: cannot make a temporary folder %s: %s\n", ms.dir,
                strerror(errno));
        *status = EXIT_ENV;
        return -1;
    }
    for (int p = 0; p < t->nproc; p++)
        if (real(&t->proc[p]))
            t->proc[p].nrate = 0;
    int rc = 0;
    for (int p = 0; rc == 0 && p < t->nproc; p++)
        if (real(&t->proc[p]) && (rc = measure_proc(&ms, host, p)) == 0)
            rc = measure_chain(&ms, p, -1);
    if (rc == 0 && nreal > 1)
        rc = measure_chain(&ms, first[0], first[1]);
    int keep = 0;   /* what involves a simulated processor stays as described */
    for (int i = 0; i < t->ncont; i++)
        if (!real(&t->proc[t->cont[i].a]) || !real(&t->proc[t->cont[i].b]))
            t->cont[keep++] = t->cont[i];
    t->ncont = keep;
    for (int a = 0; rc == 0 && a < t->nproc; a++)
        for (int b = 0; rc == 0 && b < t->nproc; b++)
            if (a != b && real(&t->proc[a]) && real(&t->proc[b]))
                rc = measure_contention(&ms, a, b);
    free(ms.sample);
    done_bar();
    if (!getenv("HETC_PROFILE_KEEP"))
        remove_dir(ms.dir);
    if (rc < 0) {
        fprintf(stderr, "hetc profile: %s\n", ms.d.msg);
        *status = diag_status(&ms.d);
        return -1;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    meta->seconds = (double)(now.tv_sec - ms.t0.tv_sec) +
                    1e-9 * (double)(now.tv_nsec - ms.t0.tv_nsec);
    meta->mode = o->quick ? "quick" : "full";
    snprintf(meta->cpu, sizeof meta->cpu, "%.120s", host->cpu_name);
    meta_opencl(t, host, meta->opencl, sizeof meta->opencl);
    time_t now_t = time(NULL);
    struct tm tm;
    gmtime_r(&now_t, &tm);
    strftime(meta->date, sizeof meta->date, "%Y-%m-%d", &tm);
    snprintf(t->measured, sizeof t->measured, "hetc profile%s, %s, %s", o->quick ? " --quick" : "",
             meta->cpu, meta->date);
    return 0;
}
