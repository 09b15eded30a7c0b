/*
 * test_parity_gather.c: Gather, GatherElements, Cast, CastLike, Range, ConstantOfShape, Shape
 * and Size on OpenCL (runtime/opencl/gather.c, cast.c, generate.c) against the CPU kernels.
 *
 * Gather and GatherElements run on every fixed-size dtype (element sizes 1 to 16), int32 and
 * int64 indices with negative values, several axes (negative ones too), scalar indices, indices
 * as a constant and only on the device; out-of-range indices must be RT_EINPUT as on the CPU.
 * Cast runs every pair of the 13 numeric dtypes on values made to hit the conversions' edges
 * (ties, overflow, NaN, infinities, subnormals, 2^63 and 2^64, int64s that round twice through
 * double) and on random bits; every output must equal the CPU's bit for bit (float32 outputs
 * too: tolerance 0). The generators run with constant and device-only operands.
 */
#include "parity.h"

static uint32_t seed = 12345;

/* A tensor of dtype dt and shape dim with random bytes. */
static RtTensor *
rand_tensor(DType dt, int rank, const int64_t *dim)
{
    RtTensor *t = kt_new(dt, rank, dim);
    unsigned char *p = t->data;
    for (size_t i = 0; i < par_bytes(t); i++)
        p[i] = (unsigned char)(kt_rand(&seed) >> 11);
    return t;
}

/* An index tensor of shape dim with values in [-n, n). */
static RtTensor *
rand_indices(DType dt, int rank, const int64_t *dim, int64_t n)
{
    RtTensor *t = kt_new(dt, rank, dim);
    for (int64_t i = 0; i < rt_numel(t); i++) {
        int64_t v = (int64_t)(kt_rand(&seed) % (uint32_t)(2 * n)) - n;
        if (dt == DT_I32)
            ((int32_t *)t->data)[i] = (int32_t)v;
        else
            ((int64_t *)t->data)[i] = v;
    }
    return t;
}

static const DType all_dt[] = {DT_F32, DT_U8,  DT_I8,  DT_U16, DT_I16, DT_I32,  DT_I64, DT_BOOL,
                               DT_F16, DT_F64, DT_U32, DT_U64, DT_C64, DT_C128, DT_BF16};
enum { NDT = sizeof all_dt / sizeof all_dt[0] };

/* ---- Gather and GatherElements --------------------------------------------------------------- */

typedef struct GCase {
    int rx;
    int64_t xd[4];
    int ri;
    int64_t id[4];
    int64_t axis;
} GCase;

static void
test_gather(void)
{
    static const GCase cases[] = {
        {3, {3, 5, 4}, 2, {2, 3}, 1}, {3, {3, 5, 4}, 1, {7}, 0}, {3, {3, 5, 4}, 2, {2, 2}, -1},
        {2, {6, 3}, 0, {0}, 0},       {1, {9}, 2, {3, 4}, 0},    {4, {2, 3, 4, 5}, 1, {6}, 2},
        {2, {64, 33}, 2, {2, 50}, 0}, {2, {5, 7}, 1, {0}, 1},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof *cases); c++) {
        const GCase *g = &cases[c];
        int64_t ax = g->axis < 0 ? g->axis + g->rx : g->axis, yd[8];
        int ry = 0;
        for (int i = 0; i < g->rx; i++) {
            if (i != ax) {
                yd[ry++] = g->xd[i];
                continue;
            }
            for (int k = 0; k < g->ri; k++)
                yd[ry++] = g->id[k];
        }
        for (int t = 0; t < NDT; t++) {
            for (int it = 0; it < 2; it++) {
                DType idt = it ? DT_I32 : DT_I64;
                RtTensor *x = rand_tensor(all_dt[t], g->rx, g->xd);
                RtTensor *idx = rand_indices(idt, g->ri, g->id, g->xd[ax]);
                RtTensor *y = kt_new(all_dt[t], ry, yd);
                RtTensor *in[2] = {x, idx};
                Attr a = {.axis = {.axis = g->axis}};
                char name[96];
                snprintf(name, sizeof name, "Gather case %d dtype %d %s", c, all_dt[t],
                         it ? "int32" : "int64");
                par_check(name, OP_GATHER, &a, in, 2, &y, 1, (c + t) % 2 ? 2u : 0u, 0, 0);
                kt_free(x), kt_free(idx), kt_free(y);
            }
        }
    }
}

static void
test_gatherelements(void)
{
    static const GCase cases[] = {
        {3, {4, 5, 3}, 3, {4, 2, 3}, 1},  {3, {4, 5, 3}, 3, {2, 5, 3}, 0},
        {3, {4, 5, 3}, 3, {3, 5, 7}, -1}, {1, {10}, 1, {13}, 0},
        {2, {40, 37}, 2, {40, 50}, 1},    {4, {2, 3, 4, 5}, 4, {2, 2, 6, 3}, -2},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof *cases); c++) {
        const GCase *g = &cases[c];
        int64_t ax = g->axis < 0 ? g->axis + g->rx : g->axis;
        for (int t = 0; t < NDT; t++) {
            for (int it = 0; it < 2; it++) {
                DType idt = it ? DT_I32 : DT_I64;
                RtTensor *x = rand_tensor(all_dt[t], g->rx, g->xd);
                RtTensor *idx = rand_indices(idt, g->ri, g->id, g->xd[ax]);
                RtTensor *y = kt_new(all_dt[t], g->ri, g->id);
                RtTensor *in[2] = {x, idx};
                Attr a = {.axis = {.axis = g->axis}};
                char name[96];
                snprintf(name, sizeof name, "GatherElements case %d dtype %d %s", c, all_dt[t],
                         it ? "int32" : "int64");
                par_check(name, OP_GATHERELEMENTS, &a, in, 2, &y, 1, (c + t) % 2 ? 2u : 0u, 0, 0);
                kt_free(x), kt_free(idx), kt_free(y);
            }
        }
    }
}

/* An index out of range is RT_EINPUT, whether the indices are a constant or on the device. */
static void
test_bad_indices(void)
{
    int64_t xd[2] = {4, 3}, id[2] = {2, 3};
    for (int op = 0; op < 2; op++) {
        for (int cst = 0; cst < 2; cst++) {
            for (int v = 0; v < 2; v++) {
                RtTensor *x = rand_tensor(DT_F32, 2, xd);
                RtTensor *idx = rand_indices(DT_I64, 2, id, 3);
                ((int64_t *)idx->data)[4] = v ? 3 : -4; /* axis 1 has 3 */
                OclBuf *buf = NULL;
                CHECK(ocl_buf_new(par_dev, 256, &buf) == RT_OK);
                CHECK(ocl_buf_write(par_dev, buf, 8, idx->data, 48) == RT_OK);
                OclTensor dx = {.mem = buf->mem, .off = 64, .dt = DT_F32, .rank = 2};
                OclTensor di = {.mem = buf->mem, .off = 8, .dt = DT_I64, .rank = 2};
                OclTensor dy = {.mem = buf->mem, .off = 128, .dt = DT_F32, .rank = 2};
                memcpy(dx.dim, xd, sizeof xd);
                memcpy(di.dim, id, sizeof id);
                memcpy(dy.dim, xd, sizeof xd);
                if (op == 0) { /* Gather on axis 1 of [4, 3] by [2, 3]: [4, 2, 3] */
                    dy.rank = 3;
                    dy.dim[1] = 2, dy.dim[2] = 3;
                } else {
                    memcpy(dy.dim, id, sizeof id);
                }
                di.host = cst ? idx->data : NULL;
                Attr a = {.axis = {.axis = 1}};
                OclTensor *in[2] = {&dx, &di}, *out[1] = {&dy};
                int st = ocl_op[op ? OP_GATHERELEMENTS : OP_GATHER](par_dev, &a, in, 2, out, 1);
                CHECK(st == RT_EINPUT);
                if (st != RT_EINPUT)
                    fprintf(stderr, "bad index op %d const %d: status %d\n", op, cst, st);
                ocl_buf_free(par_dev, buf);
                kt_free(x), kt_free(idx);
            }
        }
    }
}

/* ---- Cast ------------------------------------------------------------------------------------ */

static const DType num_dt[] = {DT_F32,  DT_U8,  DT_I8,  DT_U16, DT_I16, DT_I32, DT_I64,
                               DT_BOOL, DT_F16, DT_F64, DT_U32, DT_U64, DT_BF16};
enum { NNUM = sizeof num_dt / sizeof num_dt[0] };

/* A source tensor of dtype dt: the edge values below converted to dt by the CPU, then random
 * bits. */
static RtTensor *
cast_source(DType dt, int64_t n)
{
    static const double fv[] = {
        0,
        -0.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        255.9,
        256,
        -129,
        127.5,
        65504,
        65519,
        65520,
        1e10,
        -1e10,
        3e38,
        -3.4e38,
        1e300,
        INFINITY,
        -INFINITY,
        NAN,
        9223372036854775808.0,
        -9223372036854775808.0,
        18446744073709551616.0,
        1.3835058055282164e19,
        1e-40,
        -1e-45,
        3e-6,
        6.1e-5,
        -6.0e-8,
        2.98e-8,
        1e-310,
        4294967295.5,
        2147483648.0,
        -2147483649.0,
        0.333333333333,
        16777217.0,
        1.00000005960464477539,
    };
    static const int64_t iv[] = {
        0,
        1,
        -1,
        127,
        128,
        -128,
        -129,
        255,
        256,
        32767,
        32768,
        -32769,
        65535,
        65536,
        2147483647,
        -2147483647 - 1,
        4294967295LL,
        4294967296LL,
        9007199254740993LL,
        (1LL << 60) + (1LL << 36) + 1,
        (1LL << 62) + (1LL << 38) + (1LL << 9),
        INT64_MAX,
        INT64_MIN,
        -(1LL << 55) - (1LL << 31) - 1,
        16777217,
        2049,
        65520,
        (1LL << 40) + 3,
    };
    RtTensor *t = rand_tensor(dt, 1, &n);
    int nf = (int)(sizeof fv / sizeof *fv), ni = (int)(sizeof iv / sizeof *iv);
    int64_t m = nf + ni, one = 1;
    RtTensor *f = kt_new(DT_F64, 1, &m), *i = kt_new(DT_I64, 1, &m), *o = kt_new(dt, 1, &m);
    memcpy(f->data, fv, sizeof fv);
    memcpy(i->data, iv, sizeof iv);
    Attr a = {.cast = {.to = dt}};
    RtTensor *src[1] = {f};
    /* floats from the double list, integers from the int64 list, then the other way */
    int isf = dt == DT_F32 || dt == DT_F64 || dt == DT_F16 || dt == DT_BF16;
    f->dim[0] = isf ? nf : ni;
    src[0] = isf ? f : i;
    o->dim[0] = src[0]->dim[0];
    CHECK(cpu_cast(par_ctx, &a, src, 1, &o, 1) == RT_OK);
    memcpy(t->data, o->data, par_bytes(o));
    (void)one;
    kt_free(f), kt_free(i), kt_free(o);
    return t;
}

static void
test_cast(void)
{
    int64_t n = 1000, one = 1;
    for (int s = 0; s < NNUM; s++) {
        RtTensor *x = cast_source(num_dt[s], n);
        for (int t = 0; t < NNUM; t++) {
            RtTensor *y = kt_new(num_dt[t], 1, &n), *like = kt_new(num_dt[t], 1, &one);
            Attr a = {.cast = {.to = num_dt[t]}};
            char name[96];
            snprintf(name, sizeof name, "Cast %d to %d", num_dt[s], num_dt[t]);
            RtTensor *in[2] = {x, like};
            par_check(name, OP_CAST, &a, in, 1, &y, 1, 0, 0, 0);
            if (t % 4 == s % 4) {
                snprintf(name, sizeof name, "CastLike %d to %d", num_dt[s], num_dt[t]);
                par_check(name, OP_CASTLIKE, &a, in, 2, &y, 1, 2u, 0, 0);
            }
            kt_free(y), kt_free(like);
        }
        kt_free(x);
    }
    /* a larger one, many work-groups: float32 to float16 and back, on a 3-D shape */
    int64_t d3[3] = {7, 129, 131};
    RtTensor *x = kt_new(DT_F32, 3, d3), *h = kt_new(DT_F16, 3, d3);
    kt_fill(x, 99, -70000, 70000);
    Attr a = {.cast = {.to = DT_F16}};
    par_check("Cast float32 to float16 large", OP_CAST, &a, &x, 1, &h, 1, 0, 0, 0);
    kt_free(x), kt_free(h);
}

/* ---- Range, ConstantOfShape, Shape, Size ----------------------------------------------------- */

static RtTensor *
scalar(DType dt, double v)
{
    RtTensor *t = kt_new(dt, 0, NULL);
    int64_t one = 1;
    RtTensor *f = kt_new(DT_F64, 1, &one), *src[1] = {f};
    ((double *)f->data)[0] = v;
    Attr a = {.cast = {.to = dt}};
    t->dim[0] = 1;
    t->rank = 1;
    CHECK(cpu_cast(par_ctx, &a, src, 1, &t, 1) == RT_OK);
    t->rank = 0;
    kt_free(f);
    return t;
}

static void
test_range(void)
{
    static const DType dts[] = {DT_F32, DT_F64, DT_I8,  DT_U8, DT_I16,
                                DT_U16, DT_I32, DT_U32, DT_I64};
    static const double args[][3] = {{0, 10, 1}, {3, -7, -2},  {1.5, 9.25, 0.75},
                                     {5, 5, 1},  {-3, 100, 7}, {0.1, 1.0, 0.1}};
    for (int t = 0; t < (int)(sizeof dts / sizeof *dts); t++) {
        int isf = dts[t] == DT_F32 || dts[t] == DT_F64;
        for (int c = 0; c < (int)(sizeof args / sizeof *args); c++) {
            const double *v = args[c];
            int uns = dts[t] == DT_U8 || dts[t] == DT_U16 || dts[t] == DT_U32;
            if ((!isf && (v[0] != floor(v[0]) || v[2] != floor(v[2]))) ||
                (uns && (v[0] < 0 || v[1] < 0 || v[2] < 0)))
                continue;
            RtTensor *in[3] = {scalar(dts[t], v[0]), scalar(dts[t], v[1]), scalar(dts[t], v[2])};
            double s = isf ? v[0] : floor(v[0]), l = isf ? v[1] : floor(v[1]);
            int64_t n = (int64_t)ceil((l - s) / v[2]);
            n = n < 0 ? 0 : n;
            RtTensor *y = kt_new(dts[t], 1, &n);
            Attr a = {0};
            char name[64];
            snprintf(name, sizeof name, "Range dtype %d case %d", dts[t], c);
            par_check(name, OP_RANGE, &a, in, 3, &y, 1, c % 2 ? 7u : 0u, 0, 0);
            kt_free(in[0]), kt_free(in[1]), kt_free(in[2]), kt_free(y);
        }
    }
}

static void
test_constantofshape(void)
{
    int64_t dim[3] = {3, 7, 5}, sd = 3;
    for (int t = 0; t < NDT; t++) {
        for (int given = 0; given < 2; given++) {
            RtTensor *shape = kt_new(DT_I64, 1, &sd), *y = kt_new(all_dt[t], 3, dim);
            memcpy(shape->data, dim, sizeof dim);
            Attr a = {.cst = {.dt = given ? all_dt[t] : DT_UNDEF, .f = -2.75, .i = -3}};
            char name[64];
            snprintf(name, sizeof name, "ConstantOfShape dtype %d %s", all_dt[t],
                     given ? "value" : "zero");
            par_check(name, OP_CONSTANTOFSHAPE, &a, &shape, 1, &y, 1, 1u, 0, 0);
            /* an omitted second input moves the output to an odd multiple of 8 bytes, which a
             * fill of 16-byte elements cannot start at */
            RtTensor *in2[2] = {shape, NULL};
            par_check(name, OP_CONSTANTOFSHAPE, &a, in2, 2, &y, 1, 1u, 0, 0);
            kt_free(shape), kt_free(y);
        }
    }
}

static void
test_shape_size(void)
{
    int64_t dim[4] = {2, 3, 5, 7};
    static const int64_t starts[] = {0, 1, -2, -9, 3, 6};
    for (int c = 0; c < (int)(sizeof starts / sizeof *starts); c++) {
        int64_t s = starts[c] < 0 ? starts[c] + 4 : starts[c];
        s = s < 0 ? 0 : s > 4 ? 4 : s;
        int64_t n = 4 - s;
        RtTensor *x = rand_tensor(DT_F32, 4, dim), *y = kt_new(DT_I64, 1, &n);
        Attr a = {.shape = {.start = starts[c]}};
        char name[64];
        snprintf(name, sizeof name, "Shape start %lld", (long long)starts[c]);
        par_check(name, OP_SHAPE, &a, &x, 1, &y, 1, 0, 0, 0);
        kt_free(x), kt_free(y);
    }
    for (int r = 0; r < 4; r++) {
        RtTensor *x = rand_tensor(DT_U8, r, dim), *y = kt_new(DT_I64, 0, NULL);
        Attr a = {0};
        par_check("Size", OP_SIZE, &a, &x, 1, &y, 1, 0, 0, 0);
        kt_free(x), kt_free(y);
    }
}

int
main(void)
{
    par_open();
    test_gather();
    test_gatherelements();
    test_bad_indices();
    test_cast();
    test_range();
    test_constantofshape();
    test_shape_size();
    return par_close();
}
