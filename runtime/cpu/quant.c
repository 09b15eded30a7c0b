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
#include "qgemm.h"
#include "quant_layout.h"
#include "shape.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

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

/* The bounds and the output pointer are read once: a store through a byte pointer may alias
 * anything, so gcc would reload p->lo and p->hi at every element and not vectorise the loop */
#define QLOOP(T)                                                                                   \
    do {                                                                                           \
        T *restrict y = p->y;                                                                      \
        for (int64_t i = b; i < e; i++)                                                            \
            y[i] = (T)ir_quantize_f(x[i], s, z, lo, hi);                                           \
    } while (0)

static void
quantize_seg(const QArgs *p, int64_t b, int64_t e, int64_t c)
{
    const float *restrict x = p->x;
    float s = p->s[c], z = (float)zero_at(p->z, c), lo = p->lo, hi = p->hi;
    switch (p->dt) {
    case DT_U8: QLOOP(uint8_t); break;
    case DT_I8: QLOOP(int8_t); break;
    case DT_U16: QLOOP(uint16_t); break;
    case DT_I16: QLOOP(int16_t); break;
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

/* ---- the integer products -------------------------------------------------------------------- */

/* rt_derived tags of the packed constants: the format and the shift are part of the layout */
enum { TAG_QB = 0x51470010, TAG_QW = 0x51470020 };

static int
qtag(int base, const QgFormat *f, const QgSide *s)
{
    return base + f->vnni * 2 + (s->shift != 0);
}

/* Byte offsets in one scratch slot: take(&at, n) reserves n bytes (64-byte aligned) at the end. */
static size_t
take(size_t *at, size_t bytes)
{
    size_t o = *at;
    *at += (bytes + 63) / 64 * 64;
    return o;
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

/* One operand to pack, for the parallel loops below: rows of P or columns of Q. */
typedef struct Pack {
    const QgFormat *f;
    const QgSide *side;
    void *dst;
    const void *src;
    DType dt;
    int64_t lines, stride, kp;  /* rows (columns), their stride in src, packed k */
    const int64_t *kmap;        /* NULL (rows only): k contiguous values */
    int64_t k;
    int32_t *sums;
} Pack;

static void
pack_p_range(void *arg, int64_t b, int64_t e)
{
    const Pack *p = arg;
    cpu_qg_pack_p(p->f, p->side, p->dst, p->src, p->dt, p->lines, p->stride, p->kmap, p->k,
                  p->kp, p->sums, b * QG_MR, e * QG_MR);
}

static void
pack_q_range(void *arg, int64_t b, int64_t e)
{
    const Pack *p = arg;
    int64_t qc = qg_qcols(p->lines), j1 = e * QG_NR < qc ? e * QG_NR : qc;
    cpu_qg_pack_q(p->f, p->side, p->dst, p->src, p->dt, p->lines, p->stride, p->kmap, p->kp,
                  p->sums, b * QG_NR, j1);
}

/* Packs P's rows (p_side 1) or Q's columns over the threads, a panel at a time. */
static void
pack_par(RtCtx *ctx, const Pack *p, int p_side)
{
    int64_t panels = p_side ? qg_prows(p->lines) / QG_MR
                            : (qg_qcols(p->lines) + QG_NR - 1) / QG_NR;
    int64_t per = (p_side ? QG_MR : QG_NR) * (p->kp > 0 ? p->kp : 1);
    int64_t grain = ((int64_t)1 << 16) / per;
    rt_parallel_for(ctx, panels, grain > 1 ? grain : 1, p_side ? pack_p_range : pack_q_range,
                    (void *)p);
}

/* ---- MatMulInteger --------------------------------------------------------------------------- */

/*
 * numpy matmul of A [..., M, K] and B [..., K, N] (batch dims broadcast, 1-D operands as in
 * MatMul): A's rows are the GEMM's P, B's columns its Q, packed per matrix (B once per plan when
 * it is a constant, kept with rt_derived), then one parallel GEMM. A's zero point is one value;
 * B's one value, one per column ([N]) or one per column of each of B's matrices ([..., 1, N]).
 * Scratch: slot 0 (B packed when it is not a constant), slot 1 (A packed, the zero points).
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
    if (za && rt_numel(za) != 1)
        return rt_fail(ctx, RT_EUNSUPPORTED, "MatMulInteger: one zero point for A only");
    int64_t k = ta->dim[ta->rank - 1], m = ta->rank >= 2 ? ta->dim[ta->rank - 2] : 1;
    int64_t n = tb->rank >= 2 ? tb->dim[tb->rank - 1] : 1;
    QgFormat f;
    QgSide sa, sb;
    cpu_qg_format(&f);
    cpu_qg_sides(&f, ta->dt, tb->dt, &sa, &sb);
    int64_t kp = qg_kpad(&f, k);
    size_t pbytes = (size_t)(qg_prows(m) * kp * f.esz), qbytes = (size_t)(qg_qcols(n) * kp * f.esz);
    size_t at = 0, o_pa = take(&at, pbytes), o_sp = take(&at, (size_t)m * 4);
    size_t o_zp = take(&at, (size_t)m * 4), o_zq = take(&at, (size_t)n * 4);
    size_t o_kb = take(&at, (size_t)kp * 8);
    unsigned char *s1 = rt_scratch(ctx, 1, at);
    if (!s1)
        return rt_fail(ctx, RT_ENOMEM, "MatMulInteger: no scratch memory for the packed operands");
    int32_t *sp = (int32_t *)(s1 + o_sp), *zpv = (int32_t *)(s1 + o_zp);
    int32_t *zqv = (int32_t *)(s1 + o_zq);
    int64_t *kmb = (int64_t *)(s1 + o_kb);
    for (int64_t i = 0; i < kp; i++)
        kmb[i] = i < k ? i * n : -1;
    int32_t zpa = (int32_t)zero_at(za, 0) - sa.shift;
    for (int64_t i = 0; i < m; i++)
        zpv[i] = zpa;
    int nb = ty->rank - (ta->rank >= 2) - (tb->rank >= 2);
    int64_t sta[RT_MAXRANK], stb[RT_MAXRANK], batch = rt_dims_prod(ty->dim, 0, nb);
    rt_shape_batch_strides(&ta->shape, nb, m * k, sta);
    rt_shape_batch_strides(&tb->shape, nb, k * n, stb);
    /* B's zero points per column: [N] for every matrix, [..., 1, N] for each of B's own */
    int64_t zbn = zb ? rt_numel(zb) : 1, last_a = -1, last_b = -1, last_zq = -1;
    /* A's row sums only where some zero point of B is left after the shift */
    int zb_any = 0;
    for (int64_t i = 0; i < zbn; i++)
        zb_any |= (int32_t)zero_at(zb, i) != sb.shift;
    const int32_t *zq = NULL;
    Pack pa = {&f, &sa, s1 + o_pa, NULL, ta->dt, m, k, kp, NULL, k, zb_any ? sp : NULL};
    Pack pb = {&f, &sb, NULL, NULL, tb->dt, n, 1, kp, kmb, k, NULL};
    for (int64_t idx = 0; idx < batch; idx++) {
        int64_t oa = 0, ob = 0, r = idx;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t q = r % ty->dim[i];
            r /= ty->dim[i];
            oa += q * sta[i];
            ob += q * stb[i];
        }
        if (oa != last_a) {
            pa.src = (const int8_t *)ta->data + oa;
            pack_par(ctx, &pa, 1);
            last_a = oa;
        }
        if (ob != last_b) {
            /* a constant B is packed once (the key is its matrix), else into slot 0 */
            const void *src = (const int8_t *)tb->data + ob;
            int fresh = 1;
            void *buf = rt_derived(ctx, src, qtag(TAG_QB, &f, &sb), qbytes + (size_t)n * 4,
                                   &fresh);
            if (!buf && (fresh = 1) && !(buf = rt_scratch(ctx, 0, qbytes + (size_t)n * 4 + 64)))
                return rt_fail(ctx, RT_ENOMEM, "MatMulInteger: no scratch memory for B packed");
            pb.dst = buf;
            pb.src = src;
            pb.sums = (int32_t *)((unsigned char *)buf + qbytes);
            if (fresh)
                pack_par(ctx, &pb, 0);
            last_b = ob;
        }
        int64_t zoff = zbn > n ? ob / k : 0;
        if (zoff != last_zq) {
            int any = 0;
            for (int64_t j = 0; j < n; j++) {
                zqv[j] = (int32_t)zero_at(zb, zbn > 1 ? zoff + j : 0) - sb.shift;
                any |= zqv[j] != 0;
            }
            zq = any ? zqv : NULL;
            last_zq = zoff;
        }
        QgGemm g = {.f = f, .p_unsig = sa.unsig, .p = pa.dst, .q = pb.dst, .m = m, .n = n,
                    .kp = kp, .k = k, .c = (int32_t *)ty->data + idx * m * n, .ldc = n,
                    .zp = zpa ? zpv : NULL, .sp = sp, .zq = zq, .sq = pb.sums,
                    .zq_one = zbn == 1};
        cpu_qg_run(ctx, &g);
    }
    return RT_OK;
}

/* ---- ConvInteger ----------------------------------------------------------------------------- */

/*
 * X's side of a ConvInteger product, Q: the columns are output positions, the packed k of a
 * column runs over the kernel's taps, and within a tap over the group's channels, padded with
 * zeros to whole groups of k (so that a group is 4 bytes of one pixel). The image of one batch
 * item and group is first copied channels-last, packed, into a padded buffer whose border holds
 * the zero point; a column's group at a tap is then one 32-bit copy from it. Where that buffer
 * would be far larger than the image (padding many times its size), each value is read from X
 * with a bounds check instead.
 */
typedef struct ConvI {
    const QgFormat *f;
    const QgSide *side;
    const Geom *geo;
    const void *x;          /* the input image of one batch item and group: cg channels */
    DType dt;
    int64_t cg, cgp, kp;    /* channels per group, the same padded to whole groups, packed k */
    int32_t zx;             /* X's zero point, packed (less the shift) */
    int64_t pd[NS];         /* the padded image's sizes; pd[0] 0: no padded image */
    unsigned char *img;     /* the padded image, channels last, cgp values a pixel */
    int64_t p0, np;         /* the positions packed: p0 .. p0 + np */
    unsigned char *q;       /* their columns packed */
    int32_t *sums;          /* their columns' sums, or NULL */
} ConvI;

/* The 32-bit group gi of the padded image's pixel i2 of a row whose channels start at x (NULL:
 * a pixel outside X: the zero point in each real channel), 0 past the real channels. */
static uint32_t
image_word(const ConvI *c, const uint8_t *x, int64_t gi, int64_t i2)
{
    uint32_t w = 0;
    for (int e = 0; e < c->f->kg; e++) {
        int64_t ch = gi * c->f->kg + e;
        int32_t v = ch >= c->cg ? 0
                  : x ? qg_load8(x, c->dt, ch * c->geo->imgsz + i2) - c->side->shift : c->zx;
        uint32_t bits = c->f->esz == 1 ? (uint32_t)(v & 0xff) : (uint32_t)(v & 0xffff);
        w |= bits << (8 * c->f->esz * e);
    }
    return w;
}

#if defined(__SSE2__)
/* 16 rows of 16 bytes (x, rows sz apart) transposed into d (rows ds apart), each byte ^ flip:
 * four rounds of interleaving rows i and i + 8, each of which rotates the bits of (row,
 * column) by one, so that after four row and column have traded places. */
static void
transpose16(uint8_t *d, int64_t ds, const uint8_t *x, int64_t sz, uint8_t flip)
{
    __m128i r[16], t[16];
    for (int i = 0; i < 16; i++)
        r[i] = _mm_loadu_si128((const __m128i *)(x + i * sz));
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 8; i++) {
            t[2 * i] = _mm_unpacklo_epi8(r[i], r[i + 8]);
            t[2 * i + 1] = _mm_unpackhi_epi8(r[i], r[i + 8]);
        }
        memcpy(r, t, sizeof r);
    }
    __m128i f = _mm_set1_epi8((char)flip);
    for (int i = 0; i < 16; i++)
        _mm_storeu_si128((__m128i *)(d + i * ds), _mm_xor_si128(r[i], f));
}
#endif

/* 1 when some position and tap read coordinate q of the padded image along axis a. */
static int
touched(const Geom *g, int a, int64_t q)
{
    for (int64_t kk = 0; kk < g->k[a]; kk++) {
        int64_t r = q - kk * g->d[a];
        if (r >= 0 && r % g->s[a] == 0 && r / g->s[a] < g->col[a])
            return 1;
    }
    return 0;
}

/* Rows [b, e) of the padded image (row: pd[0] * pd[1] of them, pd[2] pixels each), 32-bit
 * groups of kg channels interleaved from kg rows of X at a time. */
static void
image_rows(void *arg, int64_t b, int64_t e)
{
    const ConvI *c = arg;
    const Geom *g = c->geo;
    int64_t gp = c->cgp / c->f->kg, lo = g->pb[2], hi = g->pb[2] + g->img[2];
    hi = hi < c->pd[2] ? hi : c->pd[2];
    for (int64_t row = b; row < e; row++) {
        /* rows no position reads (a strided 1 x 1 kernel's odd ones) are left as they are */
        if (!touched(g, 0, row / c->pd[1]) || !touched(g, 1, row % c->pd[1]))
            continue;
        int64_t i0 = row / c->pd[1] - g->pb[0], i1 = row % c->pd[1] - g->pb[1];
        int in = i0 >= 0 && i0 < g->img[0] && i1 >= 0 && i1 < g->img[1];
        uint32_t *d = (uint32_t *)c->img + row * c->pd[2] * gp;
        const uint8_t *x = in ? (const uint8_t *)c->x + (i0 * g->img[1] + i1) * g->img[2] : NULL;
        /* bytes: blocks of 16 channels by 16 pixels transposed whole; the rest by groups */
        int64_t bch = 0, bpx = 0, sz = g->imgsz;
#if defined(__SSE2__)
        if (in && c->f->esz == 1) {
            bch = c->cg / 16 * 16;
            bpx = (hi - lo) / 16 * 16;
            uint8_t flip = c->side->shift ? 0x80 : 0;
            for (int64_t ch = 0; ch < bch; ch += 16)
                for (int64_t i2 = 0; i2 < bpx; i2 += 16)
                    transpose16((uint8_t *)(d + (lo + i2) * gp) + ch, gp * 4, x + ch * sz + i2,
                                sz, flip);
        }
#endif
        for (int64_t gi = 0; gi < gp; gi++) {
            uint32_t pad = image_word(c, NULL, gi, 0);
            for (int64_t q2 = 0; q2 < (in ? lo : c->pd[2]); q2++)
                d[q2 * gp + gi] = pad;
            if (!in)
                continue;
            for (int64_t q2 = hi; q2 < c->pd[2]; q2++)
                d[q2 * gp + gi] = pad;
            int64_t ch = gi * c->f->kg, from = ch < bch ? bpx : 0;
            uint32_t *dg = d + lo * gp + gi;
            if (c->f->esz == 1 && ch + 4 <= c->cg) {
                /* x - shift of a byte: x ^ 0x80 for a shift of +-128 */
                const uint8_t *x0 = x + ch * sz;
                uint32_t flip = c->side->shift ? 0x80808080u : 0;
                for (int64_t i2 = from; i2 < hi - lo; i2++)
                    dg[i2 * gp] = ((uint32_t)x0[i2] | (uint32_t)x0[sz + i2] << 8 |
                                   (uint32_t)x0[2 * sz + i2] << 16 |
                                   (uint32_t)x0[3 * sz + i2] << 24) ^ flip;
            } else if (c->f->esz == 1) {
                /* the last channels, fewer than a group: zero bytes (not flipped) past them */
                const uint8_t *x0 = x + ch * sz;
                int nreal = (int)(c->cg - ch);
                uint32_t flip = c->side->shift ? 0x80808080u >> (8 * (4 - nreal)) : 0;
                for (int64_t i2 = from; i2 < hi - lo; i2++) {
                    uint32_t v = 0;
                    for (int r = 0; r < nreal; r++)
                        v |= (uint32_t)x0[r * sz + i2] << (8 * r);
                    dg[i2 * gp] = v ^ flip;
                }
            } else if (ch + 2 > c->cg) {
                for (int64_t i2 = from; i2 < hi - lo; i2++)
                    dg[i2 * gp] = image_word(c, x, gi, i2);
            } else {
                for (int64_t i2 = from; i2 < hi - lo; i2++) {
                    int32_t v0 = qg_load8(x, c->dt, ch * sz + i2) - c->side->shift;
                    int32_t v1 = qg_load8(x, c->dt, (ch + 1) * sz + i2) - c->side->shift;
                    dg[i2 * gp] = (uint32_t)(uint16_t)v0 | (uint32_t)(uint16_t)v1 << 16;
                }
            }
        }
    }
}

/* Tap (k0, k1, k2) of the w positions from first, read from X with bounds checks (no padded
 * image): dt gets its gp rows of w words, zeros past the real positions. */
static void
direct(const ConvI *c, uint32_t *dt, int64_t w, int64_t real, int64_t first, int64_t k0,
       int64_t k1, int64_t k2)
{
    const Geom *g = c->geo;
    int64_t gp = c->cgp / c->f->kg;
    for (int64_t jj = 0; jj < w; jj++) {
        int64_t p = first + jj, o2 = p % g->col[2], o1 = p / g->col[2] % g->col[1];
        int64_t o0 = p / (g->col[2] * g->col[1]);
        int64_t i0 = o0 * g->s[0] - g->pb[0] + k0 * g->d[0];
        int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
        int64_t i2 = o2 * g->s[2] - g->pb[2] + k2 * g->d[2];
        int in = i0 >= 0 && i0 < g->img[0] && i1 >= 0 && i1 < g->img[1] && i2 >= 0 &&
                 i2 < g->img[2];
        const uint8_t *x = in ? (const uint8_t *)c->x + (i0 * g->img[1] + i1) * g->img[2] + i2
                              : NULL;
        for (int64_t gi = 0; gi < gp; gi++)
            dt[gi * w + jj] = jj < real ? image_word(c, x, gi, 0) : 0;
    }
}

/* The padded image's pixel of a position at tap 0, or of a tap at position 0 (its offset). */
static int64_t
image_pixel(const ConvI *c, int64_t q0, int64_t q1, int64_t q2)
{
    return (q0 * c->pd[1] + q1) * c->pd[2] + q2;
}

#if defined(__SSE2__)
/* d[r * w + j] = s[at[j] + r] for r, j < 4: 4 groups of 4 positions, transposed */
static inline void
transpose4(uint32_t *d, int64_t w, const uint32_t *s, const int32_t *at)
{
    __m128i r0 = _mm_loadu_si128((const __m128i *)(s + at[0]));
    __m128i r1 = _mm_loadu_si128((const __m128i *)(s + at[1]));
    __m128i r2 = _mm_loadu_si128((const __m128i *)(s + at[2]));
    __m128i r3 = _mm_loadu_si128((const __m128i *)(s + at[3]));
    __m128i t0 = _mm_unpacklo_epi32(r0, r1), t1 = _mm_unpackhi_epi32(r0, r1);
    __m128i t2 = _mm_unpacklo_epi32(r2, r3), t3 = _mm_unpackhi_epi32(r2, r3);
    _mm_storeu_si128((__m128i *)d, _mm_unpacklo_epi64(t0, t2));
    _mm_storeu_si128((__m128i *)(d + w), _mm_unpackhi_epi64(t0, t2));
    _mm_storeu_si128((__m128i *)(d + 2 * w), _mm_unpacklo_epi64(t1, t3));
    _mm_storeu_si128((__m128i *)(d + 3 * w), _mm_unpackhi_epi64(t1, t3));
}
#endif

#if defined(__AVX512F__)
/* d[r * w + j] = s[at[j] + r] for r, j < 16: 16 groups of 16 positions, transposed by
 * interleaving 32-bit, then 64-bit elements, then 128-bit lanes */
static inline void
transpose16d(uint32_t *d, int64_t w, const uint32_t *s, const int32_t *at)
{
    __m512i r[16], t[16], u[16];
    for (int i = 0; i < 16; i++)
        r[i] = _mm512_loadu_si512(s + at[i]);
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    /* u[4 i + c], lane l: column 4 l + c of rows 4 i .. 4 i + 3 */
    for (int i = 0; i < 4; i++) {
        u[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int c = 0; c < 4; c++) {
        __m512i x0 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x44);
        __m512i x1 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xee);
        __m512i y0 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x44);
        __m512i y1 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xee);
        _mm512_storeu_si512(d + c * w, _mm512_shuffle_i32x4(x0, y0, 0x88));
        _mm512_storeu_si512(d + (4 + c) * w, _mm512_shuffle_i32x4(x0, y0, 0xdd));
        _mm512_storeu_si512(d + (8 + c) * w, _mm512_shuffle_i32x4(x1, y1, 0x88));
        _mm512_storeu_si512(d + (12 + c) * w, _mm512_shuffle_i32x4(x1, y1, 0xdd));
    }
}
#endif

/* Groups gi, gi + 1, ... of a tap (their rows of w words at dt, gi's first) for the real
 * positions of a panel (group g of position j at s[g + at[j]]), n groups at a time, n x n
 * blocks transposed by blk; zeros past the real positions. Returns the first group left. */
static inline __attribute__((always_inline)) int64_t
blocks(uint32_t *dt, int64_t w, int64_t real, const uint32_t *s, const int32_t *at, int64_t gi,
       int64_t gp, int n, void (*blk)(uint32_t *, int64_t, const uint32_t *, const int32_t *))
{
    for (; gi + n <= gp; gi += n) {
        uint32_t *d = dt + gi * w;
        int64_t jj = 0;
        for (; jj + n <= real; jj += n)
            blk(d + jj, w, s + gi, at + jj);
        for (int r = 0; r < n; r++) {
            for (int64_t j = jj; j < real; j++)
                d[r * w + j] = s[gi + r + at[j]];
            for (int64_t j = real; j < w; j++)
                d[r * w + j] = 0;
        }
    }
    return gi;
}

/* Packs the columns of Q panels [b, e) of the chunk (positions p0 + j). */
static void
patches(void *arg, int64_t b, int64_t e)
{
    const ConvI *c = arg;
    const Geom *g = c->geo;
    int64_t qc = qg_qcols(c->np), gp = c->cgp / c->f->kg; /* groups a pixel */
    const uint32_t *img = (const uint32_t *)c->img;
    int32_t at[QG_NR]; /* a panel's positions: their first group in the padded image */
    for (int64_t pn = b; pn < e; pn++) {
        int64_t j0 = pn * QG_NR, w = qc - j0 < QG_NR ? qc - j0 : QG_NR;
        int64_t real = c->np - j0 < w ? c->np - j0 : w;
        uint32_t *d = (uint32_t *)(c->q + j0 * c->kp * c->f->esz);
        for (int64_t jj = 0; jj < real; jj++) {
            int64_t p = c->p0 + j0 + jj, o2 = p % g->col[2], o1 = p / g->col[2] % g->col[1];
            int64_t o0 = p / (g->col[2] * g->col[1]);
            at[jj] = (int32_t)(image_pixel(c, o0 * g->s[0], o1 * g->s[1], o2 * g->s[2]) * gp);
        }
        int64_t t = 0;
        for (int64_t k0 = 0; k0 < g->k[0]; k0++)
            for (int64_t k1 = 0; k1 < g->k[1]; k1++)
                for (int64_t k2 = 0; k2 < g->k[2]; k2++, t++) {
                    uint32_t *dt = d + t * gp * w;
                    if (!c->pd[0]) {
                        direct(c, dt, w, real, c->p0 + j0, k0, k1, k2);
                        continue;
                    }
                    const uint32_t *s =
                        img + image_pixel(c, k0 * g->d[0], k1 * g->d[1], k2 * g->d[2]) * gp;
                    int64_t gi = 0;
#if defined(__AVX512F__)
                    gi = blocks(dt, w, real, s, at, gi, gp, 16, transpose16d);
#endif
#if defined(__SSE2__)
                    gi = blocks(dt, w, real, s, at, gi, gp, 4, transpose4);
#endif
                    dt += gi * w;
                    for (; gi < gp; gi++, dt += w) {
                        int64_t jj = 0;
#if defined(__AVX512F__)
                        for (; jj + 16 <= real; jj += 16) {
                            __m512i ix = _mm512_loadu_si512(at + jj);
                            _mm512_storeu_si512(dt + jj, _mm512_i32gather_epi32(ix, s + gi, 4));
                        }
#endif
                        for (; jj < real; jj++)
                            dt[jj] = s[gi + at[jj]];
                        for (; jj < w; jj++)
                            dt[jj] = 0;
                    }
                }
        if (c->sums)
            cpu_qg_sum_q(c->f, c->side, c->q, c->kp, c->np, c->sums, j0, j0 + w);
    }
}

/*
 * ConvInteger: X [N, C, D...] and W [M, C / group, k...] as Conv (pads, strides, dilations,
 * auto_pad, group), less their zero points: X's one value (padding counts as that value, so as
 * 0 once it is subtracted), W's one value or one per output channel. Y [N, M, O...] int32. W's
 * rows are the GEMM's P (packed once per plan when W is a constant), the output positions its
 * Q, packed a chunk of positions at a time. Scratch: slot 0 (W packed when it is not a
 * constant), slot 1 (the padded image, the packed positions, the zero points).
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
    QgFormat f;
    QgSide sx, sw;
    cpu_qg_format(&f);
    cpu_qg_sides(&f, x->dt, w->dt, &sx, &sw);
    int64_t grp = a->group, m = w->dim[0], mg = m / grp, cg = x->dim[1] / grp, pos = geo.colsz;
    int64_t taps = geo.ksz, cgp = qg_kpad(&f, cg), kp = taps * cgp, k = cg * taps;
    int64_t pr = qg_prows(mg), esz = f.esz;
    /* positions a chunk: whole Q panels, about 2 MB of them */
    int64_t chunk = ((int64_t)1 << 21) / (kp > 0 ? kp * esz : 1) / QG_NR * QG_NR;
    chunk = chunk < QG_NR ? QG_NR : chunk;
    chunk = chunk < qg_qcols(pos) ? chunk : qg_qcols(pos);
    /* the padded image, unless padding makes it far larger than X's image and Y's positions */
    ConvI c = {.f = &f, .side = &sx, .geo = &geo, .dt = x->dt, .cg = cg, .cgp = cgp, .kp = kp,
               .zx = (int32_t)zero_at(zx, 0) - sx.shift};
    int64_t padded = 1;
    for (int i = 0; i < NS; i++) {
        int64_t span = (geo.col[i] - 1) * geo.s[i] + (geo.k[i] - 1) * geo.d[i] + 1;
        c.pd[i] = geo.img[i] + geo.pb[i] > span ? geo.img[i] + geo.pb[i] : span;
        padded *= c.pd[i];
    }
    if (padded > 4 * (geo.imgsz + pos) + 65536 || padded * (cgp / f.kg) > INT32_MAX)
        c.pd[0] = padded = 0;
    size_t at = 0, o_img = take(&at, (size_t)(padded * cgp * esz));
    size_t o_q = take(&at, (size_t)(chunk * kp * esz)), o_sq = take(&at, (size_t)chunk * 4);
    size_t o_zq = take(&at, (size_t)chunk * 4), o_zp = take(&at, (size_t)m * 4);
    size_t o_km = take(&at, (size_t)kp * 8);
    unsigned char *s1 = rt_scratch(ctx, 1, at);
    size_t wbytes = (size_t)(grp * pr * kp * esz), wall = wbytes + (size_t)m * 4;
    int fresh = 1;
    unsigned char *pw = rt_derived(ctx, w->data, qtag(TAG_QW, &f, &sw), wall, &fresh);
    if (!pw && (fresh = 1) && !(pw = rt_scratch(ctx, 0, wall + 64)))
        s1 = NULL;
    if (!s1)
        return rt_fail(ctx, RT_ENOMEM, "ConvInteger: no scratch memory for the packed operands");
    int32_t *sp = (int32_t *)(pw + wbytes), *zpv = (int32_t *)(s1 + o_zp);
    int32_t *zqv = (int32_t *)(s1 + o_zq);
    if (fresh) {
        int64_t *kmap = (int64_t *)(s1 + o_km);
        for (int64_t i = 0; i < kp; i++)
            kmap[i] = i % cgp < cg ? i % cgp * taps + i / cgp : -1;
        for (int64_t gi = 0; gi < grp; gi++) {
            Pack p = {&f, &sw, pw + gi * pr * kp * esz, (const int8_t *)w->data + gi * mg * k,
                      w->dt, mg, k, kp, kmap, k, sp + gi * mg};
            pack_par(ctx, &p, 1);
        }
    }
    int any_zp = 0;
    for (int64_t i = 0; i < m; i++) {
        zpv[i] = (int32_t)zero_at(zw, zw && rt_numel(zw) > 1 ? i : 0) - sw.shift;
        any_zp |= zpv[i] != 0;
    }
    for (int64_t j = 0; j < chunk; j++)
        zqv[j] = c.zx;
    c.img = s1 + o_img;
    c.q = s1 + o_q;
    c.sums = any_zp ? (int32_t *)(s1 + o_sq) : NULL;
    for (int64_t b = 0; b < x->dim[0]; b++)
        for (int64_t gi = 0; gi < grp; gi++) {
            c.x = (const int8_t *)x->data + (b * x->dim[1] + gi * cg) * geo.imgsz;
            int32_t *yg = (int32_t *)y->data + (b * m + gi * mg) * pos;
            if (c.pd[0])
                rt_parallel_for(ctx, c.pd[0] * c.pd[1], 8, image_rows, &c);
            for (c.p0 = 0; c.p0 < pos; c.p0 += chunk) {
                c.np = pos - c.p0 < chunk ? pos - c.p0 : chunk;
                int64_t panels = (qg_qcols(c.np) + QG_NR - 1) / QG_NR;
                int64_t grain = ((int64_t)1 << 16) / (QG_NR * (kp > 0 ? kp : 1));
                rt_parallel_for(ctx, panels, grain > 1 ? grain : 1, patches, &c);
                QgGemm g = {.f = f, .p_unsig = sw.unsig, .p = pw + gi * pr * kp * esz,
                            .q = c.q, .m = mg, .n = c.np, .kp = kp, .k = k, .c = yg + c.p0,
                            .ldc = pos, .zp = any_zp ? zpv + gi * mg : NULL, .sp = sp + gi * mg,
                            .zq = c.zx ? zqv : NULL, .sq = c.sums, .zq_one = 1};
                cpu_qg_run(ctx, &g);
            }
        }
    return RT_OK;
}
