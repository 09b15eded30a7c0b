/*
 * shape_impl.h: helpers private to ir/ that shape inference (shape.c), constant folding (fold.c)
 * and counting (count.c) share, so that a rule such as Slice's clamping is written once.
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
