/*
 * conv.c: Conv and ConvTranspose on f32, with 1, 2 or 3 spatial axes.
 *
 * The geometry (conv_geom.h): an "image" side and a "column" side, padded to three spatial axes.
 *
 * Conv picks one of three methods:
 *   - one input channel per group (depthwise): a direct loop per output channel over a padded,
 *     stride-phase-split copy of its input, where every kernel tap is one unit-stride
 *     multiply-add pass over the whole output plane; channels are spread over threads;
 *   - 1x1, stride 1, no padding: one GEMM (or GEMV on a 1x1 map) per image and group, on X;
 *   - otherwise a GEMM of W [M/group, C/group * k] by the patches of X: read in place as
 *     shifted views of zero-padded stride-phase planes of X (up to 2-D, strides up to 4),
 *     copied out by im2col otherwise.
 * The GEMMs are sgemm.h's, with W packed once per plan.
 * ConvTranspose is the adjoint: col = W^T X per image and group (a GEMM), then col2im adds each
 * column into the window of Y it came from. Bias is written into Y first and GEMMs accumulate.
 */
#include "conv_geom.h"
#include "sgemm.h"

#include <cblas.h>
#include <string.h>

#define COL_CAP ((int64_t)1 << 21) /* floats of im2col scratch before blocking (8 MiB) */


/* Clamps v into [lo, hi]. */
static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* [*lo, *hi): the columns t < ncol of the innermost axis whose image index t * s + off lies in
 * [0, size). */
static void
valid_range(int64_t off, int64_t s, int64_t size, int64_t ncol, int64_t *lo, int64_t *hi)
{
    int64_t l = off >= 0 ? 0 : (-off + s - 1) / s;
    int64_t h = size - 1 - off < 0 ? 0 : (size - 1 - off) / s + 1;
    *lo = l < ncol ? l : ncol;
    *hi = h < *lo ? *lo : h < ncol ? h : ncol;
}

/* ---- vector loops ---------------------------------------------------------------------------- */

/*
 * The hot loops run their main part over a multiple of 16 elements and finish with a scalar
 * tail: gcc -O2 (the "very cheap" cost model) vectorises a loop only when no epilogue is needed.
 * They stay out of line, so that the vectoriser sees them whole with their restrict pointers.
 */
#define MAIN16(n) ((n) & ~(int64_t)15)
#define VECLOOP __attribute__((noinline)) static void
enum { VSLACK = 16 }; /* floats a loop rounded up to 16 may read past its data */

/* y[t] = v for t in [0, n), 16 at a time through a constant-size memcpy (gcc does not
 * vectorise a loop that stores a scalar parameter). */
VECLOOP
fill(float *restrict y, float v, int64_t n)
{
    float v16[16];
    int64_t t = 0, n16 = MAIN16(n);
    for (int i = 0; i < 16; i++)
        v16[i] = v;
    for (; t < n16; t += 16)
        memcpy(y + t, v16, sizeof v16);
    for (; t < n; t++)
        y[t] = v;
}

/* y[t] += a * x[t] for t in [0, n). */
VECLOOP
axpy(float *restrict y, const float *restrict x, float a, int64_t n)
{
    int64_t t = 0, n16 = MAIN16(n);
    for (; t < n16; t++)
        y[t] += a * x[t];
    for (; t < n; t++)
        y[t] += a * x[t];
}

/* y[t] += a0 * x0[t] + a1 * x1[t] + a2 * x2[t] for t in [0, n): three taps per pass over y. */
VECLOOP
axpy3(float *restrict y, const float *restrict x0, const float *restrict x1,
      const float *restrict x2, float a0, float a1, float a2, int64_t n)
{
    int64_t t = 0, n16 = MAIN16(n);
    for (; t < n16; t++)
        y[t] += a0 * x0[t] + a1 * x1[t] + a2 * x2[t];
    for (; t < n; t++)
        y[t] += a0 * x0[t] + a1 * x1[t] + a2 * x2[t];
}

/* y[t] = b + the sum of w[q] * x[q][t] over the 9 taps of a 3x3 kernel, for t in [0, n): the
 * whole of a depthwise 3x3 in one pass over the output. */
VECLOOP
taps9(float *restrict y, const float *restrict x0, const float *restrict x1,
      const float *restrict x2, const float *restrict x3, const float *restrict x4,
      const float *restrict x5, const float *restrict x6, const float *restrict x7,
      const float *restrict x8, const float *w, float b, int64_t n)
{
    float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7];
    float w8 = w[8];
    int64_t t = 0, n16 = MAIN16(n);
    for (; t < n16; t++)
        y[t] = b + w0 * x0[t] + w1 * x1[t] + w2 * x2[t] + w3 * x3[t] + w4 * x4[t] + w5 * x5[t] +
               w6 * x6[t] + w7 * x7[t] + w8 * x8[t];
    for (; t < n; t++)
        y[t] = b + w0 * x0[t] + w1 * x1[t] + w2 * x2[t] + w3 * x3[t] + w4 * x4[t] + w5 * x5[t] +
               w6 * x6[t] + w7 * x7[t] + w8 * x8[t];
}

/* e[j] = s[2j], o[j] = s[2j + 1] for j in [0, n): stride 2's two column phases in one pass. */
VECLOOP
deinterleave2(float *restrict e, float *restrict o, const float *restrict s, int64_t n)
{
    int64_t j = 0, n16 = MAIN16(n);
    for (; j < n16; j++) {
        e[j] = s[2 * j];
        o[j] = s[2 * j + 1];
    }
    for (; j < n; j++) {
        e[j] = s[2 * j];
        o[j] = s[2 * j + 1];
    }
}

/* Writes each Y channel's bias (or 0) to all n * m channels of y, each of sz floats. */
static void
fill_bias(float *y, const RtTensor *b, int64_t n, int64_t m, int64_t sz)
{
    const float *bias = b ? b->data : NULL;
    for (int64_t i = 0; i < n * m; i++)
        fill(y + i * sz, bias ? bias[i % m] : 0.0f, sz);
}

/* ---- Conv: depthwise ----------------------------------------------------------------------- */

/*
 * One input channel per group. Each 2-D slice of the input is copied, zero-padded, into s1 * s2
 * phase planes, plane (a, b) holding padded[i * s1 + a][j * s2 + b] in rows of wq floats. Tap
 * (kh, kw) then reads one plane at a fixed offset for every output (oh, ow), so with the output
 * accumulated in rows of wq floats too, each tap is one unit-stride pass over oh * wq floats
 * (columns ow >= OW are computed and dropped). Taps go three per pass.
 */
typedef struct DwArgs {
    const Geom *g;
    const float *x, *w, *b;
    float *y;
    float *scratch;      /* per chunk: the phase planes, the accumulator, one padded row */
    const int64_t *toff; /* per tap of a 2-D kernel slice: where it reads in the planes */
    const Fused *f;      /* activation fused in */
    int64_t c, m, mg;    /* input channels, output channels, output channels per group */
    int64_t nm, nchunk;  /* channels over all images, chunks they are split into */
    int64_t rows, wq;    /* rows of a phase plane (one of slack) and their length */
    int64_t plane;       /* floats per plane: rows * wq and VSLACK more */
    int64_t len;         /* floats of the accumulator: col[1] * wq rounded up to 16 */
    int64_t per_chunk;   /* floats of scratch per chunk */
} DwArgs;

/* Copies the 2-D input slice xs (img[1] x img[2]) into the phase planes pl; prow: s2 * wq floats
 * for a padded row before it is split into column phases. The padding in pl and prow is zeroed
 * once per chunk (dw_chunks) and never written, since the geometry is the same for every
 * channel. */
static void
dw_planes(const DwArgs *p, const float *xs, float *pl, float *prow)
{
    const Geom *g = p->g;
    int64_t s1 = g->s[1], s2 = g->s[2], wq = p->wq, wp = s2 * wq;
    /* the padded columns [lo, hi) that hold input */
    int64_t lo = clamp(g->pb[2], 0, wp), hi = clamp(g->pb[2] + g->img[2], lo, wp);
    if (hi <= lo)
        return;
    for (int64_t a = 0; a < s1; a++) {
        float *dst = pl + a * s2 * p->plane; /* plane (a, b) at dst + b * plane */
        for (int64_t i = 0; i < p->rows; i++, dst += wq) {
            int64_t ir = i * s1 + a - g->pb[1];
            if (ir < 0 || ir >= g->img[1])
                continue;
            float *row = s2 == 1 ? dst : prow;
            memcpy(row + lo, xs + ir * g->img[2] + (lo - g->pb[2]),
                   (size_t)(hi - lo) * sizeof *row);
            if (s2 == 2) {
                deinterleave2(dst, dst + p->plane, prow, wq);
            } else if (s2 > 2) {
                for (int64_t b = 0; b < s2; b++)
                    for (int64_t j = 0; j < wq; j++)
                        dst[b * p->plane + j] = prow[j * s2 + b];
            }
        }
    }
}

/* Output channel nm (image * M + channel) with the chunk's scratch pl. */
static void
dw_channel(const DwArgs *p, int64_t nm, float *pl)
{
    const Geom *g = p->g;
    int64_t m = nm % p->m, taps = g->k[1] * g->k[2], len = p->len;
    const float *x = p->x + (nm / p->m * p->c + m / p->mg) * g->imgsz;
    const int64_t *o = p->toff;
    float *acc = pl + g->s[1] * g->s[2] * p->plane, bias = p->b ? p->b[m] : 0.0f;
    for (int64_t od = 0; od < g->col[0]; od++) {
        int64_t id0 = od * g->s[0] - g->pb[0];
        if (g->k[0] == 1 && taps == 9 && id0 >= 0 && id0 < g->img[0]) { /* 3x3: one pass */
            dw_planes(p, x + id0 * g->img[1] * g->img[2], pl, acc + len);
            taps9(acc, pl + o[0], pl + o[1], pl + o[2], pl + o[3], pl + o[4], pl + o[5], pl + o[6],
                  pl + o[7], pl + o[8], p->w + m * g->ksz, bias, len);
        } else {
            fill(acc, bias, len);
            for (int64_t kd = 0; kd < g->k[0]; kd++) {
                int64_t id = id0 + kd * g->d[0];
                if (id < 0 || id >= g->img[0])
                    continue;
                const float *w = p->w + m * g->ksz + kd * taps;
                dw_planes(p, x + id * g->img[1] * g->img[2], pl, acc + len);
                int64_t q = 0;
                for (; q + 3 <= taps; q += 3)
                    axpy3(acc, pl + o[q], pl + o[q + 1], pl + o[q + 2], w[q], w[q + 1], w[q + 2],
                          len);
                for (; q < taps; q++)
                    axpy(acc, pl + o[q], w[q], len);
            }
        }
        float *y = p->y + nm * g->colsz + od * g->col[1] * g->col[2];
        for (int64_t oh = 0; oh < g->col[1]; oh++)
            memcpy(y + oh * g->col[2], acc + oh * p->wq, (size_t)g->col[2] * sizeof *y);
        if (cpu_act_any(p->f))
            cpu_act_apply(p->f, y, g->col[1] * g->col[2], 0.0f);
    }
}

/* Chunks [begin, end) of the channels, each with its own scratch, zeroed once. */
static void
dw_chunks(void *arg, int64_t begin, int64_t end)
{
    const DwArgs *p = arg;
    int64_t nplane = p->g->s[1] * p->g->s[2] * p->plane;
    for (int64_t ch = begin; ch < end; ch++) {
        float *pl = p->scratch + ch * p->per_chunk;
        memset(pl, 0, (size_t)nplane * sizeof *pl);
        memset(pl + nplane + p->len, 0, (size_t)(p->g->s[2] * p->wq) * sizeof *pl);
        for (int64_t nm = ch * p->nm / p->nchunk; nm < (ch + 1) * p->nm / p->nchunk; nm++)
            dw_channel(p, nm, pl);
    }
}

/* Depthwise Conv: sizes the planes, finds where each tap reads, takes scratch and spreads the
 * channels over threads. */
static int
conv_depthwise(RtCtx *ctx, const Geom *g, const RtTensor *x, const RtTensor *w, const RtTensor *b,
               RtTensor *y, int64_t mg, const Fused *f)
{
    DwArgs p = {.g = g,
                .f = f,
                .x = x->data,
                .w = w->data,
                .b = b ? b->data : NULL,
                .y = y->data,
                .c = x->dim[1],
                .m = y->dim[1],
                .mg = mg};
    /* the padded extent the outputs reach, in phases of the stride */
    int64_t hp = (g->col[1] - 1) * g->s[1] + (g->k[1] - 1) * g->d[1] + 1;
    int64_t wp = (g->col[2] - 1) * g->s[2] + (g->k[2] - 1) * g->d[2] + 1;
    int64_t hq = (hp + g->s[1] - 1) / g->s[1], taps = g->k[1] * g->k[2];
    p.wq = (wp + g->s[2] - 1) / g->s[2];
    /* a tap reads up to wq - 1 floats past the rows the outputs reach (one slack row) and the
     * accumulator's rounding up to 16 reads up to 15 more (VSLACK) */
    p.rows = hq + 1;
    p.plane = p.rows * p.wq + VSLACK;
    p.len = (g->col[1] * p.wq + 15) & ~(int64_t)15;
    p.per_chunk = g->s[1] * g->s[2] * p.plane + p.len + g->s[2] * p.wq;
    p.nm = x->dim[0] * p.m;
    p.nchunk = 4 * (int64_t)rt_ctx_threads(ctx);
    if (p.nchunk > p.nm)
        p.nchunk = p.nm;
    p.scratch = rt_scratch(ctx, 1, (size_t)(p.nchunk * p.per_chunk) * sizeof(float));
    int64_t *toff = rt_scratch(ctx, 2, (size_t)taps * sizeof *toff);
    if (!p.scratch || !toff)
        return rt_fail(ctx, RT_ENOMEM, "Conv: %lld bytes of depthwise scratch",
                       (long long)(p.nchunk * p.per_chunk * 4));
    /* tap (kh, kw) reads padded[oh * s1 + dh][ow * s2 + dw]: plane (dh % s1, dw % s2), shifted
     * by dh / s1 rows and dw / s2 columns */
    for (int64_t q = 0; q < taps; q++) {
        int64_t dh = q / g->k[2] * g->d[1], dw = q % g->k[2] * g->d[2];
        toff[q] =
            (dh % g->s[1] * g->s[2] + dw % g->s[2]) * p.plane + dh / g->s[1] * p.wq + dw / g->s[2];
    }
    p.toff = toff;
    rt_parallel_for(ctx, p.nchunk, 1, dw_chunks, &p);
    return RT_OK;
}

/* ---- im2col and col2im --------------------------------------------------------------------- */

typedef struct ColArgs {
    const Geom *g;
    float *img;       /* image of the group's first channel; channel stride imgsz */
    float *buf;       /* the column matrix: row r at buf + (r - r0) * ncol */
    int64_t p0, ncol; /* the block of columns [p0, p0 + ncol) */
    int64_t r0;       /* the first row buf holds */
} ColArgs;

/* One im2col run: dst[t - t0] = row[t * s + off] for t in [t0, t0 + len), 0 outside [lo, hi)
 * or where row is NULL (the whole run lies in the padding). */
static void
copy_run(float *restrict dst, const float *restrict row, int64_t t0, int64_t len, int64_t lo,
         int64_t hi, int64_t s, int64_t off)
{
    int64_t a = clamp(lo, t0, t0 + len), b = clamp(hi, a, t0 + len);
    if (!row)
        a = b = t0 + len;
    for (int64_t t = t0; t < a; t++)
        dst[t - t0] = 0.0f;
    if (s == 1) {
        if (b > a)
            memcpy(dst + (a - t0), row + a + off, (size_t)(b - a) * sizeof *dst);
    } else {
        for (int64_t t = a; t < b; t++)
            dst[t - t0] = row[t * s + off];
    }
    for (int64_t t = b; t < t0 + len; t++)
        dst[t - t0] = 0.0f;
}

/* One col2im run: row[t * s + off] += src[t - t0] for t in [t0, t0 + len) within [lo, hi). */
static void
add_run(float *restrict row, const float *restrict src, int64_t t0, int64_t len, int64_t lo,
        int64_t hi, int64_t s, int64_t off)
{
    int64_t a = clamp(lo, t0, t0 + len), b = clamp(hi, a, t0 + len);
    if (!row)
        return;
    if (s == 1) {
        axpy(row + a + off, src + (a - t0), 1.0f, b - a);
    } else {
        for (int64_t t = a; t < b; t++)
            row[t * s + off] += src[t - t0];
    }
}

/*
 * One row of the column matrix, for kernel offset kk and image channel imgc: im2col copies the
 * image into colrow, col2im (scatter) adds colrow into the image. The block's columns are
 * visited as runs along the innermost axis, one image row each.
 */
static void
walk_row(const ColArgs *a, int64_t kk, float *imgc, float *colrow, int scatter)
{
    const Geom *g = a->g;
    int64_t kw = kk % g->k[2], kh = kk / g->k[2] % g->k[1], kd = kk / (g->k[2] * g->k[1]);
    int64_t off = kw * g->d[2] - g->pb[2], lo, hi;
    valid_range(off, g->s[2], g->img[2], g->col[2], &lo, &hi);
    int64_t p = a->p0, pend = a->p0 + a->ncol;
    int64_t t0 = p % g->col[2], oh = p / g->col[2] % g->col[1], od = p / (g->col[2] * g->col[1]);
    while (p < pend) {
        int64_t len = g->col[2] - t0 < pend - p ? g->col[2] - t0 : pend - p;
        int64_t id = od * g->s[0] - g->pb[0] + kd * g->d[0];
        int64_t ih = oh * g->s[1] - g->pb[1] + kh * g->d[1];
        float *irow = NULL;
        if (id >= 0 && id < g->img[0] && ih >= 0 && ih < g->img[1])
            irow = imgc + (id * g->img[1] + ih) * g->img[2];
        if (scatter)
            add_run(irow, colrow + (p - a->p0), t0, len, lo, hi, g->s[2], off);
        else
            copy_run(colrow + (p - a->p0), irow, t0, len, lo, hi, g->s[2], off);
        p += len;
        t0 = 0;
        if (++oh == g->col[1]) {
            oh = 0;
            od++;
        }
    }
}

/* im2col rows [begin, end): row r = input channel r / ksz, kernel offset r % ksz. */
static void
im2col_rows(void *arg, int64_t begin, int64_t end)
{
    const ColArgs *a = arg;
    const Geom *g = a->g;
    for (int64_t r = begin; r < end; r++)
        walk_row(a, r % g->ksz, a->img + r / g->ksz * g->imgsz, a->buf + (r - a->r0) * a->ncol, 0);
}

/* col2im over output channels [begin, end) of the group: each owns rows [m * ksz, (m+1) * ksz),
 * so no two threads add into the same channel. */
static void
col2im_channels(void *arg, int64_t begin, int64_t end)
{
    const ColArgs *a = arg;
    const Geom *g = a->g;
    for (int64_t m = begin; m < end; m++)
        for (int64_t kk = 0; kk < g->ksz; kk++)
            walk_row(a, kk, a->img + m * g->imgsz, a->buf + (m * g->ksz + kk) * a->ncol, 1);
}

/* Columns per block so that rows * block floats stay near COL_CAP (at least 64, at most all). */
static int64_t
col_block(int64_t rows, int64_t ncol)
{
    int64_t b = COL_CAP / (rows > 0 ? rows : 1);
    b = b < 64 ? 64 : b & ~(int64_t)15;
    return b < ncol ? b : ncol;
}

/* Items of rows of len floats per parallel chunk: enough to be worth a thread (~16K floats). */
static int64_t
grain_for(int64_t len)
{
    return len >= 16384 ? 1 : 16384 / (len > 0 ? len : 1);
}

/* ---- Conv: GEMM per block of output ----------------------------------------------------------- */

/*
 * Conv's output per image and group is W_g [mg, rows] x cols [rows, ncol]: row r of cols holds,
 * for every output position, the input that kernel tap r % ksz of channel r / ksz sees there.
 * sg_block reads each row of cols through an offset, so cols is never formed where it is a set
 * of shifted views of the input:
 *   - POINT (1x1, stride 1, no padding): row r is channel r of X itself;
 *   - SHIFT (at most 2-D): X is copied once, zero-padded, into s1 x s2 phase planes per channel
 *     (plane (a, b) holds padded[i * s1 + a][j * s2 + b], Hq x Wq), and output (oy, ox) is
 *     computed at column oy * Wq + ox, so row r is the phase plane of its channel and tap
 *     shifted by the tap ((kh * d1) / s1 * Wq + (kw * d2) / s2). With stride 1 there is one
 *     plane, the padded channel itself. The Wq - OW extra columns of each output row are
 *     computed into scratch and dropped when the block is copied out (with none, as for a
 *     strided 1x1, the product goes to Y directly; where OW is whole vectors, as in the stems
 *     of image models, each output row is a product of its own, straight into Y);
 *   - COL (otherwise): im2col copies the patches of a block of columns into scratch.
 * The work is cut into tasks (image, group, block of columns, block of output channels); a task
 * walks K in blocks of SG_KC rows, and sg_block adds the bias and applies the activation after
 * the last one while each tile is in registers. Blocks are chosen so that the tasks divide
 * evenly over the threads.
 */
#define TASK_MACS ((int64_t)1 << 19) /* multiply-adds below which a Conv stays on one thread */
enum { TASKS_PER_THREAD = 4 };       /* tasks per thread to aim for when there are threads */
#define TASK_MIN_MACS ((int64_t)1 << 21) /* ... each of at least this many multiply-adds */
enum { COL_BLOCK = (480 + SG_NR - 1) / SG_NR * SG_NR, /* columns per task at most */
       SHIFT_CAP = 1 << 17,                           /* floats of a SHIFT task's output */
       TAG_PACKED_W = 1 };                            /* rt_derived tag: W packed per group */
enum { POINT, SHIFT, COL };

typedef struct GemmConv {
    const Geom *g;
    const float *x, *w, *wp, *b; /* wp: W packed per group, sg_packed_a_size(mg, rows) each */
    float *y;
    const Fused *f;
    int64_t c, m, cg, mg, rows, group;
    int mode;
    int64_t ncol;             /* columns of the product: colsz, or OH * Wp for SHIFT */
    const float *xp;          /* SHIFT: the phase planes, s1 * s2 per channel, plane floats apart */
    int64_t wq, hq, plane;    /* SHIFT: a phase plane's row length, rows and stride */
    int64_t phases;           /* SHIFT: floats of one channel's planes, s1 * s2 * plane */
    const int64_t *boff;      /* POINT, SHIFT: where row r of cols starts, from a plane base */
    int64_t nb, ncb, mb, nmb; /* columns per block and blocks; channels per block and blocks */
    int64_t ntask, nchunk;
    int rowwise;    /* SHIFT with columns to drop: blocks of whole rows, each row straight to Y */
    float *scratch; /* per chunk: COL SG_KC * nb floats of im2col; SHIFT mb * nb of output */
    int64_t per_chunk;
} GemmConv;

/* SHIFT: copies rows [m0, m1) of the block [p0, p0 + nc) of columns out of t (row stride nc)
 * into the image's output yg, dropping the columns past OW of each padded row. */
static void
shift_store(const GemmConv *p, const float *t, float *yg, int64_t p0, int64_t nc, int64_t m0,
            int64_t m1)
{
    int64_t ow = p->g->col[2], colsz = p->g->colsz;
    for (int64_t q = p0; q < p0 + nc;) {
        int64_t oy = q / p->wq, ox = q % p->wq;
        int64_t run = p->wq - ox < p0 + nc - q ? p->wq - ox : p0 + nc - q;
        int64_t keep = ox >= ow ? 0 : ow - ox < run ? ow - ox : run;
        for (int64_t r = m0; keep && r < m1; r++)
            memcpy(yg + r * colsz + oy * ow + ox, t + (r - m0) * nc + (q - p0),
                   (size_t)keep * sizeof *t);
        q += run;
    }
}

static void
gemm_task(const GemmConv *p, int64_t t, float *buf)
{
    const Geom *g = p->g;
    int64_t mbi = t % p->nmb, cbi = t / p->nmb % p->ncb, ig = t / (p->nmb * p->ncb);
    int64_t grp = ig % p->group, i = ig / p->group;
    int64_t p0 = cbi * p->nb, nc = p->ncol - p0 < p->nb ? p->ncol - p0 : p->nb;
    int64_t m0 = mbi * p->mb, m1 = p->mg - m0 < p->mb ? p->mg : m0 + p->mb;
    float *xg = (float *)p->x + (i * p->c + grp * p->cg) * g->imgsz;
    float *yg = p->y + (i * p->m + grp * p->mg) * g->colsz;
    const float *bias = p->b ? p->b + grp * p->mg : NULL;
    if (p->mode == POINT && p->ncol == 1) { /* [N, C, 1, 1]: squeeze-excite, a GEMV on X */
        const float *wg = p->w + (grp * p->mg + m0) * p->rows;
        for (int64_t r = m0; r < m1; r++)
            yg[r] = 0.0f;
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)(m1 - m0), (int)p->rows, 1.0f, wg,
                    p->rows > 1 ? (int)p->rows : 1, xg, 1, 1.0f, yg + m0, 1);
        for (int64_t r = m0; r < m1; r++)
            cpu_act_apply(p->f, yg + r, 1, bias ? bias[r] : 0.0f);
        return;
    }
    const float *wp = p->wp + grp * sg_packed_a_size(p->mg, p->rows);
    const float *src = p->mode == POINT ? xg + p0
                       : p->mode == SHIFT ? p->xp + (i * p->c + grp * p->cg) * p->phases + p0
                                          : buf;
    if (p->rowwise) { /* nc is whole rows of wq columns: the first OW of each go to Y */
        for (int64_t q = p0; q < p0 + nc; q += p->wq)
            for (int64_t k0 = 0; k0 < p->rows; k0 += SG_KC) {
                int64_t kc = p->rows - k0 < SG_KC ? p->rows - k0 : SG_KC;
                sg_block(wp, p->rows, k0, kc, src + (q - p0), p->boff + k0, g->col[2],
                         yg + q / p->wq * g->col[2], g->colsz, m0, m1, k0 == 0,
                         k0 + kc >= p->rows, bias, p->f);
            }
        return;
    }
    int staged = p->mode == SHIFT && p->wq != g->col[2]; /* rows with columns to drop */
    float *dst = staged ? buf - m0 * nc : yg + p0;         /* row r of the block at r * ldc */
    int64_t ldc = staged ? nc : g->colsz;
    int64_t coff[SG_KC];
    for (int64_t k0 = 0; k0 < p->rows; k0 += SG_KC) {
        int64_t kc = p->rows - k0 < SG_KC ? p->rows - k0 : SG_KC;
        const int64_t *boff = p->boff ? p->boff + k0 : coff;
        if (p->mode == COL) {
            ColArgs a = {g, xg, buf, p0, nc, k0};
            im2col_rows(&a, k0, k0 + kc);
            for (int64_t r = 0; r < kc; r++)
                coff[r] = r * nc;
        }
        sg_block(wp, p->rows, k0, kc, src, boff, nc, dst, ldc, m0, m1, k0 == 0,
                 k0 + kc >= p->rows, bias, p->f);
    }
    if (staged)
        shift_store(p, buf, yg, p0, nc, m0, m1);
}

/* Chunks [begin, end) of the tasks, each with its own scratch. */
static void
gemm_chunks(void *arg, int64_t begin, int64_t end)
{
    const GemmConv *p = arg;
    for (int64_t ch = begin; ch < end; ch++)
        for (int64_t t = ch * p->ntask / p->nchunk; t < (ch + 1) * p->ntask / p->nchunk; t++)
            gemm_task(p, t, p->scratch + ch * p->per_chunk);
}

/* 1 when some tap of the kernel reads phase plane (a, b). */
static int
phase_used(const Geom *g, int64_t a, int64_t b)
{
    int rows = 0, cols = 0;
    for (int64_t kh = 0; kh < g->k[1]; kh++)
        rows |= kh * g->d[1] % g->s[1] == a;
    for (int64_t kw = 0; kw < g->k[2]; kw++)
        cols |= kw * g->d[2] % g->s[2] == b;
    return rows && cols;
}

/* SHIFT, stride 2 across: rows i of phase planes (a, 0) at d0 and (a, 1) at d1 from image row
 * `row`, d_b[j] = row[2j + b - pb2] wherever that lies in the row (the rest stays zero): the
 * columns both phases hold in one deinterleaving pass, the one or two at either end apart. */
static void
pad_row2(const GemmConv *p, float *d0, float *d1, const float *row)
{
    const Geom *g = p->g;
    int64_t pb = g->pb[2], W = g->img[2], lo[2], hi[2];
    valid_range(-pb, 2, W, p->wq, &lo[0], &hi[0]);
    valid_range(1 - pb, 2, W, p->wq, &lo[1], &hi[1]);
    int64_t ja = lo[0] > lo[1] ? lo[0] : lo[1], jb = hi[0] < hi[1] ? hi[0] : hi[1];
    jb = jb < ja ? ja : jb;
    if (jb > ja)
        deinterleave2(d0 + ja, d1 + ja, row + 2 * ja - pb, jb - ja);
    for (int b = 0; b < 2; b++) {
        float *d = b ? d1 : d0;
        for (int64_t j = lo[b]; j < hi[b] && j < ja; j++)
            d[j] = row[2 * j + b - pb];
        for (int64_t j = lo[b] > jb ? lo[b] : jb; j < hi[b]; j++)
            d[j] = row[2 * j + b - pb];
    }
}

/* SHIFT: channels [begin, end) of X (all images) into their zero-padded phase planes. */
static void
pad_planes(void *arg, int64_t begin, int64_t end)
{
    const GemmConv *p = arg;
    const Geom *g = p->g;
    int64_t s1 = g->s[1], s2 = g->s[2], H = g->img[1], W = g->img[2];
    for (int64_t ch = begin; ch < end; ch++) {
        float *d = (float *)p->xp + ch * p->phases;
        const float *x = p->x + ch * g->imgsz;
        for (int64_t a = 0; a < s1; a++) {
            /* both column phases of stride 2 in one pass over each image row */
            int pair = s2 == 2 && phase_used(g, a, 0) && phase_used(g, a, 1);
            for (int64_t b = 0; b < s2; b++) {
                float *pl = d + (a * s2 + b) * p->plane;
                if (!phase_used(g, a, b) || (pair && b == 1))
                    continue; /* no tap reads it (a 1x1 kernel reads only phase 0), or filled
                               * with phase 0 */
                memset(pl, 0, (size_t)(pair ? 2 : 1) * (size_t)p->plane * sizeof *pl);
                /* columns j with 0 <= j * s2 + b - pb2 < W */
                int64_t off = b - g->pb[2], j0, j1;
                valid_range(off, s2, W, p->wq, &j0, &j1);
                for (int64_t i = 0; i < p->hq; i++) {
                    int64_t h = i * s1 + a - g->pb[1];
                    if (h < 0 || h >= H || (j1 <= j0 && !pair))
                        continue;
                    const float *row = x + h * W;
                    float *dst = pl + i * p->wq;
                    if (pair)
                        pad_row2(p, dst, dst + p->plane, row);
                    else if (s2 == 1)
                        memcpy(dst + j0, row + j0 + off, (size_t)(j1 - j0) * sizeof *dst);
                    else
                        for (int64_t j = j0; j < j1; j++)
                            dst[j] = row[j * s2 + off];
                }
            }
        }
    }
}

/* W packed per group for sg_block: kept with the plan's constants, else packed for this call. */
static const float *
packed_weights(RtCtx *ctx, const RtTensor *w, int64_t group, int64_t mg, int64_t rows)
{
    int64_t per = sg_packed_a_size(mg, rows);
    size_t bytes = (size_t)(group * per) * sizeof(float);
    int fresh;
    float *wp = rt_derived(ctx, w->data, TAG_PACKED_W, bytes, &fresh);
    if (wp && !fresh)
        return wp;
    if (!wp && !(wp = rt_scratch(ctx, 1, bytes)))
        return NULL;
    for (int64_t grp = 0; grp < group; grp++)
        sg_pack_a(wp + grp * per, (const float *)w->data + grp * mg * rows, rows, mg, rows);
    return wp;
}

/* Applies the fused activation to the nm channels [begin, end) of sz floats (ConvTranspose). */
typedef struct ActArgs {
    const Fused *f;
    float *y;
    int64_t sz;
} ActArgs;

static void
act_channels(void *arg, int64_t begin, int64_t end)
{
    const ActArgs *a = arg;
    cpu_act_apply(a->f, a->y + begin * a->sz, (end - begin) * a->sz, 0.0f);
}

/* ---- the kernels ----------------------------------------------------------------------------- */

int
cpu_conv(RtCtx *ctx, const Attr *attr, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const RtTensor *x = in[0], *w = in[1], *b = nin > 2 ? in[2] : NULL;
    RtTensor *y = out[0];
    int st = rt_require_f32(ctx, "Conv", in, nin, out, 1);
    (void)nout;
    if (st != RT_OK)
        return st;
    if (x->rank < 3 || x->rank > 2 + NS)
        return rt_fail(ctx, RT_EUNSUPPORTED, "Conv: rank %d, expected 3 to 5", x->rank);
    if (rt_numel(y) == 0)
        return RT_OK;
    Geom g;
    geom_init(&g, &attr->conv, x->rank - 2, x->dim, w->dim, y->dim, 0);
    int64_t n = x->dim[0], c = x->dim[1], m = w->dim[0], group = attr->conv.group;
    int64_t cg = c / group, mg = m / group, rows = cg * g.ksz;

    if (cg == 1 && group > 1)
        return conv_depthwise(ctx, &g, x, w, b, y, mg, &attr->conv.fuse);
    int pointwise = 1;
    for (int j = 0; j < NS; j++) {
        pointwise &= g.k[j] == 1 && g.s[j] == 1 && g.pb[j] == 0 && g.img[j] == g.col[j];
    }
    GemmConv p = {.g = &g,
                  .x = x->data,
                  .w = w->data,
                  .b = b ? b->data : NULL,
                  .y = y->data,
                  .f = &attr->conv.fuse,
                  .c = c,
                  .m = m,
                  .cg = cg,
                  .mg = mg,
                  .rows = rows,
                  .group = group,
                  .mode = pointwise ? POINT : COL,
                  .ncol = g.colsz};
    /* SHIFT pays where the dropped columns are few: at most 2-D, rows not too short */
    int64_t wq = g.col[2] + (g.k[2] - 1) * g.d[2] / g.s[2];
    int64_t hq = g.col[1] + (g.k[1] - 1) * g.d[1] / g.s[1];
    if (!pointwise && g.k[0] == 1 && g.img[0] == 1 && g.col[0] == 1 && g.colsz > 1 &&
        g.s[1] <= 4 && g.s[2] <= 4 && 2 * wq <= 3 * g.col[2]) {
        p.mode = SHIFT;
        p.wq = wq;
        p.hq = hq;
        p.plane = (hq + 1) * wq; /* a row of slack: the last taps read a little past hq rows */
        p.phases = g.s[1] * g.s[2] * p.plane;
        p.ncol = g.col[1] * wq;
    }
    int gemv = p.mode == POINT && p.ncol == 1;
    if (!gemv && !(p.wp = packed_weights(ctx, w, group, mg, rows)))
        return rt_fail(ctx, RT_ENOMEM, "Conv: %lld bytes of packed weights",
                       (long long)(group * sg_packed_a_size(mg, rows) * 4));
    if (p.mode != COL && !gemv) {
        int64_t *off = rt_scratch(ctx, 2, (size_t)rows * sizeof *off);
        if (!off)
            return rt_fail(ctx, RT_ENOMEM, "Conv: %lld bytes of offsets", (long long)rows * 8);
        for (int64_t r = 0; r < rows; r++) {
            int64_t kk = r % g.ksz, dh = kk / g.k[2] * g.d[1], dw = kk % g.k[2] * g.d[2];
            int64_t phase = dh % g.s[1] * g.s[2] + dw % g.s[2];
            off[r] = p.mode == POINT ? r * g.colsz
                                     : r / g.ksz * p.phases + phase * p.plane +
                                           dh / g.s[1] * wq + dw / g.s[2];
        }
        p.boff = off;
    }
    if (p.mode == SHIFT) {
        float *xp = rt_scratch(ctx, 3, (size_t)(n * c * p.phases) * sizeof *xp);
        if (!xp)
            return rt_fail(ctx, RT_ENOMEM, "Conv: %lld bytes of padded input",
                           (long long)(n * c * p.phases * 4));
        p.xp = xp;
        rt_parallel_for(ctx, n * c, grain_for(p.phases), pad_planes, &p);
    }
    int64_t t = rt_ctx_threads(ctx), nmb = 1;
    /* output rows of whole vectors, a tile or more, go straight to Y, each a product of its own
     * (the stems of image models); others are computed with their dropped columns into scratch
     * and copied out (staged), since a product per row would end each in a scalar tail */
    p.rowwise = p.mode == SHIFT && p.wq != g.col[2] && g.col[2] >= SG_NR &&
                g.col[2] % SG_VL == 0;
    int staged = p.mode == SHIFT && p.wq != g.col[2] && !p.rowwise;
    int64_t cap = staged ? SHIFT_CAP / (mg > 0 ? mg : 1) : COL_BLOCK;
    cap = cap < SG_NR ? SG_NR : cap > COL_BLOCK ? COL_BLOCK : cap / SG_NR * SG_NR;
    int64_t ncb = (p.ncol + cap - 1) / cap;
    if (n * m * g.colsz * rows < TASK_MACS)
        t = 1;
    if (t > 1 && n * group * ncb < TASKS_PER_THREAD * t) {
        /* enough tasks that threads which run at different speeds still finish together:
         * more blocks of columns while they keep a few tiles each, else blocks of channels */
        int64_t tasks = n * m * g.colsz * rows / TASK_MIN_MACS; /* at most, for the work */
        tasks = tasks < TASKS_PER_THREAD * t ? (tasks > t ? tasks : t) : TASKS_PER_THREAD * t;
        int64_t want = (tasks + n * group - 1) / (n * group);
        int64_t most = p.ncol / (2 * SG_NR);
        ncb = want < most ? want : most > ncb ? most : ncb;
        if (ncb * n * group < tasks) {
            int64_t per = (want + ncb - 1) / ncb, rows_most = mg / (2 * SG_MR);
            nmb = per < rows_most ? per : rows_most > 1 ? rows_most : 1;
        }
    }
    p.nb = (p.ncol + ncb - 1) / ncb;
    if (p.nb > SG_NR)
        p.nb = (p.nb + SG_NR - 1) / SG_NR * SG_NR;
    if (p.rowwise)
        p.nb = (p.nb + p.wq - 1) / p.wq * p.wq;
    p.ncb = (p.ncol + p.nb - 1) / p.nb;
    p.mb = ((mg + nmb - 1) / nmb + SG_MR - 1) / SG_MR * SG_MR;
    p.nmb = (mg + p.mb - 1) / p.mb;
    p.ntask = n * group * p.ncb * p.nmb;
    p.nchunk = t == 1 ? 1 : p.ntask;
    p.per_chunk = p.mode == COL ? SG_KC * p.nb : staged ? p.mb * p.nb : 0;
    p.scratch = rt_scratch(ctx, 0, (size_t)(p.nchunk * p.per_chunk + 1) * sizeof(float));
    if (!p.scratch)
        return rt_fail(ctx, RT_ENOMEM, "Conv: %lld bytes of scratch",
                       (long long)(p.nchunk * p.per_chunk * 4));
    rt_parallel_for(ctx, p.nchunk, 1, gemm_chunks, &p);
    return RT_OK;
}

int
cpu_convtranspose(RtCtx *ctx, const Attr *attr, RtTensor *const *in, int nin, RtTensor *const *out,
                  int nout)
{
    const RtTensor *x = in[0], *w = in[1], *b = nin > 2 ? in[2] : NULL;
    RtTensor *y = out[0];
    int st = rt_require_f32(ctx, "ConvTranspose", in, nin, out, 1);
    (void)nout;
    if (st != RT_OK)
        return st;
    if (x->rank < 3 || x->rank > 2 + NS)
        return rt_fail(ctx, RT_EUNSUPPORTED, "ConvTranspose: rank %d, expected 3 to 5", x->rank);
    if (rt_numel(y) == 0)
        return RT_OK;
    Geom g;
    geom_init(&g, &attr->conv, x->rank - 2, x->dim, w->dim, y->dim, 1);
    int64_t n = x->dim[0], c = x->dim[1], group = attr->conv.group;
    int64_t cg = c / group, mg = w->dim[1], m = mg * group, rows = mg * g.ksz;
    fill_bias(y->data, b, n, m, g.imgsz);
    ActArgs act = {&attr->conv.fuse, y->data, g.imgsz};
    if (g.colsz == 0 || cg == 0) {
        if (cpu_act_any(act.f))
            rt_parallel_for(ctx, n * m, grain_for(g.imgsz), act_channels, &act);
        return RT_OK;
    }

    int64_t block = col_block(rows, g.colsz);
    float *buf = rt_scratch(ctx, 0, (size_t)(rows * block) * sizeof(float));
    if (!buf)
        return rt_fail(ctx, RT_ENOMEM, "ConvTranspose: %lld bytes of col2im scratch",
                       (long long)(rows * block * 4));
    for (int64_t i = 0; i < n; i++) {
        for (int64_t grp = 0; grp < group; grp++) {
            const float *xg = (const float *)x->data + (i * c + grp * cg) * g.colsz;
            const float *wg = (const float *)w->data + grp * cg * rows;
            float *yg = (float *)y->data + (i * m + grp * mg) * g.imgsz;
            for (int64_t q0 = 0; q0 < g.colsz; q0 += block) {
                int64_t nc = g.colsz - q0 < block ? g.colsz - q0 : block;
                /* col [rows, nc] = W_g^T [rows, cg] x X_g [cg, nc] */
                cpu_sgemm_par(ctx, 1, 0, rows, nc, cg, 1.0f, wg, rows, xg + q0, g.colsz, 0.0f, buf,
                              nc, NULL, NULL);
                ColArgs a = {&g, yg, buf, q0, nc, 0};
                rt_parallel_for(ctx, mg, grain_for(nc * g.ksz), col2im_channels, &a);
            }
        }
    }
    if (cpu_act_any(act.f))
        rt_parallel_for(ctx, n * m, grain_for(g.imgsz), act_channels, &act);
    return RT_OK;
}
