/*
 * test_parity_topk.c: TopK on OpenCL (runtime/opencl/topk.c) against the CPU kernel, which
 * test_cpu_topk checks against the spec: values and indices must be equal bit for bit. Cases:
 * every axis of a 3-D tensor, largest 0 and 1, K of 0, 1, some and the whole axis, many ties,
 * NaNs, every dtype TopK takes (float64 where the device has cl_khr_fp64), int64 values that a
 * double would merge, one output only (values alone use a heap buffer of their own), long rows,
 * and the refusals (bool data, float64 on a device without doubles).
 */
#include "parity.h"

static int nchecks;

/* x of dtype dt with few distinct values (ties), NaN at every 9th element when nans */
static RtTensor *
data(DType dt, int rank, const int64_t *dim, uint32_t seed, int nans)
{
    RtTensor *x = kt_new(dt, rank, dim);
    uint32_t s = seed;
    for (int64_t i = 0; i < rt_numel(x); i++) {
        uint32_t r = kt_rand(&s);
        double v = (double)(r % 24) / 4 - 3;
        int nan = nans && i % 9 == 4;
        switch (dt) {
        case DT_F32: ((float *)x->data)[i] = nan ? NAN : (float)v; break;
        case DT_F64: ((double *)x->data)[i] = nan ? NAN : v; break;
        case DT_I8: ((int8_t *)x->data)[i] = (int8_t)(r % 9 - 4); break;
        case DT_U8: ((uint8_t *)x->data)[i] = (uint8_t)(r % 9); break;
        case DT_I16: ((int16_t *)x->data)[i] = (int16_t)(r % 9 - 4); break;
        case DT_U16: ((uint16_t *)x->data)[i] = (uint16_t)(r % 9); break;
        case DT_I32: ((int32_t *)x->data)[i] = (int32_t)(r % 9) - 4; break;
        case DT_U32: ((uint32_t *)x->data)[i] = r % 9; break;
        case DT_I64: ((int64_t *)x->data)[i] = ((int64_t)1 << 60) + (int64_t)(r % 5); break;
        case DT_U64: ((uint64_t *)x->data)[i] = ((uint64_t)1 << 63) + r % 5; break;
        default: break;
        }
    }
    return x;
}

/* want: 1 values, 2 indices, 3 both */
static void
check(DType dt, int rank, const int64_t *dim, int ax, int64_t k, int largest, int nans, int want)
{
    int64_t od[RT_MAXRANK];
    memcpy(od, dim, sizeof(int64_t) * (size_t)rank);
    od[ax] = k;
    RtTensor *x = data(dt, rank, dim, 5u + (uint32_t)(ax * 13 + (int)k), nans);
    RtTensor *kv = kt_new(DT_I64, 1, (const int64_t[]){1});
    *(int64_t *)kv->data = k;
    RtTensor *val = kt_new(dt, rank, od), *ind = kt_new(DT_I64, rank, od);
    Attr a;
    memset(&a, 0, sizeof a);
    a.axis.axis = ax % 2 ? ax - rank : ax;
    a.axis.largest = largest;
    a.axis.sorted = 1;
    RtTensor *in[2] = {x, kv}, *out[2] = {want & 1 ? val : NULL, want & 2 ? ind : NULL};
    char name[160];
    snprintf(name, sizeof name, "TopK dt %d rank %d (%lld..) axis %d k %lld largest %d want %d",
             (int)dt, rank, (long long)dim[0], ax, (long long)k, largest, want);
    par_check(name, OP_TOPK, &a, in, 2, out, want & 2 ? 2 : 1, 2u, 0, 0);
    nchecks++;
    kt_free(x), kt_free(kv), kt_free(val), kt_free(ind);
}

static void
check_errors(void)
{
    int64_t xd[2] = {2, 5}, yd[2] = {2, 2};
    RtTensor *x = kt_new(DT_BOOL, 2, xd), *y = kt_new(DT_BOOL, 2, yd), *i = kt_new(DT_I64, 2, yd);
    OclTensor dx = {.dt = DT_BOOL, .rank = 2, .dim = {2, 5}};
    OclTensor dy = {.dt = DT_BOOL, .rank = 2, .dim = {2, 2}};
    OclTensor di = {.dt = DT_I64, .rank = 2, .dim = {2, 2}};
    OclTensor *in[2] = {&dx, NULL}, *out[2] = {&dy, &di};
    Attr a;
    memset(&a, 0, sizeof a);
    a.axis.axis = 1;
    CHECK(ocl_op_topk(par_dev, &a, in, 2, out, 2) == RT_EUNSUPPORTED);  /* bool */
    dx.dt = dy.dt = DT_F32;
    a.axis.axis = 2;
    CHECK(ocl_op_topk(par_dev, &a, in, 2, out, 2) == RT_EUNSUPPORTED);  /* axis 2 of rank 2 */
    a.axis.axis = 1;
    di.dt = DT_I32;
    CHECK(ocl_op_topk(par_dev, &a, in, 2, out, 2) == RT_EUNSUPPORTED);  /* int32 indices */
    kt_free(x), kt_free(y), kt_free(i);
}

int
main(void)
{
    par_open();
    static const int64_t d3[3] = {3, 5, 7};
    for (int ax = 0; ax < 3; ax++)
        for (int largest = 0; largest < 2; largest++) {
            int64_t ks[4] = {0, 1, d3[ax] / 2, d3[ax]};
            for (int i = 0; i < 4; i++)
                check(DT_F32, 3, d3, ax, ks[i], largest, ax == 1, 3);
            check(DT_I32, 3, d3, ax, 2, largest, 0, 3);
        }
    static const DType all[] = {DT_F64, DT_I8, DT_U8, DT_I16, DT_U16, DT_U32, DT_I64, DT_U64};
    for (size_t t = 0; t < sizeof all / sizeof *all; t++) {
        if (all[t] == DT_F64 && !ocl_info(par_dev)->fp64)
            continue;
        check(all[t], 2, (const int64_t[]){4, 11}, 1, 4, 1, 1, 3);
        check(all[t], 2, (const int64_t[]){4, 11}, 0, 3, 0, 1, 3);
    }
    check(DT_F32, 3, (const int64_t[]){4, 6, 5}, 1, 3, 1, 1, 1);    /* values only */
    check(DT_F32, 2, (const int64_t[]){4, 9}, 1, 5, 0, 0, 2);       /* indices only */
    check(DT_F32, 2, (const int64_t[]){3, 5000}, 1, 40, 1, 1, 3);   /* long rows */
    check(DT_F32, 2, (const int64_t[]){2000, 30}, 1, 8, 0, 0, 3);   /* many rows */
    check_errors();
    printf("%d parity checks\n", nchecks);
    return par_close();
}
