/*
 * onnx.h: the ONNX frontend. Reads a model file (protobuf, the schema of Debian's libonnx-dev),
 * converts it to a Graph and puts its nodes in topological order. Everything about protobuf stays
 * inside frontend/: attributes are decoded once into the IR's typed structs, the forms of older
 * opsets are normalised to the newest one (attributes that became inputs turn into constant
 * inputs; Upsample becomes Resize), Constant nodes become constant values, and initializers and
 * external data are copied into the graph's arena.
 */
#pragma once

#include "ir/ir.h"

typedef struct ShapeOverride {
    const char *name;               /* a graph input */
    int rank;
    int64_t dim[IR_MAXRANK];
} ShapeOverride;

/* Parses "NAME=1x3x224x224" (a scalar: "NAME="); 0, or -1 with the reason in d. The name points
 * into arg. */
int onnx_parse_shape(const char *arg, ShapeOverride *o, Diag *d);

/* Loads the model at path, applying the shape overrides to its inputs. Returns the graph (owned;
 * free with ir_graph_free), or NULL with the reason in d: bad input (exit status 2) or an
 * environment failure such as out of memory (3). Shapes are not inferred yet: call ir_infer. */
Graph *onnx_load(const char *path, const ShapeOverride *ov, int nov, Diag *d);

/* The same from a buffer; path names the model in diagnostics, and external data is looked up
 * beside it. */
Graph *onnx_load_buffer(const void *buf, size_t size, const char *path, const ShapeOverride *ov,
                        int nov, Diag *d);

/* Binds graph input `name` to the tensor in the TensorProto file `pbfile`: the input becomes a
 * constant, so shapes that depend on its values (a Reshape's shape fed as an input) become known.
 * Its dtype must match, and its dims any fixed dims the model declares. Call before ir_infer.
 * 0, or -1 with the reason in d. */
int onnx_bind_input(Graph *g, const char *name, const char *pbfile, Diag *d);

enum {
    ONNX_MAX_FILE = 2047 * 1024 * 1024,     /* largest model file (protobuf's limit is 2 GiB) */
    ONNX_MAX_OPSET = 24,                    /* newest default-domain opset hetc knows */
    ONNX_MAX_NESTING = 100,                 /* deepest nesting of messages in a model file */
    ONNX_MAX_BODIES = 16,                   /* deepest nesting of If, Loop and Scan bodies */
};
