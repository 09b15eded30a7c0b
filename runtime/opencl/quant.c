/*
 * quant.c: the int8 ops on an OpenCL device, the counterparts of runtime/cpu/quant.c, with the
 * same forms and the same results bit for bit (kernels/quant.cl): QuantizeLinear and
 * DequantizeLinear per tensor or per axis, DynamicQuantizeLinear (its range in one work-group,
 * then QuantizeLinear's kernel reading the scale and zero point it wrote), and the integer
 * products on one register-blocked GEMM (igemm, A first widened to floats less its zero points
 * in the device's scratch by widen_rows): MatMulInteger one launch per output matrix,
 * ConvInteger W's rows of each group by the patches of each image (X itself for a pointwise
 * convolution, else im2col_int's copy in the device's scratch, the padding holding X's zero
 * point); QLinearMatMul and QLinearConv the same products with each sum requantised as it is
 * stored, as on the CPU (runtime/cpu/qlinear.c).
 *
 * Scales and zero points are device tensors like any other input: they may be computed at run
 * time, so the kernels read them rather than the host.
 */
#include "conv_geom.h"
#include "ocl_impl.h"
#include "ops.h"
#include "quant_layout.h"
#include "shape.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* The OpenCL type of an integer dtype's elements, NULL for other dtypes */
static const char *
int_type(DType t)
{
    switch (t) {
    case DT_U8: return "uchar";
    case DT_I8: return "char";
    case DT_U16: return "ushort";
    case DT_I16: return "short";
    case DT_I32: return "int";
    default: return NULL;
    }
}

/* t's offset in elements into *e: RT_OK, or RT_EUNSUPPORTED when it is not whole. */
static int
elem_off(OclDev *d, const char *op, const OclTensor *t, cl_long *e)
{
    size_t es = rt_dtype_size(t->dt);
    if (es == 0 || t->off % es != 0)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s on OpenCL: offset %zu is not a whole number "
                       "of elements", op, t->off);
    *e = (cl_long)(t->off / es);
    return RT_OK;
}

/* Q/DQ's [outer, ch, inner] view of x for scale s (one element, or one per index of axis) */
static int
layout(OclDev *d, const char *op, const OclTensor *x, const OclTensor *s, const OclTensor *z,
       int64_t axis, cl_long *ch, cl_long *inner)
{
    int64_t ns = ocl_numel(s), c, in;
    if (rt_quant_layout(&x->shape, &s->shape, axis, &c, &in) < 0)
        return rt_fail(d->ctx, RT_EINPUT, "%s: scale of %lld elements for axis %lld", op,
                       (long long)ns, (long long)axis);
    *ch = c;
    *inner = in;
    if ((z && ocl_numel(z) != ns) || s->dt != DT_F32)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: float32 scales and zero points shaped as "
                       "them only", op);
    return RT_OK;
}

/* QuantizeLinear's range for dtype t, as in cpu/quant.c; NULL for other dtypes */
static const char *
qrange(DType t)
{
    switch (t) {
    case DT_U8: return "-DLO=0.0f -DHI=255.0f";
    case DT_I8: return "-DLO=-128.0f -DHI=127.0f";
    case DT_U16: return "-DLO=0.0f -DHI=65535.0f";
    case DT_I16: return "-DLO=-32768.0f -DHI=32767.0f";
    default: return NULL;
    }
}

/* Enqueues quant.cl's quantize or dequantize kernel over y's elements. */
static int
convert(OclDev *d, const char *op, const char *kernel, const char *opt, const OclTensor *x,
        const OclTensor *s, const OclTensor *z, const OclTensor *y, cl_long ch, cl_long inner)
{
    cl_long xo, so, zo = 0, yo, n = ocl_numel(y);
    int rc = elem_off(d, op, x, &xo);
    if (rc == RT_OK)
        rc = elem_off(d, op, s, &so);
    if (rc == RT_OK)
        rc = elem_off(d, op, y, &yo);
    if (rc == RT_OK && z)
        rc = elem_off(d, op, z, &zo);
    if (rc != RT_OK || n == 0)
        return rc;
    cl_mem zm = z ? z->mem : x->mem;
    inner = inner > 0 ? inner : 1;
    OclArg arg[] = {OCL_ARG(y->mem), OCL_ARG(yo), OCL_ARG(x->mem), OCL_ARG(xo),
                    OCL_ARG(s->mem), OCL_ARG(so), OCL_ARG(zm),     OCL_ARG(zo),
                    OCL_ARG(ch),     OCL_ARG(inner), OCL_ARG(n)};
    size_t global = (size_t)n;
    return ocl_launch(d, "quant", opt, kernel, arg, (int)(sizeof arg / sizeof *arg), 1, &global,
                      NULL);
}

int
ocl_op_quantizelinear(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                      OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *s = in[1], *z = nin > 2 ? in[2] : NULL, *y = out[0];
    const char *range = qrange(y->dt);
    cl_long ch, inner;
    char opt[192];
    (void)nout;
    if (x->dt != DT_F32 || !range || (z && z->dt != y->dt))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "QuantizeLinear: float32 to 8- or 16-bit "
                       "integers only");
    int rc = layout(d, "QuantizeLinear", x, s, z, a->axis.axis, &ch, &inner);
    if (rc != RT_OK)
        return rc;
    snprintf(opt, sizeof opt, "%s -DYT=%s -DZT=%s -DHASZ=%d -cl-fp32-correctly-rounded-divide-sqrt",
             range, int_type(y->dt), int_type(y->dt), z != NULL);
    return convert(d, "QuantizeLinear", "quantize", opt, x, s, z, y, ch, inner);
}

int
ocl_op_dequantizelinear(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                        OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0], *s = in[1], *z = nin > 2 ? in[2] : NULL, *y = out[0];
    const char *xt = int_type(x->dt);
    cl_long ch, inner;
    char opt[128];
    (void)nout;
    if (!xt || y->dt != DT_F32 || (z && z->dt != x->dt))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "DequantizeLinear: 8-, 16- or 32-bit integers "
                       "to float32 only");
    int rc = layout(d, "DequantizeLinear", x, s, z, a->axis.axis, &ch, &inner);
    if (rc != RT_OK)
        return rc;
    snprintf(opt, sizeof opt, "-DXT=%s -DZT=%s -DWT=%s -DHASZ=%d", xt, xt,
             x->dt == DT_I32 ? "long" : "int", z != NULL);
    return convert(d, "DequantizeLinear", "dequantize", opt, x, s, z, y, ch, inner);
}

int
ocl_op_dynamicquantizelinear(OclDev *d, const Attr *a, OclTensor *const *in, int nin,
                             OclTensor *const *out, int nout)
{
    const OclTensor *x = in[0];
    const char *opt = "-DLO=0.0f -DHI=255.0f -DYT=uchar -DZT=uchar -DHASZ=1 "
                      "-cl-fp32-correctly-rounded-divide-sqrt";
    (void)a, (void)nin;
    if (x->dt != DT_F32 || nout < 3 || out[0]->dt != DT_U8 || out[1]->dt != DT_F32 ||
        out[2]->dt != DT_U8)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "DynamicQuantizeLinear: float32 to uint8 only");
    cl_long xo, so, zo, n = ocl_numel(x);
    int rc = elem_off(d, "DynamicQuantizeLinear", x, &xo);
    if (rc == RT_OK)
        rc = elem_off(d, "DynamicQuantizeLinear", out[1], &so);
    if (rc == RT_OK)
        rc = elem_off(d, "DynamicQuantizeLinear", out[2], &zo);
    if (rc != RT_OK)
        return rc;
    size_t group = 64;
    while (group > 1 && group > d->info.max_wg)
        group /= 2;
    OclArg arg[] = {OCL_ARG(x->mem),       OCL_ARG(xo), OCL_ARG(n),
                    OCL_ARG(out[1]->mem),  OCL_ARG(so), OCL_ARG(out[2]->mem),
                    OCL_ARG(zo),           {group * sizeof(float), NULL},
                    {group * sizeof(float), NULL}};
    rc = ocl_launch(d, "quant", opt, "dynamic_range", arg, (int)(sizeof arg / sizeof *arg), 1,
                    &group, &group);
    if (rc != RT_OK)
        return rc;
    return convert(d, "DynamicQuantizeLinear", "quantize", opt, x, out[1], out[2], out[0], 1, n);
}

/* The build options of the integer products: operand types, zero points present, B's per
 * column (or per output channel); RT_EUNSUPPORTED for other forms. y: the int32 output (NULL
 * for QLinearConv and QLinearMatMul, which requantise). */
static int
integer_opt(OclDev *d, const char *op, OclTensor *const *in, int nin, const OclTensor *y,
            char *opt, size_t cap)
{
    const OclTensor *za = nin > 2 ? in[2] : NULL, *zb = nin > 3 ? in[3] : NULL;
    for (int i = 0; i < nin && i < 4; i++) {
        const OclTensor *t = in[i], *of = i < 2 ? t : in[i - 2];
        if (t && ((t->dt != DT_U8 && t->dt != DT_I8) || t->dt != of->dt))
            return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: int8 and uint8 inputs only", op);
    }
    if ((y && y->dt != DT_I32) || (za && ocl_numel(za) != 1))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: an int32 output and one zero point for "
                       "input 0 only", op);
    snprintf(opt, cap, "-DAT=%s -DBT=%s -DHASZA=%d -DHASZB=%d -DZBPER=%d", int_type(in[0]->dt),
             int_type(in[1]->dt), za != NULL, zb != NULL, zb && ocl_numel(zb) > 1);
    return RT_OK;
}

/* Element offsets of the present tensors t[0 .. n) into e (0 for absent ones). */
static int
offsets(OclDev *d, const char *op, OclTensor *const *t, int n, cl_long *e)
{
    int rc = RT_OK;
    for (int i = 0; i < n && rc == RT_OK; i++) {
        e[i] = 0;
        if (t[i])
            rc = elem_off(d, op, t[i], &e[i]);
    }
    return rc;
}

/* ConvInteger's geometry arguments (kernels/quant.cl, CONV_GEOM) */
typedef struct ConvArgs {
    cl_long cin, m, grp;
    cl_long4 img, col, k, st, dl, pb;
} ConvArgs;

/* c for X x, W w and Y y: RT_OK, or RT_EUNSUPPORTED naming op for other forms. */
static int
conv_args(OclDev *d, const char *op, const ConvAttr *a, const OclTensor *x, const OclTensor *w,
          const OclTensor *y, ConvArgs *c)
{
    int ns = x->rank - 2;
    if (ns < 1 || ns > 3 || w->rank != x->rank || a->group < 1)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: 1 to 3 spatial axes", op);
    Geom geo;
    geom_init(&geo, a, ns, x->dim, w->dim, y->dim, 0);
    for (int j = 0; j < 4; j++) {
        c->img.s[j] = j < 3 ? geo.img[j] : 0, c->col.s[j] = j < 3 ? geo.col[j] : 0;
        c->k.s[j] = j < 3 ? geo.k[j] : 0, c->st.s[j] = j < 3 ? geo.s[j] : 0;
        c->dl.s[j] = j < 3 ? geo.d[j] : 0, c->pb.s[j] = j < 3 ? geo.pb[j] : 0;
    }
    c->cin = x->dim[1], c->m = w->dim[0], c->grp = a->group;
    return RT_OK;
}

#define CONV_ARGS(c)                                                                               \
    OCL_ARG((c).cin), OCL_ARG((c).m), OCL_ARG((c).grp), OCL_ARG((c).img), OCL_ARG((c).col),        \
        OCL_ARG((c).k), OCL_ARG((c).st), OCL_ARG((c).dl), OCL_ARG((c).pb)

/* ---- QLinearConv and QLinearMatMul ------------------------------------------------------------ */

/* The requantisation's arguments (kernels/quant.cl, QLIN_ARGS): the offsets of the scales (inputs
 * 1, 4, 6), Y's zero point (7) and the bias (8), and the output's bounds. */
typedef struct QlinArgs {
    cl_long off[5];
    cl_mem mem[5];
    cl_float lo, hi;
} QlinArgs;

#define QLIN_ARGS(q)                                                                               \
    OCL_ARG((q).mem[0]), OCL_ARG((q).off[0]), OCL_ARG((q).mem[1]), OCL_ARG((q).off[1]),            \
        OCL_ARG((q).mem[2]), OCL_ARG((q).off[2]), OCL_ARG((q).mem[3]), OCL_ARG((q).off[3]),        \
        OCL_ARG((q).mem[4]), OCL_ARG((q).off[4]), OCL_ARG((q).lo), OCL_ARG((q).hi)


/* ---- the integer GEMM ------------------------------------------------------------------------ */

/* igemm's block (kernels/quant.cl): rows and columns of C per work-item */
enum { QG_WM = 8, QG_VW = 16 };

#define COL_CAP ((int64_t)32 << 20) /* bytes of patches before the output rows go in blocks */

/* The GEMM's operands: C = (A - za) (B - zb) for each of batch products, strides as the kernels
 * (widen_rows copies A less za to wide, which igemm reads) */
typedef struct Qgemm {
    cl_mem c, a, b, za, zb, wide; /* wide: scratch for A's rows as floats, at its start */
    cl_long coff, ldc, szc, aoff, lda, sza, boff, ldb, szb, zaoff, szza, zboff, sch;
    cl_int m, n, k;
    size_t batch;
} Qgemm;

/* Appends igemm's options to opt: A of type ga, B of type gb, their zero points present (gza,
 * gzb), A's one per row (zarow), B's one per column (zbcol), requantised by row (qrow). */
static void
gemm_opt(char *opt, size_t cap, const char *ga, const char *gb, int gza, int gzb, int zarow,
         int zbcol, int qrow)
{
    size_t len = strlen(opt);
    snprintf(opt + len, cap - len, " -DWA=%s -DWZA=%d -DWZROW=%d -DGB=%s -DGZB=%d -DZBCOL=%d "
             "-DQROW=%d -DWM=%d -DVW=%d", ga, gza, zarow, gb, gzb, zbcol, qrow, QG_WM, QG_VW);
}

/* Bytes of scratch that gemm_run takes for A's rows as floats */
static int64_t
wide_bytes(int64_t batch, int64_t m, int64_t k)
{
    return batch * m * k * 4;
}

/* Enqueues widen_rows (A's rows as floats, into g->wide) then igemm for g, requantising with q
 * (NULL: int32 sums). */
static int
gemm_run(OclDev *d, const char *opt, const Qgemm *g, const QlinArgs *q)
{
    QlinArgs none = {{0}, {g->a, g->a, g->a, g->a, g->a}, 0, 0};
    const QlinArgs *qa = q ? q : &none;
    OclArg warg[] = {OCL_ARG(g->wide), OCL_ARG(g->a),     OCL_ARG(g->aoff),  OCL_ARG(g->lda),
                     OCL_ARG(g->sza),  OCL_ARG(g->za),    OCL_ARG(g->zaoff), OCL_ARG(g->szza),
                     OCL_ARG(g->m),    OCL_ARG(g->k)};
    size_t wglobal[3] = {(size_t)g->k, (size_t)g->m, g->batch};
    int rc = ocl_launch(d, "quant", opt, "widen_rows", warg, (int)(sizeof warg / sizeof *warg), 3,
                        wglobal, NULL);
    if (rc != RT_OK)
        return rc;
    cl_long lda = g->k, sza = (cl_long)g->m * g->k;
    OclArg arg[] = {OCL_ARG(g->c),    OCL_ARG(g->coff), OCL_ARG(g->ldc),   OCL_ARG(g->szc),
                    OCL_ARG(g->wide), OCL_ARG(lda),     OCL_ARG(sza),      OCL_ARG(g->b),
                    OCL_ARG(g->boff), OCL_ARG(g->ldb),  OCL_ARG(g->szb),   OCL_ARG(g->zb),
                    OCL_ARG(g->zboff), OCL_ARG(g->m),   OCL_ARG(g->n),     OCL_ARG(g->k),
                    OCL_ARG(g->sch),  QLIN_ARGS(*qa)};
    int narg = (int)(sizeof arg / sizeof *arg) - (q ? 0 : 12);
    size_t global[3] = {((size_t)g->n + QG_VW - 1) / QG_VW, ((size_t)g->m + QG_WM - 1) / QG_WM,
                        g->batch};
    return ocl_launch(d, "quant", opt, "igemm", arg, narg, 3, global, NULL);
}

/*
 * ConvInteger, or QLinearConv with q, of ops (X, W, X's and W's zero points at element offsets
 * e) into y at yo: per image, W's rows of each group (the GEMM's batch) times that group's
 * patches, which are X itself for a pointwise convolution and else im2col_int's copy in d's
 * scratch, in blocks of output rows that keep it under COL_CAP bytes.
 */
static int
conv_run(OclDev *d, const char *op, const ConvAttr *a, char *opt, size_t cap,
         OclTensor *const *ops, const cl_long *e, const OclTensor *y, cl_long yo,
         const QlinArgs *q)
{
    const OclTensor *x = ops[0], *w = ops[1], *zx = ops[2], *zw = ops[3];
    ConvArgs c;
    int rc = conv_args(d, op, a, x, w, y, &c);
    if (rc != RT_OK)
        return rc;
    Geom g;
    geom_init(&g, a, x->rank - 2, x->dim, w->dim, y->dim, 0);
    int64_t nimg = x->dim[0], cin = x->dim[1], mo = y->dim[1], grp = a->group;
    int64_t cg = cin / grp, mg = mo / grp, kk = cg * g.ksz, p = g.colsz;
    if (cin % grp || mo % grp || w->dim[1] != cg || (zw && ocl_numel(zw) != 1 &&
        ocl_numel(zw) != mo) || kk > INT_MAX || mg > INT_MAX || p > INT_MAX)
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: channels not a multiple of the groups, W's "
                       "zero points neither one nor one per channel, or a product of 2^31 "
                       "elements or more on a side", op);
    gemm_opt(opt, cap, int_type(w->dt), int_type(x->dt), zw != NULL, zx != NULL,
             zw && ocl_numel(zw) > 1, 0, 1);
    Qgemm gm = {.c = y->mem, .ldc = p, .szc = mg * p, .a = w->mem, .aoff = e[1], .lda = kk,
                .sza = mg * kk, .za = zw ? zw->mem : w->mem, .zaoff = e[3],
                .szza = zw && ocl_numel(zw) > 1 ? mg : 0, .zb = zx ? zx->mem : x->mem,
                .zboff = e[2], .sch = mg, .m = (cl_int)mg, .k = (cl_int)kk,
                .batch = (size_t)grp};
    int pointwise = 1;
    for (int j = 0; j < NS; j++)
        pointwise &= g.k[j] == 1 && g.s[j] == 1 && g.pb[j] == 0 && g.img[j] == g.col[j];
    if (pointwise) {
        if ((rc = ocl_scratch(d, (size_t)wide_bytes(grp, mg, kk) + 1, &gm.wide)) != RT_OK)
            return rc;
        gm.b = x->mem, gm.ldb = p, gm.szb = cg * p, gm.n = (cl_int)p;
        for (int64_t i = 0; i < nimg && rc == RT_OK; i++) {
            gm.boff = e[0] + i * cin * p, gm.coff = yo + i * mo * p;
            rc = gemm_run(d, opt, &gm, q);
        }
        return rc;
    }
    int64_t orows = g.col[0] * g.col[1], ow = g.col[2], per_row = cin * g.ksz * ow;
    int64_t block = COL_CAP / (per_row > 0 ? per_row : 1);
    block = block < 1 ? 1 : block > orows ? orows : block;
    cl_long wb = wide_bytes(grp, mg, kk);
    cl_mem buf;
    if ((rc = ocl_scratch(d, (size_t)(wb + per_row * block) + 1, &buf)) != RT_OK)
        return rc;
    cl_mem zxm = zx ? zx->mem : x->mem;
    gm.b = buf, gm.boff = wb, gm.wide = buf;
    for (int64_t i = 0; i < nimg && rc == RT_OK; i++) {
        for (cl_long r0 = 0; r0 < orows && rc == RT_OK; r0 += block) {
            int64_t nr = orows - r0 < block ? orows - r0 : block;
            cl_long xo = e[0] + i * cin * g.imgsz;
            gm.ldb = nr * ow, gm.szb = kk * gm.ldb, gm.n = (cl_int)(nr * ow);
            gm.coff = yo + i * mo * p + r0 * ow;
            OclArg arg[] = {OCL_ARG(x->mem), OCL_ARG(xo),   OCL_ARG(buf),  OCL_ARG(wb),
                            OCL_ARG(gm.ldb), OCL_ARG(zxm),  OCL_ARG(e[2]), CONV_ARGS(c),
                            OCL_ARG(r0)};
            size_t global[2] = {(size_t)nr, (size_t)(cin * g.ksz)};
            rc = ocl_launch(d, "quant", opt, "im2col_int", arg, (int)(sizeof arg / sizeof *arg),
                            2, global, NULL);
            if (rc == RT_OK)
                rc = gemm_run(d, opt, &gm, q);
        }
    }
    return rc;
}

/*
 * The products of A ta and B tb (element offsets e[0], e[1]; zero points za, zb at e[2], e[3])
 * into y at yo, one GEMM per output matrix, requantised with q where given.
 */
static int
matmul_run(OclDev *d, char *opt, size_t cap, const OclTensor *ta, const OclTensor *tb,
           const OclTensor *za, const OclTensor *zb, const cl_long *e, const OclTensor *y,
           cl_long yo, const QlinArgs *q)
{
    cl_long k = ta->dim[ta->rank - 1], m = ta->rank >= 2 ? ta->dim[ta->rank - 2] : 1;
    cl_long n = tb->rank >= 2 ? tb->dim[tb->rank - 1] : 1;
    int nb = y->rank - (ta->rank >= 2) - (tb->rank >= 2), rc = RT_OK;
    int64_t sa[RT_MAXRANK], sb[RT_MAXRANK], batch = 1, zbn = zb ? ocl_numel(zb) : 1;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX ||
        (zbn != 1 && zbn != n && (k == 0 || zbn * k != ocl_numel(tb))))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "MatMulInteger on OpenCL: a side of 2^31 "
                       "elements or more, or B's zero points neither one, one per column nor "
                       "one per column of each matrix");
    rt_shape_batch_strides(&ta->shape, nb, m * k, sa);
    rt_shape_batch_strides(&tb->shape, nb, k * n, sb);
    for (int i = 0; i < nb; i++)
        batch *= y->dim[i];
    gemm_opt(opt, cap, int_type(ta->dt), int_type(tb->dt), za != NULL, zb != NULL, 0, zbn > 1,
             0);
    Qgemm gm = {.c = y->mem, .ldc = n, .a = ta->mem, .lda = k, .b = tb->mem, .ldb = n,
                .za = za ? za->mem : ta->mem, .zaoff = e[2], .zb = zb ? zb->mem : tb->mem,
                .m = (cl_int)m, .n = (cl_int)n, .k = (cl_int)k, .batch = 1};
    if ((rc = ocl_scratch(d, (size_t)wide_bytes(1, m, k) + 1, &gm.wide)) != RT_OK)
        return rc;
    for (int64_t idx = 0; idx < batch && rc == RT_OK; idx++) {
        int64_t oa = 0, ob = 0, r = idx;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t p = r % y->dim[i];
            r /= y->dim[i];
            oa += p * sa[i];
            ob += p * sb[i];
        }
        gm.aoff = e[0] + oa, gm.boff = e[1] + ob, gm.zboff = e[3] + (zbn > n ? ob / k : 0);
        gm.coff = yo + idx * m * n;
        rc = gemm_run(d, opt, &gm, q);
    }
    return rc;
}

/* ---- the ops --------------------------------------------------------------------------------- */

int
ocl_op_convinteger(OclDev *d, const Attr *attr, OclTensor *const *in, int nin,
                   OclTensor *const *out, int nout)
{
    const OclTensor *y = out[0];
    char opt[512];
    cl_long e[4] = {0, 0, 0, 0}, yo = 0;
    OclTensor *ops[4] = {in[0], in[1], nin > 2 ? in[2] : NULL, nin > 3 ? in[3] : NULL};
    (void)nout;
    int rc = integer_opt(d, "ConvInteger", in, nin, y, opt, sizeof opt);
    if (rc == RT_OK)
        rc = offsets(d, "ConvInteger", ops, 4, e);
    if (rc == RT_OK)
        rc = elem_off(d, "ConvInteger", y, &yo);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    return conv_run(d, "ConvInteger", &attr->conv, opt, sizeof opt, ops, e, y, yo, NULL);
}

int
ocl_op_matmulinteger(OclDev *d, const Attr *attr, OclTensor *const *in, int nin,
                     OclTensor *const *out, int nout)
{
    const OclTensor *y = out[0];
    const OclTensor *za = nin > 2 ? in[2] : NULL, *zb = nin > 3 ? in[3] : NULL;
    char opt[512];
    cl_long e[4] = {0, 0, 0, 0}, yo = 0;
    (void)attr, (void)nout;
    int rc = integer_opt(d, "MatMulInteger", in, nin, y, opt, sizeof opt);
    if (rc == RT_OK)
        rc = offsets(d, "MatMulInteger", in, nin < 4 ? nin : 4, e);
    if (rc == RT_OK)
        rc = elem_off(d, "MatMulInteger", y, &yo);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    return matmul_run(d, opt, sizeof opt, in[0], in[1], za, zb, e, y, yo, NULL);
}

/*
 * The operands in MatMulInteger's order (A, B, A's and B's zero points) into ops, the build
 * options into opt and the requantisation's arguments into q, for ch columns; the checks of
 * runtime/cpu/qlinear.c. RT_OK, or RT_EUNSUPPORTED naming op.
 */
static int
qlin_prep(OclDev *d, const char *op, const Fused *act, OclTensor *const *in, int nin,
          const OclTensor *y, cl_long ch, OclTensor **ops, char *opt, size_t cap, QlinArgs *q)
{
    const OclTensor *sx = in[1], *sw = in[4], *sy = in[6], *zy = in[7];
    const OclTensor *bias = nin > 8 ? in[8] : NULL;
    ops[0] = in[0], ops[1] = in[3], ops[2] = in[2], ops[3] = in[5];
    int rc = integer_opt(d, op, ops, 4, NULL, opt, cap);
    if (rc != RT_OK)
        return rc;
    int64_t nw = ocl_numel(sw);
    if (sx->dt != DT_F32 || ocl_numel(sx) != 1 || sy->dt != DT_F32 || ocl_numel(sy) != 1 ||
        sw->dt != DT_F32 || (nw != 1 && nw != ch) || (y->dt != DT_U8 && y->dt != DT_I8) ||
        (zy && (zy->dt != y->dt || ocl_numel(zy) != 1)) ||
        (bias && (bias->dt != DT_I32 || ocl_numel(bias) != ch)) ||
        (act->act != ACT_NONE && act->act != ACT_CLIP))
        return rt_fail(d->ctx, RT_EUNSUPPORTED, "%s: float32 scales (W's one or one per column), "
                       "an 8-bit output, an int32 bias per column, no activation but a clamp",
                       op);
    const OclTensor *t[5] = {sx, sw, sy, zy, bias};
    rc = offsets(d, op, (OclTensor *const *)t, 5, q->off);
    for (int i = 0; i < 5; i++)
        q->mem[i] = t[i] ? t[i]->mem : sx->mem;
    q->lo = y->dt == DT_I8 ? -128.0f : 0.0f;
    q->hi = y->dt == DT_I8 ? 127.0f : 255.0f;
    if (act->act == ACT_CLIP) {
        q->lo = act->alpha > q->lo ? act->alpha : q->lo;
        q->hi = act->beta < q->hi ? act->beta : q->hi;
    }
    size_t len = strlen(opt);
    snprintf(opt + len, cap - len, " -DYQ=%s -DSWPER=%d -DHASZY=%d -DHASBIAS=%d "
             "-cl-fp32-correctly-rounded-divide-sqrt", int_type(y->dt), nw > 1, zy != NULL,
             bias != NULL);
    return rc;
}

int
ocl_op_qlinearconv(OclDev *d, const Attr *attr, OclTensor *const *in, int nin,
                   OclTensor *const *out, int nout)
{
    const OclTensor *y = out[0];
    OclTensor *ops[4];
    char opt[512];
    cl_long e[4] = {0, 0, 0, 0}, yo = 0;
    QlinArgs q;
    (void)nout;
    int rc = qlin_prep(d, "QLinearConv", &attr->conv.fuse, in, nin, y, y->dim[1], ops, opt,
                       sizeof opt, &q);
    if (rc == RT_OK)
        rc = offsets(d, "QLinearConv", ops, 4, e);
    if (rc == RT_OK)
        rc = elem_off(d, "QLinearConv", y, &yo);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    return conv_run(d, "QLinearConv", &attr->conv, opt, sizeof opt, ops, e, y, yo, &q);
}

int
ocl_op_qlinearmatmul(OclDev *d, const Attr *attr, OclTensor *const *in, int nin,
                     OclTensor *const *out, int nout)
{
    static const Fused none = {.act = ACT_NONE};
    const OclTensor *y = out[0], *b = in[3];
    OclTensor *ops[4];
    char opt[512];
    cl_long e[4] = {0, 0, 0, 0}, yo = 0, n = b->rank >= 2 ? b->dim[b->rank - 1] : 1;
    QlinArgs q;
    (void)attr, (void)nout;
    int rc = qlin_prep(d, "QLinearMatMul", &none, in, nin, y, n, ops, opt, sizeof opt, &q);
    if (rc == RT_OK)
        rc = offsets(d, "QLinearMatMul", ops, 4, e);
    if (rc == RT_OK)
        rc = elem_off(d, "QLinearMatMul", y, &yo);
    if (rc != RT_OK || ocl_numel(y) == 0)
        return rc;
    return matmul_run(d, opt, sizeof opt, ops[0], ops[1], ops[2], ops[3], e, y, yo, &q);
}
