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
typedef struct MemPlan {
    int64_t *offset;        /* per value: byte offset in the arena, -1 if not in it */
    int64_t arena;          /* bytes of the arena */
    int64_t total;          /* sum of the bytes of every arena tensor */
    int64_t lower;          /* the most bytes live at once: no plan can be smaller */
} MemPlan;
/* Places every intermediate tensor (node outputs that are neither graph outputs nor constants)
 * in one arena by liveness: tensors alive at the same step never overlap, except that a Concat's
 * inputs may be placed inside its output, at their ranges (then the Concat copies nothing).
 * Offsets are 64-byte aligned but for those inputs. total and lower count each tensor that has a
 * place of its own. Arrays are allocated in the graph's arena. */
int pass_memplan(Graph *g, MemPlan *mp, Diag *d);

/* pipeline.c */
/* Everything between inference and codegen for the CPU strategy: checks that the graph is fully
 * supported and static, then cleans up, fuses and plans memory. */
int pass_pipeline_cpu(Graph *g, MemPlan *mp, Diag *d);
