/*
 * ktest.h: shared by the CPU kernel tests: tensors with seeded random contents, calling a kernel
 * on them, and comparing with a naive reference within a tolerance. Each test program checks one
 * kernel group against plain loops written from the ONNX spec, on odd sizes, broadcasting,
 * strides, padding, dilation and groups.
 */
#pragma once

#include "runtime/rt_backend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test.h"

/* A tensor of the given dtype and shape, contents zeroed; free with kt_free. */
static inline RtTensor *
kt_new(DType dt, int rank, const int64_t *dim)
{
    RtTensor *t = calloc(1, sizeof *t);
    t->dt = dt;
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->dim[i] = dim[i];
    size_t n = (size_t)rt_numel(t) * rt_dtype_size(dt);
    t->data = calloc(n ? n : 1, 1);
    return t;
}

static inline void
kt_free(RtTensor *t)
{
    if (t)
        free(t->data);
    free(t);
}

/* xorshift32, so contents are the same on every machine */
static inline uint32_t
kt_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* An int32 or int64 index tensor of shape dim whose element i lies in [-lim[i % k], lim[i % k]):
 * index tuples of k components along the last dim, each within its own dim of lim. */
static inline RtTensor *
kt_indices(DType dt, int rank, const int64_t *dim, const int64_t *lim, int64_t k, uint32_t *s)
{
    RtTensor *t = kt_new(dt, rank, dim);
    for (int64_t i = 0; i < rt_numel(t); i++) {
        int64_t n = lim[i % k], v = (int64_t)(kt_rand(s) % (uint32_t)(2 * n)) - n;
        if (dt == DT_I32)
            ((int32_t *)t->data)[i] = (int32_t)v;
        else
            ((int64_t *)t->data)[i] = v;
    }
    return t;
}

/* Fills a float tensor with values in [lo, hi). */
static inline void
kt_fill(RtTensor *t, uint32_t seed, float lo, float hi)
{
    uint32_t s = seed ? seed : 1;
    float *p = t->data;
    for (int64_t i = 0; i < rt_numel(t); i++)
        p[i] = lo + (hi - lo) * (float)(kt_rand(&s) >> 8) / 16777216.0f;
}

/* max |a - b| <= atol + rtol * max |b| over two float arrays; prints the worst element if not. */
static inline int
kt_close(const char *what, const float *a, const float *b, int64_t n, double atol, double rtol)
{
    double maxref = 0, worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(b[i]) > maxref)
            maxref = fabs(b[i]);
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]);
        if (e > worst || isnan(a[i]) != isnan(b[i])) {
            worst = isnan(e) ? INFINITY : e;
            at = i;
        }
    }
    if (worst <= atol + rtol * maxref)
        return 1;
    fprintf(stderr, "%s: element %lld: got %g, want %g (max err %g, tolerance %g)\n", what,
            (long long)at, (double)a[at], (double)b[at], worst, atol + rtol * maxref);
    return 0;
}

/* round half to even, written out: floor, then the tie goes to the even neighbour */
static inline double
kt_round_even(double v)
{
    double f = floor(v), r = v - f;
    if (r > 0.5 || (r == 0.5 && fmod(f, 2.0) != 0.0))
        f += 1.0;
    return f;
}

/* An integer element (8-, 16- or 32-bit) as int64; 0 for other dtypes */
static inline int64_t
kt_geti(const RtTensor *t, int64_t i)
{
    switch (t->dt) {
    case DT_U8: return ((const uint8_t *)t->data)[i];
    case DT_I8: return ((const int8_t *)t->data)[i];
    case DT_I16: return ((const int16_t *)t->data)[i];
    case DT_I32: return ((const int32_t *)t->data)[i];
    default: return 0;
    }
}
