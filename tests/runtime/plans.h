/*
 * plans.h: hand-written plan tables of a CPU lane and an OpenCL lane, shared by test_exec_ocl.c
 * and plan_binary.c: x (input) -> a = x * x on cpu0; b = a + w on ocl0 (w a constant of the
 * weights file); y = a + b on cpu0 (output 0), y2 = b * b (output 1) on ocl0, and in the
 * own-space variant z = a + a (output 2), left on the device and read back. On host memory
 * (zero-copy) or in a space of ocl0's own, with Copy steps both ways.
 */
#pragma once

#include "exec_kit.h"
#include "runtime/opencl/ops.h"

enum { N = 1000 };

static const char *const names[] = {"node 0 \"sq\" (Mul)", "node 1 \"dbl\" (Add)",
                                    "node 2 \"join\" (Add)", "node 3 \"copy\" (Copy)"};
static const char *const ops[] = {"Mul", "Add", "Add", "Copy"};
static float wdata[N];

/* x input, a b arena, y output 0, w constant, y2 output 1; then device tensors a_d, b_d, y2_d
 * and z_d (output 2, left on the device: read back) */
static const RtTensor shape[] = {F32(N), F32(N), F32(N), F32(N), F32(N),
                                 F32(N), F32(N), F32(N), F32(N), F32(N)};
static const int input[] = {0}, output2[] = {3, 5}, output3[] = {3, 5, 9};

static const RtProc procs[] = {
    {.id = "cpu0", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1, .space = 0},
    {.id = "ocl0", .backend = RT_BACKEND_OPENCL, .threads = 1, .cl_index = -1, .space = 0},
};
static const RtProc procs_own[] = {
    {.id = "cpu0", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1, .space = 0},
    {.id = "ocl0", .backend = RT_BACKEND_OPENCL, .threads = 1, .cl_index = -1, .space = 1},
};

/* zero-copy: cpu0: a = x * x; (wait ocl0 1) y = a + b. ocl0: (wait cpu0 1) b = a + w;
 * y2 = b * b */
static const RtPlace place_zc[] = {{'i', 0, 0}, {'a', 0, 0}, {'a', 4096, 0}, {'o', 0, 0},
                                   {'w', 0, 0}, {'o', 1, 0}, {'-', 0, 0}, {'-', 0, 0},
                                   {'-', 0, 0}, {'-', 0, 0}};
static const RtSpace space_zc[] = {{.host = 1, .arena_bytes = 8192}};
static const int operand_zc[] = {0, 0, 1, /* */ 1, 2, 3, /* */ 1, 4, 2, /* */ 2, 2, 5};
static const int waits[] = {1, 1, /* */ 0, 1, /* */ 1, 3};
static const RtStep zc_cpu[] = {
    /* node 0 "sq" (Mul) */
    {RT_FN(kit_slow_mul), &kit_none, 0, 2, 1, 0, 0, 1, 0},
    /* node 2 "join" (Add) */
    {RT_FN(cpu_add), &kit_none, 3, 2, 1, 0, 1, 0, 2},
};
static const RtStep zc_ocl[] = {
    /* node 1 "dbl" (Add) */
    {RT_FN(ocl_op_add), &kit_none, 6, 2, 1, 1, 1, 1, 1},
    /* node 0 "sq" (Mul) */
    {RT_FN(ocl_op_mul), &kit_none, 9, 2, 1, 0, 0, 0, 0},
};

/* own space: cpu0: a = x * x; (wait ocl0 3) y = a + b. ocl0: (wait cpu0 1) copy a -> a_d;
 * b_d = a_d + w; copy b_d -> b; y2_d = b_d * b_d; copy y2_d -> y2; z_d = a_d + a_d */
static const RtPlace place_own[] = {{'i', 0, 0}, {'a', 0, 0}, {'a', 4096, 0}, {'o', 0, 0},
                                    {'w', 0, 0}, {'o', 1, 0}, {'a', 0, 1}, {'a', 4096, 1},
                                    {'a', 8192, 1}, {'a', 12288, 1}};
static const RtSpace space_own[] = {{.host = 1, .arena_bytes = 8192},
                                    {.host = 0, .owner = 1, .arena_bytes = 16384,
                                     .weights_bytes = 4096}};
static const RtWeightUse wuse[] = {{4, 1, 0}};
static const int operand_own[] = {0, 0, 1, /* */ 1, 2, 3, /* */ 1, 6, /* */ 6, 4, 7,
                                  /* */ 7, 2, /* */ 7, 7, 8, /* */ 8, 5, /* */ 6, 6, 9};
static const RtStep own_cpu[] = {
    {RT_FN(kit_slow_mul), &kit_none, 0, 2, 1, 0, 0, 1, 0},
    {RT_FN(cpu_add), &kit_none, 3, 2, 1, 2, 1, 0, 2},
};
static const RtStep own_ocl[] = {
    /* node 3 "copy" (Copy) */
    {NULL, NULL, 6, 1, 1, 1, 1, 0, 3},
    {RT_FN(ocl_op_add), &kit_none, 8, 2, 1, 0, 0, 0, 1},
    {NULL, NULL, 11, 1, 1, 0, 0, 1, 3},
    {RT_FN(ocl_op_mul), &kit_none, 13, 2, 1, 0, 0, 0, 0},
    {NULL, NULL, 16, 1, 1, 0, 0, 0, 3},
    {RT_FN(ocl_op_add), &kit_none, 18, 2, 1, 0, 0, 0, 1},
};


static const RtLaneDesc own_lanes[] = {{0, 2, own_cpu, NULL}, {1, 6, own_ocl, NULL}};
static const RtLaneDesc zc_lanes[] = {{0, 2, zc_cpu, NULL}, {1, 2, zc_ocl, NULL}};

/* The plan in ocl0's own space (own: 1) or on host memory, with processors proc, for a weights
 * file of wdata with checksum sum. */
static inline RtPlanDesc
plans_desc(int own, const RtProc *proc, uint64_t sum)
{
    return (RtPlanDesc){
        .name = "t", .ntensor = 10, .shape = shape, .place = own ? place_own : place_zc,
        .ninput = 1, .noutput = own ? 3 : 2, .input = input, .output = own ? output3 : output2,
        .nspace = own ? 2 : 1, .space = own ? space_own : space_zc, .nproc = 2, .proc = proc,
        .nlane = 2, .lane = own ? own_lanes : zc_lanes,
        .operand = own ? operand_own : operand_zc, .wait = waits, .nweight_use = own,
        .weight_use = wuse, .weights_bytes = sizeof wdata, .weights_sum = sum, .nsteps = 4,
        .step_name = names, .step_op = ops};
}
