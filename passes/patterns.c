/*
 * patterns.c: op sequences that exporters write out for one function, put back as that one op,
 * whose kernel runs it in one pass over memory instead of five to nine.
 *
 * Input: an inferred, cleaned (pass_cleanup), topologically ordered graph. Output: the same graph
 * where, for float32 x:
 *  - GELU in its exact form, x * 0.5 * (1 + Erf(x / sqrt(2))), is one Gelu node;
 *  - GELU in its tanh form, x * 0.5 * (1 + Tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))), with the
 *    cube as Pow(x, 3) or as products of x, is one Gelu node with approximate = "tanh";
 *  - a one-hot lookup, MatMul(Cast(Equal(I, 0 .. V-1), float32), E) with E a constant table, is
 *    a Gather of E's rows (match_onehot says how indices outside the table stay exact).
 *  The products may be grouped and ordered in any way (Mul(Mul(x, 0.5), s), Mul(x, Mul(s, 0.5)),
 *  ...), a division by a constant counts as a product by its inverse, and the constants must
 *  match to a relative 1e-4 (exporters round them to float32, some to fewer digits). The output
 *  of the last product becomes the Gelu's; every other node of the pattern goes, and so each
 *  intermediate must be read by the pattern alone and be no graph output. x, read three or four
 *  times, stays, and the output must have x's shape (no broadcast in the products).
 * Method: ir_fill_uses, then for each Mul and MatMul a walk back through its operands'
 * definitions; every walk is bounded (PF_MAX factors), so linear in nodes (and in the tables'
 * elements, each checked once).
 */
#include "passes.h"

#include <math.h>
#include <string.h>

enum { PF_MAX = 8 }; /* factors and nodes of one product */

/* A product flattened: the constant scalar factors multiplied into k, the other factors in
 * leaf[], the Mul and Div nodes that formed it in node[]. */
typedef struct Prod {
    double k;
    ValId leaf[PF_MAX];
    int nleaf;
    NodeId node[PF_MAX];
    int nnode;
} Prod;

/* The float32 scalar constant v (one element, any rank), if it is one. */
static int
scalar_f32(const Graph *g, ValId v, double *out)
{
    const Value *x = &g->val[v];
    if (v == NONE || !(x->flags & V_CONST) || !x->data || x->dt != DT_F32 || ir_numel(x) != 1)
        return 0;
    *out = ((const float *)x->data)[0];
    return 1;
}

/* Whether v may vanish into the pattern reading it: one use, no graph output, a definition. */
static int
inner(const Graph *g, ValId v)
{
    const Value *x = &g->val[v];
    return x->def != NONE && x->nuse == 1 && !(x->flags & V_OUTPUT);
}

/* Adds the factors of v to p: the operands of a Mul, and the dividend of a Div by a constant
 * scalar, whose output is v and is inner (or v is the root, top); other values are leaves.
 * 0 when the product has more than PF_MAX leaves or nodes. */
static int
flatten(const Graph *g, ValId v, int top, Prod *p)
{
    double c;
    if (scalar_f32(g, v, &c)) {
        p->k *= c;
        return 1;
    }
    NodeId d = g->val[v].def;
    const Node *x = d != NONE ? &g->node[d] : NULL;
    if (x && (top || inner(g, v)) && x->nin == 2 && x->in[0] != NONE && x->in[1] != NONE &&
        (x->op == OP_MUL || (x->op == OP_DIV && scalar_f32(g, x->in[1], &c) && c != 0))) {
        if (p->nnode == PF_MAX)
            return 0;
        p->node[p->nnode++] = d;
        if (x->op == OP_DIV) {
            p->k /= c;
            return flatten(g, x->in[0], 0, p);
        }
        return flatten(g, x->in[0], 0, p) && flatten(g, x->in[1], 0, p);
    }
    if (p->nleaf == PF_MAX)
        return 0;
    p->leaf[p->nleaf++] = v;
    return 1;
}

/* The product at v (v's own definition expanded when top) into p; 0 if too large. */
static int
product(const Graph *g, ValId v, int top, Prod *p)
{
    memset(p, 0, sizeof *p);
    p->k = 1;
    return flatten(g, v, top, p);
}

static int
near(double a, double b)
{
    return fabs(a - b) <= 1e-4 * fabs(b);
}

/* The nodes a match removes, besides the root that becomes the Gelu */
typedef struct Gone {
    NodeId n[4 * PF_MAX];
    int count;
} Gone;

static void
gone_prod(Gone *o, const Prod *p, int skip_first)
{
    for (int i = skip_first; i < p->nnode; i++)
        o->n[o->count++] = p->node[i];
}

/* The node defining inner value v if its op is op and it has nin inputs, else NONE. */
static NodeId
inner_def(const Graph *g, ValId v, OpKind op, int nin)
{
    if (v == NONE || !inner(g, v))
        return NONE;
    NodeId d = g->val[v].def;
    return g->node[d].op == op && g->node[d].nin == nin && g->node[d].nout == 1 ? d : NONE;
}

/* Add(1, t) or Add(t, 1) at inner value s: t, with the Add recorded in o; NONE otherwise. */
static ValId
one_plus(const Graph *g, ValId s, Gone *o)
{
    NodeId a = inner_def(g, s, OP_ADD, 2);
    double c;
    if (a == NONE)
        return NONE;
    const Node *x = &g->node[a];
    int j = scalar_f32(g, x->in[0], &c) ? 1 : 0;
    if (!scalar_f32(g, x->in[1 - j], &c) || c != 1 || x->in[j] == NONE)
        return NONE;
    o->n[o->count++] = a;
    return x->in[j];
}

/* The tanh form's argument at inner value v, sqrt(2/pi) * (x + 0.044715 * x^3), recorded in o. */
static int
tanh_arg(const Graph *g, ValId v, ValId x, Gone *o)
{
    Prod p, q;
    /* sqrt(2 / pi) */
    if (!inner(g, v) || !product(g, v, 0, &p) || p.nleaf != 1 || !near(p.k, 0.7978845608028654))
        return 0;
    NodeId a = inner_def(g, p.leaf[0], OP_ADD, 2);
    if (a == NONE)
        return 0;
    const Node *add = &g->node[a];
    int j = add->in[0] == x ? 1 : 0;
    if (add->in[1 - j] != x || add->in[j] == x || !inner(g, add->in[j]) ||
        !product(g, add->in[j], 0, &q) || !near(q.k, 0.044715))
        return 0;
    if (q.nleaf == 1) { /* Pow(x, 3) */
        NodeId pw = inner_def(g, q.leaf[0], OP_POW, 2);
        double e;
        if (pw == NONE || g->node[pw].in[0] != x || !scalar_f32(g, g->node[pw].in[1], &e) || e != 3)
            return 0;
        o->n[o->count++] = pw;
    } else if (q.nleaf != 3 || q.leaf[0] != x || q.leaf[1] != x || q.leaf[2] != x) {
        return 0;
    }
    gone_prod(o, &p, 0);
    o->n[o->count++] = a;
    gone_prod(o, &q, 0);
    return 1;
}

/* The ops of the pattern's nodes (o and the root r) in graph order joined by '+', for traces
 * and the plan file ("Div+Erf+Add+Mul+Mul"); NULL on OOM. */
static const char *
joined_ops(Graph *g, NodeId r, const Gone *o)
{
    char buf[4 * PF_MAX * 24];
    size_t len = 0;
    NodeId last = NONE;
    for (int i = 0; i <= o->count; i++) {
        /* the next node in graph order after last: o holds at most 4 * PF_MAX */
        NodeId next = r;
        for (int k = 0; k < o->count; k++)
            if (o->n[k] < next && (last == NONE || o->n[k] > last))
                next = o->n[k];
        const char *name = g->node[next].ops ? g->node[next].ops : ir_op[g->node[next].op].onnx;
        int w = snprintf(buf + len, sizeof buf - len, "%s%s", len ? "+" : "", name);
        if (w < 0 || (size_t)w >= sizeof buf - len)
            break;
        len += (size_t)w;
        last = next;
    }
    return ir_strndup(g, buf, len);
}

/* GELU ending at the Mul node r: r becomes Gelu(x) and the rest of the pattern goes. 0 on OOM. */
static int
match_gelu(Graph *g, NodeId r)
{
    Prod p;
    Gone o = {.count = 0};
    if (g->node[r].nout != 1 || g->node[r].out[0] == NONE ||
        !product(g, g->node[r].out[0], 1, &p) || p.nleaf != 2 || !near(p.k, 0.5))
        return 1;
    for (int i = 0; i < 2; i++) {
        ValId x = p.leaf[i], s = p.leaf[1 - i], y = g->node[r].out[0];
        const Value *xv = &g->val[x], *yv = &g->val[y];
        if (xv->dt != DT_F32 || !ir_shape_known(xv) || yv->rank != xv->rank ||
            memcmp(yv->dim, xv->dim, sizeof(int64_t) * (size_t)xv->rank))
            continue;
        o.count = 0;
        ValId t = one_plus(g, s, &o);
        NodeId tn = t == NONE ? NONE : g->val[t].def;
        if (tn == NONE || !inner(g, t) || g->node[tn].nin != 1)
            continue;
        int approx;
        if (g->node[tn].op == OP_ERF) {
            Prod q;
            ValId arg = g->node[tn].in[0];
            if (!inner(g, arg) || !product(g, arg, 0, &q) || q.nleaf != 1 || q.leaf[0] != x ||
                !near(q.k, sqrt(0.5)))
                continue;
            gone_prod(&o, &q, 0);
            approx = 0;
        } else if (g->node[tn].op == OP_TANH) {
            if (!tanh_arg(g, g->node[tn].in[0], x, &o))
                continue;
            approx = 1;
        } else {
            continue;
        }
        o.n[o.count++] = tn;
        gone_prod(&o, &p, 1);
        Attr *at = ir_galloc(g, sizeof *at);
        const char *ops = joined_ops(g, r, &o);
        if (!at || !ops)
            return 0;
        ir_attr_default(OP_GELU, at);
        at->act.approximate = approx;
        Node *n = &g->node[r];
        n->op = OP_GELU;
        n->attr = at;
        n->in[0] = x;
        n->in[1] = n->out[0]; /* the outputs follow the inputs in one array */
        n->out = n->in + 1;
        n->nin = 1;
        n->ops = ops;
        for (int k = 0; k < o.count; k++)
            g->node[o.n[k]].op = OP_NOP;
        return 1;
    }
    return 1;
}

/* ---- one-hot lookups ------------------------------------------------------------------------ */

/* A new node op after the model's node at, on in[0..nin), with one fresh output inferred at
 * once (pass_emit, no folding); the output, or NONE (d set). Pointers into the graph taken
 * before are stale after. */
static ValId
emit(Graph *g, NodeId at, OpKind op, const ValId *in, int nin, Diag *d)
{
    return pass_emit(g, at, op, in, nin, NULL, NONE, 0, d);
}

/* Whether constant v holds 0, 1, ..., n - 1 along its last dim, every other dim 1 */
static int
is_arange(const Value *v, int64_t n)
{
    if (!(v->flags & V_CONST) || !v->data || !ir_shape_known(v) || v->rank < 1 ||
        v->dim[v->rank - 1] != n || ir_numel(v) != n)
        return 0;
    for (int64_t i = 0; i < n; i++)
        if (ir_const_i(v, i) != i)
            return 0;
    return 1;
}

/* Whether float32 constant e is [V, D] with every element finite (a zero times an infinity
 * would make the product NaN where a row lookup is not) */
static int
finite_table(const Value *e, int64_t v)
{
    if (!(e->flags & V_CONST) || !e->data || e->dt != DT_F32 || e->rank != 2 || e->dim[0] != v)
        return 0;
    const float *p = e->data;
    for (int64_t i = 0; i < ir_numel(e); i++)
        if (!isfinite(p[i]))
            return 0;
    return 1;
}

/*
 * MatMul(Cast(Equal(I, R), to float32), E) at node mm: I int32 or int64 [..., 1], R a constant
 * 0 .. V-1 along its last dim, E a finite float32 constant [V, D], the one-hot rows and the bool
 * only read by the pattern. Row v of the product is E's row I (zeros when I is outside
 * [0, V)): Gather(E', Where(I >= 0 and I < V, I, V)) from E' = E with a row of zeros below,
 * reshaped from [..., 1, D] to [..., D]. 1 when rewritten, 0 when not the pattern, -1 (d set).
 */
static int
match_onehot(Graph *g, NodeId mm, Diag *d)
{
    Node *x = &g->node[mm];
    if (x->nin != 2 || x->nout != 1 || x->out[0] == NONE || !ir_shape_known(&g->val[x->out[0]]) ||
        ir_numel(&g->val[x->out[0]]) <= 0)
        return 0;
    ValId y = x->out[0], hot = x->in[0], ev = x->in[1];
    NodeId cast = inner_def(g, hot, OP_CAST, 1);
    if (cast == NONE || g->node[cast].attr->cast.to != DT_F32)
        return 0;
    NodeId eq = inner_def(g, g->node[cast].in[0], OP_EQUAL, 2);
    if (eq == NONE)
        return 0;
    const Value *b = &g->val[g->node[eq].out[0]];
    int64_t v = b->rank >= 1 ? b->dim[b->rank - 1] : 0;
    ValId iv = g->node[eq].in[0], rv = g->node[eq].in[1];
    if (is_arange(&g->val[iv], v))
        iv = g->node[eq].in[1], rv = g->node[eq].in[0];
    const Value *i = &g->val[iv];
    if ((i->dt != DT_I64 && i->dt != DT_I32) || !is_arange(&g->val[rv], v) || i->rank != b->rank ||
        i->dim[i->rank - 1] != 1 || !finite_table(&g->val[ev], v))
        return 0;
    for (int k = 0; k + 1 < i->rank; k++)
        if (i->dim[k] != b->dim[k])
            return 0;
    DType it = i->dt;
    /* E' */
    const Value *e = &g->val[ev];
    int64_t dcol = e->dim[1], tdim[2] = {v + 1, dcol};
    size_t tsize = (size_t)((v + 1) * dcol) * sizeof(float);
    float *rows = ir_alloc(tsize + 1);
    if (!rows)
        return diag_oom(d);
    memcpy(rows, e->data, tsize - (size_t)dcol * sizeof(float));
    memset(rows + v * dcol, 0, (size_t)dcol * sizeof(float));
    ValId tab = pass_const(g, DT_F32, 2, tdim, rows, d);
    ir_free(rows);
    const Value *yv = &g->val[y];
    int yrank = yv->rank;
    int64_t ydim[IR_MAXRANK];
    memcpy(ydim, yv->dim, sizeof ydim);
    ValId zero = pass_const_ints(g, it, 0, (int64_t[]){0}, 1, d);
    ValId top = pass_const_ints(g, it, 0, &v, 1, d);
    ValId shape = pass_const_ints(g, DT_I64, 1, ydim, yrank, d);
    if (tab == NONE || zero == NONE || top == NONE || shape == NONE)
        return -1;
    ValId ge = emit(g, mm, OP_GREATEROREQUAL, (ValId[]){iv, zero}, 2, d);
    ValId lt = ge == NONE ? NONE : emit(g, mm, OP_LESS, (ValId[]){iv, top}, 2, d);
    ValId in = lt == NONE ? NONE : emit(g, mm, OP_AND, (ValId[]){ge, lt}, 2, d);
    ValId idx = in == NONE ? NONE : emit(g, mm, OP_WHERE, (ValId[]){in, iv, top}, 3, d);
    ValId got = idx == NONE ? NONE : emit(g, mm, OP_GATHER, (ValId[]){tab, idx}, 2, d);
    ValId r = got == NONE ? NONE : emit(g, mm, OP_RESHAPE, (ValId[]){got, shape}, 2, d);
    if (r == NONE)
        return -1;
    /* the Reshape writes the MatMul's output in place of its fresh value */
    NodeId w = g->val[r].def;
    g->node[w].out[0] = y;
    g->val[y].def = w;
    g->val[r].def = NONE;
    g->node[w].ops = "Equal+Cast+MatMul";
    g->node[mm].op = g->node[cast].op = g->node[eq].op = OP_NOP;
    return 1;
}

int
pass_patterns(Graph *g, Diag *d)
{
    ir_fill_uses(g);
    int any = 0, added = 0;
    /* last to first: a pattern's root is a later node than its parts, which a match turns into
     * NOPs before the walk reaches them; nodes added go past the end */
    for (NodeId n = g->nnode - 1; n >= 0; n--)
        if (g->node[n].op == OP_MUL) {
            if (!match_gelu(g, n))
                return diag_oom(d);
            any |= g->node[n].op == OP_GELU;
        } else if (g->node[n].op == OP_MATMUL) {
            int rc = match_onehot(g, n, d);
            if (rc < 0)
                return -1;
            added |= rc;
        }
    if (added && ir_toposort(g, d) < 0)
        return -1;
    if ((any || added) && ir_compact(g) < 0)
        return diag_oom(d);
    return 0;
}
