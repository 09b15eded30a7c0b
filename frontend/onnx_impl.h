/*
 * onnx_impl.h: what the frontend's files share. Only frontend/ includes this or onnx.pb-c.h.
 */
#pragma once

#include "frontend/onnx.h"
#include "onnx.pb-c.h"

typedef struct Loader {
    Graph *g;
    Diag *d;
    const char *dir;                /* folder of the model, for external data ("" = cwd) */
    int64_t opset;                  /* default-domain opset */
    int node_index;                 /* the node being converted, NONE outside nodes */
} Loader;

static inline const char *
pbstr(const char *s)
{
    return s ? s : "";
}

/* tensor.c */
/* Converts a TensorProto into constant value v (dtype, shape, data). 0 or -1 (diag). */
int onnx_tensor_to_value(Loader *L, const Onnx__TensorProto *t, ValId v, const char *what);
ValId onnx_const_ints(Loader *L, const int64_t *x, int n, int rank);
ValId onnx_const_floats(Loader *L, const float *x, int n, int rank);

/* attr.c */
/* Decodes np's attributes into node n's typed struct and normalises older opset forms; 0 or -1. */
int onnx_node_attrs(Loader *L, const Onnx__NodeProto *np, NodeId n);
/* Rewrites Upsample (upsample=1) or Resize-10 node n as Resize-11+: Resize(X, roi, scales). */
int onnx_resize_normalise(Loader *L, const Onnx__NodeProto *np, NodeId n, int upsample);
/* Builds the value of a Constant node's attribute into v; 0 or -1. */
int onnx_constant_value(Loader *L, const Onnx__NodeProto *np, ValId v);
/* Diagnostic about the node being converted */
int onnx_node_error(Loader *L, const Onnx__NodeProto *np, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
