/*
 * cast.c: Cast and CastLike between every numeric dtype and bool, f16 and bf16 included.
 *
 * The same dtype is a copy; f32 <-> f16 has its own loop (mixed-precision models cast whole
 * activations); every other pair converts per element through elt_impl.h: integers and bool
 * through int64, floats through double (into integers truncated toward zero, saturating).
 * CastAttr.saturate matters only for float8, which hetc does not have.
 */
#include "elt_impl.h"

typedef struct Conv {
    const RtTensor *x;
    RtTensor *y;
} Conv;

/* From integers and bool through int64 (exact, wrapping to the width); from floats through
 * double (truncating toward zero, saturating, into integers). U64 into a float goes through
 * double so it stays unsigned. */
static void
cast_range(void *arg, int64_t b, int64_t e)
{
    const Conv *c = arg;
    DType s = c->x->dt, d = c->y->dt;
    if (s == DT_F32 && d == DT_F16) {
        for (int64_t i = b; i < e; i++)
            ((uint16_t *)c->y->data)[i] = f32_to_f16(((const float *)c->x->data)[i]);
    } else if (s == DT_F16 && d == DT_F32) {
        for (int64_t i = b; i < e; i++)
            ((float *)c->y->data)[i] = f16_to_f32(((const uint16_t *)c->x->data)[i]);
    } else if (is_float(s) || (s == DT_U64 && is_float(d))) {
        for (int64_t i = b; i < e; i++)
            store_f(c->y, i, load_f(c->x, i));
    } else {
        for (int64_t i = b; i < e; i++)
            store_i(c->y, i, load_i(c->x, i));
    }
}

/* The output's dtype is the target: Cast's "to", or CastLike's second input's dtype. */
static int
cast(RtCtx *ctx, const char *name, const RtTensor *x, RtTensor *y)
{
    Conv c = {x, y};
    int64_t n = rt_numel(y);
    if (!numeric(x->dt) || !numeric(y->dt))
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: dtype %d to %d", name, x->dt, y->dt);
    if (rt_numel(x) != n)
        return rt_fail(ctx, RT_EINPUT, "%s: %lld elements in, %lld out", name,
                       (long long)rt_numel(x), (long long)n);
    if (x->dt == y->dt) {
        if (n > 0)
            memcpy(y->data, x->data, (size_t)n * rt_dtype_size(x->dt));
        return RT_OK;
    }
    par(ctx, n, 0, cast_range, &c);
    return RT_OK;
}

int
cpu_cast(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)nin;
    (void)nout;
    if (a && a->cast.to != out[0]->dt)
        return rt_fail(ctx, RT_EINPUT, "cast: to=%d but the output has dtype %d", a->cast.to,
                       out[0]->dt);
    return cast(ctx, "cast", in[0], out[0]);
}

int
cpu_castlike(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
             int nout)
{
    (void)a;
    (void)nin;
    (void)nout;
    if (in[1]->dt != out[0]->dt)
        return rt_fail(ctx, RT_EINPUT, "castlike: target dtype %d but the output has %d",
                       in[1]->dt, out[0]->dt);
    return cast(ctx, "castlike", in[0], out[0]);
}
