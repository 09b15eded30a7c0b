/*
 * fold.c: constant folding. ir_fold_node evaluates one node whose inputs are constants; ir_infer
 * calls it after inferring the node, so the output shapes are known (at most IR_FOLD_MAX elements).
 * The outputs' data goes to the graph's arena and the outputs become V_CONST (not V_PARAM).
 *
 * Arithmetic reads and writes elements through a generic accessor (as int64 or as double, by
 * dtype), so each op is written once for all numeric dtypes: when no operand is a float the op
 * runs exactly in int64 (wrapping to the output width on store), otherwise in double, rounded
 * once on store; a unary op from float32 to float32 runs in float. The formulas are the CPU
 * kernels' (scalar.h), so a folded value equals the one the kernel computes, bit for bit. Data
 * movement (Concat, Gather, Slice, Transpose, Expand, Where, Reshape, ...) copies whole elements
 * by their byte size, so it works for every fixed-size dtype. Strings, and arithmetic on complex
 * numbers, are left unfolded (the node simply stays). The loops are plain walks over the output,
 * O(numel x rank).
 *
 * Each fold_* handler returns 1 when it computed every output, 0 when it leaves the node alone
 * (a dtype it does not handle, a dynamic dim Shape needs, Dropout in training mode), or -1 with a
 * diagnostic (an integer division by zero, a Gather index out of range, out of memory).
 */
#include "ir.h"
#include "scalar.h"
#include "shape_impl.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* ---- element access -------------------------------------------------------------------------- */

static Value *
input(Graph *g, NodeId n, int i)
{
    const Node *x = &g->node[n];
    return i < x->nin && x->in[i] != NONE ? &g->val[x->in[i]] : NULL;
}

static Value *
output(Graph *g, NodeId n, int i)
{
    const Node *x = &g->node[n];
    return i < x->nout && x->out[i] != NONE ? &g->val[x->out[i]] : NULL;
}

/* dtypes the arithmetic handles: integers, bool and real floats */
static int
scalar(DType t)
{
    return ir_dtype_is_float(t) || ir_dtype_is_int(t) || t == DT_BOOL;
}

static int
is_unsigned(DType t)
{
    return t == DT_U8 || t == DT_U16 || t == DT_U32 || t == DT_U64 || t == DT_BOOL;
}

static int64_t
wrap(uint64_t u) /* two's complement reinterpretation, without implementation-defined casts */
{
    int64_t r;
    memcpy(&r, &u, sizeof r);
    return r;
}

/* Element i as int64 (floats truncate, saturating) or as double; v must be a constant. */
static int64_t
get_i(const Value *v, int64_t i)
{
    return ir_const_i(v, i);
}

static double
get_f(const Value *v, int64_t i)
{
    return ir_const_f(v, i);
}

/* Address of element i of v's data. */
static unsigned char *
at(Value *v, int64_t i)
{
    return (unsigned char *)v->data + (size_t)i * ir_dtype_size(v->dt);
}

static void put_f(Value *v, int64_t i, double x);

/* Stores x into element i, truncated to the dtype's width (bool: x != 0). */
static void
put_i(Value *v, int64_t i, int64_t x)
{
    unsigned char *p = at(v, i);
    uint64_t u = (uint64_t)x;
    uint32_t u32 = (uint32_t)u;
    uint16_t u16 = (uint16_t)u;
    switch (v->dt) {
    case DT_BOOL: *p = (unsigned char)(x != 0); break;
    case DT_U8:
    case DT_I8: *p = (unsigned char)u; break;
    case DT_U16:
    case DT_I16: memcpy(p, &u16, 2); break;
    case DT_U32:
    case DT_I32: memcpy(p, &u32, 4); break;
    case DT_U64:
    case DT_I64: memcpy(p, &u, 8); break;
    case DT_F32: {
        float f = (float)x;
        memcpy(p, &f, 4);
        break;
    } /* one rounding */
    default: put_f(v, i, (double)x); break;
    }
}

/* Stores x, rounded to a float dtype, or truncated toward zero (saturating, NaN as 0) for an
 * integer dtype, as C's conversion does where it is defined. */
static void
put_f(Value *v, int64_t i, double x)
{
    unsigned char *p = at(v, i);
    switch (v->dt) {
    case DT_F32: {
        float f = (float)x;
        memcpy(p, &f, 4);
        break;
    }
    case DT_F64: memcpy(p, &x, 8); break;
    case DT_F16: {
        uint16_t h = ir_f32_to_f16((float)x);
        memcpy(p, &h, 2);
        break;
    }
    case DT_BF16: {
        uint16_t h = ir_f32_to_bf16((float)x);
        memcpy(p, &h, 2);
        break;
    }
    case DT_BOOL: *p = (unsigned char)(x != 0); break; /* NaN counts as true */
    default:
        if (isnan(x))
            put_i(v, i, 0);
        else if (v->dt == DT_U64 && x >= 9223372036854775808.0)
            put_i(v, i, wrap(x >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)x));
        else if (x >= 9223372036854775807.0)
            put_i(v, i, INT64_MAX);
        else if (x <= -9223372036854775808.0)
            put_i(v, i, INT64_MIN);
        else
            put_i(v, i, (int64_t)x);
        break;
    }
}

/* Flat index, in v, of the element that broadcasts to coordinate c of an output of rank r. */
static int64_t
bidx(const Value *v, const int64_t *c, int r)
{
    int64_t k = 0;
    for (int i = 0; i < v->rank; i++)
        k = k * v->dim[i] + (v->dim[i] == 1 ? 0 : c[r - v->rank + i]);
    return k;
}

/* Advances the row-major coordinate c within dims[0..r). */
static void
next(int64_t *c, const int64_t *dims, int r)
{
    for (int k = r - 1; k >= 0; k--) {
        if (++c[k] < dims[k])
            return;
        c[k] = 0;
    }
}

/* Allocates v's data (none for zero elements). */
static int
alloc(Graph *g, Diag *d, Value *v)
{
    size_t nb = ir_nbytes(v);
    v->data = nb ? ir_galloc(g, nb) : NULL;
    return !nb || v->data ? 0 : diag_oom(d);
}

/* Copies count elements of esz bytes; no-op for zero (src may then be NULL). */
static void
copy(void *dst, const void *src, int64_t count, size_t esz)
{
    if (count > 0)
        memcpy(dst, src, (size_t)count * esz);
}

/* ---- elementwise arithmetic ------------------------------------------------------------------ */

static double
nanmax(double a, double b) /* NaN propagates, as in numpy */
{
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}

/* Binary ops in double. Sum and Mean add (Mean divides at the end); comparisons give 0 or 1. */
static double
binary_f(OpKind op, const Attr *at, double a, double b)
{
    double r;
    switch (op) {
    case OP_ADD:
    case OP_SUM:
    case OP_MEAN: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_POW: return pow(a, b);
    case OP_MOD: /* fmod=0: the sign of the divisor, like Python */
        r = fmod(a, b);
        return !at->mode.mode && r != 0 && (r < 0) != (b < 0) ? r + b : r;
    case OP_MAX: return nanmax(a, b);
    case OP_MIN: return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
    case OP_PRELU: return a < 0 ? a * b : a;
    case OP_EQUAL: return a == b;
    case OP_GREATER: return a > b;
    case OP_GREATEROREQUAL: return a >= b;
    case OP_LESS: return a < b;
    case OP_LESSOREQUAL: return a <= b;
    case OP_AND: return a != 0 && b != 0;
    case OP_OR: return a != 0 || b != 0;
    case OP_XOR: return (a != 0) != (b != 0);
    default: IR_ASSERT(0 && "binary op without a float fold rule"); return 0;
    }
}

/* Integer power by squaring, wrapping; a negative exponent gives the truncated quotient. */
static int64_t
ipow(int64_t a, int64_t b)
{
    uint64_t r = 1, x = (uint64_t)a;
    if (b < 0)
        return a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0;
    for (; b; b >>= 1, x *= x)
        if (b & 1)
            r *= x;
    return wrap(r);
}

/* Integer form of a binary op: 0, or -1 for a division by zero. */
static int
binary_i(OpKind op, const Attr *at, int64_t a, int64_t b, int64_t *r)
{
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
    switch (op) {
    case OP_ADD:
    case OP_SUM:
    case OP_MEAN: *r = wrap(ua + ub); return 0;
    case OP_SUB: *r = wrap(ua - ub); return 0;
    case OP_MUL: *r = wrap(ua * ub); return 0;
    case OP_DIV: /* truncates toward zero, as C and ONNX Runtime do */
        if (b == 0)
            return -1;
        *r = b == -1 ? wrap(0 - ua) : a / b;
        return 0;
    case OP_MOD:
        if (b == 0)
            return -1;
        *r = b == -1 ? 0 : a % b;
        if (!at->mode.mode && *r != 0 && (*r < 0) != (b < 0))
            *r += b;
        return 0;
    case OP_POW: *r = ipow(a, b); return 0;
    case OP_MAX: *r = a > b ? a : b; return 0;
    case OP_MIN: *r = a < b ? a : b; return 0;
    case OP_PRELU: *r = a < 0 ? wrap(ua * ub) : a; return 0;
    case OP_EQUAL: *r = a == b; return 0;
    case OP_GREATER: *r = a > b; return 0;
    case OP_GREATEROREQUAL: *r = a >= b; return 0;
    case OP_LESS: *r = a < b; return 0;
    case OP_LESSOREQUAL: *r = a <= b; return 0;
    case OP_AND: *r = a && b; return 0;
    case OP_OR: *r = a || b; return 0;
    case OP_XOR: *r = !a != !b; return 0;
    case OP_BITSHIFT: /* unsigned operands; shifting out every bit gives 0 */
        *r = b < 0 || b > 63 ? 0 : wrap(at->mode.mode ? ua >> b : ua << b);
        return 0;
    default: IR_ASSERT(0 && "binary op without an integer fold rule"); return 0;
    }
}

/* Clip's float32 bound i (1: min, 2: max), or dflt where it is absent or empty. */
static float
clip_bound(Graph *g, NodeId n, int i, float dflt)
{
    const Value *b = input(g, n, i);
    return b && ir_numel(b) > 0 ? (float)get_f(b, 0) : dflt;
}

/*
 * Every F_ELTWISE op except Where: unary ops (and Clip with its optional bounds) map input 0;
 * binary and variadic ops fold their inputs left to right after broadcasting to the output.
 */
static int
fold_elt(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Value *o = output(g, n, 0);
    int fl = ir_dtype_is_float(o->dt), uns = is_unsigned(input(g, n, 0)->dt);
    int unary = ir_op[x->op].shape == SH_SAME || ir_op[x->op].shape == SH_BOOL;
    int f32 = unary && input(g, n, 0)->dt == DT_F32 && o->dt == DT_F32;
    int64_t c[IR_MAXRANK] = {0}, numel = ir_numel(o);
    if (!scalar(o->dt))
        return 0;
    for (int i = 0; i < x->nin; i++) {
        const Value *v = input(g, n, i);
        if (v && !scalar(v->dt))
            return 0;
        fl |= v && ir_dtype_is_float(v->dt);
    }
    if (alloc(g, d, o) < 0)
        return -1;
    for (int64_t e = 0; e < numel; e++, next(c, o->dim, o->rank)) {
        const Value *v0 = input(g, n, 0);
        int64_t ri, ai = fl ? 0 : get_i(v0, bidx(v0, c, o->rank));
        double rf, af = fl ? get_f(v0, bidx(v0, c, o->rank)) : 0;
        float fv, fr; /* float32 in and out: the CPU kernel's float formula (scalar.h) */
        if (f32) {
            memcpy(&fv, (const unsigned char *)v0->data + (size_t)e * sizeof fv, sizeof fv);
            if (x->op == OP_CLIP) {
                fr = ir_clip_f(fv, clip_bound(g, n, 1, -INFINITY), clip_bound(g, n, 2, INFINITY));
                memcpy(at(o, e), &fr, sizeof fr);
                continue;
            }
            if (ir_unary_f32(x->op, &x->attr->act, fv, &fr)) {
                memcpy(at(o, e), &fr, sizeof fr);
                continue;
            }
        }
        if (x->op == OP_CLIP) { /* min(max(x, lo), hi) with optional bounds */
            for (int i = 1; i < 3; i++) {
                const Value *b = input(g, n, i);
                if (!b || ir_numel(b) == 0)
                    continue;
                int64_t bi = fl ? 0 : get_i(b, 0);
                double bf = fl ? get_f(b, 0) : 0;
                if (i == 1 ? (fl ? af < bf : ai < bi) : (fl ? af > bf : ai > bi)) {
                    af = bf;
                    ai = bi;
                }
            }
            ri = ai;
            rf = af;
        } else if (unary) {
            if (fl || !ir_unary_i(x->op, uns, ai, &ri)) {
                int known = ir_unary_d(x->op, x->attr, fl ? af : (double)ai, &rf);
                IR_ASSERT(known && "unary op without a fold rule");
                put_f(o, e, rf);
                continue;
            }
            rf = 0;
        } else {
            ri = ai;
            rf = af;
            for (int i = 1; i < x->nin; i++) {
                const Value *b = input(g, n, i);
                int64_t k = bidx(b, c, o->rank);
                if (fl)
                    rf = binary_f(x->op, x->attr, rf, get_f(b, k));
                else if (binary_i(x->op, x->attr, ri, get_i(b, k), &ri) < 0)
                    return diag_node(d, g, n, "integer division by zero in a constant");
            }
            if (x->op == OP_MEAN) {
                rf /= x->nin;
                ri /= x->nin;
            }
        }
        if (fl)
            put_f(o, e, rf);
        else
            put_i(o, e, ri);
    }
    return 1;
}

/* Where: copies the element of X or Y (whole elements, any dtype). */
static int
fold_where(Graph *g, NodeId n, Diag *d)
{
    Value *o = output(g, n, 0);
    const Value *cd = input(g, n, 0), *a = input(g, n, 1), *b = input(g, n, 2);
    size_t esz = ir_dtype_size(o->dt);
    int64_t c[IR_MAXRANK] = {0}, numel = ir_numel(o);
    if (alloc(g, d, o) < 0)
        return -1;
    for (int64_t e = 0; e < numel; e++, next(c, o->dim, o->rank)) {
        const Value *s = get_i(cd, bidx(cd, c, o->rank)) ? a : b;
        memcpy(at(o, e), (const unsigned char *)s->data + (size_t)bidx(s, c, o->rank) * esz, esz);
    }
    return 1;
}

/* ---- conversion and creation ----------------------------------------------------------------- */

/* Cast and CastLike: through int64 from integer and bool sources, through double from floats. */
static int
fold_cast(Graph *g, NodeId n, Diag *d)
{
    Value *o = output(g, n, 0);
    const Value *v = input(g, n, 0);
    int64_t numel = ir_numel(o);
    if (!scalar(v->dt) || !scalar(o->dt))
        return 0;
    if (alloc(g, d, o) < 0)
        return -1;
    for (int64_t e = 0; e < numel; e++) {
        if (ir_dtype_is_float(v->dt))
            put_f(o, e, get_f(v, e));
        else
            put_i(o, e, get_i(v, e));
    }
    return 1;
}

/*
 * QuantizeLinear and DequantizeLinear of constants, element by element with the kernels' formulas
 * (ir/scalar.h): int8 weights stored with their DequantizeLinear become float32 weights. Scales
 * are per tensor or per axis (shape inference checked which); forms the kernels do not take
 * (scales other than float32, other dtypes) are left to them, which refuse them.
 */
static int
fold_quant(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Value *o = output(g, n, 0);
    const Value *v = input(g, n, 0), *s = input(g, n, 1), *z = input(g, n, 2);
    int deq = x->op == OP_DEQUANTIZELINEAR, ax = 0;
    int64_t numel = ir_numel(o), ch = ir_numel(s), inner = numel;
    float lo = 0.0f, hi = 0.0f;
    switch (deq ? DT_UNDEF : o->dt) {
    case DT_U8: hi = 255.0f; break;
    case DT_I8: lo = -128.0f, hi = 127.0f; break;
    case DT_U16: hi = 65535.0f; break;
    case DT_I16: lo = -32768.0f, hi = 32767.0f; break;
    default: break;
    }
    int ok = deq ? o->dt == DT_F32 && ir_dtype_is_int(v->dt) && ir_dtype_size(v->dt) <= 4
                 : v->dt == DT_F32 && hi > 0.0f;
    if (!ok || s->dt != DT_F32)
        return 0;
    if (ch != 1) {
        int64_t a = x->attr->axis.axis;
        ax = (int)(a < 0 ? a + v->rank : a);
        if (ax < 0 || ax >= v->rank || v->dim[ax] != ch)
            return 0;
        inner = 1;
        for (int i = ax + 1; i < v->rank; i++)
            inner *= v->dim[i];
    }
    if (alloc(g, d, o) < 0)
        return -1;
    for (int64_t e = 0; e < numel; e++) {
        int64_t c = ch == 1 || inner == 0 ? 0 : e / inner % ch, zp = z ? get_i(z, c) : 0;
        float sc = (float)get_f(s, c);
        if (deq)
            put_f(o, e, ir_dequantize_f(get_i(v, e), zp, sc));
        else
            put_i(o, e, (int64_t)ir_quantize_f((float)get_f(v, e), sc, (float)zp, lo, hi));
    }
    return 1;
}

/* ConstantOfShape: the fill value is exact for integer dtypes (ConstAttr.i), else ConstAttr.f. */
static int
fold_constshape(Graph *g, NodeId n, Diag *d)
{
    Value *o = output(g, n, 0);
    const ConstAttr *c = &g->node[n].attr->cst;
    int64_t numel = ir_numel(o);
    if (!scalar(o->dt))
        return 0;
    if (alloc(g, d, o) < 0)
        return -1;
    if (numel == 0)
        return 1;
    if (ir_dtype_is_int(o->dt))
        put_i(o, 0, c->i);
    else
        put_f(o, 0, c->f);
    /* replicate the first element by doubling copies: large weights fill at memcpy speed */
    size_t esz = ir_dtype_size(o->dt), have = esz, total = (size_t)numel * esz;
    unsigned char *p = o->data;
    while (have < total) {
        size_t k = have < total - have ? have : total - have;
        memcpy(p + have, p, k);
        have += k;
    }
    return 1;
}

/* Range: the length is already the output's dim (ir_infer_node checked delta != 0). */
static int
fold_range(Graph *g, NodeId n, Diag *d)
{
    Value *o = output(g, n, 0);
    const Value *st = input(g, n, 0), *de = input(g, n, 2);
    int64_t numel = ir_numel(o);
    if (!scalar(o->dt))
        return 0;
    if (alloc(g, d, o) < 0)
        return -1;
    for (int64_t e = 0; e < numel; e++) { /* start + i * delta, as the ONNX spec writes it */
        if (ir_dtype_is_float(o->dt))
            put_f(o, e, get_f(st, 0) + (double)e * get_f(de, 0));
        else
            put_i(o, e, wrap((uint64_t)get_i(st, 0) + (uint64_t)e * (uint64_t)get_i(de, 0)));
    }
    return 1;
}

/* NonZero: the coordinates of each nonzero element in row-major order, one column per element
 * (the output's dims were counted by ir_sh_nonzero). */
static int
fold_nonzero(Graph *g, NodeId n, Diag *d)
{
    Value *o = output(g, n, 0);
    const Value *x = input(g, n, 0);
    int64_t numel = ir_numel(x), cnt = o->dim[1], j = 0, c[IR_MAXRANK] = {0};
    if (!scalar(x->dt))
        return 0;
    if (alloc(g, d, o) < 0)
        return -1;
    for (int64_t i = 0; i < numel; i++, next(c, x->dim, x->rank)) {
        if (ir_const_f(x, i) == 0)
            continue;
        IR_ASSERT(j < cnt);
        for (int k = 0; k < x->rank; k++)
            put_i(o, k * cnt + j, c[k]);
        j++;
    }
    IR_ASSERT(j == cnt);
    return 1;
}

/* Shape and Size read only the input's shape. Left unfolded if a dim they need is dynamic. */
static int
fold_shape(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Value *o = output(g, n, 0);
    const Value *v = input(g, n, 0);
    int64_t start = 0, end = v->rank;
    if (x->op == OP_SHAPE)
        shape_range(v->rank, &x->attr->shape, &start, &end);
    for (int64_t i = start; i < end; i++)
        if (v->dim[i] < 0)
            return 0;
    if (alloc(g, d, o) < 0)
        return -1;
    if (x->op == OP_SIZE)
        put_i(o, 0, ir_numel(v));
    for (int64_t i = start; x->op == OP_SHAPE && i < end; i++)
        put_i(o, i - start, v->dim[i]);
    return 1;
}

/* ---- data movement --------------------------------------------------------------------------- */

/* Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze: the same elements in the same order. */
static int
fold_copy(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Value *o = output(g, n, 0), *mask = output(g, n, 1);
    const Value *v = input(g, n, 0), *train = input(g, n, 2);
    if (x->op == OP_DROPOUT && train && ir_numel(train) == 1 && get_i(train, 0))
        return 0; /* training mode: random, not a constant */
    if (alloc(g, d, o) < 0)
        return -1;
    copy(o->data, v->data, ir_numel(o), ir_dtype_size(o->dt));
    if (x->op == OP_DROPOUT && mask) { /* inference: nothing is dropped */
        if (alloc(g, d, mask) < 0)
            return -1;
        for (int64_t e = 0; e < ir_numel(mask); e++)
            put_i(mask, e, 1);
    }
    return 1;
}

/* Concat: for each index over the dims before the axis, each input's contiguous block in turn. */
static int
fold_concat(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Value *o = output(g, n, 0);
    size_t esz = ir_dtype_size(o->dt);
    int64_t ax = x->attr->axis.axis < 0 ? x->attr->axis.axis + o->rank : x->attr->axis.axis;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < o->rank; i++) {
        if (i < ax)
            outer *= o->dim[i];
        else if (i > ax)
            inner *= o->dim[i];
    }
    if (alloc(g, d, o) < 0)
        return -1;
    unsigned char *p = o->data;
    for (int64_t k = 0; k < outer; k++) {
        for (int i = 0; i < x->nin; i++) {
            const Value *v = input(g, n, i);
            int64_t chunk = v->dim[ax] * inner;
            if (chunk > 0) {
                copy(p, (const unsigned char *)v->data + (size_t)(k * chunk) * esz, chunk, esz);
                p += (size_t)chunk * esz;
            }
        }
    }
    return 1;
}

/* Gather: blocks of `inner` elements picked by each index along the axis. */
static int
fold_gather(Graph *g, NodeId n, Diag *d)
{
    Value *o = output(g, n, 0);
    const Value *v = input(g, n, 0), *ix = input(g, n, 1);
    size_t esz = ir_dtype_size(o->dt);
    int64_t ax = g->node[n].attr->axis.axis, outer = 1, inner = 1, q = ir_numel(ix);
    ax = ax < 0 ? ax + v->rank : ax;
    int64_t dim = v->dim[ax];
    for (int i = 0; i < v->rank; i++) {
        if (i < ax)
            outer *= v->dim[i];
        else if (i > ax)
            inner *= v->dim[i];
    }
    if (alloc(g, d, o) < 0)
        return -1;
    for (int64_t k = 0; k < outer; k++) {
        for (int64_t j = 0; j < q; j++) {
            int64_t idx = get_i(ix, j);
            idx = idx < 0 ? idx + dim : idx;
            if (idx < 0 || idx >= dim)
                return diag_node(d, g, n,
                                 "index %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
                                 get_i(ix, j), -dim, dim - 1);
            copy(at(o, (k * q + j) * inner),
                 (const unsigned char *)v->data + (size_t)((k * dim + idx) * inner) * esz, inner,
                 esz);
        }
    }
    return 1;
}

/* Split: output i takes its dim's worth of the axis, after the outputs before it. */
static int
fold_split(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    const Value *v = input(g, n, 0);
    size_t esz = ir_dtype_size(v->dt);
    int64_t ax = x->attr->split.axis < 0 ? x->attr->split.axis + v->rank : x->attr->split.axis;
    int64_t outer = 1, inner = 1, off = 0, dim = v->dim[ax];
    for (int i = 0; i < v->rank; i++) {
        if (i < ax)
            outer *= v->dim[i];
        else if (i > ax)
            inner *= v->dim[i];
    }
    for (int i = 0; i < x->nout; i++)
        if (!output(g, n, i))
            return 0; /* an omitted output: its size is unknown here */
    for (int i = 0; i < x->nout; i++) {
        Value *o = output(g, n, i);
        int64_t len = o->dim[ax];
        if (alloc(g, d, o) < 0)
            return -1;
        for (int64_t k = 0; k < outer; k++)
            copy(at(o, k * len * inner),
                 (const unsigned char *)v->data + (size_t)((k * dim + off) * inner) * esz,
                 len * inner, esz);
        off += len;
    }
    return 1;
}

/* Element strides of v, row-major. */
static void
strides(const Value *v, int64_t *st)
{
    int64_t s = 1;
    for (int i = v->rank - 1; i >= 0; i--) {
        st[i] = s;
        s *= v->dim[i];
    }
}

/* Slice, Transpose and Expand: each output coordinate maps to one input element. */
static int
fold_gather_map(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Value *o = output(g, n, 0);
    const Value *v = input(g, n, 0);
    size_t esz = ir_dtype_size(o->dt);
    int64_t st[IR_MAXRANK], start[IR_MAXRANK], step[IR_MAXRANK], len[IR_MAXRANK];
    int64_t c[IR_MAXRANK] = {0}, numel = ir_numel(o), perm[IR_MAXRANK];
    strides(v, st);
    int k = x->op == OP_SLICE ? ir_slice_plan(g, n, d, start, step, len) : 1;
    if (k <= 0)
        return k;
    for (int i = 0; x->op == OP_TRANSPOSE && i < v->rank; i++) {
        const Ints *p = &x->attr->perm.perm;
        perm[i] = p->n ? p->v[i] : v->rank - 1 - i;
    }
    if (alloc(g, d, o) < 0)
        return -1;
    for (int64_t e = 0; e < numel; e++, next(c, o->dim, o->rank)) {
        int64_t src = x->op == OP_EXPAND ? bidx(v, c, o->rank) : 0;
        for (int i = 0; x->op == OP_SLICE && i < o->rank; i++)
            src += (start[i] + c[i] * step[i]) * st[i];
        for (int i = 0; x->op == OP_TRANSPOSE && i < o->rank; i++)
            src += c[i] * st[perm[i]];
        memcpy(at(o, e), (const unsigned char *)v->data + (size_t)src * esz, esz);
    }
    return 1;
}

/* ReduceMax/Mean/Min/Prod/Sum: exact in int64 for integer inputs, in double for floats. */
static int
fold_reduce(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    Value *o = output(g, n, 0);
    const Value *v = input(g, n, 0);
    int red[IR_MAXRANK], fl = ir_dtype_is_float(v->dt);
    int64_t ost[IR_MAXRANK], c[IR_MAXRANK] = {0}, m = ir_numel(o), numel = ir_numel(v), s = 1;
    int k = scalar(v->dt) ? ir_reduce_plan(g, n, d, red) : 0;
    if (k <= 0)
        return k;
    for (int i = v->rank - 1; i >= 0; i--) { /* output strides over the kept axes */
        ost[i] = red[i] ? 0 : s;
        s *= red[i] ? 1 : v->dim[i];
    }
    if (alloc(g, d, o) < 0)
        return -1;
    double *af = ir_alloc((size_t)m * sizeof *af + 1); /* accumulators, one per output */
    int64_t *ai = ir_alloc((size_t)m * sizeof *ai + 1);
    if (!af || !ai) {
        ir_free(af);
        ir_free(ai);
        return diag_oom(d);
    }
    for (int64_t j = 0; j < m; j++) {
        switch (x->op) {
        case OP_REDUCEMAX:
            af[j] = -INFINITY;
            ai[j] = INT64_MIN;
            break;
        case OP_REDUCEMIN:
            af[j] = INFINITY;
            ai[j] = INT64_MAX;
            break;
        case OP_REDUCEPROD:
            af[j] = 1;
            ai[j] = 1;
            break;
        default:
            af[j] = 0;
            ai[j] = 0;
            break;
        }
    }
    OpKind op = x->op == OP_REDUCEMAX    ? OP_MAX
                : x->op == OP_REDUCEMIN  ? OP_MIN
                : x->op == OP_REDUCEPROD ? OP_MUL
                                         : OP_ADD;
    for (int64_t e = 0; e < numel; e++, next(c, v->dim, v->rank)) {
        int64_t j = 0;
        for (int i = 0; i < v->rank; i++)
            j += c[i] * ost[i];
        if (fl)
            af[j] = binary_f(op, x->attr, af[j], get_f(v, e));
        else
            binary_i(op, x->attr, ai[j], get_i(v, e), &ai[j]);
    }
    for (int64_t j = 0; j < m; j++) {
        int64_t cnt = m ? numel / m : 0;
        if (x->op == OP_REDUCEMEAN) {
            af[j] = cnt ? af[j] / (double)cnt : NAN;
            ai[j] = cnt ? ai[j] / cnt : 0;
        }
        if (fl)
            put_f(o, j, af[j]);
        else
            put_i(o, j, ai[j]);
    }
    ir_free(af);
    ir_free(ai);
    return 1;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

/* Dispatches on the op; outputs that a handler computed become V_CONST (not V_PARAM). Nodes that
 * are not F_FOLD, outputs of unknown shape or above IR_FOLD_MAX, and strings are left alone. */
int
ir_fold_node(Graph *g, NodeId n, Diag *d)
{
    const Node *x = &g->node[n];
    int rc;
    size_t bytes = 0;
    if (!(ir_op[x->op].flags & F_FOLD))
        return 0;
    for (int i = 0; i < x->nout; i++) {
        const Value *o = output(g, n, i);
        if (o && (!ir_shape_known(o) || ir_numel(o) > IR_FOLD_MAX))
            return 0;
        if (o && (o->dt == DT_STRING || ir_dtype_size(o->dt) == 0))
            return 0; /* strings are not supported: the node stays */
        bytes += o ? ir_nbytes(o) : 0;
    }
    if (bytes > IR_FOLD_BUDGET - g->folded)
        return 0;   /* the graph has folded enough: the node stays, computed at run time */
    switch (x->op) {
    case OP_SHAPE:
    case OP_SIZE: rc = fold_shape(g, n, d); break;
    case OP_IDENTITY:
    case OP_DROPOUT:
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_SQUEEZE:
    case OP_UNSQUEEZE: rc = fold_copy(g, n, d); break;
    case OP_CAST:
    case OP_CASTLIKE: rc = fold_cast(g, n, d); break;
    case OP_CONCAT: rc = fold_concat(g, n, d); break;
    case OP_QUANTIZELINEAR:
    case OP_DEQUANTIZELINEAR: rc = fold_quant(g, n, d); break;
    case OP_CONSTANTOFSHAPE: rc = fold_constshape(g, n, d); break;
    case OP_GATHER: rc = fold_gather(g, n, d); break;
    case OP_NONZERO: rc = fold_nonzero(g, n, d); break;
    case OP_RANGE: rc = fold_range(g, n, d); break;
    case OP_SPLIT: rc = fold_split(g, n, d); break;
    case OP_SLICE:
    case OP_TRANSPOSE:
    case OP_EXPAND: rc = fold_gather_map(g, n, d); break;
    case OP_WHERE: rc = fold_where(g, n, d); break;
    case OP_REDUCEMAX:
    case OP_REDUCEMEAN:
    case OP_REDUCEMIN:
    case OP_REDUCEPROD:
    case OP_REDUCESUM: rc = fold_reduce(g, n, d); break;
    default:
        if (!(ir_op[x->op].flags & F_ELTWISE))
            return 0;
        rc = fold_elt(g, n, d);
        break;
    }
    if (rc < 0)
        return -1;
    for (int i = 0; rc > 0 && i < x->nout; i++) { /* rc 0: left alone, the node stays */
        Value *o = output(g, n, i);
        if (o)
            o->flags |= V_CONST;
    }
    if (rc > 0)
        g->folded += bytes;
    return 0;
}
