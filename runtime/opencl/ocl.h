/*
 * ocl.h: the OpenCL backend of libhetrt: devices, programs, buffers and the GEMM that the
 * OpenCL kernels build on. The backend targets the OpenCL 1.2 API, so any 1.2 or later driver
 * works (PoCL on a CPU, GPU drivers).
 *
 * An OclDev is one device with its context and an in-order, profiling command queue. Every call
 * that can fail returns an RtStatus: RT_OK, RT_ENOMEM, or RT_ECL with the failing CL call, the
 * source line and the CL error name in rt_ctx_error(ctx) (see ocl_check). Nothing here exits.
 *
 * Programs are built once per device from the sources embedded at build time
 * (runtime/opencl/kernels/<name>.cl), and their binaries are cached on disk: in $HETC_CL_CACHE
 * (the value "off" turns the cache off), else $XDG_CACHE_HOME/hetc/cl, else ~/.cache/hetc/cl.
 *
 * One OclDev serves one thread at a time.
 */
#pragma once

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <stddef.h>
#include <stdint.h>

#include "../rt_backend.h"

/* ---- devices ------------------------------------------------------------------------------- */

typedef struct OclDevInfo {
    int index;                  /* over all platforms in order, then their devices in order */
    char name[256];             /* CL_DEVICE_NAME */
    char platform[256];         /* CL_PLATFORM_NAME */
    char platform_version[256]; /* CL_PLATFORM_VERSION */
    char version[128];          /* CL_DEVICE_VERSION */
    char driver[128];           /* CL_DRIVER_VERSION */
    int gpu, cpu;               /* 1 when CL_DEVICE_TYPE includes GPU or CPU */
    int compute_units;
    int unified;                /* CL_DEVICE_HOST_UNIFIED_MEMORY: buffers can be zero-copy */
    int fma;                    /* single precision has a hardware fused multiply-add */
    int fp64;                   /* doubles (CL_DEVICE_DOUBLE_FP_CONFIG not 0: cl_khr_fp64) */
    int exact_div;              /* float division and sqrt round correctly on request
                                 * (-cl-fp32-correctly-rounded-divide-sqrt) */
    int vec_float;              /* preferred float vector width */
    size_t max_wg;              /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
    uint64_t global_mem, local_mem, max_alloc;     /* bytes */
} OclDevInfo;

typedef struct OclDev OclDev;

/* Fills info[0 .. min(cap, n)) with the devices found, *n = their count. With no platform at
 * all this is RT_ECL naming clGetPlatformIDs. */
int ocl_list(RtCtx *ctx, OclDevInfo *info, int cap, int *n);

/* Opens a device: spec NULL or "" picks the first GPU, else the first device; a decimal number
 * picks by index (OclDevInfo.index); any other text picks the first device whose name or
 * platform name contains it, ignoring case. RT_ECL when nothing matches. *out is owned; close
 * it with ocl_close. Failures are recorded in ctx, which d keeps using: ctx must outlive d. */
int ocl_open(RtCtx *ctx, const char *spec, OclDev **out);
/* Opens the device a processor of a plan names (exec.h, RtProc): index >= 0 picks by index;
 * platform and device (NULL: any) must be contained in the platform's and the device's names
 * (any case); all three unset: ocl_open's rule on $HETC_CL_DEVICE. */
int ocl_open_match(RtCtx *ctx, const char *platform, const char *device, int index,
                   OclDev **out);
void ocl_close(OclDev *d);
const OclDevInfo *ocl_info(const OclDev *d);
cl_context ocl_context(const OclDev *d);
cl_command_queue ocl_queue(const OclDev *d);
/* Waits until every command queued on d is done. */
int ocl_finish(OclDev *d);

/* ---- errors -------------------------------------------------------------------------------- */

/* The name of a CL error code ("CL_INVALID_VALUE"), or "unknown OpenCL error". */
const char *ocl_errname(cl_int err);
/* RT_OK when err is CL_SUCCESS; else records "<call> failed: <name> (<code>) at <file>:<line>"
 * in ctx and returns RT_ECL. call may be a whole call's text: only the name before '(' is kept. */
int ocl_check(RtCtx *ctx, cl_int err, const char *call, const char *file, int line);
/* The status of a CL call that returns its error: OCL_CALL(ctx, clFinish(q)). */
#define OCL_CALL(ctx, call) ocl_check((ctx), (call), #call, __FILE__, __LINE__)
/* The status of a CL call that reported err through its errcode_ret argument. */
#define OCL_ERR(ctx, err, fn) ocl_check((ctx), (err), #fn, __FILE__, __LINE__)

/* ---- programs and kernels ------------------------------------------------------------------ */

/* The text of the embedded kernels/<name>.cl, or NULL (generated at build time). */
const char *ocl_source(const char *name);

/* Makes d build its programs from a plan's own sources (its NAME.cl, embedded in the plan):
 * program names[i] is texts[i]; a program not among them is then an error. The arrays must
 * outlive d. */
void ocl_use_sources(OclDev *d, int n, const char *const *names, const char *const *texts);
/* The source text of program name on d: the plan's (ocl_use_sources) or else the embedded one;
 * NULL when there is none. */
const char *ocl_dev_source(const OclDev *d, const char *name);

/* The program built from the embedded source name with the given build options (NULL: none):
 * built on the first call for these options, then kept by d, which releases it. A build failure
 * is RT_ECL with the first lines of the build log. */
int ocl_program(OclDev *d, const char *name, const char *options, cl_program *out);
/* The same for a source text; tag names its cache files ("gemm"). */
int ocl_program_src(OclDev *d, const char *tag, const char *src, const char *options,
                    cl_program *out);
/* A kernel of ocl_program(d, name, options), made once and kept by d. */
int ocl_kernel(OclDev *d, const char *name, const char *options, const char *kernel,
               cl_kernel *out);

/* Where the binary cache lives: "" when it is off. */
const char *ocl_cache_dir(const OclDev *d);

typedef struct OclStats {
    int builds;                 /* programs compiled from source */
    int cache_loads;            /* programs loaded from a cached binary */
    int cache_rejects;          /* cache files that could not be used (and were rebuilt) */
    int cache_writes;           /* cache files written */
    int tunes;                  /* GEMM searches run (not read from the cache) */
} OclStats;
OclStats ocl_stats(const OclDev *d);

/* ---- buffers ------------------------------------------------------------------------------- */

typedef struct OclBuf {
    cl_mem mem;
    size_t bytes;
    void *host;                 /* the host memory of a zero-copy buffer, else NULL */
} OclBuf;

/* A device buffer of bytes (> 0), zero-copy over host memory when the device shares the host's
 * memory. *out is owned: free it with ocl_buf_free. */
int ocl_buf_new(OclDev *d, size_t bytes, OclBuf **out);
/* Waits for d's queue, then frees b (NULL is fine). */
void ocl_buf_free(OclDev *d, OclBuf *b);
/* Blocking copies between host memory and b's bytes [off, off + n). */
int ocl_buf_write(OclDev *d, OclBuf *b, size_t off, const void *src, size_t n);
int ocl_buf_read(OclDev *d, const OclBuf *b, size_t off, void *dst, size_t n);

/* The time a profiled command (a kernel) took on the device, in ms, once it is done. */
int ocl_event_ms(OclDev *d, cl_event ev, double *ms);

/* ---- GEMM (gemm.c, kernels/gemm.cl) --------------------------------------------------------- */

/* The blocking of a GEMM kernel (see kernels/gemm.cl). */
typedef struct OclGemmCfg {
    int local;                  /* 1: sgemm_local, 0: sgemm_direct */
    int tm, tn;                 /* the tile of C of a work-group */
    int tk;                     /* the depth of the slices staged in local memory */
    int wm, vw, nv;             /* a work-item's block: wm rows of nv vectors of vw floats */
    int spill;                  /* sgemm_local: accumulators go through C between slices */
} OclGemmCfg;

/* C[m,n] = A[m,k] B[k,n]: float32, row-major, dense, from offset 0 of each buffer; any sizes
 * whose products fit in an int. Queued on d's queue (not waited for); ev, if not NULL, gets the
 * kernel's event (release it). The first call on d picks the kernel's blocking: from the cache,
 * or by building and timing every candidate (ocl_gemm_candidates) on this device, which takes
 * a few seconds on PoCL when its own compiler cache is cold, a fraction of one otherwise. */
int ocl_sgemm(OclDev *d, int64_t m, int64_t n, int64_t k, const OclBuf *a, const OclBuf *b,
              OclBuf *c, cl_event *ev);
/* The same with a given blocking, for tests and the tuner. */
int ocl_sgemm_cfg(OclDev *d, const OclGemmCfg *cfg, int64_t m, int64_t n, int64_t k,
                  const OclBuf *a, const OclBuf *b, OclBuf *c, cl_event *ev);
/*
 * The general product, for the ops: for each z < batch, C_z = act(alpha op(A_z) B_z + beta E_z)
 * with C_z [m, n], op(A_z) [m, k] and B_z [k, n]: float32, each operand at its own element
 * offset into its buffer (OclTensor.off / 4: no sub-buffers) and z times its batch stride past
 * that. Rows of A (as stored), B and C lie lda, ldb and ldc floats apart; with trans_a, A is
 * stored [k, m]. E's element (i, j) is at eoff + i * ei + j * ej, so a stride of 0 broadcasts
 * (a bias per row: ei = 1, ej = 0); e NULL: none. fuse (NULL: none) is applied last, as the
 * CPU's cpu_act_apply does. C must not overlap A, B or E. Every index within one product must
 * fit in an int (else RT_EUNSUPPORTED). Queued like ocl_sgemm, with the tuned blocking.
 *
 * A B whose rows would alias in the caches (see ocl_gemm_ldb) is copied to d's scratch buffer
 * with longer rows first; a caller that stages B itself (im2col) writes it with
 * ocl_gemm_ldb(n, k) floats per row, which the GEMM then takes as it is. Tuning (the first
 * ocl_gemm or ocl_sgemm on d) goes through the scratch too: call ocl_gemm_tuned before staging.
 */
typedef struct OclGemmArgs {
    int64_t m, n, k;
    int64_t batch;              /* products; 0 counts as 1 */
    cl_mem a, b, c, e;
    int64_t aoff, boff, coff, eoff;     /* elements from the start of each buffer */
    int64_t lda, ldb, ldc;      /* row strides in floats */
    int trans_a;
    int64_t ei, ej;             /* E's strides per row and per column; 0 repeats */
    int64_t za, zb, zc, ze;     /* strides from one product to the next, in floats */
    float alpha, beta;          /* alpha: 1 for a plain product; beta scales E */
    const Fused *fuse;
} OclGemmArgs;

int ocl_gemm(OclDev *d, const OclGemmArgs *g, cl_event *ev);
int ocl_gemm_cfg(OclDev *d, const OclGemmCfg *cfg, const OclGemmArgs *g, cl_event *ev);
/* The row length in floats the GEMM wants for a B of k rows of n: n, or a little more when rows
 * n floats apart would map onto few cache sets. */
int64_t ocl_gemm_ldb(int64_t n, int64_t k);

/* The blockings tried on d: fills cfg[0 .. min(cap, count)), returns the count. */
int ocl_gemm_candidates(const OclDev *d, OclGemmCfg *cfg, int cap);
/* The blocking ocl_sgemm uses on d (searching for it if not done yet). */
int ocl_gemm_tuned(OclDev *d, OclGemmCfg *cfg);
