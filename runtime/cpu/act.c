/*
 * act.c: the fused activations of Conv, ConvTranspose and Gemm (act_impl.h). Each kind is one
 * branch-free loop that the compiler vectorises. Sigmoid and SiLU use vm_exp (vmath.h), a
 * polynomial exp that vectorises where libm's expf does not. A scalar affine step after the
 * activation (Fused.affine) follows in a pass of its own.
 */
#include "act_impl.h"
#include "vmath.h"

static inline float
fmaxs(float a, float b)
{
    return a > b ? a : b;
}

static inline float
fmins(float a, float b)
{
    return a < b ? a : b;
}

void
cpu_act_apply(const Fused *f, float *restrict y, int64_t n, float bias)
{
    ActKind k = f ? f->act : ACT_NONE;
    float al = f ? f->alpha : 0.0f, be = f ? f->beta : 0.0f;
    switch (k) {
    case ACT_NONE:
        if (bias != 0.0f)
            for (int64_t i = 0; i < n; i++)
                y[i] += bias;
        return; /* no affine part without an activation */
    case ACT_RELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = fmaxs(y[i] + bias, 0.0f);
        break;
    case ACT_CLIP:
        for (int64_t i = 0; i < n; i++)
            y[i] = fmins(fmaxs(y[i] + bias, al), be);
        break;
    case ACT_LEAKYRELU:
        for (int64_t i = 0; i < n; i++) {
            float v = y[i] + bias;
            y[i] = v < 0.0f ? al * v : v;
        }
        break;
    case ACT_HARDSIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = fmaxs(0.0f, fmins(1.0f, al * (y[i] + bias) + be));
        break;
    case ACT_HARDSWISH:
        for (int64_t i = 0; i < n; i++) {
            float v = y[i] + bias;
            y[i] = v * fmaxs(0.0f, fmins(1.0f, v * (1.0f / 6) + 0.5f));
        }
        break;
    case ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = 1.0f / (1.0f + vm_exp(-(y[i] + bias)));
        break;
    case ACT_SILU:
        for (int64_t i = 0; i < n; i++) {
            float v = y[i] + bias;
            y[i] = v / (1.0f + vm_exp(-v));
        }
        break;
    }
    if (f->affine) {
        float mu = f->mul, ad = f->add;
        for (int64_t i = 0; i < n; i++)
            y[i] = y[i] * mu + ad;
    }
}
