/*
 * onnx_impl.h: what the frontend's files share. Only frontend/ includes this or onnx.pb-c.h.
 */
#pragma once

#include "frontend/onnx.h"
#include "onnx.pb-c.h"

typedef struct Loader {
    Graph *g;
    Diag *d;
    const char *dir;                /* folder of the model or --bind file, for external data */
    int64_t opset;                  /* default-domain opset */
    int node_index;                 /* the node being converted, NONE outside nodes */
    struct Loader *parent;          /* converting a body: the enclosing graph's loader */
    const char *body;               /* and which body ("then_branch", "body") for messages */
    ValId *outer;                   /* per capture of g (g->capture): the enclosing graph's value */
    int ccapture;                   /* room in g->capture and outer */
    int depth;                      /* bodies enclosing g; 0 for the model's graph */
} Loader;

static inline const char *
pbstr(const char *s)
{
    return s ? s : "";
}

/* protobuf-c allocates the unpacked message from a scratch arena; a failed allocation is
 * remembered, so that a parse that fails for want of memory is not reported as a corrupt file */
typedef struct PbHeap {
    Arena *arena;
    int failed;
} PbHeap;
void *onnx_pb_alloc(void *data, size_t size);   /* a ProtobufCAllocator's, on a PbHeap */
void onnx_pb_free(void *data, void *p);

/* file.c */
/* Opens path read-only without blocking and accepts only a regular file (a FIFO, a device or a
 * directory is bad input, "not a regular file"); flags are added to open's (O_NOFOLLOW). Returns
 * the descriptor (close it) with the file's size in *size, or -1 with the reason in d. label
 * starts each message ("" when the Diag already names the file). */
int onnx_file_open(const char *path, const char *label, int flags, int64_t *size, Diag *d);
/* Reads exactly n bytes at offset; 0, or -1 with the reason in d (a read error is an
 * environment failure; a file that ends early is bad input). */
int onnx_file_read(int fd, void *dst, size_t n, int64_t offset, const char *label, Diag *d);
/* The real path of external data file location, which must lie inside the model's folder dir
 * ("" = the current one) once every symlink is resolved; not absolute, no "..". Owned (ir_free);
 * NULL with the reason, which names what (the tensor) and location, in d. */
char *onnx_external_path(const char *dir, const char *location, const char *what, Diag *d);
/* Reads a whole regular file of at most ONNX_MAX_FILE bytes (opened as onnx_file_open does); the
 * buffer is the caller's (ir_free). NULL with the reason in d. */
void *onnx_read_file(const char *path, size_t *size, Diag *d);
/* The folder holding path ("" for the current one, "/" for the root), ir_alloc'd; NULL on OOM */
char *onnx_folder_of(const char *path);

/* load.c */
/* Converts the body of an If, Loop or Scan (the node being converted by L) into a graph owned by
 * L->g. Names the body reads from enclosing graphs become its captures: (*outer)[0..*nouter) are
 * L->g's values for them, in order (arena-owned), to append to the node's inputs. NULL with the
 * reason in L->d. */
Graph *onnx_body(Loader *L, const Onnx__GraphProto *gp, const char *what, ValId **outer,
                 int *nouter);

/* wire.c */
/* 1 if no message in the protobuf bytes (a message of type desc) nests deeper than
 * ONNX_MAX_NESTING, else 0; linear time, no allocation, no recursion. Bytes that do not parse
 * count as 1 (the unpacking refuses them). */
int onnx_wire_depth_ok(const ProtobufCMessageDescriptor *desc, const void *buf, size_t size);
/* One field of a protobuf message: its number; a varint's value in v, a length-delimited
 * field's bytes in data[0..len) (NULL for the other wire types, which are skipped) */
typedef struct WireField {
    uint32_t num;
    uint64_t v;
    const uint8_t *data;
    size_t len;
} WireField;
/* Reads the field at *pos (below end) and moves past it; 0, or -1 for bytes that are not one */
int onnx_wire_field(const uint8_t *p, size_t end, size_t *pos, WireField *f);

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
