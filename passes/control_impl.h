/*
 * control_impl.h: what passes/control.c (If, Loop, Scan) and passes/sequence.c (sequences and
 * optionals) share: the state of one lowering and the helpers both use. Only these two include it.
 */
#pragma once

#include "passes.h"

enum {
    CF_MAX_STEPS = 4096,    /* iterations of one Loop or steps of one Scan (Concat's limit) */
    CF_MAX_NODES = 1 << 15, /* nodes the lowering may add to one model in all */
    CF_MAX_LOWER = 4096,    /* If, Loop and Scan nodes of a model's graph (each costs a sort and
                             * inference of the graph downstream; those in bodies cost none) */
};

typedef struct Lower {
    Graph *g;
    NodeId n; /* the If, Loop or Scan */
    Diag *d;
    int strict;            /* refuse what is known only at run time (else leave the node) */
    int *added;            /* nodes added so far to the model */
    ValId *cst[2];         /* per body: its constants' copies in g, made once (NONE: not yet) */
    char name[IR_MAXNAME]; /* the node's name, or its first output's */
} Lower;

/* A diagnostic about the control-flow node */
#define REFUSE(L, ...) diag_node((L)->d, (L)->g, (L)->n, __VA_ARGS__)
enum { LEFT = 1 }; /* a lowering's result: the node stays as it is */

/* control.c: described at their definitions */
int cf_is_control(OpKind op);
int cf_unknown(Lower *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ValId cf_new_val(Lower *L, const char *tag, const char *name, DType dt);
ValId cf_const_val(Lower *L, DType dt, const int64_t *v, int n, int rank);
ValId cf_emit(Lower *L, OpKind op, const ValId *in, int nin, const Attr *attr, ValId to);
int cf_inline_body(Lower *L, int k, const ValId *actual, const char *tag, ValId *res);
const char *cf_tag_of(Lower *L, char *buf, size_t size, const char *what, long i);
ValId cf_stack(Lower *L, const ValId *vals, int n, int64_t axis, ValId to);
const char *cf_type_text(const Value *v, char *buf, size_t size);
int cf_same_type(const Value *a, const Value *b);
int cf_check_steps(Lower *L, int64_t n, int nb, int extra, const char *what);

/* sequence.c */
/* Whether v is a sequence or optional resolved already (a graph input not bound is not) */
int seq_held(const Graph *g, ValId v);
/* Whether node n is lowered by control.c's walk: control flow, a sequence or optional op, or a
 * node reading a sequence or optional */
int seq_needs_lowering(const Graph *g, NodeId n);
/* `to` holds what `from` holds; a tensor `from` is written into `to` by an Identity. 0 or -1. */
int seq_hold_as(Lower *L, ValId to, ValId from);
/* A run-time If's output o, sequences or optionals t and e, selected by cond into `to` (a fresh
 * value when NONE, in *made); 0, LEFT or -1 */
int seq_select(Lower *L, int o, ValId cond, ValId t, ValId e, ValId to, ValId *made);
/* A sequence or optional op (or a node reading one), resolved; 0, LEFT or -1 */
int seq_lower(Lower *L);
/* SequenceMap, its body once per position; 0, LEFT or -1 */
int seq_map(Lower *L);
/* The graph's sequence and optional outputs replaced by the tensors they hold: 1 when any was,
 * 0 when none, -1 with d set */
int seq_expand_outputs(Graph *g, Diag *d);
