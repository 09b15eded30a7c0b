/*
 * act.c: the fused activations of Conv, ConvTranspose and Gemm (act_impl.h). Each kind is one
 * branch-free loop that the compiler vectorises, around the formula that the unfused op's kernel
 * and constant folding use (ir/scalar.h), so fusing an activation changes no bit of the result.
 * Sigmoid and SiLU use ir_exp_f, a polynomial exp that vectorises where libm's expf does not. A
 * scalar affine step after the activation (Fused.affine) follows in a pass of its own.
 */
#include "act_impl.h"
#include "ir/scalar.h"

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
            y[i] = ir_relu_f(y[i] + bias);
        break;
    case ACT_CLIP:
        for (int64_t i = 0; i < n; i++)
            y[i] = ir_clip_f(y[i] + bias, al, be);
        break;
    case ACT_LEAKYRELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = ir_leakyrelu_f(y[i] + bias, al);
        break;
    case ACT_HARDSIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = ir_hardsigmoid_f(y[i] + bias, al, be);
        break;
    case ACT_HARDSWISH:
        for (int64_t i = 0; i < n; i++)
            y[i] = ir_hardswish_f(y[i] + bias);
        break;
    case ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = ir_sigmoid_f(y[i] + bias);
        break;
    case ACT_SILU:
        for (int64_t i = 0; i < n; i++)
            y[i] = ir_silu_f(y[i] + bias);
        break;
    }
    if (f->affine) {
        float mu = f->mul, ad = f->add;
        for (int64_t i = 0; i < n; i++)
            y[i] = y[i] * mu + ad;
    }
}
