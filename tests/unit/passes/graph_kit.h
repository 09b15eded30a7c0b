/*
 * graph_kit.h: small graphs and targets built by hand for the passes' unit tests. One graph at a
 * time (g, with its Diag d): float32 inputs [n, c, 4, 4], nodes of one output named like it,
 * graph outputs; processors placed by hand (on), and a target whose processors and spaces are
 * filled in directly, without a description.
 */
#pragma once

#include "ir/ir.h"
#include "passes/passes.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static Graph *g;
static Diag d;

static inline void
fresh(void)
{
    if (g)
        ir_graph_free(g);
    g = ir_graph_new("t.onnx");
    diag_init(&d, "t.onnx");
    g->output = ir_galloc(g, 256 * sizeof(ValId));
    g->input = ir_galloc(g, 8 * sizeof(ValId));
}

/* a graph input of float32 [n, c, 4, 4] */
static inline ValId
input(const char *name, int64_t n, int64_t c)
{
    ValId v = ir_val_add(g, name, DT_F32, NULL);
    Value *x = &g->val[v];
    x->rank = 4;
    x->dim[0] = n, x->dim[1] = c, x->dim[2] = 4, x->dim[3] = 4;
    x->flags |= V_INPUT;
    g->input[g->ninput++] = v;
    return v;
}

/* a node of one output (a Concat joins on axis 1), on processor 0 */
static inline ValId
node(OpKind op, const char *name, int nin, const ValId *in)
{
    NodeId n = ir_node_add(g, op, name, nin, 1);
    for (int i = 0; i < nin; i++)
        g->node[n].in[i] = in[i];
    ValId v = ir_val_add(g, name, DT_UNDEF, NULL);
    g->node[n].out[0] = v;
    g->node[n].dev = 0;
    g->val[v].def = n;
    if (op == OP_CONCAT)
        g->node[n].attr->axis.axis = 1;
    return v;
}

#define NODE(op, name, ...)                                                                        \
    node(op, name, (int)(sizeof((ValId[]){__VA_ARGS__}) / sizeof(ValId)), (ValId[]){__VA_ARGS__})

/* puts the node that writes v on processor p; v */
static inline ValId
on(int p, ValId v)
{
    g->node[g->val[v].def].dev = p;
    return v;
}

static inline void
mark_output(ValId v)
{
    g->val[v].flags |= V_OUTPUT;
    g->output[g->noutput++] = v;
}

static inline ValId
find(const char *name)
{
    for (ValId v = 0; v < g->nval; v++)
        if (g->val[v].name && strcmp(g->val[v].name, name) == 0)
            return v;
    return NONE;
}

/* A target of nproc CPU processors, processor p in space space[p] (spaces "s0", "s1", ..., as
 * many as the highest named), no links and no measured figures. */
static inline void
kit_target(Target *t, int nproc, const int *space)
{
    memset(t, 0, sizeof *t);
    t->nproc = nproc;
    for (int p = 0; p < nproc; p++) {
        snprintf(t->proc[p].id, sizeof t->proc[p].id, "p%d", p);
        t->proc[p].space = space[p];
        if (space[p] + 1 > t->nspace)
            t->nspace = space[p] + 1;
    }
    for (int s = 0; s < t->nspace; s++)
        snprintf(t->space[s].id, sizeof t->space[s].id, "s%d", s);
    t->space[0].host = 1;
}

/* adds a link between spaces a and b */
static inline void
kit_link(Target *t, int a, int b, double gbps, double latency_us, int zero_copy)
{
    t->link[t->nlink++] = (Link){.a = a, .b = b, .gbps = gbps, .latency_us = latency_us,
                                 .zero_copy = zero_copy};
}

/* a small deterministic generator (xorshift64*) for random graphs: a number below n */
static inline int
kit_rand(uint64_t *s, int n)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (int)((*s * 2685821657736338717ull) >> 33) % n;
}

/* A random DAG of nnode nodes, in a random topological order, each on a random processor below
 * nproc: unary ops, Adds of two tensors of one size and Concats of two [1, 8, 4, 4] tensors into
 * one [1, 16, 4, 4] (in place where the plan can), reading any earlier tensor of the right size;
 * the last tensor and about one in eight others are graph outputs. Shapes are not yet inferred. */
static inline void
kit_random_graph(uint64_t *seed, int nnode, int nproc)
{
    static const OpKind unary[] = {OP_RELU, OP_SIGMOID, OP_TANH};
    ValId pool[2][256];
    int npool[2] = {0, 0};
    char name[16];
    fresh();
    pool[0][npool[0]++] = input("x", 1, 8);
    pool[1][npool[1]++] = input("y", 1, 16);
    ValId v = NONE;
    for (int i = 0; i < nnode && i < 250; i++) {
        snprintf(name, sizeof name, "n%d", i);
        int r = kit_rand(seed, 8), c = kit_rand(seed, 2);
        ValId a = pool[c][kit_rand(seed, npool[c])], b = pool[c][kit_rand(seed, npool[c])];
        if (r < 3) {
            v = NODE(unary[kit_rand(seed, 3)], name, a);
        } else if (r < 6) {
            v = NODE(OP_ADD, name, a, b);
        } else {
            a = pool[0][kit_rand(seed, npool[0])];
            b = pool[0][kit_rand(seed, npool[0])];
            v = NODE(OP_CONCAT, name, a, b);
            c = 1;
        }
        on(kit_rand(seed, nproc), v);
        pool[c][npool[c]++] = v;
        if (kit_rand(seed, 8) == 0)
            mark_output(v);
    }
    if (v != NONE && !(g->val[v].flags & V_OUTPUT))
        mark_output(v);
}
