/*
 * fit.h: fitting a Rate (passes/target.h) to measured step times, for hetc profile. The model of
 * a step's time is linear in its features [1, flops, flops/M, flops/N, flops/K, bytes] (the GEMM
 * terms only for GEMM-shaped work), with non-negative coefficients; the fit minimises the
 * squared relative error (each row divided by its measured time), so that short and long steps
 * weigh alike.
 */
#pragma once

#include "passes/target.h"

enum { FIT_MAXK = 6 };          /* unknowns of one fit */

/* One measured step: its time and its work (passes/cost.h's Work, the figures alone). */
typedef struct FitSample {
    double us;                  /* measured, > 0 */
    double flops, bytes;
    double m, n, k;             /* GEMM shape, 0 when not GEMM-shaped */
} FitSample;

/* Non-negative least squares min |A x - b|^2, x >= 0, for A of nrow x ncol (row-major, ncol <=
 * FIT_MAXK) exactly: every subset of the columns is solved unconstrained and the best one whose
 * solution is non-negative kept. allowed(mask) (may be NULL) may refuse a subset. Columns that are
 * zero or dependent leave their unknowns 0. Returns the residual sum of squares, or -1 when no
 * subset fits (nrow 0). */
double fit_nnls(const double *a, const double *b, int nrow, int ncol, double *x,
                int (*allowed)(unsigned mask));

/* Fits r's launch_us, gflops, m_half, n_half, k_half and gbps (its cls, op and threads are kept)
 * to n samples (the first 4096 with a time; not reentrant: static scratch); gemm: use the
 * GEMM-shape terms. 0, or -1 when there is nothing to fit (no sample
 * with a time above 0). A rate that would have neither gflops nor gbps gets the memory term of
 * the largest step. */
int fit_rate(const FitSample *s, int n, int gemm, Rate *r);

/* The time r predicts for sample s by the formula of target.h (without a processor's launch). */
double fit_predict(const Rate *r, const FitSample *s);
