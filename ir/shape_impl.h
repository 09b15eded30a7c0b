/*
 * shape_impl.h: helpers private to ir/ that shape inference (shape.c, shape_data.c), constant
 * folding (fold.c) and counting (count.c) share, so that a rule such as Slice's clamping is written
 * once. The ir_sh_* section is shape inference's own: the checks its classes share (defined in
 * shape.c) and the data-movement classes that shape.c's dispatch table reaches in shape_data.c.
 * Not part of the public interface: nothing outside ir/ includes it.
 */
#pragma once

#include "ir.h"

/* Checked int64 arithmetic: 1 on overflow (and *r untouched), else 0 with *r set. */
static inline int
add_ov(int64_t a, int64_t b, int64_t *r)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return 1;
    *r = a + b;
    return 0;
}

static inline int
mul_ov(int64_t a, int64_t b, int64_t *r)
{
    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
              : (b > 0 ? a < INT64_MIN / b : (a != 0 && b < INT64_MAX / a)))
        return 1;
    *r = a * b;
    return 0;
}

static inline int
sub_ov(int64_t a, int64_t b, int64_t *r)
{
    if ((b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b))
        return 1;
    *r = a - b;
    return 0;
}

/* Shape's start and end (opset 15) for an input of rank r: a negative value counts from the end,
 * both are clamped to [0, r], and end >= start, so the output has end - start elements. */
static inline void
shape_range(int r, const ShapeAttr *a, int64_t *start, int64_t *end)
{
    int64_t s = a->start, e = a->has_end ? a->end : r;
    s = s < 0 ? s + r : s;
    e = e < 0 ? e + r : e;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < s ? s : e > r ? r : e;
    *start = s;
    *end = e;
}

/*
 * Slice of node n (inputs data, starts, ends, [axes], [steps]) per axis of the data: the first
 * element, the step and the output length after ONNX's clamping rules; axes that are not sliced
 * get 0, 1 and the input dim. A dynamic input dim gives len -1 on a sliced axis.
 * Returns 1 when computed, 0 when the data rank is unknown or starts/ends/axes/steps are not
 * constants (the output shape is then unknown), -1 with a diagnostic for bad input.
 */
int ir_slice_plan(Graph *g, NodeId n, Diag *d, int64_t start[IR_MAXRANK], int64_t step[IR_MAXRANK],
                  int64_t len[IR_MAXRANK]);

/*
 * Axes reduced by the Reduce* node n (optional axes input 1, noop_with_empty_axes): red[i] = 1 for
 * each reduced axis of the input. All zeros means the node is an identity. Same return
 * convention as ir_slice_plan.
 */
int ir_reduce_plan(Graph *g, NodeId n, Diag *d, int red[IR_MAXRANK]);

/* ---- shape inference (shape.c, shape_data.c) ------------------------------------------------- */

typedef struct Shape {
    int rank;                /* -1: unknown */
    int64_t dim[IR_MAXRANK]; /* -1: dynamic */
} Shape;

typedef struct Str { /* a message fragment returned by value, so calls nest in one diag_node */
    char s[256];
} Str;

/* Input i of node n, or NULL when it is omitted (or beyond the node's inputs). */
static inline Value *
ir_sh_input(Graph *g, NodeId n, int i)
{
    const Node *x = &g->node[n];
    return i < x->nin && x->in[i] != NONE ? &g->val[x->in[i]] : NULL;
}

static inline Shape
ir_sh_shape_of(const Value *v)
{
    Shape s = {.rank = v->rank};
    for (int i = 0; i < v->rank; i++)
        s.dim[i] = v->dim[i];
    return s;
}

/* A shape of the given rank whose dims are all dynamic (the rank is known, the values are not). */
static inline Shape
ir_sh_dynamic(int rank)
{
    Shape s = {.rank = rank};
    for (int i = 0; i < rank; i++)
        s.dim[i] = -1;
    return s;
}

/* `"name" f32[2,?,4]` for messages (a dynamic dim prints as ?) */
Str ir_sh_desc(const Value *v);

/* Output i gets dtype dt and shape s (NULL: unknown rank); an omitted output is skipped. */
void ir_sh_set_out(Graph *g, NodeId n, int i, DType dt, const Shape *s);

/* Every output of unknown rank with dtype dt; 0, for `return ir_sh_unknown(...)`. */
int ir_sh_unknown(Graph *g, NodeId n, DType dt);

/* Reports that an output dim overflows int64; -1. */
int ir_sh_overflow(Graph *g, NodeId n, Diag *d);

/* Input i (if present) must have dtype dt; undefined dtypes (from unknown ops) pass. */
int ir_sh_want_dtype(Graph *g, NodeId n, Diag *d, int i, DType dt);

/* Input i (if present) must be an int32 or int64 tensor (indices, axes, shapes). */
int ir_sh_want_index(Graph *g, NodeId n, Diag *d, int i);

/* Input i, of known rank, must have a rank in [lo, hi]. */
int ir_sh_want_rank(Graph *g, NodeId n, Diag *d, int i, int lo, int hi);

/* Normalises an axis in [-r, r-1] into *out. */
int ir_sh_axis_in(Graph *g, NodeId n, Diag *d, int64_t axis, int r, int *out);

/*
 * Reads the integer constant input i (rank 0 or 1, at most max elements) into v[0..*cnt).
 * 1: read; 0: the input is not a constant, so the shape that depends on it is unknown;
 * -1: bad input (wrong dtype, rank or length).
 */
int ir_sh_const_ints(Graph *g, NodeId n, Diag *d, int i, int64_t *v, int max, int *cnt);

/* Product of dims[lo..hi) into *out: -1 if one is dynamic; -1 return on overflow. */
int ir_sh_product(Graph *g, NodeId n, Diag *d, const int64_t *dims, int lo, int hi, int64_t *out);

/* Multidirectional (numpy) broadcast of two shapes into *r; -1 if incompatible. */
int ir_sh_bcast2(const int64_t *a, int ra, const int64_t *b, int rb, Shape *r);

/* Input i, if present and of known rank, must be a 1-D tensor of c elements (per channel). */
int ir_sh_per_channel(Graph *g, NodeId n, Diag *d, int i, int64_t c);

/* The windowed shape classes (shape_conv.c): Conv, ConvTranspose, pools, global pools. */
int ir_sh_conv(Graph *g, NodeId n, Diag *d);
int ir_sh_convt(Graph *g, NodeId n, Diag *d);
int ir_sh_pool(Graph *g, NodeId n, Diag *d);
int ir_sh_gpool(Graph *g, NodeId n, Diag *d);

/* Quantisation (shape_quant.c): the SH_QUANT class, and what ConvInteger and MatMulInteger check
 * beyond Conv and MatMul (dtypes, zero points, the int32 sum's length). */
int ir_sh_quant(Graph *g, NodeId n, Diag *d);
int ir_sh_integer(Graph *g, NodeId n, Diag *d);
/* QLinearConv and QLinearMatMul beyond Conv and MatMul: 8-bit operands, scales and zero points
 * per tensor (B's per column), an int32 bias; *out: the output's dtype (its zero point's). */
int ir_sh_qlinear(Graph *g, NodeId n, Diag *d, DType *out);

/* The data-movement shape classes (shape_data.c), one per SH_ class of ops.def: each sets node n's
 * outputs, or returns -1 with a diagnostic. */
int ir_sh_concat(Graph *g, NodeId n, Diag *d);
int ir_sh_constshape(Graph *g, NodeId n, Diag *d);
int ir_sh_d2s(Graph *g, NodeId n, Diag *d);
int ir_sh_s2d(Graph *g, NodeId n, Diag *d);
int ir_sh_dropout(Graph *g, NodeId n, Diag *d);
int ir_sh_expand(Graph *g, NodeId n, Diag *d);
int ir_sh_flatten(Graph *g, NodeId n, Diag *d);
int ir_sh_gather(Graph *g, NodeId n, Diag *d);
int ir_sh_gatherelt(Graph *g, NodeId n, Diag *d);
int ir_sh_gathernd(Graph *g, NodeId n, Diag *d);
int ir_sh_nonzero(Graph *g, NodeId n, Diag *d);
int ir_sh_pad(Graph *g, NodeId n, Diag *d);
int ir_sh_range(Graph *g, NodeId n, Diag *d);
int ir_sh_reshape(Graph *g, NodeId n, Diag *d);
int ir_sh_resize(Graph *g, NodeId n, Diag *d);
int ir_sh_scatter(Graph *g, NodeId n, Diag *d);
int ir_sh_shape(Graph *g, NodeId n, Diag *d);
int ir_sh_size(Graph *g, NodeId n, Diag *d);
int ir_sh_slice(Graph *g, NodeId n, Diag *d);
int ir_sh_split(Graph *g, NodeId n, Diag *d);
int ir_sh_squeeze(Graph *g, NodeId n, Diag *d);
int ir_sh_tile(Graph *g, NodeId n, Diag *d);
int ir_sh_topk(Graph *g, NodeId n, Diag *d);
int ir_sh_transpose(Graph *g, NodeId n, Diag *d);
int ir_sh_unsqueeze(Graph *g, NodeId n, Diag *d);
