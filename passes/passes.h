/*
 * passes.h: the passes between the frontend and codegen, declared by file. Each takes the graph
 * (and later a Target), returns 0, or -1 with the reason in the Diag. pipeline.c holds the order.
 */
#pragma once

#include "ir/ir.h"

/* cleanup.c */
/* Drops nodes whose outputs all folded to constants, Identity and inference-mode Dropout
 * (their uses read the input instead), and nodes nothing uses; then compacts the graph. */
int pass_cleanup(Graph *g, Diag *d);

/* fuse.c */
/* Folds BatchNormalization and per-channel constant Mul/Add/Sub/Div after a Conv,
 * ConvTranspose or Gemm with constant weights into new weights and bias, then fuses one following
 * activation (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, SiLU) into its attribute's
 * `fuse`; absorbed nodes go and the graph is compacted. */
int pass_fuse(Graph *g, Diag *d);

/* memplan.c */
/* The most bytes one tensor, or the arena, may take: 2^47, the user address space of x86-64 and
 * of AArch64's usual configuration; a model that needs more is refused when it is compiled. */
#define PASS_MAX_BYTES ((int64_t)1 << 47)
/* A static-shaped tensor's bytes into *bytes: 0, or -1 when its shape is not static or it would
 * take more than PASS_MAX_BYTES (no product can overflow on the way). */
int pass_tensor_bytes(const Value *v, int64_t *bytes);

typedef struct MemPlan {
    int64_t *offset;        /* per value: byte offset in the arena, -1 if not in it */
    int64_t arena;          /* bytes of the arena */
    int64_t total;          /* sum of the bytes of every arena tensor */
    int64_t lower;          /* the most bytes live at once: no plan can be smaller */
} MemPlan;
/* Places every intermediate tensor (node outputs that are neither graph outputs nor constants)
 * in one arena by liveness: tensors alive at the same step never overlap, except that a Concat's
 * inputs may be placed inside its output, at their ranges (then the Concat copies nothing).
 * Offsets are 64-byte aligned but for those inputs. total (saturating at INT64_MAX) and lower
 * count each tensor that has a place of its own. Arrays are allocated in the graph's arena.
 * A tensor, a step's live tensors or the arena beyond PASS_MAX_BYTES is an error (bad input).
 * O(T log T) in the tensors for graphs with a few tensors alive at a time, and in any case
 * O((T + S) log T) with S the steps. */
int pass_memplan(Graph *g, MemPlan *mp, Diag *d);

/* pipeline.c */
/* Everything between inference and codegen for the CPU strategy: checks that the graph is fully
 * supported and static, then cleans up, fuses and plans memory. */
int pass_pipeline_cpu(Graph *g, MemPlan *mp, Diag *d);
