/*
 * fuse.c: folds per-channel affine ops into the Conv, ConvTranspose or Gemm before them and fuses
 * one activation into it, so that neither runs as a step of its own.
 *
 * Input: an inferred, cleaned (pass_cleanup), topologically ordered graph with static shapes.
 * Output: the same graph, where for a Conv, ConvTranspose or Gemm P producing float32 y:
 *  (1) a chain after P of inference BatchNormalization, and Mul, Add, Sub or Div by a per-channel
 *      constant (scalar, [C], [C,1,1], [1,C,1,1]; y first for Sub and Div), is gone when P's
 *      weights and bias are float32 constants: the chain is y * s + t per output channel, and P
 *      gets new constants W' = W * s (per output channel: W's dim 0 for Conv, dim 1 x group for
 *      ConvTranspose, B's column for Gemm) and B' = B * s + t (for Gemm C' = beta * C * s + t
 *      with beta' = 1). The original constants are left alone: they may be shared.
 *  (2) then Relu, Clip (constant bounds), LeakyRelu, HardSigmoid, HardSwish or Sigmoid reading
 *      y, or Sigmoid and Mul(y, Sigmoid(y)) (SiLU), are gone and recorded in P's attribute
 *      (conv.fuse / gemm.fuse), which the kernels apply after the bias. One activation at most;
 *      HardSwish written out as Div(Mul(y, Clip(Add(y, 3), 0, 6)), 6) counts as one (it is
 *      rewritten to HardSwish first, wherever it occurs).
 *  (3) after an activation, Mul, Add, Sub or Div by scalar constants are gone too: the kernels
 *      apply them as one affine step (Fused.affine).
 *  An inference BatchNormalization left standing (its input is no such P) takes (1) into its own
 *  parameters and (2), (3) into norm.fuse. And a Pad with zeros on spatial axes whose only
 *  reader is a Conv becomes part of that Conv's pads.
 *  Every value that disappears (y and the chain's intermediates) was used by the absorbed node
 *  alone and was no graph output. P takes over the last absorbed node's output value, so no use
 *  is rewritten and the order stays topological; absorbed nodes become OP_NOP and ir_compact
 *  drops them and every value left unreferenced. The node that absorbs names the ops it took
 *  in Node.ops ("Pad+Conv+BatchNormalization+Relu"), for traces and the plan file.
 * Method: ir_fill_uses and the first two users of every value, then one walk over the nodes in
 * order; each candidate follows its chain forward through the single users. Linear in nodes,
 * values and weight elements.
 */
#include "passes.h"

#include <math.h>
#include <string.h>

typedef struct Fuse {
    Graph *g;
    NodeId *user;  /* per value, its first two users (NONE where fewer) */
    double *s, *t; /* the chain so far: y * s[c] + t[c] */
    int64_t cap;   /* channels s and t hold */
} Fuse;

static int
is_const_f32(const Graph *g, ValId v)
{
    return v != NONE && (g->val[v].flags & V_CONST) && g->val[v].data && g->val[v].dt == DT_F32 &&
           ir_shape_known(&g->val[v]);
}

/* v may disappear into its single user: one use, no graph output */
static NodeId
sole_user(const Fuse *f, ValId v)
{
    const Value *x = &f->g->val[v];
    if ((x->flags & V_OUTPUT) || x->nuse != 1)
        return NONE;
    return f->user[2 * v];
}

/* Whether constant k broadcasts into y (rank r, channels c on axis 1) without widening it and
 * varies along the channel axis at most: then element c of it is k[c] or k[0]. */
static int
per_channel(const Graph *g, ValId k, const Value *y)
{
    if (!is_const_f32(g, k))
        return 0;
    const Value *kv = &g->val[k];
    if (kv->rank > y->rank)
        return 0;
    for (int i = 0; i < kv->rank; i++) {
        int axis = y->rank - kv->rank + i;
        if (kv->dim[i] != 1 && !(axis == 1 && kv->dim[i] == y->dim[1]))
            return 0;
    }
    return 1;
}

static double
chan(const Value *k, int64_t c)
{
    return ((const float *)k->data)[ir_numel(k) == 1 ? 0 : c];
}

/* If node u (reading cur, of C channels) is an affine per-channel op, composes it into f->s and
 * f->t and returns 1; otherwise leaves them and returns 0. */
static int
compose(Fuse *f, NodeId u, ValId cur, int64_t C)
{
    Graph *g = f->g;
    const Node *x = &g->node[u];
    const Value *y = &g->val[cur];
    if (x->nout != 1 || x->out[0] == NONE)
        return 0;
    const Value *o = &g->val[x->out[0]];
    if (o->dt != DT_F32 || o->rank != y->rank ||
        memcmp(o->dim, y->dim, sizeof(int64_t) * (size_t)y->rank))
        return 0;
    double *s = f->s, *t = f->t;
    if (x->op == OP_BATCHNORMALIZATION) {
        if (x->in[0] != cur || x->attr->norm.training_mode)
            return 0;
        for (int j = 1; j < 5; j++)
            if (!is_const_f32(g, x->in[j]) || ir_numel(&g->val[x->in[j]]) != C)
                return 0;
        const float *sc = g->val[x->in[1]].data, *b = g->val[x->in[2]].data;
        const float *mean = g->val[x->in[3]].data, *var = g->val[x->in[4]].data;
        double eps = x->attr->norm.epsilon;
        for (int64_t c = 0; c < C; c++) {
            double k = sc[c] / sqrt((double)var[c] + eps);
            s[c] *= k;
            t[c] = (t[c] - mean[c]) * k + b[c];
        }
        return 1;
    }
    if (x->op != OP_MUL && x->op != OP_ADD && x->op != OP_SUB && x->op != OP_DIV)
        return 0;
    int first = x->in[0] == cur;
    if (first == (x->in[1] == cur))
        return 0; /* cur on both sides, or on neither */
    if (!first && (x->op == OP_SUB || x->op == OP_DIV))
        return 0;
    ValId kid = x->in[first ? 1 : 0];
    if (!per_channel(g, kid, y))
        return 0;
    const Value *k = &g->val[kid];
    if (x->op == OP_DIV)
        for (int64_t c = 0; c < C; c++)
            if (chan(k, c) == 0)
                return 0;
    for (int64_t c = 0; c < C; c++) {
        double v = chan(k, c);
        switch (x->op) {
        case OP_MUL:
            s[c] *= v;
            t[c] *= v;
            break;
        case OP_ADD: t[c] += v; break;
        case OP_SUB: t[c] -= v; break;
        default:
            s[c] /= v;
            t[c] /= v;
            break;
        }
    }
    return 1;
}

/* A new float32 constant like base (its dims, or rank 1 of n elements when base is NONE),
 * named after base where the name is free. NONE on OOM. Value pointers taken before the call
 * are stale after it (g->val may move). */
static ValId
new_const(Graph *g, ValId base, int rank, const int64_t *dims, float **data)
{
    /* dims may point into g->val, which adding a value can move: copy them first */
    int64_t dim[IR_MAXRANK];
    memcpy(dim, dims, sizeof(int64_t) * (size_t)rank);
    ValId v = NONE;
    if (base != NONE) {
        const char *bn = g->val[base].name;
        size_t len = strlen(bn) + 8;
        char *nm = ir_alloc(len);
        if (!nm)
            return NONE;
        snprintf(nm, len, "%s.fused", bn);
        int dup = 0;
        v = ir_val_add(g, nm, DT_F32, &dup);
        ir_free(nm);
        if (v == NONE && !dup)
            return NONE;
    }
    if (v == NONE)
        v = ir_val_add(g, NULL, DT_F32, NULL);
    if (v == NONE)
        return NONE;
    Value *x = &g->val[v];
    x->rank = rank;
    memcpy(x->dim, dim, sizeof(int64_t) * (size_t)rank);
    x->flags = V_CONST | V_PARAM;
    int64_t n = ir_numel(x);
    *data = ir_galloc(g, (size_t)n * sizeof(float) + 1);
    if (!*data)
        return NONE;
    x->data = *data;
    return v;
}

/* Gives node n a third input slot (in and out share one array). -1 on OOM. */
static int
grow_inputs(Graph *g, NodeId n)
{
    Node *x = &g->node[n];
    if (x->nin >= 3)
        return 0;
    ValId *a = ir_galloc(g, (size_t)(3 + x->nout) * sizeof(ValId));
    if (!a)
        return -1;
    for (int j = 0; j < 3; j++)
        a[j] = j < x->nin ? x->in[j] : NONE;
    for (int j = 0; j < x->nout; j++)
        a[3 + j] = x->out[j];
    x->in = a;
    x->out = a + 3;
    x->nin = 3;
    return 0;
}

/* Whether node n's weights can take a per-channel scale: constant float32, laid out for C
 * output channels. */
static int
weights_foldable(const Graph *g, NodeId n, int64_t C)
{
    const Node *x = &g->node[n];
    if (!is_const_f32(g, x->in[1]))
        return 0;
    ValId b = x->nin > 2 ? x->in[2] : NONE;
    if (b != NONE && !is_const_f32(g, b))
        return 0;
    const Value *w = &g->val[x->in[1]];
    if (x->op == OP_GEMM) {
        if (w->rank != 2 || w->dim[x->attr->gemm.trans_b ? 0 : 1] != C)
            return 0;
        if (b != NONE) {
            const Value *bv = &g->val[b];
            /* scalar, [N], [1], [M|1, N|1] */
            if (bv->rank > 2 ||
                (bv->rank >= 1 && bv->dim[bv->rank - 1] != 1 && bv->dim[bv->rank - 1] != C))
                return 0;
        }
        return 1;
    }
    int64_t grp = x->attr->conv.group;
    if (w->rank < 2 || grp < 1 || (x->op == OP_CONVTRANSPOSE && w->dim[0] % grp != 0))
        return 0;
    if (x->op == OP_CONV ? w->dim[0] != C : w->dim[1] * grp != C)
        return 0;
    return b == NONE || ir_numel(&g->val[b]) == C;
}

/* Rewrites node n's weights and bias with the per-channel f->s and f->t. -1 on OOM. */
static int
fold_weights(Fuse *f, NodeId n, int64_t C)
{
    Graph *g = f->g;
    const double *s = f->s, *t = f->t;
    ValId wid = g->node[n].in[1], bid = g->node[n].nin > 2 ? g->node[n].in[2] : NONE;
    float *w2, *b2;
    ValId nw = new_const(g, wid, g->val[wid].rank, g->val[wid].dim, &w2);
    if (nw == NONE)
        return -1;
    const Value *w = &g->val[wid], *b = bid != NONE ? &g->val[bid] : NULL;
    const float *w1 = w->data, *b1 = b ? b->data : NULL;
    int64_t nel = ir_numel(w);
    Node *x = &g->node[n];
    ValId nb;
    if (x->op == OP_GEMM) {
        GemmAttr *a = &x->attr->gemm;
        int64_t rows = w->dim[0], cols = w->dim[1];
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++)
                w2[i * cols + j] = (float)(w1[i * cols + j] * s[a->trans_b ? i : j]);
        /* C' = beta * C * s + t: [M, N] if C varies along M, else [N] */
        int64_t m = g->val[x->out[0]].dim[0];
        int full = b && b->rank == 2 && b->dim[0] != 1;
        int64_t dims[2] = {full ? m : C, C};
        nb = new_const(g, bid, full ? 2 : 1, full ? dims : dims + 1, &b2);
        if (nb == NONE)
            return -1;
        b = bid != NONE ? &g->val[bid] : NULL;
        x = &g->node[n];
        a = &x->attr->gemm;
        for (int64_t i = 0; i < (full ? m : 1); i++)
            for (int64_t c = 0; c < C; c++) {
                double cv = 0;
                if (b) {
                    int64_t r = b->rank, d1 = r >= 1 ? b->dim[r - 1] : 1;
                    int64_t k = (r == 2 && b->dim[0] != 1 ? i * d1 : 0) + (d1 == 1 ? 0 : c);
                    cv = a->beta * (double)b1[k];
                }
                b2[i * C + c] = (float)(cv * s[c] + t[c]);
            }
        a->beta = 1.0f;
    } else {
        if (x->op == OP_CONV) {
            int64_t per = nel / C;
            for (int64_t i = 0; i < nel; i++)
                w2[i] = (float)(w1[i] * s[i / per]);
        } else {
            /* ConvTranspose: W is [C_in, C/group, k...]; channel (ci / (C_in/group)) * C/group + j
             */
            int64_t cin = w->dim[0], mg = w->dim[1], kk = cin > 0 && mg > 0 ? nel / (cin * mg) : 0;
            int64_t cing = cin / x->attr->conv.group;
            for (int64_t ci = 0; ci < cin; ci++)
                for (int64_t j = 0; j < mg; j++) {
                    int64_t o = (ci / cing) * mg + j, base = (ci * mg + j) * kk;
                    for (int64_t q = 0; q < kk; q++)
                        w2[base + q] = (float)(w1[base + q] * s[o]);
                }
        }
        nb = new_const(g, bid, 1, &C, &b2);
        if (nb == NONE)
            return -1;
        b1 = bid != NONE ? g->val[bid].data : NULL;
        for (int64_t c = 0; c < C; c++)
            b2[c] = (float)((b1 ? b1[c] : 0.0) * s[c] + t[c]);
    }
    if (grow_inputs(g, n) < 0)
        return -1;
    x = &g->node[n];
    x->in[1] = nw;
    x->in[2] = nb;
    return 0;
}

/* Node u is absorbed into node n: its op joins n's fused ops (Node.ops), after n's own
 * ("Conv+Relu") or, with before, in front ("Pad+Conv"), and u becomes OP_NOP. The name stops
 * growing at about MAXOPS bytes ("Conv+Mul+...": a long chain costs no quadratic memory), and
 * without memory for it only the name is lost. */
enum { MAXOPS = 160 };
static void
absorb(Graph *g, NodeId n, NodeId u, int before)
{
    const Node *x = &g->node[n], *y = &g->node[u];
    const char *a = x->ops ? x->ops : ir_op[x->op].onnx, *b = y->ops ? y->ops : ir_op[y->op].onnx;
    size_t la = strlen(a), lb = strlen(b);
    g->node[u].op = OP_NOP;
    if (la > 4 && strcmp(a + la - 4, "+...") == 0)
        return;
    if (la + lb > MAXOPS)
        b = "...", lb = 3;
    char *s = ir_galloc(g, la + lb + 2);
    if (s) {
        memcpy(s, before ? b : a, before ? lb : la);
        s[before ? lb : la] = '+';
        memcpy(s + (before ? lb : la) + 1, before ? a : b, (before ? la : lb) + 1);
        g->node[n].ops = s;
    }
}

/* P (node n) takes over the output value v of absorbed node u. */
static void
take_over(Graph *g, NodeId n, NodeId u, ValId v)
{
    ValId old = g->node[n].out[0];
    g->val[old].def = NONE;
    g->node[n].out[0] = v;
    g->val[v].def = n;
    absorb(g, n, u, 0);
}

/* The scalar float32 constant v, if it is one. */
static int
scalar_const(const Graph *g, ValId v, double *out)
{
    if (!is_const_f32(g, v) || ir_numel(&g->val[v]) != 1)
        return 0;
    *out = ((const float *)g->val[v].data)[0];
    return 1;
}

/* Scalar constant bound of Clip input j, or dflt when omitted; 0 if not a constant scalar. */
static int
clip_bound(const Graph *g, const Node *x, int j, float dflt, float *out)
{
    ValId v = j < x->nin ? x->in[j] : NONE;
    double k = dflt;
    if (v != NONE && !scalar_const(g, v, &k))
        return 0;
    *out = (float)k;
    return 1;
}

/* Fuses the activation reading cur (node n's output) into n. */
static void
fuse_act(Fuse *f, NodeId n, Fused *fu)
{
    Graph *g = f->g;
    ValId cur = g->node[n].out[0];
    const Value *y = &g->val[cur];
    if (fu->act != ACT_NONE || (y->flags & V_OUTPUT) || y->dt != DT_F32)
        return;
    if (y->nuse == 2) {
        /* SiLU: Sigmoid(y) and Mul(y, Sigmoid(y)) */
        NodeId a = f->user[2 * cur], b = f->user[2 * cur + 1];
        if (g->node[a].op != OP_SIGMOID) {
            NodeId tmp = a;
            a = b;
            b = tmp;
        }
        const Node *sg = &g->node[a], *mul = &g->node[b];
        if (sg->op != OP_SIGMOID || mul->op != OP_MUL || sg->in[0] != cur)
            return;
        ValId so = sg->out[0];
        if (so == NONE || sole_user(f, so) != b)
            return;
        if (!((mul->in[0] == cur && mul->in[1] == so) || (mul->in[0] == so && mul->in[1] == cur)))
            return;
        *fu = (Fused){.act = ACT_SILU};
        absorb(g, n, a, 0);
        take_over(g, n, b, mul->out[0]);
        return;
    }
    NodeId u = sole_user(f, cur);
    if (u == NONE)
        return;
    const Node *x = &g->node[u];
    if (x->in[0] != cur || x->nout != 1 || x->out[0] == NONE)
        return;
    Fused nf = {.act = ACT_NONE};
    switch (x->op) {
    case OP_RELU: nf.act = ACT_RELU; break;
    case OP_CLIP:
        if (!clip_bound(g, x, 1, -INFINITY, &nf.alpha) || !clip_bound(g, x, 2, INFINITY, &nf.beta))
            return;
        nf.act = ACT_CLIP;
        break;
    case OP_LEAKYRELU: nf = (Fused){.act = ACT_LEAKYRELU, .alpha = x->attr->act.alpha}; break;
    case OP_HARDSIGMOID:
        nf = (Fused){ACT_HARDSIGMOID, x->attr->act.alpha, x->attr->act.beta, 0, 0, 0};
        break;
    case OP_HARDSWISH: nf.act = ACT_HARDSWISH; break;
    case OP_SIGMOID: nf.act = ACT_SIGMOID; break;
    default: return;
    }
    *fu = nf;
    take_over(g, n, u, x->out[0]);
}

/* After an activation fused into node n: Mul, Add, Sub or Div of its output by scalar
 * constants become fu's affine step. */
static void
fuse_affine(Fuse *f, NodeId n, Fused *fu)
{
    Graph *g = f->g;
    double mul = 1, add = 0;
    int any = 0;
    for (;;) {
        ValId cur = g->node[n].out[0];
        const Value *y = &g->val[cur];
        NodeId u = sole_user(f, cur);
        if (u == NONE || (y->flags & V_OUTPUT))
            break;
        const Node *x = &g->node[u];
        if ((x->op != OP_MUL && x->op != OP_ADD && x->op != OP_SUB && x->op != OP_DIV) ||
            x->nout != 1 || x->out[0] == NONE)
            break;
        const Value *o = &g->val[x->out[0]];
        if (o->dt != DT_F32 || o->rank != y->rank ||
            memcmp(o->dim, y->dim, sizeof(int64_t) * (size_t)y->rank))
            break;
        int first = x->in[0] == cur;
        double k;
        if (first == (x->in[1] == cur) || !scalar_const(g, x->in[first ? 1 : 0], &k))
            break;
        if (!first && (x->op == OP_SUB || x->op == OP_DIV))
            break;
        if (x->op == OP_DIV && k == 0)
            break;
        switch (x->op) {
        case OP_MUL: mul *= k, add *= k; break;
        case OP_ADD: add += k; break;
        case OP_SUB: add -= k; break;
        default: mul /= k, add /= k; break;
        }
        any = 1;
        take_over(g, n, u, x->out[0]);
    }
    if (any) {
        fu->affine = 1;
        fu->mul = (float)mul;
        fu->add = (float)add;
    }
}

/* Whether value v has the shape and dtype of value like. */
static int
same_shape(const Graph *g, ValId v, ValId like)
{
    const Value *a = &g->val[v], *b = &g->val[like];
    return v != NONE && a->dt == DT_F32 && a->rank == b->rank &&
           !memcmp(a->dim, b->dim, sizeof(int64_t) * (size_t)a->rank);
}

/* The operand of binary node x other than v, when x reads v exactly once. */
static ValId
other_input(const Node *x, ValId v)
{
    if (x->nin != 2 || (x->in[0] == v) == (x->in[1] == v))
        return NONE;
    return x->in[0] == v ? x->in[1] : x->in[0];
}

/*
 * HardSwish written out, as exporters do: Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6), or with
 * Mul(.., 1/6) for the Div. When node a is that Add, the last node becomes HardSwish(x) and the
 * other three are gone (each intermediate used by the next alone).
 */
static void
match_hardswish(Fuse *f, NodeId a)
{
    Graph *g = f->g;
    const Node *add = &g->node[a];
    double k;
    if (add->nin != 2 || add->nout != 1 || add->out[0] == NONE)
        return;
    ValId xv = add->in[0], kv = add->in[1];
    if (!scalar_const(g, kv, &k) && (xv = add->in[1], kv = add->in[0], !scalar_const(g, kv, &k)))
        return;
    if (k != 3 || g->val[xv].dt != DT_F32 || g->val[xv].nuse != 2 ||
        !same_shape(g, add->out[0], xv))
        return;
    NodeId c = sole_user(f, add->out[0]);
    if (c == NONE || g->node[c].op != OP_CLIP || g->node[c].in[0] != add->out[0] ||
        g->node[c].nout != 1 || g->node[c].out[0] == NONE)
        return;
    float flo, fhi;
    if (!clip_bound(g, &g->node[c], 1, -INFINITY, &flo) ||
        !clip_bound(g, &g->node[c], 2, INFINITY, &fhi) || flo != 0 || fhi != 6)
        return;
    NodeId m = sole_user(f, g->node[c].out[0]);
    if (m == NONE || g->node[m].op != OP_MUL || other_input(&g->node[m], xv) != g->node[c].out[0] ||
        g->node[m].nout != 1 || !same_shape(g, g->node[m].out[0], xv))
        return;
    NodeId d = sole_user(f, g->node[m].out[0]);
    if (d == NONE || g->node[d].nout != 1 || !same_shape(g, g->node[d].out[0], xv))
        return;
    Node *dn = &g->node[d];
    ValId kd = other_input(dn, g->node[m].out[0]);
    if (kd == NONE || !scalar_const(g, kd, &k))
        return;
    if (dn->op == OP_DIV ? dn->in[0] != g->node[m].out[0] || k != 6
                         : dn->op != OP_MUL || fabs(k * 6 - 1) > 1e-6)
        return;
    dn->op = OP_HARDSWISH;
    dn->in[0] = xv;
    dn->in[1] = dn->out[0]; /* the outputs follow the inputs in one array */
    dn->out = dn->in + 1;
    dn->nin = 1;
    g->node[a].op = g->node[c].op = g->node[m].op = OP_NOP;
}

/*
 * Pad(x) with zeros, on spatial axes only, read by a Conv with explicit (or no) padding alone:
 * the Conv reads x and pads the extra itself. Node p is the Pad.
 */
static void
match_pad_conv(Fuse *f, NodeId p)
{
    Graph *g = f->g;
    const Node *pad = &g->node[p];
    if (pad->attr->pad.mode != PADM_CONSTANT || pad->nout != 1 || pad->out[0] == NONE ||
        pad->nin < 2 || (pad->nin > 3 && pad->in[3] != NONE))
        return;
    double k;
    if (pad->nin > 2 && pad->in[2] != NONE && (!scalar_const(g, pad->in[2], &k) || k != 0))
        return;
    const Value *pv = &g->val[pad->in[1]], *x = &g->val[pad->in[0]];
    if (!(pv->flags & V_CONST) || !pv->data || pv->dt != DT_I64 || ir_numel(pv) != 2 * x->rank ||
        x->rank < 3 || x->dt != DT_F32)
        return;
    const int64_t *pads = pv->data;
    int r = x->rank, ns = r - 2;
    for (int i = 0; i < 2 * r; i++)
        if (pads[i] < 0 || ((i % r) < 2 && pads[i] != 0))
            return;
    NodeId c = sole_user(f, pad->out[0]);
    if (c == NONE || g->node[c].op != OP_CONV || g->node[c].in[0] != pad->out[0])
        return;
    ConvAttr *a = &g->node[c].attr->conv;
    if (a->auto_pad != PAD_NOTSET || (a->pads.n != 0 && a->pads.n != 2 * ns))
        return;
    int64_t *np = ir_galloc(g, (size_t)(2 * ns) * sizeof *np);
    if (!np)
        return; /* no fold, still correct */
    for (int i = 0; i < ns; i++) {
        np[i] = (a->pads.n ? a->pads.v[i] : 0) + pads[2 + i];
        np[ns + i] = (a->pads.n ? a->pads.v[ns + i] : 0) + pads[r + 2 + i];
    }
    a->pads = (Ints){2 * ns, np};
    g->node[c].in[0] = pad->in[0];
    absorb(g, c, p, 1);
}

/* ir_fill_uses, and the first two users of every value in f->user. */
static void
fill_users(Fuse *f)
{
    Graph *g = f->g;
    ir_fill_uses(g);
    for (ValId v = 0; v < 2 * g->nval; v++)
        f->user[v] = NONE;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        for (int j = 0; j < x->nin; j++) {
            ValId v = x->in[j];
            if (v == NONE)
                continue;
            if (f->user[2 * v] == NONE)
                f->user[2 * v] = n;
            else if (f->user[2 * v + 1] == NONE)
                f->user[2 * v + 1] = n;
        }
    }
}

/* Room for C channels in f->s and f->t; -1 on OOM. */
static int
reserve(Fuse *f, int64_t C)
{
    if (C <= f->cap)
        return 0;
    double *s = ir_realloc(f->s, (size_t)C * sizeof(double));
    if (!s)
        return -1;
    f->s = s;
    double *t = ir_realloc(f->t, (size_t)C * sizeof(double));
    if (!t)
        return -1;
    f->t = t;
    f->cap = C;
    return 0;
}

/* Composes the affine chain after node n into f->s and f->t; returns its last node (NONE when
 * empty) and its output in *cur. The nodes before the last become OP_NOP. */
static NodeId
absorb_chain(Fuse *f, NodeId n, int64_t C, ValId *cur)
{
    Graph *g = f->g;
    NodeId last = NONE;
    *cur = g->node[n].out[0];
    for (NodeId u; (u = sole_user(f, *cur)) != NONE && compose(f, u, *cur, C);) {
        if (last != NONE)
            absorb(g, n, last, 0);
        last = u;
        *cur = g->node[u].out[0];
    }
    return last;
}

/* Fuses an activation (and an affine step after it) into node n's fu. */
static void
fuse_act_affine(Fuse *f, NodeId n, Fused *fu)
{
    if (fu->act != ACT_NONE)
        return;
    fuse_act(f, n, fu);
    if (fu->act != ACT_NONE)
        fuse_affine(f, n, fu);
}

/*
 * An inference BatchNormalization that no Conv absorbed (after a Concat or a pool): the affine
 * chain after it folds into its parameters, which become scale S, bias T, mean 0, variance 1
 * and epsilon 0, and an activation fuses into norm.fuse. -1 on OOM.
 */
static int
fuse_bn(Fuse *f, NodeId n)
{
    Graph *g = f->g;
    const Node *x = &g->node[n];
    if (x->attr->norm.training_mode || x->nin != 5 || x->out[0] == NONE)
        return 0;
    for (int j = 1; j < x->nout; j++)
        if (x->out[j] != NONE)
            return 0;
    const Value *y = &g->val[x->out[0]];
    if (y->dt != DT_F32 || !ir_shape_known(y) || y->rank < 2 || y->dim[1] < 1)
        return 0;
    int64_t C = y->dim[1];
    for (int j = 1; j < 5; j++)
        if (!is_const_f32(g, x->in[j]) || ir_numel(&g->val[x->in[j]]) != C)
            return 0;
    if (reserve(f, C) < 0)
        return -1;
    const float *sc = g->val[x->in[1]].data, *b = g->val[x->in[2]].data;
    const float *mean = g->val[x->in[3]].data, *var = g->val[x->in[4]].data;
    double eps = x->attr->norm.epsilon;
    for (int64_t c = 0; c < C; c++) {
        f->s[c] = sc[c] / sqrt((double)var[c] + eps);
        f->t[c] = b[c] - mean[c] * f->s[c];
    }
    ValId cur;
    NodeId last = absorb_chain(f, n, C, &cur);
    if (last != NONE) {
        float *d[4];
        ValId v[4];
        for (int j = 0; j < 4; j++)
            if ((v[j] = new_const(g, g->node[n].in[1 + j], 1, &C, &d[j])) == NONE)
                return -1;
        for (int64_t c = 0; c < C; c++) {
            d[0][c] = (float)f->s[c];
            d[1][c] = (float)f->t[c];
            d[2][c] = 0.0f;
            d[3][c] = 1.0f;
        }
        Node *bn = &g->node[n];
        for (int j = 0; j < 4; j++)
            bn->in[1 + j] = v[j];
        bn->attr->norm.epsilon = 0.0f;
        take_over(g, n, last, cur);
    }
    fuse_act_affine(f, n, &g->node[n].attr->norm.fuse);
    return 0;
}

/* Folds the affine chain after node n, then fuses an activation. -1 on OOM. */
static int
fuse_node(Fuse *f, NodeId n)
{
    Graph *g = f->g;
    Node *x = &g->node[n];
    if (x->nin < 2 || x->nout < 1 || x->out[0] == NONE)
        return 0;
    const Value *y = &g->val[x->out[0]];
    if (y->dt != DT_F32 || !ir_shape_known(y) || y->rank < 2 || (x->op == OP_GEMM && y->rank != 2))
        return 0;
    int64_t C = y->dim[1];
    if (C > 0 && weights_foldable(g, n, C)) {
        if (reserve(f, C) < 0)
            return -1;
        for (int64_t c = 0; c < C; c++)
            f->s[c] = 1, f->t[c] = 0;
        ValId cur;
        NodeId last = absorb_chain(f, n, C, &cur);
        if (last != NONE) {
            if (fold_weights(f, n, C) < 0)
                return -1;
            take_over(g, n, last, cur);
        }
    }
    x = &g->node[n];
    fuse_act_affine(f, n, x->op == OP_GEMM ? &x->attr->gemm.fuse : &x->attr->conv.fuse);
    return 0;
}

int
pass_fuse(Graph *g, Diag *d)
{
    Fuse f = {g, NULL, NULL, NULL, 0};
    f.user = ir_alloc((size_t)g->nval * 2 * sizeof(NodeId) + 1);
    if (!f.user)
        return diag_oom(d);
    fill_users(&f);
    for (NodeId n = 0; n < g->nnode; n++) {
        if (g->node[n].op == OP_ADD)
            match_hardswish(&f, n);
        else if (g->node[n].op == OP_PAD)
            match_pad_conv(&f, n);
    }
    fill_users(&f);
    /* values added below (new weights) are no chain's values: user[] need not cover them */
    int rc = 0;
    for (NodeId n = 0; n < g->nnode && rc == 0; n++) {
        OpKind op = g->node[n].op;
        if (op == OP_CONV || op == OP_CONVTRANSPOSE || op == OP_GEMM)
            rc = fuse_node(&f, n);
        else if (op == OP_BATCHNORMALIZATION)
            rc = fuse_bn(&f, n);
    }
    ir_free(f.user);
    ir_free(f.s);
    ir_free(f.t);
    if (rc < 0 || ir_compact(g) < 0)
        return diag_oom(d);
    return 0;
}
