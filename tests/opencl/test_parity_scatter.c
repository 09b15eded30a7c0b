/*
 * test_parity_scatter.c: ScatterElements, ScatterND and GatherND on OpenCL
 * (runtime/opencl/gather.c) against the CPU kernels (runtime/cpu/scatter.c), bit for bit.
 *
 * Reduction none and GatherND run on every fixed-size dtype (element sizes 1 to 16); add, mul,
 * max and min on the 13 numeric dtypes, float data drawn from values with NaN left out (the
 * bits of a NaN may differ from one device to another). Indices are int32 and int64 with
 * negative values and many duplicates, so that the order in which updates of one element apply
 * shows; they are a constant in some checks and only on the device in others. An index out of
 * range is RT_EINPUT, as on the CPU, and leaves the output unwritten.
 */
#include "parity.h"

static uint32_t seed = 777;

static const DType all_dt[] = {DT_F32, DT_U8,  DT_I8,  DT_U16, DT_I16, DT_I32,  DT_I64, DT_BOOL,
                               DT_F16, DT_F64, DT_U32, DT_U64, DT_C64, DT_C128, DT_BF16};
static const DType num_dt[] = {DT_F32,  DT_U8,  DT_I8,  DT_U16, DT_I16, DT_I32, DT_I64,
                               DT_BOOL, DT_F16, DT_F64, DT_U32, DT_U64, DT_BF16};
enum { NDT = sizeof all_dt / sizeof *all_dt, NNUM = sizeof num_dt / sizeof *num_dt };

/* Random contents for dtype dt: random bytes, bool 0 or 1, and for the float dtypes random
 * finite values (float16 and bfloat16 from a few exact ones). */
static RtTensor *
rand_tensor(DType dt, int rank, const int64_t *dim)
{
    static const uint16_t f16[] = {0x0000, 0x3c00, 0xbc00, 0x3800, 0x4000, 0xc000, 0x4400, 0x3555};
    RtTensor *t = kt_new(dt, rank, dim);
    unsigned char *p = t->data;
    for (size_t i = 0; i < par_bytes(t); i++)
        p[i] = (unsigned char)(kt_rand(&seed) >> 11);
    for (int64_t i = 0; i < rt_numel(t); i++) {
        float f = (float)((int)(kt_rand(&seed) % 2001) - 1000) / 257.0f;
        double df = f * 1.0000001;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        uint16_t h = dt == DT_BF16 ? (uint16_t)(bits >> 16) : f16[kt_rand(&seed) % 8];
        switch (dt) {
        case DT_BOOL: p[i] &= 1; break;
        case DT_F32: memcpy(p + 4 * i, &f, 4); break;
        case DT_F64: memcpy(p + 8 * i, &df, 8); break;
        case DT_F16:
        case DT_BF16: memcpy(p + 2 * i, &h, 2); break;
        default: break;
        }
    }
    return t;
}

/* ---- ScatterElements ------------------------------------------------------------------------- */

static void
scatelt_check(int c, DType dt, DType it, int r, const int64_t *xd, const int64_t *id, int64_t axis,
              ScatterRed red)
{
    int64_t ax = axis < 0 ? axis + r : axis;
    RtTensor *x = rand_tensor(dt, r, xd), *u = rand_tensor(dt, r, id);
    RtTensor *idx = kt_indices(it, r, id, &xd[ax], 1, &seed), *y = kt_new(dt, r, xd);
    RtTensor *in[3] = {x, idx, u};
    Attr a = {.axis = {.axis = axis, .reduction = red}};
    char name[128];
    snprintf(name, sizeof name, "ScatterElements case %d dtype %d %s reduction %d", c, dt,
             it == DT_I32 ? "int32" : "int64", red);
    CHECK(par_check(name, OP_SCATTERELEMENTS, &a, in, 3, &y, 1, (c + (int)dt) % 2 ? 2u : 0u, 0, 0));
    kt_free(x), kt_free(u), kt_free(idx), kt_free(y);
}

static void
test_scatterelements(void)
{
    static const struct {
        int r;
        int64_t xd[4], id[4], axis;
    } cases[] = {
        {3, {4, 5, 3}, {4, 7, 3}, 1},        {3, {4, 5, 3}, {2, 5, 3}, 0},
        {2, {40, 37}, {40, 50}, 1},          {1, {10}, {30}, 0},
        {4, {2, 3, 4, 5}, {2, 3, 6, 5}, -2}, {3, {4, 5, 3}, {3, 2, 2}, -1},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof *cases); c++) {
        for (int t = 0; t < NDT; t++)
            for (int it = 0; it < 2; it++)
                scatelt_check(c, all_dt[t], it ? DT_I32 : DT_I64, cases[c].r, cases[c].xd,
                              cases[c].id, cases[c].axis, SCR_NONE);
        for (int red = SCR_ADD; red <= SCR_MIN; red++)
            for (int t = 0; t < NNUM; t++)
                scatelt_check(c, num_dt[t], t % 2 ? DT_I32 : DT_I64, cases[c].r, cases[c].xd,
                              cases[c].id, cases[c].axis, (ScatterRed)red);
    }
}

/* ---- ScatterND ------------------------------------------------------------------------------- */

static void
scatnd_check(int c, DType dt, DType it, int r, const int64_t *xd, int q, const int64_t *id,
             ScatterRed red)
{
    int64_t k = id[q - 1], ud[RT_MAXRANK];
    int ur = 0;
    for (int i = 0; i < q - 1; i++)
        ud[ur++] = id[i];
    for (int64_t i = k; i < r; i++)
        ud[ur++] = xd[i];
    RtTensor *x = rand_tensor(dt, r, xd), *u = rand_tensor(dt, ur, ud);
    RtTensor *idx = kt_indices(it, q, id, xd, k > 0 ? k : 1, &seed), *y = kt_new(dt, r, xd);
    RtTensor *in[3] = {x, idx, u};
    Attr a = {.axis = {.reduction = red}};
    char name[128];
    snprintf(name, sizeof name, "ScatterND case %d dtype %d %s reduction %d", c, dt,
             it == DT_I32 ? "int32" : "int64", red);
    CHECK(par_check(name, OP_SCATTERND, &a, in, 3, &y, 1, (c + (int)dt) % 2 ? 2u : 0u, 0, 0));
    kt_free(x), kt_free(u), kt_free(idx), kt_free(y);
}

static void
test_scatternd(void)
{
    static const struct {
        int r, q;
        int64_t xd[3], id[3];
    } cases[] = {
        {3, 2, {4, 5, 6}, {3, 1}}, {3, 2, {4, 5, 6}, {7, 2}}, {3, 3, {4, 5, 6}, {2, 3, 3}},
        {1, 2, {8}, {12, 1}},      {2, 2, {4, 5}, {2, 0}},    {2, 2, {64, 300}, {50, 1}},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof *cases); c++) {
        for (int t = 0; t < NDT; t++)
            for (int it = 0; it < 2; it++)
                scatnd_check(c, all_dt[t], it ? DT_I32 : DT_I64, cases[c].r, cases[c].xd,
                             cases[c].q, cases[c].id, SCR_NONE);
        for (int red = SCR_ADD; red <= SCR_MIN; red++)
            for (int t = 0; t < NNUM; t++)
                scatnd_check(c, num_dt[t], t % 2 ? DT_I32 : DT_I64, cases[c].r, cases[c].xd,
                             cases[c].q, cases[c].id, (ScatterRed)red);
    }
}

/* ---- GatherND -------------------------------------------------------------------------------- */

static void
test_gathernd(void)
{
    static const struct {
        int r, q;
        int64_t xd[4], id[4], b;
    } cases[] = {
        {3, 2, {4, 5, 6}, {3, 2}, 0},       {3, 3, {4, 5, 6}, {4, 3, 1}, 1},
        {4, 3, {2, 3, 4, 5}, {2, 3, 2}, 2}, {3, 3, {4, 5, 6}, {2, 2, 3}, 0},
        {2, 2, {300, 200}, {500, 1}, 0},    {4, 4, {2, 3, 4, 5}, {2, 3, 7, 1}, 1},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof *cases); c++) {
        int64_t k = cases[c].id[cases[c].q - 1], b = cases[c].b, yd[RT_MAXRANK];
        int yr = 0;
        for (int i = 0; i < cases[c].q - 1; i++)
            yd[yr++] = cases[c].id[i];
        for (int64_t i = b + k; i < cases[c].r; i++)
            yd[yr++] = cases[c].xd[i];
        for (int t = 0; t < NDT; t++) {
            DType it = (c + t) % 2 ? DT_I32 : DT_I64;
            RtTensor *x = rand_tensor(all_dt[t], cases[c].r, cases[c].xd);
            RtTensor *idx = kt_indices(it, cases[c].q, cases[c].id, cases[c].xd + b, k, &seed);
            RtTensor *y = kt_new(all_dt[t], yr, yd), *in[2] = {x, idx};
            Attr a = {.mode = {.mode = b}};
            char name[96];
            snprintf(name, sizeof name, "GatherND case %d dtype %d", c, all_dt[t]);
            CHECK(par_check(name, OP_GATHERND, &a, in, 2, &y, 1, t % 2 ? 2u : 0u, 0, 0));
            kt_free(x), kt_free(idx), kt_free(y);
        }
    }
}

/* ---- indices out of range -------------------------------------------------------------------- */

/* Each op on data [4, 3] with one index out of range, the indices a constant or only on the
 * device: RT_EINPUT, and the output's bytes as they were. */
static void
test_bad_indices(void)
{
    static const OpKind ops[] = {OP_SCATTERELEMENTS, OP_SCATTERND, OP_GATHERND};
    int64_t xd[2] = {4, 3};
    unsigned char fill[48], back[48];
    memset(fill, 0x5a, sizeof fill);
    for (int o = 0; o < 3; o++) {
        for (int cst = 0; cst < 2; cst++) {
            for (int v = 0; v < 2; v++) {
                /* ScatterElements on axis 1 by [4, 3]; the ND ops by [4, 1] (rows) */
                int64_t id[2] = {4, o == 0 ? 3 : 1}, bad = o == 0 ? (v ? 3 : -4) : (v ? 4 : -5);
                RtTensor *idx = kt_indices(DT_I64, 2, id, o == 0 ? &xd[1] : xd, 1, &seed);
                ((int64_t *)idx->data)[2] = bad;
                OclBuf *buf = NULL;
                CHECK(ocl_buf_new(par_dev, 512, &buf) == RT_OK);
                CHECK(ocl_buf_write(par_dev, buf, 8, idx->data, par_bytes(idx)) == RT_OK);
                CHECK(ocl_buf_write(par_dev, buf, 256, fill, sizeof fill) == RT_OK);
                OclTensor dx = {.mem = buf->mem, .off = 128, .dt = DT_F32, .rank = 2};
                OclTensor di = {.mem = buf->mem, .off = 8, .dt = DT_I64, .rank = 2};
                OclTensor du = {.mem = buf->mem, .off = 192, .dt = DT_F32, .rank = 2};
                OclTensor dy = {.mem = buf->mem, .off = 256, .dt = DT_F32, .rank = 2};
                memcpy(dx.dim, xd, sizeof xd);
                memcpy(di.dim, id, sizeof id);
                memcpy(du.dim, o == 0 ? id : xd, sizeof xd);
                memcpy(dy.dim, xd, sizeof xd);
                di.host = cst ? idx->data : NULL;
                Attr a = {.axis = {.axis = 1}};
                if (o == 2)
                    a = (Attr){.mode = {.mode = 0}};
                OclTensor *in[3] = {&dx, &di, &du}, *out[1] = {&dy};
                int st = ocl_op[ops[o]](par_dev, &a, in, o == 2 ? 2 : 3, out, 1);
                CHECK(st == RT_EINPUT);
                CHECK(ocl_finish(par_dev) == RT_OK);
                CHECK(ocl_buf_read(par_dev, buf, 256, back, sizeof back) == RT_OK);
                CHECK(memcmp(back, fill, sizeof fill) == 0);
                if (st != RT_EINPUT)
                    fprintf(stderr, "bad index op %d const %d: status %d\n", ops[o], cst, st);
                ocl_buf_free(par_dev, buf);
                kt_free(idx);
            }
        }
    }
}

int
main(void)
{
    par_open();
    test_scatterelements();
    test_scatternd();
    test_gathernd();
    test_bad_indices();
    return par_close();
}
