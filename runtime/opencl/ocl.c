/*
 * ocl.c: the OpenCL backend's device layer: the names of CL error codes, finding platforms and
 * devices and picking one from a spec, the context and command queue, buffers and transfers,
 * and timing commands by their profiling events.
 *
 * Discovery walks every platform in order and every device of each in order; that order gives
 * the device indexes that ocl_list reports and ocl_open accepts. Buffers on a device that shares
 * the host's memory (CL_DEVICE_HOST_UNIFIED_MEMORY, e.g. PoCL on a CPU, integrated GPUs) are
 * made over page-aligned host memory with CL_MEM_USE_HOST_PTR, and transfers map the buffer and
 * copy, so no second copy of the data exists; other devices get plain buffers and blocking
 * reads and writes.
 */
#include "ocl_impl.h"

#include <CL/cl_ext.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors -------------------------------------------------------------------------------- */

#define E(code) {code, #code}
static const struct {
    cl_int code;
    const char *name;
} cl_errors[] = {
    E(CL_SUCCESS), E(CL_DEVICE_NOT_FOUND), E(CL_DEVICE_NOT_AVAILABLE),
    E(CL_COMPILER_NOT_AVAILABLE), E(CL_MEM_OBJECT_ALLOCATION_FAILURE), E(CL_OUT_OF_RESOURCES),
    E(CL_OUT_OF_HOST_MEMORY), E(CL_PROFILING_INFO_NOT_AVAILABLE), E(CL_MEM_COPY_OVERLAP),
    E(CL_IMAGE_FORMAT_MISMATCH), E(CL_IMAGE_FORMAT_NOT_SUPPORTED), E(CL_BUILD_PROGRAM_FAILURE),
    E(CL_MAP_FAILURE), E(CL_MISALIGNED_SUB_BUFFER_OFFSET),
    E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST), E(CL_COMPILE_PROGRAM_FAILURE),
    E(CL_LINKER_NOT_AVAILABLE), E(CL_LINK_PROGRAM_FAILURE), E(CL_DEVICE_PARTITION_FAILED),
    E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE),
    E(CL_INVALID_VALUE), E(CL_INVALID_DEVICE_TYPE), E(CL_INVALID_PLATFORM), E(CL_INVALID_DEVICE),
    E(CL_INVALID_CONTEXT), E(CL_INVALID_QUEUE_PROPERTIES), E(CL_INVALID_COMMAND_QUEUE),
    E(CL_INVALID_HOST_PTR), E(CL_INVALID_MEM_OBJECT), E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR),
    E(CL_INVALID_IMAGE_SIZE), E(CL_INVALID_SAMPLER), E(CL_INVALID_BINARY),
    E(CL_INVALID_BUILD_OPTIONS), E(CL_INVALID_PROGRAM), E(CL_INVALID_PROGRAM_EXECUTABLE),
    E(CL_INVALID_KERNEL_NAME), E(CL_INVALID_KERNEL_DEFINITION), E(CL_INVALID_KERNEL),
    E(CL_INVALID_ARG_INDEX), E(CL_INVALID_ARG_VALUE), E(CL_INVALID_ARG_SIZE),
    E(CL_INVALID_KERNEL_ARGS), E(CL_INVALID_WORK_DIMENSION), E(CL_INVALID_WORK_GROUP_SIZE),
    E(CL_INVALID_WORK_ITEM_SIZE), E(CL_INVALID_GLOBAL_OFFSET), E(CL_INVALID_EVENT_WAIT_LIST),
    E(CL_INVALID_EVENT), E(CL_INVALID_OPERATION), E(CL_INVALID_GL_OBJECT),
    E(CL_INVALID_BUFFER_SIZE), E(CL_INVALID_MIP_LEVEL), E(CL_INVALID_GLOBAL_WORK_SIZE),
    E(CL_INVALID_PROPERTY), E(CL_INVALID_IMAGE_DESCRIPTOR), E(CL_INVALID_COMPILER_OPTIONS),
    E(CL_INVALID_LINKER_OPTIONS), E(CL_INVALID_DEVICE_PARTITION_COUNT),
    /* the ICD loader's: no platform installed */
    E(CL_PLATFORM_NOT_FOUND_KHR),
    /* later versions' codes, which a newer driver may still return (not defined for 1.2) */
    {-69, "CL_INVALID_PIPE_SIZE"}, {-70, "CL_INVALID_DEVICE_QUEUE"},
    {-71, "CL_INVALID_SPEC_ID"}, {-72, "CL_MAX_SIZE_RESTRICTION_EXCEEDED"},
};
#undef E

const char *
ocl_errname(cl_int err)
{
    for (size_t i = 0; i < sizeof cl_errors / sizeof cl_errors[0]; i++)
        if (cl_errors[i].code == err)
            return cl_errors[i].name;
    return "unknown OpenCL error";
}

/* The path of file from the project's root (CMake passes absolute paths, so __FILE__ is one). */
static const char *
project_path(const char *file)
{
    const char *p = file, *hit = NULL;
    while ((p = strstr(p, "runtime/")) != NULL) {
        if (p == file || p[-1] == '/')
            hit = p;
        p++;
    }
    return hit ? hit : file;
}

int
ocl_check(RtCtx *ctx, cl_int err, const char *call, const char *file, int line)
{
    if (err == CL_SUCCESS)
        return RT_OK;
    int n = (int)strcspn(call, "( ");
    return rt_fail(ctx, RT_ECL, "%.*s failed: %s (%d) at %s:%d", n, call, ocl_errname(err),
                   (int)err, project_path(file), line);
}

/* ---- discovery ----------------------------------------------------------------------------- */

typedef struct Found {
    cl_platform_id platform;
    cl_device_id device;
} Found;

/* Every device of every platform, in order: *list owned (free), *n of them (at least one). */
static int
find_devices(RtCtx *ctx, Found **list, int *n)
{
    cl_uint np = 0;
    cl_platform_id *plat = NULL;
    Found *found = NULL;
    int count = 0, rc;
    *list = NULL;
    *n = 0;
    if ((rc = OCL_CALL(ctx, clGetPlatformIDs(0, NULL, &np))) != RT_OK)
        return rc;
    if (np == 0)
        return rt_fail(ctx, RT_ECL, "clGetPlatformIDs found no OpenCL platform");
    if (!(plat = calloc(np, sizeof *plat)))
        return rt_fail(ctx, RT_ENOMEM, "out of memory listing OpenCL platforms");
    if ((rc = OCL_CALL(ctx, clGetPlatformIDs(np, plat, NULL))) != RT_OK)
        goto done;
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        cl_int err = clGetDeviceIDs(plat[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
        if (err == CL_DEVICE_NOT_FOUND)
            continue;   /* a platform without devices is not an error */
        if ((rc = OCL_ERR(ctx, err, clGetDeviceIDs)) != RT_OK)
            goto done;
        if (nd == 0)
            continue;
        Found *grown = realloc(found, (size_t)(count + (int)nd) * sizeof *found);
        cl_device_id *dev = calloc(nd, sizeof *dev);
        if (grown)
            found = grown;
        if (!grown || !dev) {
            free(dev);
            rc = rt_fail(ctx, RT_ENOMEM, "out of memory listing OpenCL devices");
            goto done;
        }
        rc = OCL_CALL(ctx, clGetDeviceIDs(plat[p], CL_DEVICE_TYPE_ALL, nd, dev, NULL));
        for (cl_uint i = 0; rc == RT_OK && i < nd; i++)
            found[count++] = (Found){plat[p], dev[i]};
        free(dev);
        if (rc != RT_OK)
            goto done;
    }
    if (count == 0) {
        rc = rt_fail(ctx, RT_ECL, "clGetDeviceIDs found no OpenCL device on %u platform(s)",
                     (unsigned)np);
        goto done;
    }
    *list = found;
    *n = count;
    found = NULL;
    rc = RT_OK;
done:
    free(found);
    free(plat);
    return rc;
}

/* A string property into buf, cut to fit. */
static int
device_string(RtCtx *ctx, cl_device_id dev, cl_device_info what, char *buf, size_t cap)
{
    size_t n = 0;
    int rc = OCL_CALL(ctx, clGetDeviceInfo(dev, what, 0, NULL, &n));
    char *s = rc == RT_OK ? calloc(n + 1, 1) : NULL;
    if (rc == RT_OK && !s)
        rc = rt_fail(ctx, RT_ENOMEM, "out of memory reading an OpenCL device property");
    if (rc == RT_OK)
        rc = OCL_CALL(ctx, clGetDeviceInfo(dev, what, n, s, NULL));
    if (rc == RT_OK)
        snprintf(buf, cap, "%s", s);
    free(s);
    return rc;
}

static int
platform_string(RtCtx *ctx, cl_platform_id plat, cl_platform_info what, char *buf, size_t cap)
{
    size_t n = 0;
    int rc = OCL_CALL(ctx, clGetPlatformInfo(plat, what, 0, NULL, &n));
    char *s = rc == RT_OK ? calloc(n + 1, 1) : NULL;
    if (rc == RT_OK && !s)
        rc = rt_fail(ctx, RT_ENOMEM, "out of memory reading an OpenCL platform property");
    if (rc == RT_OK)
        rc = OCL_CALL(ctx, clGetPlatformInfo(plat, what, n, s, NULL));
    if (rc == RT_OK)
        snprintf(buf, cap, "%s", s);
    free(s);
    return rc;
}

#define DEVICE_VALUE(ctx, dev, what, var)                                                          \
    OCL_CALL(ctx, clGetDeviceInfo(dev, what, sizeof(var), &(var), NULL))

static int
describe(RtCtx *ctx, const Found *f, int index, OclDevInfo *info)
{
    cl_device_type type = 0;
    cl_uint units = 0, vec = 0;
    cl_bool unified = CL_FALSE;
    cl_device_fp_config fp = 0, dfp = 0;
    size_t wg = 0;
    cl_ulong global = 0, local = 0, alloc = 0;
    memset(info, 0, sizeof *info);
    info->index = index;
    int rc = device_string(ctx, f->device, CL_DEVICE_NAME, info->name, sizeof info->name);
    if (rc == RT_OK)
        rc = platform_string(ctx, f->platform, CL_PLATFORM_NAME, info->platform,
                             sizeof info->platform);
    if (rc == RT_OK)
        rc = platform_string(ctx, f->platform, CL_PLATFORM_VERSION, info->platform_version,
                             sizeof info->platform_version);
    if (rc == RT_OK)
        rc = device_string(ctx, f->device, CL_DEVICE_VERSION, info->version, sizeof info->version);
    if (rc == RT_OK)
        rc = device_string(ctx, f->device, CL_DRIVER_VERSION, info->driver, sizeof info->driver);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_TYPE, type);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_MAX_COMPUTE_UNITS, units);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_HOST_UNIFIED_MEMORY, unified);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_SINGLE_FP_CONFIG, fp);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_DOUBLE_FP_CONFIG, dfp);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, vec);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, wg);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_GLOBAL_MEM_SIZE, global);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_LOCAL_MEM_SIZE, local);
    if (rc == RT_OK)
        rc = DEVICE_VALUE(ctx, f->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, alloc);
    if (rc != RT_OK)
        return rc;
    info->gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    info->cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
    info->compute_units = (int)units;
    info->unified = unified == CL_TRUE;
    info->fma = (fp & CL_FP_FMA) != 0;
    info->fp64 = dfp != 0;
    info->exact_div = (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    info->vec_float = (int)vec;
    info->max_wg = wg;
    info->global_mem = global;
    info->local_mem = local;
    info->max_alloc = alloc;
    return RT_OK;
}

int
ocl_list(RtCtx *ctx, OclDevInfo *info, int cap, int *n)
{
    Found *found;
    int count, rc;
    *n = 0;
    if ((rc = find_devices(ctx, &found, &count)) != RT_OK)
        return rc;
    for (int i = 0; rc == RT_OK && i < count && i < cap; i++)
        rc = describe(ctx, &found[i], i, &info[i]);
    free(found);
    if (rc == RT_OK)
        *n = count;
    return rc;
}

/* 1 when hay contains needle, ignoring ASCII case. */
static int
contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

static int
all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* The index of the device spec picks among found (see ocl_open), or -1 after recording why. */
static int
pick(RtCtx *ctx, const char *spec, const Found *found, int count, OclDevInfo *info)
{
    int rc = RT_OK;
    if (!spec || !*spec) {
        for (int i = 0; i < count && rc == RT_OK; i++)
            if ((rc = describe(ctx, &found[i], i, info)) == RT_OK && info->gpu)
                return i;
        return rc == RT_OK && describe(ctx, &found[0], 0, info) == RT_OK ? 0 : -1;
    }
    if (all_digits(spec)) {
        long i = strlen(spec) < 9 ? strtol(spec, NULL, 10) : -1;
        if (i >= 0 && i < count)
            return describe(ctx, &found[i], (int)i, info) == RT_OK ? (int)i : -1;
        rt_fail(ctx, RT_ECL, "no OpenCL device %s: %d device(s) found (0 to %d)", spec, count,
                count - 1);
        return -1;
    }
    char names[256] = "";      /* the devices seen, for the message */
    size_t len = 0;
    for (int i = 0; i < count; i++) {
        if (describe(ctx, &found[i], i, info) != RT_OK)
            return -1;
        if (contains_nocase(info->name, spec) || contains_nocase(info->platform, spec))
            return i;
        if (len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%d \"%s\"",
                                    i ? ", " : "", i, info->name);
    }
    rt_fail(ctx, RT_ECL, "no OpenCL device matches \"%s\" (found: %s)", spec, names);
    return -1;
}

static void
cache_folder(char *buf, size_t cap)
{
    const char *v = getenv("HETC_CL_CACHE");
    buf[0] = 0;
    if (v && *v) {
        if (strcmp(v, "off") != 0)
            snprintf(buf, cap, "%s", v);
    } else if ((v = getenv("XDG_CACHE_HOME")) && *v) {
        snprintf(buf, cap, "%s/hetc/cl", v);
    } else if ((v = getenv("HOME")) && *v) {
        snprintf(buf, cap, "%s/.cache/hetc/cl", v);
    }
}

/* Opens found[i] (described in d->info) into d: its context and queue. */
static int
open_found(RtCtx *ctx, const Found *f, OclDev *d)
{
    int rc;
    d->platform = f->platform;
    d->device = f->device;
    cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)d->platform,
                                      0 };
    cl_int err;
    d->context = clCreateContext(props, 1, &d->device, NULL, NULL, &err);
    if ((rc = OCL_ERR(ctx, err, clCreateContext)) != RT_OK)
        return rc;
    d->queue = clCreateCommandQueue(d->context, d->device, CL_QUEUE_PROFILING_ENABLE, &err);
    if ((rc = OCL_ERR(ctx, err, clCreateCommandQueue)) != RT_OK)
        return rc;
    cache_folder(d->cache, sizeof d->cache);
    return RT_OK;
}

/* The device a processor names (see ocl_open_match), or -1 after recording why. */
static int
pick_match(RtCtx *ctx, const char *platform, const char *device, int index, const Found *found,
           int count, OclDevInfo *info)
{
    if (index >= count) {
        rt_fail(ctx, RT_ECL, "no OpenCL device %d: %d device(s) found (0 to %d)", index, count,
                count - 1);
        return -1;
    }
    char names[256] = "";
    size_t len = 0;
    for (int i = index >= 0 ? index : 0; i < (index >= 0 ? index + 1 : count); i++) {
        if (describe(ctx, &found[i], i, info) != RT_OK)
            return -1;
        if ((!platform || contains_nocase(info->platform, platform)) &&
            (!device || contains_nocase(info->name, device)))
            return i;
        if (len < sizeof names)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%d \"%s\" (%s)",
                                    len ? ", " : "", i, info->name, info->platform);
    }
    char want[600];
    snprintf(want, sizeof want, "%s%s%s%s%s%s", index >= 0 ? " at that index" : "",
             platform ? " of a platform named like \"" : "", platform ? platform : "",
             platform ? "\"" : "", device ? " named like \"" : "", device ? device : "");
    rt_fail(ctx, RT_ECL, "no OpenCL device%s%s (found: %s)", want, device ? "\"" : "", names);
    return -1;
}

static int
open_with(RtCtx *ctx, const char *spec, const char *platform, const char *device, int index,
          int match, OclDev **out)
{
    Found *found;
    int count, rc;
    *out = NULL;
    if ((rc = find_devices(ctx, &found, &count)) != RT_OK)
        return rc;
    OclDev *d = calloc(1, sizeof *d);
    if (!d) {
        free(found);
        return rt_fail(ctx, RT_ENOMEM, "out of memory opening an OpenCL device");
    }
    d->ctx = ctx;
    int i = match ? pick_match(ctx, platform, device, index, found, count, &d->info)
                  : pick(ctx, spec, found, count, &d->info);
    rc = i < 0 ? RT_ECL : open_found(ctx, &found[i], d);
    free(found);
    if (rc != RT_OK) {
        ocl_close(d);
        return rc;
    }
    *out = d;
    return RT_OK;
}

int
ocl_open(RtCtx *ctx, const char *spec, OclDev **out)
{
    return open_with(ctx, spec, NULL, NULL, -1, 0, out);
}

int
ocl_open_match(RtCtx *ctx, const char *platform, const char *device, int index, OclDev **out)
{
    if (!platform && !device && index < 0)
        return ocl_open(ctx, getenv("HETC_CL_DEVICE"), out);
    return open_with(ctx, NULL, platform, device, index, 1, out);
}

void
ocl_close(OclDev *d)
{
    if (!d)
        return;
    if (d->queue)
        clFinish(d->queue);
    ocl_buf_free(d, d->scratch);
    while (d->programs) {
        OclProgram *p = d->programs;
        d->programs = p->next;
        while (p->kernels) {
            OclKernel *k = p->kernels;
            p->kernels = k->next;
            clReleaseKernel(k->kernel);
            free(k);
        }
        clReleaseProgram(p->program);
        free(p->options);
        free(p);
    }
    if (d->queue)
        clReleaseCommandQueue(d->queue);
    if (d->context)
        clReleaseContext(d->context);
    free(d);
}

const OclDevInfo *
ocl_info(const OclDev *d)
{
    return &d->info;
}

cl_context
ocl_context(const OclDev *d)
{
    return d->context;
}

cl_command_queue
ocl_queue(const OclDev *d)
{
    return d->queue;
}

void
ocl_arg(OclArgs *g, size_t size, const void *p)
{
    if (g->rc == RT_OK)
        g->rc = OCL_CALL(g->d->ctx, clSetKernelArg(g->k, g->i, size, p));
    g->i++;
}

void
ocl_arg_int(OclArgs *g, int v)
{
    cl_int c = v;
    ocl_arg(g, sizeof c, &c);
}

void
ocl_arg_idx(OclArgs *g, int64_t v)
{
    cl_long l = v;
    cl_int i = (cl_int)v;
    if (g->wide)
        ocl_arg(g, sizeof l, &l);
    else
        ocl_arg(g, sizeof i, &i);
}

void
ocl_arg_idx8(OclArgs *g, const int64_t *v, int n, int64_t fill)
{
    cl_long8 l;
    cl_int8 i;
    for (int k = 0; k < 8; k++) {
        l.s[k] = k < n ? v[k] : fill;
        i.s[k] = (cl_int)l.s[k];
    }
    if (g->wide)
        ocl_arg(g, sizeof l, &l);
    else
        ocl_arg(g, sizeof i, &i);
}

size_t
ocl_group_size(const OclDev *d)
{
    size_t l = d->info.cpu ? 1024 : 256;
    while (l > 1 && l > d->info.max_wg)
        l /= 2;
    return l;
}

const char *
ocl_uint_type(size_t bytes)
{
    switch (bytes) {
    case 1: return "uchar";
    case 2: return "ushort";
    case 4: return "uint";
    case 8: return "ulong";
    default: return NULL;
    }
}

int
ocl_launch(OclDev *d, const char *file, const char *options, const char *name,
           const OclArg *arg, int n, int dims, const size_t *global, const size_t *local)
{
    cl_kernel k;
    int rc = ocl_kernel(d, file, options, name, &k);
    for (int i = 0; i < dims; i++)
        if (global[i] == 0)
            return rc;
    for (int i = 0; rc == RT_OK && i < n; i++)
        rc = OCL_CALL(d->ctx, clSetKernelArg(k, (cl_uint)i, arg[i].size, arg[i].value));
    if (rc == RT_OK)
        rc = OCL_CALL(d->ctx, clEnqueueNDRangeKernel(d->queue, k, (cl_uint)dims, NULL, global,
                                                     local, 0, NULL, NULL));
    return rc;
}

int
ocl_finish(OclDev *d)
{
    return OCL_CALL(d->ctx, clFinish(d->queue));
}

const char *
ocl_cache_dir(const OclDev *d)
{
    return d->cache;
}

OclStats
ocl_stats(const OclDev *d)
{
    return d->stats;
}

/* ---- buffers ------------------------------------------------------------------------------- */

/* page-aligned: enough for any device's CL_DEVICE_MEM_BASE_ADDR_ALIGN */
enum { HOST_ALIGN = 4096 };

int
ocl_buf_new(OclDev *d, size_t bytes, OclBuf **out)
{
    *out = NULL;
    if (bytes == 0)
        return rt_fail(d->ctx, RT_ECL, "ocl_buf_new: a buffer of 0 bytes");
    OclBuf *b = calloc(1, sizeof *b);
    if (!b)
        return rt_fail(d->ctx, RT_ENOMEM, "out of memory for an OpenCL buffer");
    b->bytes = bytes;
    cl_mem_flags flags = CL_MEM_READ_WRITE;
    if (d->info.unified) {
        size_t n = (bytes + HOST_ALIGN - 1) / HOST_ALIGN * HOST_ALIGN;
        if (!(b->host = aligned_alloc(HOST_ALIGN, n))) {
            free(b);
            return rt_fail(d->ctx, RT_ENOMEM, "out of memory for an OpenCL buffer of %zu bytes",
                           bytes);
        }
        flags |= CL_MEM_USE_HOST_PTR;
    }
    cl_int err;
    b->mem = clCreateBuffer(d->context, flags, bytes, b->host, &err);
    int rc = OCL_ERR(d->ctx, err, clCreateBuffer);
    if (rc != RT_OK) {
        free(b->host);
        free(b);
        return rc;
    }
    *out = b;
    return RT_OK;
}

void
ocl_buf_free(OclDev *d, OclBuf *b)
{
    if (!b)
        return;
    clFinish(d->queue);     /* no queued command may still use b's host memory */
    clReleaseMemObject(b->mem);
    free(b->host);
    free(b);
}

static int
check_range(OclDev *d, const OclBuf *b, size_t off, size_t n, const char *what)
{
    if (off > b->bytes || n > b->bytes - off)
        return rt_fail(d->ctx, RT_ECL, "%s: bytes [%zu, +%zu) outside a buffer of %zu", what, off,
                       n, b->bytes);
    return RT_OK;
}

int
ocl_buf_write(OclDev *d, OclBuf *b, size_t off, const void *src, size_t n)
{
    int rc = check_range(d, b, off, n, "ocl_buf_write");
    if (rc != RT_OK || n == 0)
        return rc;
    if (!b->host)
        return OCL_CALL(d->ctx, clEnqueueWriteBuffer(d->queue, b->mem, CL_TRUE, off, n, src, 0,
                                                     NULL, NULL));
    cl_int err;
    void *p = clEnqueueMapBuffer(d->queue, b->mem, CL_TRUE, CL_MAP_WRITE, off, n, 0, NULL, NULL,
                                 &err);
    if ((rc = OCL_ERR(d->ctx, err, clEnqueueMapBuffer)) != RT_OK)
        return rc;
    memcpy(p, src, n);
    if ((rc = OCL_CALL(d->ctx, clEnqueueUnmapMemObject(d->queue, b->mem, p, 0, NULL, NULL))))
        return rc;
    return OCL_CALL(d->ctx, clFinish(d->queue));
}

int
ocl_buf_read(OclDev *d, const OclBuf *b, size_t off, void *dst, size_t n)
{
    int rc = check_range(d, b, off, n, "ocl_buf_read");
    if (rc != RT_OK || n == 0)
        return rc;
    if (!b->host)
        return OCL_CALL(d->ctx, clEnqueueReadBuffer(d->queue, b->mem, CL_TRUE, off, n, dst, 0,
                                                    NULL, NULL));
    cl_int err;
    void *p = clEnqueueMapBuffer(d->queue, b->mem, CL_TRUE, CL_MAP_READ, off, n, 0, NULL, NULL,
                                 &err);
    if ((rc = OCL_ERR(d->ctx, err, clEnqueueMapBuffer)) != RT_OK)
        return rc;
    memcpy(dst, p, n);
    if ((rc = OCL_CALL(d->ctx, clEnqueueUnmapMemObject(d->queue, b->mem, p, 0, NULL, NULL))))
        return rc;
    return OCL_CALL(d->ctx, clFinish(d->queue));
}

int
ocl_event_ms(OclDev *d, cl_event ev, double *ms)
{
    cl_ulong t0 = 0, t1 = 0;
    int rc = OCL_CALL(d->ctx, clWaitForEvents(1, &ev));
    if (rc == RT_OK)
        rc = OCL_CALL(d->ctx, clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0,
                                                      &t0, NULL));
    if (rc == RT_OK)
        rc = OCL_CALL(d->ctx, clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1,
                                                      &t1, NULL));
    *ms = rc == RT_OK && t1 > t0 ? (double)(t1 - t0) / 1e6 : 0.0;
    return rc;
}
