/*
 * test_fit.c: passes/fit.c: NNLS finds an exact non-negative solution, clamps a coefficient the
 * unconstrained solution makes negative, and fit_rate recovers a Rate from synthetic step times
 * made by its own formula, exactly and under noise.
 */
#include "passes/fit.h"

#include "../test.h"

#include <math.h>
#include <stdlib.h>

static int
near(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fabs(b) + 1e-12;
}

/* x = (1, 2, 3) exactly from an overdetermined system */
static void
test_nnls_exact(void)
{
    double a[8 * 3], b[8], x[3];
    for (int i = 0; i < 8; i++) {
        a[i * 3] = 1;
        a[i * 3 + 1] = i;
        a[i * 3 + 2] = (double)(i * i) / 7;
        b[i] = 1 + 2.0 * i + 3.0 * i * i / 7;
    }
    double rss = fit_nnls(a, b, 8, 3, x, NULL);
    CHECK(rss >= 0 && rss < 1e-18);
    CHECK(near(x[0], 1, 1e-9) && near(x[1], 2, 1e-9) && near(x[2], 3, 1e-9));
    CHECK(fit_nnls(a, b, 0, 3, x, NULL) < 0);
}

/* b = 1 - 2 t fits best unconstrained with a negative slope: NNLS keeps the slope at 0 and the
 * intercept at the mean */
static void
test_nnls_clamped(void)
{
    double a[5 * 2], b[5], x[2];
    for (int i = 0; i < 5; i++) {
        a[i * 2] = 1;
        a[i * 2 + 1] = i;
        b[i] = 10 - 2.0 * i;
    }
    fit_nnls(a, b, 5, 2, x, NULL);
    CHECK(x[1] == 0);
    CHECK(near(x[0], 6, 1e-9));
    /* a zero column stays 0 */
    for (int i = 0; i < 5; i++)
        a[i * 2 + 1] = 0;
    fit_nnls(a, b, 5, 2, x, NULL);
    CHECK(x[1] == 0 && near(x[0], 6, 1e-9));
}

/* GEMM-shaped samples from a known rate (bytes made independent of the GEMM-shape terms,
 * which a GEMM's own operands' bytes are a combination of) */
static int
samples(FitSample *s, const Rate *r, double noise)
{
    int n = 0;
    srand(7);
    for (int m = 8; m <= 512; m *= 2)
        for (int nn = 49; nn <= 12544; nn *= 4)
            for (int k = 27; k <= 4608; k *= 3) {
                double bytes = 4.0 * (m * nn + nn * k + m * k) + 1e5 * (n % 7);
                FitSample x = {0, 2.0 * m * nn * k, bytes, m, nn, k};
                x.us = fit_predict(r, &x);
                x.us *= 1 + noise * (2.0 * rand() / RAND_MAX - 1);
                s[n++] = x;
            }
    return n;
}

static void
test_rate_exact(void)
{
    static FitSample s[1024];
    Rate want = {CC_CONV, -1, 1, 40, 12, 3, 16, 8, 32, 0};
    int n = samples(s, &want, 0);
    Rate r = {CC_CONV, -1, 1, 0, 0, 0, 0, 0, 0, 0};
    CHECK(fit_rate(s, n, 1, &r) == 0);
    CHECK(near(r.gflops, 40, 1e-6) && near(r.gbps, 12, 1e-6) && near(r.launch_us, 3, 1e-6));
    CHECK(near(r.m_half, 16, 1e-6) && near(r.n_half, 8, 1e-6) && near(r.k_half, 32, 1e-6));
    CHECK(r.cls == CC_CONV && r.threads == 1);
    /* nothing to fit */
    s[0].us = 0;
    CHECK(fit_rate(s, 1, 1, &r) < 0);
}

/* 5% noise: the figures within 15%, the predictions' median error small */
static void
test_rate_noise(void)
{
    static FitSample s[1024];
    Rate want = {CC_GEMM, -1, 0, 40, 12, 3, 16, 8, 32, 0};
    int n = samples(s, &want, 0.05);
    Rate r = {CC_GEMM, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(fit_rate(s, n, 1, &r) == 0);
    CHECK(near(r.gflops, 40, 0.15));
    CHECK(r.gflops > 0 && r.gbps > 0 && r.launch_us >= 0);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double e = fabs(fit_predict(&r, &s[i]) - fit_predict(&want, &s[i])) /
                   fit_predict(&want, &s[i]);
        worst = fmax(worst, e);
    }
    CHECK(worst < 0.1);
}

/* a bandwidth-bound class: no compute term; and a launch-only one still gets a memory term */
static void
test_rate_memory(void)
{
    FitSample s[16];
    Rate want = {CC_MOVE, -1, 0, 0, 25, 2, 0, 0, 0, 0};
    for (int i = 0; i < 16; i++) {
        s[i] = (FitSample){0, 0, 1e3 * (1 << i), 0, 0, 0};
        s[i].us = fit_predict(&want, &s[i]);
    }
    Rate r = {CC_MOVE, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(fit_rate(s, 16, 0, &r) == 0);
    CHECK(r.gflops == 0 && near(r.gbps, 25, 1e-6) && near(r.launch_us, 2, 1e-6));
    for (int i = 0; i < 16; i++)
        s[i].us = 5;
    CHECK(fit_rate(s, 16, 0, &r) == 0);
    CHECK(r.gbps > 0 && near(r.launch_us, 5, 1e-6));
}

int
main(void)
{
    test_nnls_exact();
    test_nnls_clamped();
    test_rate_exact();
    test_rate_noise();
    test_rate_memory();
    return TEST_DONE();
}
