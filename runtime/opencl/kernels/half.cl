/*
 * half.cl: float16 and bfloat16 to and from float, with integer arithmetic as
 * runtime/cpu/elt_impl.h converts them (no cl_khr_fp16 needed): to nearest even, overflow to
 * infinity, NaN kept quiet with its top payload bits. eltwise.cl and cast.cl take it in by name.
 *
 * hetc-ops: (none of its own: eltwise.cl and cast.cl take it in)
 */

float
f16_to_f32(ushort h)
{
    uint sign = (uint)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0) {   /* zero or subnormal: m * 2^-24, a normal float */
        float f = (float)m * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    return as_float(sign | (e == 31 ? 0x7f800000 | m << 13 : (e + 112) << 23 | m << 13));
}

/* to nearest even; overflow gives inf; NaN stays NaN, quiet, with its top payload bits */
ushort
f32_to_f16(float f)
{
    uint x = as_uint(f), ax = x & 0x7fffffff, h;
    ushort sign = (ushort)((x >> 16) & 0x8000);
    if (ax > 0x7f800000)
        return (ushort)(sign | 0x7e00 | ((ax >> 13) & 0x3ff));
    if (ax >= 0x47800000)   /* >= 65536, inf included */
        return (ushort)(sign | 0x7c00);
    if (ax < 0x38800000)    /* below 2^-14: a subnormal; the scaling by 2^24 is exact */
        return (ushort)(sign | (ushort)rint(fabs(f) * 16777216.0f));
    h = ((ax >> 23) - 112) << 10 | (ax & 0x7fffff) >> 13;
    uint rest = ax & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;                /* a carry into the exponent is right, up to inf */
    return (ushort)(sign | h);
}

float
bf16_to_f32(ushort h)
{
    return as_float((uint)h << 16);
}

ushort
f32_to_bf16(float f)
{
    uint x = as_uint(f);
    if ((x & 0x7fffffff) > 0x7f800000)
        return (ushort)(x >> 16 | 0x40);
    return (ushort)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}
