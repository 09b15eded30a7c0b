/*
 * support.c: what the real backends run, ops x dtypes: the one table the compiler consults to
 * know whether a processor can take a node (target_can_run, placement, --place). It states what
 * the kernels of runtime/cpu and runtime/opencl accept today, and tests/unit/passes/
 * test_support.c holds it to them: an op is listed exactly when cpu_kernel[] / ocl_op[] has an
 * entry, and the ops listed as float32-only are refused by the CPU kernels on other dtypes.
 *
 * The dtype of a node is the one target_node_dtype gives (its first present input's), so a row
 * says which dtypes that input may have: Where's is its bool condition, ConstantOfShape's its
 * int64 shape. Limits of attributes (Resize's modes other than nearest need float32) are checked
 * by target_can_run, and limits of one OpenCL device (no cl_khr_fp64) by target.c, which narrows
 * the processor's row. The table is conservative: complex and string tensors are never listed.
 */
#include "target.h"

#define B(dt) (1u << (dt))

enum {
    M_F32 = B(DT_F32),
    M_FLOAT = B(DT_F32) | B(DT_F64) | B(DT_F16) | B(DT_BF16),
    M_INT = B(DT_U8) | B(DT_I8) | B(DT_U16) | B(DT_I16) | B(DT_U32) | B(DT_I32) | B(DT_U64) |
            B(DT_I64),
    /* real floats, integers and bool: the arithmetic of the elementwise kernels, and every
     * dtype that data movement copies */
    M_ANY = M_FLOAT | M_INT | B(DT_BOOL),
    /* what the reductions (and ArgMax, ArgMin, CumSum) load: no float16 or bfloat16 */
    M_RED = B(DT_F32) | B(DT_F64) | M_INT | B(DT_BOOL),
    /* the integers QuantizeLinear writes (and DequantizeLinear reads) */
    M_QUANT = B(DT_U8) | B(DT_I8) | B(DT_U16) | B(DT_I16),
    /* Range's start, limit and delta */
    M_RANGE = B(DT_F32) | B(DT_F64) | B(DT_I8) | B(DT_U8) | B(DT_I16) | B(DT_U16) | B(DT_I32) |
              B(DT_U32) | B(DT_I64),
};

/* The CPU kernels' dtypes; the OpenCL ops take the same (runtime/opencl says so op by op: "every
 * op takes the dtypes the CPU kernel takes"), float64 only on devices with cl_khr_fp64. */
static uint32_t
row(OpKind op)
{
    switch (op) {
    case OP_NOP:
    case OP_UNKNOWN:
    case OP_COUNT:
    case OP_NONZERO:    /* folded by the compiler (ir/fold.c), never run */
    case OP_EINSUM:     /* lowered by the compiler (passes/einsum.c), never run */
    case OP_IF:         /* inlined by the compiler (passes/control.c), never run */
    case OP_LOOP:
    case OP_SCAN:
    case OP_SEQUENCEMAP:
    case OP_CONCATFROMSEQUENCE: /* resolved by the compiler (passes/control.c), never run */
    case OP_OPTIONAL: case OP_OPTIONALGETELEMENT: case OP_OPTIONALHASELEMENT:
    case OP_SEQUENCEAT: case OP_SEQUENCECONSTRUCT: case OP_SEQUENCEEMPTY: case OP_SEQUENCEERASE:
    case OP_SEQUENCEINSERT: case OP_SEQUENCELENGTH: case OP_SPLITTOSEQUENCE:
        return 0;
    /* float32 only (passes/pipeline.c refuses the rest for the CPU, and so here) */
    case OP_CONV: case OP_CONVTRANSPOSE: case OP_GEMM: case OP_MATMUL:
    case OP_AVERAGEPOOL: case OP_MAXPOOL: case OP_LPPOOL: case OP_GLOBALAVERAGEPOOL:
    case OP_GLOBALMAXPOOL: case OP_BATCHNORMALIZATION: case OP_INSTANCENORMALIZATION:
    case OP_LAYERNORMALIZATION: case OP_LRN: case OP_SOFTMAX: case OP_LOGSOFTMAX: case OP_HARDMAX:
    case OP_QUANTIZELINEAR: case OP_DYNAMICQUANTIZELINEAR:
    case OP_GRU: case OP_LSTM: case OP_RNN:
        return M_F32;
    case OP_REDUCEL1: case OP_REDUCEL2: case OP_REDUCELOGSUM: case OP_REDUCELOGSUMEXP:
    case OP_REDUCEMAX: case OP_REDUCEMEAN: case OP_REDUCEMIN: case OP_REDUCEPROD:
    case OP_REDUCESUM: case OP_REDUCESUMSQUARE: case OP_ARGMAX: case OP_ARGMIN:
        return M_RED;
    /* int8: DequantizeLinear's integer input, the 8-bit operands of the integer products */
    case OP_DEQUANTIZELINEAR:
        return M_QUANT | B(DT_I32);
    case OP_CONVINTEGER: case OP_MATMULINTEGER: case OP_QLINEARCONV: case OP_QLINEARMATMUL:
        return B(DT_U8) | B(DT_I8);
    case OP_CUMSUM:
    case OP_TOPK:
        return M_RED & ~B(DT_BOOL);
    case OP_BITSHIFT:
        return M_INT;
    case OP_WHERE:
        return B(DT_BOOL);
    case OP_CONSTANTOFSHAPE:
        return B(DT_I64);
    case OP_RANGE:
        return M_RANGE;
    default:
        /* the elementwise ops, Cast, and data movement (Resize's other modes: target_can_run) */
        return M_ANY;
    }
}

uint32_t
target_support(ProcBackend b, OpKind op)
{
    if ((unsigned)op >= OP_COUNT || op == OP_NOP || op == OP_UNKNOWN)
        return 0;
    switch (b) {
    case PB_CPU:
    case PB_OPENCL:
        return row(op);
    case PB_SIMULATED:
        return M_ANY;
    }
    return 0;
}
