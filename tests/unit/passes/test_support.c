/*
 * test_support.c: the support table (passes/support.c) against the runtime's kernel tables. An
 * op is listed for the cpu backend exactly when cpu_kernel[] has it, and for opencl exactly when
 * ocl_op[] has it (Copy aside: the executor copies, so both list it; NOP and UNKNOWN are never
 * listed). Every op the table gives float32 alone is then run on the CPU with a tiny int32 tensor
 * and must be refused with RT_EUNSUPPORTED, except the few whose kernels trust the compiler to
 * give them float32 (listed below: run on int32 they would read the integers as floats, so they
 * are not run). The program links the whole runtime, since the tables name their kernels
 * weakly.
 */
#include "passes/target.h"
#include "runtime/opencl/ops.h"
#include "runtime/rt_backend.h"

#include <string.h>

#include "../test.h"

/* Float32-only ops whose CPU kernel does not check the dtype itself: the compiler's refusal
 * (this table, and passes/pipeline.c) is their only guard. */
static int
unchecked(OpKind op)
{
    return op == OP_CONV || op == OP_CONVTRANSPOSE || op == OP_GEMM || op == OP_MATMUL;
}

/* The CPU kernel of a float32-only op on int32 tensors of shape [1, 1, 2, 2] (and [1] for its
 * other inputs): its status. */
static int
run_int32(RtCtx *ctx, OpKind op)
{
    int32_t data[5][4];
    memset(data, 0, sizeof data);
    RtTensor t[5], y[2];
    RtTensor *in[5], *out[2];
    int64_t axes0[2] = {1, 1};
    Attr a;
    memset(&a, 0, sizeof a);
    for (int i = 0; i < 5; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].data = data[i];
        t[i].dt = DT_I32;
        t[i].rank = i == 0 ? 4 : 1;
        t[i].dim[0] = 1;
        t[i].dim[1] = 1;
        t[i].dim[2] = 2;
        t[i].dim[3] = 2;
        in[i] = &t[i];
    }
    int32_t ydata[2][4];
    for (int i = 0; i < 2; i++) {
        y[i] = t[0];
        y[i].data = ydata[i];
        out[i] = &y[i];
    }
    switch (op) {
    case OP_AVERAGEPOOL: case OP_MAXPOOL: case OP_LPPOOL:
        a.pool.kernel = (Ints){2, axes0};
        a.pool.p = 2;
        break;
    case OP_SOFTMAX: case OP_LOGSOFTMAX: case OP_HARDMAX:
        a.axis.axis = -1;
        break;
    case OP_LRN:
        a.lrn = (LrnAttr){.alpha = 1e-4f, .beta = 0.75f, .bias = 1, .size = 1};
        break;
    default:        /* the normalisations */
        a.norm.epsilon = 1e-5f;
        a.norm.axis = -1;
        break;
    }
    return cpu_kernel[op](ctx, &a, in, ir_op[op].inmin, out, 1);
}

int
main(void)
{
    RtCtx *ctx = rt_ctx_new(1);
    CHECK(ctx != NULL);
    for (int i = 0; i < OP_COUNT; i++) {
        OpKind op = (OpKind)i;
        uint32_t c = target_support(PB_CPU, op), o = target_support(PB_OPENCL, op);
        if (op == OP_NOP || op == OP_UNKNOWN) {
            CHECK(c == 0 && o == 0 && target_support(PB_SIMULATED, op) == 0);
            continue;
        }
        CHECK(target_support(PB_SIMULATED, op) != 0);
        if (op == OP_COPY) {
            CHECK(c != 0 && o != 0);
            continue;
        }
        if ((c != 0) != (cpu_kernel[op] != NULL))
            fprintf(stderr, "%s: the table says %s on the CPU, cpu_kernel[] %s\n", ir_op[op].onnx,
                    c ? "yes" : "no", cpu_kernel[op] ? "has it" : "lacks it");
        if ((o != 0) != (ocl_op[op] != NULL))
            fprintf(stderr, "%s: the table says %s on OpenCL, ocl_op[] %s\n", ir_op[op].onnx,
                    o ? "yes" : "no", ocl_op[op] ? "has it" : "lacks it");
        CHECK((c != 0) == (cpu_kernel[op] != NULL));
        CHECK((o != 0) == (ocl_op[op] != NULL));
        /* nothing listed that the compiler never makes: no strings, no complex numbers */
        CHECK(!(c & (1u << DT_STRING)) && !(c & (1u << DT_C64)) && !(c & (1u << DT_C128)));
        CHECK(!(o & (1u << DT_STRING)) && !(o & (1u << DT_C64)) && !(o & (1u << DT_C128)));
        if (c != (1u << DT_F32) || !cpu_kernel[op])
            continue;
        if (unchecked(op))
            continue;
        int rc = run_int32(ctx, op);
        if (rc != RT_EUNSUPPORTED)
            fprintf(stderr, "%s: the CPU kernel on int32 gave %d, not RT_EUNSUPPORTED\n",
                    ir_op[op].onnx, rc);
        CHECK(rc == RT_EUNSUPPORTED);
    }
    /* the float32-only rows are exactly pipeline.c's float_only() list */
    static const OpKind f32[] = {
        OP_CONV, OP_CONVTRANSPOSE, OP_GEMM, OP_MATMUL, OP_AVERAGEPOOL, OP_MAXPOOL, OP_LPPOOL,
        OP_GLOBALAVERAGEPOOL, OP_GLOBALMAXPOOL, OP_BATCHNORMALIZATION, OP_INSTANCENORMALIZATION,
        OP_LAYERNORMALIZATION, OP_LRN, OP_SOFTMAX, OP_LOGSOFTMAX, OP_HARDMAX,
        OP_QUANTIZELINEAR, OP_DYNAMICQUANTIZELINEAR,
        OP_GRU, OP_LSTM, OP_RNN};
    int nf32 = 0;
    for (int i = 0; i < OP_COUNT; i++)
        nf32 += target_support(PB_CPU, (OpKind)i) == (1u << DT_F32);
    CHECK(nf32 == (int)(sizeof f32 / sizeof f32[0]));
    for (size_t i = 0; i < sizeof f32 / sizeof f32[0]; i++)
        CHECK(target_support(PB_CPU, f32[i]) == (1u << DT_F32) &&
              target_support(PB_OPENCL, f32[i]) == (ocl_op[f32[i]] ? 1u << DT_F32 : 0u));
    /* a few rows by hand */
    CHECK(target_support(PB_CPU, OP_ADD) & (1u << DT_I64));
    CHECK(target_support(PB_CPU, OP_REDUCESUM) & (1u << DT_I32));
    CHECK(!(target_support(PB_CPU, OP_REDUCESUM) & (1u << DT_F16)));
    CHECK(target_support(PB_CPU, OP_WHERE) == (1u << DT_BOOL));
    CHECK(!(target_support(PB_CPU, OP_BITSHIFT) & (1u << DT_F32)));
    CHECK(target_support(PB_CPU, OP_COUNT) == 0);
    rt_ctx_free(ctx);
    return TEST_DONE();
}
