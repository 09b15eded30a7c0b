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
 * Sequences and optionals are resolved in the same walk (passes/sequence.c), since a loop is what
 * usually builds one; an unbound sequence or optional input is refused before it starts.
 */
#include "control_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>


int
cf_is_control(OpKind op)
{
    return op == OP_IF || op == OP_LOOP || op == OP_SCAN || op == OP_SEQUENCEMAP;
}

/* Something the lowering needs is known only at run time: refused when compiling (strict), or
 * the node is left as it is, its outputs of unknown shape (inspect). -1 or LEFT. */
int
cf_unknown(Lower *L, const char *fmt, ...)
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
ValId
cf_new_val(Lower *L, const char *tag, const char *name, DType dt)
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
ValId
cf_const_val(Lower *L, DType dt, const int64_t *v, int n, int rank)
{
    return pass_const_ints(L->g, dt, rank, v, n, L->d);
}

/* A new node op on in[0..nin) writing `to` (a fresh value when NONE), inferred and folded at
 * once, counted against the limit of added nodes. Its output, or NONE with d set. */
ValId
cf_emit(Lower *L, OpKind op, const ValId *in, int nin, const Attr *attr, ValId to)
{
    if (++*L->added > CF_MAX_NODES) {
        REFUSE(L, "unrolling the control flow into more than %d nodes is not supported",
               CF_MAX_NODES);
        return NONE;
    }
    return pass_emit(L->g, L->n, op, in, nin, attr, to, 1, L->d);
}

static int lower_node(Graph *g, NodeId n, int strict, int *added, Diag *d);

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
int
cf_inline_body(Lower *L, int k, const ValId *actual, const char *tag, ValId *res)
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
            ValId c = cf_new_val(L, L->name, bv->name, bv->dt);
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
            ValId o = cf_new_val(L, tag, b->val[bm->out[i]].name, DT_UNDEF);
            if (o == NONE)
                goto done;
            g->node[y].out[i] = o;
            g->val[o].def = y;
            map[b->node[m].out[i]] = o;
        }
        /* a body within the body: lowered at once, its inputs known and its users not copied
         * yet (left as it is, it is inferred as unknown) */
        int r = seq_needs_lowering(g, y) ? lower_node(g, y, L->strict, L->added, L->d) : LEFT;
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
const char *
cf_tag_of(Lower *L, char *buf, size_t size, const char *what, long i)
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
ValId
cf_stack(Lower *L, const ValId *vals, int n, int64_t axis, ValId to)
{
    ValId ax = cf_const_val(L, DT_I64, &axis, 1, 1), y = NONE;
    ValId *parts = ir_alloc((size_t)n * sizeof *parts + 1);
    if (ax == NONE || !parts) {
        ir_free(parts);
        diag_oom(L->d);
        return NONE;
    }
    for (int i = 0; i < n; i++) {
        ValId in[2] = {vals[i], ax};
        if ((parts[i] = cf_emit(L, OP_UNSQUEEZE, in, 2, NULL, n == 1 ? to : NONE)) == NONE)
            goto done;
    }
    y = parts[0];
    if (n > 1) {
        Attr a;
        ir_attr_default(OP_CONCAT, &a);
        a.axis.axis = axis;
        y = cf_emit(L, OP_CONCAT, parts, n, &a, to);
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
        if (seq_hold_as(L, to, vals[i]) < 0)
            return -1;
    }
    return 0;
}

/* "f32[2,3]" for messages */
const char *
cf_type_text(const Value *v, char *buf, size_t size)
{
    int k = snprintf(buf, size, "%s[", ir_dtype_short(v->dt));
    for (int i = 0; i < v->rank && k > 0 && (size_t)k < size; i++)
        k += snprintf(buf + k, size - (size_t)k, "%s%lld", i ? "," : "", (long long)v->dim[i]);
    if (k > 0 && (size_t)k < size)
        snprintf(buf + k, size - (size_t)k, v->rank < 0 ? "?]" : "]");
    return buf;
}

int
cf_same_type(const Value *a, const Value *b)
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
    if (cond == NONE)
        return REFUSE(L, "the condition is missing");
    ValId *res = ir_alloc(2 * (size_t)nout * sizeof *res + 1);
    char tag[2][IR_MAXNAME];
    int64_t c;
    int rc = -1;
    if (!res)
        return diag_oom(L->d);
    if (const_scalar(g, cond, &c) == 0) {
        /* the taken branch alone */
        int k = c ? 0 : 1;
        rc = cf_inline_body(L, k, NULL, cf_tag_of(L, tag[0], sizeof tag[0], k ? "else" : "then", -1),
                         res) < 0 ||
                     pass_through(L, res, 0, nout) < 0
                 ? -1
                 : 0;
        goto done;
    }
    const Value *cv = &g->val[cond];
    if (!ir_shape_known(cv)) {
        rc = cf_unknown(L, "the condition has a dynamic shape; pass --shape for the model's inputs");
        goto done;
    }
    if (cv->dt != DT_BOOL || ir_numel(cv) != 1) {
        char t[IR_MAXRANK * 24 + 16];
        REFUSE(L, "the condition is %s; expected one bool", cf_type_text(cv, t, sizeof t));
        goto done;
    }
    if (cf_inline_body(L, 0, NULL, cf_tag_of(L, tag[0], sizeof tag[0], "then", -1), res) < 0 ||
        cf_inline_body(L, 1, NULL, cf_tag_of(L, tag[1], sizeof tag[1], "else", -1), res + nout) < 0)
        goto done;
    if (g->val[cond].rank != 0) { /* a [1] or [1,1] condition would broadcast the outputs */
        ValId in[2] = {cond, cf_const_val(L, DT_I64, NULL, 0, 1)};
        if (in[1] == NONE || (cond = cf_emit(L, OP_RESHAPE, in, 2, NULL, NONE)) == NONE)
            goto done;
    }
    for (int o = 0; o < nout; o++) {
        if (seq_held(g, res[o]) || seq_held(g, res[nout + o])) {
            ValId made;
            int r = seq_select(L, o, cond, res[o], res[nout + o], g->node[L->n].out[o], &made);
            if (r) {
                rc = r;
                goto done;
            }
            continue;
        }
        const Value *t = &g->val[res[o]], *e = &g->val[res[nout + o]];
        /* one of unknown type (an op hetc does not know, a dynamic shape) is left to the check
         * pass to refuse for what it is */
        if (!cf_same_type(t, e) && t->rank >= 0 && e->rank >= 0 && t->dt && e->dt) {
            char a[IR_MAXRANK * 24 + 16], b[IR_MAXRANK * 24 + 16];
            REFUSE(L,
                   "with a condition known only at run time, output %d must have one dtype "
                   "and static shape in both branches (then %s, else %s): not supported",
                   o, cf_type_text(t, a, sizeof a), cf_type_text(e, b, sizeof b));
            goto done;
        }
        ValId to = g->node[L->n].out[o];
        ValId in[3] = {cond, res[o], res[nout + o]};
        if (to != NONE && cf_emit(L, res[o] == res[nout + o] ? OP_IDENTITY : OP_WHERE,
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
int
cf_check_steps(Lower *L, int64_t n, int nb, int extra, const char *what)
{
    if (n > CF_MAX_STEPS || (n > 0 && n * (nb + extra) > CF_MAX_NODES - *L->added))
        return REFUSE(L,
                      "unrolling %lld %s of a body of %d nodes is not supported (more than "
                      "hetc unrolls: at most %d, and %d nodes in all)",
                      (long long)n, what, nb, CF_MAX_STEPS, CF_MAX_NODES);
    return 0;
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
    for (int i = 0; i < 2; i++) {
        DType dt = x->in[i] != NONE ? g->val[x->in[i]].dt : DT_UNDEF;
        if (dt != DT_UNDEF && (i ? dt != DT_BOOL : !ir_dtype_is_int(dt)))
            return REFUSE(L, "%s is %s; expected %s", i ? "the condition" : "the trip count M",
                          ir_dtype_name(dt), i ? "bool" : "int64");
    }
    if (x->in[0] != NONE && const_scalar(g, x->in[0], &trips) < 0)
        return cf_unknown(L, "the trip count M is not known at compile time (to hetc a dynamic "
                          "shape: --bind the inputs it is computed from)");
    if (x->in[1] != NONE && const_scalar(g, x->in[1], &cond) < 0)
        return cf_unknown(L, "the loop's condition is known only at run time (a data-dependent "
                          "exit): not supported");
    if (x->in[0] != NONE && cf_check_steps(L, trips, b->nnode, nscan, "iterations") < 0)
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
    cur[1] = x->in[1] != NONE ? x->in[1] : cf_const_val(L, DT_BOOL, &one, 1, 0);
    for (; i < trips && cond; i++) {
        char tag[IR_MAXNAME];
        if (i == CF_MAX_STEPS) {
            REFUSE(L,
                   "a loop of more than %d iterations is not supported (more than hetc "
                   "unrolls)",
                   CF_MAX_STEPS);
            goto done;
        }
        if (cur[1] == NONE || (cur[0] = cf_const_val(L, DT_I64, &i, 1, 0)) == NONE ||
            cf_inline_body(L, 0, cur, cf_tag_of(L, tag, sizeof tag, "", i), res) < 0)
            goto done;
        if (const_scalar(g, res[0], &cond) < 0) {
            rc = cf_unknown(L, "the body's condition output is known only at run time (a "
                            "data-dependent exit): not supported");
            goto done;
        }
        cur[1] = res[0];
        memcpy(cur + 2, res + 1, (size_t)nv * sizeof *cur);
        for (int k = 0; k < nscan; k++) {
            if (seq_held(g, res[1 + nv + k])) {
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
        if (cf_stack(L, scan + (size_t)k * CF_MAX_STEPS, (int)i, 0, to) == NONE)
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
            ValId gin[2] = {in[ns + i], cf_const_val(L, DT_I64, &at, 1, 0)};
            if (gin[1] == NONE || (cur[ns + i] = cf_emit(L, OP_GATHER, gin, 2, &ga, NONE)) == NONE)
                goto done;
        }
        int k = snprintf(step, sizeof step, "%s/%lld", tag, (long long)t);
        if (cf_inline_body(L, 0, cur, k > 0 && k < IR_MAXNAME ? step : L->name, res) < 0)
            goto done;
        memcpy(cur, res, (size_t)ns * sizeof *cur);
        for (int o = 0; o < nout; o++) {
            int64_t at = scan_attr(a->scan_output_directions, o) ? len - 1 - t : t;
            if (seq_held(L->g, res[ns + o])) {
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
        if (seq_held(g, in[i]))
            return REFUSE(L, "input %d is a sequence or optional; Scan takes tensors", batched + i);
        if (!ir_shape_known(v))
            return cf_unknown(L, "input %d has a dynamic shape; pass --shape for the model's inputs",
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
            return cf_unknown(L, "sequence_lens is known only at run time: not supported");
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
    if (cf_check_steps(L, rows > CF_MAX_STEPS || len > CF_MAX_STEPS ? INT64_MAX : rows * len, b->nnode,
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
                ValId gin[2] = {in[i], cf_const_val(L, DT_I64, &r, 1, 0)};
                if (gin[1] == NONE || (row[i] = cf_emit(L, OP_GATHER, gin, 2, &ga, NONE)) == NONE)
                    goto done;
            }
        }
        if (scan_steps(L, batched ? row : in, axis, len,
                       batched ? cf_tag_of(L, tag, sizeof tag, "row", (long)r) : L->name, cur,
                       scan) < 0)
            goto done;
        /* per output, the row's final state or stacked scan output */
        for (int j = 0; j < ns + nout; j++) {
            ValId *f = &fin[(size_t)j * (size_t)rows + (size_t)r];
            int k = j - ns;
            ValId to = batched || j >= g->node[L->n].nout ? NONE : g->node[L->n].out[j];
            if (j < ns)
                *f = cur[j];
            else if ((*f = cf_stack(L, scan + (size_t)k * (size_t)len, (int)len,
                                 batched ? 0 : scan_attr(a->scan_output_axes, k), to)) == NONE)
                goto done;
        }
    }
    /* unbatched, the states pass through; batched, every output's rows are stacked again */
    if (!batched && pass_through(L, cur, 0, ns) < 0)
        goto done;
    for (int j = 0; batched && j < ns + nout && j < g->node[L->n].nout; j++) {
        ValId to = g->node[L->n].out[j];
        if (to != NONE && cf_stack(L, fin + (size_t)j * (size_t)rows, (int)rows, 0, to) == NONE)
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
             : x->op == OP_SEQUENCEMAP ? seq_map(L)
                                : seq_lower(L);
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
        while (n < g->nnode && (!seq_needs_lowering(g, n) || was_left(&g->node[n], left, nleft)))
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
    if (rc == 0 && strict && (expanded = seq_expand_outputs(g, d)) < 0)
        rc = -1;
    for (NodeId n = 0; rc == 0 && strict && n < g->nnode; n++)
        if (g->node[n].op != OP_NOP && NEVER(seq_needs_lowering(g, n)))
            rc = diag_node(d, g, n, "a sequence or optional is left unresolved");
    if (rc < 0 || (!any && nleft == 0 && !expanded))
        return rc;
    return ir_compact(g) < 0 ? diag_oom(d) : 0;
}
