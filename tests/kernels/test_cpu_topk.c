/*
 * test_cpu_topk.c: TopK (runtime/cpu/topk.c) against a reference written from the ONNX spec:
 * for each row along the axis, a selection sort that picks, K times, the not yet taken element
 * that ranks first (the larger value when largest, the smaller when not; equal values by the
 * lower index; NaN above every number). Cases: every axis of a 3-D tensor, largest 0 and 1, K
 * of 0, 1, some and the whole axis, many ties (small integers), NaNs, float32, float64, int32,
 * int64 (values beyond 2^53, which a double would merge), uint8, only one of the two outputs
 * wanted, and rows long enough to be split across threads. Each case runs in a 1-thread and a
 * 2-thread context; the values and the indices must be exactly the reference's.
 */
#include "../kernels/ktest.h"

#include <stdint.h>

static RtCtx *ctx1, *ctx2;

/* element i of t as a double, and whether a ranks above b (NaN above numbers); 64-bit integers
 * are compared exactly */
static double
get(const RtTensor *t, int64_t i)
{
    switch (t->dt) {
    case DT_F32: return ((const float *)t->data)[i];
    case DT_F64: return ((const double *)t->data)[i];
    case DT_I32: return ((const int32_t *)t->data)[i];
    case DT_U8: return ((const uint8_t *)t->data)[i];
    default: return (double)((const int64_t *)t->data)[i];
    }
}

static int
gt(const RtTensor *t, int64_t a, int64_t b)
{
    if (t->dt == DT_I64)
        return ((const int64_t *)t->data)[a] > ((const int64_t *)t->data)[b];
    double u = get(t, a), v = get(t, b);
    return u > v || (isnan(u) && !isnan(v));
}

/* The reference: values (x's dtype) and indices of the K first-ranked elements of each row. */
static void
ref_topk(const RtTensor *x, int ax, int64_t k, int largest, RtTensor *val, int64_t *ind)
{
    int64_t outer = 1, inner = 1, len = x->dim[ax];
    size_t esz = rt_dtype_size(x->dt);
    for (int i = 0; i < x->rank; i++) {
        if (i < ax)
            outer *= x->dim[i];
        if (i > ax)
            inner *= x->dim[i];
    }
    char *taken = calloc((size_t)len + 1, 1);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            memset(taken, 0, (size_t)len + 1);
            for (int64_t s = 0; s < k; s++) {
                int64_t best = -1;
                for (int64_t l = 0; l < len; l++) {
                    if (taken[l])
                        continue;
                    int64_t e = (o * len + l) * inner + j, b = (o * len + best) * inner + j;
                    if (best < 0 || (largest ? gt(x, e, b) : gt(x, b, e)))
                        best = l;
                }
                taken[best] = 1;
                int64_t at = (o * k + s) * inner + j;
                ind[at] = best;
                memcpy((char *)val->data + (size_t)at * esz,
                       (const char *)x->data + (size_t)((o * len + best) * inner + j) * esz, esz);
            }
        }
    free(taken);
}

/* Fills x: floats in [-4, 4) rounded to quarters (many ties), a few NaNs when nans; integers in
 * [-5, 5), or near 2^60 for int64 (neighbours differ by 1). */
static void
fill(RtTensor *x, uint32_t seed, int nans)
{
    uint32_t s = seed;
    for (int64_t i = 0; i < rt_numel(x); i++) {
        uint32_t r = kt_rand(&s);
        double v = (double)(r % 32) / 4 - 4;
        switch (x->dt) {
        case DT_F32: ((float *)x->data)[i] = nans && r % 11 == 0 ? NAN : (float)v; break;
        case DT_F64: ((double *)x->data)[i] = nans && r % 11 == 0 ? NAN : v; break;
        case DT_I32: ((int32_t *)x->data)[i] = (int32_t)(r % 10) - 5; break;
        case DT_U8: ((uint8_t *)x->data)[i] = (uint8_t)(r % 7); break;
        case DT_I64: ((int64_t *)x->data)[i] = ((int64_t)1 << 60) + (int64_t)(r % 5); break;
        default: break;
        }
    }
}

/* The kernel's outputs, both or one (want: 1 values, 2 indices, 3 both), on both contexts. */
static void
check(DType dt, int rank, const int64_t *dim, int ax, int64_t k, int largest, int nans,
      int want)
{
    RtTensor *x = kt_new(dt, rank, dim);
    int64_t od[8];
    memcpy(od, dim, sizeof(int64_t) * (size_t)rank);
    od[ax] = k;
    RtTensor *kv = kt_new(DT_I64, 1, (const int64_t[]){1});
    *(int64_t *)kv->data = k;
    RtTensor *val = kt_new(dt, rank, od), *ind = kt_new(DT_I64, rank, od);
    RtTensor *rval = kt_new(dt, rank, od);
    int64_t n = rt_numel(val), *rind = calloc((size_t)n + 1, sizeof *rind);
    fill(x, 7u + (uint32_t)(rank * 31 + ax * 7 + (int)k), nans);
    ref_topk(x, ax, k, largest, rval, rind);
    Attr a;
    memset(&a, 0, sizeof a);
    a.axis.axis = ax - (ax % 2) * rank;     /* odd axes given negative */
    a.axis.largest = largest;
    a.axis.sorted = 1;
    RtTensor *in[2] = {x, kv};
    RtTensor *out[2] = {want & 1 ? val : NULL, want & 2 ? ind : NULL};
    int nout = want & 2 ? 2 : 1;
    RtCtx *ctxs[2] = {ctx1, ctx2};
    size_t esz = rt_dtype_size(dt);
    for (int t = 0; t < 2; t++) {
        memset(val->data, 0xee, (size_t)n * esz);
        memset(ind->data, 0xee, (size_t)n * sizeof(int64_t));
        int st = cpu_topk(ctxs[t], &a, in, 2, out, nout);
        if (st != RT_OK)
            fprintf(stderr, "topk: %s\n", rt_ctx_error(ctxs[t]));
        CHECK(st == RT_OK);
        int ok = 1;
        for (int64_t i = 0; i < n && ok; i++) {
            if (want & 2)
                ok = ((int64_t *)ind->data)[i] == rind[i];
            if (ok && (want & 1))
                ok = memcmp((char *)val->data + (size_t)i * esz,
                            (char *)rval->data + (size_t)i * esz, esz) == 0;
            if (!ok)
                fprintf(stderr, "topk dt %d rank %d axis %d k %lld largest %d (%d threads): "
                        "element %lld: index %lld, want %lld; value %g, want %g\n", (int)dt,
                        rank, ax, (long long)k, largest, t + 1, (long long)i,
                        (long long)((int64_t *)ind->data)[i], (long long)rind[i], get(val, i),
                        get(rval, i));
        }
        CHECK(ok);
    }
    free(rind);
    kt_free(x);
    kt_free(kv);
    kt_free(val);
    kt_free(ind);
    kt_free(rval);
}

/* The spec's example (values 0..11 in 3 rows of 4, K = 3) and its ties example */
static void
check_examples(void)
{
    RtTensor *x = kt_new(DT_F32, 2, (const int64_t[]){3, 4});
    RtTensor *kv = kt_new(DT_I64, 1, (const int64_t[]){1});
    RtTensor *val = kt_new(DT_F32, 2, (const int64_t[]){3, 3});
    RtTensor *ind = kt_new(DT_I64, 2, (const int64_t[]){3, 3});
    *(int64_t *)kv->data = 3;
    for (int i = 0; i < 12; i++)
        ((float *)x->data)[i] = (float)i;
    Attr a;
    memset(&a, 0, sizeof a);
    a.axis.axis = 1;
    a.axis.largest = 1;
    RtTensor *in[2] = {x, kv}, *out[2] = {val, ind};
    CHECK(cpu_topk(ctx2, &a, in, 2, out, 2) == RT_OK);
    static const float wv[9] = {3, 2, 1, 7, 6, 5, 11, 10, 9};
    static const int64_t wi[9] = {3, 2, 1, 3, 2, 1, 3, 2, 1};
    CHECK(memcmp(val->data, wv, sizeof wv) == 0 && memcmp(ind->data, wi, sizeof wi) == 0);
    /* smallest, with ties: [0, 1, 2, 3], [4, 5, 6, 7], [11, 10, 9, 8] -> lowest indices first */
    static const float tx[12] = {1, 1, 1, 0, 5, 5, 4, 4, 2, 2, 2, 2};
    memcpy(x->data, tx, sizeof tx);
    a.axis.largest = 0;
    CHECK(cpu_topk(ctx1, &a, in, 2, out, 2) == RT_OK);
    static const float tv[9] = {0, 1, 1, 4, 4, 5, 2, 2, 2};
    static const int64_t ti[9] = {3, 0, 1, 2, 3, 0, 0, 1, 2};
    CHECK(memcmp(val->data, tv, sizeof tv) == 0 && memcmp(ind->data, ti, sizeof ti) == 0);
    /* refused: bool data, and float16 values */
    RtTensor *b = kt_new(DT_BOOL, 2, (const int64_t[]){3, 4});
    RtTensor *bv = kt_new(DT_BOOL, 2, (const int64_t[]){3, 3});
    RtTensor *bin[2] = {b, kv}, *bout[2] = {bv, ind};
    CHECK(cpu_topk(ctx1, &a, bin, 2, bout, 2) == RT_EUNSUPPORTED);
    kt_free(b);
    kt_free(bv);
    kt_free(x);
    kt_free(kv);
    kt_free(val);
    kt_free(ind);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    CHECK(ctx1 && ctx2);
    check_examples();
    static const int64_t d3[3] = {3, 5, 7};
    for (int ax = 0; ax < 3; ax++)
        for (int largest = 0; largest < 2; largest++) {
            int64_t len = d3[ax];
            int64_t ks[4] = {0, 1, len / 2, len};
            for (int i = 0; i < 4; i++) {
                check(DT_F32, 3, d3, ax, ks[i], largest, 0, 3);
                check(DT_I32, 3, d3, ax, ks[i], largest, 0, 3);
            }
            check(DT_F32, 3, d3, ax, len - 1, largest, 1, 3);
            check(DT_F64, 3, d3, ax, 2, largest, 1, 3);
            check(DT_I64, 3, d3, ax, len / 2 + 1, largest, 0, 3);
            check(DT_U8, 3, d3, ax, 3, largest, 0, 3);
        }
    check(DT_F32, 2, (const int64_t[]){4, 9}, 1, 4, 1, 0, 1);      /* values only */
    check(DT_F32, 2, (const int64_t[]){4, 9}, 0, 2, 0, 1, 2);      /* indices only */
    check(DT_F32, 3, (const int64_t[]){4, 5, 9}, 1, 3, 1, 0, 1);   /* values only, strided */
    /* long rows, and many rows, split across the threads */
    check(DT_F32, 2, (const int64_t[]){6, 20000}, 1, 50, 1, 1, 3);
    check(DT_F32, 2, (const int64_t[]){3000, 40}, 1, 10, 0, 0, 3);
    check(DT_I32, 3, (const int64_t[]){2, 3000, 16}, 1, 7, 1, 0, 3);
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
