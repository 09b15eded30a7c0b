/*
 * conv.c: Conv, ConvTranspose, Gemm and MatMul on an OpenCL device, float32. The counterparts of
 * runtime/cpu/conv.c and gemm.c, whose geometry and broadcasting rules they follow; the kernels
 * are kernels/conv.cl and the tuned GEMM (gemm.c, kernels/gemm.cl), which applies bias, alpha,
 * beta C and the fused activation as it stores.
 *
 * Conv picks one of three methods by shape:
 *   - direct (conv_direct, a strip of outputs along W per work-item): depthwise convolutions,
 *     and those so small that launches dominate (on PoCL the GEMM path wins from about 64K
 *     multiply-adds on, even with 2 output channels);
 *   - pointwise (1x1, stride 1, no padding): one GEMM on X itself, W [M, C] by X [C, H * W];
 *   - otherwise im2col into the device's scratch buffer, then one GEMM per image (the groups are
 *     the GEMM's batch) of W [M/group, C/group * k] by the patches. The patches of a large image
 *     go in blocks of output rows, so that the scratch stays under COL_CAP.
 * HETC_OCL_CONV=direct or =gemm overrides the choice (tests run each case both ways; benchmarks
 * compare them).
 *
 * ConvTranspose gathers: each output sums the inputs and taps that reach it. Gemm reads a
 * transposed A through strides and copies a transposed B to scratch; MatMul broadcasts its batch
 * as numpy does, folding what it can into the GEMM's batch and launching once per rest.
 *
 * The scratch buffer is the device's (OclDev.scratch), shared with the GEMM's padded copy of B:
 * a staged B is written with ocl_gemm_ldb's row length, so the GEMM never copies it again.
 */
#include "conv_geom.h"
#include "ocl_impl.h"
#include "ops.h"
#include "shape.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define COL_CAP ((int64_t)32 << 20)    /* bytes of im2col scratch before blocking */
#define DIRECT_MACS ((int64_t)1 << 16) /* below: one launch (direct) beats two */
enum { STRIP = 8 };                    /* outputs along W per work-item (SW, conv.cl) */

/* ---- helpers --------------------------------------------------------------------------------- */

/* RT_OK when the present tensors are float32 at float-aligned offsets. */
static int
require_f32(OclDev *d, const char *op, OclTensor *const *in, int nin, OclTensor *const *out,
            int nout)
{
    for (int i = 0; i < nin + nout; i++) {
        const OclTensor *t = i < nin ? in[i] : out[i - nin];
        if (t && t->dt != DT_F32)
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: dtype %d (only float32)", op,
                           (int)t->dt);
        if (t && t->off % 4)
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: offset %zu not float-aligned",
                           op, t->off);
    }
    return RT_OK;
}

/* The element offset of t's element 0. */
static cl_long
eoff(const OclTensor *t)
{
    return (cl_long)(t->off / 4);
}

int
ocl_scratch(OclDev *d, size_t bytes, cl_mem *out)
{
    if (!d->scratch || d->scratch->bytes < bytes) {
        ocl_buf_free(d, d->scratch);
        d->scratch = NULL;
        int rc = ocl_buf_new(d, bytes, &d->scratch);
        if (rc != RT_OK)
            return rc;
    }
    *out = d->scratch->mem;
    return RT_OK;
}

/* d's scratch buffer for a B staged for the GEMM. The GEMM is tuned first: tuning pads its own
 * B through the same scratch, which would free a buffer staged before. */
static int
gemm_scratch(OclDev *d, size_t bytes, cl_mem *out)
{
    OclGemmCfg cfg;
    int rc = ocl_gemm_tuned(d, &cfg);
    return rc == RT_OK ? ocl_scratch(d, bytes, out) : rc;
}

/* The fused activation as conv.cl's kernels take it (see FUSED there): the kind, and alpha,
 * beta, mul and add, with no affine step without an activation (as cpu_act_apply). */
static void
act_args(const Fused *f, cl_int *act, cl_float4 *p)
{
    *act = (cl_int)f->act;
    int affine = f->act != ACT_NONE && f->affine;
    *p = (cl_float4){{f->alpha, f->beta, affine ? f->mul : 1.0f, affine ? f->add : 0.0f}};
}

static cl_int4
int4_of(const int64_t *v)
{
    return (cl_int4){{(cl_int)v[0], (cl_int)v[1], (cl_int)v[2], 0}};
}

/* ---- Conv ------------------------------------------------------------------------------------ */

/* The arguments shared by conv_direct and convtranspose_gather, in their order. */
typedef struct DirectArgs {
    cl_mem x, w, b, y;
    cl_long xoff, woff, boff, yoff;
    cl_int4 img, col, k, s, dl, pb, cm;
    cl_int act;
    cl_float4 ap;
} DirectArgs;

/* Runs conv_direct (a strip of STRIP outputs along W per work-item) or convtranspose_gather (one
 * output per work-item) over (W, D * H, N * M) of the side written (img for ConvTranspose). */
static int
run_direct(OclDev *d, const char *kernel, const Geom *g, const ConvAttr *a, OclTensor *const *in,
           int nin, const OclTensor *y, int64_t cg, int64_t mg, int transpose)
{
    const OclTensor *x = in[0], *w = in[1], *b = nin > 2 ? in[2] : NULL;
    const int64_t *out = transpose ? g->img : g->col;
    DirectArgs p = {.x = x->mem,
                    .w = w->mem,
                    .b = b ? b->mem : NULL,
                    .y = y->mem,
                    .xoff = eoff(x),
                    .woff = eoff(w),
                    .boff = b ? eoff(b) : 0,
                    .yoff = eoff(y),
                    .img = int4_of(g->img),
                    .col = int4_of(g->col),
                    .k = int4_of(g->k),
                    .s = int4_of(g->s),
                    .dl = int4_of(g->d),
                    .pb = int4_of(g->pb),
                    .cm = {{(cl_int)cg, (cl_int)y->dim[1], (cl_int)mg, 0}}};
    act_args(&a->fuse, &p.act, &p.ap);
    OclArg arg[] = {OCL_ARG(p.x),   OCL_ARG(p.xoff), OCL_ARG(p.w),  OCL_ARG(p.woff),
                    OCL_ARG(p.b),   OCL_ARG(p.boff), OCL_ARG(p.y),  OCL_ARG(p.yoff),
                    OCL_ARG(p.img), OCL_ARG(p.col),  OCL_ARG(p.k),  OCL_ARG(p.s),
                    OCL_ARG(p.dl),  OCL_ARG(p.pb),   OCL_ARG(p.cm), OCL_ARG(p.act),
                    OCL_ARG(p.ap)};
    size_t strip = transpose ? 1 : STRIP;
    size_t global[3] = {((size_t)out[2] + strip - 1) / strip, (size_t)(out[0] * out[1]),
                        (size_t)(y->dim[0] * y->dim[1])};
    return ocl_launch(d, "conv", NULL, kernel, arg, (int)(sizeof arg / sizeof *arg), 3, global, NULL);
}

/* Writes the patches of image i, output rows [row0, row0 + rows), to buf with rows ldb floats
 * apart. */
static int
im2col(OclDev *d, const Geom *g, const OclTensor *x, int64_t i, cl_mem buf, int64_t ldb,
       int64_t row0, int64_t rows)
{
    int64_t c = x->dim[1];
    cl_long xoff = eoff(x) + i * c * g->imgsz;
    cl_int ildb = (cl_int)ldb, irow0 = (cl_int)row0;
    cl_int4 img = int4_of(g->img), col = int4_of(g->col), k = int4_of(g->k), s = int4_of(g->s),
            dl = int4_of(g->d), pb = int4_of(g->pb);
    OclArg arg[] = {OCL_ARG(x->mem), OCL_ARG(xoff), OCL_ARG(buf),  OCL_ARG(ildb),
                    OCL_ARG(img),    OCL_ARG(col),  OCL_ARG(k),    OCL_ARG(s),
                    OCL_ARG(dl),     OCL_ARG(pb),   OCL_ARG(irow0)};
    size_t global[2] = {(size_t)rows, (size_t)(c * g->ksz)};
    return ocl_launch(d, "conv", NULL, "im2col", arg, (int)(sizeof arg / sizeof *arg), 2, global, NULL);
}

/* Conv by GEMM: pointwise on X itself, else im2col into scratch; the groups are the GEMM's
 * batch, the images a loop (or the batch, for one group on X itself). */
static int
conv_gemm(OclDev *d, const Geom *g, const ConvAttr *a, OclTensor *const *in, int nin,
          const OclTensor *y, int64_t cg, int64_t mg, int pointwise)
{
    const OclTensor *x = in[0], *w = in[1], *b = nin > 2 ? in[2] : NULL;
    int64_t n = x->dim[0], c = x->dim[1], m = y->dim[1], group = c / cg, rows = cg * g->ksz;
    OclGemmArgs ga = {.m = mg,
                      .k = rows,
                      .batch = group,
                      .a = w->mem,
                      .aoff = eoff(w),
                      .lda = rows,
                      .za = mg * rows,
                      .c = y->mem,
                      .ldc = g->colsz,
                      .zc = mg * g->colsz,
                      .alpha = 1.0f,
                      .beta = 1.0f,
                      .fuse = &a->fuse};
    if (b) { /* the bias: E with a value per row, beta 1 */
        ga.e = b->mem;
        ga.eoff = eoff(b);
        ga.ei = 1;
        ga.ze = mg;
    }
    int rc = RT_OK;
    if (pointwise) {
        /* Y_i [mg, HW] = W [mg, cg] X_i [cg, HW] per group; one group: the images as the batch */
        ga.n = g->colsz;
        ga.b = x->mem;
        ga.ldb = g->colsz;
        ga.zb = cg * g->colsz;
        int64_t loops = group == 1 ? 1 : n;
        if (group == 1) {
            ga.batch = n;
            ga.za = 0;
            ga.zb = c * g->colsz;
            ga.zc = m * g->colsz;
            ga.ze = 0;
        }
        for (int64_t i = 0; i < loops && rc == RT_OK; i++) {
            ga.boff = eoff(x) + i * c * g->colsz;
            ga.coff = eoff(y) + i * m * g->colsz;
            rc = ocl_gemm(d, &ga, NULL);
        }
        return rc;
    }
    /* blocks of whole output rows (one (od, oh) each) whose patches fit in COL_CAP */
    int64_t orows = g->col[0] * g->col[1], ow = g->col[2];
    int64_t per_row = c * g->ksz * ow * 4;
    int64_t block = COL_CAP / (per_row > 0 ? per_row : 1);
    block = block < 1 ? 1 : block > orows ? orows : block;
    int64_t nblock = (orows + block - 1) / block;
    block = (orows + nblock - 1) / nblock; /* blocks of even size, the last one shorter */
    int64_t last = orows - (nblock - 1) * block;
    int64_t ldb = ocl_gemm_ldb(block * ow, rows), ldb_last = ocl_gemm_ldb(last * ow, rows);
    cl_mem buf;
    rc = gemm_scratch(d, (size_t)(c * g->ksz * (ldb > ldb_last ? ldb : ldb_last)) * 4, &buf);
    if (rc != RT_OK)
        return rc;
    ga.b = buf;
    for (int64_t i = 0; i < n && rc == RT_OK; i++) {
        for (int64_t r0 = 0; r0 < orows && rc == RT_OK; r0 += block) {
            int64_t nr = orows - r0 < block ? orows - r0 : block;
            ga.n = nr * ow;
            ga.ldb = nr == block ? ldb : ldb_last;
            ga.zb = rows * ga.ldb;
            ga.coff = eoff(y) + i * m * g->colsz + r0 * ow;
            if ((rc = im2col(d, g, x, i, buf, ga.ldb, r0, nr)) == RT_OK)
                rc = ocl_gemm(d, &ga, NULL);
        }
    }
    return rc;
}

/* What Conv and ConvTranspose check first: float32, 1 to 3 spatial axes, sizes the kernels'
 * int indices reach. A status < 0 to return, 1 when the output is empty (nothing to do), else 0. */
static int
conv_checks(OclDev *d, const char *op, OclTensor *const *in, int nin, OclTensor *const *out)
{
    const OclTensor *x = in[0], *w = in[1], *y = out[0];
    int rc = require_f32(d, op, in, nin, out, 1);
    if (rc != RT_OK)
        return rc;
    if (x->rank < 3 || x->rank > 2 + NS)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: rank %d, expected 3 to 5", op,
                       x->rank);
    if (ocl_numel(y) == 0)
        return 1;
    if (ocl_numel(x) > INT_MAX || ocl_numel(y) > INT_MAX || ocl_numel(w) > INT_MAX)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: a tensor of 2^31 floats or more",
                       op);
    return 0;
}

int
ocl_op_conv(OclDev *d, const Attr *attr, OclTensor *const *in, int nin, OclTensor *const *out,
            int nout)
{
    const OclTensor *x = in[0], *w = in[1];
    const OclTensor *y = out[0];
    const ConvAttr *a = &attr->conv;
    int rc = conv_checks(d, "Conv", in, nin, out);
    (void)nout;
    if (rc != 0)
        return rc < 0 ? rc : RT_OK;
    Geom g;
    geom_init(&g, a, x->rank - 2, x->dim, w->dim, y->dim, 0);
    int64_t group = a->group > 0 ? a->group : 1, cg = x->dim[1] / group, mg = y->dim[1] / group;
    int64_t macs = ocl_numel(y) * cg * g.ksz;
    const char *force = getenv("HETC_OCL_CONV");
    int direct = (cg == 1 && group > 1) || macs < DIRECT_MACS;
    if (force && (strcmp(force, "direct") == 0 || strcmp(force, "gemm") == 0))
        direct = force[0] == 'd';
    if (direct)
        return run_direct(d, "conv_direct", &g, a, in, nin, y, cg, mg, 0);
    int pointwise = 1;
    for (int j = 0; j < NS; j++)
        pointwise &= g.k[j] == 1 && g.s[j] == 1 && g.pb[j] == 0 && g.img[j] == g.col[j];
    return conv_gemm(d, &g, a, in, nin, y, cg, mg, pointwise);
}

int
ocl_op_convtranspose(OclDev *d, const Attr *attr, OclTensor *const *in, int nin,
                     OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *w = in[1];
    const OclTensor *y = out[0];
    int rc = conv_checks(d, "ConvTranspose", in, nin, out);
    (void)nout;
    if (rc != 0)
        return rc < 0 ? rc : RT_OK;
    Geom g;
    geom_init(&g, &attr->conv, x->rank - 2, x->dim, w->dim, y->dim, 1);
    int64_t group = attr->conv.group > 0 ? attr->conv.group : 1;
    return run_direct(d, "convtranspose_gather", &g, &attr->conv, in, nin, y, x->dim[1] / group,
                      w->dim[1], 1);
}

/* ---- Gemm ------------------------------------------------------------------------------------ */

int
ocl_op_gemm(OclDev *d, const Attr *attr, OclTensor *const *in, int nin, OclTensor *const *out,
            int nout)
{
    const GemmAttr *a = &attr->gemm;
    const OclTensor *ta = in[0], *tb = in[1], *tc = nin > 2 ? in[2] : NULL;
    const OclTensor *ty = out[0];
    int rc = require_f32(d, "Gemm", in, nin, out, 1);
    (void)nout;
    if (rc != RT_OK)
        return rc;
    int64_t m = ty->dim[0], n = ty->dim[1], k = a->trans_a ? ta->dim[0] : ta->dim[1];
    if (m * n == 0)
        return RT_OK;
    /* A as stored is [M, K], or [K, M] read through strides; either way rows of dim[1] */
    OclGemmArgs g = {.m = m,
                     .n = n,
                     .k = k,
                     .a = ta->mem,
                     .aoff = eoff(ta),
                     .lda = ta->dim[1],
                     .trans_a = a->trans_a,
                     .b = tb->mem,
                     .boff = eoff(tb),
                     .ldb = n,
                     .c = ty->mem,
                     .coff = eoff(ty),
                     .ldc = n,
                     .alpha = a->alpha,
                     .fuse = &a->fuse};
    if (tc && a->beta != 0.0f) {
        /* C is scalar, [N], [1, N], [M, 1] or [M, N]: a stride of 0 where its dim is 1 */
        int64_t cm = tc->rank == 2 ? tc->dim[0] : 1;
        int64_t cn = tc->rank >= 1 ? tc->dim[tc->rank - 1] : 1;
        g.e = tc->mem;
        g.eoff = eoff(tc);
        g.ei = cm == 1 ? 0 : cn;
        g.ej = cn == 1 ? 0 : 1;
        g.beta = a->beta;
    }
    if (a->trans_b) {
        /* B [N, K] to B' [K, N] in scratch, with the row length the GEMM wants */
        cl_mem buf;
        int64_t ldb = ocl_gemm_ldb(n, k);
        if ((rc = gemm_scratch(d, (size_t)(k * ldb + 1) * 4, &buf)) != RT_OK)
            return rc;
        cl_long soff = eoff(tb), doff = 0;
        cl_int cols = (cl_int)k, ldd = (cl_int)ldb;
        OclArg arg[] = {OCL_ARG(tb->mem), OCL_ARG(soff), OCL_ARG(cols),
                        OCL_ARG(buf),     OCL_ARG(doff), OCL_ARG(ldd)};
        size_t global[2] = {(size_t)n, (size_t)k};
        if ((rc = ocl_launch(d, "conv", NULL, "transpose", arg, 6, 2, global, NULL)) != RT_OK)
            return rc;
        g.b = buf;
        g.boff = 0;
        g.ldb = ldb;
    }
    return ocl_gemm(d, &g, NULL);
}

/* ---- MatMul ---------------------------------------------------------------------------------- */

/*
 * Numpy's rules: a 1-D A gets a 1 prepended and a 1-D B a 1 appended, and the batch dims
 * broadcast. With no batch in B, A's batch folds into its rows (one product). Otherwise the
 * innermost batch dims whose strides in A and B are each one stride over the lot become the
 * GEMM's batch, and the outer ones a loop of launches (none for the usual [.., M, K] x
 * [.., K, N] with equal batches).
 */
int
ocl_op_matmul(OclDev *d, const Attr *attr, OclTensor *const *in, int nin, OclTensor *const *out,
              int nout)
{
    const OclTensor *ta = in[0], *tb = in[1];
    const OclTensor *ty = out[0];
    int rc = require_f32(d, "MatMul", in, nin, out, 1);
    (void)attr;
    (void)nout;
    if (rc != RT_OK)
        return rc;
    if (ocl_numel(ty) == 0)
        return RT_OK;
    int64_t k = ta->dim[ta->rank - 1], m = ta->rank >= 2 ? ta->dim[ta->rank - 2] : 1;
    int64_t n = tb->rank >= 2 ? tb->dim[tb->rank - 1] : 1, bbatch = 1;
    int nb = ty->rank - (ta->rank >= 2) - (tb->rank >= 2);
    for (int i = 0; i + 2 < tb->rank; i++)
        bbatch *= tb->dim[i];
    OclGemmArgs g = {.m = m,
                     .n = n,
                     .k = k,
                     .a = ta->mem,
                     .aoff = eoff(ta),
                     .lda = k,
                     .b = tb->mem,
                     .boff = eoff(tb),
                     .ldb = n,
                     .c = ty->mem,
                     .coff = eoff(ty),
                     .ldc = n,
                     .alpha = 1.0f};
    if (bbatch == 1) { /* B is one matrix: [batch * M, K] x [K, N] */
        g.m = ocl_numel(ty) / n;
        return ocl_gemm(d, &g, NULL);
    }
    int64_t sa[RT_MAXRANK] = {0}, sb[RT_MAXRANK] = {0}; /* nb >= 1: B has a batch */
    rt_shape_batch_strides(&ta->shape, nb, m * k, sa);
    rt_shape_batch_strides(&tb->shape, nb, k * n, sb);
    /* dims [j, nb) merged into the GEMM's batch of nz products */
    int j = nb - 1;
    int64_t nz = ty->dim[j];
    g.za = sa[j];
    g.zb = sb[j];
    g.zc = m * n;
    while (j > 0 && sa[j - 1] == nz * g.za && sb[j - 1] == nz * g.zb) {
        j--;
        nz *= ty->dim[j];
    }
    g.batch = nz;
    int64_t outer = ocl_numel(ty) / (nz * m * n), idx[RT_MAXRANK] = {0};
    for (int64_t o = 0; o < outer && rc == RT_OK; o++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < j; i++) {
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        g.aoff = eoff(ta) + oa;
        g.boff = eoff(tb) + ob;
        g.coff = eoff(ty) + o * nz * m * n;
        rc = ocl_gemm(d, &g, NULL);
        for (int i = j - 1; i >= 0; i--) { /* the next outer index, row-major */
            if (++idx[i] < ty->dim[i])
                break;
            idx[i] = 0;
        }
    }
    return rc;
}
