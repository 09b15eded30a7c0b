/*
 * target.h: the machine a plan is made for. A Target lists processors (what runs steps), memory
 * spaces (where tensors live) and links between spaces (what crossing costs), read from a device
 * description (docs/devices.md, validated against devices/hetc-devices.xsd) or detected from the
 * host. Every strategy reads it; nothing downstream of placement needs more.
 *
 * Processors and spaces are referred to by index. Two spaces joined by a zero-copy link are one
 * memory for planning (target_mem): one arena seen by both processors, no copies between them.
 * Space 0 is always the host's memory, where the CPU, the weights file and the caller's input and
 * output buffers are.
 */
#pragma once

#include "ir/ir.h"

enum {
    TG_MAXPROC = 16,
    TG_MAXSPACE = 16,
    TG_MAXLINK = 64,
    TG_MAXCORE = 1024,          /* core numbers are below this */
    TG_MAXID = 64,              /* ids, with their NUL */
    TG_MAXRATE = 96,            /* rates of one processor */
};

typedef enum ProcKind { PK_CPU, PK_GPU, PK_NPU } ProcKind;
/* cpu: libhetrt's CPU kernels; opencl: its OpenCL ops on a device found at run time; simulated:
 * planned and predicted for, never run (issue 11) */
typedef enum ProcBackend { PB_CPU, PB_OPENCL, PB_SIMULATED } ProcBackend;

/* The op classes that measured rates are given for (read if present; hetc profile measures
 * them). */
typedef enum CostClass {
    CC_CONV, CC_DEPTHWISE, CC_GEMM, CC_ELTWISE, CC_REDUCE, CC_MOVE, CC_COPY, CC_COUNT
} CostClass;

/* A rate of one processor for one op class (or one op of it), at one thread count: a step of the
 * class is predicted to take (passes/cost.h)
 *     launch_us + flops / gflops * (1 + m_half / M + n_half / N + k_half / K) + bytes / gbps
 * microseconds (GFLOP/s and GB/s taken as 1e3 per us), where M, N and K are the step's GEMM shape
 * (the terms are left out for a class that is not GEMM-shaped, and so is a term whose figure is
 * 0: a rate with no gflops has no compute term, one with no gbps no memory term). Written by hetc
 * profile from measurements, or by hand from published figures for simulated processors. */
typedef struct Rate {
    CostClass cls;
    int op;                     /* an OpKind this rate is for alone, or -1: the whole class */
    int threads;                /* the thread count it was measured at; 0: any */
    double gflops, gbps;        /* 0: no such term */
    double launch_us;           /* per step, on top of the processor's launch_us */
    double m_half, n_half, k_half;
    int line;                   /* in the description; 0 when made in memory */
} Rate;

typedef struct Proc {
    char id[TG_MAXID];          /* "cpu0": unique, [A-Za-z_][A-Za-z0-9_.-]* */
    ProcKind kind;
    ProcBackend backend;
    int threads;                /* worker threads; 0: the backend's default (--threads, or 1) */
    int ncore;                  /* cores its threads are pinned to; 0: not pinned */
    int core[64];               /* the first 64 of them, ascending */
    /* OpenCL: the device is the first whose platform name and device name contain these (any
     * case; "" matches all); cl_index >= 0 picks by index over all platforms' devices instead */
    char cl_platform[128], cl_device[128];
    int cl_index;
    int space;                  /* its memory space (index into Target.space) */
    /* what it can run: bit d of can[op] set when it runs op on dtype d (DType); the backend's
     * support (target_support) narrowed by the description, never widened */
    uint32_t can[OP_COUNT];
    /* measured or published figures, 0 when absent (passes/cost.h says what stands in) */
    int nrate;
    Rate rate[TG_MAXRATE];
    double launch_us;           /* per step, whatever its class */
    double sync_us;             /* per wait across lanes: the executor's handoff */
    /* GB/s at which its steps read a tensor that a processor of the same memory wrote (the
     * bytes cross between the two's caches); 0: free */
    double handoff_gbps;
    int line;                   /* in the description, for messages; 0 when detected */
} Proc;

typedef struct Space {
    char id[TG_MAXID];
    int host;                   /* 1: the host's memory (space 0 only) */
    int line;
} Space;

typedef struct Link {
    int a, b;                   /* spaces, either direction */
    double gbps;                /* bandwidth from a to b, GB/s; 0 unknown */
    double latency_us;
    int zero_copy;              /* 1: one memory seen by both: no copies between a and b */
    int line;
    double back_gbps, back_latency_us;  /* from b to a; 0: as from a to b */
    double map_gbps, map_latency_us;    /* by mapping rather than copying (measured, shown) */
} Link;

typedef struct Contention {
    int a, b;                   /* processors */
    double factor;              /* a's steps take factor x as long while b is busy (>= 1) */
    int line;
} Contention;

typedef struct Target {
    char file[1024];            /* the description, or "" when detected */
    char name[128];             /* <platform name="..."> */
    /* where the figures come from, for messages and plan.json: "" when the description has
     * none; else <measured>'s words, "hetc profile --quick on AMD EPYC ..., 2026-12-07" */
    char measured[512];
    int nproc;
    Proc proc[TG_MAXPROC];
    int nspace;
    Space space[TG_MAXSPACE];
    int nlink;
    Link link[TG_MAXLINK];
    int ncont;
    Contention cont[TG_MAXLINK];
} Target;

/* What the host has, found by the caller (the driver asks the OpenCL runtime): passes/ links no
 * OpenCL. The compiler checks a description's OpenCL processors against it. */
typedef struct TargetHostDev {
    int index;                  /* over all platforms' devices, in order */
    char name[256], platform[256];
    int gpu, cpu;               /* CL_DEVICE_TYPE */
    int unified;                /* CL_DEVICE_HOST_UNIFIED_MEMORY */
    int fp64;                   /* cl_khr_fp64: float64 (and what the ops compute in double) */
    int compute_units;
} TargetHostDev;

typedef struct TargetHost {
    int ncpu;                   /* online cores */
    char cpu_name[256];
    int ndev;                   /* OpenCL devices; -1: OpenCL could not be asked */
    TargetHostDev dev[TG_MAXPROC];
} TargetHost;

/* Reads and validates a device description: 0, or -1 with "FILE:LINE: what" in d (bad input,
 * exit 2). The parser loads nothing the document names (no DTD, entity or XInclude, no
 * network) and refuses entity expansion. OpenCL processors must match a device of host (when
 * host is not NULL and host->ndev >= 0). */
int target_load(Target *t, const char *path, const TargetHost *host, Diag *d);
/* The same from memory (fuzzing, tests); name stands for the file in messages. */
int target_parse(Target *t, const char *xml, size_t len, const char *name, const TargetHost *host,
                 Diag *d);
/* The host as a target: "cpu0" (every core, space "host"), then "ocl0", "ocl1", ... one per
 * OpenCL device, in the host's space behind a zero-copy link when the device shares the host's
 * memory, else in a space of its own behind a copy link. */
int target_detect(Target *t, const TargetHost *host, Diag *d);

/* The index of processor id, or -1. */
int target_find(const Target *t, const char *id);
/* The first processor of backend b (PB_CPU, PB_OPENCL), or -1. */
int target_first(const Target *t, ProcBackend b);
/* The memory a space belongs to: the lowest-numbered space joined to it by zero-copy links. Two
 * processors share memory when target_mem of their spaces is equal. */
int target_mem(const Target *t, int space);
/* The link between two spaces, or NULL. */
const Link *target_link(const Target *t, int a, int b);

/* The dtype a node is computed in, for the support table: its first present input's, else its
 * first output's. */
DType target_node_dtype(const Graph *g, const Node *x);
/* 1 when processor p can run node n (op and dtype), else 0. */
int target_can_run(const Target *t, int p, const Graph *g, NodeId n);

/* support.c: what each real backend runs, ops x dtypes, the one table the compiler consults (a
 * unit test holds it equal to the runtime's cpu_kernel[] and ocl_op[]). Bit d of the result set
 * when backend b has a kernel for op on dtype d; 0 for an op it lacks. PB_SIMULATED: all. */
uint32_t target_support(ProcBackend b, OpKind op);

const char *target_kind_name(ProcKind k);          /* "cpu" */
const char *target_backend_name(ProcBackend b);    /* "cpu", "opencl", "simulated" */
