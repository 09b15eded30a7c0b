/*
 * quant.c: the int8 kernels. QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear convert
 * between float32 and 8- or 16-bit integers (ir/scalar.h holds the per-element formulas, which
 * constant folding shares); MatMulInteger and ConvInteger multiply int8 or uint8 tensors exactly,
 * into int32.
 *
 * Scales and zero points are per tensor (one element) or per axis (one per index of the
 * attribute's axis): the tensor is walked as [outer, channels, inner] and each run of `inner`
 * elements takes one scale and one zero point.
 *
 * The integer products run as a GEMM on int16: both operands are first packed with their zero
 * points subtracted (a uint8 or int8 minus its zero point lies in [-255, 255]) as rows of K
 * values, padded with zeros to a multiple of 16, so that every output is a dot product of two
 * contiguous rows. A 4 x 4 tile of them is one loop of sixteen int32 sums, which gcc turns into
 * pmaddwd (two products added per 32-bit lane) in each build of the kernels. The compiler refuses
 * K above 33025, so the sums never overflow int32 (255 * 255 * 33025 < 2^31): the result is exact.
 * ConvInteger packs the input's patches (im2row, padding as the zero point, so as 0) for a chunk
 * of output positions at a time, in parallel, then multiplies them by the packed weights.
 */
#include "conv_geom.h"
#include "elt_impl.h"
#include "ir/scalar.h"
#include "quant_layout.h"
#include "shape.h"

/* ---- scales and zero points ------------------------------------------------------------------ */

/* Element i of a zero point (an integer dtype), 0 without one. */
static int64_t
zero_at(const RtTensor *z, int64_t i)
{
    return z && z->data ? load_i(z, i) : 0;
}

/* The range of an integer dtype QuantizeLinear writes; 0 for any other. */
static int
qrange(DType t, float *lo, float *hi)
{
    switch (t) {
    case DT_U8: *lo = 0.0f, *hi = 255.0f; return 1;
    case DT_I8: *lo = -128.0f, *hi = 127.0f; return 1;
    case DT_U16: *lo = 0.0f, *hi = 65535.0f; return 1;
    case DT_I16: *lo = -32768.0f, *hi = 32767.0f; return 1;
    default: return 0;
    }
}

/* Q/DQ's view of x as [outer, ch, inner] for a scale s of one element (ch 1) or one per index of
 * the axis; the zero point z, when present, must have as many. RT_OK or RT_EINPUT. */
static int
qlayout(RtCtx *ctx, const char *op, const RtTensor *x, const RtTensor *s, const RtTensor *z,
        int64_t axis, int64_t *ch, int64_t *inner)
{
    int64_t ns = rt_numel(s);
    if (rt_quant_layout(&x->shape, &s->shape, axis, ch, inner) < 0)
        return rt_fail(ctx, RT_EINPUT, "%s: scale of %lld elements for axis %lld", op,
                       (long long)ns, (long long)axis);
    if (z && rt_numel(z) != ns)
        return rt_fail(ctx, RT_EINPUT, "%s: zero point and scale differ in size", op);
    if (s->dt != DT_F32)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: float32 scales only", op);
    return RT_OK;
}

typedef struct QArgs {
    const void *x;
    void *y;
    const float *s;         /* scales, ch of them */
    const RtTensor *z;      /* zero points, ch of them, or NULL */
    DType dt;               /* the integer side's dtype */
    int64_t ch, inner;
    float lo, hi;           /* QuantizeLinear's range */
} QArgs;

/* Calls seg(p, b, e, c) for each piece of [begin, end) that lies in one run of inner elements,
 * whose channel is c. */
static void
segments(const QArgs *p, int64_t begin, int64_t end,
         void (*seg)(const QArgs *p, int64_t b, int64_t e, int64_t c))
{
    for (int64_t i = begin; i < end;) {
        int64_t row = i / p->inner, stop = (row + 1) * p->inner;
        stop = stop < end ? stop : end;
        seg(p, i, stop, row % p->ch);
        i = stop;
    }
}

#define QLOOP(T)                                                                                   \
    for (int64_t i = b; i < e; i++)                                                                \
        ((T *)p->y)[i] = (T)ir_quantize_f(x[i], s, z, p->lo, p->hi);

static void
quantize_seg(const QArgs *p, int64_t b, int64_t e, int64_t c)
{
    const float *x = p->x, s = p->s[c], z = (float)zero_at(p->z, c);
    switch (p->dt) {
    case DT_U8: QLOOP(uint8_t) break;
    case DT_I8: QLOOP(int8_t) break;
    case DT_U16: QLOOP(uint16_t) break;
    case DT_I16: QLOOP(int16_t) break;
    default: break;
    }
}

static void
quantize_range(void *arg, int64_t b, int64_t e)
{
    segments(arg, b, e, quantize_seg);
}

/* The narrow types subtract in int32 (which vectorises), int32 in int64 as ir_dequantize_f
 * does: the same whole number either way, so the same float. */
#define DQLOOP(T, W)                                                                               \
    for (int64_t i = b; i < e; i++)                                                                \
        y[i] = (float)((W)((const T *)p->x)[i] - (W)z) * s;

static void
dequantize_seg(const QArgs *p, int64_t b, int64_t e, int64_t c)
{
    float *y = p->y, s = p->s[c];
    int64_t z = zero_at(p->z, c);
    switch (p->dt) {
    case DT_U8: DQLOOP(uint8_t, int32_t) break;
    case DT_I8: DQLOOP(int8_t, int32_t) break;
    case DT_U16: DQLOOP(uint16_t, int32_t) break;
    case DT_I16: DQLOOP(int16_t, int32_t) break;
    case DT_I32: DQLOOP(int32_t, int64_t) break;
    default: break;
    }
}

static void
dequantize_range(void *arg, int64_t b, int64_t e)
{
    segments(arg, b, e, dequantize_seg);
}

int
cpu_quantizelinear(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out,
                   int nout)
{
    const RtTensor *x = in[0], *s = in[1], *z = nin > 2 ? in[2] : NULL;
    RtTensor *y = out[0];
    QArgs p = {.x = x->data, .y = y->data, .s = s->data, .z = z, .dt = y->dt};
    (void)nout;
    if (x->dt != DT_F32 || !qrange(y->dt, &p.lo, &p.hi) || (z && z->dt != y->dt))
        return rt_fail(ctx, RT_EUNSUPPORTED, "QuantizeLinear: float32 to 8- or 16-bit integers "
                       "only");
    int rc = qlayout(ctx, "QuantizeLinear", x, s, z, a->axis.axis, &p.ch, &p.inner);
    if (rc == RT_OK)
        par(ctx, rt_numel(y), 0, quantize_range, &p);
    return rc;
}

int
cpu_dequantizelinear(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin,
                     RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0], *s = in[1], *z = nin > 2 ? in[2] : NULL;
    RtTensor *y = out[0];
    QArgs p = {.x = x->data, .y = y->data, .s = s->data, .z = z, .dt = x->dt};
    float lo, hi;
    (void)nout;
    if ((!qrange(x->dt, &lo, &hi) && x->dt != DT_I32) || y->dt != DT_F32 || (z && z->dt != x->dt))
        return rt_fail(ctx, RT_EUNSUPPORTED, "DequantizeLinear: 8-, 16- or 32-bit integers to "
                       "float32 only");
    int rc = qlayout(ctx, "DequantizeLinear", x, s, z, a->axis.axis, &p.ch, &p.inner);
    if (rc == RT_OK)
        par(ctx, rt_numel(y), 0, dequantize_range, &p);
    return rc;
}

/*
 * DynamicQuantizeLinear: the range [min(x, 0), max(x, 0)] mapped onto [0, 255]: scale = range /
 * 255, zero point = round(clamp(-min / scale, 0, 255)), then QuantizeLinear with those. NaNs are
 * left out of the range (and quantise to 0). An all-zero x has range 0: the scale is then 1 and
 * the zero point 0, as in ONNX Runtime, where the formula would divide 0 by 0.
 */
int
cpu_dynamicquantizelinear(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin,
                          RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0];
    (void)a, (void)nin;
    if (x->dt != DT_F32 || nout < 3 || out[0]->dt != DT_U8 || out[1]->dt != DT_F32 ||
        out[2]->dt != DT_U8)
        return rt_fail(ctx, RT_EUNSUPPORTED, "DynamicQuantizeLinear: float32 to uint8 only");
    const float *xv = x->data;
    int64_t n = rt_numel(x);
    float mn = 0.0f, mx = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        mn = xv[i] < mn ? xv[i] : mn;
        mx = xv[i] > mx ? xv[i] : mx;
    }
    float scale = (mx - mn) / 255.0f;
    scale = scale == 0.0f ? 1.0f : scale;
    float zp = ir_quantize_f(0.0f - mn / scale, 1.0f, 0.0f, 0.0f, 255.0f);
    *(float *)out[1]->data = scale;
    *(uint8_t *)out[2]->data = (uint8_t)zp;
    uint8_t zq = (uint8_t)zp;
    RtTensor zt = {.data = &zq, .dt = DT_U8, .rank = 0};
    QArgs p = {.x = xv, .y = out[0]->data, .s = &scale, .z = &zt, .dt = DT_U8, .ch = 1,
               .inner = n > 0 ? n : 1, .lo = 0.0f, .hi = 255.0f};
    par(ctx, n, 0, quantize_range, &p);
    return RT_OK;
}

/* ---- the integer GEMM ------------------------------------------------------------------------ */

enum {
    KALIGN = 16,            /* packed rows are padded with zeros to a multiple of this */
    TILE = 4,               /* a tile is TILE rows of A by TILE rows of B */
    CHUNK = 1024,           /* ConvInteger's output positions packed at a time */
};

static int64_t
kpad(int64_t k)
{
    return (k + KALIGN - 1) / KALIGN * KALIGN;
}

static int64_t
tiles(int64_t n)
{
    return (n + TILE - 1) / TILE;
}

/* The 4 x 4 dot products of rows a[0..4) and b[0..4), kp int16 each (rows kp apart), into t. */
static void
tile4(const int16_t *restrict a, const int16_t *restrict b, int64_t kp, int32_t t[TILE][TILE])
{
    const int16_t *a0 = a, *a1 = a + kp, *a2 = a + 2 * kp, *a3 = a + 3 * kp;
    const int16_t *b0 = b, *b1 = b + kp, *b2 = b + 2 * kp, *b3 = b + 3 * kp;
    int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    int32_t s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    for (int64_t k = 0; k < kp; k++) {
        int32_t x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
        int32_t y0 = b0[k], y1 = b1[k], y2 = b2[k], y3 = b3[k];
        s00 += x0 * y0, s01 += x0 * y1, s02 += x0 * y2, s03 += x0 * y3;
        s10 += x1 * y0, s11 += x1 * y1, s12 += x1 * y2, s13 += x1 * y3;
        s20 += x2 * y0, s21 += x2 * y1, s22 += x2 * y2, s23 += x2 * y3;
        s30 += x3 * y0, s31 += x3 * y1, s32 += x3 * y2, s33 += x3 * y3;
    }
    t[0][0] = s00, t[0][1] = s01, t[0][2] = s02, t[0][3] = s03;
    t[1][0] = s10, t[1][1] = s11, t[1][2] = s12, t[1][3] = s13;
    t[2][0] = s20, t[2][1] = s21, t[2][2] = s22, t[2][3] = s23;
    t[3][0] = s30, t[3][1] = s31, t[3][2] = s32, t[3][3] = s33;
}

/* C = A B^T: A m packed rows, B n packed rows (both padded to whole tiles with zero rows), kp
 * values each; C[i * ldc + j] for i < m, j < n. */
typedef struct Gemm {
    const int16_t *a, *b;
    int64_t m, n, kp;
    int32_t *c;
    int64_t ldc;
    int by_cols;            /* the parallel loop runs over B's tiles (else A's) */
} Gemm;

/* Output tiles [begin, end) of the parallel dimension, every tile of the other. */
static void
gemm_range(void *arg, int64_t begin, int64_t end)
{
    const Gemm *g = arg;
    int64_t other = tiles(g->by_cols ? g->m : g->n);
    int32_t t[TILE][TILE];
    for (int64_t p = begin; p < end; p++)
        for (int64_t q = 0; q < other; q++) {
            int64_t i = (g->by_cols ? q : p) * TILE, j = (g->by_cols ? p : q) * TILE;
            tile4(g->a + i * g->kp, g->b + j * g->kp, g->kp, t);
            for (int64_t r = 0; r < TILE && i + r < g->m; r++)
                for (int64_t s = 0; s < TILE && j + s < g->n; s++)
                    g->c[(i + r) * g->ldc + j + s] = t[r][s];
        }
}

/* Runs the GEMM of g over the context's threads, split along the side with more tiles. */
static void
gemm_run(RtCtx *ctx, Gemm *g)
{
    g->by_cols = tiles(g->n) >= tiles(g->m);
    rt_parallel_for(ctx, tiles(g->by_cols ? g->n : g->m), 1, gemm_range, g);
}

/* Row r of a packed operand: k values v(j) - zp, then zeros to kp. */
#define PACK_ROW(dst, k, kp, expr)                                                                 \
    do {                                                                                           \
        int64_t j_ = 0;                                                                            \
        for (; j_ < (k); j_++)                                                                     \
            (dst)[j_] = (int16_t)(expr);                                                           \
        for (; j_ < (kp); j_++)                                                                    \
            (dst)[j_] = 0;                                                                         \
    } while (0)

/* Element i of an int8 or uint8 tensor's data */
static int32_t
q8(const void *p, DType t, int64_t i)
{
    return t == DT_U8 ? ((const uint8_t *)p)[i] : ((const int8_t *)p)[i];
}

/* Packs rows of an 8-bit matrix: row r (of rows, padded with zero rows to whole tiles) holds
 * src[r * rs + j * cs] - zp(r) for j < k; zp(r) is z[r] when z has more than one element. */
static void
pack8(int16_t *dst, const void *src, DType t, int64_t rows, int64_t k, int64_t kp, int64_t rs,
      int64_t cs, const RtTensor *z, int64_t zoff)
{
    int many = z && rt_numel(z) > 1;
    for (int64_t r = 0; r < tiles(rows) * TILE; r++) {
        int16_t *d = dst + r * kp;
        if (r >= rows) {
            memset(d, 0, (size_t)kp * sizeof *d);
            continue;
        }
        int32_t zp = (int32_t)zero_at(z, many ? zoff + r : 0);
        if (t == DT_U8 && cs == 1) {
            const uint8_t *s = (const uint8_t *)src + r * rs;
            PACK_ROW(d, k, kp, s[j_] - zp);
        } else {
            PACK_ROW(d, k, kp, q8(src, t, r * rs + j_ * cs) - zp);
        }
    }
}

/* The int8 forms both ops take: 8-bit operands, zero points of their dtypes, an int32 result. */
static int
integer_forms(RtCtx *ctx, const char *op, RtTensor *const *in, int nin, const RtTensor *y)
{
    for (int i = 0; i < nin && i < 4; i++) {
        const RtTensor *t = in[i], *of = i < 2 ? t : in[i - 2];
        if (t && ((t->dt != DT_U8 && t->dt != DT_I8) || t->dt != of->dt))
            return rt_fail(ctx, RT_EUNSUPPORTED, "%s: int8 and uint8 inputs only", op);
    }
    if (y->dt != DT_I32)
        return rt_fail(ctx, RT_EUNSUPPORTED, "%s: the output must be int32", op);
    return RT_OK;
}

/* ---- MatMulInteger --------------------------------------------------------------------------- */

/*
 * numpy matmul of A [..., M, K] and B [..., K, N] (batch dims broadcast, 1-D operands as in
 * MatMul): per output matrix, A's rows and B's columns are packed (B transposed), then one
 * parallel GEMM. A's zero point is one value; B's one value, one per column ([N]) or one per
 * column of each of B's matrices ([..., 1, N]).
 */
int
cpu_matmulinteger(RtCtx *ctx, const Attr *attr, RtTensor *const *in, int nin,
                  RtTensor *const *out, int nout)
{
    const RtTensor *ta = in[0], *tb = in[1];
    const RtTensor *za = nin > 2 ? in[2] : NULL, *zb = nin > 3 ? in[3] : NULL;
    RtTensor *ty = out[0];
    (void)attr, (void)nout;
    int rc = integer_forms(ctx, "MatMulInteger", in, nin, ty);
    if (rc != RT_OK || rt_numel(ty) == 0)
        return rc;
    int64_t k = ta->dim[ta->rank - 1], m = ta->rank >= 2 ? ta->dim[ta->rank - 2] : 1;
    int64_t n = tb->rank >= 2 ? tb->dim[tb->rank - 1] : 1, kp = kpad(k);
    if (za && rt_numel(za) != 1)
        return rt_fail(ctx, RT_EUNSUPPORTED, "MatMulInteger: one zero point for A only");
    int nb = ty->rank - (ta->rank >= 2) - (tb->rank >= 2);
    int64_t sa[RT_MAXRANK], sb[RT_MAXRANK], batch = rt_dims_prod(ty->dim, 0, nb);
    rt_shape_batch_strides(&ta->shape, nb, m * k, sa);
    rt_shape_batch_strides(&tb->shape, nb, k * n, sb);
    int16_t *pa = rt_scratch(ctx, 0, (size_t)(tiles(m) * TILE * kp) * sizeof *pa);
    int16_t *pb = rt_scratch(ctx, 1, (size_t)(tiles(n) * TILE * kp) * sizeof *pb);
    if (!pa || !pb)
        return rt_fail(ctx, RT_ENOMEM, "MatMulInteger: no scratch memory for the packed operands");
    /* B's zero points per column: [N] for every matrix, [..., 1, N] for each of B's own */
    int64_t zbn = zb ? rt_numel(zb) : 1;
    for (int64_t idx = 0; idx < batch; idx++) {
        int64_t oa = 0, ob = 0, r = idx;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t q = r % ty->dim[i];
            r /= ty->dim[i];
            oa += q * sa[i];
            ob += q * sb[i];
        }
        int64_t zoff = zbn > n ? ob / k : 0;
        pack8(pa, (const int8_t *)ta->data + oa, ta->dt, m, k, kp, k, 1, za, 0);
        pack8(pb, (const int8_t *)tb->data + ob, tb->dt, n, k, kp, 1, n, zb, zoff);
        Gemm g = {.a = pa, .b = pb, .m = m, .n = n, .kp = kp,
                  .c = (int32_t *)ty->data + idx * m * n, .ldc = n};
        gemm_run(ctx, &g);
    }
    return RT_OK;
}

/* ---- ConvInteger ----------------------------------------------------------------------------- */

typedef struct ConvI {
    const Geom *geo;
    const void *x;          /* the input image of one batch item and group: cg channels */
    DType dt;
    int64_t cg, kp, p0;     /* channels per group, packed row length, first position */
    int32_t zx;             /* the input's zero point */
    int16_t *rows;          /* the packed patches of positions p0 .. */
} ConvI;

/* im2row of positions [p0 + begin, p0 + end): the patch of each, channel-major as W's rows, less
 * the zero point; 0 where the window leaves the image. */
static void
im2row(void *arg, int64_t begin, int64_t end)
{
    const ConvI *c = arg;
    const Geom *g = c->geo;
    for (int64_t q = begin; q < end; q++) {
        int64_t p = c->p0 + q, o2 = p % g->col[2], o1 = p / g->col[2] % g->col[1];
        int64_t o0 = p / (g->col[2] * g->col[1]);
        int16_t *d = c->rows + q * c->kp;
        int64_t j = 0;
        for (int64_t ch = 0; ch < c->cg; ch++)
            for (int64_t k0 = 0; k0 < g->k[0]; k0++) {
                int64_t i0 = o0 * g->s[0] - g->pb[0] + k0 * g->d[0];
                for (int64_t k1 = 0; k1 < g->k[1]; k1++) {
                    int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
                    int in01 = i0 >= 0 && i0 < g->img[0] && i1 >= 0 && i1 < g->img[1];
                    int64_t base = ((ch * g->img[0] + i0) * g->img[1] + i1) * g->img[2];
                    for (int64_t k2 = 0; k2 < g->k[2]; k2++, j++) {
                        int64_t i2 = o2 * g->s[2] - g->pb[2] + k2 * g->d[2];
                        int inside = in01 && i2 >= 0 && i2 < g->img[2];
                        d[j] = (int16_t)(inside ? q8(c->x, c->dt, base + i2) - c->zx : 0);
                    }
                }
            }
        for (; j < c->kp; j++)
            d[j] = 0;
    }
}

/*
 * ConvInteger: X [N, C, D...] and W [M, C / group, k...] as Conv (pads, strides, dilations,
 * auto_pad, group), less their zero points: X's one value (padding counts as that value, so as
 * 0 once it is subtracted), W's one value or one per output channel. Y [N, M, O...] int32.
 */
int
cpu_convinteger(RtCtx *ctx, const Attr *attr, RtTensor *const *in, int nin, RtTensor *const *out,
                int nout)
{
    const ConvAttr *a = &attr->conv;
    const RtTensor *x = in[0], *w = in[1];
    const RtTensor *zx = nin > 2 ? in[2] : NULL, *zw = nin > 3 ? in[3] : NULL;
    RtTensor *y = out[0];
    (void)nout;
    int rc = integer_forms(ctx, "ConvInteger", in, nin, y);
    if (rc != RT_OK || rt_numel(y) == 0)
        return rc;
    int ns = x->rank - 2;
    if (ns < 1 || ns > NS || w->rank != x->rank || a->group < 1 || (zx && rt_numel(zx) != 1))
        return rt_fail(ctx, RT_EUNSUPPORTED, "ConvInteger: 1 to 3 spatial axes, one zero point "
                       "for X");
    Geom geo;
    geom_init(&geo, a, ns, x->dim, w->dim, y->dim, 0);
    int64_t grp = a->group, m = w->dim[0], mg = m / grp, cg = x->dim[1] / grp;
    int64_t k = cg * geo.ksz, kp = kpad(k), pos = geo.colsz;
    int64_t chunk = pos < CHUNK ? pos : CHUNK;
    int16_t *pw = rt_scratch(ctx, 0, (size_t)(grp * tiles(mg) * TILE * kp) * sizeof *pw);
    int16_t *px = rt_scratch(ctx, 1, (size_t)(tiles(chunk) * TILE * kp) * sizeof *px);
    if (!pw || !px)
        return rt_fail(ctx, RT_ENOMEM, "ConvInteger: no scratch memory for the packed operands");
    for (int64_t gi = 0; gi < grp; gi++)
        pack8(pw + gi * tiles(mg) * TILE * kp, (const int8_t *)w->data + gi * mg * k, w->dt, mg, k,
              kp, k, 1, zw, gi * mg);
    ConvI c = {.geo = &geo, .dt = x->dt, .cg = cg, .kp = kp, .rows = px,
               .zx = (int32_t)zero_at(zx, 0)};
    for (int64_t b = 0; b < x->dim[0]; b++)
        for (int64_t gi = 0; gi < grp; gi++) {
            c.x = (const int8_t *)x->data + (b * x->dim[1] + gi * cg) * geo.imgsz;
            int32_t *yg = (int32_t *)y->data + (b * m + gi * mg) * pos;
            for (c.p0 = 0; c.p0 < pos; c.p0 += chunk) {
                int64_t np = pos - c.p0 < chunk ? pos - c.p0 : chunk;
                rt_parallel_for(ctx, np, 16, im2row, &c);
                /* rows past np in the last tile: zeros, so the tile reads defined values */
                memset(px + np * kp, 0, (size_t)((tiles(np) * TILE - np) * kp) * sizeof *px);
                Gemm g = {.a = pw + gi * tiles(mg) * TILE * kp, .b = px, .m = mg, .n = np,
                          .kp = kp, .c = yg + c.p0, .ldc = pos};
                gemm_run(ctx, &g);
            }
        }
    return RT_OK;
}
