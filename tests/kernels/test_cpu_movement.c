/*
 * test_cpu_movement.c: the data-movement kernels (runtime/cpu/movement.c, gather.c, generate.c)
 * against naive references written from the ONNX spec: each reference visits every output
 * element, works out the input element it reads by index arithmetic, and copies its bytes. Data
 * are random bytes, so a result must match the reference byte for byte, for element sizes of 1,
 * 2, 4, 8 and 16 bytes alike. The tests compute output shapes themselves, as the compiler would,
 * and run every case in a 1-thread and a 2-thread context; a few cases are large enough that the
 * 2-thread runs split the work. Unwritten output bytes are caught by pre-filling the outputs.
 */
#include "../kernels/ktest.h"

#include <stdint.h>

static RtCtx *ctx1, *ctx2;
static uint32_t seed = 12345;

/* ---- tensors and index arithmetic ------------------------------------------------------------ */

static RtTensor *
tensor(DType dt, int rank, const int64_t *dim)
{
    return kt_new(dt, rank, dim);
}

/* A tensor of random bytes. */
static RtTensor *
rand_tensor(DType dt, int rank, const int64_t *dim)
{
    RtTensor *t = tensor(dt, rank, dim);
    unsigned char *p = t->data;
    for (int64_t i = 0; i < rt_numel(t) * (int64_t)rt_dtype_size(dt); i++)
        p[i] = (unsigned char)(kt_rand(&seed) >> 24);
    return t;
}

/* A 1-D index tensor (int32 or int64) holding v[0..n). */
static RtTensor *
index_tensor(DType dt, int n, const int64_t *v)
{
    int64_t dim[1] = {n};
    RtTensor *t = tensor(dt, 1, dim);
    for (int i = 0; i < n; i++) {
        if (dt == DT_I32)
            ((int32_t *)t->data)[i] = (int32_t)v[i];
        else
            ((int64_t *)t->data)[i] = v[i];
    }
    return t;
}

/* The element count of dims dim[0..r). */
static int64_t
numel_of(int r, const int64_t *dim)
{
    int64_t n = 1;
    for (int i = 0; i < r; i++)
        n *= dim[i];
    return n;
}

/* The C-order multi-index idx of linear index lin. */
static void
unravel(int64_t lin, int r, const int64_t *dim, int64_t *idx)
{
    for (int i = r - 1; i >= 0; i--) {
        idx[i] = lin % dim[i];
        lin /= dim[i];
    }
}

/* The bytes of element idx of t. */
static const char *
elem(const RtTensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int i = 0; i < t->rank; i++)
        off = off * t->dim[i] + idx[i];
    return (const char *)t->data + off * (int64_t)rt_dtype_size(t->dt);
}

/* The data size of t in bytes. */
static size_t
nbytes(const RtTensor *t)
{
    return (size_t)rt_numel(t) * rt_dtype_size(t->dt);
}

/* Runs k in each context (outputs pre-filled with 0xA5) and compares output 0 with want. */
static void
run_case(const char *what, RtKernel k, const Attr *a, RtTensor *const *in, int nin,
         RtTensor *const *out, int nout, const RtTensor *want)
{
    RtCtx *ctxs[2] = {ctx1, ctx2};
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < nout; i++)
            if (out[i])
                memset(out[i]->data, 0xa5, nbytes(out[i]));
        int st = k(ctxs[t], a, in, nin, out, nout);
        CHECK(st == RT_OK);
        if (st != RT_OK) {
            fprintf(stderr, "%s: %s\n", what, rt_ctx_error(ctxs[t]));
            continue;
        }
        int same = want ? nbytes(want) == nbytes(out[0]) &&
                              memcmp(want->data, out[0]->data, nbytes(want)) == 0
                        : 1;
        CHECK(same);
        if (!same)
            fprintf(stderr, "%s (%d thread%s): output differs from the reference\n", what, t + 1,
                    t ? "s" : "");
    }
}

static const DType dtypes[] = {DT_U8, DT_F16, DT_F32, DT_I64, DT_C128};
enum { NDT = sizeof dtypes / sizeof dtypes[0] };

/* ---- plain copies ---------------------------------------------------------------------------- */

/* The ops whose output is the input's bytes under another shape. */
static void
test_copies(void)
{
    int64_t d[3] = {3, 5, 7}, f[2] = {15, 7};
    RtTensor *x = rand_tensor(DT_F32, 3, d), *y = tensor(DT_F32, 2, f), *m = tensor(DT_BOOL, 3, d);
    RtTensor *want = tensor(DT_F32, 2, f);
    memcpy(want->data, x->data, nbytes(x));
    Attr a = {0};
    RtTensor *in[2] = {x, NULL}, *out[2] = {y, m};
    run_case("Identity", cpu_identity, &a, in, 1, out, 1, want);
    run_case("Reshape", cpu_reshape, &a, in, 2, out, 1, want);
    run_case("Flatten", cpu_flatten, &a, in, 1, out, 1, want);
    run_case("Squeeze", cpu_squeeze, &a, in, 1, out, 1, want);
    run_case("Unsqueeze", cpu_unsqueeze, &a, in, 2, out, 1, want);
    run_case("Dropout", cpu_dropout, &a, in, 1, out, 2, want);
    int ones = 1;
    for (int64_t i = 0; i < rt_numel(m); i++)
        ones &= ((unsigned char *)m->data)[i] == 1;
    CHECK(ones);
    out[1] = NULL;
    run_case("Dropout without mask", cpu_dropout, &a, in, 1, out, 2, want);
    kt_free(x), kt_free(y), kt_free(m), kt_free(want);
}

/* ---- concat and split ------------------------------------------------------------------------ */

/* Concat of n inputs whose axis-ax sizes are lens (the other dims from dim), then Split of the
 * result back into them; axis_attr is ax or its negative form. */
static void
concat_case(DType dt, int r, const int64_t *dim, int ax, int n, const int64_t *lens, int axis_attr)
{
    RtTensor *x[4], *y, *want;
    int64_t od[RT_MAXRANK], xd[RT_MAXRANK], idx[RT_MAXRANK];
    memcpy(od, dim, (size_t)r * sizeof *od);
    od[ax] = 0;
    for (int i = 0; i < n; i++) {
        memcpy(xd, dim, (size_t)r * sizeof *xd);
        xd[ax] = lens[i];
        od[ax] += lens[i];
        x[i] = rand_tensor(dt, r, xd);
    }
    y = tensor(dt, r, od);
    want = tensor(dt, r, od);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) { /* find the input that holds idx[ax] */
        unravel(e, r, od, idx);
        int i = 0;
        while (idx[ax] >= x[i]->dim[ax])
            idx[ax] -= x[i++]->dim[ax];
        memcpy((char *)want->data + e * (int64_t)es, elem(x[i], idx), es);
    }
    Attr a = {.axis = {.axis = axis_attr}};
    char name[96];
    snprintf(name, sizeof name, "Concat dt %d rank %d axis %d", (int)dt, r, axis_attr);
    run_case(name, cpu_concat, &a, x, n, &y, 1, want);

    /* Split undoes it */
    Attr sa = {.split = {.axis = axis_attr}};
    RtTensor *parts[4];
    for (int i = 0; i < n; i++)
        parts[i] = tensor(dt, r, x[i]->dim);
    for (int t = 0; t < 2; t++) {
        RtCtx *c = t ? ctx2 : ctx1;
        CHECK(cpu_split(c, &sa, &want, 1, parts, n) == RT_OK);
        for (int i = 0; i < n; i++)
            CHECK(memcmp(parts[i]->data, x[i]->data, nbytes(x[i])) == 0);
    }
    if (n == 3) { /* an output not requested */
        RtTensor *some[3] = {parts[0], NULL, parts[2]};
        memset(parts[2]->data, 0, nbytes(parts[2]));
        CHECK(cpu_split(ctx1, &sa, &want, 1, some, n) == RT_OK);
        CHECK(memcmp(parts[2]->data, x[2]->data, nbytes(x[2])) == 0);
    }
    for (int i = 0; i < n; i++)
        kt_free(x[i]), kt_free(parts[i]);
    kt_free(y), kt_free(want);
}

/* Every element size, negative axes, empty-sized dims and large copies. */
static void
test_concat_split(void)
{
    int64_t d3[3] = {2, 0, 5}, l3[3] = {3, 1, 4}, d1[1] = {0}, l1[2] = {5, 9};
    int64_t d4[4] = {3, 2, 4, 0}, l4[2] = {1, 6}, big[4] = {1, 0, 128, 128}, lb[3] = {24, 8, 40};
    for (int i = 0; i < NDT; i++) {
        concat_case(dtypes[i], 3, d3, 1, 3, l3, 1);
        concat_case(dtypes[i], 3, d3, 1, 3, l3, -2);
    }
    int64_t d30[3] = {0, 3, 5}, d32[3] = {2, 3, 0};
    concat_case(DT_F32, 3, d30, 0, 3, l3, 0);
    concat_case(DT_I8, 3, d32, 2, 3, l3, -1);
    concat_case(DT_F32, 1, d1, 0, 2, l1, 0);
    concat_case(DT_U16, 4, d4, 3, 2, l4, 3);
    concat_case(DT_F32, 4, big, 1, 3, lb, 1); /* 2.6 MB: split over threads */
    concat_case(DT_F32, 4, big, 1, 2, lb, -3);
}

/* ---- slice ----------------------------------------------------------------------------------- */

/* ONNX's clamping rules, written out per axis. */
static void
slice_axis(int64_t dim, int64_t s, int64_t e, int64_t p, int64_t *start, int64_t *len)
{
    if (s < 0)
        s += dim;
    if (e < 0)
        e += dim;
    if (p > 0) {
        s = s < 0 ? 0 : s > dim ? dim : s;
        e = e < 0 ? 0 : e > dim ? dim : e;
        *len = e > s ? (e - s + p - 1) / p : 0;
    } else {
        s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
        e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        *len = s > e ? (s - e + (-p) - 1) / (-p) : 0;
    }
    *start = s;
}

/* Slice with starts st, ends en and optional axes and steps (index dtype it): each output index
 * i on an axis reads start + i * step. */
static void
slice_case(DType dt, DType it, int r, const int64_t *dim, int n, const int64_t *st,
           const int64_t *en, const int64_t *axes, const int64_t *steps)
{
    int64_t start[RT_MAXRANK], step[RT_MAXRANK], od[RT_MAXRANK], idx[RT_MAXRANK];
    for (int i = 0; i < r; i++) {
        start[i] = 0;
        step[i] = 1;
        od[i] = dim[i];
    }
    for (int i = 0; i < n; i++) {
        int64_t ax = axes ? axes[i] : i;
        ax = ax < 0 ? ax + r : ax;
        step[ax] = steps ? steps[i] : 1;
        slice_axis(dim[ax], st[i], en[i], step[ax], &start[ax], &od[ax]);
    }
    RtTensor *x = rand_tensor(dt, r, dim), *y = tensor(dt, r, od), *want = tensor(dt, r, od);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) {
        unravel(e, r, od, idx);
        for (int i = 0; i < r; i++)
            idx[i] = start[i] + idx[i] * step[i];
        memcpy((char *)want->data + e * (int64_t)es, elem(x, idx), es);
    }
    RtTensor *in[5] = {x, index_tensor(it, n, st), index_tensor(it, n, en),
                       axes ? index_tensor(it, n, axes) : NULL,
                       steps ? index_tensor(it, n, steps) : NULL};
    Attr a = {0};
    run_case("Slice", cpu_slice, &a, in, steps ? 5 : axes ? 4 : 3, &y, 1, want);
    for (int i = 0; i < 5; i++)
        kt_free(in[i]);
    kt_free(y), kt_free(want);
}

/* Negative starts, ends and steps, clamping of huge bounds, omitted inputs, int32 indices. */
static void
test_slice(void)
{
    int64_t d[3] = {6, 7, 5}, big[2] = {300, 260};
    int64_t s1[2] = {1, -4}, e1[2] = {5, 100};
    int64_t s2[3] = {-1, 10, 0}, e2[3] = {-100, -8, 5}, ax2[3] = {0, 1, -1}, p2[3] = {-1, -2, 2};
    int64_t s3[1] = {INT64_MAX}, e3[1] = {INT64_MIN}, ax3[1] = {-2}, p3[1] = {-3};
    int64_t s4[2] = {2, 0}, e4[2] = {2, 3}, ax4[2] = {2, 0}, p4[2] = {1, 1};
    int64_t s5[1] = {-2}, e5[1] = {INT64_MAX}, ax5[1] = {1};
    int64_t s6[2] = {10, 3}, e6[2] = {290, 250}, p6[2] = {3, -1};
    int64_t s7[2] = {-1, 5}, e7[2] = {INT64_MIN, INT64_MAX}, p7[2] = {-1, 1};
    for (int i = 0; i < NDT; i++)
        slice_case(dtypes[i], DT_I64, 3, d, 3, s2, e2, ax2, p2);
    slice_case(DT_F32, DT_I64, 3, d, 2, s1, e1, NULL, NULL);
    slice_case(DT_F32, DT_I32, 3, d, 2, s1, e1, NULL, NULL);
    slice_case(DT_F32, DT_I32, 3, d, 3, s2, e2, ax2, p2);
    slice_case(DT_I64, DT_I64, 3, d, 1, s3, e3, ax3, p3);
    slice_case(DT_U8, DT_I64, 3, d, 2, s4, e4, ax4, p4); /* an empty result */
    slice_case(DT_F32, DT_I32, 3, d, 1, s5, e5, ax5, NULL);
    slice_case(DT_F32, DT_I64, 2, big, 2, s6, e6, NULL, p6); /* large, reversed rows */
    slice_case(DT_F32, DT_I64, 2, big, 2, s7, e7, NULL, p7);
}

/* ---- transpose, expand, tile ----------------------------------------------------------------- */

/* Transpose by perm (NULL: reversed): output index i on axis k reads input index i on perm[k]. */
static void
transpose_case(DType dt, int r, const int64_t *dim, const int64_t *perm)
{
    int64_t od[RT_MAXRANK], idx[RT_MAXRANK], xi[RT_MAXRANK], p[RT_MAXRANK];
    for (int i = 0; i < r; i++) {
        p[i] = perm ? perm[i] : r - 1 - i;
        od[i] = dim[p[i]];
    }
    RtTensor *x = rand_tensor(dt, r, dim), *y = tensor(dt, r, od), *want = tensor(dt, r, od);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) {
        unravel(e, r, od, idx);
        for (int i = 0; i < r; i++)
            xi[p[i]] = idx[i];
        memcpy((char *)want->data + e * (int64_t)es, elem(x, xi), es);
    }
    Attr a = {.perm = {.perm = {perm ? r : 0, perm}}};
    char name[64];
    snprintf(name, sizeof name, "Transpose rank %d dt %d", r, (int)dt);
    run_case(name, cpu_transpose, &a, &x, 1, &y, 1, want);
    kt_free(x), kt_free(y), kt_free(want);
}

/* All 3-D permutations, a 5-D one, the default, tiled 2-D and NCHW to NHWC. */
static void
test_transpose(void)
{
    static const int64_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                        {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int64_t d3[3] = {3, 4, 5}, d5[5] = {2, 3, 4, 5, 6}, p5[5] = {4, 2, 0, 3, 1};
    int64_t mat[2] = {600, 513}, nchw[4] = {2, 64, 17, 19}, nhwc[4] = {0, 2, 3, 1};
    int64_t tall[3] = {9, 40, 11}, pt[3] = {2, 1, 0};
    for (int p = 0; p < 6; p++)
        for (int i = 0; i < NDT; i++)
            transpose_case(dtypes[i], 3, d3, perms[p]);
    transpose_case(DT_F32, 5, d5, p5);
    transpose_case(DT_U16, 5, d5, p5);
    transpose_case(DT_F32, 3, d3, NULL);
    transpose_case(DT_F32, 2, mat, NULL); /* tiled, 2 threads */
    transpose_case(DT_U8, 2, mat, NULL);
    transpose_case(DT_F32, 4, nchw, nhwc);
    transpose_case(DT_C128, 3, tall, pt);
    transpose_case(DT_F32, 0, d3, NULL);
}

/* Expand to od: the input aligned right, its size-1 dims read index 0. */
static void
expand_case(DType dt, int r, const int64_t *dim, int ro, const int64_t *od)
{
    int64_t idx[RT_MAXRANK], xi[RT_MAXRANK];
    RtTensor *x = rand_tensor(dt, r, dim), *y = tensor(dt, ro, od), *want = tensor(dt, ro, od);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) {
        unravel(e, ro, od, idx);
        for (int i = 0; i < r; i++)
            xi[i] = dim[i] == 1 ? 0 : idx[i + ro - r];
        memcpy((char *)want->data + e * (int64_t)es, elem(x, xi), es);
    }
    RtTensor *in[2] = {x, index_tensor(DT_I64, ro, od)};
    Attr a = {0};
    run_case("Expand", cpu_expand, &a, in, 2, &y, 1, want);
    kt_free(x), kt_free(y), kt_free(want), kt_free(in[1]);
}

/* Tile by rep: output index o reads input index o mod dim on every axis. */
static void
tile_case(DType dt, int r, const int64_t *dim, const int64_t *rep)
{
    int64_t od[RT_MAXRANK], idx[RT_MAXRANK];
    for (int i = 0; i < r; i++)
        od[i] = dim[i] * rep[i];
    RtTensor *x = rand_tensor(dt, r, dim), *y = tensor(dt, r, od), *want = tensor(dt, r, od);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) {
        unravel(e, r, od, idx);
        for (int i = 0; i < r; i++)
            idx[i] %= dim[i];
        memcpy((char *)want->data + e * (int64_t)es, elem(x, idx), es);
    }
    RtTensor *in[2] = {x, index_tensor(DT_I64, r, rep)};
    Attr a = {0};
    run_case("Tile", cpu_tile, &a, in, 2, &y, 1, want);
    kt_free(x), kt_free(y), kt_free(want), kt_free(in[1]);
}

/* Rank-raising and same-rank Expand, zero and large Tile repeats. */
static void
test_expand_tile(void)
{
    int64_t a1[3] = {3, 1, 5}, o1[4] = {2, 3, 4, 5}, a2[1] = {1}, o2[2] = {4, 3};
    int64_t a3[2] = {4, 1}, o3[2] = {4, 6}, a4[3] = {2, 3, 4}, a5[4] = {1, 64, 1, 1};
    int64_t o5[4] = {2, 64, 30, 31};
    for (int i = 0; i < NDT; i++)
        expand_case(dtypes[i], 3, a1, 4, o1);
    expand_case(DT_F32, 1, a2, 2, o2);
    expand_case(DT_I64, 2, a3, 2, o3);
    expand_case(DT_U8, 3, a4, 3, a4);
    expand_case(DT_F32, 4, a5, 4, o5); /* large */
    int64_t t1[3] = {2, 3, 4}, r1[3] = {2, 1, 3}, t2[2] = {1, 5}, r2[2] = {3, 2};
    int64_t t3[1] = {7}, r3[1] = {4}, t4[2] = {3, 4}, r4[2] = {0, 2}, t5[2] = {50, 60};
    int64_t r5[2] = {3, 4};
    for (int i = 0; i < NDT; i++)
        tile_case(dtypes[i], 3, t1, r1);
    tile_case(DT_F32, 2, t2, r2);
    tile_case(DT_I8, 1, t3, r3);
    tile_case(DT_F32, 2, t4, r4);
    tile_case(DT_F32, 2, t5, r5); /* large */
}

/* ---- depth and space ------------------------------------------------------------------------- */

static void
d2s_case(DType dt, const int64_t *dim, int64_t b, int crd, int s2d)
{
    int64_t od[4], idx[4], xi[4];
    od[0] = dim[0];
    od[1] = s2d ? dim[1] * b * b : dim[1] / (b * b);
    od[2] = s2d ? dim[2] / b : dim[2] * b;
    od[3] = s2d ? dim[3] / b : dim[3] * b;
    RtTensor *x = rand_tensor(dt, 4, dim), *y = tensor(dt, 4, od), *want = tensor(dt, 4, od);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) {
        unravel(e, 4, od, idx);
        xi[0] = idx[0];
        if (s2d) { /* y[n, (i*b + j)*C + c, h, w] = x[n, c, h*b + i, w*b + j] */
            int64_t c = idx[1] % dim[1], ij = idx[1] / dim[1];
            xi[1] = c;
            xi[2] = idx[2] * b + ij / b;
            xi[3] = idx[3] * b + ij % b;
        } else { /* y[n, c, h*b + i, w*b + j] from DCR (i*b + j)*C' + c or CRD c*b*b + i*b + j */
            int64_t i = idx[2] % b, j = idx[3] % b, c = idx[1];
            xi[1] = crd ? c * b * b + i * b + j : (i * b + j) * od[1] + c;
            xi[2] = idx[2] / b;
            xi[3] = idx[3] / b;
        }
        memcpy((char *)want->data + e * (int64_t)es, elem(x, xi), es);
    }
    Attr a = {.block = {.blocksize = b, .crd = crd}};
    run_case(s2d   ? "SpaceToDepth"
             : crd ? "DepthToSpace CRD"
                   : "DepthToSpace DCR",
             s2d ? cpu_spacetodepth : cpu_depthtospace, &a, &x, 1, &y, 1, want);
    kt_free(x), kt_free(y), kt_free(want);
}

/* Both DepthToSpace modes and SpaceToDepth, block sizes 2 to 4. */
static void
test_depth_space(void)
{
    int64_t a[4] = {2, 8, 3, 4}, b[4] = {1, 18, 2, 3}, c[4] = {2, 3, 6, 4}, d[4] = {1, 5, 9, 6};
    int64_t big[4] = {1, 64, 32, 32};
    for (int crd = 0; crd < 2; crd++) {
        d2s_case(DT_F32, a, 2, crd, 0);
        d2s_case(DT_U8, b, 3, crd, 0);
        d2s_case(DT_I64, a, 2, crd, 0);
        d2s_case(DT_F32, big, 4, crd, 0);
    }
    d2s_case(DT_F32, c, 2, 0, 1);
    d2s_case(DT_F16, d, 3, 0, 1);
    d2s_case(DT_F32, big, 2, 0, 1);
}

/* ---- gather ---------------------------------------------------------------------------------- */

/* Gather on axis with random indices of shape idim in [-dim, dim), then one out of range. */
static void
gather_case(DType dt, DType it, int r, const int64_t *dim, int axis, int ri, const int64_t *idim)
{
    int ax = axis < 0 ? axis + r : axis, ro = r + ri - 1;
    int64_t od[RT_MAXRANK], idx[RT_MAXRANK], xi[RT_MAXRANK], ni = numel_of(ri, idim);
    int64_t iv[64];
    for (int64_t i = 0; i < ni; i++) /* in [-dim, dim) */
        iv[i] = (int64_t)(kt_rand(&seed) % (uint32_t)(2 * dim[ax])) - dim[ax];
    for (int i = 0, k = 0; i < r; i++) {
        if (i == ax)
            for (int j = 0; j < ri; j++)
                od[k++] = idim[j];
        else
            od[k++] = dim[i];
    }
    RtTensor *x = rand_tensor(dt, r, dim), *y = tensor(dt, ro, od), *want = tensor(dt, ro, od);
    RtTensor *ix = index_tensor(it, (int)ni, iv);
    ix->rank = ri;
    memcpy(ix->dim, idim, (size_t)ri * sizeof *idim);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) {
        unravel(e, ro, od, idx);
        int64_t lin = 0;
        for (int j = 0; j < ri; j++)
            lin = lin * idim[j] + idx[ax + j];
        for (int i = 0; i < r; i++)
            xi[i] = i < ax ? idx[i] : i == ax ? iv[lin] : idx[i + ri - 1];
        if (xi[ax] < 0)
            xi[ax] += dim[ax];
        memcpy((char *)want->data + e * (int64_t)es, elem(x, xi), es);
    }
    RtTensor *in[2] = {x, ix};
    Attr a = {.axis = {.axis = axis}};
    run_case("Gather", cpu_gather, &a, in, 2, &y, 1, want);
    if (ni > 0) { /* an index out of range is bad input */
        int64_t bad = dim[ax];
        if (it == DT_I32)
            ((int32_t *)ix->data)[0] = (int32_t)bad;
        else
            ((int64_t *)ix->data)[0] = bad;
        CHECK(cpu_gather(ctx1, &a, in, 2, &y, 1) == RT_EINPUT);
    }
    kt_free(x), kt_free(y), kt_free(want), kt_free(ix);
}

/* GatherElements: each output element reads the input at its own index, the axis replaced. */
static void
gatherelt_case(DType dt, DType it, int r, const int64_t *dim, int axis, const int64_t *idim)
{
    int ax = axis < 0 ? axis + r : axis;
    int64_t idx[RT_MAXRANK], n = numel_of(r, idim);
    RtTensor *x = rand_tensor(dt, r, dim), *y = tensor(dt, r, idim), *want = tensor(dt, r, idim);
    RtTensor *ix = tensor(it, r, idim);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < n; e++) {
        int64_t v = (int64_t)(kt_rand(&seed) % (uint32_t)(2 * dim[ax])) - dim[ax];
        if (it == DT_I32)
            ((int32_t *)ix->data)[e] = (int32_t)v;
        else
            ((int64_t *)ix->data)[e] = v;
        unravel(e, r, idim, idx);
        idx[ax] = v < 0 ? v + dim[ax] : v;
        memcpy((char *)want->data + e * (int64_t)es, elem(x, idx), es);
    }
    RtTensor *in[2] = {x, ix};
    Attr a = {.axis = {.axis = axis}};
    run_case("GatherElements", cpu_gatherelements, &a, in, 2, &y, 1, want);
    kt_free(x), kt_free(y), kt_free(want), kt_free(ix);
}

/* Every axis (negative too), scalar and 2-D indices, int32 and int64, a channel gather. */
static void
test_gather(void)
{
    int64_t d[3] = {4, 5, 6}, i2[2] = {2, 3}, i1[1] = {7}, i0[1] = {0};
    int64_t nchw[4] = {1, 48, 20, 20}, perm[1] = {48}, ie[3] = {3, 2, 6}, ie2[3] = {2, 5, 3};
    for (int ax = -3; ax < 3; ax++) {
        gather_case(DT_F32, DT_I64, 3, d, ax, 2, i2);
        gather_case(DT_U8, DT_I32, 3, d, ax, 1, i1);
        gather_case(DT_C128, DT_I64, 3, d, ax, 0, i0);
    }
    for (int i = 0; i < NDT; i++)
        gather_case(dtypes[i], DT_I32, 3, d, 1, 2, i2);
    gather_case(DT_F32, DT_I64, 4, nchw, 1, 1, perm); /* channel shuffle, large */
    for (int ax = -3; ax < 3; ax++) {
        gatherelt_case(DT_F32, DT_I64, 3, d, ax, ie);
        gatherelt_case(DT_I64, DT_I32, 3, d, ax, ie2);
    }
    gatherelt_case(DT_U16, DT_I32, 3, d, 2, d);
}

/* ---- pad ------------------------------------------------------------------------------------- */

/* The input index that output index o reads on an axis (crop first, then pad), -1: constant. */
static int64_t
pad_ref(PadMode mode, int64_t n, int64_t pb, int64_t pe, int64_t o)
{
    int64_t crop = pb < 0 ? -pb : 0, m = n - crop - (pe < 0 ? -pe : 0);
    int64_t i = o - (pb > 0 ? pb : 0);
    if (i >= 0 && i < m)
        return crop + i;
    switch (mode) {
    case PADM_CONSTANT: return -1;
    case PADM_EDGE: i = i < 0 ? 0 : m - 1; break;
    case PADM_REFLECT:
        while (m > 1 && (i < 0 || i >= m)) /* mirror at both ends until inside */
            i = i < 0 ? -i : 2 * (m - 1) - i;
        if (m == 1)
            i = 0;
        break;
    case PADM_WRAP:
        while (i < 0)
            i += m;
        while (i >= m)
            i -= m;
        break;
    }
    return crop + i;
}

/* Pad with pads (begins then ends) on every axis or on axes; with_value: a random constant. */
static void
pad_case(DType dt, PadMode mode, int r, const int64_t *dim, int na, const int64_t *axes,
         const int64_t *pads, int with_value)
{
    int64_t pb[RT_MAXRANK] = {0}, pe[RT_MAXRANK] = {0}, od[RT_MAXRANK], idx[RT_MAXRANK];
    int n = axes ? na : r;
    for (int i = 0; i < n; i++) {
        int64_t ax = axes ? axes[i] : i;
        ax = ax < 0 ? ax + r : ax;
        pb[ax] = pads[i];
        pe[ax] = pads[i + n];
    }
    for (int i = 0; i < r; i++)
        od[i] = dim[i] + pb[i] + pe[i];
    RtTensor *x = rand_tensor(dt, r, dim), *y = tensor(dt, r, od), *want = tensor(dt, r, od);
    RtTensor *val = with_value ? rand_tensor(dt, 0, NULL) : NULL;
    unsigned char zero[16] = {0};
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) {
        unravel(e, r, od, idx);
        int outside = 0;
        for (int i = 0; i < r; i++) {
            idx[i] = pad_ref(mode, dim[i], pb[i], pe[i], idx[i]);
            outside |= idx[i] < 0;
        }
        memcpy((char *)want->data + e * (int64_t)es,
               outside ? (val ? val->data : zero) : elem(x, idx), es);
    }
    RtTensor *in[4] = {x, index_tensor(DT_I64, 2 * n, pads), val,
                       axes ? index_tensor(DT_I32, na, axes) : NULL};
    Attr a = {.pad = {.mode = mode}};
    char name[64];
    snprintf(name, sizeof name, "Pad mode %d rank %d dt %d", (int)mode, r, (int)dt);
    run_case(name, cpu_pad, &a, in, axes ? 4 : 3, &y, 1, want);
    kt_free(x), kt_free(y), kt_free(want), kt_free(in[1]), kt_free(val), kt_free(in[3]);
}

/* Each mode with positive, negative and oversized pads, axes, ranks 1 to 4. */
static void
test_pad(void)
{
    int64_t d[3] = {3, 4, 5}, p1[6] = {1, 0, 2, 0, 3, 1}, p2[6] = {-1, 2, -2, 1, 0, -1};
    int64_t p3[6] = {2, 3, 7, 4, 9, 11}, ax[2] = {-1, 1}, p4[4] = {2, -1, 3, 2};
    int64_t img[4] = {1, 16, 33, 35}, pimg[8] = {0, 0, 1, 2, 0, 0, 1, 2}, d1[1] = {6};
    int64_t p5[2] = {3, 4};
    for (int m = PADM_CONSTANT; m <= PADM_WRAP; m++) {
        for (int i = 0; i < NDT; i++)
            pad_case(dtypes[i], (PadMode)m, 3, d, 0, NULL, p1, 1);
        pad_case(DT_F32, (PadMode)m, 3, d, 0, NULL, p2, 0);     /* negative pads crop */
        pad_case(DT_F32, (PadMode)m, 3, d, 0, NULL, p3, 1);     /* pads beyond the input */
        pad_case(DT_I64, (PadMode)m, 3, d, 2, ax, p4, 0);       /* axes */
        pad_case(DT_F32, (PadMode)m, 4, img, 0, NULL, pimg, 0); /* large */
        pad_case(DT_U8, (PadMode)m, 1, d1, 0, NULL, p5, 1);
    }
}

/* ---- trilu ----------------------------------------------------------------------------------- */

/* Trilu: element (i, j) of each matrix is kept when j - i >= k (upper) or <= k (lower). */
static void
trilu_case(DType dt, int r, const int64_t *dim, int upper, const int64_t *k)
{
    int64_t idx[RT_MAXRANK], kv = k ? *k : 0;
    RtTensor *x = rand_tensor(dt, r, dim), *y = tensor(dt, r, dim), *want = tensor(dt, r, dim);
    size_t es = rt_dtype_size(dt);
    for (int64_t e = 0; e < rt_numel(want); e++) {
        unravel(e, r, dim, idx);
        int64_t i = idx[r - 2], j = idx[r - 1];
        int keep = upper ? j - i >= kv : j - i <= kv;
        if (keep)
            memcpy((char *)want->data + e * (int64_t)es, elem(x, idx), es);
    }
    RtTensor *kt = k ? tensor(DT_I64, 0, NULL) : NULL;
    if (kt)
        *(int64_t *)kt->data = kv;
    RtTensor *in[2] = {x, kt};
    Attr a = {.mode = {.mode = upper}};
    run_case("Trilu", cpu_trilu, &a, in, 2, &y, 1, want);
    kt_free(x), kt_free(y), kt_free(want), kt_free(kt);
}

/* Both triangles, k absent, zero, positive, negative and beyond the matrix. */
static void
test_trilu(void)
{
    int64_t d[3] = {2, 4, 5}, t[2] = {6, 3}, ks[5] = {0, 1, -2, 7, -9};
    for (int up = 0; up < 2; up++) {
        trilu_case(DT_F32, 3, d, up, NULL);
        for (int i = 0; i < 5; i++) {
            trilu_case(DT_F32, 3, d, up, &ks[i]);
            trilu_case(DT_U8, 2, t, up, &ks[i]);
        }
        trilu_case(DT_C128, 2, t, up, &ks[1]);
    }
}

/* ---- range, constant of shape, shape, size --------------------------------------------------- */

/* Range(s, l, d) in dtype dt: element i is s + i * d, exactly (in float for DT_F32). */
static void
range_case(DType dt, double s, double l, double d)
{
    int64_t n = (int64_t)ceil((l - s) / d), one = 1;
    n = n > 0 ? n : 0;
    RtTensor *in[3], *y = tensor(dt, 1, &n);
    double v[3] = {s, l, d};
    if (dt == DT_F32) { /* the kernel sees the float inputs */
        s = v[0] = (float)s;
        d = v[2] = (float)d;
    }
    for (int i = 0; i < 3; i++) {
        in[i] = tensor(dt, 0, &one);
        switch (dt) {
        case DT_F32: *(float *)in[i]->data = (float)v[i]; break;
        case DT_F64: *(double *)in[i]->data = v[i]; break;
        case DT_I16: *(int16_t *)in[i]->data = (int16_t)v[i]; break;
        case DT_I32: *(int32_t *)in[i]->data = (int32_t)v[i]; break;
        default: *(int64_t *)in[i]->data = (int64_t)v[i]; break;
        }
    }
    Attr a = {0};
    CHECK(cpu_range(ctx1, &a, in, 3, &y, 1) == RT_OK);
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        double want = s + (double)i * d, got;
        switch (dt) {
        case DT_F32:
            got = ((float *)y->data)[i];
            want = (float)want;
            break;
        case DT_F64: got = ((double *)y->data)[i]; break;
        case DT_I16: got = ((int16_t *)y->data)[i]; break;
        case DT_I32: got = ((int32_t *)y->data)[i]; break;
        default: got = (double)((int64_t *)y->data)[i]; break;
        }
        ok &= got == want;
    }
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "Range dt %d (%g, %g, %g) differs\n", (int)dt, s, l, d);
    for (int i = 0; i < 3; i++)
        kt_free(in[i]);
    kt_free(y);
}

/* ConstantOfShape of value (f, i) in dtype dt must give the element bytes want. */
static void
cos_case(DType dt, double f, int64_t i, const void *want, size_t es)
{
    int64_t dim[2] = {3, 5}, two = 2;
    RtTensor *shape = tensor(DT_I64, 1, &two), *y = tensor(dt, 2, dim);
    Attr a = {.cst = {.dt = want ? dt : DT_UNDEF, .f = f, .i = i}};
    unsigned char zero[16] = {0};
    CHECK(cpu_constantofshape(ctx1, &a, &shape, 1, &y, 1) == RT_OK);
    int ok = 1;
    for (int64_t k = 0; k < rt_numel(y); k++)
        ok &= memcmp((char *)y->data + k * (int64_t)es, want ? want : zero, es) == 0;
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "ConstantOfShape dt %d differs\n", (int)dt);
    kt_free(shape), kt_free(y);
}

/* Range, ConstantOfShape in every kind of dtype (float16 rounding too), Shape and Size. */
static void
test_generate(void)
{
    range_case(DT_F32, 0, 5, 0.7);
    range_case(DT_F32, 3, -2.5, -0.5);
    range_case(DT_F64, -1, 1, 0.25);
    range_case(DT_I32, 10, 1, -3);
    range_case(DT_I64, -7, 20, 4);
    range_case(DT_I64, 5, -5, -1);
    range_case(DT_I16, 2, 9, 2);
    range_case(DT_I32, 4, 4, 1); /* empty */

    float f = 1.5f;
    double g = -0.25;
    int64_t i64 = -7;
    int32_t i32 = 123456;
    uint8_t u8 = 200, b = 1;
    uint16_t h = 0x3e00, bf = 0x3fc0, tie = 0xc000, sub = 0x0002, inf = 0x7c00; /* f16, bf16 */
    cos_case(DT_F32, 1.5, 0, &f, 4);
    cos_case(DT_F64, -0.25, 0, &g, 8);
    cos_case(DT_I64, 0, -7, &i64, 8);
    cos_case(DT_I32, 0, 123456, &i32, 4);
    cos_case(DT_U8, 0, 200, &u8, 1);
    cos_case(DT_BOOL, 1, 0, &b, 1);
    cos_case(DT_F16, 1.5, 0, &h, 2);
    cos_case(DT_BF16, 1.5, 0, &bf, 2);
    cos_case(DT_F16, -2.0009765625, 0, &tie, 2); /* -(2 + 2^-10): a tie, to even */
    cos_case(DT_F16, ldexp(3, -25), 0, &sub, 2); /* 1.5 x 2^-24: a subnormal tie */
    cos_case(DT_F16, 65520, 0, &inf, 2);         /* halfway to 2^16 rounds to infinity */
    cos_case(DT_F32, 0, 0, NULL, 4);             /* no value: zeros */

    int64_t d[4] = {2, 3, 5, 7}, n3 = 3, n4 = 4, n1 = 1;
    RtTensor *x = tensor(DT_F32, 4, d), *y4 = tensor(DT_I64, 1, &n4), *y3 = tensor(DT_I64, 1, &n3);
    RtTensor *y1 = tensor(DT_I64, 1, &n1), *sz = tensor(DT_I64, 0, NULL);
    Attr a = {.shape = {.start = 0}};
    CHECK(cpu_shape(ctx1, &a, &x, 1, &y4, 1) == RT_OK);
    CHECK(memcmp(y4->data, d, sizeof d) == 0);
    a.shape = (ShapeAttr){.start = -3};
    CHECK(cpu_shape(ctx1, &a, &x, 1, &y3, 1) == RT_OK);
    CHECK(memcmp(y3->data, d + 1, 3 * sizeof *d) == 0);
    a.shape = (ShapeAttr){.start = 1, .end = -2, .has_end = 1};
    CHECK(cpu_shape(ctx1, &a, &x, 1, &y1, 1) == RT_OK);
    CHECK(*(int64_t *)y1->data == 3);
    CHECK(cpu_size(ctx1, &a, &x, 1, &sz, 1) == RT_OK);
    CHECK(*(int64_t *)sz->data == 210);
    kt_free(x), kt_free(y4), kt_free(y3), kt_free(y1), kt_free(sz);
}

int
main(void)
{
    ctx1 = rt_ctx_new(1);
    ctx2 = rt_ctx_new(2);
    test_copies();
    test_concat_split();
    test_slice();
    test_transpose();
    test_expand_tile();
    test_depth_space();
    test_gather();
    test_pad();
    test_trilu();
    test_generate();
    rt_ctx_free(ctx1);
    rt_ctx_free(ctx2);
    return TEST_DONE();
}
