/*
 * control.c: inlines the bodies of If, Loop and Scan into the graph, so that every backend, the
 * cost model, the partitioners and the plan files see plain nodes.
 *
 * Input: an inferred graph whose control-flow nodes carry their bodies (BodyAttr, converted by
 * the frontend). Output: no If, Loop or Scan; in their place the bodies' nodes, copied with their
 * inputs resolved (formal inputs to the node's operands, captures to the outer values, the
 * bodies' constants shared), named "NODE/then/..." or "NODE/ITER/...", each inferred and folded
 * as it is made, the last writing the node's output value; the graph re-sorted and compacted.
 *
 * Method, one control-flow node of the graph at a time in topological order (a condition or trip
 * count that an earlier one computes is known by then); a node within a body is lowered as soon
 * as it is copied (its inputs are known then, and its users not copied yet):
 *  - If with a constant condition: the taken branch, an Identity per output;
 *  - If with a run-time condition: both branches, then Where(cond, then, else) per output, so both
 *    branches run; their outputs must agree in dtype and static shape;
 *  - Loop with a constant trip count M (or none) and a constant condition: the body M times, the
 *    loop-carried values threaded from one copy to the next, each copy's condition output folded
 *    to a constant (false ends the loop there); scan outputs stacked (Unsqueeze, then Concat);
 *  - Scan: the body once per step of the scan inputs' axis, each step's slice a Gather of one
 *    index (reversed for direction 1), scan outputs stacked along their axes in their directions;
 *    opset 8's form (a batch axis 0 everywhere, sequence_lens first) once per batch row, the rows
 *    taken apart by Gather and stacked again.
 * After each node the values downstream of it are inferred again (nodes already folded stay).
 *
 * Refused, with one line naming the node (exit 2): a trip count or sequence length not known at
 * compile time (a dynamic shape: --bind the inputs it comes from), a condition computed at run
 * time (a data-dependent exit), more than CF_MAX_STEPS iterations or CF_MAX_NODES new nodes, a
 * run-time If whose branches disagree in dtype or shape, a Loop or Scan that runs no step but has
 * scan outputs, and a Scan-8 sequence_lens shorter than the sequence.
 *
 * Sequences and optionals are resolved in the same walk, since a loop is what usually builds
 * one: each is a value holding a list of tensor values (V_SEQ, V_OPT in ir.h), made by the
 * sequence ops at compile time, read back by SequenceAt and the rest as Identities and constants,
 * mapped by SequenceMap as a loop maps its body. Graph outputs that hold tensors so become those
 * tensors, one output each. Refused: positions and split sizes known only at run time, an
 * optional whose presence a run-time condition decides, an unbound sequence or optional input.
 */
#include "passes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

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

static int
is_control(OpKind op)
{
    return op == OP_IF || op == OP_LOOP || op == OP_SCAN || op == OP_SEQUENCEMAP;
}

/* Something the lowering needs is known only at run time: refused when compiling (strict), or
 * the node is left as it is, its outputs of unknown shape (inspect). -1 or LEFT. */
static int
unknown(Lower *L, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!L->strict)
        return LEFT;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return REFUSE(L, "%s", msg);
}

/* A fresh value of g called "TAG/NAME" (a name of g's own when that is taken or too long). */
static ValId
new_val(Lower *L, const char *tag, const char *name, DType dt)
{
    char buf[IR_MAXNAME];
    int k = snprintf(buf, sizeof buf, "%s/%s", tag, name);
    int dup = 0;
    ValId v = k > 0 && k < IR_MAXNAME ? ir_val_add(L->g, buf, dt, &dup) : NONE;
    if (v == NONE && (dup || k <= 0 || k >= IR_MAXNAME))
        v = ir_val_add(L->g, NULL, dt, NULL);
    if (v == NONE)
        diag_oom(L->d);
    return v;
}

/* A constant of rank 0 (n = 1) or 1 of dtype int64 or bool holding v[0..n); NONE on OOM. */
static ValId
const_val(Lower *L, DType dt, const int64_t *v, int n, int rank)
{
    return pass_const_ints(L->g, dt, rank, v, n, L->d);
}

/* A new node op on in[0..nin) writing `to` (a fresh value when NONE), inferred and folded at
 * once, counted against the limit of added nodes. Its output, or NONE with d set. */
static ValId
emit(Lower *L, OpKind op, const ValId *in, int nin, const Attr *attr, ValId to)
{
    if (++*L->added > CF_MAX_NODES) {
        REFUSE(L, "unrolling the control flow into more than %d nodes is not supported",
               CF_MAX_NODES);
        return NONE;
    }
    return pass_emit(L->g, L->n, op, in, nin, attr, to, 1, L->d);
}

static int lower_node(Graph *g, NodeId n, int strict, int *added, Diag *d);
static int needs_lowering(const Graph *g, NodeId n);
static int held(const Graph *g, ValId v);
static int hold_as(Lower *L, ValId to, ValId from);
static int select_held(Lower *L, int o, ValId cond, ValId t, ValId e, ValId to, ValId *made);

static void
delete_node(Graph *g, NodeId n)
{
    /* no longer a definition of its outputs either (the sort follows outputs to users) */
    g->node[n].op = OP_NOP;
    g->node[n].nin = g->node[n].nout = 0;
}

/*
 * Copies body k of the node after the graph's last node, each copy inferred and folded at once:
 * the body's input i stands for actual[i], its captures for the node's inputs that carry them,
 * its constants for copies made once per lowering; tag names the copies. res[j] gets the value of
 * the body's output j. 0, or -1 with d set.
 */
static int
inline_body(Lower *L, int k, const ValId *actual, const char *tag, ValId *res)
{
    Graph *g = L->g;
    const Graph *b = g->node[L->n].attr->body.body[k];
    int rc = -1;
    ValId *map = ir_alloc((size_t)b->nval * sizeof *map + 1);
    if (map && !L->cst[k] && (L->cst[k] = ir_alloc((size_t)b->nval * sizeof(ValId) + 1)))
        for (ValId v = 0; v < b->nval; v++)
            L->cst[k][v] = NONE; /* first use: no constant copied yet */
    if (!map || !L->cst[k]) {
        ir_free(map);
        return diag_oom(L->d);
    }
    for (ValId v = 0; v < b->nval; v++)
        map[v] = NONE;
    for (int i = 0; i < b->ninput; i++)
        map[b->input[i]] = actual[i];
    const Node *x = &g->node[L->n];
    int first = x->nin - x->attr->body.ncapture + (k ? x->attr->body.body[0]->ncapture : 0);
    for (int i = 0; i < b->ncapture; i++)
        map[b->capture[i]] = g->node[L->n].in[first + i];
    for (ValId v = 0; v < b->nval; v++) {
        const Value *bv = &b->val[v];
        if (map[v] != NONE || bv->def != NONE || !(bv->flags & V_CONST))
            continue;
        if (L->cst[k][v] == NONE) {
            ValId c = new_val(L, L->name, bv->name, bv->dt);
            if (c == NONE)
                goto done;
            Value *cv = &g->val[c];
            cv->rank = bv->rank;
            memcpy(cv->dim, bv->dim, sizeof cv->dim);
            cv->data = bv->data; /* the body's arena: g owns the body */
            cv->flags = V_CONST | (bv->flags & V_PARAM);
            L->cst[k][v] = c;
        }
        map[v] = L->cst[k][v];
    }
    for (NodeId m = 0; m < b->nnode; m++) {
        const Node *bm = &b->node[m];
        if (bm->op == OP_NOP)
            continue;
        if (++*L->added > CF_MAX_NODES) {
            REFUSE(L, "unrolling the control flow into more than %d nodes is not supported",
                   CF_MAX_NODES);
            goto done;
        }
        char nm[IR_MAXNAME];
        int len = bm->name[0] ? snprintf(nm, sizeof nm, "%s/%s", tag, bm->name)
                              : snprintf(nm, sizeof nm, "%s", tag);
        const char *name =
            len > 0 && len < IR_MAXNAME ? ir_strndup(g, nm, (size_t)len) : g->node[L->n].name;
        NodeId y = name ? ir_node_add(g, bm->op, name, bm->nin, bm->nout) : NONE;
        if (y == NONE) {
            diag_oom(L->d);
            goto done;
        }
        Node *c = &g->node[y];
        bm = &b->node[m];
        c->optype = bm->optype;
        c->index = g->node[L->n].index;
        *c->attr = *bm->attr;
        for (int i = 0; i < bm->nin; i++) {
            ValId v = bm->in[i];
            /* a value of the body read before the node that writes it (the body's nodes out
             * of order, which a hostile file can do): refused, not inlined */
            if (v != NONE && map[v] == NONE) {
                REFUSE(L, "a body reads a value before it is written");
                goto done;
            }
            g->node[y].in[i] = v == NONE ? NONE : map[v];
        }
        for (int i = 0; i < bm->nout; i++) {
            if (bm->out[i] == NONE)
                continue;
            ValId o = new_val(L, tag, b->val[bm->out[i]].name, DT_UNDEF);
            if (o == NONE)
                goto done;
            g->node[y].out[i] = o;
            g->val[o].def = y;
            map[b->node[m].out[i]] = o;
        }
        /* a body within the body: lowered at once, its inputs known and its users not copied
         * yet (left as it is, it is inferred as unknown) */
        int r = needs_lowering(g, y) ? lower_node(g, y, L->strict, L->added, L->d) : LEFT;
        if (r == 0)
            delete_node(g, y);
        else if (r < 0 || ir_infer_fold_node(g, y, L->d) < 0)
            goto done;
    }
    for (int j = 0; j < b->noutput; j++)
        res[j] = map[b->output[j]];
    rc = 0;
done:
    ir_free(map);
    return rc;
}

/* "NODE/TAG" for the copies of a body */
static const char *
tag_of(Lower *L, char *buf, size_t size, const char *what, long i)
{
    int k = i >= 0 ? snprintf(buf, size, "%s/%s%ld", L->name, what, i)
                   : snprintf(buf, size, "%s/%s", L->name, what);
    return k > 0 && (size_t)k < size ? buf : L->name;
}

/* The value of a constant scalar condition or count into *v: 0, or -1 when it is not one */
static int
const_scalar(const Graph *g, ValId c, int64_t *v)
{
    const Value *x = &g->val[c];
    if (!(x->flags & V_CONST) || ir_numel(x) != 1)
        return -1;
    *v = ir_const_i(x, 0);
    return 0;
}

/* Stacks vals[0..n) along a new axis (Unsqueeze each, then Concat) into `to` (a fresh value
 * when NONE); the stacked value, or NONE with d set. */
static ValId
stack(Lower *L, const ValId *vals, int n, int64_t axis, ValId to)
{
    ValId ax = const_val(L, DT_I64, &axis, 1, 1), y = NONE;
    ValId *parts = ir_alloc((size_t)n * sizeof *parts + 1);
    if (ax == NONE || !parts) {
        ir_free(parts);
        diag_oom(L->d);
        return NONE;
    }
    for (int i = 0; i < n; i++) {
        ValId in[2] = {vals[i], ax};
        if ((parts[i] = emit(L, OP_UNSQUEEZE, in, 2, NULL, n == 1 ? to : NONE)) == NONE)
            goto done;
    }
    y = parts[0];
    if (n > 1) {
        Attr a;
        ir_attr_default(OP_CONCAT, &a);
        a.axis.axis = axis;
        y = emit(L, OP_CONCAT, parts, n, &a, to);
    }
done:
    ir_free(parts);
    return y;
}

/* The node's outputs [first, first + n) from vals[0..n): an Identity each (cleanup removes them) */
static int
pass_through(Lower *L, const ValId *vals, int first, int n)
{
    for (int i = 0; i < n; i++) {
        const Node *x = &L->g->node[L->n];
        ValId to = first + i < x->nout ? x->out[first + i] : NONE;
        if (hold_as(L, to, vals[i]) < 0)
            return -1;
    }
    return 0;
}

/* "f32[2,3]" for messages */
static const char *
type_text(const Value *v, char *buf, size_t size)
{
    int k = snprintf(buf, size, "%s[", ir_dtype_short(v->dt));
    for (int i = 0; i < v->rank && k > 0 && (size_t)k < size; i++)
        k += snprintf(buf + k, size - (size_t)k, "%s%lld", i ? "," : "", (long long)v->dim[i]);
    if (k > 0 && (size_t)k < size)
        snprintf(buf + k, size - (size_t)k, v->rank < 0 ? "?]" : "]");
    return buf;
}

static int
same_type(const Value *a, const Value *b)
{
    if (a->dt != b->dt || !ir_shape_known(a) || !ir_shape_known(b) || a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i])
            return 0;
    return 1;
}

static int
lower_if(Lower *L)
{
    Graph *g = L->g;
    const Node *x = &g->node[L->n];
    Graph *const *body = x->attr->body.body;
    int nout = x->nout;
    for (int k = 0; k < 2; k++)
        if (body[k]->ninput != 0 || body[k]->noutput != nout)
            return REFUSE(L, "%s takes %d inputs and gives %d outputs; expected none and %d",
                          k ? "else_branch" : "then_branch", body[k]->ninput, body[k]->noutput,
                          nout);
    ValId cond = x->in[0];
    ValId *res = ir_alloc(2 * (size_t)nout * sizeof *res + 1);
    char tag[2][IR_MAXNAME];
    int64_t c;
    int rc = -1;
    if (!res)
        return diag_oom(L->d);
    if (const_scalar(g, cond, &c) == 0) {
        /* the taken branch alone */
        int k = c ? 0 : 1;
        rc = inline_body(L, k, NULL, tag_of(L, tag[0], sizeof tag[0], k ? "else" : "then", -1),
                         res) < 0 ||
                     pass_through(L, res, 0, nout) < 0
                 ? -1
                 : 0;
        goto done;
    }
    const Value *cv = &g->val[cond];
    if (!ir_shape_known(cv)) {
        rc = unknown(L, "the condition has a dynamic shape; pass --shape for the model's inputs");
        goto done;
    }
    if (cv->dt != DT_BOOL || ir_numel(cv) != 1) {
        char t[IR_MAXRANK * 24 + 16];
        REFUSE(L, "the condition is %s; expected one bool", type_text(cv, t, sizeof t));
        goto done;
    }
    if (inline_body(L, 0, NULL, tag_of(L, tag[0], sizeof tag[0], "then", -1), res) < 0 ||
        inline_body(L, 1, NULL, tag_of(L, tag[1], sizeof tag[1], "else", -1), res + nout) < 0)
        goto done;
    if (g->val[cond].rank != 0) { /* a [1] or [1,1] condition would broadcast the outputs */
        ValId in[2] = {cond, const_val(L, DT_I64, NULL, 0, 1)};
        if (in[1] == NONE || (cond = emit(L, OP_RESHAPE, in, 2, NULL, NONE)) == NONE)
            goto done;
    }
    for (int o = 0; o < nout; o++) {
        if (held(g, res[o]) || held(g, res[nout + o])) {
            ValId made;
            int r = select_held(L, o, cond, res[o], res[nout + o], g->node[L->n].out[o], &made);
            if (r) {
                rc = r;
                goto done;
            }
            continue;
        }
        const Value *t = &g->val[res[o]], *e = &g->val[res[nout + o]];
        /* one of unknown type (an op hetc does not know, a dynamic shape) is left to the check
         * pass to refuse for what it is */
        if (!same_type(t, e) && t->rank >= 0 && e->rank >= 0 && t->dt && e->dt) {
            char a[IR_MAXRANK * 24 + 16], b[IR_MAXRANK * 24 + 16];
            REFUSE(L,
                   "with a condition known only at run time, output %d must have one dtype "
                   "and static shape in both branches (then %s, else %s): not supported",
                   o, type_text(t, a, sizeof a), type_text(e, b, sizeof b));
            goto done;
        }
        ValId to = g->node[L->n].out[o];
        ValId in[3] = {cond, res[o], res[nout + o]};
        if (to != NONE && emit(L, res[o] == res[nout + o] ? OP_IDENTITY : OP_WHERE,
                               res[o] == res[nout + o] ? in + 1 : in,
                               res[o] == res[nout + o] ? 1 : 3, NULL, to) == NONE)
            goto done;
    }
    rc = 0;
done:
    ir_free(res);
    return rc;
}

/* The steps of a loop or scan: n copies of a body of nb nodes (and extra nodes each) within the
 * limits; 0 or -1 */
static int
check_steps(Lower *L, int64_t n, int nb, int extra, const char *what)
{
    if (n > CF_MAX_STEPS || n * (nb + extra) > CF_MAX_NODES - *L->added)
        return REFUSE(L,
                      "unrolling %lld %s of a body of %d nodes is not supported (more than "
                      "hetc unrolls: at most %d, and %d nodes in all)",
                      (long long)n, what, nb, CF_MAX_STEPS, CF_MAX_NODES);
    return 0;
}

/* ---- sequences and optionals ------------------------------------------------------------------- */

/* Whether v is a sequence or optional resolved here (a graph input not bound is not) */
static int
held(const Graph *g, ValId v)
{
    return v != NONE && (g->val[v].flags & (V_SEQ | V_OPT)) && !(g->val[v].flags & V_INPUT);
}

/* Whether node n is lowered here: control flow, a sequence op, or a node reading a sequence */
static int
needs_lowering(const Graph *g, NodeId n)
{
    const Node *x = &g->node[n];
    if (is_control(x->op) || ir_op[x->op].shape == SH_SEQ)
        return 1;
    for (int i = 0; i < x->nin; i++)
        if (held(g, x->in[i]))
            return 1;
    return 0;
}

/* `to` becomes what kind (V_SEQ or V_OPT) of dtype dt holding list[0..n) (arena-owned, kept) */
static void
set_held(Graph *g, ValId to, unsigned kind, DType dt, const ValId *list, int n)
{
    Value *t = &g->val[to];
    t->def = NONE; /* no node writes it */
    t->flags = (t->flags & V_OUTPUT) | kind;
    t->dt = dt;
    t->rank = -1;
    t->data = NULL;
    t->elem = list;
    t->nelem = n;
}

/* `to` holds what `from` holds; a tensor `from` is written into `to` by an Identity. 0 or -1. */
static int
hold_as(Lower *L, ValId to, ValId from)
{
    Graph *g = L->g;
    if (to == NONE)
        return 0;
    if (!held(g, from))
        return emit(L, OP_IDENTITY, &from, 1, NULL, to) == NONE ? -1 : 0;
    const Value *f = &g->val[from];
    set_held(g, to, f->flags & (V_SEQ | V_OPT), f->dt, f->elem, f->nelem);
    return 0;
}

/* A copy of list[0..n) with room for one more; NULL with d set */
static ValId *
list_copy(Lower *L, const ValId *list, int n)
{
    ValId *c = ir_galloc(L->g, (size_t)(n + 1) * sizeof *c);
    if (!c)
        diag_oom(L->d);
    else if (n)
        memcpy(c, list, (size_t)n * sizeof *c);
    return c;
}

/* The node's input i as a sequence (V_SEQ) or, with kind V_OPT, an optional; 0, LEFT (of unknown
 * type in inspect) or -1 */
static int
want_held(Lower *L, int i, unsigned kind)
{
    const Graph *g = L->g;
    ValId v = g->node[L->n].in[i];
    if (held(g, v) && (g->val[v].flags & kind))
        return 0;
    if (v != NONE && !held(g, v) && g->val[v].rank < 0)
        return unknown(L, "input %d is not known to be a %s", i,
                       kind == V_SEQ ? "sequence" : "optional");
    return REFUSE(L, "input %d is not a %s", i, kind == V_SEQ ? "sequence" : "optional");
}

/* Input i, a tensor (not a sequence or optional); 0 or -1 */
static int
want_tensor(Lower *L, int i)
{
    ValId v = L->g->node[L->n].in[i];
    if (v == NONE)
        return REFUSE(L, "input %d is missing", i);
    return held(L->g, v) ? REFUSE(L, "input %d is a sequence or optional; expected a tensor", i)
                         : 0;
}

/* The position in input i (of a sequence of n tensors, dflt when the input is left out) into
 * *at, from -n to n - 1, or to n where an insert may append; 0, LEFT or -1 */
static int
seq_pos(Lower *L, int i, int64_t n, int insert, int64_t dflt, int64_t *at)
{
    const Node *x = &L->g->node[L->n];
    int64_t p = dflt;
    if (i < x->nin && x->in[i] != NONE) {
        const Value *v = &L->g->val[x->in[i]];
        if (!(v->flags & V_CONST))
            return unknown(L, "the position is known only at run time (to hetc a dynamic "
                              "shape: --bind the inputs it comes from)");
        if ((v->dt != DT_I32 && v->dt != DT_I64) || ir_numel(v) != 1)
            return REFUSE(L, "the position must be one int32 or int64");
        p = ir_const_i(v, 0);
    }
    if (p < -n || p > (insert ? n : n - 1))
        return REFUSE(L, "position %lld is outside a sequence of %lld tensors", (long long)p,
                      (long long)n);
    *at = p < 0 ? p + n : p;
    return 0;
}

/* SplitToSequence: a Slice (and a Squeeze, keepdims 0 without split sizes) per piece */
static int
split_to_sequence(Lower *L)
{
    Graph *g = L->g;
    const Node *x = &g->node[L->n];
    const SeqAttr a = x->attr->seq;
    ValId in = x->in[0], sp = x->nin > 1 ? x->in[1] : NONE, to = x->out[0];
    const Value *v = &g->val[in];
    if (!ir_shape_known(v))
        return unknown(L, "the input has a dynamic shape; pass --shape for the model's inputs");
    if (a.axis < -v->rank || a.axis >= v->rank)
        return REFUSE(L, "axis %lld is out of range for rank %d", (long long)a.axis, v->rank);
    int64_t axis = a.axis < 0 ? a.axis + v->rank : a.axis, len = v->dim[axis], chunk = 1, n;
    const Value *s = sp != NONE ? &g->val[sp] : NULL;
    if (s && !(s->flags & V_CONST))
        return unknown(L, "the split sizes are known only at run time: not supported");
    if (s && s->rank > 1)
        return REFUSE(L, "split must be a scalar or 1-D");
    if (s && s->rank == 0 && (chunk = ir_const_i(s, 0)) < 1)
        return REFUSE(L, "a split size of %lld", (long long)chunk);
    n = s && s->rank == 1 ? ir_numel(s) : len ? (len - 1) / chunk + 1 : 0;
    if (check_steps(L, n, 0, 2, "pieces") < 0)
        return -1;
    ValId *list = ir_galloc(g, (size_t)(n + 1) * sizeof *list);
    if (!list)
        return diag_oom(L->d);
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t size = s && s->rank == 1 ? ir_const_i(s, i) : chunk < len - at ? chunk : len - at;
        if (size < 0 || size > len - at)
            return REFUSE(L, "the split sizes do not add up to the axis's length %lld",
                          (long long)len);
        int64_t b = at, e = at + size;
        ValId sl[4] = {in, const_val(L, DT_I64, &b, 1, 1), const_val(L, DT_I64, &e, 1, 1),
                       const_val(L, DT_I64, &axis, 1, 1)};
        if (sl[1] == NONE || sl[2] == NONE || sl[3] == NONE ||
            (list[i] = emit(L, OP_SLICE, sl, 4, NULL, NONE)) == NONE)
            return -1;
        ValId sq[2] = {list[i], sl[3]};
        if (!s && !a.keepdims && (list[i] = emit(L, OP_SQUEEZE, sq, 2, NULL, NONE)) == NONE)
            return -1;
        at = e;
    }
    if (at != len)
        return REFUSE(L, "the split sizes do not add up to the axis's length %lld",
                      (long long)len);
    set_held(g, to, V_SEQ, v->dt, list, (int)n);
    return 0;
}

/* A sequence or optional op, or a node reading one: what it makes, resolved now */
static int
lower_held(Lower *L)
{
    Graph *g = L->g;
    const Node *x = &g->node[L->n];
    ValId to = x->out[0], in0 = x->nin > 0 ? x->in[0] : NONE;
    const Value *s = in0 != NONE ? &g->val[in0] : NULL;
    int64_t at, yes;
    int rc;
    ValId *list;
    switch (x->op) {
    case OP_SEQUENCEEMPTY:
        set_held(g, to, V_SEQ, x->attr->seq.dtype, NULL, 0);
        return 0;
    case OP_SEQUENCECONSTRUCT:
        for (int i = 0; i < x->nin; i++) {
            if (want_tensor(L, i) < 0)
                return -1;
            if (g->val[x->in[i]].dt != s->dt)
                return REFUSE(L, "the tensors are of different dtypes (%s and %s)",
                              ir_dtype_name(s->dt), ir_dtype_name(g->val[x->in[i]].dt));
        }
        if (!(list = list_copy(L, x->in, x->nin)))
            return -1;
        set_held(g, to, V_SEQ, s->dt, list, x->nin);
        return 0;
    case OP_SEQUENCEINSERT:
        if ((rc = want_held(L, 0, V_SEQ)) || (rc = want_tensor(L, 1)) ||
            (rc = seq_pos(L, 2, s->nelem, 1, s->nelem, &at)))
            return rc;
        if (s->nelem && g->val[x->in[1]].dt != s->dt)
            return REFUSE(L, "inserts a %s tensor into a sequence of %s",
                          ir_dtype_name(g->val[x->in[1]].dt), ir_dtype_name(s->dt));
        if (!(list = list_copy(L, s->elem, s->nelem)))
            return -1;
        memmove(list + at + 1, list + at, (size_t)(s->nelem - at) * sizeof *list);
        list[at] = x->in[1];
        set_held(g, to, V_SEQ, g->val[x->in[1]].dt, list, s->nelem + 1);
        return 0;
    case OP_SEQUENCEERASE:
        if ((rc = want_held(L, 0, V_SEQ)) || (rc = seq_pos(L, 1, s->nelem, 0, -1, &at)))
            return rc;
        if (!(list = list_copy(L, s->elem, s->nelem)))
            return -1;
        memmove(list + at, list + at + 1, (size_t)(s->nelem - at - 1) * sizeof *list);
        set_held(g, to, V_SEQ, s->dt, list, s->nelem - 1);
        return 0;
    case OP_SEQUENCEAT:
        if ((rc = want_held(L, 0, V_SEQ)) || (rc = seq_pos(L, 1, s->nelem, 0, 0, &at)))
            return rc;
        return hold_as(L, to, s->elem[at]);
    case OP_SEQUENCELENGTH: {
        if ((rc = want_held(L, 0, V_SEQ)))
            return rc;
        int64_t n = s->nelem;
        ValId c = const_val(L, DT_I64, &n, 1, 0);
        return c == NONE ? -1 : hold_as(L, to, c);
    }
    case OP_CONCATFROMSEQUENCE: {
        if ((rc = want_held(L, 0, V_SEQ)))
            return rc;
        if (s->nelem == 0)
            return REFUSE(L, "concatenates an empty sequence");
        if (x->attr->seq.new_axis)
            return stack(L, s->elem, s->nelem, x->attr->seq.axis, to) == NONE ? -1 : 0;
        if (s->nelem == 1)
            return hold_as(L, to, s->elem[0]);
        Attr a;
        ir_attr_default(OP_CONCAT, &a);
        a.axis.axis = x->attr->seq.axis;
        return emit(L, OP_CONCAT, s->elem, s->nelem, &a, to) == NONE ? -1 : 0;
    }
    case OP_SPLITTOSEQUENCE:
        return want_tensor(L, 0) < 0 ? -1 : split_to_sequence(L);
    case OP_OPTIONAL:
        if (in0 == NONE) {
            set_held(g, to, V_OPT, DT_UNDEF, NULL, 0);
            return 0;
        }
        if (held(g, in0) && (s->flags & V_OPT))
            return REFUSE(L, "an optional of an optional is not supported");
        if (!(list = list_copy(L, &in0, 1)))
            return -1;
        set_held(g, to, V_OPT, s->dt, list, 1);
        return 0;
    case OP_OPTIONALHASELEMENT: {
        if (in0 != NONE && !held(g, in0) && s->rank < 0)
            return unknown(L, "input 0 is not known to be an optional");
        yes = in0 != NONE && (!held(g, in0) || !(s->flags & V_OPT) || s->nelem > 0);
        ValId c = const_val(L, DT_BOOL, &yes, 1, 0);
        return c == NONE ? -1 : hold_as(L, to, c);
    }
    case OP_OPTIONALGETELEMENT:
        if (in0 == NONE)
            return REFUSE(L, "input 0 is missing");
        if (held(g, in0) && (s->flags & V_OPT)) {
            if (s->nelem == 0)
                return REFUSE(L, "the optional holds no value");
            return hold_as(L, to, s->elem[0]);
        }
        if (!held(g, in0) && s->rank < 0)
            return unknown(L, "input 0 is not known to be an optional");
        return hold_as(L, to, in0); /* opset 18: a tensor or sequence stands for itself */
    case OP_IDENTITY:
        return hold_as(L, to, in0);
    default:
        return REFUSE(L, "%s of a sequence or optional is not supported",
                      x->optype ? x->optype : ir_op[x->op].onnx);
    }
}

/*
 * Output o of a run-time If: t from the then branch, e from the else branch, at least one a
 * sequence or optional, selected by cond into `to` (NONE: a fresh value, returned in *made).
 * Both must hold as many tensors, of one dtype and shape each, which Where selects one by one.
 */
static int
select_held(Lower *L, int o, ValId cond, ValId t, ValId e, ValId to, ValId *made)
{
    Graph *g = L->g;
    if (to == NONE && (to = new_val(L, L->name, "select", DT_UNDEF)) == NONE)
        return -1;
    *made = to;
    if (t == e)
        return hold_as(L, to, t);
    const Value *a = &g->val[t], *b = &g->val[e];
    unsigned kind = a->flags & (V_SEQ | V_OPT);
    if (!held(g, t) || !held(g, e) || kind != (b->flags & (V_SEQ | V_OPT)))
        return REFUSE(L, "output %d is a sequence or optional in one branch only", o);
    if (a->nelem != b->nelem)
        return kind == V_OPT
                   ? unknown(L, "whether output %d holds a value depends on the condition, "
                                "known only at run time (to hetc a dynamic shape: --bind the "
                                "inputs it comes from)", o)
                   : REFUSE(L, "with a condition known only at run time, output %d must be a "
                               "sequence of as many tensors in both branches (%d and %d): not "
                               "supported", o, a->nelem, b->nelem);
    int n = a->nelem;
    DType dt = a->dt;
    ValId *list = ir_galloc(g, (size_t)(n + 1) * sizeof *list);
    if (!list)
        return diag_oom(L->d);
    for (int i = 0; i < n; i++) {
        ValId ti = g->val[t].elem[i], ei = g->val[e].elem[i];
        if (held(g, ti) || held(g, ei)) { /* an optional's sequence */
            int rc = select_held(L, o, cond, ti, ei, NONE, &list[i]);
            if (rc)
                return rc;
            continue;
        }
        if (!same_type(&g->val[ti], &g->val[ei])) {
            char x[IR_MAXRANK * 24 + 16], y[IR_MAXRANK * 24 + 16];
            return REFUSE(L,
                          "with a condition known only at run time, tensor %d of output %d "
                          "must have one dtype and static shape in both branches (then %s, "
                          "else %s): not supported",
                          i, o, type_text(&g->val[ti], x, sizeof x),
                          type_text(&g->val[ei], y, sizeof y));
        }
        ValId in[3] = {cond, ti, ei};
        if ((list[i] = ti == ei ? ti : emit(L, OP_WHERE, in, 3, NULL, NONE)) == NONE)
            return -1;
        dt = g->val[ti].dt;
    }
    set_held(g, to, kind, dt, list, n);
    return 0;
}

/*
 * The graph's outputs that are sequences or optionals, replaced by the tensors they hold, in
 * order: an optional tensor becomes the output itself (none: no output), a sequence's tensor i
 * "NAME[i]", each written by an Identity. 1 when it replaced any, 0 when there was none, or
 * -1 (no output left, out of memory).
 */
static int
expand_outputs(Graph *g, Diag *d)
{
    int n = 0, any = 0;
    for (int i = 0; i < g->noutput; i++) {
        const Value *v = &g->val[g->output[i]];
        int k = !held(g, g->output[i]) ? 1 : v->flags & V_SEQ ? v->nelem
                : v->nelem ? (held(g, v->elem[0]) ? g->val[v->elem[0]].nelem : 1) : 0;
        n += k;
        any |= held(g, g->output[i]);
    }
    if (!any)
        return 0;
    if (n == 0)
        return diag_error(d, "the outputs hold no tensor (empty sequences, optionals without "
                          "a value): nothing to compute");
    ValId *out = ir_galloc(g, (size_t)n * sizeof *out);
    if (!out)
        return diag_oom(d);
    n = 0;
    for (int i = 0; i < g->noutput; i++) {
        ValId o = g->output[i];
        if (!held(g, o)) {
            out[n++] = o;
            continue;
        }
        const Value *v = &g->val[o];
        const char *name = v->name;
        ValId src = v->nelem ? v->elem[0] : NONE;
        int seq = (v->flags & V_SEQ) || held(g, src);
        const ValId *list = v->flags & V_SEQ ? v->elem : held(g, src) ? g->val[src].elem : &src;
        int cnt = v->flags & V_SEQ ? v->nelem : held(g, src) ? g->val[src].nelem : v->nelem;
        g->val[o].flags &= ~(unsigned)(V_OUTPUT | V_SEQ | V_OPT);
        for (int j = 0; j < cnt; j++) {
            char buf[IR_MAXNAME];
            int k = snprintf(buf, sizeof buf, "%s[%d]", name, j);
            ValId y = o;
            if (seq) {
                int dup = 0;
                y = k > 0 && k < IR_MAXNAME ? ir_val_add(g, buf, DT_UNDEF, &dup) : NONE;
                if (y == NONE && (dup || k <= 0 || k >= IR_MAXNAME))
                    y = ir_val_add(g, NULL, DT_UNDEF, NULL);
            }
            NodeId m = y == NONE ? NONE : ir_node_add(g, OP_IDENTITY, g->val[y].name, 1, 1);
            if (m == NONE)
                return diag_oom(d);
            g->node[m].optype = "Identity";
            g->node[m].in[0] = list[j];
            g->node[m].out[0] = y;
            g->val[y].def = m;
            g->val[y].flags |= V_OUTPUT;
            if (ir_infer_fold_node(g, m, d) < 0)
                return -1;
            out[n++] = y;
        }
    }
    g->output = out;
    g->noutput = n;
    return 1;
}

/* SequenceMap: the body once per position of the input sequences (a tensor input the same each
 * time), its outputs gathered into the output sequences */
static int
lower_seqmap(Lower *L)
{
    Graph *g = L->g;
    const Node *x = &g->node[L->n];
    const Graph *b = x->attr->body.body[0];
    int nreal = x->nin - x->attr->body.ncapture, nout = x->nout, rc;
    if (b->ninput != nreal || b->noutput != nout)
        return REFUSE(L, "the body takes %d inputs and gives %d outputs; expected %d and %d",
                      b->ninput, b->noutput, nreal, nout);
    if ((rc = want_held(L, 0, V_SEQ)))
        return rc;
    int n = g->val[x->in[0]].nelem;
    for (int i = 1; i < nreal; i++) {
        ValId v = x->in[i];
        if (v == NONE)
            return REFUSE(L, "input %d is missing", i);
        if (held(g, v) && (!(g->val[v].flags & V_SEQ) || g->val[v].nelem != n))
            return REFUSE(L, "input %d is %s; expected a tensor or a sequence of %d", i,
                          g->val[v].flags & V_SEQ ? "a sequence of another length"
                                                  : "an optional", n);
        if (!held(g, v) && g->val[v].rank < 0 && (rc = unknown(L, "input %d is not known to be "
                                                               "a tensor", i)))
            return rc;
    }
    if (check_steps(L, n, b->nnode, nout, "elements") < 0)
        return -1;
    ValId *cur = ir_alloc((size_t)nreal * sizeof *cur + 1);
    ValId *res = ir_alloc((size_t)nout * sizeof *res + 1);
    ValId *lists = ir_galloc(g, (size_t)nout * (size_t)n * sizeof *lists + 1);
    rc = -1;
    if (!cur || !res || !lists) {
        diag_oom(L->d);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        char tag[IR_MAXNAME];
        x = &g->node[L->n];
        for (int k = 0; k < nreal; k++)
            cur[k] = held(g, x->in[k]) ? g->val[x->in[k]].elem[i] : x->in[k];
        if (inline_body(L, 0, cur, tag_of(L, tag, sizeof tag, "", i), res) < 0)
            goto done;
        for (int j = 0; j < nout; j++) {
            if (held(g, res[j])) {
                REFUSE(L, "the body's output %d is a sequence or optional; expected a tensor", j);
                goto done;
            }
            lists[(size_t)j * (size_t)n + (size_t)i] = res[j];
        }
    }
    for (int j = 0; j < nout; j++) {
        ValId to = g->node[L->n].out[j];
        const ValId *list = lists + (size_t)j * (size_t)n;
        if (to != NONE)
            set_held(g, to, V_SEQ, n ? g->val[list[0]].dt : DT_UNDEF, list, n);
    }
    rc = 0;
done:
    ir_free(cur);
    ir_free(res);
    return rc;
}

static int
lower_loop(Lower *L)
{
    Graph *g = L->g;
    const Node *x = &g->node[L->n];
    const Graph *b = x->attr->body.body[0];
    int nreal = x->nin - x->attr->body.ncapture, nv = nreal - 2, nscan = b->noutput - 1 - nv;
    if (nv < 0)
        return REFUSE(L, "%d inputs; expected M, cond and the loop-carried values", nreal);
    if (b->ninput != 2 + nv || nscan < 0 || x->nout > nv + nscan)
        return REFUSE(L,
                      "the body takes %d inputs and gives %d outputs; with %d loop-carried "
                      "values expected %d and at least %d",
                      b->ninput, b->noutput, nv, 2 + nv,
                      1 + nv + (x->nout > nv ? x->nout - nv : 0));
    int64_t trips = CF_MAX_STEPS + 1, cond = 1;
    if (x->in[0] != NONE && const_scalar(g, x->in[0], &trips) < 0)
        return unknown(L, "the trip count M is not known at compile time (to hetc a dynamic "
                          "shape: --bind the inputs it is computed from)");
    if (x->in[1] != NONE && const_scalar(g, x->in[1], &cond) < 0)
        return unknown(L, "the loop's condition is known only at run time (a data-dependent "
                          "exit): not supported");
    if (x->in[0] != NONE && check_steps(L, trips, b->nnode, nscan, "iterations") < 0)
        return -1;
    for (int j = 0; j < nv; j++)
        if (x->in[2 + j] == NONE)
            return REFUSE(L, "loop-carried value %d has no initial value", j);
    ValId *cur = ir_alloc((size_t)(2 + nv + nscan) * sizeof *cur);
    ValId *res = ir_alloc((size_t)(1 + nv + nscan) * sizeof *res);
    ValId *scan = ir_alloc((size_t)nscan * CF_MAX_STEPS * sizeof *scan + 1);
    int rc = -1;
    int64_t i = 0;
    if (!cur || !res || !scan) {
        diag_oom(L->d);
        goto done;
    }
    for (int j = 0; j < nv; j++)
        cur[2 + j] = x->in[2 + j];
    int64_t one = 1;
    cur[1] = x->in[1] != NONE ? x->in[1] : const_val(L, DT_BOOL, &one, 1, 0);
    for (; i < trips && cond; i++) {
        char tag[IR_MAXNAME];
        if (i == CF_MAX_STEPS) {
            REFUSE(L,
                   "a loop of more than %d iterations is not supported (more than hetc "
                   "unrolls)",
                   CF_MAX_STEPS);
            goto done;
        }
        if (cur[1] == NONE || (cur[0] = const_val(L, DT_I64, &i, 1, 0)) == NONE ||
            inline_body(L, 0, cur, tag_of(L, tag, sizeof tag, "", i), res) < 0)
            goto done;
        if (const_scalar(g, res[0], &cond) < 0) {
            rc = unknown(L, "the body's condition output is known only at run time (a "
                            "data-dependent exit): not supported");
            goto done;
        }
        cur[1] = res[0];
        memcpy(cur + 2, res + 1, (size_t)nv * sizeof *cur);
        for (int k = 0; k < nscan; k++) {
            if (held(g, res[1 + nv + k])) {
                REFUSE(L, "scan output %d is a sequence or optional; expected a tensor", k);
                goto done;
            }
            scan[(size_t)k * CF_MAX_STEPS + (size_t)i] = res[1 + nv + k];
        }
    }
    if (pass_through(L, cur + 2, 0, nv) < 0)
        goto done;
    for (int k = 0; k < nscan && nv + k < g->node[L->n].nout; k++) {
        ValId to = g->node[L->n].out[nv + k];
        if (to == NONE)
            continue;
        if (i == 0) {
            REFUSE(L,
                   "the loop runs no iteration, so scan output %d is empty of unknown shape: "
                   "not supported",
                   k);
            goto done;
        }
        if (stack(L, scan + (size_t)k * CF_MAX_STEPS, (int)i, 0, to) == NONE)
            goto done;
    }
    rc = 0;
done:
    ir_free(cur);
    ir_free(res);
    ir_free(scan);
    return rc;
}

/* Scan's attribute list[i]; 0 when the list is not given */
static int64_t
scan_attr(Ints list, int i)
{
    return list.n ? list.v[i] : 0;
}

/*
 * A Scan's steps over in[] (its states, then its scan inputs, of len steps along axis[i]; read
 * backwards for scan_input_directions 1): cur[] (room for the body's inputs) gets the final
 * states, and scan[k * len + p] scan output k of the step at position p (reversed for
 * scan_output_directions 1). tag names the copies. 0 or -1.
 */
static int
scan_steps(Lower *L, const ValId *in, const int64_t *axis, int64_t len, const char *tag, ValId *cur,
           ValId *scan)
{
    const BodyAttr *a = &L->g->node[L->n].attr->body;
    const Graph *b = a->body[0];
    int nin = (int)a->num_scan_inputs, ns = b->ninput - nin, nout = b->noutput - ns;
    ValId *res = ir_alloc((size_t)b->noutput * sizeof *res + 1);
    int rc = -1;
    if (!res)
        return diag_oom(L->d);
    memcpy(cur, in, (size_t)ns * sizeof *cur);
    for (int64_t t = 0; t < len; t++) {
        char step[IR_MAXNAME];
        for (int i = 0; i < nin; i++) {
            int64_t at = scan_attr(a->scan_input_directions, i) ? len - 1 - t : t;
            Attr ga;
            ir_attr_default(OP_GATHER, &ga);
            ga.axis.axis = axis[i];
            ValId gin[2] = {in[ns + i], const_val(L, DT_I64, &at, 1, 0)};
            if (gin[1] == NONE || (cur[ns + i] = emit(L, OP_GATHER, gin, 2, &ga, NONE)) == NONE)
                goto done;
        }
        int k = snprintf(step, sizeof step, "%s/%lld", tag, (long long)t);
        if (inline_body(L, 0, cur, k > 0 && k < IR_MAXNAME ? step : L->name, res) < 0)
            goto done;
        memcpy(cur, res, (size_t)ns * sizeof *cur);
        for (int o = 0; o < nout; o++) {
            int64_t at = scan_attr(a->scan_output_directions, o) ? len - 1 - t : t;
            if (held(L->g, res[ns + o])) {
                REFUSE(L, "scan output %d is a sequence or optional; expected a tensor", o);
                goto done;
            }
            scan[(size_t)o * (size_t)len + (size_t)at] = res[ns + o];
        }
    }
    rc = 0;
done:
    ir_free(res);
    return rc;
}

/* Scan (opset 9 and later), or opset 8's form (batched: a batch axis 0 on every input and
 * output, the sequence axis 1, sequence_lens first): the batch rows are scanned one by one and
 * stacked again. */
static int
lower_scan(Lower *L)
{
    Graph *g = L->g;
    const Node *x = &g->node[L->n];
    const BodyAttr *a = &x->attr->body;
    const Graph *b = a->body[0];
    int batched = a->batched, nin = (int)a->num_scan_inputs;
    int nreal = x->nin - a->ncapture - batched, ns = nreal - nin, nout = b->noutput - ns;
    const ValId *in = x->in + batched; /* arena-owned: stays where it is as nodes are added */
    if (nreal < 1 || ns < 0 || b->ninput != nreal || nout < 0 || x->nout > ns + nout)
        return REFUSE(L,
                      "num_scan_inputs %lld with %d inputs; the body takes %d inputs and "
                      "gives %d outputs",
                      (long long)a->num_scan_inputs, nreal, b->ninput, b->noutput);
    if ((a->scan_input_axes.n && a->scan_input_axes.n != nin) ||
        (a->scan_input_directions.n && a->scan_input_directions.n != nin) ||
        (a->scan_output_axes.n && a->scan_output_axes.n != nout) ||
        (a->scan_output_directions.n && a->scan_output_directions.n != nout))
        return REFUSE(L, "scan_input_axes, scan_input_directions, scan_output_axes and "
                         "scan_output_directions must have one entry per scan input or output");
    for (int i = 0; i < nin; i++)
        if ((uint64_t)scan_attr(a->scan_input_directions, i) > 1)
            return REFUSE(L, "scan_input_directions must be 0 or 1");
    for (int i = 0; i < nout; i++)
        if ((uint64_t)scan_attr(a->scan_output_directions, i) > 1)
            return REFUSE(L, "scan_output_directions must be 0 or 1");
    int64_t len = -1, rows = 1, axis[64];
    if (nin > 64)
        return REFUSE(L, "%d scan inputs; at most 64 are supported", nin);
    for (int i = 0; i < nreal; i++) {
        if (in[i] == NONE)
            return REFUSE(L, "input %d is missing", batched + i);
        const Value *v = &g->val[in[i]];
        if (held(g, in[i]))
            return REFUSE(L, "input %d is a sequence or optional; Scan takes tensors", batched + i);
        if (!ir_shape_known(v))
            return unknown(L, "input %d has a dynamic shape; pass --shape for the model's inputs",
                           batched + i);
        if (batched && (v->rank < 1 + (i >= ns) || (i > 0 && v->dim[0] != rows)))
            return REFUSE(L, "input %d is %s a batch axis (opset 8's Scan) that the others have",
                          batched + i, v->rank < 1 + (i >= ns) ? "without" : "not of");
        if (batched)
            rows = v->dim[0];
        if (i < ns)
            continue;
        int64_t ax = batched ? 1 : scan_attr(a->scan_input_axes, i - ns);
        if (ax < -v->rank || ax >= v->rank)
            return REFUSE(L, "scan_input_axes %lld is out of range for scan input %d of rank %d",
                          (long long)ax, i - ns, v->rank);
        ax = ax < 0 ? ax + v->rank : ax;
        if (len >= 0 && v->dim[ax] != len)
            return REFUSE(L, "the scan inputs have different lengths (%lld and %lld)",
                          (long long)len, (long long)v->dim[ax]);
        len = v->dim[ax];
        axis[i - ns] = batched ? 0 : ax; /* a batch row has lost axis 0 */
    }
    if (batched && x->in[0] != NONE) { /* sequence_lens: each row's full length, or refused */
        const Value *sl = &g->val[x->in[0]];
        if (!(sl->flags & V_CONST))
            return unknown(L, "sequence_lens is known only at run time: not supported");
        for (int64_t r = 0; r < ir_numel(sl); r++)
            if (ir_const_i(sl, r) != len)
                return REFUSE(L,
                              "sequence_lens other than the sequence's length (%lld) is not "
                              "supported",
                              (long long)len);
    }
    if ((len == 0 && nout > 0) || rows == 0)
        return REFUSE(L, "the scan inputs are empty, so the outputs are empty of unknown shape: "
                         "not supported");
    if (check_steps(L, rows > CF_MAX_STEPS || len > CF_MAX_STEPS ? INT64_MAX : rows * len, b->nnode,
                    nin + nout + batched * (nreal + nout), "steps") < 0)
        return -1;
    ValId *cur = ir_alloc((size_t)nreal * sizeof *cur + 1), *row = NULL;
    ValId *scan = ir_alloc((size_t)nout * (size_t)len * sizeof *scan + 1);
    ValId *fin = ir_alloc((size_t)(ns + nout) * (size_t)rows * sizeof *fin + 1);
    int rc = -1;
    if (!cur || !scan || !fin || (batched && !(row = ir_alloc((size_t)nreal * sizeof *row)))) {
        diag_oom(L->d);
        goto done;
    }
    for (int64_t r = 0; r < rows; r++) {
        char tag[IR_MAXNAME];
        if (batched) { /* row r of every input */
            Attr ga;
            ir_attr_default(OP_GATHER, &ga);
            for (int i = 0; i < nreal; i++) {
                ValId gin[2] = {in[i], const_val(L, DT_I64, &r, 1, 0)};
                if (gin[1] == NONE || (row[i] = emit(L, OP_GATHER, gin, 2, &ga, NONE)) == NONE)
                    goto done;
            }
        }
        if (scan_steps(L, batched ? row : in, axis, len,
                       batched ? tag_of(L, tag, sizeof tag, "row", (long)r) : L->name, cur,
                       scan) < 0)
            goto done;
        /* per output, the row's final state or stacked scan output */
        for (int j = 0; j < ns + nout; j++) {
            ValId *f = &fin[(size_t)j * (size_t)rows + (size_t)r];
            int k = j - ns;
            ValId to = batched || j >= g->node[L->n].nout ? NONE : g->node[L->n].out[j];
            if (j < ns)
                *f = cur[j];
            else if ((*f = stack(L, scan + (size_t)k * (size_t)len, (int)len,
                                 batched ? 0 : scan_attr(a->scan_output_axes, k), to)) == NONE)
                goto done;
        }
    }
    /* unbatched, the states pass through; batched, every output's rows are stacked again */
    if (!batched && pass_through(L, cur, 0, ns) < 0)
        goto done;
    for (int j = 0; batched && j < ns + nout && j < g->node[L->n].nout; j++) {
        ValId to = g->node[L->n].out[j];
        if (to != NONE && stack(L, fin + (size_t)j * (size_t)rows, (int)rows, 0, to) == NONE)
            goto done;
    }
    rc = 0;
done:
    ir_free(cur);
    ir_free(row);
    ir_free(scan);
    ir_free(fin);
    return rc;
}

/* Infers again, in order, the nodes downstream of node n's outputs (n is lowered: its outputs
 * have new definitions, already inferred); nodes already folded stay as they are. 0 or -1. */
static int
reinfer(Graph *g, NodeId n, Diag *d)
{
    unsigned char *dirty = ir_alloc((size_t)g->nval + 1);
    if (!dirty)
        return diag_oom(d);
    memset(dirty, 0, (size_t)g->nval);
    for (int i = 0; i < g->node[n].nout; i++)
        if (g->node[n].out[i] != NONE)
            dirty[g->node[n].out[i]] = 1;
    delete_node(g, n);
    int rc = ir_toposort(g, d);
    for (NodeId m = 0; rc == 0 && m < g->nnode; m++) {
        const Node *x = &g->node[m];
        int any = 0, folded = x->nout > 0;
        for (int i = 0; i < x->nin; i++)
            any |= x->in[i] != NONE && dirty[x->in[i]];
        for (int i = 0; i < x->nout; i++)
            folded &= x->out[i] == NONE || (g->val[x->out[i]].flags & V_CONST);
        if (!any || folded || x->op == OP_NOP)
            continue;
        for (int i = 0; i < x->nout; i++)
            if (x->out[i] != NONE)
                dirty[x->out[i]] = 1;
        rc = ir_infer_fold_node(g, m, d);
    }
    ir_free(dirty);
    return rc;
}

/* Where attribute a is or would go in left[0..nleft), kept in address order */
static int
left_at(Attr *const *left, int nleft, const Attr *a)
{
    int lo = 0, hi = nleft;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if ((uintptr_t)left[mid] < (uintptr_t)a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether node x is one the lowering left (its attribute, which no sort moves, is in left[]) */
static int
was_left(const Node *x, Attr *const *left, int nleft)
{
    int i = left_at(left, nleft, x->attr);
    return i < nleft && left[i] == x->attr;
}

/* Lowers control-flow node n (not deleted: its outputs are written by the nodes that replace it);
 * 0, LEFT (known only at run time, not strict: n stays, whatever was made for it deleted) or -1 */
static int
lower_node(Graph *g, NodeId n, int strict, int *added, Diag *d)
{
    Lower *L = ir_alloc(sizeof *L); /* a body within a body recurses: keep names off the stack */
    if (!L)
        return diag_oom(d);
    *L = (Lower){g, n, d, strict, added, {NULL, NULL}, {0}};
    const Node *x = &g->node[n];
    const char *nm = x->name[0]                         ? x->name
                     : x->nout > 0 && x->out[0] != NONE ? g->val[x->out[0]].name
                                                        : ir_op[x->op].onnx;
    snprintf(L->name, sizeof L->name, "%.2000s", nm);
    int before = g->nnode;
    int rc = x->op == OP_IF     ? lower_if(L)
             : x->op == OP_LOOP ? lower_loop(L)
             : x->op == OP_SCAN ? lower_scan(L)
             : x->op == OP_SEQUENCEMAP ? lower_seqmap(L)
                                : lower_held(L);
    ir_free(L->cst[0]);
    ir_free(L->cst[1]);
    ir_free(L);
    for (NodeId m = before; rc == LEFT && m < g->nnode; m++)
        delete_node(g, m);
    return rc;
}

int
pass_control(Graph *g, int strict, Diag *d)
{
    int added = 0, any = 0, nleft = 0, rc = 0;
    Attr **left = NULL;
    /* a node left where it is changes no order: the search goes on after it; a lowering
     * re-sorts the graph, and the search starts again from the first node */
    NodeId from = 0;
    for (int i = 0; strict && i < g->ninput; i++) {
        const Value *v = &g->val[g->input[i]];
        if (v->flags & (V_SEQ | V_OPT))
            return diag_error(d, "input \"%s\" is %s: hetc resolves those while compiling, so "
                              "--bind it to a file holding its value (a %s)", v->name,
                              v->flags & V_OPT ? "an optional" : "a sequence",
                              v->flags & V_OPT ? "OptionalProto" : "SequenceProto");
    }
    for (;;) {
        NodeId n = from;
        while (n < g->nnode && (!needs_lowering(g, n) || was_left(&g->node[n], left, nleft)))
            n++;
        if (n == g->nnode)
            break;
        if (any + nleft == CF_MAX_LOWER) {
            rc = diag_node(d, g, n, "more than %d If, Loop, Scan and sequence nodes are not "
                           "supported", CF_MAX_LOWER);
            break;
        }
        rc = lower_node(g, n, strict, &added, d);
        if (rc == LEFT) {
            Attr **more = ir_realloc(left, (size_t)(nleft + 1) * sizeof *left);
            if (!more) {
                rc = diag_oom(d);
                break;
            }
            left = more;
            int at = left_at(left, nleft, g->node[n].attr);
            memmove(left + at + 1, left + at, (size_t)(nleft - at) * sizeof *left);
            left[at] = g->node[n].attr;
            nleft++;
            from = n + 1;
            rc = 0;
            continue;
        }
        if (rc < 0 || (rc = reinfer(g, n, d)) < 0)
            break;
        from = 0;
        any++;
    }
    ir_free(left);
    int expanded = 0;
    if (rc == 0 && strict && (expanded = expand_outputs(g, d)) < 0)
        rc = -1;
    for (NodeId n = 0; rc == 0 && strict && n < g->nnode; n++)
        if (g->node[n].op != OP_NOP && NEVER(needs_lowering(g, n)))
            rc = diag_node(d, g, n, "a sequence or optional is left unresolved");
    if (rc < 0 || (!any && nleft == 0 && !expanded))
        return rc;
    return ir_compact(g) < 0 ? diag_oom(d) : 0;
}
