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
