/*
 * vmath.h: elementary functions for float32 kernels written so that loops around them vectorise
 * (no branches, no float compares that may trap, no calls), where libm's expf would not. Private
 * to runtime/cpu.
 */
#pragma once

#include <stdint.h>
#include <string.h>

/*
 * e^x within 1.5 ulp: x = n ln2 + r with |r| <= ln2 / 2, e^r from Cephes' degree-6 polynomial,
 * 2^n built in the exponent bits. x is clamped to [-87.3, 88.7]: below, the result is 2^-126
 * rather than a denormal or 0; above, FLT_MAX-sized rather than infinity (callers that need an
 * exact overflow test x themselves). NaN stays NaN.
 */
static inline float
vm_exp(float x)
{
    const float shifter = 12582912.0f;  /* 1.5 * 2^23: adding it rounds to an integer */
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.7f ? 88.7f : x;
    float t = x * 1.44269504f + shifter, n = t - shifter;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;   /* ln2 in two parts */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t u;     /* t's low mantissa bits hold n: 2^n = (n + 127) << 23 */
    memcpy(&u, &t, sizeof u);
    u = (u - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &u, sizeof scale);
    return p * scale;
}

/* 1 / (1 + e^-x), saturating cleanly at both ends */
static inline float
vm_sigmoid(float x)
{
    return 1.0f / (1.0f + vm_exp(-x));
}

/*
 * erf(x) within about 2e-7 absolute: for |x| >= 0.4 Abramowitz and Stegun's 7.1.26,
 * 1 - t (a1 + t (a2 + ...)) e^-x^2 with t = 1 / (1 + p |x|); below, where that form loses the
 * small result to cancellation, the Maclaurin series to x^9. Odd in x; NaN stays NaN.
 */
static inline float
vm_erf(float x)
{
    float a = x < 0 ? -x : x, z = x * x;
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = t * (0.254829592f +
                   t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    float big = 1.0f - p * vm_exp(-z);
    float small = a * (1.1283791671f +
                       z * (-0.3761263890f + z * (0.1128379167f + z * (-0.0268661707f + z * 0.0052239776f))));
    float r = a < 0.4f ? small : big;
    return x < 0 ? -r : r;
}
