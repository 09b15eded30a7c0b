/*
 * einsum.c: lowers every Einsum to ops the backends have (ReduceSum, Transpose, Reshape, MatMul),
 * so that every processor, the cost model and the partitioners get it for free.
 *
 * Input: an inferred graph. Output: no Einsum whose inputs have static shapes (one without them
 * stays, for the check pass to refuse as a dynamic shape); in its place a chain of nodes named
 * after it, each inferred, the last writing its output value; the graph re-sorted and compacted.
 *
 * Method. The dims under an ellipsis first get labels of their own (right-aligned, as numpy
 * broadcasts them). With two operands A and B:
 *  - a label of one operand that neither the other nor the output has is summed away first
 *    (ReduceSum, keepdims 0);
 *  - the labels left fall in four groups: batch (both operands and the output), M (A and the
 *    output), N (B and the output), K (both operands but not the output: contracted);
 *  - A is transposed to [batch, M, K] and reshaped to [batch, prod M, prod K], B likewise to
 *    [batch, K, N] and [batch, prod K, prod N]; one MatMul gives [batch, prod M, prod N], which
 *    is reshaped to [batch, M, N] and transposed to the output's order.
 * With one operand: a ReduceSum of the labels the output lacks, then a Transpose. Steps that
 * change nothing are left out (a plain copy becomes an Identity, which cleanup removes).
 *
 * The MatMul kernels take float32 alone: for float64 and the integers the MatMul becomes a
 * broadcast Mul and a ReduceSum over K (bounded: at most 2^26 elements in the product).
 *
 * A label repeated within one operand first takes that operand's diagonal (diagonal(): a
 * Transpose, a Reshape and a strided Slice), so traces and batched diagonals lower too.
 *
 * Refused, with one line naming the node (exit 2): more than two operands, ellipsis dims that
 * broadcast (1 against n), float16, bfloat16 and bool, and a product too large for the Mul form;
 * a label repeated in the output is invalid.
 */
#include "passes.h"

#include <string.h>

/* the letters, "..." (never a dim's label), then one label per dim under an ellipsis */
enum { NLABEL = EINSUM_LABELS + IR_MAXRANK };
/* the most elements of the broadcast product that stands in for a MatMul of another dtype */
#define MAX_PRODUCT ((int64_t)1 << 26)

/* An operand as the lowering goes: its value and the label of each of its dims */
typedef struct Term {
    ValId v;
    int rank;
    int label[IR_MAXRANK];
} Term;

typedef struct Lower {
    Graph *g;
    NodeId n;           /* the Einsum */
    Diag *d;
    ValId last;         /* the value the newest node wrote, NONE before the first */
    int64_t size[NLABEL];
} Lower;

static char
letter(int c)
{
    return (char)(c < 26 ? 'A' + c : 'a' + c - 26);
}

/* A new node op after the Einsum on in[0..nin) (pass_emit: a fresh output, inferred, not
 * folded); the newest, L->last. The output, or NONE with d set. Value and node pointers taken
 * before the call are stale after it. */
static ValId
emit(Lower *L, OpKind op, const ValId *in, int nin, const Attr *attr)
{
    ValId y = pass_emit(L->g, L->n, op, in, nin, attr, NONE, 0, L->d);
    if (y != NONE)
        L->last = y;
    return y;
}

/* A 1-D int64 constant of v[0..n); NONE on OOM (d set). */
static ValId
const_ints(Lower *L, const int64_t *v, int n)
{
    return pass_const_ints(L->g, DT_I64, 1, v, n, L->d);
}

/* Sums t's dims whose labels keep[] does not mark; 0 or -1. */
static int
reduce(Lower *L, Term *t, const char *keep)
{
    int64_t axes[IR_MAXRANK];
    int na = 0, r = 0;
    for (int i = 0; i < t->rank; i++) {
        if (!keep[t->label[i]])
            axes[na++] = i;
        else
            t->label[r++] = t->label[i];
    }
    if (na == 0)
        return 0;
    Attr a;
    ir_attr_default(OP_REDUCESUM, &a);
    a.reduce.keepdims = 0;
    ValId in[2] = {t->v, const_ints(L, axes, na)};
    if (in[1] == NONE || (t->v = emit(L, OP_REDUCESUM, in, 2, &a)) == NONE)
        return -1;
    t->rank = r;
    return 0;
}

/* Transposes t to the labels order[0..t->rank); 0 or -1. */
static int
transpose(Lower *L, Term *t, const int *order)
{
    int64_t *perm = ir_galloc(L->g, sizeof(int64_t) * IR_MAXRANK);
    int same = 1;
    if (!perm)
        return diag_oom(L->d);
    for (int i = 0; i < t->rank; i++) {
        int j = 0;
        while (t->label[j] != order[i])
            j++;
        perm[i] = j;
        same &= j == i;
    }
    if (same)
        return 0;
    Attr a;
    ir_attr_default(OP_TRANSPOSE, &a);
    a.perm.perm = (Ints){t->rank, perm};
    if ((t->v = emit(L, OP_TRANSPOSE, &t->v, 1, &a)) == NONE)
        return -1;
    memcpy(t->label, order, sizeof(int) * (size_t)t->rank);
    return 0;
}

/* Reshapes t's value to dims[0..rank) (labels are the caller's to set); 0 or -1. */
static int
reshape(Lower *L, Term *t, const int64_t *dims, int rank)
{
    const Value *v = &L->g->val[t->v];
    int same = v->rank == rank;
    for (int i = 0; same && i < rank; i++)
        same = v->dim[i] == dims[i];
    t->rank = rank;
    if (same)
        return 0;
    Attr a;
    ir_attr_default(OP_RESHAPE, &a);
    a.reshape.allowzero = 1;    /* a 0 in dims is a size, not "copy the input's" */
    ValId in[2] = {t->v, const_ints(L, dims, rank)};
    if (in[1] == NONE || (t->v = emit(L, OP_RESHAPE, in, 2, &a)) == NONE)
        return -1;
    return 0;
}

/* The product of the sizes of labels l[0..n) */
static int64_t
prod(const Lower *L, const int *l, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= L->size[l[i]];
    return p;
}

/* [batch, M, N] from A [batch, M, K] and B [batch, K, N] (dims da, db; nbat batch dims): a
 * MatMul for float32; for the other dtypes, which the MatMul kernels lack, A as
 * [batch, M, K, 1] times B as [batch, 1, K, N], summed over K (exact in the dtype's own
 * arithmetic, but a tensor of batch x M x K x N elements, so bounded). The value or NONE. */
static ValId
product(Lower *L, Term *t, int nbat, const int64_t *da, const int64_t *db)
{
    ValId in[2] = {t[0].v, t[1].v};
    DType dt = L->g->val[in[0]].dt;
    if (dt == DT_F32)
        return emit(L, OP_MATMUL, in, 2, NULL);
    int64_t d4a[IR_MAXRANK + 3], d4b[IR_MAXRANK + 3], numel = 1;
    memcpy(d4a, da, sizeof(int64_t) * (size_t)(nbat + 2));
    memcpy(d4b, db, sizeof(int64_t) * (size_t)nbat);
    d4a[nbat + 2] = 1;
    d4b[nbat] = 1;
    d4b[nbat + 1] = db[nbat];
    d4b[nbat + 2] = db[nbat + 1];
    for (int i = 0; i < nbat + 2; i++)
        numel *= da[i];
    numel *= db[nbat + 1];  /* no overflow: each factor is at most an input's element count */
    if (numel > MAX_PRODUCT || nbat + 3 > IR_MAXRANK) {
        diag_node(L->d, L->g, L->n, "Einsum on %s is not supported here (float32 only for a "
                  "product of more than 2^26 elements or rank above %d)", ir_dtype_name(dt),
                  IR_MAXRANK - 3);
        return NONE;
    }
    if (reshape(L, &t[0], d4a, nbat + 3) < 0 || reshape(L, &t[1], d4b, nbat + 3) < 0)
        return NONE;
    ValId mul[2] = {t[0].v, t[1].v};
    ValId p = emit(L, OP_MUL, mul, 2, NULL);
    int64_t ax = nbat + 1;
    Attr a;
    ir_attr_default(OP_REDUCESUM, &a);
    a.reduce.keepdims = 0;
    ValId red[2] = {p, const_ints(L, &ax, 1)};
    return p == NONE || red[1] == NONE ? NONE : emit(L, OP_REDUCESUM, red, 2, &a);
}

/* Takes t's diagonal over each label it holds twice or more (a diagonal, or with the label
 * absent from the output a trace): the two dims go last (Transpose), merge into one of n * n
 * (Reshape), and every (n + 1)-th element of it is kept (Slice with that step: n of them),
 * until every label appears once. Exact for any values, unlike a product by an identity mask.
 * 0 or -1. */
static int
diagonal(Lower *L, Term *t)
{
    for (;;) {
        int i = -1, j = -1;
        for (int a = 0; a < t->rank && i < 0; a++)
            for (int b = a + 1; b < t->rank; b++)
                if (t->label[a] == t->label[b]) {
                    i = a, j = b;
                    break;
                }
        if (i < 0)
            return 0;
        int l = t->label[i], r = 0, label[IR_MAXRANK];
        int64_t *perm = ir_galloc(L->g, sizeof(int64_t) * IR_MAXRANK), dims[IR_MAXRANK];
        if (!perm)
            return diag_oom(L->d);
        for (int a = 0; a < t->rank; a++)
            if (a != i && a != j) {
                dims[r] = L->size[t->label[a]];
                label[r] = t->label[a];
                perm[r++] = a;
            }
        perm[r] = i, perm[r + 1] = j;
        if (i != r || j != r + 1) { /* not already the last two */
            Attr a;
            ir_attr_default(OP_TRANSPOSE, &a);
            a.perm.perm = (Ints){t->rank, perm};
            if ((t->v = emit(L, OP_TRANSPOSE, &t->v, 1, &a)) == NONE)
                return -1;
        }
        int64_t n = L->size[l];
        dims[r] = n * n;    /* at most an input's element count */
        if (reshape(L, t, dims, r + 1) < 0)
            return -1;
        int64_t zero = 0, end = n * n, axis = r, step = n + 1;
        ValId in[5] = {t->v, const_ints(L, &zero, 1), const_ints(L, &end, 1),
                       const_ints(L, &axis, 1), const_ints(L, &step, 1)};
        if (in[1] == NONE || in[2] == NONE || in[3] == NONE || in[4] == NONE ||
            (t->v = emit(L, OP_SLICE, in, 5, NULL)) == NONE)
            return -1;
        label[r] = l;
        memcpy(t->label, label, sizeof(int) * (size_t)(r + 1));
        t->rank = r + 1;
    }
}

/* Reads the terms of the equation: operand i's labels into t[i] (its dims' sizes into
 * L->size), the output's into *o. 0, or -1 refused. */
static int
read_terms(Lower *L, Term *t, int nop, Term *o)
{
    const Graph *g = L->g;
    const Node *x = &g->node[L->n];
    Ints e = x->attr->einsum.terms;
    int i = 0, nell = 0;
    /* the widest ellipsis: its dims are labels EINSUM_LABELS + 0 .. nell - 1 */
    for (int k = 0; k < nop; k++) {
        int nl = 0;
        for (; e.v[i] >= 0; i++)
            nl += e.v[i] != EINSUM_ELLIPSIS;
        i++;
        int ne = g->val[x->in[k]].rank - nl;
        nell = ne > nell ? ne : nell;
    }
    i = 0;
    for (int k = 0; k <= nop; k++, i++) {
        Term *tk = k < nop ? &t[k] : o;
        const Value *v = k < nop ? &g->val[x->in[k]] : NULL;
        int nl = 0, seen[NLABEL] = {0};
        for (int j = i; e.v[j] >= 0; j++)
            nl += e.v[j] != EINSUM_ELLIPSIS;
        int ne = v ? v->rank - nl : nell;
        tk->v = v ? x->in[k] : NONE;
        tk->rank = 0;
        for (; e.v[i] >= 0; i++) {
            int c = (int)e.v[i], n = c == EINSUM_ELLIPSIS ? ne : 1;
            for (int j = 0; j < n; j++) {
                int l = c == EINSUM_ELLIPSIS ? EINSUM_LABELS + nell - ne + j : c;
                if (seen[l]++ && !v)
                    return diag_node(L->d, g, L->n, "Einsum with subscript %c repeated in the "
                                     "output is not valid", letter(c));
                if (v) {
                    int64_t dm = v->dim[tk->rank];
                    if (seen[l] > 1 && L->size[l] != dm)
                        return diag_node(L->d, g, L->n, "Einsum's subscript %c repeated in one "
                                         "operand over dims of %lld and %lld", letter(c),
                                         (long long)L->size[l], (long long)dm);
                    if (l >= EINSUM_LABELS && L->size[l] >= 0 && L->size[l] != dm)
                        return diag_node(L->d, g, L->n, "Einsum whose \"...\" dims broadcast "
                                         "(%lld against %lld) is not supported",
                                         (long long)dm, (long long)L->size[l]);
                    L->size[l] = dm;
                }
                tk->label[tk->rank++] = l;
            }
        }
    }
    return 0;
}

/* Einsum node n with static input shapes, lowered; 0 or -1. */
static int
lower(Graph *g, NodeId n, Diag *d)
{
    Lower L = {g, n, d, NONE, {0}};
    const Node *x = &g->node[n];
    Term t[2], o;
    int nop = x->nin;
    DType dt = g->val[x->in[0]].dt;
    for (int l = 0; l < NLABEL; l++)
        L.size[l] = -1;
    if (nop > 2)
        return diag_node(d, g, n, "Einsum of %d operands is not supported (one or two)", nop);
    if (dt == DT_F16 || dt == DT_BF16 || dt == DT_BOOL)
        return diag_node(d, g, n, "Einsum on %s is not supported", ir_dtype_name(dt));
    if (read_terms(&L, t, nop, &o) < 0)
        return -1;
    for (int k = 0; k < nop; k++)
        if (diagonal(&L, &t[k]) < 0)
            return -1;
    ValId y = x->out[0];
    char in_o[NLABEL] = {0}, in_a[NLABEL] = {0}, in_b[NLABEL] = {0}, keep[NLABEL];
    for (int i = 0; i < o.rank; i++)
        in_o[o.label[i]] = 1;
    for (int i = 0; i < t[0].rank; i++)
        in_a[t[0].label[i]] = 1;
    for (int i = 0; nop == 2 && i < t[1].rank; i++)
        in_b[t[1].label[i]] = 1;
    if (nop == 1) {
        if (reduce(&L, &t[0], in_o) < 0 || transpose(&L, &t[0], o.label) < 0)
            return -1;
    } else {
        for (int l = 0; l < NLABEL; l++)
            keep[l] = in_o[l] || in_b[l];
        if (reduce(&L, &t[0], keep) < 0)
            return -1;
        for (int l = 0; l < NLABEL; l++)
            keep[l] = in_o[l] || in_a[l];
        if (reduce(&L, &t[1], keep) < 0)
            return -1;
        /* the groups, batch, M and N in the output's order, K in A's */
        int bat[IR_MAXRANK], m[IR_MAXRANK], nn[IR_MAXRANK], k[IR_MAXRANK];
        int nbat = 0, nm = 0, nnn = 0, nk = 0;
        for (int i = 0; i < o.rank; i++) {
            int l = o.label[i];
            if (in_a[l] && in_b[l])
                bat[nbat++] = l;
            else if (in_a[l])
                m[nm++] = l;
            else
                nn[nnn++] = l;
        }
        for (int i = 0; i < t[0].rank; i++)
            if (in_b[t[0].label[i]] && !in_o[t[0].label[i]])
                k[nk++] = t[0].label[i];
        int oa[IR_MAXRANK], ob[IR_MAXRANK], oc[IR_MAXRANK];
        int64_t da[IR_MAXRANK + 2], db[IR_MAXRANK + 2], dc[IR_MAXRANK];
        memcpy(oa, bat, sizeof(int) * (size_t)nbat);
        memcpy(oa + nbat, m, sizeof(int) * (size_t)nm);
        memcpy(oa + nbat + nm, k, sizeof(int) * (size_t)nk);
        memcpy(ob, bat, sizeof(int) * (size_t)nbat);
        memcpy(ob + nbat, k, sizeof(int) * (size_t)nk);
        memcpy(ob + nbat + nk, nn, sizeof(int) * (size_t)nnn);
        for (int i = 0; i < nbat; i++)
            da[i] = db[i] = L.size[bat[i]];
        da[nbat] = prod(&L, m, nm);
        da[nbat + 1] = db[nbat] = prod(&L, k, nk);
        db[nbat + 1] = prod(&L, nn, nnn);
        if (transpose(&L, &t[0], oa) < 0 || reshape(&L, &t[0], da, nbat + 2) < 0 ||
            transpose(&L, &t[1], ob) < 0 || reshape(&L, &t[1], db, nbat + 2) < 0)
            return -1;
        Term c = {product(&L, t, nbat, da, db), 0, {0}};
        if (c.v == NONE)
            return -1;
        memcpy(oc, bat, sizeof(int) * (size_t)nbat);
        memcpy(oc + nbat, m, sizeof(int) * (size_t)nm);
        memcpy(oc + nbat + nm, nn, sizeof(int) * (size_t)nnn);
        for (int i = 0; i < o.rank; i++)
            dc[i] = L.size[oc[i]];
        if (reshape(&L, &c, dc, o.rank) < 0)
            return -1;
        memcpy(c.label, oc, sizeof(int) * (size_t)o.rank);
        if (transpose(&L, &c, o.label) < 0)
            return -1;
    }
    if (L.last == NONE && emit(&L, OP_IDENTITY, &t[0].v, 1, NULL) == NONE)
        return -1;
    /* the newest node writes the Einsum's output in place of its fresh value */
    NodeId w = g->val[L.last].def;
    g->node[w].out[0] = y;
    g->val[y].def = w;
    /* deleted, and no longer a definition of y: the sort follows a node's outputs to their
     * users, and would put y's users before the chain that now writes it */
    g->node[n].op = OP_NOP;
    g->node[n].nin = g->node[n].nout = 0;
    return 0;
}

int
pass_einsum(Graph *g, Diag *d)
{
    int nnode = g->nnode, any = 0;
    for (NodeId n = 0; n < nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op != OP_EINSUM)
            continue;
        int known = 1;
        for (int i = 0; i < x->nin; i++)
            known &= x->in[i] != NONE && ir_shape_known(&g->val[x->in[i]]);
        if (!known || x->nout < 1 || x->out[0] == NONE)
            continue;   /* the check pass refuses it */
        if (lower(g, n, d) < 0)
            return -1;
        any = 1;
    }
    if (!any)
        return 0;
    if (ir_toposort(g, d) < 0)
        return -1;
    return ir_compact(g) < 0 ? diag_oom(d) : 0;
}
