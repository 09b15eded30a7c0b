/*
 * sequence.c: sequences and optionals, resolved while compiling, in passes/control.c's walk.
 *
 * A sequence is a value holding a list of tensor values (V_SEQ in ir.h), an optional one holding
 * none or one, a tensor or a sequence (V_OPT); neither ever holds data or reaches a backend. The
 * sequence ops make new lists (SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceErase,
 * SplitToSequence, Optional) or read them back as Identities, constants and Concats (SequenceAt,
 * OptionalGetElement, SequenceLength, OptionalHasElement, ConcatFromSequence); SequenceMap runs
 * its body once per position as a loop does. Since control.c lowers a body's node as soon as it
 * is copied, a loop-carried sequence grows one list per iteration, and an If on
 * OptionalHasElement folds. A run-time If selects sequences tensor by tensor (seq_select); the
 * graph's outputs that hold tensors so become those tensors, one output each
 * (seq_expand_outputs).
 *
 * Refused, with one line naming the node: positions and split sizes known only at run time (to
 * hetc a dynamic shape), positions out of range, an optional whose presence a run-time condition
 * decides, an optional of an optional, and any other op reading a sequence or optional.
 */
#include "control_impl.h"

#include <stdio.h>
#include <string.h>

/* Whether v is a sequence or optional resolved here (a graph input not bound is not) */
int
seq_held(const Graph *g, ValId v)
{
    return v != NONE && (g->val[v].flags & (V_SEQ | V_OPT)) && !(g->val[v].flags & V_INPUT);
}

/* Whether node n is lowered here: control flow, a sequence op, or a node reading a sequence */
int
seq_needs_lowering(const Graph *g, NodeId n)
{
    const Node *x = &g->node[n];
    if (cf_is_control(x->op) || ir_op[x->op].shape == SH_SEQ)
        return 1;
    for (int i = 0; i < x->nin; i++)
        if (seq_held(g, x->in[i]))
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
int
seq_hold_as(Lower *L, ValId to, ValId from)
{
    Graph *g = L->g;
    if (to == NONE)
        return 0;
    if (!seq_held(g, from))
        return cf_emit(L, OP_IDENTITY, &from, 1, NULL, to) == NONE ? -1 : 0;
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
    if (seq_held(g, v) && (g->val[v].flags & kind))
        return 0;
    if (v != NONE && !seq_held(g, v) && g->val[v].rank < 0)
        return cf_unknown(L, "input %d is not known to be a %s", i,
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
    return seq_held(L->g, v) ? REFUSE(L, "input %d is a sequence or optional; expected a tensor", i)
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
            return cf_unknown(L, "the position is known only at run time (to hetc a dynamic "
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
        return cf_unknown(L, "the input has a dynamic shape; pass --shape for the model's inputs");
    if (a.axis < -v->rank || a.axis >= v->rank)
        return REFUSE(L, "axis %lld is out of range for rank %d", (long long)a.axis, v->rank);
    int64_t axis = a.axis < 0 ? a.axis + v->rank : a.axis, len = v->dim[axis], chunk = 1, n;
    const Value *s = sp != NONE ? &g->val[sp] : NULL;
    if (s && !(s->flags & V_CONST))
        return cf_unknown(L, "the split sizes are known only at run time: not supported");
    if (s && s->rank > 1)
        return REFUSE(L, "split must be a scalar or 1-D");
    if (s && s->rank == 0 && (chunk = ir_const_i(s, 0)) < 1)
        return REFUSE(L, "a split size of %lld", (long long)chunk);
    int sizes = s && s->rank == 1; /* else pieces of chunk */
    DType dt = v->dt;
    n = sizes ? ir_numel(s) : len ? (len - 1) / chunk + 1 : 0;
    if (cf_check_steps(L, n, 0, 2, "pieces") < 0)
        return -1;
    ValId *list = ir_galloc(g, (size_t)(n + 1) * sizeof *list);
    if (!list)
        return diag_oom(L->d);
    int64_t at = 0;
    /* v and s are not read again below: the values made move g->val */
    for (int64_t i = 0; i < n; i++) {
        int64_t size = sizes ? ir_const_i(&g->val[sp], i) : chunk < len - at ? chunk : len - at;
        if (size < 0 || size > len - at)
            return REFUSE(L, "the split sizes do not add up to the axis's length %lld",
                          (long long)len);
        int64_t b = at, e = at + size;
        ValId sl[4] = {in, cf_const_val(L, DT_I64, &b, 1, 1), cf_const_val(L, DT_I64, &e, 1, 1),
                       cf_const_val(L, DT_I64, &axis, 1, 1)};
        if (sl[1] == NONE || sl[2] == NONE || sl[3] == NONE ||
            (list[i] = cf_emit(L, OP_SLICE, sl, 4, NULL, NONE)) == NONE)
            return -1;
        ValId sq[2] = {list[i], sl[3]};
        if (sp == NONE && !a.keepdims &&
            (list[i] = cf_emit(L, OP_SQUEEZE, sq, 2, NULL, NONE)) == NONE)
            return -1;
        at = e;
    }
    if (at != len)
        return REFUSE(L, "the split sizes do not add up to the axis's length %lld",
                      (long long)len);
    set_held(g, to, V_SEQ, dt, list, (int)n);
    return 0;
}

/* A sequence or optional op, or a node reading one: what it makes, resolved now */
int
seq_lower(Lower *L)
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
        return seq_hold_as(L, to, s->elem[at]);
    case OP_SEQUENCELENGTH: {
        if ((rc = want_held(L, 0, V_SEQ)))
            return rc;
        int64_t n = s->nelem;
        ValId c = cf_const_val(L, DT_I64, &n, 1, 0);
        return c == NONE ? -1 : seq_hold_as(L, to, c);
    }
    case OP_CONCATFROMSEQUENCE: {
        if ((rc = want_held(L, 0, V_SEQ)))
            return rc;
        if (s->nelem == 0)
            return REFUSE(L, "concatenates an empty sequence");
        if (x->attr->seq.new_axis)
            return cf_stack(L, s->elem, s->nelem, x->attr->seq.axis, to) == NONE ? -1 : 0;
        if (s->nelem == 1)
            return seq_hold_as(L, to, s->elem[0]);
        Attr a;
        ir_attr_default(OP_CONCAT, &a);
        a.axis.axis = x->attr->seq.axis;
        return cf_emit(L, OP_CONCAT, s->elem, s->nelem, &a, to) == NONE ? -1 : 0;
    }
    case OP_SPLITTOSEQUENCE:
        return want_tensor(L, 0) < 0 ? -1 : split_to_sequence(L);
    case OP_OPTIONAL:
        if (in0 == NONE) {
            set_held(g, to, V_OPT, DT_UNDEF, NULL, 0);
            return 0;
        }
        if (seq_held(g, in0) && (s->flags & V_OPT))
            return REFUSE(L, "an optional of an optional is not supported");
        if (!(list = list_copy(L, &in0, 1)))
            return -1;
        set_held(g, to, V_OPT, s->dt, list, 1);
        return 0;
    case OP_OPTIONALHASELEMENT: {
        if (in0 != NONE && !seq_held(g, in0) && s->rank < 0)
            return cf_unknown(L, "input 0 is not known to be an optional");
        yes = in0 != NONE && (!seq_held(g, in0) || !(s->flags & V_OPT) || s->nelem > 0);
        ValId c = cf_const_val(L, DT_BOOL, &yes, 1, 0);
        return c == NONE ? -1 : seq_hold_as(L, to, c);
    }
    case OP_OPTIONALGETELEMENT:
        if (in0 == NONE)
            return REFUSE(L, "input 0 is missing");
        if (seq_held(g, in0) && (s->flags & V_OPT)) {
            if (s->nelem == 0)
                return REFUSE(L, "the optional holds no value");
            return seq_hold_as(L, to, s->elem[0]);
        }
        if (!seq_held(g, in0) && s->rank < 0)
            return cf_unknown(L, "input 0 is not known to be an optional");
        return seq_hold_as(L, to, in0); /* opset 18: a tensor or sequence stands for itself */
    case OP_IDENTITY:
        return seq_hold_as(L, to, in0);
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
int
seq_select(Lower *L, int o, ValId cond, ValId t, ValId e, ValId to, ValId *made)
{
    Graph *g = L->g;
    if (to == NONE && (to = cf_new_val(L, L->name, "select", DT_UNDEF)) == NONE)
        return -1;
    *made = to;
    if (t == e)
        return seq_hold_as(L, to, t);
    const Value *a = &g->val[t], *b = &g->val[e];
    unsigned kind = a->flags & (V_SEQ | V_OPT);
    if (!seq_held(g, t) || !seq_held(g, e) || kind != (b->flags & (V_SEQ | V_OPT)))
        return REFUSE(L, "output %d is a sequence or optional in one branch only", o);
    if (a->nelem != b->nelem)
        return kind == V_OPT
                   ? cf_unknown(L, "whether output %d holds a value depends on the condition, "
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
        if (seq_held(g, ti) || seq_held(g, ei)) { /* an optional's sequence */
            int rc = seq_select(L, o, cond, ti, ei, NONE, &list[i]);
            if (rc)
                return rc;
            continue;
        }
        if (!cf_same_type(&g->val[ti], &g->val[ei])) {
            char x[IR_MAXRANK * 24 + 16], y[IR_MAXRANK * 24 + 16];
            return REFUSE(L,
                          "with a condition known only at run time, tensor %d of output %d "
                          "must have one dtype and static shape in both branches (then %s, "
                          "else %s): not supported",
                          i, o, cf_type_text(&g->val[ti], x, sizeof x),
                          cf_type_text(&g->val[ei], y, sizeof y));
        }
        ValId in[3] = {cond, ti, ei};
        if ((list[i] = ti == ei ? ti : cf_emit(L, OP_WHERE, in, 3, NULL, NONE)) == NONE)
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
int
seq_expand_outputs(Graph *g, Diag *d)
{
    int n = 0, any = 0;
    for (int i = 0; i < g->noutput; i++) {
        const Value *v = &g->val[g->output[i]];
        int k = !seq_held(g, g->output[i]) ? 1 : v->flags & V_SEQ ? v->nelem
                : v->nelem ? (seq_held(g, v->elem[0]) ? g->val[v->elem[0]].nelem : 1) : 0;
        n += k;
        any |= seq_held(g, g->output[i]);
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
        if (!seq_held(g, o)) {
            out[n++] = o;
            continue;
        }
        const Value *v = &g->val[o];
        const char *name = v->name;
        ValId src = v->nelem ? v->elem[0] : NONE;
        int seq = (v->flags & V_SEQ) || seq_held(g, src);
        const ValId *list = v->flags & V_SEQ ? v->elem : seq_held(g, src) ? g->val[src].elem : &src;
        int cnt = v->flags & V_SEQ ? v->nelem : seq_held(g, src) ? g->val[src].nelem : v->nelem;
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
int
seq_map(Lower *L)
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
        if (seq_held(g, v) && (!(g->val[v].flags & V_SEQ) || g->val[v].nelem != n))
            return REFUSE(L, "input %d is %s; expected a tensor or a sequence of %d", i,
                          g->val[v].flags & V_SEQ ? "a sequence of another length"
                                                  : "an optional", n);
        if (!seq_held(g, v) && g->val[v].rank < 0 && (rc = cf_unknown(L, "input %d is not known to be "
                                                               "a tensor", i)))
            return rc;
    }
    if (cf_check_steps(L, n, b->nnode, nout, "elements") < 0)
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
            cur[k] = seq_held(g, x->in[k]) ? g->val[x->in[k]].elem[i] : x->in[k];
        if (cf_inline_body(L, 0, cur, cf_tag_of(L, tag, sizeof tag, "", i), res) < 0)
            goto done;
        for (int j = 0; j < nout; j++) {
            if (seq_held(g, res[j])) {
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
