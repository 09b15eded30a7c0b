/*
 * graph.c: building and maintaining a Graph: values and nodes in dense arrays, a name index,
 * topological sorting, use counts and compaction, plus the dtype table and element accessors.
 *
 * Derived data (uses, order) is recomputed on demand, never patched: ir_toposort, ir_fill_uses and
 * ir_compact each rebuild what they own from the node and value arrays.
 */
#include "ir.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* ---- data types ------------------------------------------------------------------------------- */

static const struct {
    const char *name, *shrt;
    size_t size;
} dtypes[DT_COUNT] = {
    [DT_UNDEF] = {"undefined", "?", 0},
    [DT_F32] = {"float32", "f32", 4},
    [DT_U8] = {"uint8", "u8", 1},
    [DT_I8] = {"int8", "i8", 1},
    [DT_U16] = {"uint16", "u16", 2},
    [DT_I16] = {"int16", "i16", 2},
    [DT_I32] = {"int32", "i32", 4},
    [DT_I64] = {"int64", "i64", 8},
    [DT_STRING] = {"string", "str", 0},
    [DT_BOOL] = {"bool", "bool", 1},
    [DT_F16] = {"float16", "f16", 2},
    [DT_F64] = {"float64", "f64", 8},
    [DT_U32] = {"uint32", "u32", 4},
    [DT_U64] = {"uint64", "u64", 8},
    [DT_C64] = {"complex64", "c64", 8},
    [DT_C128] = {"complex128", "c128", 16},
    [DT_BF16] = {"bfloat16", "bf16", 2},
};

size_t
ir_dtype_size(DType t)
{
    return (unsigned)t < DT_COUNT ? dtypes[t].size : 0;
}

const char *
ir_dtype_name(DType t)
{
    return (unsigned)t < DT_COUNT ? dtypes[t].name : "undefined";
}

const char *
ir_dtype_short(DType t)
{
    return (unsigned)t < DT_COUNT ? dtypes[t].shrt : "?";
}

int
ir_dtype_is_float(DType t)
{
    return t == DT_F32 || t == DT_F16 || t == DT_F64 || t == DT_BF16;
}

int
ir_dtype_is_int(DType t)
{
    switch (t) {
    case DT_U8: case DT_I8: case DT_U16: case DT_I16: case DT_I32: case DT_I64: case DT_U32:
    case DT_U64:
        return 1;
    default:
        return 0;
    }
}

float
ir_f16_to_f32(uint16_t h)
{
    unsigned sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -24);
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(man | 0x400), (int)exp - 25);
    return sign ? -v : v;
}

uint16_t
ir_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    if (isnan(f))
        return (uint16_t)(sign | 0x7e00);
    float a = fabsf(f);
    if (a >= 65520.0f)
        return (uint16_t)(sign | 0x7c00);
    if (a < 6.103515625e-05f) {     /* subnormal: round to a multiple of 2^-24 */
        return (uint16_t)(sign | (uint32_t)lrintf(a * 16777216.0f));
    }
    int e;
    float m = frexpf(a, &e);        /* a = m * 2^e, m in [0.5, 1) */
    uint32_t mant = (uint32_t)lrintf((m * 2.0f - 1.0f) * 1024.0f);
    uint32_t exp = (uint32_t)(e - 1 + 15);
    if (mant == 1024) {
        mant = 0;
        exp++;
    }
    return (uint16_t)(sign | (exp << 10) | mant);
}

float
ir_bf16_to_f32(uint16_t h)
{
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

uint16_t
ir_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if (isnan(f))
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);      /* round to nearest even */
    return (uint16_t)(x >> 16);
}

/* ---- shapes and constants -------------------------------------------------------------------- */

int64_t
ir_numel(const Value *v)
{
    if (v->rank < 0)
        return -1;
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) {
        if (v->dim[i] < 0)
            return -1;
        if (v->dim[i] != 0 && n > INT64_MAX / v->dim[i])
            return -1;
        n *= v->dim[i];
    }
    return n;
}

int
ir_shape_known(const Value *v)
{
    return ir_numel(v) >= 0;
}

size_t
ir_nbytes(const Value *v)
{
    int64_t n = ir_numel(v);
    size_t es = ir_dtype_size(v->dt);
    if (n < 0 || (es && (uint64_t)n > SIZE_MAX / es))
        return 0;
    return (size_t)n * es;
}

int64_t
ir_const_i(const Value *v, int64_t i)
{
    const unsigned char *p = v->data;
    IR_ASSERT(p && i >= 0);
    size_t es = ir_dtype_size(v->dt);
    p += (size_t)i * es;
    switch (v->dt) {
    case DT_BOOL: case DT_U8: return *p;
    case DT_I8: return *(const int8_t *)p;
    case DT_U16: { uint16_t x; memcpy(&x, p, 2); return x; }
    case DT_I16: { int16_t x; memcpy(&x, p, 2); return x; }
    case DT_I32: { int32_t x; memcpy(&x, p, 4); return x; }
    case DT_U32: { uint32_t x; memcpy(&x, p, 4); return x; }
    case DT_I64: { int64_t x; memcpy(&x, p, 8); return x; }
    case DT_U64: { uint64_t x; memcpy(&x, p, 8); return (int64_t)x; }
    default: {
        if (!ir_dtype_is_float(v->dt))
            return 0; /* complex, string: no integer (callers refuse them; never a loop) */
        double f = ir_const_f(v, i);
        if (!(f > -9.2e18 && f < 9.2e18))
            return f > 0 ? INT64_MAX : INT64_MIN;
        return (int64_t)f;
    }
    }
}

double
ir_const_f(const Value *v, int64_t i)
{
    const unsigned char *p = v->data;
    IR_ASSERT(p && i >= 0);
    p += (size_t)i * ir_dtype_size(v->dt);
    switch (v->dt) {
    case DT_F32: { float x; memcpy(&x, p, 4); return x; }
    case DT_F64: { double x; memcpy(&x, p, 8); return x; }
    case DT_F16: { uint16_t x; memcpy(&x, p, 2); return ir_f16_to_f32(x); }
    case DT_BF16: { uint16_t x; memcpy(&x, p, 2); return ir_bf16_to_f32(x); }
    case DT_U64: { uint64_t x; memcpy(&x, p, 8); return (double)x; }
    default: return ir_dtype_is_int(v->dt) || v->dt == DT_BOOL ? (double)ir_const_i(v, i) : 0;
    }
}

/* ---- the name index: open addressing over ValIds ------------------------------------------------ */

typedef struct NameMap {
    int cap;                /* power of two */
    int count;
    ValId *slot;            /* NONE = empty */
    int fresh;              /* fresh names "%k": every k from nval up to this one is taken */
} NameMap;

static uint32_t
hash_str(const char *s)
{
    uint32_t h = 2166136261u;  /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int
map_grow(NameMap *m, const Graph *g)
{
    int cap = m->cap ? m->cap * 2 : 64;
    ValId *slot = ir_alloc((size_t)cap * sizeof *slot);
    if (!slot)
        return -1;
    for (int i = 0; i < cap; i++)
        slot[i] = NONE;
    for (int i = 0; i < m->cap; i++) {
        ValId v = m->slot[i];
        if (v == NONE)
            continue;
        uint32_t h = hash_str(g->val[v].name) & (uint32_t)(cap - 1);
        while (slot[h] != NONE)
            h = (h + 1) & (uint32_t)(cap - 1);
        slot[h] = v;
    }
    ir_free(m->slot);
    m->slot = slot;
    m->cap = cap;
    return 0;
}

ValId
ir_val_find(const Graph *g, const char *name)
{
    const NameMap *m = g->names;
    if (!m->cap)
        return NONE;
    uint32_t h = hash_str(name) & (uint32_t)(m->cap - 1);
    for (; m->slot[h] != NONE; h = (h + 1) & (uint32_t)(m->cap - 1))
        if (strcmp(g->val[m->slot[h]].name, name) == 0)
            return m->slot[h];
    return NONE;
}

static int
map_insert(Graph *g, ValId v)
{
    NameMap *m = g->names;
    if ((m->count + 1) * 2 > m->cap && map_grow(m, g) < 0)
        return -1;
    uint32_t h = hash_str(g->val[v].name) & (uint32_t)(m->cap - 1);
    while (m->slot[h] != NONE)
        h = (h + 1) & (uint32_t)(m->cap - 1);
    m->slot[h] = v;
    m->count++;
    return 0;
}

static int
map_rebuild(Graph *g)
{
    NameMap *m = g->names;
    ir_free(m->slot);
    m->slot = NULL;
    m->cap = m->count = m->fresh = 0;
    for (ValId v = 0; v < g->nval; v++)
        if (map_insert(g, v) < 0)
            return -1;
    return 0;
}

/* ---- graph construction ------------------------------------------------------------------------- */

Graph *
ir_graph_new(const char *file)
{
    Arena *a = ir_arena_new();
    if (!a)
        return NULL;
    Graph *g = ir_arena_alloc(a, sizeof *g);
    NameMap *m = ir_arena_alloc(a, sizeof *m);
    if (!g || !m) {
        ir_arena_free(a);
        return NULL;
    }
    g->arena = a;
    g->names = m;
    g->file = file ? ir_strndup(g, file, strlen(file)) : "";
    g->name = "";
    g->producer = "";
    if (!g->file) {
        ir_arena_free(a);
        return NULL;
    }
    return g;
}

void
ir_graph_free(Graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->nsub; i++)
        ir_graph_free(g->sub[i]);
    ir_free(g->sub);
    NameMap *m = g->names;
    ir_free(m->slot);
    ir_free(g->node);
    ir_free(g->val);
    ir_arena_free(g->arena);
}

Graph *
ir_graph_sub(Graph *g)
{
    Graph **sub = ir_realloc(g->sub, (size_t)(g->nsub + 1) * sizeof *sub);
    if (!sub)
        return NULL;
    g->sub = sub;
    Graph *b = ir_graph_new(g->file);
    if (b)
        g->sub[g->nsub++] = b;
    return b;
}

void *
ir_galloc(Graph *g, size_t n)
{
    return ir_arena_alloc(g->arena, n);
}

const char *
ir_strndup(Graph *g, const char *s, size_t n)
{
    char *p = ir_galloc(g, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* grows a dense array to hold one more element; 0 or -1 */
static int
grow(void **arr, int *cap, int n, size_t elsize)
{
    if (n < *cap)
        return 0;
    if (*cap > INT32_MAX / 2)
        return -1;
    int ncap = *cap ? *cap * 2 : 64;
    void *p = ir_realloc(*arr, (size_t)ncap * elsize);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

ValId
ir_val_add(Graph *g, const char *name, DType dt, int *dup)
{
    char buf[32];
    if (dup)
        *dup = 0;
    if (!name) {
        /* fresh names cannot collide with ONNX names that happen to look the same: retry, from
         * where the last retry stopped, so that a model holding many such names costs each of
         * them one look-up, not one per fresh name */
        NameMap *m = g->names;
        int k = m->fresh > g->nval ? m->fresh : g->nval;
        do
            snprintf(buf, sizeof buf, "%%%d", k++);
        while (ir_val_find(g, buf) != NONE);
        m->fresh = k;
        name = buf;
    } else if (ir_val_find(g, name) != NONE) {
        if (dup)
            *dup = 1;
        return NONE;
    }
    if (grow((void **)&g->val, &g->cval, g->nval, sizeof(Value)) < 0)
        return NONE;
    const char *nm = ir_strndup(g, name, strlen(name));
    if (!nm)
        return NONE;
    ValId v = g->nval++;
    Value *x = &g->val[v];
    memset(x, 0, sizeof *x);
    x->name = nm;
    x->dt = dt;
    x->rank = -1;
    x->def = NONE;
    if (map_insert(g, v) < 0) {
        g->nval--;
        return NONE;
    }
    return v;
}

void
ir_attr_default(OpKind op, Attr *a)
{
    memset(a, 0, sizeof *a);
    switch (ir_op[op].attr) {
    case A_CONV: a->conv.group = 1; break;
    case A_POOL: a->pool.p = 2; break;
    case A_GEMM: a->gemm.alpha = a->gemm.beta = 1.0f; break;
    case A_REDUCE: a->reduce.keepdims = 1; break;
    case A_AXIS:
        a->axis.keepdims = 1;
        /* ONNX defaults: Softmax family -1 (opset 13), Flatten 1, Concat/Gather/CumSum 0 */
        a->axis.axis = (op == OP_SOFTMAX || op == OP_LOGSOFTMAX || op == OP_HARDMAX) ? -1
                     : op == OP_FLATTEN ? 1 : 0;
        /* QuantizeLinear, DequantizeLinear: per-axis scales run along dim 1 */
        if (op == OP_QUANTIZELINEAR || op == OP_DEQUANTIZELINEAR)
            a->axis.axis = 1;
        if (op == OP_TOPK) /* TopK: the last axis, the largest, sorted */
            a->axis.axis = -1, a->axis.largest = a->axis.sorted = 1;
        break;
    case A_RESIZE:
        a->resize.coord = CT_HALF_PIXEL;
        a->resize.cubic_a = -0.75f;
        break;
    case A_CAST: a->cast.saturate = 1; break;
    case A_CONST: a->cst.dt = DT_F32; break;
    case A_SEQ:
        a->seq.dtype = DT_F32;
        a->seq.keepdims = 1;
        break;
    case A_NORM:
        a->norm.epsilon = 1e-5f;
        a->norm.momentum = 0.9f;
        a->norm.axis = -1;
        break;
    case A_LRN:
        a->lrn.alpha = 1e-4f;
        a->lrn.beta = 0.75f;
        a->lrn.bias = 1.0f;
        break;
    case A_MODE:
        /* IsInf detects both signs; Trilu keeps the upper triangle */
        a->mode.mode = op == OP_ISINF ? 3 : op == OP_TRILU ? 1 : 0;
        break;
    case A_RNN: {
        /* f = Sigmoid, g = h = Tanh (RNN: f = Tanh), for either direction */
        int ng = op == OP_LSTM ? 3 : op == OP_GRU ? 2 : 1;
        a->rnn.clip = -1.0f;
        for (int i = 0; i < 2 * ng; i++)
            a->rnn.act[i] = i % ng == 0 && op != OP_RNN ? RA_SIGMOID : RA_TANH;
        break;
    }
    case A_ACT:
        switch (op) {
        case OP_LEAKYRELU: a->act.alpha = 0.01f; break;
        case OP_ELU: case OP_CELU: case OP_THRESHOLDEDRELU: a->act.alpha = 1.0f; break;
        case OP_HARDSIGMOID: a->act.alpha = 0.2f; a->act.beta = 0.5f; break;
        case OP_SELU:
            a->act.alpha = 1.67326319217681884765625f;
            a->act.gamma = 1.05070102214813232421875f;
            break;
        default: break;
        }
        break;
    default:
        break;
    }
}

NodeId
ir_node_add(Graph *g, OpKind op, const char *name, int nin, int nout)
{
    IR_ASSERT(nin >= 0 && nout >= 0);
    if (grow((void **)&g->node, &g->cnode, g->nnode, sizeof(Node)) < 0)
        return NONE;
    ValId *in = ir_galloc(g, (size_t)(nin + nout) * sizeof(ValId) + 1);
    Attr *attr = ir_galloc(g, sizeof(Attr));
    const char *nm = ir_strndup(g, name ? name : "", name ? strlen(name) : 0);
    if (!in || !attr || !nm)
        return NONE;
    for (int i = 0; i < nin + nout; i++)
        in[i] = NONE;
    ir_attr_default(op, attr);
    NodeId n = g->nnode++;
    Node *x = &g->node[n];
    memset(x, 0, sizeof *x);
    x->op = op;
    x->name = nm;
    x->optype = ir_op[op].onnx;
    x->index = n;
    x->nin = nin;
    x->nout = nout;
    x->in = in;
    x->out = in + nin;
    x->attr = attr;
    x->dev = x->region = NONE;
    return n;
}

/* ---- order, uses, compaction ---------------------------------------------------------------------- */

const char *
ir_node_where(const Graph *g, NodeId n, char *buf, size_t size)
{
    const Node *x = &g->node[n];
    snprintf(buf, size, "node %d \"%s\" (%s)", x->index, x->name, x->optype ? x->optype : "?");
    return buf;
}

int
diag_node(Diag *d, const Graph *g, NodeId n, const char *fmt, ...)
{
    char where[512], msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_error(d, "%s: %s", ir_node_where(g, n, where, sizeof where), msg);
}

/*
 * Kahn's algorithm over value definitions; among ready nodes the one earliest in the current order
 * goes first, so an already sorted graph keeps its order. O(nodes + edges) with a ready queue kept
 * sorted by construction (nodes become ready in increasing index order is not guaranteed, so we use
 * a simple binary heap keyed on index).
 */
/* 1 when node a goes before node b among the ready ones: the lower key, then the lower index */
static int
topo_before(const double *key, int a, int b)
{
    if (key && key[a] != key[b])
        return key[a] < key[b];
    return a < b;
}

int
ir_toposort(Graph *g, Diag *d)
{
    return ir_toposort_by(g, NULL, d);
}

int
ir_toposort_by(Graph *g, const double *key, Diag *d)
{
    int nn = g->nnode, rc = -1;
    if (nn <= 0)
        return 0;
    int *pending = ir_alloc((size_t)nn * sizeof(int) + 1);      /* undefined inputs per node */
    int *order = ir_alloc((size_t)nn * sizeof(int) + 1);
    int *heap = ir_alloc((size_t)nn * sizeof(int) + 1);
    int *first = ir_alloc((size_t)g->nval * sizeof(int) + 1);   /* users list head per value */
    int nedge = 0;
    for (int i = 0; i < nn; i++)
        nedge += g->node[i].nin;
    int *next = ir_alloc((size_t)nedge * 2 * sizeof(int) + 1);  /* (node, next) pairs */
    Node *sorted = NULL;
    if (!pending || !order || !heap || !first || !next) {
        diag_oom(d);
        goto done;
    }
    for (int v = 0; v < g->nval; v++)
        first[v] = -1;
    int ne = 0;
    for (int i = 0; i < nn; i++) {
        Node *x = &g->node[i];
        pending[i] = 0;
        for (int j = 0; j < x->nin; j++) {
            ValId v = x->in[j];
            if (v == NONE || g->val[v].def == NONE)
                continue;
            pending[i]++;
            next[2 * ne] = i;
            next[2 * ne + 1] = first[v];
            first[v] = ne++;
        }
    }
    int nheap = 0, norder = 0;
    for (int i = 0; i < nn; i++) {
        if (pending[i] != 0)
            continue;
        int k = nheap++;            /* sift up (in index order without keys: stays put) */
        heap[k] = i;
        while (k > 0 && topo_before(key, heap[k], heap[(k - 1) / 2])) {
            int p = (k - 1) / 2, t = heap[k];
            heap[k] = heap[p]; heap[p] = t;
            k = p;
        }
    }
    while (nheap > 0) {
        int top = heap[0];
        heap[0] = heap[--nheap];
        for (int k = 0;;) {         /* sift down */
            int l = 2 * k + 1, r = l + 1, m = k;
            if (l < nheap && topo_before(key, heap[l], heap[m])) m = l;
            if (r < nheap && topo_before(key, heap[r], heap[m])) m = r;
            if (m == k) break;
            int t = heap[k]; heap[k] = heap[m]; heap[m] = t;
            k = m;
        }
        order[norder++] = top;
        Node *x = &g->node[top];
        for (int j = 0; j < x->nout; j++) {
            ValId v = x->out[j];
            if (v == NONE)
                continue;
            for (int e = first[v]; e >= 0; e = next[2 * e + 1]) {
                int u = next[2 * e];
                if (--pending[u] == 0) {
                    int k = nheap++;   /* sift up */
                    heap[k] = u;
                    while (k > 0 && topo_before(key, heap[k], heap[(k - 1) / 2])) {
                        int p = (k - 1) / 2, t = heap[k];
                        heap[k] = heap[p]; heap[p] = t;
                        k = p;
                    }
                }
            }
        }
    }
    if (norder < nn) {
        for (int i = 0; i < nn; i++)
            if (pending[i] > 0) {
                diag_node(d, g, i, "the graph has a cycle through this node");
                goto done;
            }
    }
    sorted = ir_alloc((size_t)nn * sizeof(Node) + 1);
    if (!sorted) {
        diag_oom(d);
        goto done;
    }
    for (int i = 0; i < nn; i++)
        sorted[i] = g->node[order[i]];
    memcpy(g->node, sorted, (size_t)nn * sizeof(Node));
    for (int i = 0; i < nn; i++)
        for (int j = 0; j < g->node[i].nout; j++)
            if (g->node[i].out[j] != NONE)
                g->val[g->node[i].out[j]].def = i;
    rc = 0;
done:
    ir_free(pending);
    ir_free(order);
    ir_free(heap);
    ir_free(first);
    ir_free(next);
    ir_free(sorted);
    return rc;
}

void
ir_fill_uses(Graph *g)
{
    for (int v = 0; v < g->nval; v++)
        g->val[v].nuse = 0;
    for (int i = 0; i < g->nnode; i++) {
        const Node *x = &g->node[i];
        if (x->op == OP_NOP)
            continue;
        for (int j = 0; j < x->nin; j++)
            if (x->in[j] != NONE)
                g->val[x->in[j]].nuse++;
    }
}

int
ir_compact(Graph *g)
{
    int nv = g->nval;
    ValId *remap = ir_alloc((size_t)nv * sizeof(ValId) + 1);
    if (!remap)
        return -1;
    for (int v = 0; v < nv; v++)
        remap[v] = NONE;
    /* keep inputs, outputs and anything a live node touches */
    for (int i = 0; i < g->ninput; i++)
        remap[g->input[i]] = 0;
    for (int i = 0; i < g->noutput; i++)
        remap[g->output[i]] = 0;
    int nn = 0;
    for (int i = 0; i < g->nnode; i++) {
        Node *x = &g->node[i];
        if (x->op == OP_NOP)
            continue;
        for (int j = 0; j < x->nin + x->nout; j++)
            if (x->in[j] != NONE)
                remap[x->in[j]] = 0;
        g->node[nn++] = *x;
    }
    g->nnode = nn;
    /* a sequence or optional kept keeps what it holds (an optional may hold a sequence: again
     * until nothing more is marked) */
    for (int again = 1; again;) {
        again = 0;
        for (int v = 0; v < nv; v++)
            for (int i = 0; remap[v] != NONE && (g->val[v].flags & (V_SEQ | V_OPT)) &&
                            i < g->val[v].nelem; i++)
                if (remap[g->val[v].elem[i]] == NONE)
                    remap[g->val[v].elem[i]] = 0, again = 1;
    }
    int k = 0;
    for (int v = 0; v < nv; v++) {
        if (remap[v] == NONE)
            continue;
        remap[v] = k;
        g->val[k++] = g->val[v];
    }
    g->nval = k;
    for (int v = 0; v < k; v++) {
        Value *x = &g->val[v];
        if (!(x->flags & (V_SEQ | V_OPT)) || x->nelem == 0)
            continue;
        ValId *e = ir_galloc(g, (size_t)x->nelem * sizeof *e);
        if (!e) {
            ir_free(remap);
            return -1;
        }
        for (int i = 0; i < x->nelem; i++)
            e[i] = remap[x->elem[i]];
        x->elem = e;
    }
    for (int i = 0; i < g->nnode; i++) {
        Node *x = &g->node[i];
        for (int j = 0; j < x->nin + x->nout; j++)
            if (x->in[j] != NONE)
                x->in[j] = remap[x->in[j]];
        for (int j = 0; j < x->nout; j++)
            if (x->out[j] != NONE)
                g->val[x->out[j]].def = i;
    }
    for (int i = 0; i < g->ninput; i++)
        g->input[i] = remap[g->input[i]];
    for (int i = 0; i < g->noutput; i++)
        g->output[i] = remap[g->output[i]];
    ir_free(remap);
    return map_rebuild(g);
}
