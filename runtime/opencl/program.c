/*
 * program.c: OpenCL programs, built once per device and cached on disk as binaries.
 *
 * A program is identified by a key, the FNV-1a 64 hash of the device's name, the driver and
 * platform versions, the build options and the source text: a change to any of them makes a new
 * key, so a cache file never has to be invalidated. The device keeps each program it built (and
 * the kernels made from it) until it closes.
 *
 * Cache file <folder>/<tag>-<key>.bin: a 32-byte header (magic "HETCCLB1", the key, the binary's
 * size, the binary's FNV-1a 64 checksum), then the binary that clGetProgramInfo returned. A file
 * that is short, corrupt, for another key, or that the driver refuses is ignored, and the program
 * is built from source and written again. Files are written to a temporary name and renamed, so
 * a reader never sees half a file, even with several processes at once.
 */
#include "ocl_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HEADER = 32, LOG_LINES = 6, LOG_CHARS = 300 };
static const char magic[8] = {'H', 'E', 'T', 'C', 'C', 'L', 'B', '1'};

/* ---- keys and files ------------------------------------------------------------------------ */

/* FNV-1a 64 (as rt_fnv1a64) continued from h over n bytes */
static uint64_t
fnv_more(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

uint64_t
ocl_cache_key(const OclDev *d, const char *const *part, int n)
{
    const char *dev[] = {d->info.name, d->info.driver, d->info.platform_version};
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 3 + n; i++) {
        const char *s = i < 3 ? dev[i] : part[i - 3];
        h = fnv_more(h, s, strlen(s) + 1);  /* the NUL separates the parts */
    }
    return h;
}

int
ocl_cache_path(const OclDev *d, const char *tag, uint64_t key, const char *ext, char *buf,
               size_t cap)
{
    if (!d->cache[0])
        return 0;
    int n = snprintf(buf, cap, "%s/%s-%016llx.%s", d->cache, tag, (unsigned long long)key, ext);
    return n > 0 && (size_t)n < cap;
}

/* mkdir -p of the folder that holds path */
static int
make_parents(const char *path)
{
    char dir[1200];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return -1;
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(dir, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

int
ocl_cache_write(const char *path, const void *data, size_t n)
{
    char tmp[1300];
    if (make_parents(path) != 0)
        return -1;
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

/* The whole file at path (owned), or NULL when it cannot be read. */
static unsigned char *
read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)size + 1)) &&
        fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *n = data ? (size_t)size : 0;
    return data;
}

/* ---- building ------------------------------------------------------------------------------ */

/* The program from the cache file at path, built for d; NULL when there is no usable file. */
static cl_program
load_binary(OclDev *d, const char *path, uint64_t key, const char *options)
{
    size_t n;
    unsigned char *data = read_file(path, &n);
    if (!data)
        return NULL;
    cl_program prog = NULL;
    uint64_t hkey, size, sum;
    if (n < HEADER)
        goto reject;
    memcpy(&hkey, data + 8, 8);
    memcpy(&size, data + 16, 8);
    memcpy(&sum, data + 24, 8);
    if (memcmp(data, magic, 8) != 0 || hkey != key || size != n - HEADER || size == 0 ||
        rt_fnv1a64(data + HEADER, (size_t)size) != sum)
        goto reject;
    const unsigned char *bin = data + HEADER;
    size_t binsize = (size_t)size;
    cl_int err, status = CL_SUCCESS;
    prog = clCreateProgramWithBinary(d->context, 1, &d->device, &binsize, &bin, &status, &err);
    if (err != CL_SUCCESS || status != CL_SUCCESS)
        goto reject;
    if (clBuildProgram(prog, 1, &d->device, options, NULL, NULL) != CL_SUCCESS)
        goto reject;
    free(data);
    d->stats.cache_loads++;
    return prog;
reject:
    if (prog)
        clReleaseProgram(prog);
    free(data);
    d->stats.cache_rejects++;
    return NULL;
}

/* Writes prog's binary to the cache file at path; failures only skip the write. */
static void
save_binary(OclDev *d, cl_program prog, const char *path, uint64_t key)
{
    size_t size = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *data = malloc(HEADER + size);
    if (!data)
        return;
    unsigned char *bin = data + HEADER;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) == CL_SUCCESS) {
        uint64_t size64 = size, sum = rt_fnv1a64(bin, size);
        memcpy(data, magic, 8);
        memcpy(data + 8, &key, 8);
        memcpy(data + 16, &size64, 8);
        memcpy(data + 24, &sum, 8);
        if (ocl_cache_write(path, data, HEADER + size) == 0)
            d->stats.cache_writes++;
    }
    free(data);
}

/* Adds the first lines of prog's build log to the error that ctx holds. */
static int
add_build_log(OclDev *d, cl_program prog, int rc)
{
    char base[512], log[LOG_CHARS + 1];
    size_t n = 0;
    snprintf(base, sizeof base, "%s", rt_ctx_error(d->ctx));
    char *full = NULL;
    if (clGetProgramBuildInfo(prog, d->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n) == CL_SUCCESS &&
        (full = calloc(n + 1, 1)) &&
        clGetProgramBuildInfo(prog, d->device, CL_PROGRAM_BUILD_LOG, n, full, NULL) == CL_SUCCESS) {
        /* the first lines that say something, joined by " | " */
        size_t len = 0;
        int lines = 0;
        char *save = NULL;
        for (char *line = strtok_r(full, "\n", &save); line && lines < LOG_LINES && len < LOG_CHARS;
             line = strtok_r(NULL, "\n", &save)) {
            if (!line[strspn(line, " \t\r")])
                continue;
            len += (size_t)snprintf(log + len, sizeof log - len, "%s%s", lines ? " | " : "", line);
            lines++;
        }
        if (len > LOG_CHARS)
            len = LOG_CHARS;
        log[len] = 0;
    } else {
        snprintf(log, sizeof log, "no build log");
    }
    free(full);
    return rt_fail(d->ctx, rc, "%s: %s", base, log);
}

static int
build_source(OclDev *d, const char *src, const char *options, cl_program *out)
{
    cl_int err;
    cl_program prog = clCreateProgramWithSource(d->context, 1, &src, NULL, &err);
    int rc = OCL_ERR(d->ctx, err, clCreateProgramWithSource);
    if (rc != RT_OK)
        return rc;
    rc = OCL_CALL(d->ctx, clBuildProgram(prog, 1, &d->device, options, NULL, NULL));
    if (rc != RT_OK) {
        rc = add_build_log(d, prog, rc);
        clReleaseProgram(prog);
        return rc;
    }
    d->stats.builds++;
    *out = prog;
    return RT_OK;
}

/* The entry of the program for (src, options), building it if new. A src that stays put for
 * the life of d (an embedded or a plan's source: stable) is found again by its address and the
 * options, without hashing its text: ops look their programs up on every launch. */
static int
get_program(OclDev *d, const char *tag, const char *src, const char *options, int stable,
            OclProgram **out)
{
    const char *parts[] = {options ? options : "", src};
    for (OclProgram *p = d->programs; stable && p; p = p->next)
        if (p->src == src && p->options && strcmp(p->options, parts[0]) == 0) {
            *out = p;
            return RT_OK;
        }
    uint64_t key = ocl_cache_key(d, parts, 2);
    for (OclProgram *p = d->programs; p; p = p->next)
        if (p->key == key) {
            *out = p;
            return RT_OK;
        }
    OclProgram *p = calloc(1, sizeof *p);
    if (!p)
        return rt_fail(d->ctx, RT_ENOMEM, "out of memory for an OpenCL program");
    char path[1200];
    int cached = ocl_cache_path(d, tag, key, "bin", path, sizeof path);
    if (cached)
        p->program = load_binary(d, path, key, parts[0]);
    if (!p->program) {
        int rc = build_source(d, src, parts[0], &p->program);
        if (rc != RT_OK) {
            free(p);
            return rc;
        }
        if (cached)
            save_binary(d, p->program, path, key);
    }
    p->key = key;
    if (stable && (p->options = malloc(strlen(parts[0]) + 1)) != NULL) {
        strcpy(p->options, parts[0]);
        p->src = src;
    }
    p->next = d->programs;
    d->programs = p;
    *out = p;
    return RT_OK;
}

int
ocl_program_src(OclDev *d, const char *tag, const char *src, const char *options,
                cl_program *out)
{
    OclProgram *p;
    int rc = get_program(d, tag, src, options, 0, &p);
    *out = rc == RT_OK ? p->program : NULL;
    return rc;
}

void
ocl_use_sources(OclDev *d, int n, const char *const *names, const char *const *texts)
{
    d->nplan = n;
    d->plan_names = names;
    d->plan_texts = texts;
}

const char *
ocl_dev_source(const OclDev *d, const char *name)
{
    if (!d->plan_names)
        return ocl_source(name);
    for (int i = 0; i < d->nplan; i++)
        if (strcmp(d->plan_names[i], name) == 0)
            return d->plan_texts[i];
    return NULL;
}

/* The source of program name on d, or RT_ECL saying where it was looked for. */
static int
find_source(OclDev *d, const char *name, const char **src)
{
    if ((*src = ocl_dev_source(d, name)) != NULL)
        return RT_OK;
    return rt_fail(d->ctx, RT_ECL, d->plan_names ? "the plan's OpenCL source has no program "
                   "\"%s\" (compile the model again)" : "no embedded OpenCL source named \"%s\"",
                   name);
}

int
ocl_program(OclDev *d, const char *name, const char *options, cl_program *out)
{
    const char *src;
    *out = NULL;
    OclProgram *p;
    int rc = find_source(d, name, &src);
    if (rc == RT_OK && (rc = get_program(d, name, src, options, 1, &p)) == RT_OK)
        *out = p->program;
    return rc;
}

int
ocl_kernel(OclDev *d, const char *name, const char *options, const char *kernel, cl_kernel *out)
{
    const char *src;
    OclProgram *p;
    *out = NULL;
    if (find_source(d, name, &src) != RT_OK)
        return RT_ECL;
    int rc = get_program(d, name, src, options, 1, &p);
    if (rc != RT_OK)
        return rc;
    for (OclKernel *k = p->kernels; k; k = k->next)
        if (strcmp(k->name, kernel) == 0) {
            *out = k->kernel;
            return RT_OK;
        }
    OclKernel *k = calloc(1, sizeof *k);
    if (!k)
        return rt_fail(d->ctx, RT_ENOMEM, "out of memory for an OpenCL kernel");
    snprintf(k->name, sizeof k->name, "%s", kernel);
    cl_int err;
    k->kernel = clCreateKernel(p->program, kernel, &err);
    if ((rc = OCL_ERR(d->ctx, err, clCreateKernel)) != RT_OK) {
        free(k);
        return rc;
    }
    k->next = p->kernels;
    p->kernels = k;
    *out = k->kernel;
    return RT_OK;
}
