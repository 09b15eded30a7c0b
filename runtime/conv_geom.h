/*
 * conv_geom.h: the geometry of Conv and ConvTranspose, shared by the CPU and OpenCL kernels,
 * which must agree on it exactly.
 *
 * Both ops relate an "image" side and a "column" side: image position = column position * stride
 * - pad + kernel offset * dilation. For Conv the image is X and each output position of Y is a
 * column; for ConvTranspose the image is Y and each input position of X is a column. Problems are
 * padded to three spatial axes (leading axes of size 1), so one set of loops serves all ranks.
 */
#pragma once

#include "rt_backend.h"

enum { NS = 3 }; /* spatial axes after padding the problem to 3-D */

typedef struct Geom {
    int64_t img[NS];             /* spatial sizes of the image side (Conv X, ConvT Y) */
    int64_t col[NS];             /* of the column side (Conv Y, ConvT X) */
    int64_t k[NS], s[NS], d[NS]; /* kernel, stride, dilation */
    int64_t pb[NS];              /* padding at the beginning; the end follows from sizes */
    int64_t imgsz, colsz, ksz;   /* products of img, col and k */
} Geom;

/*
 * Begin padding of spatial axis i (g's axis j): the explicit pads, none for VALID, or, for
 * SAME_* and for ConvTranspose's output_shape, the total padding that yields the output size in
 * g, split evenly with the odd unit at the end for SAME_UPPER and at the beginning otherwise
 * (ONNX's formulas). A negative total (output_shape above the natural size) counts as 0, as in
 * ONNX Runtime: the extra outputs at the end get the bias only.
 */
static inline int64_t
geom_pad_begin(const ConvAttr *a, int i, const Geom *g, int j, int transpose)
{
    int64_t ek = (g->k[j] - 1) * g->d[j] + 1, total;
    int same = a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER;
    if (transpose && (same || a->output_shape.n)) {
        int64_t adj = a->output_padding.n ? a->output_padding.v[i] : 0;
        total = g->s[j] * (g->col[j] - 1) + adj + ek - g->img[j];
    } else if (same) {
        total = (g->col[j] - 1) * g->s[j] + ek - g->img[j];
    } else if (a->auto_pad == PAD_VALID) {
        return 0;
    } else {
        return a->pads.n ? a->pads.v[i] : 0;
    }
    if (total < 0)
        total = 0;
    return a->auto_pad == PAD_SAME_UPPER ? total / 2 : total - total / 2;
}

/* Fills g from the attributes and the dims of X, W and Y, ns spatial axes each (the output's
 * dims are authoritative). */
static inline void
geom_init(Geom *g, const ConvAttr *a, int ns, const int64_t *xdim, const int64_t *wdim,
          const int64_t *ydim, int transpose)
{
    const int64_t *img = transpose ? ydim : xdim, *col = transpose ? xdim : ydim;
    for (int j = 0; j < NS; j++) {
        g->img[j] = g->col[j] = g->k[j] = g->s[j] = g->d[j] = 1;
        g->pb[j] = 0;
    }
    for (int i = 0; i < ns; i++) {
        int j = NS - ns + i;
        g->img[j] = img[2 + i];
        g->col[j] = col[2 + i];
        g->k[j] = wdim[2 + i];
        g->s[j] = a->strides.n ? a->strides.v[i] : 1;
        g->d[j] = a->dilations.n ? a->dilations.v[i] : 1;
        g->pb[j] = geom_pad_begin(a, i, g, j, transpose);
    }
    g->imgsz = g->img[0] * g->img[1] * g->img[2];
    g->colsz = g->col[0] * g->col[1] * g->col[2];
    g->ksz = g->k[0] * g->k[1] * g->k[2];
}
