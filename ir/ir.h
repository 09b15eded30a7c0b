/*
 * ir.h: hetc's intermediate representation, the one public header of ir/.
 *
 * A Graph owns an arena and two dense arrays, node[] and val[], that refer to each other by index
 * (NodeId, ValId), never by pointer, so a graph can grow, be dumped deterministically and be copied
 * cheaply. Every operator is a row of ops.def; attributes are decoded once by the frontend into the
 * typed structs below, so no pass ever sees a protobuf or an attribute string.
 *
 * Shapes: rank -1 means unknown rank; a dim of -1 means a dynamic (symbolic) size. After --shape
 * overrides and ir_infer() every shape of a supported model is static.
 *
 * Errors: bad input goes to a Diag (diag_error keeps the first message and counts the rest);
 * broken invariants are bugs and stop the program through IR_ASSERT.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attr.h"
#include "opkind.h"

enum {
    IR_MAXRANK = 8,         /* highest tensor rank hetc accepts */
    IR_MAXNAME = 4096,      /* longest tensor or node name accepted from a model */
};

typedef int32_t NodeId, ValId;
#define NONE (-1)

/* ---- bugs ------------------------------------------------------------------------------------ */

void ir_assert_fail(const char *expr, const char *file, int line);
#define IR_ASSERT(x) ((x) ? (void)0 : ir_assert_fail(#x, __FILE__, __LINE__))
/* ALWAYS/NEVER mark defensive checks of conditions believed impossible: they abort in debug builds
 * and evaluate to the condition in release builds, so the defensive path still runs there. */
#ifdef NDEBUG
#define ALWAYS(x) (x)
#define NEVER(x) (x)
#else
#define ALWAYS(x) ((x) ? 1 : (ir_assert_fail(#x, __FILE__, __LINE__), 0))
#define NEVER(x) ((x) ? (ir_assert_fail("!(" #x ")", __FILE__, __LINE__), 1) : 0)
#endif

/* ---- heap and arena (arena.c) ------------------------------------------------------------------ */

/* All heap traffic of the compiler goes through these, so tests can inject failures. ir_alloc and
 * ir_realloc return NULL on failure (or when a failure is injected); ir_free(NULL) is a no-op. */
void *ir_alloc(size_t n);
void *ir_realloc(void *p, size_t n);
void ir_free(void *p);
/* Fail the nth allocation from now (1 = the next one); 0 turns injection off. */
void ir_alloc_fail_after(long n);

typedef struct Arena Arena;
Arena *ir_arena_new(void);                     /* owned; free with ir_arena_free; NULL on OOM */
void *ir_arena_alloc(Arena *a, size_t n);      /* zeroed, 16-byte aligned; NULL on OOM */
void ir_arena_reset(Arena *a);                 /* frees every block, keeps the arena */
void ir_arena_free(Arena *a);
size_t ir_arena_used(const Arena *a);          /* bytes handed out, for statistics */

/* ---- diagnostics (diag.c) ---------------------------------------------------------------------- */

typedef enum DiagKind {
    DIAG_NONE,
    DIAG_INPUT,     /* bad input: exit status 2 */
    DIAG_ENV,       /* environment failure (out of memory, I/O): exit status 3 */
} DiagKind;

typedef struct Diag {
    char msg[1024];     /* the first error, one line, no trailing newline */
    int nerr;           /* errors reported, including the first */
    DiagKind kind;      /* kind of the first error */
    const char *file;   /* file named in messages (borrowed), may be NULL */
    const char *where;  /* reporter's __FILE__:__LINE__ in debug builds */
} Diag;

void diag_init(Diag *d, const char *file);
/* Records a bad-input error "FILE: MSG" (the first one is kept). Returns -1 for `return diag_..`. */
int diag_error(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_env(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_oom(Diag *d);
/* exit status for a failed Diag: 2 for bad input, 3 for environment */
int diag_status(const Diag *d);
/* Bytes (1 to 4) of the character at s to print as they are, or 0 if s[0] must be escaped: a
 * control character (C0, DEL, C1, the bidirectional controls U+061C, U+200E-200F, U+202A-202E,
 * U+2066-2069) or a byte that starts no well-formed UTF-8 character. */
int ir_utf8_printable(const char *s);
/* Writes s with what ir_utf8_printable refuses as \xNN, as diagnostics are; returns the columns
 * written (a character counts 1), for padding. */
int ir_put_escaped(const char *s, FILE *f);

/* ---- data types -------------------------------------------------------------------------------- */

size_t ir_dtype_size(DType t);            /* bytes per element; 0 for undefined and strings */
const char *ir_dtype_name(DType t);       /* numpy-style: "float32", "int64", ... */
const char *ir_dtype_short(DType t);      /* dump form: "f32", "i64", ... */
int ir_dtype_is_float(DType t);
int ir_dtype_is_int(DType t);             /* signed or unsigned integers, not bool */
float ir_f16_to_f32(uint16_t h);          /* IEEE half and bfloat16 conversions, round to nearest */
uint16_t ir_f32_to_f16(float f);
float ir_bf16_to_f32(uint16_t h);
uint16_t ir_f32_to_bf16(float f);

/* ---- the op table (op.c, from ops.def) ------------------------------------------------------------ */

typedef enum ShapeClass {
    SH_NONE, SH_SAME, SH_BOOL, SH_BCAST, SH_CMP, SH_WHERE, SH_CONV, SH_CONVT, SH_GEMM, SH_MATMUL,
    SH_POOL, SH_GPOOL, SH_LAYERNORM, SH_ARGRED, SH_REDUCE, SH_CAST, SH_CASTLIKE, SH_CONCAT,
    SH_CONSTSHAPE, SH_D2S, SH_S2D, SH_DROPOUT, SH_EXPAND, SH_FLATTEN, SH_GATHER, SH_GATHERELT,
    SH_PAD, SH_RANGE, SH_RESHAPE, SH_RESIZE, SH_SHAPE, SH_SIZE, SH_SLICE, SH_SPLIT, SH_SQUEEZE,
    SH_TILE, SH_TRANSPOSE, SH_UNSQUEEZE,
    SH_QUANT,               /* QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear */
    SH_NONZERO, SH_TOPK,
    SH_EINSUM,
    SH_RNN,                 /* GRU, LSTM, RNN */
    SH_GATHERND,
    SH_SCATTER,             /* ScatterElements, ScatterND */
    SH_BODY,                /* If, Loop, Scan: unknown until passes/control.c inlines the bodies */
    SH_SEQ,                 /* sequence and optional ops: resolved by passes/sequence.c */
    SH_COUNT
} ShapeClass;

typedef enum FlopClass {
    FL_NONE, FL_ELT, FL_RED, FL_CONV, FL_CONVT, FL_GEMM, FL_MATMUL, FL_POOL, FL_RNN
} FlopClass;

typedef enum AttrClass {
    A_NONE, A_CONV, A_POOL, A_GEMM, A_ACT, A_AXIS, A_REDUCE, A_SPLIT, A_PERM, A_PAD, A_RESIZE,
    A_EINSUM,
    A_CAST, A_CONST, A_SHAPE, A_NORM, A_LRN, A_BLOCK, A_RESHAPE, A_MODE,
    A_RNN,
    A_BODY,                 /* If, Loop, Scan */
    A_SEQ                   /* SequenceEmpty, ConcatFromSequence, SplitToSequence */
} AttrClass;

enum {
    F_ELTWISE = 1 << 0,     /* output element i depends on input elements i (after broadcast) */
    F_COMMUTE = 1 << 1,     /* inputs may be reordered */
    F_FOLD = 1 << 2,        /* fold.c can evaluate it on constant inputs */
    F_VIEW = 1 << 3,        /* the output is the input's data, reinterpreted */
    F_INTERNAL = 1 << 4,    /* made by hetc's passes (Copy): never an op of a model */
};

typedef struct OpInfo {
    const char *stem;       /* "conv" */
    const char *onnx;       /* "Conv" */
    int inmin, inmax, outmin, outmax;
    ShapeClass shape;
    FlopClass flops;
    int k;                  /* FLOPs per element for FL_ELT / FL_RED */
    AttrClass attr;
    unsigned flags;
} OpInfo;

extern const OpInfo ir_op[OP_COUNT];
OpKind ir_op_lookup(const char *onnx_name);    /* OP_UNKNOWN if not found */
/* The input that holds the weights (W of the convolutions, B of the products): 3 for QLinearConv
 * and QLinearMatMul, whose inputs 1 and 2 are the scale and zero point of input 0; else 1. */
static inline int
ir_op_weight_in(OpKind op)
{
    return op == OP_QLINEARCONV || op == OP_QLINEARMATMUL ? 3 : 1;
}

/* ---- graph (graph.c) ------------------------------------------------------------------------------ */

enum {
    V_INPUT = 1 << 0,       /* a graph input fed at run time */
    V_OUTPUT = 1 << 1,      /* a graph output */
    V_CONST = 1 << 2,       /* data is known at compile time (data != NULL or numel == 0) */
    V_PARAM = 1 << 3,       /* a model parameter: an initializer or a Constant node's tensor */
    /* Sequences and optionals exist only while compiling (passes/sequence.c resolves them): such
     * a value holds no data but a list of values, elem[0..nelem), its tensors in order (V_SEQ),
     * or none or one, a tensor or a sequence (V_OPT). A graph input declared so (with V_INPUT)
     * has no list until --bind gives it one. dt is the tensors' dtype where known. */
    V_SEQ = 1 << 4,
    V_OPT = 1 << 5,
};

typedef struct Value {
    const char *name;           /* arena-owned, unique within the graph */
    DType dt;
    int rank;                   /* -1: unknown */
    int64_t dim[IR_MAXRANK];    /* -1: dynamic */
    NodeId def;                 /* defining node; NONE for inputs and constants */
    unsigned flags;             /* V_* */
    void *data;                 /* V_CONST contents, C order, arena-owned; numel*dtsize bytes */
    int nuse;                   /* uses by live nodes, filled by ir_fill_uses */
    const ValId *elem;          /* V_SEQ, V_OPT: the values held, arena-owned, never changed */
    int nelem;
} Value;

typedef struct Node {
    OpKind op;
    const char *name;           /* ONNX node name, may be "" */
    const char *optype;         /* the ONNX op_type as written (for OP_UNKNOWN, diagnostics) */
    int index;                  /* position in the ONNX file, for diagnostics */
    int nin, nout;
    ValId *in;                  /* in[i] == NONE: optional input omitted */
    ValId *out;                 /* out[i] == NONE: optional output not requested; always
                                 * in + nin (one array, walked as such by ir_compact) */
    Attr *attr;                 /* never NULL; the member named by ir_op[op].attr is valid */
    int dev, region;            /* placement: the processor (index into the Target's) and the
                                 * processor-contiguous region, filled by passes/place.c; NONE
                                 * until then */
    int cause;                  /* why dev: a PlaceCause (passes/passes.h); 0 until placed */
    const char *ops;            /* the ops fused into this one, in order ("Conv+Add+Relu", set by
                                 * pass_fuse; arena-owned); NULL: the node's op alone */
} Node;

typedef struct Graph {
    Arena *arena;               /* owns everything below */
    Node *node;
    int nnode, cnode;
    Value *val;
    int nval, cval;
    ValId *input;               /* run-time inputs, in model order */
    int ninput;
    ValId *output;
    int noutput;
    const char *file;           /* model path, for diagnostics */
    const char *name;           /* graph name */
    int64_t opset;              /* default-domain opset */
    int64_t ir_version;
    const char *producer;
    int nconstnode;             /* Constant nodes of the model, turned into values */
    size_t folded;              /* bytes of data made by constant folding, <= IR_FOLD_BUDGET */
    void *names;                /* name -> ValId index (graph.c) */
    struct Graph **sub;         /* owned: the bodies of If, Loop and Scan nodes, freed with this
                                 * graph (ir_graph_free); ir_realloc'd */
    int nsub;
    ValId *capture;             /* a body's values that are the enclosing graph's (BodyAttr) */
    int ncapture;
} Graph;

Graph *ir_graph_new(const char *file);         /* owned; free with ir_graph_free; NULL on OOM */
void ir_graph_free(Graph *g);                  /* with its bodies (Graph.sub) */
/* A new empty graph owned by g (freed with it), for a body of an If, Loop or Scan; NULL on OOM */
Graph *ir_graph_sub(Graph *g);
void *ir_galloc(Graph *g, size_t n);           /* zeroed arena memory; NULL on OOM */
const char *ir_strndup(Graph *g, const char *s, size_t n);
/* Adds a value with a unique name (NULL name: a fresh "%N" name). NONE on OOM or if the name is
 * taken; *dup is set to 1 in the latter case when dup != NULL. */
ValId ir_val_add(Graph *g, const char *name, DType dt, int *dup);
ValId ir_val_find(const Graph *g, const char *name);
/* Adds a node with nin inputs and nout outputs all NONE, and default attributes for op. */
NodeId ir_node_add(Graph *g, OpKind op, const char *name, int nin, int nout);
void ir_attr_default(OpKind op, Attr *a);

int64_t ir_numel(const Value *v);              /* -1 if unknown, or if it would overflow int64 */
int ir_shape_known(const Value *v);            /* rank and every dim known */
size_t ir_nbytes(const Value *v);              /* numel * dtype size; 0 if unknown */
/* Reads element i of a constant of an integer, bool or float type as int64 / double. */
int64_t ir_const_i(const Value *v, int64_t i);
double ir_const_f(const Value *v, int64_t i);

/* Puts the nodes in a topological order (stable for already ordered input); an error naming a
 * node on a cycle if there is one. Keeps val[].def consistent. */
int ir_toposort(Graph *g, Diag *d);
/* The same, but of the nodes ready at each point the one of least key[node] goes first (ties:
 * the lower index); key NULL is ir_toposort. A schedule's start times as keys give its order. */
int ir_toposort_by(Graph *g, const double *key, Diag *d);
void ir_fill_uses(Graph *g);
/* Drops OP_NOP nodes and values no live node or output refers to; renumbers. */
int ir_compact(Graph *g);

/* Formats `FILE: node N "NAME" (Op): ` into buf (for diagnostics). */
const char *ir_node_where(const Graph *g, NodeId n, char *buf, size_t size);
int diag_node(Diag *d, const Graph *g, NodeId n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- inference and folding (shape.c, fold.c) -------------------------------------------------------- */

/* Infers dtype and shape of every node output in topological order and folds nodes whose inputs
 * are all constant (F_FOLD ops, outputs up to IR_FOLD_MAX elements, IR_FOLD_BUDGET bytes in all),
 * so shape-computing subgraphs become constants; beyond the limits a node simply stays. Nodes of unknown ops and nodes with inputs of unknown shape get outputs of
 * unknown shape. 0, or -1 with the reason in d. */
enum {
    IR_FOLD_MAX = 1 << 24,              /* elements of one folded output */
    IR_FOLD_BUDGET = 256 << 20,         /* bytes of folded data in a whole graph */
};
int ir_infer(Graph *g, Diag *d);
int ir_infer_node(Graph *g, NodeId n, Diag *d);     /* one node's outputs */
int ir_fold_node(Graph *g, NodeId n, Diag *d);      /* all inputs const: computes the outputs */
/* What ir_infer does for one node: its outputs, then folded when it can be (inputs inferred) */
int ir_infer_fold_node(Graph *g, NodeId n, Diag *d);

/* ---- counts (count.c) ----------------------------------------------------------------------------- */

int64_t ir_node_flops(const Graph *g, const Node *n);   /* multiply-add = 2; 0 if unknown */
/* The same, but -1 if a shape it needs is unknown or the op is not supported, and INT64_MAX if
 * the count does not fit int64 (ir_count_add keeps both), for reports that must not guess. */
int64_t ir_node_flops_known(const Graph *g, const Node *n);
/* a + b for counts, saturating at INT64_MAX (counts of hostile models overflow); -1 (unknown)
 * if either is */
static inline int64_t
ir_count_add(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return -1;
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}
int64_t ir_node_bytes(const Graph *g, const Node *n);   /* bytes read + written */

/* ---- verifier and text form (verify.c, dump.c) --------------------------------------------------------- */

int ir_verify(const Graph *g, Diag *d);
void ir_dump(const Graph *g, FILE *f);
/* The same with each placed node's processor, dev[Node.dev] (ndev names; ir/ sees no Target),
 * and the cause of the choice, cause_name(Node.cause) (NULL or a NULL result: not shown). */
void ir_dump_placed(const Graph *g, FILE *f, const char *const *dev, int ndev,
                    const char *(*cause_name)(int));
void ir_dump_value_type(const Value *v, FILE *f);   /* "f32[1,3,224,224]" */
/* The ONNX name of a recurrent layer's activation ("Sigmoid"); "?" out of range. */
const char *ir_rnn_act_name(RnnAct a);
