/*
 * fit.c: non-negative least squares and the fit of a Rate to measured step times (hetc profile).
 *
 * The unknowns are few (at most FIT_MAXK), so the constrained problem is solved exactly by brute
 * force: the unconstrained least-squares solution of every subset of the columns (normal
 * equations on columns scaled to unit norm, Gaussian elimination with partial pivoting), keeping
 * the subset of least residual whose solution is non-negative. The optimum of NNLS is the
 * unconstrained optimum on its active set, so it is among them. 2^6 subsets of at most 6 x 6.
 */
#include "passes/fit.h"

#include <math.h>
#include <string.h>

/* Solves the k x k system m y = v in place (m is destroyed): 0, or -1 when it is singular. */
static int
solve(double *m, double *v, int k)
{
    double big = 0;
    for (int i = 0; i < k; i++)
        big = fmax(big, fabs(m[i * k + i]));
    for (int c = 0; c < k; c++) {
        int piv = c;
        for (int r = c + 1; r < k; r++)
            if (fabs(m[r * k + c]) > fabs(m[piv * k + c]))
                piv = r;
        if (!(fabs(m[piv * k + c]) > 1e-11 * big))
            return -1;
        if (piv != c) {
            for (int j = 0; j < k; j++) {
                double t = m[c * k + j];
                m[c * k + j] = m[piv * k + j];
                m[piv * k + j] = t;
            }
            double t = v[c];
            v[c] = v[piv];
            v[piv] = t;
        }
        for (int r = c + 1; r < k; r++) {
            double f = m[r * k + c] / m[c * k + c];
            for (int j = c; j < k; j++)
                m[r * k + j] -= f * m[c * k + j];
            v[r] -= f * v[c];
        }
    }
    for (int c = k - 1; c >= 0; c--) {
        double s = v[c];
        for (int j = c + 1; j < k; j++)
            s -= m[c * k + j] * v[j];
        v[c] = s / m[c * k + c];
    }
    return 0;
}

/* |A x - b|^2 with x over the columns of mask */
static double
residual(const double *a, const double *b, int nrow, int ncol, const double *x)
{
    double rss = 0;
    for (int i = 0; i < nrow; i++) {
        double e = -b[i];
        for (int j = 0; j < ncol; j++)
            e += a[i * ncol + j] * x[j];
        rss += e * e;
    }
    return rss;
}

double
fit_nnls(const double *a, const double *b, int nrow, int ncol, double *x,
         int (*allowed)(unsigned mask))
{
    IR_ASSERT(ncol > 0 && ncol <= FIT_MAXK);
    if (nrow <= 0)
        return -1;
    double norm[FIT_MAXK];
    for (int j = 0; j < ncol; j++) {
        double s = 0;
        for (int i = 0; i < nrow; i++)
            s += a[i * ncol + j] * a[i * ncol + j];
        norm[j] = sqrt(s);
    }
    double best = residual(a, b, nrow, ncol, (double[FIT_MAXK]){0});
    memset(x, 0, (size_t)ncol * sizeof *x);
    for (unsigned mask = 1; mask < 1u << ncol; mask++) {
        int col[FIT_MAXK], k = 0, ok = 1;
        for (int j = 0; j < ncol; j++)
            if (mask >> j & 1) {
                ok &= norm[j] > 0 && isfinite(norm[j]);
                col[k++] = j;
            }
        if (!ok || (allowed && !allowed(mask)))
            continue;
        /* normal equations of the scaled columns */
        double m[FIT_MAXK * FIT_MAXK], v[FIT_MAXK];
        for (int p = 0; p < k; p++) {
            v[p] = 0;
            for (int i = 0; i < nrow; i++)
                v[p] += a[i * ncol + col[p]] / norm[col[p]] * b[i];
            for (int q = 0; q < k; q++) {
                double s = 0;
                for (int i = 0; i < nrow; i++)
                    s += a[i * ncol + col[p]] * a[i * ncol + col[q]];
                m[p * k + q] = s / (norm[col[p]] * norm[col[q]]);
            }
        }
        if (solve(m, v, k) < 0)
            continue;
        double y[FIT_MAXK] = {0};
        for (int p = 0; p < k; p++) {
            ok &= v[p] >= 0 && isfinite(v[p]);
            y[col[p]] = v[p] / norm[col[p]];
        }
        if (!ok)
            continue;
        double rss = residual(a, b, nrow, ncol, y);
        if (rss < best) {
            best = rss;
            memcpy(x, y, (size_t)ncol * sizeof *x);
        }
    }
    return best;
}

/* The GEMM-shape terms scale the compute term: none without it */
static int
shape_needs_compute(unsigned mask)
{
    return (mask & 0x1c) == 0 || (mask & 0x2);
}

int
fit_rate(const FitSample *s, int n, int gemm, Rate *r)
{
    enum { MAXROW = 4096 };
    static double a[MAXROW * FIT_MAXK], b[MAXROW];
    int nrow = 0;
    for (int i = 0; i < n && nrow < MAXROW; i++) {
        if (!(s[i].us > 0))
            continue;
        double f[FIT_MAXK] = {1, s[i].flops, 0, 0, 0, s[i].bytes};
        if (gemm && s[i].m > 0 && s[i].n > 0 && s[i].k > 0) {
            f[2] = s[i].flops / s[i].m;
            f[3] = s[i].flops / s[i].n;
            f[4] = s[i].flops / s[i].k;
        }
        for (int j = 0; j < FIT_MAXK; j++)
            a[nrow * FIT_MAXK + j] = f[j] / s[i].us;
        b[nrow++] = 1;
    }
    if (nrow == 0)
        return -1;
    double c[FIT_MAXK];
    fit_nnls(a, b, nrow, FIT_MAXK, c, shape_needs_compute);
    r->launch_us = c[0];
    r->gflops = c[1] > 0 ? 1 / (c[1] * 1e3) : 0;
    r->m_half = c[1] > 0 ? c[2] / c[1] : 0;
    r->n_half = c[1] > 0 ? c[3] / c[1] : 0;
    r->k_half = c[1] > 0 ? c[4] / c[1] : 0;
    r->gbps = c[5] > 0 ? 1 / (c[5] * 1e3) : 0;
    if (r->gflops == 0 && r->gbps == 0) {
        /* only the launch term: a memory term from the largest step, whatever it adds */
        const FitSample *big = NULL;
        for (int i = 0; i < n; i++)
            if (s[i].us > 0 && (!big || s[i].bytes > big->bytes))
                big = &s[i];
        double us = fmax(big->us - r->launch_us, 0.01 * big->us);
        r->gbps = big->bytes > 0 ? big->bytes / (us * 1e3) : 1e6;
    }
    return 0;
}

double
fit_predict(const Rate *r, const FitSample *s)
{
    double us = r->launch_us;
    if (r->gflops > 0) {
        double f = 1;
        if (s->m > 0 && s->n > 0 && s->k > 0)
            f += r->m_half / s->m + r->n_half / s->n + r->k_half / s->k;
        us += s->flops / (r->gflops * 1e3) * f;
    }
    if (r->gbps > 0)
        us += s->bytes / (r->gbps * 1e3);
    return us;
}
