/*
 * scalar.h: the scalar formula of every unary elementwise op, written once for the compiler's
 * constant folding (ir/fold.c) and the CPU kernels (runtime/cpu/eltwise.c, and act.c for the
 * activations fused into Conv and Gemm), so that a folded value equals the computed one bit for
 * bit. Published to the runtime with attr.h and opkind.h; plain C with <math.h>.
 *
 * Two forms. float32 in and out runs in float, with the formulas the kernels vectorise: selects
 * rather than fmaxf/fminf, and polynomial exp, log and tanh without branches or calls (ir_exp_f,
 * ir_exp_full_f, ir_expm1_f, ir_log_f, ir_tanh_f), where libm's would keep a loop scalar (Exp,
 * Log, Tanh, Sigmoid, Erf, both Gelus, Softplus, Mish, Elu, Selu, Celu). Any other dtype runs in
 * double (ir_unary_d), rounded once on store; integers, where the op has an integer form,
 * exactly (ir_unary_i).
 *
 * Bit-for-bit equality holds because both sides call the same inline code compiled without
 * floating contraction (-std=c11 keeps gcc from fusing a * b + c into an FMA) and the same libm.
 */
#pragma once

#include "attr.h"
#include "opkind.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* t limited to [lo, hi] with selects, so that a loop around it vectorises; NaN stays NaN */
#define IR_CLAMP(t, lo, hi) ((t) < (lo) ? (lo) : (t) > (hi) ? (hi) : (t))

/* ---- float32 building blocks ----------------------------------------------------------------- */

/*
 * The core of e^x: x = n ln2 + r with |r| <= ln2 / 2 (n an integer, into *n), e^r from Cephes'
 * degree-6 polynomial, returned. For |x| below 2^22 / ln2; NaN gives NaN.
 */
static inline float
ir_exp_core_f(float x, float *n)
{
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float k = (x * 1.44269504f + shifter) - shifter;
    float r = x - k * 0.693359375f + k * 2.12194440e-4f; /* ln2 in two parts */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    *n = k;
    return p * r * r + r + 1.0f;
}

/*
 * e^x within 1.5 ulp (ir_exp_core_f). x is clamped to [-87.3, 88.7]: below, the result is
 * 2^-126 rather than a denormal or 0; above, FLT_MAX-sized rather than infinity (callers that
 * need an exact overflow test x themselves). NaN stays NaN.
 */
static inline float
ir_exp_f(float x)
{
    float n;
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.7f ? 88.7f : x;
    float p = ir_exp_core_f(x, &n), scale;
    uint32_t u = (uint32_t)((int32_t)n + 127) << 23; /* 2^n in the exponent bits */
    memcpy(&scale, &u, sizeof scale);
    return p * scale;
}

/*
 * e^x over the whole float range within 1 ulp: ir_exp_core_f, with 2^n applied as two factors
 * 2^(n/2) and 2^(n - n/2), each a normal float, so that a result past FLT_MAX is +inf and one
 * below FLT_MIN a correctly scaled denormal (0 below about 2^-150). x is clamped to [-104, 89],
 * where those limits are already reached. NaN stays NaN.
 */
static inline float
ir_exp_full_f(float x)
{
    float n;
    x = x < -104.0f ? -104.0f : x;
    x = x > 89.0f ? 89.0f : x;
    float p = ir_exp_core_f(x, &n);
    int32_t n1 = (int32_t)(n * 0.5f), n2 = (int32_t)n - n1; /* each in [-76, 65] */
    uint32_t u1 = (uint32_t)(n1 + 127) << 23, u2 = (uint32_t)(n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &u1, sizeof s1);
    memcpy(&s2, &u2, sizeof s2);
    return p * s1 * s2;
}

/* e^x - 1 within 3 ulp: below |x| = 1/2 the Taylor series to x^9 (its remainder under 2^-31 of
 * the result), which keeps small results and -0 exact where e^x - 1 would cancel; above,
 * ir_exp_full_f(x) - 1 (inf at the top, -1 at the bottom). NaN stays NaN. */
static inline float
ir_expm1_f(float x)
{
    float p = 1.0f / 362880;
    p = p * x + 1.0f / 40320;
    p = p * x + 1.0f / 5040;
    p = p * x + 1.0f / 720;
    p = p * x + 1.0f / 120;
    p = p * x + 1.0f / 24;
    p = p * x + 1.0f / 6;
    p = p * x + 0.5f;
    float small = x * (1.0f + x * p), big = ir_exp_full_f(x) - 1.0f;
    return (x < 0 ? -x : x) < 0.5f ? small : big;
}

/*
 * ln x within 1 ulp: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = f - f^2 / 2 + f^3 P(f)
 * with f = m - 1 (Cephes' degree-8 P), plus e ln2 in two parts. Denormals are scaled by 2^23
 * first. ln 0 = -inf, ln of a negative number NaN, ln inf = inf, NaN stays NaN. Written with
 * float arithmetic and selects only (no int-to-float conversion under a condition), so that gcc
 * if-converts it even where float operations may trap.
 */
static inline float
ir_log_f(float x)
{
    int den = x < 1.17549435e-38f; /* FLT_MIN */
    float xs = x * (den ? 8388608.0f : 1.0f);
    uint32_t u, ub;
    memcpy(&u, &xs, sizeof u);
    ub = (u >> 23) | 0x4b000000u;        /* 2^23 + the biased exponent, as a float */
    u = (u & 0x007fffffu) | 0x3f000000u; /* the mantissa as a float in [0.5, 1) */
    float m, eb;
    memcpy(&m, &u, sizeof m);
    memcpy(&eb, &ub, sizeof eb);
    float e = eb - (den ? 8388757.0f : 8388734.0f); /* 2^23 + 149 or 2^23 + 126 */
    int lo = m < 0.707106781f;
    float f = m * (lo ? 2.0f : 1.0f) - 1.0f, k = e - (lo ? 1.0f : 0.0f), z = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    float r = f + (f * z * p - k * 2.12194440e-4f - 0.5f * z) + k * 0.693359375f;
    r = x == 0 ? -INFINITY : r;
    r = x < 0 ? NAN : r;
    r = x == INFINITY ? x : r;
    return x != x ? x : r;
}

/*
 * tanh x within 2 ulp: for |x| < 0.625 the odd polynomial x (1 + x^2 P(x^2)) (Cephes' degree-4
 * P), which keeps -0 and tiny inputs exact; above, (1 - e) / (1 + e) with e = e^-2|x| from
 * ir_exp_f, which saturates to +-1 (inf included) with no overflow. NaN stays NaN.
 */
static inline float
ir_tanh_f(float x)
{
    float a = x < 0 ? -x : x, z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = x * (1.0f + z * p);
    float e = ir_exp_f(-2.0f * a), big = (1.0f - e) / (1.0f + e);
    big = x < 0 ? -big : big;
    return a < 0.625f ? small : big;
}

/* 1 / (1 + e^-x), saturating cleanly at both ends */
static inline float
ir_sigmoid_f(float x)
{
    return 1.0f / (1.0f + ir_exp_f(-x));
}

/*
 * erf(x) within about 2e-7 absolute: for |x| >= 0.4 Abramowitz and Stegun's 7.1.26,
 * 1 - t (a1 + t (a2 + ...)) e^-x^2 with t = 1 / (1 + p |x|); below, where that form loses the
 * small result to cancellation, the Maclaurin series to x^9. Odd in x; NaN stays NaN.
 */
static inline float
ir_erf_f(float x)
{
    float a = x < 0 ? -x : x, z = x * x;
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = t * (0.254829592f +
                   t * (-0.284496736f +
                        t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    float big = 1.0f - p * ir_exp_f(-z);
    float small = a * (1.1283791671f +
                       z * (-0.3761263890f +
                            z * (0.1128379167f + z * (-0.0268661707f + z * 0.0052239776f))));
    float r = a < 0.4f ? small : big;
    return x < 0 ? -r : r;
}

/* ---- float32 activations: one function each, also applied by the fused kernels (act.c) ------- */

static inline float
ir_relu_f(float v)
{
    return v < 0 ? 0 : v;
}

/* min(max(v, lo), hi); crossed bounds give hi, NaN stays NaN */
static inline float
ir_clip_f(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* written without a multiply under a condition, which gcc will not vectorise where it may trap */
static inline float
ir_leakyrelu_f(float v, float alpha)
{
    return (v < 0 ? 0 : v) + alpha * (v < 0 ? v : 0);
}

static inline float
ir_hardsigmoid_f(float v, float alpha, float beta)
{
    return IR_CLAMP(alpha * v + beta, 0, 1);
}

static inline float
ir_hardswish_f(float v)
{
    return v * IR_CLAMP(v + 3, 0, 6) * (1.0f / 6);
}

static inline float
ir_silu_f(float v)
{
    return v / (1.0f + ir_exp_f(-v));
}

static inline float
ir_gelu_f(float v)
{
    return 0.5f * v * (1 + ir_erf_f(v * 0.70710678f));
}

/* Gelu's approximate = "tanh" form */
static inline float
ir_gelu_tanh_f(float v)
{
    return 0.5f * v * (1 + ir_tanh_f(0.7978845608f * (v + 0.044715f * v * v * v)));
}

/* ln(1 + e^v) as max(v, 0) + ln(1 + e^-|v|); ln(1 + t) as ln u * t / (u - 1) with u = 1 + t
 * rounded, exact where t is lost in u (Goldberg's log1p), so that the tail e^v keeps its digits */
static inline float
ir_softplus_f(float v)
{
    float t = ir_exp_full_f(v < 0 ? v : -v), u = 1.0f + t, d = u - 1.0f;
    float q = t / (d == 0 ? 1.0f : d), l = ir_log_f(u) * q;
    return (v > 0 ? v : 0) + (d == 0 ? t : l);
}

/* v tanh(ln(1 + e^v)) = v n / (n + 2) with n = e^v (e^v + 2), since tanh(ln s) = (s^2 - 1) /
 * (s^2 + 1); past v = 20 the factor is 1 in float (and n would overflow) */
static inline float
ir_mish_f(float v)
{
    float e = ir_exp_full_f(v < 20.0f ? v : 20.0f), n = e * (e + 2.0f);
    return v > 20.0f ? v : v * (n / (n + 2.0f));
}

/*
 * The float32 unary ops as X(ID, expression in v, al, be, ga): the expression is the op's value
 * at v (a float) with the op's ActAttr alpha, beta and gamma as floats al, be, ga. Gelu (two
 * forms) and Clip (bounds from inputs) are not listed: each user handles them itself.
 */
#define IR_UNARY_F32(X)                                                                            \
    X(ABS, fabsf(v))                                                                               \
    X(CELU, v > 0 ? v : al * ir_expm1_f(v / al))                                                   \
    X(CEIL, ceilf(v))                                                                              \
    X(COS, cosf(v))                                                                                \
    X(ELU, v < 0 ? al * ir_expm1_f(v) : v)                                                         \
    X(ERF, ir_erf_f(v))                                                                            \
    X(EXP, ir_exp_full_f(v))                                                                       \
    X(FLOOR, floorf(v))                                                                            \
    X(HARDSIGMOID, ir_hardsigmoid_f(v, al, be))                                                    \
    X(HARDSWISH, ir_hardswish_f(v))                                                                \
    X(LEAKYRELU, ir_leakyrelu_f(v, al))                                                            \
    X(LOG, ir_log_f(v))                                                                            \
    X(MISH, ir_mish_f(v))                                                                          \
    X(NEG, -v)                                                                                     \
    X(RECIPROCAL, 1 / v)                                                                           \
    X(RELU, ir_relu_f(v))                                                                          \
    X(ROUND, nearbyintf(v))                                                                        \
    X(SELU, v <= 0 ? ga * (al * ir_exp_full_f(v) - al) : ga * v)                                   \
    X(SIGMOID, ir_sigmoid_f(v))                                                                    \
    X(SIGN, v > 0 ? 1.0f : v < 0 ? -1.0f : v)                                                      \
    X(SIN, sinf(v))                                                                                \
    X(SOFTPLUS, ir_softplus_f(v))                                                                  \
    X(SOFTSIGN, v / (1 + fabsf(v)))                                                                \
    X(SQRT, sqrtf(v))                                                                              \
    X(TANH, ir_tanh_f(v))                                                                          \
    X(THRESHOLDEDRELU, v > al ? v : 0)

/* Unary op `op` of float32 v into *r: 1, or 0 when the op has no float32 form (it then runs in
 * double, ir_unary_d). Clip is not handled here. One switch per element: for folding and for
 * tests; a kernel puts the switch outside its loop (IR_UNARY_F32). */
static inline int
ir_unary_f32(OpKind op, const ActAttr *at, float v, float *r)
{
    float al = at->alpha, be = at->beta, ga = at->gamma;
    (void)al, (void)be, (void)ga;
    switch (op) {
#define IR_F32_CASE(ID, EXPR)                                                                      \
    case OP_##ID: *r = (EXPR); return 1;
        IR_UNARY_F32(IR_F32_CASE)
#undef IR_F32_CASE
    case OP_GELU: *r = at->approximate ? ir_gelu_tanh_f(v) : ir_gelu_f(v); return 1;
    default: return 0;
    }
}

/* ---- integers and double --------------------------------------------------------------------- */

/* The integer form of unary op `op` at v (uns: v is unsigned 64-bit) into *r, wrapping: 1, or 0
 * when the op has none (it then runs in double). */
static inline int
ir_unary_i(OpKind op, int uns, int64_t v, int64_t *r)
{
    uint64_t neg = 0 - (uint64_t)v;
    int64_t nv; /* -v wrapped, without implementation-defined conversions */
    memcpy(&nv, &neg, sizeof nv);
    switch (op) {
    case OP_ABS: *r = v < 0 && !uns ? nv : v; return 1;
    case OP_NEG: *r = nv; return 1;
    case OP_SIGN: *r = uns ? v != 0 : (v > 0) - (v < 0); return 1;
    case OP_RELU: *r = v < 0 && !uns ? 0 : v; return 1;
    case OP_NOT: *r = v == 0; return 1;
    case OP_CEIL:
    case OP_FLOOR:
    case OP_ROUND:
    case OP_IDENTITY: *r = v; return 1;
    default: return 0;
    }
}

/* The ONNX definition of unary op `op` at v, in double, into *r: 1, or 0 for an op that is not
 * a unary map (Clip included: its bounds are inputs). */
static inline int
ir_unary_d(OpKind op, const Attr *at, double v, double *r)
{
    double a = at->act.alpha, b = at->act.beta;
    switch (op) {
    case OP_ABS: *r = fabs(v); return 1;
    case OP_ACOS: *r = acos(v); return 1;
    case OP_ACOSH: *r = acosh(v); return 1;
    case OP_ASIN: *r = asin(v); return 1;
    case OP_ASINH: *r = asinh(v); return 1;
    case OP_ATAN: *r = atan(v); return 1;
    case OP_ATANH: *r = atanh(v); return 1;
    case OP_CEIL: *r = ceil(v); return 1;
    case OP_CELU: *r = fmax(0, v) + fmin(0, a * expm1(v / a)); return 1;
    case OP_COS: *r = cos(v); return 1;
    case OP_COSH: *r = cosh(v); return 1;
    case OP_ELU: *r = v < 0 ? a * expm1(v) : v; return 1;
    case OP_ERF: *r = erf(v); return 1;
    case OP_EXP: *r = exp(v); return 1;
    case OP_FLOOR: *r = floor(v); return 1;
    case OP_GELU:
        if (at->act.approximate)
            *r = 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
        else
            *r = 0.5 * v * (1 + erf(v * 0.7071067811865476));
        return 1;
    case OP_HARDSIGMOID: *r = IR_CLAMP(a * v + b, 0, 1); return 1;
    case OP_HARDSWISH: *r = v * IR_CLAMP(v + 3, 0, 6) / 6; return 1;
    case OP_IDENTITY: *r = v; return 1;
    case OP_ISINF:
        *r = isinf(v) && ((v > 0 && (at->mode.mode & 1)) || (v < 0 && (at->mode.mode & 2)));
        return 1;
    case OP_ISNAN: *r = isnan(v); return 1;
    case OP_LEAKYRELU: *r = v < 0 ? a * v : v; return 1;
    case OP_LOG: *r = log(v); return 1;
    case OP_MISH: *r = v * tanh(fmax(v, 0) + log1p(exp(-fabs(v)))); return 1;
    case OP_NEG: *r = -v; return 1;
    case OP_NOT: *r = v == 0; return 1;
    case OP_RECIPROCAL: *r = 1 / v; return 1;
    case OP_RELU: *r = v < 0 ? 0 : v; return 1;
    case OP_ROUND: *r = nearbyint(v); return 1; /* ties to even in the default rounding mode */
    case OP_SELU: *r = v <= 0 ? at->act.gamma * (a * exp(v) - a) : at->act.gamma * v; return 1;
    case OP_SIGMOID: *r = 1 / (1 + exp(-v)); return 1;
    case OP_SIGN: *r = isnan(v) ? v : (v > 0) - (v < 0); return 1;
    case OP_SIN: *r = sin(v); return 1;
    case OP_SINH: *r = sinh(v); return 1;
    case OP_SOFTPLUS: *r = fmax(v, 0) + log1p(exp(-fabs(v))); return 1;
    case OP_SOFTSIGN: *r = v / (1 + fabs(v)); return 1;
    case OP_SQRT: *r = sqrt(v); return 1;
    case OP_TAN: *r = tan(v); return 1;
    case OP_TANH: *r = tanh(v); return 1;
    case OP_THRESHOLDEDRELU: *r = v > a ? v : 0; return 1;
    default: return 0;
    }
}

/* ---- quantisation ------------------------------------------------------------------------------ */

/* QuantizeLinear of x: x / scale rounded half to even, plus the zero point, saturated to [lo, hi]
 * (the output dtype's range; NaN gives lo, as in ONNX Runtime). The result is a whole number in
 * range, which converts to the output dtype exactly. */
static inline float
ir_quantize_f(float x, float scale, float zp, float lo, float hi)
{
    float q = nearbyintf(x / scale) + zp;
    return q > lo ? (q < hi ? q : hi) : lo;
}

/* DequantizeLinear of x: (x - zp) * scale, the difference exact (int32 and narrower inputs). */
static inline float
ir_dequantize_f(int64_t x, int64_t zp, float scale)
{
    return (float)(x - zp) * scale;
}
