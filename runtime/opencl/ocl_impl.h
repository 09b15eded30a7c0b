/*
 * ocl_impl.h: what the OpenCL backend's files share beyond ocl.h: the device structure, the
 * programs and kernels it keeps, and the on-disk cache helpers (program.c) that the GEMM tuner
 * (gemm.c) uses for its own records.
 */
#pragma once

#include "ocl.h"

#include <stdint.h>

/* A kernel made from a program, kept until the device closes. */
typedef struct OclKernel {
    struct OclKernel *next;
    char name[64];
    cl_kernel kernel;
} OclKernel;

/* A built program, keyed by the hash of its source and options (cache_key). */
typedef struct OclProgram {
    struct OclProgram *next;
    uint64_t key;
    const char *src;            /* a stable source (get_program), with its options; else NULL */
    char *options;
    cl_program program;
    OclKernel *kernels;
} OclProgram;

struct OclDev {
    RtCtx *ctx;                 /* where failures are recorded; not owned */
    OclDevInfo info;
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    char cache[1024];           /* the binary cache's folder; "" when off */
    OclProgram *programs;       /* newest first */
    OclStats stats;
    int gemm_tuned;             /* gemm_cfg holds the tuned blocking */
    OclGemmCfg gemm_cfg;
    OclGemmCfg last_cfg;        /* the blocking of last_kernel, the GEMM kernel used last */
    cl_kernel last_kernel;      /* (not owned: one of programs' kernels) */
    OclBuf *scratch;            /* the GEMM's padded copy of B; grows, never shrinks */
    int nplan;                  /* ocl_use_sources: the plan's programs (plan_names NULL: the */
    const char *const *plan_names;      /* library's embedded ones) */
    const char *const *plan_texts;
};

/* The FNV-1a 64 hash of what identifies a build on d: device name, driver version, platform
 * version, then each of the n strings part[i] (build options, source text), with separators. */
uint64_t ocl_cache_key(const OclDev *d, const char *const *part, int n);

/* The path of the cache file tag-<key>.<ext> in buf, or 0 when the cache is off or the path
 * does not fit. */
int ocl_cache_path(const OclDev *d, const char *tag, uint64_t key, const char *ext, char *buf,
                   size_t cap);

/* Writes data to path through a temporary file and a rename, creating the folder as needed;
 * 0 on success, -1 otherwise (the cache is only an optimisation: callers go on). */
int ocl_cache_write(const char *path, const void *data, size_t n);

/* A kernel argument: its size and where its value is. */
typedef struct OclArg {
    size_t size;
    const void *value;
} OclArg;
#define OCL_ARG(x) ((OclArg){sizeof(x), &(x)})

/* A kernel's arguments set one after another (ocl_arg*): the first failure stays in rc and the
 * rest are skipped. wide: the kernel's IDX type is long (else int). */
typedef struct OclArgs {
    OclDev *d;
    cl_kernel k;
    cl_uint i;
    int wide;
    int rc;
} OclArgs;
void ocl_arg(OclArgs *g, size_t size, const void *p);
void ocl_arg_int(OclArgs *g, int v);
/* an IDX: long or int as g->wide says */
void ocl_arg_idx(OclArgs *g, int64_t v);
/* an IDX8 holding v[0 .. n) then fill */
void ocl_arg_idx8(OclArgs *g, const int64_t *v, int n, int64_t fill);

/* The work-items of a work-group for the simple kernels: a power of two, large on CPUs, whose
 * drivers (PoCL) run a work-group as a loop and each group as a task, 256 on GPUs, never past
 * the device's limit. One size for every launch, so that drivers that compile per work-group
 * size compile few variants. */
size_t ocl_group_size(const OclDev *d);

/* The unsigned OpenCL type of bytes bytes (1, 2, 4 or 8: "uchar" ... "ulong"), else NULL: the
 * unit of kernels that move elements as bits. */
const char *ocl_uint_type(size_t bytes);

/* d's scratch buffer, grown to at least bytes (the old one is freed once the queue is idle): the
 * GEMM's padded copy of B, Conv's and the integer convolutions' patches. */
int ocl_scratch(OclDev *d, size_t bytes, cl_mem *out);

/* Sets the n arguments of kernel name of program file (kernels/<file>.cl, built with options,
 * NULL: none; an argument with a NULL value is local memory of that size) and enqueues it over
 * global (dims sizes) in work-groups of local (NULL: the driver's choice). Nothing is enqueued
 * when one of the sizes is 0. */
int ocl_launch(OclDev *d, const char *file, const char *options, const char *name,
               const OclArg *arg, int n, int dims, const size_t *global, const size_t *local);
