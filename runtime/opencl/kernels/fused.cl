/*
 * fused.cl: the fused activation of Conv and Gemm (ir/attr.h ActKind, in the order of its enum),
 * then y * mul + add, as a function template: FUSED(name, T) defines T name(T y, int act, float4 p)
 * for a float or vector type T; p holds the activation's alpha and beta, then mul and add (1 and 0
 * when there is no affine step). runtime/cpu/act.c is the reference. Other kernel files include
 * this one by name, which embed.cmake resolves when it embeds them.
 *
 * hetc-ops: (none of its own: conv.cl and gemm.cl take it in)
 */
#define FUSED(name, T)                                                                             \
    T name(T y, int act, float4 p)                                                                 \
    {                                                                                              \
        switch (act) {                                                                             \
        case 1: y = fmax(y, 0.0f); break;                                                          \
        case 2: y = fmin(fmax(y, p.s0), p.s1); break;                                              \
        case 3: y = y < 0.0f ? p.s0 * y : y; break;                                                \
        case 4: y = fmax(0.0f, fmin(1.0f, p.s0 * y + p.s1)); break;                                \
        case 5: y = y * fmax(0.0f, fmin(1.0f, y * (1.0f / 6) + 0.5f)); break;                      \
        case 6: y = 1.0f / (1.0f + exp(-y)); break;                                                \
        case 7: y = y / (1.0f + exp(-y)); break;                                                   \
        default: break;                                                                            \
        }                                                                                          \
        return y * p.s2 + p.s3;                                                                    \
    }
