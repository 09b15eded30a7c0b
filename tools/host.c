/*
 * host.c: probing the host for a TargetHost. Cores are the online ones (sysconf), the CPU's name
 * is the first "model name" of /proc/cpuinfo (where there is one), and the OpenCL devices are
 * the runtime's list, in its order, so that an index here is the index a plan opens.
 */
#include "host.h"

#include "runtime/opencl/ocl.h"
#include "runtime/rt.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The value of the first "model name" line of /proc/cpuinfo into buf, or "" */
static void
cpu_model(char *buf, size_t size)
{
    buf[0] = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *v = strchr(line, ':');
        if (!v)
            continue;
        v += 1 + (v[1] == ' ');
        snprintf(buf, size, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
}

int
host_probe(TargetHost *h)
{
    memset(h, 0, sizeof *h);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    h->ncpu = n > 0 && n <= TG_MAXCORE ? (int)n : n > TG_MAXCORE ? TG_MAXCORE : 1;
    cpu_model(h->cpu_name, sizeof h->cpu_name);
    h->ndev = -1;
    RtCtx *ctx = rt_ctx_new(1);
    OclDevInfo info[TG_MAXPROC];
    int count = 0;
    if (ctx && ocl_list(ctx, info, TG_MAXPROC, &count) == RT_OK) {
        h->ndev = count < TG_MAXPROC ? count : TG_MAXPROC;
        for (int i = 0; i < h->ndev; i++) {
            TargetHostDev *v = &h->dev[i];
            v->index = info[i].index;
            snprintf(v->name, sizeof v->name, "%s", info[i].name);
            snprintf(v->platform, sizeof v->platform, "%s", info[i].platform);
            v->gpu = info[i].gpu;
            v->cpu = info[i].cpu;
            v->unified = info[i].unified;
            v->fp64 = info[i].fp64;
            v->compute_units = info[i].compute_units;
        }
    }
    rt_ctx_free(ctx);
    return h->ndev;
}
