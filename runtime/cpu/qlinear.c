/*
 * qlinear.c: QLinearConv and QLinearMatMul, int8 in and int8 out. The integer products are
 * ConvInteger's and MatMulInteger's kernels (quant.c, the same build of the kernels), run into an
 * int32 table in scratch; then each sum gets its column's int32 bias and is requantised:
 *
 *     y = saturate(round_half_even((acc + bias[c]) * m[c]) + zy),  m[c] = sx * sw[c] / sy
 *
 * with m computed in float in that order and the sum converted to float first, as ONNX Runtime
 * does (MlasRequantizeOutput), so that both give the same integers. The saturation bounds are the
 * output dtype's, narrowed by an activation that passes/qdq.c fused in: on these ops a Fused of
 * kind ACT_CLIP holds bounds in the quantised domain (alpha and beta are whole numbers of the
 * output's dtype), which is how a Relu or Clip between the float Conv and its QuantizeLinear is
 * applied exactly. The column c is the output channel (dim 1) of a convolution and the last dim
 * of a product.
 */
#include "elt_impl.h"
#include "shape.h"

enum {
    /* the int32 sums; slots below are the integer kernels' (ConvInteger, MatMulInteger) */
    SLOT_ACC = 4,
    SLOT_MULT = 5, /* the multiplier of each column */
};

typedef struct Requant {
    const int32_t *acc; /* the integer sums, y's shape */
    void *y;
    const int32_t *bias; /* one per column, or NULL */
    const float *m;      /* the multiplier of each column */
    float zy, lo, hi;    /* lo, hi: the bounds less zy */
    int64_t ch, inner;   /* element i is in column (i / inner) % ch */
} Requant;

/* Rounds v, |v| < 2^22, half to even: adding 1.5 * 2^23 leaves no fraction bits in the sum. */
static inline float
round_even(float v)
{
    const float magic = 12582912.0f;
    return (v + magic) - magic;
}

/* Elements [begin, end) of y, in runs of one column each (a loop gcc vectorises) */
static void
requant_range(void *arg, int64_t begin, int64_t end)
{
    const Requant *r = arg;
    for (int64_t i = begin; i < end;) {
        int64_t c = i / r->inner % r->ch, stop = (i / r->inner + 1) * r->inner;
        stop = stop < end ? stop : end;
        float m = r->m[c], lo = r->lo, hi = r->hi, zy = r->zy;
        /* the int32 sum wraps as ONNX Runtime's does (a bias no real model has) */
        uint32_t b = r->bias ? (uint32_t)r->bias[c] : 0;
        const int32_t *acc = r->acc;
        uint8_t *y = r->y;      /* an int8 is stored as its two's complement byte */
        for (; i < stop; i++) {
            float v = (float)(int32_t)((uint32_t)acc[i] + b) * m;
            v = v > lo ? v : lo; /* NaN (from a hostile scale) to the low end */
            v = v < hi ? v : hi;
            y[i] = (uint8_t)(int32_t)(round_even(v) + zy);
        }
    }
}

/* One float32 value of scale tensor s: RT_OK, else RT_EUNSUPPORTED naming op. */
static int
scalar_scale(RtCtx *ctx, const char *op, const RtTensor *s, float *v)
{
    if (!s || s->dt != DT_F32 || rt_numel(s) != 1)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: one float32 scale for A and for Y only", op);
    *v = *(const float *)s->data;
    return RT_OK;
}

/*
 * The requantisation of y from the sums in acc, over ch columns of inner elements each: checks
 * the scales, zero points and bias against ch, then runs over the context's threads.
 */
static int
requantize(RtCtx *ctx, const char *op, const Fused *act, RtTensor *const *in, int nin,
           const int32_t *acc, RtTensor *y, int64_t ch, int64_t inner)
{
    const RtTensor *sw = in[4], *zy = in[7], *bias = nin > 8 ? in[8] : NULL;
    Requant r = {.acc = acc, .y = y->data, .ch = ch, .inner = inner};
    float sx = 0.0f, sy = 1.0f;
    int rc = scalar_scale(ctx, op, in[1], &sx);
    if (rc == RT_OK)
        rc = scalar_scale(ctx, op, in[6], &sy);
    if (rc != RT_OK)
        return rc;
    int64_t nw = rt_numel(sw);
    if (sw->dt != DT_F32 || (nw != 1 && nw != ch) || (zy && (zy->dt != y->dt || rt_numel(zy) != 1)))
        return rt_fail(ctx, RT_EUNSUPPORTED,
                       "%s: W's scale one float32 or one per column, Y's "
                       "zero point one of Y's dtype",
                       op);
    if (y->dt != DT_U8 && y->dt != DT_I8)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: an int8 or uint8 output only", op);
    if (bias && (bias->dt != DT_I32 || rt_numel(bias) != ch))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: an int32 bias, one per column", op);
    if (act->act != ACT_NONE && act->act != ACT_CLIP)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: no fused activation but a clamp", op);
    float *m = rt_scratch(ctx, SLOT_MULT, (size_t)ch * sizeof *m);
    if (!m)
        return rt_fail(ctx, RT_ENOMEM, "%s: no scratch memory for the multipliers", op);
    const float *sv = sw->data;
    for (int64_t c = 0; c < ch; c++)
        m[c] = sx * sv[nw > 1 ? c : 0] / sy;
    r.m = m;
    r.bias = bias ? bias->data : NULL;
    r.zy = zy ? (float)load_i(zy, 0) : 0.0f;
    int y8 = y->dt == DT_I8;
    float lo = y8 ? -128.0f : 0.0f, hi = y8 ? 127.0f : 255.0f;
    if (act->act == ACT_CLIP) {
        lo = act->alpha > lo ? act->alpha : lo;
        hi = act->beta < hi ? act->beta : hi;
    }
    r.lo = lo - r.zy;
    r.hi = hi - r.zy;
    par(ctx, rt_numel(y), 0, requant_range, &r);
    return RT_OK;
}

/*
 * The integer products of kernel (cpu_convinteger or cpu_matmulinteger) on QLinearConv's or
 * QLinearMatMul's operands (inputs 0 and 3, zero points 2 and 5) into int32 scratch shaped as
 * y, then their requantisation into y over ch columns of inner elements.
 */
static int
products_requantized(RtCtx *ctx, const char *op, RtKernel kernel, const Attr *attr,
                     const Fused *act, RtTensor *const *in, int nin, RtTensor *y, int64_t ch,
                     int64_t inner)
{
    if (rt_numel(y) == 0)
        return RT_OK;
    RtTensor acc = *y;
    acc.dt = DT_I32;
    acc.data = rt_scratch(ctx, SLOT_ACC, (size_t)rt_numel(y) * sizeof(int32_t));
    if (!acc.data)
        return rt_fail(ctx, RT_ENOMEM, "%s: no scratch memory for the int32 sums", op);
    RtTensor *const ops[4] = {in[0], in[3], in[2], in[5]};
    RtTensor *const sums[1] = {&acc};
    int rc = kernel(ctx, attr, ops, 4, sums, 1);
    if (rc != RT_OK)
        return rc;
    return requantize(ctx, op, act, in, nin, acc.data, y, ch, inner);
}

/*
 * QLinearConv: X [N, C, D...] (input 0, with scale 1 and zero point 2), W [M, C / group, k...]
 * (input 3, scale 4 and zero point 5, each one value or one per output channel), Y's scale 6 and
 * zero point 7, optional bias 8 (int32 [M], in units of sx * sw). Conv's attributes.
 */
int
cpu_qlinearconv(RtCtx *ctx, const Attr *attr, RtTensor *const *in, int nin, RtTensor *const *out,
                int nout)
{
    RtTensor *y = out[0];
    (void)nout;
    return products_requantized(ctx, "QLinearConv", cpu_convinteger, attr, &attr->conv.fuse, in,
                                nin, y, y->dim[1], rt_dims_prod(y->dim, 2, y->rank));
}

/*
 * QLinearMatMul: A (input 0, scale 1, zero point 2) times B (input 3, scale 4 and zero point 5,
 * each one value or one per column of a 2-D B) as MatMul, Y's scale 6 and zero point 7; input 8,
 * hetc's own, an int32 bias per column.
 */
int
cpu_qlinearmatmul(RtCtx *ctx, const Attr *attr, RtTensor *const *in, int nin, RtTensor *const *out,
                  int nout)
{
    static const Fused none = {.act = ACT_NONE};
    const RtTensor *b = in[3];
    (void)nout;
    return products_requantized(ctx, "QLinearMatMul", cpu_matmulinteger, attr, &none, in, nin,
                                out[0], b->rank >= 2 ? b->dim[b->rank - 1] : 1, 1);
}
