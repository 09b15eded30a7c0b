/*
 * gemm.c: Gemm and MatMul on f32, through OpenBLAS's cblas_sgemm.
 *
 * Gemm writes beta * C, unidirectionally broadcast to [M, N], into Y and lets sgemm add
 * alpha * A'B' on top. MatMul follows numpy: a 1-D A gets a 1 prepended and a 1-D B a 1
 * appended, which the output shape drops again, and the batch dims broadcast. When B has no
 * batch, A's batch folds into its rows and one GEMM does the whole product. Otherwise there is
 * one GEMM per output matrix, located by broadcast strides; when the batch divides evenly among
 * the context's threads (attention heads), the matrices are spread over them, which beats
 * splitting each small product; otherwise each product is split (cpu_sgemm_par). OpenBLAS itself
 * always runs single-threaded (rt_ctx_new).
 */
#include "act_impl.h"
#include "shape.h"

#include <cblas.h>
#include <string.h>

/* A leading dimension for BLAS, which wants at least 1 even for empty matrices. */
static int
ld(int64_t n)
{
    return n > 1 ? (int)n : 1;
}

/*
 * C [m, n] = alpha * op(A) op(B) + beta * C in row-major order with leading dimension ldc. A
 * single row or column goes to sgemv, which OpenBLAS 0.3.21 does not do by itself and which is
 * the whole of a classifier head or a matrix-vector MatMul.
 */
static void
sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
      const float *b, int64_t ldb, float beta, float *c, int64_t ldc)
{
    if ((m == 1 || n == 1) && beta == 0.0f) {
        for (int64_t i = 0; i < m; i++) /* sgemv may scale garbage by 0 */
            memset(c + i * ldc, 0, (size_t)n * sizeof *c);
        beta = 1.0f;
    }
    if (m == 1) { /* c = op(B)^T a: op(B) is [k, n] */
        cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, (int)(tb ? n : k),
                    (int)(tb ? k : n), alpha, b, ld(ldb), a, ta ? (int)ld(lda) : 1, beta, c, 1);
    } else if (n == 1) { /* c = op(A) b: op(A) is [m, k] */
        cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, (int)(ta ? k : m),
                    (int)(ta ? m : k), alpha, a, ld(lda), b, tb ? 1 : (int)ld(ldb), beta, c,
                    (int)ld(ldc));
    } else {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (int)m, (int)n, (int)k, alpha, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
    }
}

/* ---- the parallel GEMM (act_impl.h) ----------------------------------------------------------- */

enum { PAR_MACS = 1 << 19 };    /* multiply-adds below which a product stays on one thread */

typedef struct ParArgs {
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
    const float *a, *b, *bias;
    float *c;
    const Fused *f;
    int64_t mb, nb, nblk;       /* block of rows and of columns; column blocks */
} ParArgs;

/* Blocks [begin, end): block q covers rows (q / nblk) * mb and columns (q % nblk) * nb. */
static void
par_blocks(void *arg, int64_t begin, int64_t end)
{
    const ParArgs *p = arg;
    for (int64_t q = begin; q < end; q++) {
        int64_t i0 = q / p->nblk * p->mb, j0 = q % p->nblk * p->nb;
        int64_t mi = p->m - i0 < p->mb ? p->m - i0 : p->mb, nj = p->n - j0 < p->nb ? p->n - j0 : p->nb;
        const float *a = p->a + (p->ta ? i0 : i0 * p->lda);
        const float *b = p->b + (p->tb ? j0 * p->ldb : j0);
        float *c = p->c + i0 * p->ldc + j0;
        sgemm(p->ta, p->tb, mi, nj, p->k, p->alpha, a, p->lda, b, p->ldb, p->beta, c, p->ldc);
        if (p->bias || cpu_act_any(p->f))
            for (int64_t i = 0; i < mi; i++)
                cpu_act_apply(p->f, c + i * p->ldc, nj, p->bias ? p->bias[i0 + i] : 0.0f);
    }
}

void
cpu_sgemm_par(RtCtx *ctx, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc, const float *bias, const Fused *f)
{
    ParArgs p = {ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, bias, c, f, m, n, 1};
    int t = rt_ctx_threads(ctx);
    if (m * n == 0)
        return;
    if (t > 1 && m * n * k >= PAR_MACS) {
        /* split the longer side into 2t blocks (rows by 8, columns by 16), or t if it is short */
        int64_t parts = 2 * (int64_t)t;
        if (n >= m) {
            if (n < 64 * parts)
                parts = t;
            p.nb = ((n + parts - 1) / parts + 15) & ~(int64_t)15;
            p.nblk = (n + p.nb - 1) / p.nb;
        } else {
            if (m < 32 * parts)
                parts = t;
            p.mb = ((m + parts - 1) / parts + 7) & ~(int64_t)7;
        }
    }
    int64_t nblocks = (m + p.mb - 1) / p.mb * p.nblk;
    rt_parallel_for(ctx, nblocks, 1, par_blocks, &p);
}

int
cpu_gemm(RtCtx *ctx, const Attr *attr, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    const GemmAttr *a = &attr->gemm;
    const RtTensor *ta = in[0], *tb = in[1], *tc = nin > 2 ? in[2] : NULL;
    RtTensor *ty = out[0];
    int st = rt_require_f32(ctx, "Gemm", in, nin, out, 1);
    (void)nout;
    if (st != RT_OK)
        return st;
    int64_t m = ty->dim[0], n = ty->dim[1], k = a->trans_a ? ta->dim[0] : ta->dim[1];
    float *y = ty->data;
    if (m * n == 0)
        return RT_OK;

    float beta = 0.0f;
    if (tc && a->beta != 0.0f) {
        /* C is scalar, [N], [1, N], [M, 1] or [M, N]: a stride of 0 where its dim is 1 */
        const float *c = tc->data;
        int64_t cm = tc->rank == 2 ? tc->dim[0] : 1, cn = tc->rank >= 1 ? tc->dim[tc->rank - 1] : 1;
        int64_t si = cm == 1 ? 0 : cn, sj = cn == 1 ? 0 : 1;
        for (int64_t i = 0; i < m; i++) {
            float *restrict yr = y + i * n;
            const float *restrict cr = c + i * si;
            if (sj) {
                for (int64_t j = 0; j < n; j++)
                    yr[j] = a->beta * cr[j];
            } else {
                for (int64_t j = 0; j < n; j++)
                    yr[j] = a->beta * cr[0];
            }
        }
        beta = 1.0f;
    }
    if (k == 0) {
        if (beta == 0.0f)
            memset(y, 0, (size_t)(m * n) * sizeof *y);
        cpu_act_apply(&a->fuse, y, m * n, 0.0f);
        return RT_OK;
    }
    cpu_sgemm_par(ctx, a->trans_a, a->trans_b, m, n, k, a->alpha, ta->data, a->trans_a ? m : k,
                  tb->data, a->trans_b ? k : n, beta, y, n, NULL, &a->fuse);
    return RT_OK;
}

/* ---- MatMul ---------------------------------------------------------------------------------- */

typedef struct MmArgs {
    const float *a, *b;
    float *y;
    int64_t m, n, k;
    int nb;                 /* batch dims of Y */
    const int64_t *bdim;    /* Y's batch dims */
    int64_t sa[RT_MAXRANK]; /* A's stride per batch dim of Y, in floats; 0: broadcast */
    int64_t sb[RT_MAXRANK]; /* B's likewise */
} MmArgs;

/* The output matrices [begin, end), one GEMM each. */
static void
mm_batches(void *arg, int64_t begin, int64_t end)
{
    const MmArgs *p = arg;
    for (int64_t idx = begin; idx < end; idx++) {
        int64_t oa = 0, ob = 0, r = idx;
        for (int i = p->nb - 1; i >= 0; i--) {
            int64_t q = r % p->bdim[i];
            r /= p->bdim[i];
            oa += q * p->sa[i];
            ob += q * p->sb[i];
        }
        sgemm(0, 0, p->m, p->n, p->k, 1.0f, p->a + oa, p->k, p->b + ob, p->n, 0.0f,
              p->y + idx * p->m * p->n, p->n);
    }
}

int
cpu_matmul(RtCtx *ctx, const Attr *attr, RtTensor *const *in, int nin, RtTensor *const *out,
           int nout)
{
    const RtTensor *ta = in[0], *tb = in[1];
    RtTensor *ty = out[0];
    int st = rt_require_f32(ctx, "MatMul", in, nin, out, 1);
    (void)attr;
    (void)nout;
    if (st != RT_OK)
        return st;
    if (rt_numel(ty) == 0)
        return RT_OK;
    MmArgs p = {.a = ta->data, .b = tb->data, .y = ty->data};
    p.k = ta->dim[ta->rank - 1];
    p.m = ta->rank >= 2 ? ta->dim[ta->rank - 2] : 1;
    p.n = tb->rank >= 2 ? tb->dim[tb->rank - 1] : 1;
    p.nb = ty->rank - (ta->rank >= 2) - (tb->rank >= 2);
    p.bdim = ty->dim;
    int64_t batch = 1, bbatch = 1;
    for (int i = 0; i < p.nb; i++)
        batch *= ty->dim[i];
    for (int i = 0; i + 2 < tb->rank; i++)
        bbatch *= tb->dim[i];
    if (p.k == 0) {
        memset(p.y, 0, (size_t)rt_numel(ty) * sizeof *p.y);
        return RT_OK;
    }
    rt_shape_batch_strides(&ta->shape, p.nb, p.m * p.k, p.sa);
    rt_shape_batch_strides(&tb->shape, p.nb, p.k * p.n, p.sb);
    int threads = rt_ctx_threads(ctx);
    if (bbatch == 1) {
        /* B is one matrix, so Y's batch is A's: [batch * M, K] x [K, N] */
        p.m *= batch;
        p.nb = 0;
        batch = 1;
    }
    if (threads > 1 && (batch % threads == 0 || batch >= 4 * threads)) {
        rt_parallel_for(ctx, batch, 1, mm_batches, &p);
    } else if (batch == 1) {
        cpu_sgemm_par(ctx, 0, 0, p.m, p.n, p.k, 1.0f, p.a, p.k, p.b, p.n, 0.0f, p.y, p.n, NULL,
                      NULL);
    } else {
        mm_batches(&p, 0, batch);
    }
    return RT_OK;
}
