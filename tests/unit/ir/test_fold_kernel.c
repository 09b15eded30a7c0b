/*
 * test_fold_kernel.c: a folded value equals the computed one, bit for bit. For every unary
 * elementwise op (the activations and the math functions) and for float32, float64 and float16,
 * a constant node folded by the compiler (fold_kernel_ir.c) and the CPU kernel cpu_<stem> run on
 * the same elements must give identical bytes: signed zeros, denormals, the float limits, NaN
 * and infinities, the points where a formula changes branch (HardSwish's -3 and 3, Erf's 0.4,
 * the exp clamps) and a few thousand random bit patterns. A NaN matches any NaN (is_nan). ctest
 * runs it once per build of the kernels (HETC_CPU), as the kernel tests.
 */
#include "runtime/rt_backend.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../test.h"
#include "fold_kernel.h"

enum { NRAND = 4096, MAXN = 256 + NRAND };

static RtCtx *ctx;
static float in32[MAXN];
static int n32;

static uint32_t
rnd(uint32_t *s) /* xorshift32: the same values on every machine */
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void
add(float v)
{
    in32[n32++] = v;
}

/* the inputs: edge cases, the kinks of the formulas and their neighbours, random bits */
static void
inputs(void)
{
    static const float edge[] = {
        0.0f, -0.0f, 1e-45f, -1e-45f, 1e-40f, -1e-40f, FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX,
        1e30f, -1e30f, 1e10f, -1e10f, INFINITY, -INFINITY, NAN, -NAN,
        -3.0f, 3.0f, -2.5f, 2.5f, -1.0f, 1.0f, 0.5f, -0.5f, 0.4f, -0.4f, 6.0f, -6.0f,
        88.7f, -88.7f, 87.3f, -87.3f, 89.0f, -104.0f, 20.0f, -20.0f, 100.0f, -100.0f,
        0.2f, -0.2f, 1.5f, -1.5f, 1e-7f, -1e-7f, 9.0f, 15.0f, -15.0f, 0.70710678f,
    };
    n32 = 0;
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        add(edge[i]);
        if (isfinite(edge[i]) && edge[i] != 0) {
            add(nextafterf(edge[i], INFINITY));
            add(nextafterf(edge[i], -INFINITY));
        }
    }
    uint32_t s = 12345;
    for (int i = 0; i < NRAND / 2; i++) { /* any bits: every exponent, NaN payloads */
        uint32_t u = rnd(&s);
        float f;
        memcpy(&f, &u, sizeof f);
        add(f);
    }
    for (int i = 0; i < NRAND / 2; i++) /* where the functions bend: [-12, 12) */
        add(-12.0f + 24.0f * (float)(rnd(&s) >> 8) / 16777216.0f);
}

static uint16_t
f32_to_f16_trunc(float f) /* a float16 of about f (truncated: any value will do) */
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    uint32_t sign = (u >> 16) & 0x8000u, e = (u >> 23) & 0xff, m = u & 0x7fffff;
    if (e == 0xff)
        return (uint16_t)(sign | 0x7c00u | (m ? 0x200u : 0));
    int ex = (int)e - 127 + 15;
    if (ex >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (ex <= 0)
        return (uint16_t)(sign | (ex < -10 ? 0 : (m | 0x800000u) >> (14 - ex)));
    return (uint16_t)(sign | (uint32_t)ex << 10 | m >> 13);
}

/* 1 when the element at p is a NaN. Any NaN equals any other here: IEEE 754 leaves the sign and
 * payload of a NaN result open, and gcc orders a commutative operation's operands (which decide
 * the NaN an x86 instruction passes on) differently in vector and scalar code. */
static int
is_nan(DType dt, const void *p)
{
    if (dt == DT_F32) {
        float f;
        memcpy(&f, p, sizeof f);
        return isnan(f);
    }
    if (dt == DT_F64) {
        double f;
        memcpy(&f, p, sizeof f);
        return isnan(f);
    }
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0;
}

typedef struct Case {
    OpKind op;
    RtKernel k;
    const char *name;
    ActAttr act;
} Case;

/* Runs c on n elements of dtype dt (bytes at x) both ways; 1 when every byte agrees. */
static int
same(const Case *c, DType dt, const void *x, int n)
{
    size_t es = rt_dtype_size(dt), bytes = (size_t)n * es;
    static unsigned char folded[MAXN * 8], run[MAXN * 8], xin[MAXN * 8];
    memcpy(xin, x, bytes);
    if (fk_fold(c->op, &c->act, dt, xin, n, folded) != 0) {
        fprintf(stderr, "%s dtype %d: did not fold\n", c->name, (int)dt);
        return 0;
    }
    RtTensor tx = {.data = xin}, ty = {.data = run};
    tx.dt = ty.dt = dt;
    tx.rank = ty.rank = 1;
    tx.dim[0] = ty.dim[0] = n;
    RtTensor *in[1] = {&tx}, *out[1] = {&ty};
    Attr a;
    memset(&a, 0, sizeof a);
    a.act = c->act;
    if (c->k(ctx, &a, in, 1, out, 1) != RT_OK) {
        fprintf(stderr, "%s dtype %d: kernel failed: %s\n", c->name, (int)dt, rt_ctx_error(ctx));
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (memcmp(folded + (size_t)i * es, run + (size_t)i * es, es) == 0 ||
            (is_nan(dt, folded + (size_t)i * es) && is_nan(dt, run + (size_t)i * es)))
            continue;
        double xv = dt == DT_F32 ? ((const float *)x)[i] : dt == DT_F64 ? ((const double *)x)[i] : 0;
        uint64_t fb = 0, rb = 0;
        memcpy(&fb, folded + (size_t)i * es, es);
        memcpy(&rb, run + (size_t)i * es, es);
        fprintf(stderr, "%s dtype %d: element %d (x = %.9g): folded 0x%llx, computed 0x%llx\n",
                c->name, (int)dt, i, xv, (unsigned long long)fb, (unsigned long long)rb);
        return 0;
    }
    return 1;
}

int
main(void)
{
    ctx = rt_ctx_new(1);
    CHECK(ctx != NULL);
    inputs();
    static double in64[MAXN];
    static uint16_t in16[MAXN];
    for (int i = 0; i < n32; i++) {
        in64[i] = (double)in32[i] * (1.0 + 1e-9); /* bits below float's */
        in16[i] = f32_to_f16_trunc(in32[i]);
    }
    const ActAttr none = {0}, lrelu = {0.01f, 0, 0, 0}, elu = {1.0f, 0, 0, 0};
    const ActAttr celu = {1.5f, 0, 0, 0}, hsig = {0.2f, 0.5f, 0, 0}, tanh_form = {0, 0, 0, 1};
    const ActAttr selu = {1.67326319f, 0, 1.05070102f, 0}, thr = {1.0f, 0, 0, 0};
#define C(ID, stem, ACT) {OP_##ID, cpu_##stem, #stem, ACT}
    const Case cases[] = {
        C(ABS, abs, none), C(ACOS, acos, none), C(ACOSH, acosh, none), C(ASIN, asin, none),
        C(ASINH, asinh, none), C(ATAN, atan, none), C(ATANH, atanh, none), C(CEIL, ceil, none),
        C(CELU, celu, celu), C(COS, cos, none), C(COSH, cosh, none), C(ELU, elu, elu),
        C(ERF, erf, none), C(EXP, exp, none), C(FLOOR, floor, none), C(GELU, gelu, none),
        C(GELU, gelu, tanh_form), C(HARDSIGMOID, hardsigmoid, hsig),
        C(HARDSWISH, hardswish, none), C(LEAKYRELU, leakyrelu, lrelu), C(LOG, log, none),
        C(MISH, mish, none), C(NEG, neg, none), C(RECIPROCAL, reciprocal, none),
        C(RELU, relu, none), C(ROUND, round, none), C(SELU, selu, selu),
        C(SIGMOID, sigmoid, none), C(SIGN, sign, none), C(SIN, sin, none), C(SINH, sinh, none),
        C(SOFTPLUS, softplus, none), C(SOFTSIGN, softsign, none), C(SQRT, sqrt, none),
        C(TAN, tan, none), C(TANH, tanh, none), C(THRESHOLDEDRELU, thresholdedrelu, thr),
        C(CLIP, clip, none),
    };
#undef C
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int ok = same(&cases[i], DT_F32, in32, n32) & same(&cases[i], DT_F64, in64, n32) &
                 same(&cases[i], DT_F16, in16, n32);
        bad += !ok;
        CHECK(ok);
    }
    printf("%d of %d ops differ between folding and the kernel\n", bad,
           (int)(sizeof cases / sizeof *cases));
    rt_ctx_free(ctx);
    return TEST_DONE();
}
