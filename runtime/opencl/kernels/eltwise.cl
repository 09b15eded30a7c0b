/*
 * eltwise.cl: the elementwise ops (runtime/opencl/eltwise.c): y = F(a, b, c) over every element
 * of the output, with up to three operands broadcast to it. The op is a compile-time choice: the
 * host builds one program per op and dtypes, and a program holds two kernels:
 *  - elt_flat: the output and every operand are dense (an operand may also be a single element
 *    repeated): each work-item computes 4 consecutive elements with vector loads and stores,
 *    the last one a scalar tail;
 *  - elt_bcast: any broadcast, the output seen as rows of its innermost dim: dimension 1 of the
 *    range walks the rows, dimension 0 a row, 4 elements per work-item again; a row's
 *    coordinates, and so the operands' offsets, come from its index by divisions, once per
 *    work-item.
 *
 * Options: ELT_<OP> (the op, see below), TA TB TC TO (the OpenCL types of a, b, c and y; b and c
 * default to TA), UT (the unsigned twin of TA for wrapping integer arithmetic), IDX (int, or long
 * for huge tensors), and for Clip with bounds on the device LO_T and HI_T (1: bound in b or c).
 * p0 p1 p2 are the op's scalar parameters (alpha, beta, gamma, Clip's constant bounds, ...).
 *
 * Each F is written as the CPU kernel computes the op on float32 (runtime/cpu/eltwise.c): the
 * same operations in the same order, no contraction into fused multiply-adds (below), and
 * division and sqrt correctly rounded (the host asks for it where the device has it), so the
 * exact ops agree bit for bit and the others within the accuracy of the built-in functions.
 *
 * hetc-ops: eltwise
 */
#pragma OPENCL FP_CONTRACT OFF

#ifndef TB
#define TB TA
#endif
#ifndef TC
#define TC TA
#endif
#ifndef LO_T
#define LO_T 0
#endif
#ifndef HI_T
#define HI_T 0
#endif

#define CAT_(x, y) x##y
#define CAT(x, y) CAT_(x, y)
#define V4(T) CAT(T, 4)

/* t limited to [lo, hi], tested in this order; NaN stays NaN */
#define CLAMP(t, lo, hi) ((t) < (lo) ? (lo) : (t) > (hi) ? (hi) : (t))

/* tanh(x) rounded to +-1 where the correctly rounded float is +-1 (|x| > 9.02): PoCL's tanh
 * stops 1 ulp short of it, which made Gelu's tanh form of -inf -inf where the CPU has NaN */
float
tanh_sat(float x)
{
    return fabs(x) > 9.02f ? copysign(1.0f, x) : tanh(x);
}

/* erf(x) as the CPU kernels compute it (vmath.h's vm_erf, within 2e-7): Abramowitz and Stegun's
 * 7.1.26 for |x| >= 0.4, below it the Maclaurin series to x^9. PoCL's erf is a scalar call
 * some 40 times slower than exp, and this also follows the CPU more closely. */
float
erf_as(float x)
{
    float a = fabs(x), z = x * x;
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    p = p * t;
    float big = 1.0f - p * exp(-z);
    float q = 0.0052239776f;
    q = q * z - 0.0268661707f;
    q = q * z + 0.1128379167f;
    q = q * z - 0.3761263890f;
    q = q * z + 1.1283791671f;
    float small = a * q;
    float r = a < 0.4f ? small : big;
    return x < 0 ? -r : r;
}

/* ---- the ops: F(a, b, c) -------------------------------------------------------------------- */

#if defined(ELT_ABS)            /* integers wrap: |INT_MIN| = INT_MIN, as on the CPU */
#ifdef UT
#define F(a, b, c) ((a) < 0 ? (TO)((UT)0 - (UT)(a)) : (a))
#else
#define F(a, b, c) fabs(a)
#endif
#elif defined(ELT_ACOS)
#define F(a, b, c) acos(a)
#elif defined(ELT_ACOSH)
#define F(a, b, c) acosh(a)
#elif defined(ELT_ASIN)
#define F(a, b, c) asin(a)
#elif defined(ELT_ASINH)
#define F(a, b, c) asinh(a)
#elif defined(ELT_ATAN)
#define F(a, b, c) atan(a)
#elif defined(ELT_ATANH)
#define F(a, b, c) atanh(a)
#elif defined(ELT_CEIL)
#define F(a, b, c) ceil(a)
#elif defined(ELT_CELU)
#define F(a, b, c) ((a) > 0 ? (a) : p0 * expm1((a) / p0))
#elif defined(ELT_CLIP)         /* bounds p0, p1 (-inf, inf where omitted), or b, c */
#define F(a, b, c) CLAMP(a, LO_T ? (b) : p0, HI_T ? (c) : p1)
#elif defined(ELT_COS)
#define F(a, b, c) cos(a)
#elif defined(ELT_COSH)
#define F(a, b, c) cosh(a)
#elif defined(ELT_ELU)
#define F(a, b, c) ((a) < 0 ? p0 * expm1(a) : (a))
#elif defined(ELT_ERF)
#define F(a, b, c) erf_as(a)
#elif defined(ELT_EXP)
#define F(a, b, c) exp(a)
#elif defined(ELT_FLOOR)
#define F(a, b, c) floor(a)
#elif defined(ELT_GELU)         /* exact form */
#define F(a, b, c) (0.5f * (a) * (1 + erf_as((a) * 0.70710678f)))
#elif defined(ELT_GELU_TANH)    /* approximate = "tanh" */
#define F(a, b, c)                                                                                 \
    (0.5f * (a) * (1 + tanh_sat(0.7978845608f * ((a) + 0.044715f * (a) * (a) * (a)))))
#elif defined(ELT_HARDSIGMOID)
#define F(a, b, c) CLAMP(p0 * (a) + p1, 0, 1)
#elif defined(ELT_HARDSWISH)
#define F(a, b, c) ((a) * CLAMP((a) + 3, 0, 6) * (1.0f / 6))
#elif defined(ELT_ISINF)        /* p0: detect +inf, p1: detect -inf */
#define F(a, b, c) (isinf(a) && (((a) > 0 && p0 != 0) || ((a) < 0 && p1 != 0)))
#elif defined(ELT_ISNAN)
#define F(a, b, c) isnan(a)
#elif defined(ELT_LEAKYRELU)
#define F(a, b, c) (((a) < 0 ? 0 : (a)) + p0 * ((a) < 0 ? (a) : 0))
#elif defined(ELT_LOG)
#define F(a, b, c) log(a)
#elif defined(ELT_MISH)
#define F(a, b, c) ((a) * tanh_sat(((a) > 0 ? (a) : 0) + log1p(exp(-fabs(a)))))
#elif defined(ELT_NEG)
#ifdef UT
#define F(a, b, c) ((TO)((UT)0 - (UT)(a)))
#else
#define F(a, b, c) (-(a))
#endif
#elif defined(ELT_NOT)
#define F(a, b, c) ((a) == 0)
#elif defined(ELT_RECIPROCAL)
#define F(a, b, c) (1 / (a))
#elif defined(ELT_RELU)
#define F(a, b, c) ((a) < 0 ? 0 : (a))
#elif defined(ELT_ROUND)        /* halves to even */
#define F(a, b, c) rint(a)
#elif defined(ELT_SELU)         /* alpha p0, gamma p2 */
#define F(a, b, c) ((a) <= 0 ? p2 * (p0 * exp(a) - p0) : p2 * (a))
#elif defined(ELT_SIGMOID)
#define F(a, b, c) (1.0f / (1.0f + exp(-(a))))
#elif defined(ELT_SIGN)         /* NaN and zeros stay as they are */
#define F(a, b, c) ((a) > 0 ? (TO)1 : (a) < 0 ? (TO)-1 : (a))
#elif defined(ELT_SIN)
#define F(a, b, c) sin(a)
#elif defined(ELT_SINH)
#define F(a, b, c) sinh(a)
#elif defined(ELT_SOFTPLUS)
#define F(a, b, c) (((a) > 0 ? (a) : 0) + log1p(exp(-fabs(a))))
#elif defined(ELT_SOFTSIGN)
#define F(a, b, c) ((a) / (1 + fabs(a)))
#elif defined(ELT_SQRT)
#define F(a, b, c) sqrt(a)
#elif defined(ELT_TAN)
#define F(a, b, c) tan(a)
#elif defined(ELT_TANH)
#define F(a, b, c) tanh_sat(a)
#elif defined(ELT_THRESHOLDEDRELU)
#define F(a, b, c) ((a) > p0 ? (a) : 0)

/* binary; Sum and Mean are folds of ADD, Mean's last step MEAN_LAST divides by p0 = n */
#elif defined(ELT_ADD)
#ifdef UT
#define F(a, b, c) ((TO)((UT)(a) + (UT)(b)))
#else
#define F(a, b, c) ((a) + (b))
#endif
#elif defined(ELT_MEAN_LAST)
#define F(a, b, c) (((a) + (b)) / p0)
#elif defined(ELT_SUB)
#ifdef UT
#define F(a, b, c) ((TO)((UT)(a) - (UT)(b)))
#else
#define F(a, b, c) ((a) - (b))
#endif
#elif defined(ELT_MUL)
#ifdef UT
#define F(a, b, c) ((TO)((UT)(a) * (UT)(b)))
#else
#define F(a, b, c) ((a) * (b))
#endif
#elif defined(ELT_DIV)
#define F(a, b, c) ((a) / (b))
#elif defined(ELT_POW)
#define F(a, b, c) pow(a, b)
#elif defined(ELT_MOD)          /* p0 = fmod; else the sign of the divisor, like Python */
#define F(a, b, c) mod_f(a, b, p0)
float
mod_f(float a, float b, float fmod_mode)
{
    float r = fmod(a, b);
    return fmod_mode == 0 && r != 0 && (r < 0) != (b < 0) ? r + b : r;
}
#elif defined(ELT_MAX)          /* a NaN in either propagates */
#define F(a, b, c) ((a) != (a) || (a) > (b) ? (a) : (b))
#elif defined(ELT_MIN)
#define F(a, b, c) ((a) != (a) || (a) < (b) ? (a) : (b))
#elif defined(ELT_PRELU)
#define F(a, b, c) (((a) < 0 ? 0 : (a)) + (b) * ((a) < 0 ? (a) : 0))
#elif defined(ELT_BITSHIFT)     /* p0 != 0: right; shifting out every bit gives 0 */
#define F(a, b, c) ((b) > 63 ? (TO)0 : p0 != 0 ? (TO)((ulong)(a) >> (b)) : (TO)((ulong)(a) << (b)))
#elif defined(ELT_EQUAL)
#define F(a, b, c) ((a) == (b))
#elif defined(ELT_GREATER)
#define F(a, b, c) ((a) > (b))
#elif defined(ELT_GREATEROREQUAL)
#define F(a, b, c) ((a) >= (b))
#elif defined(ELT_LESS)
#define F(a, b, c) ((a) < (b))
#elif defined(ELT_LESSOREQUAL)
#define F(a, b, c) ((a) <= (b))
#elif defined(ELT_AND)
#define F(a, b, c) ((a) != 0 && (b) != 0)
#elif defined(ELT_OR)
#define F(a, b, c) ((a) != 0 || (b) != 0)
#elif defined(ELT_XOR)
#define F(a, b, c) (((a) != 0) != ((b) != 0))

/* ternary: a is the condition, b and c any type of the same size (copied as bits) */
#elif defined(ELT_WHERE)
#define F(a, b, c) ((a) ? (b) : (c))
#else
#error "eltwise.cl: no ELT_<op> option"
#endif

/* the result converted to the output type (0 or 1 for a bool) */
#define G(a, b, c) ((TO)(F(a, b, c)))

/* ---- the kernels ---------------------------------------------------------------------------- */

/* Operand x's element i, counted from element ox of its buffer; sx = 1: x is dense along i,
 * 0: one element repeated. */
#define LOAD4(T, x, ox, sx, i) ((sx) ? vload4(0, (x) + (ox) + (i)) : (V4(T))((x)[ox]))
#define AT(x, ox, sx, i) ((x)[(ox) + ((sx) ? (i) : 0)])

/* Elements i .. i + 3 of a run of n elements of y (from yp) whose operands start at ka, kb, kc
 * with strides sa, sb, sc along the run: one vector, or the scalar tail of the run. */
#define RUN4(yp, n, i, ka, sa, kb, sb, kc, sc)                                                     \
    if ((i) + 4 <= (n)) {                                                                          \
        V4(TA) va = LOAD4(TA, a, ka, sa, i);                                                       \
        V4(TB) vb = LOAD4(TB, b, kb, sb, i);                                                       \
        V4(TC) vc = LOAD4(TC, c, kc, sc, i);                                                       \
        V4(TO) r = (V4(TO))(G(va.s0, vb.s0, vc.s0), G(va.s1, vb.s1, vc.s1),                        \
                            G(va.s2, vb.s2, vc.s2), G(va.s3, vb.s3, vc.s3));                       \
        vstore4(r, 0, (yp) + (i));                                                                 \
    } else {                                                                                       \
        for (IDX e = (i); e < (n); e++)                                                            \
            (yp)[e] = G(AT(a, ka, sa, e), AT(b, kb, sb, e), AT(c, kc, sc, e));                     \
    }

/* y and every operand dense (sx = 1) or one element (sx = 0); 4 elements per work-item. */
__kernel void
elt_flat(const IDX n, __global TO *y, const IDX oy, __global const TA *a, const IDX oa,
         const int sa, __global const TB *b, const IDX ob, const int sb, __global const TC *c,
         const IDX oc, const int sc, const float p0, const float p1, const float p2)
{
    const IDX i = (IDX)get_global_id(0) * 4;
    if (i < n) {
        RUN4(y + oy, n, i, oa, sa, ob, sb, oc, sc)
    }
}

/* Dim k (1..7) of the output, counted from the innermost: takes its coordinate off r and adds
 * its stride to each operand's offset. */
#define DIGIT(k)                                                                                   \
    if (k < rank) {                                                                                \
        IDX q = r / dim.s##k, x = r - q * dim.s##k;                                                \
        r = q;                                                                                     \
        ka += x * sa.s##k;                                                                         \
        kb += x * sb.s##k;                                                                         \
        kc += x * sc.s##k;                                                                         \
    }

/* The output has rank dims, dim.s0 innermost: n1 rows of n0 elements. Operand x's element
 * strides are sx, 0 where it is broadcast; along a row (sx.s0) they are 0 or 1. A work-item
 * computes 4 elements of row j0 + get_global_id(1), its offsets into the operands derived once
 * for them. */
__kernel void
elt_bcast(const IDX n0, const IDX n1, const IDX j0, const int rank, const CAT(IDX, 8) dim,
          __global TO *y, const IDX oy, __global const TA *a, const IDX oa,
          const CAT(IDX, 8) sa, __global const TB *b, const IDX ob, const CAT(IDX, 8) sb,
          __global const TC *c, const IDX oc, const CAT(IDX, 8) sc, const float p0,
          const float p1, const float p2)
{
    const IDX i = (IDX)get_global_id(0) * 4, j = j0 + (IDX)get_global_id(1);
    if (i >= n0 || j >= n1)
        return;
    IDX ka = oa, kb = ob, kc = oc, r = j;
    DIGIT(1) DIGIT(2) DIGIT(3) DIGIT(4) DIGIT(5) DIGIT(6) DIGIT(7)
    RUN4(y + oy + j * n0, n0, i, ka, sa.s0, kb, sb.s0, kc, sc.s0)
}
