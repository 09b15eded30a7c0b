/*
 * load.c: ONNX model -> Graph.
 *
 * Method: read the file; unpack it with protobuf-c into a scratch arena (dropped at the end);
 * create values for initializers, then for graph inputs (an input that is also an initializer is a
 * constant), then for every node output (a name defined twice is an error); then create the nodes,
 * resolving input names (an undefined name is an error), decoding attributes, and turning Constant
 * nodes into constant values; mark the graph outputs; apply --shape overrides; sort the nodes
 * topologically (a cycle is an error) and verify. Every size taken from the file is checked
 * before it is used to allocate.
 */
#include "onnx_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


void *
onnx_pb_alloc(void *data, size_t size)
{
    PbHeap *h = data;
    void *p = ir_arena_alloc(h->arena, size);
    if (!p)
        h->failed = 1;
    return p;
}

void
onnx_pb_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

int
onnx_parse_shape(const char *arg, ShapeOverride *o, Diag *d)
{
    const char *eq = strrchr(arg, '=');
    memset(o, 0, sizeof *o);
    if (!eq || eq == arg)
        return diag_error(d, "--shape %s: expected NAME=DIMS, e.g. input=1x3x224x224", arg);
    o->name = arg;
    const char *p = eq + 1;
    while (*p) {
        if (o->rank == IR_MAXRANK)
            return diag_error(d, "--shape %s: more than %d dims", arg, IR_MAXRANK);
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || (*end && *end != 'x'))
            return diag_error(d, "--shape %s: dims must be non-negative integers separated by 'x'",
                              arg);
        o->dim[o->rank++] = v;
        p = *end ? end + 1 : end;
        if (*end == 'x' && !*p)
            return diag_error(d, "--shape %s: trailing 'x'", arg);
    }
    return 0;
}

/* The tensor type that a sequence or optional type holds into *tensor (NULL where it is not
 * said), flags V_SEQ and V_OPT set in *v (an optional of a sequence has both); -1 for one
 * holding anything else (maps, sparse tensors, sequences of sequences) */
static int
held_type(const Onnx__TypeProto *tp, Value *v, const Onnx__TypeProto **tensor)
{
    *tensor = NULL;
    if (tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE) {
        v->flags |= V_OPT;
        tp = tp->optional_type ? tp->optional_type->elem_type : NULL;
    }
    if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE) {
        v->flags |= V_SEQ;
        tp = tp->sequence_type ? tp->sequence_type->elem_type : NULL;
    }
    if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
        return 0;
    if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return -1;
    *tensor = tp;
    return 0;
}

/* The dtype of a graph or body input, its shape into *v; DT_UNDEF with d set when it is not
 * one hetc takes. A sequence or optional gets its flags and the dtype of the tensors it holds
 * (DT_UNDEF, d unset, where that is not said); passes/control.c resolves it. */
static DType
elem_type(Loader *L, const Onnx__ValueInfoProto *vi, const char *what, Value *v)
{
    const Onnx__TypeProto *tp = vi->type;
    if (tp && (tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ||
               tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE)) {
        const Onnx__TypeProto *t;
        v->rank = -1;
        if (held_type(tp, v, &t) < 0) {
            diag_error(L->d, "%s \"%s\" holds maps, sparse tensors or sequences of sequences "
                       "(not supported)", what, pbstr(vi->name));
            return DT_UNDEF;
        }
        int32_t et = t && t->tensor_type->has_elem_type ? t->tensor_type->elem_type : 0;
        if (et < 0 || et >= DT_COUNT || et == DT_STRING) {
            diag_error(L->d, "%s \"%s\" holds tensors of unsupported element type %d", what,
                       pbstr(vi->name), et);
            return DT_UNDEF;
        }
        return (DType)et;
    }
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
        diag_error(L->d, "%s \"%s\" is not a tensor, a sequence or an optional "
                   "(maps and sparse tensors are not supported)", what, pbstr(vi->name));
        return DT_UNDEF;
    }
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    int32_t et = tt->has_elem_type ? tt->elem_type : 0;
    if (et <= 0 || et >= DT_COUNT || et == DT_STRING) {
        diag_error(L->d, "%s \"%s\" has unsupported element type %d", what, pbstr(vi->name), et);
        return DT_UNDEF;
    }
    if (tt->shape) {
        if (tt->shape->n_dim > IR_MAXRANK) {
            diag_error(L->d, "%s \"%s\" has rank %zu; at most %d is supported", what,
                       pbstr(vi->name), tt->shape->n_dim, IR_MAXRANK);
            return DT_UNDEF;
        }
        v->rank = (int)tt->shape->n_dim;
        for (size_t i = 0; i < tt->shape->n_dim; i++) {
            const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[i];
            if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
                if (dm->dim_value < 0) {
                    diag_error(L->d, "%s \"%s\" has negative dimension %lld", what,
                               pbstr(vi->name), (long long)dm->dim_value);
                    return DT_UNDEF;
                }
                v->dim[i] = dm->dim_value;
            } else {
                v->dim[i] = -1;     /* symbolic or unset */
            }
        }
    }
    return (DType)et;
}

/* 1 if a body input declares no element type (left to the node's operands) */
static int
untyped(const Onnx__ValueInfoProto *vi)
{
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
        return 1;
    return tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type &&
           (!tp->tensor_type->has_elem_type || tp->tensor_type->elem_type == 0) &&
           !tp->tensor_type->shape;
}

static int
apply_overrides(Loader *L, const ShapeOverride *ov, int nov)
{
    Graph *g = L->g;
    for (int k = 0; k < nov; k++) {
        size_t len = strcspn(ov[k].name, "=");
        int found = 0;
        for (int i = 0; i < g->ninput; i++) {
            Value *v = &g->val[g->input[i]];
            if (strlen(v->name) != len || memcmp(v->name, ov[k].name, len) != 0)
                continue;
            found = 1;
            if (v->flags & (V_SEQ | V_OPT))
                return diag_error(L->d, "--shape %s: input \"%s\" is %s; --bind gives it its "
                                  "tensors", ov[k].name, v->name,
                                  v->flags & V_OPT ? "an optional" : "a sequence");
            if (v->rank >= 0 && v->rank != ov[k].rank)
                return diag_error(L->d, "--shape %s: input \"%s\" has rank %d", ov[k].name,
                                  v->name, v->rank);
            for (int j = 0; v->rank >= 0 && j < v->rank; j++)
                if (v->dim[j] >= 0 && v->dim[j] != ov[k].dim[j])
                    return diag_error(L->d, "--shape %s: dim %d of input \"%s\" is fixed at %lld",
                                      ov[k].name, j, v->name, (long long)v->dim[j]);
            v->rank = ov[k].rank;
            memcpy(v->dim, ov[k].dim, sizeof v->dim);
        }
        if (!found)
            return diag_error(L->d, "--shape %s: the model has no input named \"%.*s\"",
                              ov[k].name, (int)len, ov[k].name);
    }
    return 0;
}

static int
default_opset(Loader *L, const Onnx__ModelProto *m)
{
    L->opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        const char *dom = pbstr(o->domain);
        if (dom[0] == 0 || strcmp(dom, "ai.onnx") == 0)
            L->opset = o->has_version ? o->version : 1;
    }
    if (m->n_opset_import == 0)
        L->opset = 1;   /* IR version 1 models have no opset_import: opset 1 */
    /* a model of other domains only may import none; a default-domain node then is an error */
    if (L->opset > ONNX_MAX_OPSET)
        return diag_error(L->d, "opset %lld is newer than hetc knows (up to %d)",
                          (long long)L->opset, ONNX_MAX_OPSET);
    return 0;
}

/* 1 after reporting it if a name from the model is longer than IR_MAXNAME allows (the driver and
 * codegen size their buffers by it), else 0 */
static int
name_too_long(Loader *L, const char *name, const char *what)
{
    size_t n = strlen(name);
    if (n < IR_MAXNAME)
        return 0;
    diag_error(L->d, "%s \"%.32s...\" is %zu bytes long; names are limited to %d bytes", what,
               name, n, IR_MAXNAME - 1);
    return 1;
}

/* Creates the value for a node output or graph input; an existing name is an error. */
static ValId
define(Loader *L, const char *name, const char *what)
{
    if (name_too_long(L, name, what))
        return NONE;
    int dup;
    ValId v = ir_val_add(L->g, name, DT_UNDEF, &dup);
    if (v == NONE) {
        if (dup)
            diag_error(L->d, "%s \"%s\" is defined more than once", what, name);
        else
            diag_oom(L->d);
    }
    return v;
}

/* The value called name in L's graph. In a body, a name of an enclosing graph becomes one of the
 * body's captures (and so of every body between, each capturing it from its parent). NONE if no
 * graph has it, or when out of memory (L->d set). */
static ValId
lookup(Loader *L, const char *name)
{
    Graph *g = L->g;
    ValId v = ir_val_find(g, name);
    if (v != NONE || !L->parent)
        return v;
    ValId o = lookup(L->parent, name);
    if (o == NONE)
        return NONE;
    if (g->ncapture == L->ccapture) {
        int cap = L->ccapture ? 2 * L->ccapture : 8;
        ValId *c = ir_galloc(g, (size_t)cap * sizeof *c), *u = ir_galloc(g, (size_t)cap * sizeof *u);
        if (!c || !u) {
            diag_oom(L->d);
            return NONE;
        }
        if (g->ncapture) {
            memcpy(c, g->capture, (size_t)g->ncapture * sizeof *c);
            memcpy(u, L->outer, (size_t)g->ncapture * sizeof *u);
        }
        g->capture = c;
        L->outer = u;
        L->ccapture = cap;
    }
    if ((v = ir_val_add(g, name, DT_UNDEF, NULL)) == NONE) {
        diag_oom(L->d);
        return NONE;
    }
    g->capture[g->ncapture] = v;
    L->outer[g->ncapture++] = o;
    return v;
}

static int
convert_node(Loader *L, const Onnx__NodeProto *np)
{
    Graph *g = L->g;
    const char *optype = pbstr(np->op_type), *dom = pbstr(np->domain);
    int known_domain = dom[0] == 0 || strcmp(dom, "ai.onnx") == 0;
    if (name_too_long(L, pbstr(np->name), "node name") || name_too_long(L, optype, "op type") ||
        name_too_long(L, dom, "domain"))
        return -1;
    if (np->n_input > 4096 || np->n_output > 4096)
        return onnx_node_error(L, np, "%zu inputs and %zu outputs", np->n_input, np->n_output);
    if (known_domain && L->opset < 1)
        return onnx_node_error(L, np, "the model imports no opset of the default ONNX domain");
    if (known_domain && strcmp(optype, "PRelu") == 0 && L->opset < 7)
        return onnx_node_error(L, np, "PRelu before opset 7 (a channel slope without "
                               "broadcasting) is not supported");
    if (known_domain && strcmp(optype, "Constant") == 0) {
        if (np->n_output != 1 || !np->output[0][0])
            return onnx_node_error(L, np, "expected one output");
        ValId v = define(L, np->output[0], "tensor");
        if (v == NONE)
            return -1;
        g->val[v].flags |= V_PARAM;
        g->nconstnode++;
        return onnx_constant_value(L, np, v);
    }
    int upsample = known_domain && strcmp(optype, "Upsample") == 0;
    /* Scatter (opsets 9 and 10, deprecated in 11) is ScatterElements under its first name */
    int scatter = known_domain && strcmp(optype, "Scatter") == 0;
    OpKind op = upsample ? OP_RESIZE : scatter ? OP_SCATTERELEMENTS
              : known_domain ? ir_op_lookup(optype) : OP_UNKNOWN;
    /* trailing optional outputs left empty are dropped */
    int nout = (int)np->n_output;
    while (nout > 0 && !np->output[nout - 1][0])
        nout--;
    NodeId n = ir_node_add(g, op, pbstr(np->name), (int)np->n_input, nout);
    if (n == NONE)
        return diag_oom(L->d);
    Node *x = &g->node[n];
    x->index = L->node_index;
    x->optype = ir_strndup(g, optype, strlen(optype));
    if (!x->optype)
        return diag_oom(L->d);
    if (!known_domain && dom[0]) {
        /* name the domain so reports say where the op comes from */
        size_t k = strlen(dom) + strlen(optype) + 2;
        char *s = ir_galloc(g, k);
        if (!s)
            return diag_oom(L->d);
        snprintf(s, k, "%s.%s", dom, optype);
        x->optype = s;
    }
    for (int i = 0; i < nout; i++) {
        if (!np->output[i][0])
            continue;
        ValId v = define(L, np->output[i], "tensor");
        if (v == NONE)
            return -1;
        g->val[v].def = n;
        g->node[n].out[i] = v;
    }
    x = &g->node[n];
    for (size_t i = 0; i < np->n_input; i++) {
        const char *nm = np->input[i];
        if (!nm[0])
            continue;
        ValId v = lookup(L, nm);
        if (v == NONE)
            return L->d->nerr ? -1 : onnx_node_error(L, np, "input \"%s\" is not defined by any "
                                                     "node, initializer or graph input", nm);
        x->in[i] = v;
    }
    if (op == OP_UNKNOWN)
        return 0;
    if (onnx_node_attrs(L, np, n) < 0)
        return -1;
    if (upsample || (op == OP_RESIZE && L->opset < 11))
        if (onnx_resize_normalise(L, np, n, upsample) < 0)
            return -1;
    x = &g->node[n];
    const OpInfo *oi = &ir_op[op];
    if (x->nin < oi->inmin || x->nin > oi->inmax)
        return onnx_node_error(L, np, "%d inputs, expected %d to %d", x->nin, oi->inmin, oi->inmax);
    if (x->nout < oi->outmin || x->nout > oi->outmax)
        return onnx_node_error(L, np, "%d outputs, expected %d to %d", x->nout, oi->outmin,
                               oi->outmax);
    return 0;
}

/*
 * Which nodes wait for which names, so that the nodes of a file in any order are converted in
 * time linear in its size: a node waits on each input name not defined yet; converting a node
 * defines its outputs and releases the nodes waiting on them. Names hash (FNV-1a) into open
 * addressing over the wait lists; each list is walked once, when its name is defined.
 */
enum { NO_WAIT = -1 };

typedef struct Waits {
    int32_t cap;                    /* slots, a power of two */
    const char **name;              /* per slot: the awaited name, NULL when free */
    int32_t *head;                  /* per slot: its first wait, NO_WAIT when none */
    int32_t *node, *next;           /* per wait: the waiting node and the next wait on the name */
    int32_t nwait;
    int32_t *pending;               /* per node: inputs not defined yet */
} Waits;

static int32_t
wait_slot(const Waits *w, const char *name)
{
    uint32_t h = 2166136261u, mask = (uint32_t)w->cap - 1;
    for (const char *s = name; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    for (h &= mask; w->name[h] && strcmp(w->name[h], name) != 0; h = (h + 1) & mask)
        ;
    return (int32_t)h;
}

static void
waits_free(Waits *w)
{
    ir_free(w->name);
    ir_free(w->head);
    ir_free(w->node);
    ir_free(w->next);
    ir_free(w->pending);
}

/* Counts each node's undefined inputs and files a wait for each; 0, or -1 with the reason. */
static int
waits_init(Waits *w, Loader *L, const Onnx__GraphProto *gp)
{
    size_t nwait = 0;
    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t k = 0; k < gp->node[i]->n_input; k++)
            nwait += gp->node[i]->input[k][0] && ir_val_find(L->g, gp->node[i]->input[k]) == NONE;
    if (gp->n_node > INT32_MAX / 4 || nwait > INT32_MAX / 4)
        return diag_error(L->d, "the graph has %zu nodes and %zu node inputs; at most %d of "
                          "each are supported", gp->n_node, nwait, INT32_MAX / 4);
    for (w->cap = 16; w->cap < 2 * (int32_t)nwait; w->cap *= 2)
        ;
    size_t cap = (size_t)w->cap;
    w->name = ir_alloc(cap * sizeof *w->name);
    w->head = ir_alloc(cap * sizeof *w->head);
    w->node = ir_alloc((nwait + 1) * sizeof *w->node);
    w->next = ir_alloc((nwait + 1) * sizeof *w->next);
    w->pending = ir_alloc((gp->n_node + 1) * sizeof *w->pending);
    if (!w->name || !w->head || !w->node || !w->next || !w->pending)
        return diag_oom(L->d);
    memset(w->name, 0, cap * sizeof *w->name);
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        w->pending[i] = 0;
        for (size_t k = 0; k < np->n_input; k++) {
            const char *nm = np->input[k];
            if (!nm[0] || ir_val_find(L->g, nm) != NONE)
                continue;
            int32_t s = wait_slot(w, nm);
            if (!w->name[s]) {
                w->name[s] = nm;
                w->head[s] = NO_WAIT;
            }
            w->node[w->nwait] = (int32_t)i;
            w->next[w->nwait] = w->head[s];
            w->head[s] = w->nwait++;
            w->pending[i]++;
        }
    }
    return 0;
}

/* A min-heap of node indices: ready nodes are converted lowest index first, so the nodes of a
 * file in topological order keep the file's order. */
static void
heap_push(int32_t *heap, int32_t *n, int32_t x)
{
    int32_t k = (*n)++;
    for (; k > 0 && heap[(k - 1) / 2] > x; k = (k - 1) / 2)
        heap[k] = heap[(k - 1) / 2];
    heap[k] = x;
}

static int32_t
heap_pop(int32_t *heap, int32_t *n)
{
    int32_t top = heap[0], x = heap[--*n], k = 0;
    for (int32_t c = 1; c < *n; c = 2 * k + 1) {
        if (c + 1 < *n && heap[c + 1] < heap[c])
            c++;
        if (heap[c] >= x)
            break;
        heap[k] = heap[c];
        k = c;
    }
    heap[k] = x;
    return top;
}

/* Node np's outputs are defined now: the nodes that waited on them and on nothing else become
 * ready. */
static void
waits_release(Waits *w, const Onnx__NodeProto *np, int32_t *heap, int32_t *nheap)
{
    for (size_t o = 0; o < np->n_output; o++) {
        if (!np->output[o][0])
            continue;
        int32_t s = wait_slot(w, np->output[o]);
        if (!w->name[s])
            continue;
        for (int32_t e = w->head[s]; e != NO_WAIT; e = w->next[e])
            if (--w->pending[w->node[e]] == 0)
                heap_push(heap, nheap, w->node[e]);
        w->head[s] = NO_WAIT;
    }
}

/* No node left can be converted: the first of them either uses a name that no node defines, or
 * sits on a cycle. */
static int
report_stuck(Loader *L, const Onnx__GraphProto *gp, const unsigned char *done)
{
    size_t i = 0;
    while (done[i])
        i++;
    const Onnx__NodeProto *np = gp->node[i];
    L->node_index = (int)i;
    for (size_t k = 0; k < np->n_input; k++) {
        const char *nm = np->input[k];
        if (!nm[0] || ir_val_find(L->g, nm) != NONE)
            continue;
        for (size_t j = 0; j < gp->n_node; j++)
            for (size_t o = 0; !done[j] && o < gp->node[j]->n_output; o++)
                if (strcmp(gp->node[j]->output[o], nm) == 0)
                    return onnx_node_error(L, np, "the graph has a cycle through input \"%s\"",
                                           nm);
        return onnx_node_error(L, np, "input \"%s\" is not defined by any node, initializer or "
                               "graph input", nm);
    }
    return onnx_node_error(L, np, "cannot be ordered");
}

/*
 * Nodes are converted as they become ready, lowest file index first (see Waits): a node once all
 * its inputs exist, so a valid (topologically ordered) model keeps its order, a model in any
 * other order takes the same time, and a node never converted has an undefined input or sits on
 * a cycle.
 */
static int
convert_graph(Loader *L, const Onnx__GraphProto *gp, const ShapeOverride *ov, int nov)
{
    Graph *g = L->g;
    if (name_too_long(L, pbstr(gp->name), "graph name"))
        return -1;
    g->name = ir_strndup(g, pbstr(gp->name), strlen(pbstr(gp->name)));
    if (!g->name)
        return diag_oom(L->d);
    if (gp->n_sparse_initializer)
        return diag_error(L->d, "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *t = gp->initializer[i];
        ValId v = define(L, pbstr(t->name), "initializer");
        if (v == NONE)
            return -1;
        char what[300];
        snprintf(what, sizeof what, "initializer \"%.200s\"", pbstr(t->name));
        g->val[v].flags |= V_PARAM;
        if (onnx_tensor_to_value(L, t, v, what) < 0)
            return -1;
    }
    g->input = ir_galloc(g, (gp->n_input + 1) * sizeof(ValId));
    g->output = ir_galloc(g, (gp->n_output + 1) * sizeof(ValId));
    if (!g->input || !g->output)
        return diag_oom(L->d);
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        ValId v = ir_val_find(g, pbstr(vi->name));
        if (v != NONE && (g->val[v].flags & V_CONST) && !L->parent)
            continue;   /* an initializer listed as an input (IR < 4): a constant */
        if ((v = define(L, pbstr(vi->name), L->parent ? "body input" : "graph input")) == NONE)
            return -1;
        Value tmp = g->val[v];
        DType dt = DT_UNDEF;
        if (L->parent && untyped(vi))
            tmp.rank = -1;  /* a body's input may leave its type to the node's operands */
        else if ((dt = elem_type(L, vi, L->parent ? "body input" : "graph input", &tmp)) ==
                     DT_UNDEF && !(tmp.flags & (V_SEQ | V_OPT)))
            return -1;
        if (L->d->nerr)
            return -1;
        tmp.dt = dt;
        tmp.flags |= V_INPUT;
        g->val[v] = tmp;
        g->input[g->ninput++] = v;
    }
    /* a body's names of enclosing graphs become its captures first, so that no node waits on them */
    for (size_t i = 0; L->parent && i < gp->n_node; i++)
        for (size_t k = 0; k < gp->node[i]->n_input; k++)
            if (gp->node[i]->input[k][0] && lookup(L, gp->node[i]->input[k]) == NONE && L->d->nerr)
                return -1;
    /* nodes as they become ready, lowest file index first */
    Waits w = {0};
    int32_t *heap = ir_alloc((gp->n_node + 1) * sizeof *heap), nheap = 0;
    unsigned char *done = ir_alloc(gp->n_node + 1);
    int rc = !heap || !done ? diag_oom(L->d) : waits_init(&w, L, gp);
    for (size_t i = 0; rc == 0 && i < gp->n_node; i++) {
        done[i] = 0;
        if (w.pending[i] == 0)
            heap_push(heap, &nheap, (int32_t)i);
    }
    size_t left = gp->n_node;
    while (rc == 0 && nheap > 0) {
        int32_t i = heap_pop(heap, &nheap);
        L->node_index = i;
        rc = convert_node(L, gp->node[i]);
        done[i] = 1;
        left--;
        if (rc == 0)
            waits_release(&w, gp->node[i], heap, &nheap);
    }
    if (rc == 0 && left > 0)
        rc = report_stuck(L, gp, done);
    waits_free(&w);
    ir_free(heap);
    ir_free(done);
    L->node_index = NONE;
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *nm = pbstr(gp->output[i]->name);
        ValId v = lookup(L, nm);
        if (v == NONE)
            return L->d->nerr ? -1 : diag_error(L->d, "graph output \"%s\" is not defined", nm);
        g->val[v].flags |= V_OUTPUT;
        g->output[g->noutput++] = v;
    }
    if (g->noutput == 0)
        return diag_error(L->d, "the graph has no outputs");
    return apply_overrides(L, ov, nov);
}

Graph *
onnx_body(Loader *L, const Onnx__GraphProto *gp, const char *what, ValId **outer, int *nouter)
{
    if (L->depth >= ONNX_MAX_BODIES) {
        diag_error(L->d, "node %d (%s): bodies of If, Loop and Scan nest more than %d deep", 
                   L->node_index, what, ONNX_MAX_BODIES);
        return NULL;
    }
    Graph *b = ir_graph_sub(L->g);
    if (!b) {
        diag_oom(L->d);
        return NULL;
    }
    Loader B = {b, L->d, L->dir, L->opset, NONE, L, what, NULL, 0, L->depth + 1};
    b->opset = L->opset;
    b->ir_version = L->g->ir_version;
    if (convert_graph(&B, gp, NULL, 0) < 0)
        return NULL;
    *outer = B.outer;
    *nouter = b->ncapture;
    return b;
}

Graph *
onnx_load_buffer(const void *buf, size_t size, const char *path, const ShapeOverride *ov, int nov,
                 Diag *d)
{
    Loader L = {0};
    L.d = d;
    L.node_index = NONE;
    Arena *scratch = ir_arena_new();
    Graph *g = ir_graph_new(path);
    char *dir = NULL;
    if (!scratch || !g) {
        diag_oom(d);
        goto fail;
    }
    L.g = g;
    dir = onnx_folder_of(path);
    if (!dir) {
        diag_oom(d);
        goto fail;
    }
    L.dir = dir;
    PbHeap heap = {scratch, 0};
    ProtobufCAllocator pa = {onnx_pb_alloc, onnx_pb_free, &heap};
    /* protobuf-c recurses into nested messages without a limit: measure the nesting first */
    if (!onnx_wire_depth_ok(&onnx__model_proto__descriptor, buf, size)) {
        diag_error(d, "messages nest more than %d deep (subgraphs within subgraphs?); hetc "
                   "refuses such files", ONNX_MAX_NESTING);
        goto fail;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(&pa, size, buf);
    if (!m) {
        if (heap.failed)
            diag_oom(d);
        else
            diag_error(d, "not a valid ONNX model (the protobuf does not parse; truncated or "
                       "corrupt file?)");
        goto fail;
    }
    if (!m->graph) {
        diag_error(d, "the model has no graph");
        goto fail;
    }
    if (default_opset(&L, m) < 0)
        goto fail;
    g->opset = L.opset;
    g->ir_version = m->has_ir_version ? m->ir_version : 0;
    g->producer = ir_strndup(g, pbstr(m->producer_name), strlen(pbstr(m->producer_name)));
    if (!g->producer) {
        diag_oom(d);
        goto fail;
    }
    if (convert_graph(&L, m->graph, ov, nov) < 0 || ir_toposort(g, d) < 0 || ir_verify(g, d) < 0)
        goto fail;
    ir_free(dir);
    ir_arena_free(scratch);
    return g;
fail:
    ir_free(dir);
    ir_arena_free(scratch);
    ir_graph_free(g);
    return NULL;
}

Graph *
onnx_load(const char *path, const ShapeOverride *ov, int nov, Diag *d)
{
    size_t size = 0;
    void *buf = onnx_read_file(path, &size, d);
    if (!buf)
        return NULL;
    Graph *g = onnx_load_buffer(buf, size, path, ov, nov, d);
    ir_free(buf);
    return g;
}
