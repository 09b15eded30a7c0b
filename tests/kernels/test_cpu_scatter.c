/*
 * test_cpu_scatter.c: ScatterElements, ScatterND and GatherND (runtime/cpu/scatter.c) against
 * naive references written from the ONNX spec. The scatter references copy the data, then visit
 * the indices one by one in C order and combine each update into the element it names, so that
 * duplicate indices must come out applied in that order (as ONNX Runtime applies them); the
 * GatherND reference works out, for every output element, the data element it reads.
 *
 * Reduction none moves bytes, and runs on element sizes 1, 2, 4, 8 and 16; add, mul, max and min
 * run on float32, float64, bfloat16 (values whose sums and products are exact), int32, uint8
 * (wrapping), uint64 (unsigned compares) and bool. Indices are int32 and int64 with negative
 * values, on every axis; every case runs on 1 and 2 threads, and a large one of each op splits
 * its work there. An index out of range is RT_EINPUT and leaves the output unwritten.
 */
#include "../kernels/ktest.h"

#include <stdint.h>

static RtCtx *ctx1, *ctx2;
static uint32_t seed = 4242;

static size_t
nbytes(const RtTensor *t)
{
    return (size_t)rt_numel(t) * rt_dtype_size(t->dt);
}

/* Random contents for dtype dt: bytes, but 0 or 1 for bool, and for the float dtypes values
 * in a small set when the kernel will compute with them (sums and products stay exact in
 * bfloat16; float32 and float64 are rounded alike by kernel and reference). */
static RtTensor *
rand_tensor(DType dt, int rank, const int64_t *dim, int arith)
{
    static const float vals[] = {-2.0f, -1.0f, -0.5f, 0.5f, 1.0f, 2.0f, 0.0f, 4.0f};
    RtTensor *t = kt_new(dt, rank, dim);
    unsigned char *p = t->data;
    for (int64_t i = 0; i < rt_numel(t); i++) {
        size_t es = rt_dtype_size(dt);
        for (size_t b = 0; b < es; b++)
            p[(size_t)i * es + b] = (unsigned char)(kt_rand(&seed) >> 24);
        float f = vals[kt_rand(&seed) % 8];
        double df = f;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        uint16_t h = (uint16_t)(bits >> 16);
        if (dt == DT_BOOL)
            p[i] &= 1;
        else if (arith && dt == DT_F32)
            memcpy(p + 4 * i, &f, 4);
        else if (arith && dt == DT_F64)
            memcpy(p + 8 * i, &df, 8);
        else if (arith && dt == DT_BF16)
            memcpy(p + 2 * i, &h, 2);
    }
    return t;
}

static int64_t
index_at(const RtTensor *t, int64_t i)
{
    return t->dt == DT_I32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

static void
set_index(RtTensor *t, int64_t i, int64_t v)
{
    if (t->dt == DT_I32)
        ((int32_t *)t->data)[i] = (int32_t)v;
    else
        ((int64_t *)t->data)[i] = v;
}

/* y op= u for one element, as the spec's reduction says, per dtype: add and mul wrap integers
 * (computed unsigned), max keeps y unless y > u fails, bool adds as or and multiplies as and. */
#define COMB(T, UT)                                                                                \
    do {                                                                                           \
        T a, b;                                                                                    \
        memcpy(&a, y, sizeof a);                                                                   \
        memcpy(&b, u, sizeof b);                                                                   \
        a = red == SCR_ADD   ? (T)((UT)a + (UT)b)                                                  \
            : red == SCR_MUL ? (T)((UT)a * (UT)b)                                                  \
            : red == SCR_MAX ? (a > b ? a : b)                                                     \
                             : (a < b ? a : b);                                                    \
        memcpy(y, &a, sizeof a);                                                                   \
    } while (0)

static void
ref_combine(DType dt, void *y, const void *u, ScatterRed red)
{
    if (red == SCR_NONE) {
        memcpy(y, u, rt_dtype_size(dt));
        return;
    }
    switch (dt) {
    case DT_F32: COMB(float, float); break;
    case DT_F64: COMB(double, double); break;
    case DT_I32: COMB(int32_t, uint32_t); break;
    case DT_U8: COMB(uint8_t, unsigned); break;
    case DT_U64: COMB(uint64_t, uint64_t); break;
    case DT_BOOL: {
        unsigned char *a = y;
        const unsigned char *b = u;
        *a = red == SCR_ADD || red == SCR_MAX ? (*a | *b) : (*a & *b);
        break;
    }
    case DT_BF16: { /* the values stay exact, so float arithmetic truncated back is exact */
        uint16_t ha, hb;
        memcpy(&ha, y, 2);
        memcpy(&hb, u, 2);
        uint32_t ba = (uint32_t)ha << 16, bb = (uint32_t)hb << 16;
        float a, b;
        memcpy(&a, &ba, 4);
        memcpy(&b, &bb, 4);
        a = red == SCR_ADD   ? a + b
            : red == SCR_MUL ? a * b
            : red == SCR_MAX ? (a > b ? a : b)
                             : (a < b ? a : b);
        memcpy(&ba, &a, 4);
        ha = (uint16_t)(ba >> 16);
        memcpy(y, &ha, 2);
        break;
    }
    default: CHECK(!"a reduction dtype the reference lacks"); break;
    }
}

/* Runs kernel k on 1 and 2 threads and compares the output with want byte for byte; outputs
 * are pre-filled so that unwritten bytes show. */
static void
run_case(const char *what, RtKernel k, const Attr *a, RtTensor *const *in, int nin, RtTensor *y,
         const RtTensor *want)
{
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int t = 0; t < 2; t++) {
        memset(y->data, 0xa5, nbytes(y));
        int st = k(ctxs[t], a, in, nin, &y, 1);
        CHECK(st == RT_OK);
        if (st != RT_OK) {
            fprintf(stderr, "%s: %s\n", what, rt_ctx_error(ctxs[t]));
            continue;
        }
        int same = memcmp(want->data, y->data, nbytes(want)) == 0;
        CHECK(same);
        if (!same)
            fprintf(stderr, "%s (%d thread%s): output differs from the reference\n", what, t + 1,
                    t ? "s" : "");
    }
}

/* An index out of range: RT_EINPUT, and the output left as it was. */
static void
run_bad(const char *what, RtKernel k, const Attr *a, RtTensor *const *in, int nin, RtTensor *y)
{
    memset(y->data, 0xa5, nbytes(y));
    int st = k(ctx2, a, in, nin, &y, 1);
    CHECK(st == RT_EINPUT);
    int untouched = 1;
    for (size_t i = 0; i < nbytes(y); i++)
        untouched &= ((unsigned char *)y->data)[i] == 0xa5;
    CHECK(untouched);
    if (st != RT_EINPUT || !untouched)
        fprintf(stderr, "%s: status %d, output %s\n", what, st,
                untouched ? "untouched" : "written");
}

static const DType move_dt[] = {DT_U8, DT_F16, DT_F32, DT_I64, DT_C128};
static const DType red_dt[] = {DT_F32, DT_F64, DT_BF16, DT_I32, DT_U8, DT_U64, DT_BOOL};
enum { NMOVE = sizeof move_dt / sizeof *move_dt, NRED = sizeof red_dt / sizeof *red_dt };

/* ---- ScatterElements ------------------------------------------------------------------------- */

static void
scatelt_case(DType dt, DType it, int r, const int64_t *xd, int64_t axis, const int64_t *id,
             ScatterRed red)
{
    int ax = (int)(axis < 0 ? axis + r : axis);
    size_t es = rt_dtype_size(dt);
    RtTensor *x = rand_tensor(dt, r, xd, red != SCR_NONE), *u = rand_tensor(dt, r, id, 1);
    RtTensor *idx = kt_indices(it, r, id, &xd[ax], 1, &seed);
    RtTensor *y = kt_new(dt, r, xd), *want = kt_new(dt, r, xd);
    memcpy(want->data, x->data, nbytes(x));
    for (int64_t i = 0; i < rt_numel(idx); i++) {
        int64_t m[RT_MAXRANK], rem = i, off = 0;
        for (int j = r - 1; j >= 0; j--) {
            m[j] = rem % id[j];
            rem /= id[j];
        }
        int64_t v = index_at(idx, i);
        m[ax] = v < 0 ? v + xd[ax] : v;
        for (int j = 0; j < r; j++)
            off = off * xd[j] + m[j];
        ref_combine(dt, (char *)want->data + (size_t)off * es, (char *)u->data + (size_t)i * es,
                    red);
    }
    Attr a = {.axis = {.axis = axis, .reduction = red}};
    RtTensor *in[3] = {x, idx, u};
    char what[128];
    snprintf(what, sizeof what, "ScatterElements dtype %d rank %d axis %lld reduction %d", dt, r,
             (long long)axis, red);
    run_case(what, cpu_scatterelements, &a, in, 3, y, want);
    if (rt_numel(idx) > 0) {
        set_index(idx, rt_numel(idx) - 1, xd[ax]);
        run_bad(what, cpu_scatterelements, &a, in, 3, y);
        set_index(idx, 0, -xd[ax] - 1);
        run_bad(what, cpu_scatterelements, &a, in, 3, y);
    }
    kt_free(x), kt_free(u), kt_free(idx), kt_free(y), kt_free(want);
}

static void
test_scatterelements(void)
{
    static const struct {
        int r;
        int64_t xd[3], id[3], axis;
    } cases[] = {
        {3, {4, 5, 3}, {2, 5, 3}, 0}, {3, {4, 5, 3}, {4, 7, 3}, 1}, {3, {4, 5, 3}, {3, 2, 2}, -1},
        {1, {10}, {30}, 0},           {2, {3, 3}, {0, 3}, 0},       {2, {6, 4}, {6, 4}, -2},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof *cases); c++) {
        for (int t = 0; t < NMOVE; t++)
            scatelt_case(move_dt[t], c % 2 ? DT_I32 : DT_I64, cases[c].r, cases[c].xd,
                         cases[c].axis, cases[c].id, SCR_NONE);
        for (int red = SCR_ADD; red <= SCR_MIN; red++)
            for (int t = 0; t < NRED; t++)
                scatelt_case(red_dt[t], (c + t) % 2 ? DT_I32 : DT_I64, cases[c].r, cases[c].xd,
                             cases[c].axis, cases[c].id, (ScatterRed)red);
    }
    /* large enough that 2 threads split the fibres */
    int64_t xd[2] = {64, 300}, id[2] = {64, 600};
    scatelt_case(DT_F32, DT_I64, 2, xd, 1, id, SCR_NONE);
    scatelt_case(DT_F32, DT_I64, 2, xd, 1, id, SCR_ADD);
}

/* ---- ScatterND ------------------------------------------------------------------------------- */

static void
scatnd_case(DType dt, DType it, int r, const int64_t *xd, int q, const int64_t *id, ScatterRed red)
{
    int64_t k = id[q - 1], ntup = 1, slice = 1, ud[RT_MAXRANK];
    int ur = 0;
    size_t es = rt_dtype_size(dt);
    for (int i = 0; i < q - 1; i++)
        ntup *= ud[ur++] = id[i];
    for (int64_t i = k; i < r; i++)
        slice *= ud[ur++] = xd[i];
    RtTensor *x = rand_tensor(dt, r, xd, red != SCR_NONE), *u = rand_tensor(dt, ur, ud, 1);
    RtTensor *idx = kt_indices(it, q, id, xd, k > 0 ? k : 1, &seed);
    RtTensor *y = kt_new(dt, r, xd), *want = kt_new(dt, r, xd);
    memcpy(want->data, x->data, nbytes(x));
    for (int64_t t = 0; t < ntup; t++) {
        int64_t off = 0;
        for (int64_t j = 0; j < k; j++) {
            int64_t v = index_at(idx, t * k + j);
            off = off * xd[j] + (v < 0 ? v + xd[j] : v);
        }
        for (int64_t e = 0; e < slice; e++)
            ref_combine(dt, (char *)want->data + (size_t)(off * slice + e) * es,
                        (char *)u->data + (size_t)(t * slice + e) * es, red);
    }
    Attr a = {.axis = {.reduction = red}};
    RtTensor *in[3] = {x, idx, u};
    char what[128];
    snprintf(what, sizeof what, "ScatterND dtype %d rank %d k %lld reduction %d", dt, r,
             (long long)k, red);
    run_case(what, cpu_scatternd, &a, in, 3, y, want);
    if (rt_numel(idx) > 0) {
        set_index(idx, rt_numel(idx) - 1, xd[k - 1]);
        run_bad(what, cpu_scatternd, &a, in, 3, y);
    }
    kt_free(x), kt_free(u), kt_free(idx), kt_free(y), kt_free(want);
}

static void
test_scatternd(void)
{
    static const struct {
        int r, q;
        int64_t xd[3], id[3];
    } cases[] = {
        {3, 2, {4, 5, 6}, {3, 1}}, {3, 2, {4, 5, 6}, {7, 2}}, {3, 3, {4, 5, 6}, {2, 3, 3}},
        {1, 2, {8}, {12, 1}},      {2, 2, {4, 5}, {2, 0}},    {2, 3, {4, 5}, {0, 3, 1}},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof *cases); c++) {
        for (int t = 0; t < NMOVE; t++)
            scatnd_case(move_dt[t], c % 2 ? DT_I32 : DT_I64, cases[c].r, cases[c].xd, cases[c].q,
                        cases[c].id, SCR_NONE);
        for (int red = SCR_ADD; red <= SCR_MIN; red++)
            for (int t = 0; t < NRED; t++)
                scatnd_case(red_dt[t], (c + t) % 2 ? DT_I32 : DT_I64, cases[c].r, cases[c].xd,
                            cases[c].q, cases[c].id, (ScatterRed)red);
    }
    /* large slices, which 2 threads split */
    int64_t xd[2] = {8, 4096}, id[2] = {20, 1};
    scatnd_case(DT_F32, DT_I64, 2, xd, 2, id, SCR_NONE);
    scatnd_case(DT_F32, DT_I64, 2, xd, 2, id, SCR_MUL);
}

/* ---- GatherND -------------------------------------------------------------------------------- */

static void
gathernd_case(DType dt, DType it, int r, const int64_t *xd, int q, const int64_t *id, int64_t b)
{
    int64_t k = id[q - 1], yd[RT_MAXRANK];
    int yr = 0;
    size_t es = rt_dtype_size(dt);
    for (int i = 0; i < q - 1; i++)
        yd[yr++] = id[i];
    for (int64_t i = b + k; i < r; i++)
        yd[yr++] = xd[i];
    RtTensor *x = rand_tensor(dt, r, xd, 0), *idx = kt_indices(it, q, id, xd + b, k, &seed);
    RtTensor *y = kt_new(dt, yr, yd), *want = kt_new(dt, yr, yd);
    for (int64_t o = 0; o < rt_numel(want); o++) {
        int64_t m[RT_MAXRANK], rem = o, tup = 0, off = 0;
        for (int j = yr - 1; j >= 0; j--) {
            m[j] = rem % yd[j];
            rem /= yd[j];
        }
        for (int j = 0; j < q - 1; j++)
            tup = tup * id[j] + m[j];
        for (int64_t j = 0; j < r; j++) { /* batch coords, then the tuple, then the rest */
            int64_t c = j < b       ? m[j]
                        : j < b + k ? index_at(idx, tup * k + j - b)
                                    : m[q - 1 + j - b - k];
            off = off * xd[j] + (c < 0 ? c + xd[j] : c);
        }
        memcpy((char *)want->data + (size_t)o * es, (char *)x->data + (size_t)off * es, es);
    }
    Attr a = {.mode = {.mode = b}};
    RtTensor *in[2] = {x, idx};
    char what[128];
    snprintf(what, sizeof what, "GatherND dtype %d rank %d k %lld batch_dims %lld", dt, r,
             (long long)k, (long long)b);
    run_case(what, cpu_gathernd, &a, in, 2, y, want);
    if (rt_numel(idx) > 0) {
        set_index(idx, 0, -xd[b] - 1);
        run_bad(what, cpu_gathernd, &a, in, 2, y);
    }
    kt_free(x), kt_free(idx), kt_free(y), kt_free(want);
}

static void
test_gathernd(void)
{
    static const struct {
        int r, q;
        int64_t xd[4], id[4], b;
    } cases[] = {
        {3, 2, {4, 5, 6}, {3, 2}, 0},       {3, 3, {4, 5, 6}, {4, 3, 1}, 1},
        {4, 3, {2, 3, 4, 5}, {2, 3, 2}, 2}, {3, 3, {4, 5, 6}, {2, 2, 3}, 0},
        {2, 2, {2, 2}, {2, 2}, 0},          {4, 4, {2, 3, 4, 5}, {2, 3, 7, 1}, 1},
    };
    for (int c = 0; c < (int)(sizeof cases / sizeof *cases); c++)
        for (int t = 0; t < NMOVE; t++)
            gathernd_case(move_dt[t], (c + t) % 2 ? DT_I32 : DT_I64, cases[c].r, cases[c].xd,
                          cases[c].q, cases[c].id, cases[c].b);
    int64_t xd[2] = {300, 200}, id[2] = {5000, 1};
    gathernd_case(DT_F32, DT_I64, 2, xd, 2, id, 0);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    test_scatterelements();
    test_scatternd();
    test_gathernd();
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
