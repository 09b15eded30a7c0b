/*
 * test_parity_pool.c: MaxPool (with and without Indices, both storage orders), AveragePool (with
 * and without the pads in the divisor), LpPool (p = 1, 2, 3) and the global pools on OpenCL
 * (runtime/opencl/pool.c)
 * against the CPU kernels, on the geometry of tests/kernels/test_cpu_pool.c: odd sizes,
 * strides, asymmetric pads, dilations, ceil_mode (with the last window past the input and the
 * end pad), SAME_* and VALID, 1-D, 2-D and 3-D. MaxPool's inputs are rounded to halves so that
 * windows hold ties, which the Indices must break as the CPU does (the first in scan order).
 * Output shapes follow the compiler's shape inference.
 */
#include "parity.h"

#include <time.h>

#define ATOL 1e-4
#define RTOL 1e-4

typedef struct PoolCase {
    const char *name;
    int ns; /* spatial axes */
    int64_t n, c, in[3], k[3];
    const int64_t *s, *d, *pads; /* NULL: attribute not given */
    AutoPad ap;
    int ceil;
} PoolCase;

static Ints
ints(int n, const int64_t *v)
{
    return v ? (Ints){n, v} : (Ints){0, NULL};
}

/* The output size along axis i, from the spec (ceil_mode's last window must start inside the
 * input or the start pad). */
static int64_t
pool_out(const PoolCase *t, int i)
{
    int64_t s = t->s ? t->s[i] : 1, d = t->d ? t->d[i] : 1, ek = (t->k[i] - 1) * d + 1;
    int64_t in = t->in[i];
    if (t->ap == PAD_SAME_UPPER || t->ap == PAD_SAME_LOWER)
        return (in + s - 1) / s;
    int64_t pb = t->ap == PAD_VALID || !t->pads ? 0 : t->pads[i];
    int64_t pe = t->ap == PAD_VALID || !t->pads ? 0 : t->pads[t->ns + i];
    int64_t span = in + pb + pe, q = (span - ek) / s;
    if (t->ceil) {
        q += (span - ek) % s != 0;
        if (q * s >= in + pb)
            q--;
    }
    return q + 1;
}

/* One pool of case t: op with count_include_pad cip, Indices in storage order order when ind;
 * LpPool with norm p. */
static void
check_pool(const PoolCase *t, OpKind op, int cip, int ind, int order, int64_t p)
{
    int64_t xd[5] = {t->n, t->c}, yd[5] = {t->n, t->c};
    for (int i = 0; i < t->ns; i++) {
        xd[2 + i] = t->in[i];
        yd[2 + i] = pool_out(t, i);
    }
    RtTensor *x = kt_new(DT_F32, t->ns + 2, xd), *y = kt_new(DT_F32, t->ns + 2, yd);
    RtTensor *idx = ind ? kt_new(DT_I64, t->ns + 2, yd) : NULL;
    kt_fill(x, 7u + (uint32_t)t->in[0], -2.0f, 2.0f);
    if (op == OP_MAXPOOL) {
        float *xp = x->data;
        for (int64_t i = 0; i < rt_numel(x); i++)
            xp[i] = roundf(xp[i] * 2.0f);
    }
    Attr a;
    memset(&a, 0, sizeof a);
    a.pool = (PoolAttr){.kernel = ints(t->ns, t->k),
                        .pads = ints(2 * t->ns, t->pads),
                        .strides = ints(t->ns, t->s),
                        .dilations = ints(t->ns, t->d),
                        .auto_pad = t->ap,
                        .ceil_mode = t->ceil,
                        .count_include_pad = cip,
                        .storage_order = order,
                        .p = p};
    char name[200];
    snprintf(name, sizeof name, "%s %s%s cip=%d order=%d p=%lld", t->name,
             op == OP_MAXPOOL       ? "MaxPool"
             : op == OP_AVERAGEPOOL ? "AveragePool"
                                    : "LpPool",
             ind ? "+Indices" : "", cip, order, (long long)p);
    RtTensor *outs[2] = {y, idx};
    par_check(name, op, &a, &x, 1, outs, ind ? 2 : 1, 0, ATOL, RTOL);
    kt_free(x), kt_free(y), kt_free(idx);
}

/* GlobalAveragePool and GlobalMaxPool of X [N, C, ...] (rank 2 too: nothing to pool). */
static void
check_global(int rank, const int64_t *xd)
{
    int64_t yd[5];
    for (int i = 0; i < rank; i++)
        yd[i] = i < 2 ? xd[i] : 1;
    RtTensor *x = kt_new(DT_F32, rank, xd), *y = kt_new(DT_F32, rank, yd);
    kt_fill(x, 99, -3.0f, 5.0f);
    char name[120];
    int len = snprintf(name, sizeof name, "global pools [");
    for (int i = 0; i < rank; i++)
        len += snprintf(name + len, sizeof name - (size_t)len, "%s%lld", i ? "," : "",
                        (long long)xd[i]);
    snprintf(name + len, sizeof name - (size_t)len, "]");
    Attr a;
    memset(&a, 0, sizeof a);
    par_check(name, OP_GLOBALAVERAGEPOOL, &a, &x, 1, &y, 1, 0, ATOL, RTOL);
    par_check(name, OP_GLOBALMAXPOOL, &a, &x, 1, &y, 1, 0, ATOL, RTOL);
    kt_free(x), kt_free(y);
}

/* Forms the ops do not handle give RT_EUNSUPPORTED, never a crash. */
static void
check_errors(void)
{
    int64_t k1[1] = {2};
    OclTensor x = {.dt = DT_F32, .rank = 4, .dim = {1, 1, 4, 4}}, xi = x, ind = x;
    xi.dt = DT_I32;
    ind.dt = DT_I32;
    OclTensor *in[1] = {&x}, *ini[1] = {&xi}, *out[2] = {&x, &ind};
    Attr a;
    memset(&a, 0, sizeof a);
    a.pool.kernel = (Ints){1, k1}; /* a kernel of the wrong rank */
    CHECK(ocl_op_maxpool(par_dev, &a, in, 1, out, 1) == RT_EUNSUPPORTED);
    CHECK(ocl_op_averagepool(par_dev, &a, ini, 1, out, 1) == RT_EUNSUPPORTED);
    CHECK(ocl_op_globalmaxpool(par_dev, &a, ini, 1, out, 1) == RT_EUNSUPPORTED);
    CHECK(ocl_op_maxpool(par_dev, &a, in, 1, out, 2) == RT_EUNSUPPORTED); /* Indices of i32 */
    a.pool.p = 2;
    CHECK(ocl_op_lppool(par_dev, &a, in, 1, out, 1) == RT_EUNSUPPORTED); /* kernel rank */
    a.pool.p = 0;
    a.pool.kernel = (Ints){2, (const int64_t[]){2, 2}};
    CHECK(ocl_op_lppool(par_dev, &a, in, 1, out, 1) == RT_EUNSUPPORTED); /* p = 0 */
}

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(void)
{
    static const int64_t s2[3] = {2, 2, 2}, s21[2] = {2, 1}, s3[3] = {3, 3, 3};
    static const int64_t s212[3] = {2, 1, 2}, d23[2] = {2, 3}, d2[3] = {2, 2, 2};
    static const int64_t p1[6] = {1, 1, 1, 1, 1, 1}, pa[4] = {0, 1, 2, 1};
    static const int64_t pd[4] = {1, 2, 1, 0}, p3d[6] = {1, 0, 1, 0, 1, 1};
    static const int64_t p1d[2] = {1, 2}, pc[4] = {1, 0, 0, 1}, p11[2] = {1, 1};
    const PoolCase cases[] = {
        {"2d k3 s2 p1 odd", 2, 1, 3, {9, 11}, {3, 3}, s2, NULL, p1, PAD_NOTSET, 0},
        {"2d k2 s2", 2, 2, 4, {8, 8}, {2, 2}, s2, NULL, NULL, PAD_NOTSET, 0},
        {"2d asym pads", 2, 1, 2, {7, 6}, {3, 2}, s21, NULL, pa, PAD_NOTSET, 0},
        {"2d dilations", 2, 1, 2, {9, 10}, {2, 3}, NULL, d23, pd, PAD_NOTSET, 0},
        {"2d ceil p1", 2, 1, 1, {6, 7}, {3, 3}, s2, NULL, p1, PAD_NOTSET, 1},
        {"2d ceil asym", 2, 1, 2, {8, 9}, {3, 2}, s3, NULL, pc, PAD_NOTSET, 1},
        {"2d ceil dil", 2, 1, 2, {10, 9}, {2, 3}, s2, d23, pd, PAD_NOTSET, 1},
        {"2d same_upper", 2, 1, 2, {7, 8}, {3, 3}, s2, NULL, NULL, PAD_SAME_UPPER, 0},
        {"2d same_upper k2", 2, 1, 2, {5, 6}, {2, 2}, NULL, NULL, NULL, PAD_SAME_UPPER, 0},
        {"2d same_lower", 2, 1, 2, {10, 7}, {4, 4}, s3, NULL, NULL, PAD_SAME_LOWER, 0},
        {"2d same_lower k2", 2, 1, 2, {5, 6}, {2, 2}, NULL, NULL, NULL, PAD_SAME_LOWER, 0},
        {"2d valid", 2, 1, 2, {9, 8}, {3, 3}, s2, NULL, p1, PAD_VALID, 0},
        {"2d stride > kernel", 2, 1, 2, {11, 10}, {2, 2}, s3, NULL, NULL, PAD_NOTSET, 0},
        {"2d window = input", 2, 2, 3, {7, 7}, {7, 7}, NULL, NULL, NULL, PAD_NOTSET, 0},
        {"2d large", 2, 2, 64, {56, 56}, {3, 3}, s2, NULL, p1, PAD_NOTSET, 0},
        {"1d k3 s2 p", 1, 2, 3, {17}, {3}, s2, NULL, p1d, PAD_NOTSET, 0},
        {"1d ceil", 1, 1, 2, {10}, {4}, s3, NULL, NULL, PAD_NOTSET, 1},
        {"1d ceil overhang", 1, 1, 1, {5}, {2}, s2, NULL, NULL, PAD_NOTSET, 1},
        {"1d ceil pads", 1, 1, 1, {5}, {3}, s2, NULL, p11, PAD_NOTSET, 1},
        {"1d dil same", 1, 1, 2, {11}, {3}, s2, d2, NULL, PAD_SAME_UPPER, 0},
        {"3d pads", 3, 1, 2, {5, 6, 7}, {2, 3, 2}, s212, NULL, p3d, PAD_NOTSET, 0},
        {"3d ceil dil", 3, 1, 2, {7, 6, 8}, {2, 2, 3}, s2, d2, p1, PAD_NOTSET, 1},
        {"3d same_lower", 3, 2, 3, {5, 4, 6}, {3, 2, 3}, s2, NULL, NULL, PAD_SAME_LOWER, 0},
    };
    par_open();
    /* the tables (cpu/table.c, opencl/table.c) hold weak references only, so a static link takes
     * a kernel's object only when something names it: these checks do */
    CHECK(cpu_kernel[OP_MAXPOOL] == cpu_maxpool && ocl_op[OP_MAXPOOL] == ocl_op_maxpool);
    CHECK(cpu_kernel[OP_AVERAGEPOOL] == cpu_averagepool &&
          ocl_op[OP_AVERAGEPOOL] == ocl_op_averagepool);
    CHECK(cpu_kernel[OP_GLOBALAVERAGEPOOL] == cpu_globalaveragepool &&
          ocl_op[OP_GLOBALAVERAGEPOOL] == ocl_op_globalaveragepool);
    CHECK(cpu_kernel[OP_GLOBALMAXPOOL] == cpu_globalmaxpool &&
          ocl_op[OP_GLOBALMAXPOOL] == ocl_op_globalmaxpool);
    CHECK(cpu_kernel[OP_LPPOOL] == cpu_lppool && ocl_op[OP_LPPOOL] == ocl_op_lppool);
    double t0 = now_ms();
    /* every geometry with each pool: average with and without the pads in the divisor, max
     * without and with Indices in both storage orders, Lp with p = 1, 2 and 3 (1 and 2 are
     * the CPU's |x| and x * x, 3 goes through powf) */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        check_pool(&cases[i], OP_AVERAGEPOOL, 0, 0, 0, 2);
        check_pool(&cases[i], OP_AVERAGEPOOL, 1, 0, 0, 2);
        check_pool(&cases[i], OP_MAXPOOL, 0, 0, 0, 2);
        check_pool(&cases[i], OP_MAXPOOL, 0, 1, 0, 2);
        check_pool(&cases[i], OP_MAXPOOL, 0, 1, 1, 2);
        for (int64_t p = 1; p <= 3; p++)
            check_pool(&cases[i], OP_LPPOOL, 0, 0, 0, p);
    }
    double t1 = now_ms();
    check_global(4, (const int64_t[]){2, 5, 7, 9});
    check_global(4, (const int64_t[]){1, 2048, 7, 7});
    check_global(3, (const int64_t[]){2, 3, 3001});
    check_global(5, (const int64_t[]){1, 3, 2, 3, 4});
    check_global(3, (const int64_t[]){1, 4, 100000});
    check_global(2, (const int64_t[]){3, 4});
    check_errors();
    printf("windowed pools %.0f ms, global pools %.0f ms\n", t1 - t0, now_ms() - t1);
    return par_close();
}
