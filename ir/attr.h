/*
 * attr.h: data types and the typed attribute structs of every op. Shared by the compiler (through
 * ir.h) and by the runtime, whose kernels receive the same structs that the frontend decoded:
 * generated plans bake them in as static constants, so an attribute has one definition from the
 * ONNX file to the kernel. Depends on nothing but <stdint.h>.
 */
#pragma once

#include <stdint.h>

/* Numbered as ONNX TensorProto.DataType. */
typedef enum DType {
    DT_UNDEF = 0,
    DT_F32 = 1,
    DT_U8 = 2,
    DT_I8 = 3,
    DT_U16 = 4,
    DT_I16 = 5,
    DT_I32 = 6,
    DT_I64 = 7,
    DT_STRING = 8,
    DT_BOOL = 9,
    DT_F16 = 10,
    DT_F64 = 11,
    DT_U32 = 12,
    DT_U64 = 13,
    DT_C64 = 14,
    DT_C128 = 15,
    DT_BF16 = 16,
    DT_COUNT
} DType;

/* ---- attributes ---------------------------------------------------------------------------------- */

typedef struct Ints {
    int n;
    const int64_t *v;   /* the compiler: arena-owned; a generated plan: static */
} Ints;

typedef struct Floats {
    int n;
    const float *v;     /* as for Ints */
} Floats;

typedef enum AutoPad { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } AutoPad;

/* An activation fused into the op that produces its input (passes/fuse.c), applied by the
 * kernel to each output element after the bias: y = act(y). */
typedef enum ActKind {
    ACT_NONE,
    ACT_RELU,           /* max(y, 0) */
    ACT_CLIP,           /* min(max(y, alpha), beta) */
    ACT_LEAKYRELU,      /* y < 0 ? alpha * y : y */
    ACT_HARDSIGMOID,    /* max(0, min(1, alpha * y + beta)) */
    ACT_HARDSWISH,      /* y * max(0, min(1, y / 6 + 1 / 2)) */
    ACT_SIGMOID,        /* 1 / (1 + exp(-y)) */
    ACT_SILU,           /* y / (1 + exp(-y)), i.e. y * Sigmoid(y) */
} ActKind;

typedef struct Fused {
    ActKind act;
    float alpha, beta;
    int affine;         /* then y = y * mul + add: scalar Mul/Add/Sub/Div after the activation */
    float mul, add;
} Fused;

typedef struct ConvAttr {           /* Conv, ConvTranspose */
    int64_t group;
    Ints kernel, pads, strides, dilations;      /* n == 0: not given, use defaults */
    Ints output_padding, output_shape;          /* ConvTranspose only */
    AutoPad auto_pad;
    Fused fuse;                                 /* an activation fused in (passes/fuse.c) */
} ConvAttr;

typedef struct PoolAttr {           /* AveragePool, MaxPool, LpPool */
    Ints kernel, pads, strides, dilations;
    AutoPad auto_pad;
    int ceil_mode, count_include_pad, storage_order;
    int64_t p;                      /* LpPool norm, default 2 */
} PoolAttr;

typedef struct GemmAttr {
    float alpha, beta;
    int trans_a, trans_b;
    Fused fuse;                     /* an activation fused in (passes/fuse.c) */
} GemmAttr;

typedef struct ActAttr {            /* activation parameters; meaning per op as in ONNX */
    float alpha, beta, gamma;       /* LeakyRelu/Elu/Celu/ThresholdedRelu: alpha; HardSigmoid: */
                                    /* alpha, beta; Selu: alpha, gamma */
    int approximate;                /* Gelu: 1 for "tanh" */
} ActAttr;

/* How ScatterElements and ScatterND combine an update u with the element y it lands on. */
typedef enum ScatterRed {
    SCR_NONE,           /* y = u */
    SCR_ADD,            /* y + u (bool: or) */
    SCR_MUL,            /* y * u (bool: and) */
    SCR_MAX,            /* y > u ? y : u, as ONNX Runtime: a NaN update replaces y */
    SCR_MIN,            /* y < u ? y : u */
} ScatterRed;

typedef struct AxisAttr {           /* ops with one axis */
    int64_t axis;
    int keepdims, select_last_index;    /* ArgMax, ArgMin */
    int exclusive, reverse;             /* CumSum */
    int largest, sorted;                /* TopK (its output is sorted either way) */
    int coerce2d;                       /* Softmax family before opset 13: flatten to 2-D at axis */
    ScatterRed reduction;               /* ScatterElements, ScatterND (which ignores axis) */
} AxisAttr;

typedef struct SeqAttr {            /* the sequence ops' attributes */
    DType dtype;                    /* SequenceEmpty's (float32 by default) */
    int64_t axis;                   /* ConcatFromSequence, SplitToSequence */
    int new_axis;                   /* ConcatFromSequence: stack along a new axis */
    int keepdims;                   /* SplitToSequence without split sizes */
} SeqAttr;

typedef struct ReduceAttr {         /* axes come as the optional second input */
    int keepdims, noop_with_empty_axes;
} ReduceAttr;

typedef struct SplitAttr {          /* split sizes come as the optional second input */
    int64_t axis, num_outputs;
} SplitAttr;

typedef struct PermAttr {
    Ints perm;                      /* n == 0: reverse the dims */
} PermAttr;

typedef enum PadMode { PADM_CONSTANT, PADM_REFLECT, PADM_EDGE, PADM_WRAP } PadMode;
typedef struct PadAttr {
    PadMode mode;
} PadAttr;

typedef enum ResizeMode { RSZ_NEAREST, RSZ_LINEAR, RSZ_CUBIC } ResizeMode;
typedef enum CoordMode {
    CT_HALF_PIXEL, CT_HALF_PIXEL_SYMMETRIC, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS,
    CT_ASYMMETRIC, CT_TF_CROP_AND_RESIZE, CT_TF_HALF_PIXEL_FOR_NN
} CoordMode;
typedef enum NearestMode { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL } NearestMode;
typedef enum AspectPolicy { AR_STRETCH, AR_NOT_LARGER, AR_NOT_SMALLER } AspectPolicy;
typedef struct ResizeAttr {         /* Resize, and Upsample normalised to Resize */
    ResizeMode mode;
    CoordMode coord;
    NearestMode nearest;
    AspectPolicy policy;
    float cubic_a, extrapolation;
    int exclude_outside, antialias;
    Ints axes;                      /* n == 0: all axes */
} ResizeAttr;

typedef struct CastAttr {
    DType to;                       /* Cast; CastLike takes the type of its second input */
    int saturate;
} CastAttr;

typedef struct ConstAttr {          /* ConstantOfShape's fill value */
    DType dt;
    double f;                       /* value for float and bool types */
    int64_t i;                      /* value for integer types (exact) */
} ConstAttr;

typedef struct ShapeAttr {          /* Shape (opset 15 slicing) */
    int64_t start, end;
    int has_end;
} ShapeAttr;

typedef struct NormAttr {           /* BatchNormalization, InstanceNormalization, LayerNormalization */
    float epsilon, momentum;
    int64_t axis;                   /* LayerNormalization */
    int training_mode;
    Fused fuse;                     /* BatchNormalization: an activation fused in (passes/fuse.c) */
} NormAttr;

typedef struct LrnAttr {
    float alpha, beta, bias;
    int64_t size;
} LrnAttr;

typedef struct BlockAttr {          /* DepthToSpace, SpaceToDepth */
    int64_t blocksize;
    int crd;                        /* DepthToSpace mode "CRD" (else "DCR") */
} BlockAttr;

typedef struct ReshapeAttr {
    int allowzero;
} ReshapeAttr;

typedef struct ModeAttr {           /* small integer modes: BitShift direction (1 = right), */
    int64_t mode;                   /* Mod fmod, Trilu upper, IsInf bit0 = +inf, bit1 = -inf */
} ModeAttr;

/* Einsum's equation, decoded by the frontend: each operand's subscripts, then the output's (the
 * implicit form's output written out: the letters used once, in order, after any ellipsis), as
 * letter codes (A-Z 0-25, a-z 26-51, "..." EINSUM_ELLIPSIS), each term closed by -1. */
enum { EINSUM_ELLIPSIS = 52, EINSUM_LABELS = 53 };
typedef struct EinsumAttr {
    Ints terms;
} EinsumAttr;

/* The activations of the recurrent layers' gates, as ONNX names them (alpha, beta: below). */
typedef enum RnnAct {
    RA_RELU,            /* max(0, x) */
    RA_TANH,
    RA_SIGMOID,
    RA_AFFINE,          /* alpha * x + beta */
    RA_LEAKYRELU,       /* x >= 0 ? x : alpha * x */
    RA_THRESHOLDEDRELU, /* x >= alpha ? x : 0 */
    RA_SCALEDTANH,      /* alpha * tanh(beta * x) */
    RA_HARDSIGMOID,     /* min(max(alpha * x + beta, 0), 1) */
    RA_ELU,             /* x >= 0 ? x : alpha * (exp(x) - 1) */
    RA_SOFTSIGN,        /* x / (1 + |x|) */
    RA_SOFTPLUS,        /* log(1 + exp(x)) */
    RA_COUNT
} RnnAct;
enum { RNN_MAXACT = 6 };            /* LSTM's f, g, h per direction, two directions */
typedef enum RnnDir { RD_FORWARD, RD_REVERSE, RD_BIDIRECTIONAL } RnnDir;
typedef struct RnnAttr {            /* GRU, LSTM, RNN */
    int64_t hidden_size;            /* 0: not given (R's last dim) */
    RnnDir direction;
    int layout;                     /* 1: batch first (X [batch, seq, input], ...) */
    int linear_before_reset;        /* GRU */
    int input_forget;               /* LSTM: the forget gate is 1 - the input gate */
    float clip;                     /* gates' inputs clamped to [-clip, clip]; < 0: none */
    RnnAct act[RNN_MAXACT];         /* per direction, its gates' (f, g, h for LSTM) in order */
    float alpha[RNN_MAXACT], beta[RNN_MAXACT];  /* each activation's, defaults filled in */
} RnnAttr;
/* If, Loop and Scan: their subgraphs, converted by the frontend into graphs of their own (owned
 * by the enclosing graph, see Graph.sub), each reading its formal inputs (Graph.input), its
 * outer values (Graph.capture) and its own constants. A body's capture k is the node's input
 * nin - ncapture + (the captures of the bodies before it) + k. Lowered by passes/control.c. */
struct Graph;
typedef struct BodyAttr {
    struct Graph *body[2];          /* If: then_branch, else_branch; Loop, Scan: body[0] */
    int ncapture;                   /* the node's last inputs: outer values the bodies read */
    int64_t num_scan_inputs;        /* Scan */
    int batched;                    /* Scan-8: sequence_lens first, a batch axis 0 everywhere */
    Ints scan_input_axes, scan_input_directions;    /* Scan; n == 0: all 0 (Scan-8: directions) */
    Ints scan_output_axes, scan_output_directions;
} BodyAttr;

typedef union Attr {
    ConvAttr conv;
    PoolAttr pool;
    GemmAttr gemm;
    ActAttr act;
    AxisAttr axis;
    ReduceAttr reduce;
    SplitAttr split;
    PermAttr perm;
    PadAttr pad;
    ResizeAttr resize;
    CastAttr cast;
    ConstAttr cst;
    ShapeAttr shape;
    NormAttr norm;
    LrnAttr lrn;
    BlockAttr block;
    ReshapeAttr reshape;
    ModeAttr mode;
    EinsumAttr einsum;
    RnnAttr rnn;
    BodyAttr body;
    SeqAttr seq;
} Attr;
