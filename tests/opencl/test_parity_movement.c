/*
 * test_parity_movement.c: the data-movement ops on OpenCL (runtime/opencl/movement.c) against
 * the CPU kernels (runtime/cpu/movement.c, and Pad and Trilu of gather.c), on the geometry of
 * tests/kernels/test_cpu_movement.c: every element size (1, 2, 4, 8 and 16 bytes), negative
 * axes, steps and pads, clamped Slice bounds, empty results, Tile's many dims, every Pad mode,
 * Trilu's k beyond the matrix, and parameters (starts, pads, k) both as constants and only on
 * the device. Data are random bytes, so the outputs must match byte for byte (float32 outputs
 * are compared as floats with no tolerance, NaNs as NaN).
 *
 * The harness puts tensors at offsets that are multiples of 8 bytes but not of 16, so 16-byte
 * elements also take the path that moves them as two 8-byte units. Concat in place (an input
 * the memory planner placed inside the output) is checked directly, with one buffer.
 */
#include "parity.h"

static uint32_t seed = 4242;

static const DType dtypes[] = {DT_U8, DT_F16, DT_F32, DT_I64, DT_C128};
enum { NDT = sizeof dtypes / sizeof dtypes[0] };

/* A tensor of random bytes. */
static RtTensor *
rand_tensor(DType dt, int rank, const int64_t *dim)
{
    RtTensor *t = kt_new(dt, rank, dim);
    unsigned char *p = t->data;
    for (size_t i = 0; i < par_bytes(t); i++)
        p[i] = (unsigned char)(kt_rand(&seed) >> 24);
    return t;
}

/* A 1-D index tensor (int32 or int64) holding v[0..n). */
static RtTensor *
index_tensor(DType dt, int n, const int64_t *v)
{
    int64_t dim[1] = {n};
    RtTensor *t = kt_new(dt, 1, dim);
    for (int i = 0; i < n; i++) {
        if (dt == DT_I32)
            ((int32_t *)t->data)[i] = (int32_t)v[i];
        else
            ((int64_t *)t->data)[i] = v[i];
    }
    return t;
}

/* par_check with the parameter inputs (all but input 0) constant, then on the device only. */
static void
check_both(const char *name, OpKind op, const Attr *a, RtTensor *const *in, int nin,
           RtTensor *const *out, int nout)
{
    char what[200];
    snprintf(what, sizeof what, "%s (constant parameters)", name);
    par_check(what, op, a, in, nin, out, nout, ~1u, 0, 0);
    if (nin > 1) {
        snprintf(what, sizeof what, "%s (parameters on the device)", name);
        par_check(what, op, a, in, nin, out, nout, 0, 0, 0);
    }
}

/* ---- plain copies ---------------------------------------------------------------------------- */

static void
test_copies(void)
{
    int64_t d[3] = {3, 5, 7}, f[2] = {15, 7}, two = 2;
    for (int i = 0; i < NDT; i++) {
        RtTensor *x = rand_tensor(dtypes[i], 3, d), *y = kt_new(dtypes[i], 2, f);
        RtTensor *m = kt_new(DT_BOOL, 3, d), *shape = index_tensor(DT_I64, 1, &two);
        RtTensor *in[2] = {x, shape}, *out[2] = {y, m};
        Attr a = {0};
        char name[64];
        snprintf(name, sizeof name, "copies dt %d", (int)dtypes[i]);
        par_check(name, OP_IDENTITY, &a, in, 1, out, 1, 0, 0, 0);
        par_check(name, OP_RESHAPE, &a, in, 2, out, 1, 2, 0, 0);
        par_check(name, OP_FLATTEN, &a, in, 1, out, 1, 0, 0, 0);
        par_check(name, OP_SQUEEZE, &a, in, 1, out, 1, 0, 0, 0);
        par_check(name, OP_UNSQUEEZE, &a, in, 2, out, 1, 2, 0, 0);
        par_check("Dropout with mask", OP_DROPOUT, &a, in, 1, out, 2, 0, 0, 0);
        out[1] = NULL;
        par_check("Dropout without mask", OP_DROPOUT, &a, in, 1, out, 2, 0, 0, 0);
        kt_free(x), kt_free(y), kt_free(m), kt_free(shape);
    }
}

/* ---- concat and split ------------------------------------------------------------------------ */

/* Concat of n inputs whose axis-ax sizes are lens (the other dims from dim), then Split of the
 * result back into them; axis_attr is ax or its negative form. */
static void
concat_case(DType dt, int r, const int64_t *dim, int ax, int n, const int64_t *lens, int axis_attr)
{
    RtTensor *x[4], *y;
    int64_t od[RT_MAXRANK], xd[RT_MAXRANK];
    memcpy(od, dim, (size_t)r * sizeof *od);
    od[ax] = 0;
    for (int i = 0; i < n; i++) {
        memcpy(xd, dim, (size_t)r * sizeof *xd);
        xd[ax] = lens[i];
        od[ax] += lens[i];
        x[i] = rand_tensor(dt, r, xd);
    }
    y = rand_tensor(dt, r, od);
    Attr a = {.axis = {.axis = axis_attr}};
    char name[96];
    snprintf(name, sizeof name, "Concat dt %d rank %d axis %d", (int)dt, r, axis_attr);
    par_check(name, OP_CONCAT, &a, x, n, &y, 1, 0, 0, 0);

    /* Split undoes it, with every output, and (3 outputs) one not requested; the sizes come from
     * the outputs, so an optional split input changes nothing */
    Attr sa = {.split = {.axis = axis_attr, .num_outputs = n}};
    snprintf(name, sizeof name, "Split dt %d rank %d axis %d", (int)dt, r, axis_attr);
    par_check(name, OP_SPLIT, &sa, &y, 1, x, n, 0, 0, 0);
    RtTensor *sizes = index_tensor(DT_I64, n, lens), *in[2] = {y, sizes};
    par_check(name, OP_SPLIT, &sa, in, 2, x, n, 2, 0, 0);
    if (n == 3) {
        RtTensor *some[3] = {x[0], NULL, x[2]};
        par_check("Split, output 1 not requested", OP_SPLIT, &sa, &y, 1, some, n, 0, 0, 0);
    }
    for (int i = 0; i < n; i++)
        kt_free(x[i]);
    kt_free(y), kt_free(sizes);
}

/* Every element size, negative axes, empty dims, large copies, unaligned byte runs. */
static void
test_concat_split(void)
{
    int64_t d3[3] = {2, 0, 5}, l3[3] = {3, 1, 4}, d1[1] = {0}, l1[2] = {5, 9};
    int64_t d4[4] = {3, 2, 4, 0}, l4[2] = {1, 6}, big[4] = {1, 0, 40, 40}, lb[3] = {24, 8, 40};
    int64_t d30[3] = {0, 3, 5}, d32[3] = {2, 3, 0}, l5[3] = {1, 2, 5}, d5[2] = {7, 0};
    for (int i = 0; i < NDT; i++) {
        concat_case(dtypes[i], 3, d3, 1, 3, l3, 1);
        concat_case(dtypes[i], 3, d3, 1, 3, l3, -2);
        concat_case(dtypes[i], 3, d30, 0, 3, l3, 0); /* outer 1: whole blocks */
    }
    concat_case(DT_I8, 3, d32, 2, 3, l3, -1);
    concat_case(DT_U8, 2, d5, 1, 3, l5, 1); /* odd byte runs */
    concat_case(DT_F32, 1, d1, 0, 2, l1, 0);
    concat_case(DT_U16, 4, d4, 3, 2, l4, 3);
    concat_case(DT_F32, 4, big, 1, 3, lb, 1);
    concat_case(DT_F32, 4, big, 1, 2, lb, -3);
    int64_t e3[3] = {2, 0, 5}, le[3] = {0, 2, 0}; /* inputs with nothing in them */
    concat_case(DT_F32, 3, e3, 1, 3, le, 1);
}

/* Concat with inputs already inside the output (Concat in place): input 0 and 2 sit at their
 * slices of y in the same buffer, input 1 elsewhere; y must come out whole. With the output
 * dims after the axis, only an axis-0 concat (or leading 1s) can be in place. */
static void
test_concat_in_place(DType dt)
{
    int64_t lens[3] = {3, 2, 4}, inner = 5, total = 9;
    size_t es = rt_dtype_size(dt), row = (size_t)inner * es;
    size_t yoff = 72, xoff1 = yoff + (size_t)total * row + 24; /* 8-byte aligned, not 16 */
    size_t bytes = xoff1 + (size_t)lens[1] * row;
    int64_t yd[3] = {1, total, inner}, xd[3][3] = {{1, 3, inner}, {1, 2, inner}, {1, 4, inner}};
    RtTensor *ref = rand_tensor(dt, 3, yd);
    OclBuf *buf = NULL;
    CHECK(ocl_buf_new(par_dev, bytes, &buf) == RT_OK);
    if (!buf)
        return;
    unsigned char *host = calloc(1, bytes);
    /* inputs 0 and 2 written where they belong in y; input 1 away from y; y's slice 1 garbage */
    memcpy(host + yoff, ref->data, (size_t)total * row);
    memset(host + yoff + (size_t)lens[0] * row, 0xa5, (size_t)lens[1] * row);
    memcpy(host + xoff1, (char *)ref->data + (size_t)lens[0] * row, (size_t)lens[1] * row);
    CHECK(ocl_buf_write(par_dev, buf, 0, host, bytes) == RT_OK);
    OclTensor y = {.mem = buf->mem, .off = yoff, .dt = dt, .rank = 3};
    OclTensor x[3];
    size_t xo[3] = {yoff, xoff1, yoff + (size_t)(lens[0] + lens[1]) * row};
    memcpy(y.dim, yd, sizeof yd);
    for (int i = 0; i < 3; i++) {
        x[i] = (OclTensor){.mem = buf->mem, .off = xo[i], .dt = dt, .rank = 3};
        memcpy(x[i].dim, xd[i], sizeof xd[i]);
    }
    OclTensor *in[3] = {&x[0], &x[1], &x[2]}, *out[1] = {&y};
    Attr a = {.axis = {.axis = 1}};
    int rc = ocl_op_concat(par_dev, &a, in, 3, out, 1);
    CHECK(rc == RT_OK && ocl_finish(par_dev) == RT_OK);
    if (rc != RT_OK)
        fprintf(stderr, "Concat in place dt %d: %s\n", (int)dt, rt_ctx_error(par_ctx));
    CHECK(ocl_buf_read(par_dev, buf, yoff, host, (size_t)total * row) == RT_OK);
    int same = memcmp(host, ref->data, (size_t)total * row) == 0;
    CHECK(same);
    if (!same)
        fprintf(stderr, "Concat in place dt %d: output differs\n", (int)dt);
    /* a plain copy onto itself is nothing too (clEnqueueCopyBuffer would refuse the overlap) */
    OclTensor *self[1] = {&y};
    CHECK(ocl_op_identity(par_dev, &a, self, 1, self, 1) == RT_OK && ocl_finish(par_dev) == RT_OK);
    free(host);
    kt_free(ref);
    ocl_buf_free(par_dev, buf);
}

/* ---- slice ----------------------------------------------------------------------------------- */

/* ONNX's clamping rules, written out per axis. */
static void
slice_axis(int64_t dim, int64_t s, int64_t e, int64_t p, int64_t *len)
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
}

static void
slice_case(DType dt, DType it, int r, const int64_t *dim, int n, const int64_t *st,
           const int64_t *en, const int64_t *axes, const int64_t *steps)
{
    int64_t od[RT_MAXRANK];
    memcpy(od, dim, (size_t)r * sizeof *od);
    for (int i = 0; i < n; i++) {
        int64_t ax = axes ? axes[i] : i;
        ax = ax < 0 ? ax + r : ax;
        slice_axis(dim[ax], st[i], en[i], steps ? steps[i] : 1, &od[ax]);
    }
    RtTensor *x = rand_tensor(dt, r, dim), *y = kt_new(dt, r, od);
    RtTensor *in[5] = {x, index_tensor(it, n, st), index_tensor(it, n, en),
                       axes ? index_tensor(it, n, axes) : NULL,
                       steps ? index_tensor(it, n, steps) : NULL};
    Attr a = {0};
    char name[64];
    snprintf(name, sizeof name, "Slice dt %d rank %d", (int)dt, r);
    check_both(name, OP_SLICE, &a, in, steps ? 5 : axes ? 4 : 3, &y, 1);
    for (int i = 0; i < 5; i++)
        kt_free(in[i]);
    kt_free(y);
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
    slice_case(DT_U8, DT_I64, 2, big, 2, s7, e7, NULL, p7);
    slice_case(DT_C128, DT_I32, 2, big, 2, s6, e6, NULL, p6);
}

/* ---- transpose, expand, tile ----------------------------------------------------------------- */

static void
transpose_case(DType dt, int r, const int64_t *dim, const int64_t *perm)
{
    int64_t od[RT_MAXRANK];
    for (int i = 0; i < r; i++)
        od[i] = dim[perm ? perm[i] : r - 1 - i];
    RtTensor *x = rand_tensor(dt, r, dim), *y = kt_new(dt, r, od);
    Attr a = {.perm = {.perm = {perm ? r : 0, perm}}};
    char name[64];
    snprintf(name, sizeof name, "Transpose rank %d dt %d", r, (int)dt);
    par_check(name, OP_TRANSPOSE, &a, &x, 1, &y, 1, 0, 0, 0);
    kt_free(x), kt_free(y);
}

/* All 3-D permutations, 5-D, 8-D, the default, large 2-D and NCHW to NHWC, rank 0. */
static void
test_transpose(void)
{
    static const int64_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                        {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int64_t d3[3] = {3, 4, 5}, d5[5] = {2, 3, 4, 5, 6}, p5[5] = {4, 2, 0, 3, 1};
    int64_t mat[2] = {300, 257}, nchw[4] = {2, 64, 17, 19}, nhwc[4] = {0, 2, 3, 1};
    int64_t tall[3] = {9, 40, 11}, pt[3] = {2, 1, 0};
    int64_t d8[8] = {2, 3, 2, 3, 2, 3, 2, 3}, p8[8] = {7, 5, 3, 1, 0, 2, 4, 6};
    for (int p = 0; p < 6; p++)
        for (int i = 0; i < NDT; i++)
            transpose_case(dtypes[i], 3, d3, perms[p]);
    transpose_case(DT_F32, 5, d5, p5);
    transpose_case(DT_U16, 5, d5, p5);
    transpose_case(DT_C128, 8, d8, p8); /* 9 dims once elements are split */
    transpose_case(DT_F32, 3, d3, NULL);
    transpose_case(DT_F32, 2, mat, NULL);
    transpose_case(DT_U8, 2, mat, NULL);
    transpose_case(DT_F32, 4, nchw, nhwc);
    transpose_case(DT_C128, 3, tall, pt);
    transpose_case(DT_F32, 0, d3, NULL);
}

static void
expand_case(DType dt, int r, const int64_t *dim, int ro, const int64_t *od)
{
    RtTensor *x = rand_tensor(dt, r, dim), *y = kt_new(dt, ro, od);
    RtTensor *in[2] = {x, index_tensor(DT_I64, ro, od)};
    Attr a = {0};
    char name[64];
    snprintf(name, sizeof name, "Expand dt %d rank %d to %d", (int)dt, r, ro);
    check_both(name, OP_EXPAND, &a, in, 2, &y, 1);
    kt_free(x), kt_free(y), kt_free(in[1]);
}

static void
tile_case(DType dt, int r, const int64_t *dim, const int64_t *rep)
{
    int64_t od[RT_MAXRANK];
    for (int i = 0; i < r; i++)
        od[i] = dim[i] * rep[i];
    RtTensor *x = rand_tensor(dt, r, dim), *y = kt_new(dt, r, od);
    RtTensor *in[2] = {x, index_tensor(DT_I64, r, rep)};
    Attr a = {0};
    char name[64];
    snprintf(name, sizeof name, "Tile dt %d rank %d", (int)dt, r);
    check_both(name, OP_TILE, &a, in, 2, &y, 1);
    kt_free(x), kt_free(y), kt_free(in[1]);
}

/* Rank-raising and same-rank Expand, zero and large Tile repeats, Tile past 8 dims. */
static void
test_expand_tile(void)
{
    int64_t a1[3] = {3, 1, 5}, o1[4] = {2, 3, 4, 5}, a2[1] = {1}, o2[2] = {4, 3};
    int64_t a3[2] = {4, 1}, o3[2] = {4, 6}, a4[3] = {2, 3, 4}, a5[4] = {1, 64, 1, 1};
    int64_t o5[4] = {2, 64, 30, 31}, a6[1] = {1}, o6[1] = {3};
    for (int i = 0; i < NDT; i++)
        expand_case(dtypes[i], 3, a1, 4, o1);
    expand_case(DT_F32, 1, a2, 2, o2);
    expand_case(DT_I64, 2, a3, 2, o3);
    expand_case(DT_U8, 3, a4, 3, a4);
    expand_case(DT_F32, 4, a5, 4, o5); /* large */
    expand_case(DT_I16, 1, a6, 1, o6);
    int64_t t1[3] = {2, 3, 4}, r1[3] = {2, 1, 3}, t2[2] = {1, 5}, r2[2] = {3, 2};
    int64_t t3[1] = {7}, r3[1] = {4}, t4[2] = {3, 4}, r4[2] = {0, 2}, t5[2] = {50, 60};
    int64_t r5[2] = {3, 4}, t6[5] = {2, 3, 2, 3, 2}, r6[5] = {2, 2, 3, 2, 2};
    for (int i = 0; i < NDT; i++)
        tile_case(dtypes[i], 3, t1, r1);
    tile_case(DT_F32, 2, t2, r2);
    tile_case(DT_I8, 1, t3, r3);
    tile_case(DT_F32, 2, t4, r4);
    tile_case(DT_F32, 2, t5, r5); /* large */
    tile_case(DT_U16, 5, t6, r6); /* 10 dims: the host loops over the outer 2 */
    tile_case(DT_C128, 5, t6, r6);
}

/* ---- depth and space ------------------------------------------------------------------------- */

static void
d2s_case(DType dt, const int64_t *dim, int64_t b, int crd, int s2d)
{
    int64_t od[4] = {dim[0], s2d ? dim[1] * b * b : dim[1] / (b * b), s2d ? dim[2] / b : dim[2] * b,
                     s2d ? dim[3] / b : dim[3] * b};
    RtTensor *x = rand_tensor(dt, 4, dim), *y = kt_new(dt, 4, od);
    Attr a = {.block = {.blocksize = b, .crd = crd}};
    char name[64];
    snprintf(name, sizeof name, "%s dt %d b %d",
             s2d   ? "SpaceToDepth"
             : crd ? "DepthToSpace CRD"
                   : "DepthToSpace DCR",
             (int)dt, (int)b);
    par_check(name, s2d ? OP_SPACETODEPTH : OP_DEPTHTOSPACE, &a, &x, 1, &y, 1, 0, 0, 0);
    kt_free(x), kt_free(y);
}

static void
test_depth_space(void)
{
    int64_t a[4] = {2, 8, 3, 4}, b[4] = {1, 18, 2, 3}, c[4] = {2, 3, 6, 4}, d[4] = {1, 5, 9, 6};
    int64_t big[4] = {1, 64, 32, 32};
    for (int crd = 0; crd < 2; crd++) {
        d2s_case(DT_F32, a, 2, crd, 0);
        d2s_case(DT_U8, b, 3, crd, 0);
        d2s_case(DT_I64, a, 2, crd, 0);
        d2s_case(DT_C128, a, 2, crd, 0);
        d2s_case(DT_F32, big, 4, crd, 0);
    }
    d2s_case(DT_F32, c, 2, 0, 1);
    d2s_case(DT_F16, d, 3, 0, 1);
    d2s_case(DT_C128, c, 2, 0, 1);
    d2s_case(DT_F32, big, 2, 0, 1);
}

/* ---- pad and trilu --------------------------------------------------------------------------- */

/* Pad with pads (begins then ends) on every axis or on axes (int32); with_value: a constant. */
static void
pad_case(DType dt, PadMode mode, int r, const int64_t *dim, int na, const int64_t *axes,
         const int64_t *pads, int with_value)
{
    int64_t pb[RT_MAXRANK] = {0}, pe[RT_MAXRANK] = {0}, od[RT_MAXRANK];
    int n = axes ? na : r;
    for (int i = 0; i < n; i++) {
        int64_t ax = axes ? axes[i] : i;
        ax = ax < 0 ? ax + r : ax;
        pb[ax] = pads[i];
        pe[ax] = pads[i + n];
    }
    for (int i = 0; i < r; i++)
        od[i] = dim[i] + pb[i] + pe[i];
    RtTensor *x = rand_tensor(dt, r, dim), *y = kt_new(dt, r, od);
    RtTensor *val = with_value ? rand_tensor(dt, 0, NULL) : NULL;
    RtTensor *in[4] = {x, index_tensor(DT_I64, 2 * n, pads), val,
                       axes ? index_tensor(DT_I32, na, axes) : NULL};
    Attr a = {.pad = {.mode = mode}};
    char name[64];
    snprintf(name, sizeof name, "Pad mode %d rank %d dt %d", (int)mode, r, (int)dt);
    check_both(name, OP_PAD, &a, in, axes ? 4 : with_value ? 3 : 2, &y, 1);
    kt_free(x), kt_free(y), kt_free(in[1]), kt_free(val), kt_free(in[3]);
}

/* Each mode with positive, negative and oversized pads, axes, ranks 0 to 4. */
static void
test_pad(void)
{
    int64_t d[3] = {3, 4, 5}, p1[6] = {1, 0, 2, 0, 3, 1}, p2[6] = {-1, 2, -2, 1, 0, -1};
    int64_t p3[6] = {2, 3, 7, 4, 9, 11}, ax[2] = {-1, 1}, p4[4] = {2, -1, 3, 2};
    int64_t img[4] = {1, 16, 33, 35}, pimg[8] = {0, 0, 1, 2, 0, 0, 1, 2}, d1[1] = {6};
    int64_t p5[2] = {3, 4}, p6[2] = {-6, 3};
    for (int m = PADM_CONSTANT; m <= PADM_WRAP; m++) {
        for (int i = 0; i < NDT; i++)
            pad_case(dtypes[i], (PadMode)m, 3, d, 0, NULL, p1, 1);
        pad_case(DT_F32, (PadMode)m, 3, d, 0, NULL, p2, 0); /* negative pads crop */
        pad_case(DT_F32, (PadMode)m, 3, d, 0, NULL, p3, 1); /* pads beyond the input */
        pad_case(DT_C128, (PadMode)m, 3, d, 0, NULL, p3, 1);
        pad_case(DT_I64, (PadMode)m, 3, d, 2, ax, p4, 0);       /* axes */
        pad_case(DT_F32, (PadMode)m, 4, img, 0, NULL, pimg, 0); /* large */
        pad_case(DT_U8, (PadMode)m, 1, d1, 0, NULL, p5, 1);
    }
    pad_case(DT_U8, PADM_CONSTANT, 1, d1, 0, NULL, p6, 1); /* everything cropped */
    pad_case(DT_I32, PADM_CONSTANT, 0, d1, 0, NULL, p5, 1);
}

static void
trilu_case(DType dt, int r, const int64_t *dim, int upper, const int64_t *k, DType kt)
{
    RtTensor *x = rand_tensor(dt, r, dim), *y = kt_new(dt, r, dim);
    RtTensor *kv = k ? kt_new(kt, 0, NULL) : NULL;
    if (kv && kt == DT_I32)
        *(int32_t *)kv->data = (int32_t)*k;
    else if (kv)
        *(int64_t *)kv->data = *k;
    RtTensor *in[2] = {x, kv};
    Attr a = {.mode = {.mode = upper}};
    char name[80];
    snprintf(name, sizeof name, "Trilu %s dt %d k %lld", upper ? "upper" : "lower", (int)dt,
             k ? (long long)*k : 0LL);
    check_both(name, OP_TRILU, &a, in, k ? 2 : 1, &y, 1);
    kt_free(x), kt_free(y), kt_free(kv);
}

/* Both triangles, k absent, zero, positive, negative and beyond the matrix. */
static void
test_trilu(void)
{
    int64_t d[3] = {2, 4, 5}, t[2] = {6, 3}, ks[5] = {0, 1, -2, 7, -9}, big[3] = {3, 70, 90};
    for (int up = 0; up < 2; up++) {
        trilu_case(DT_F32, 3, d, up, NULL, DT_I64);
        for (int i = 0; i < 5; i++) {
            trilu_case(DT_F32, 3, d, up, &ks[i], DT_I64);
            trilu_case(DT_U8, 2, t, up, &ks[i], DT_I64);
        }
        trilu_case(DT_C128, 2, t, up, &ks[1], DT_I64);
        trilu_case(DT_F16, 3, big, up, &ks[2], DT_I32);
    }
}

/* ---- errors ---------------------------------------------------------------------------------- */

/* Bad forms give an error, never a crash. */
static void
test_errors(void)
{
    OclTensor x = {.dt = DT_F32, .rank = 2, .dim = {2, 3}}, s = x;
    s.dt = DT_STRING;
    OclTensor *in[1] = {&x}, *ins[1] = {&s};
    int64_t bad[2] = {0, 2};
    Attr a = {.perm = {.perm = {2, bad}}};
    CHECK(ocl_op_transpose(par_dev, &a, in, 1, in, 1) == RT_EINPUT);
    CHECK(ocl_op_identity(par_dev, &a, ins, 1, ins, 1) == RT_EUNSUPPORTED);
    Attr c = {.axis = {.axis = 5}};
    CHECK(ocl_op_concat(par_dev, &c, in, 1, in, 1) == RT_EINPUT);
    OclTensor v = {.dt = DT_F32, .rank = 1, .dim = {4}};
    OclTensor *tin[1] = {&v};
    Attr t = {0};
    CHECK(ocl_op_trilu(par_dev, &t, tin, 1, tin, 1) == RT_EINPUT);
}

int
main(void)
{
    par_open();
    /* the tables hold weak references: naming the ops makes a static link keep them */
    CHECK(ocl_op[OP_IDENTITY] == ocl_op_identity && ocl_op[OP_CONCAT] == ocl_op_concat);
    CHECK(ocl_op[OP_PAD] == ocl_op_pad && ocl_op[OP_TRILU] == ocl_op_trilu);
    CHECK(cpu_kernel[OP_CONCAT] == cpu_concat && cpu_kernel[OP_PAD] == cpu_pad);
    test_copies();
    test_concat_split();
    for (int i = 0; i < NDT; i++)
        test_concat_in_place(dtypes[i]);
    test_slice();
    test_transpose();
    test_expand_tile();
    test_depth_space();
    test_pad();
    test_trilu();
    test_errors();
    return par_close();
}
