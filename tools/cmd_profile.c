/*
 * cmd_profile.c: hetc profile: measures a description's real processors (the detected host by
 * default) with probe plans (probe.c) and writes the description with the figures it found,
 * into -o FILE or the cache (profcache.c). The text written is read back by target_parse before
 * the file is replaced, so a profile that would not load is never left behind.
 */
#include "driver.h"

#include "host.h"
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { F_QUICK = F_CMD };

const char usage_profile[] =
    "usage: hetc profile [-o FILE.xml] [--quick] [--target FILE]\n"
    "\n"
    "Measures every cpu and opencl processor of a device description (default: this host as\n"
    "detected, its CPU and every OpenCL device): convolution, depthwise, GEMM, elementwise,\n"
    "reduction and movement rates across shapes, at each thread count a CPU may use; per-step\n"
    "launch cost, the executor's handoff between processors, copy links both ways, and each\n"
    "processor's slowdown while another is busy. Writes the description with these figures\n"
    "(docs/devices.md), which hetc compile and viz then predict with (docs/profile.md).\n"
    "\n"
    "  -o FILE        where to write it; default: the profile cache, where compile and viz\n"
    "                 look ($HETC_CACHE_DIR, else $XDG_CACHE_HOME/hetc, else ~/.cache/hetc)\n"
    "  --quick        the same probes, fewer runs: half a minute at most\n"
    "  --target FILE  the description to measure (its processors, spaces and links are kept)\n"
    "  -h, --help     this text\n"
    "\n"
    "Prints each fitted rate with the median error of its probes, then where it wrote. Needs\n"
    "the C compiler that hetc compile uses ($HETC_CC): the probes are compiled plans.\n";

static const Flag flags[] = {
    ARGS_HELP,
    {"-o", NULL, "FILE", 0, F_OUT},
    {"--quick", NULL, NULL, 0, F_QUICK},
    {"--target", NULL, "FILE", 0, F_TARGET},
    {NULL, NULL, NULL, 0, 0},
};

/* ---- writing a description ------------------------------------------------------------------ */

/* an attribute value: XML's specials escaped, control characters dropped */
static void
put_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            fputs("&amp;", f);
        else if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c >= 0x20 && c != 0x7f)
            fputc(c, f);
    }
}

static void
put_attr(FILE *f, const char *name, const char *v)
{
    fprintf(f, " %s=\"", name);
    put_text(f, v);
    fputc('"', f);
}

/* a figure as xs:decimal takes it (no exponent), 4 decimals, trailing zeros dropped; a figure
 * that would print as 0 but is not is written as the least that does not */
static void
put_fig(FILE *f, const char *name, double v)
{
    char buf[64];
    if (v > 0 && v < 1e-4)
        v = 1e-4;
    snprintf(buf, sizeof buf, "%.4f", v > 1e12 ? 1e12 : v);
    char *e = buf + strlen(buf) - 1;
    while (*e == '0')
        *e-- = 0;
    if (*e == '.')
        *e = 0;
    fprintf(f, " %s=\"%s\"", name, buf);
}

/* cores="0-3,6" */
static void
put_cores(FILE *f, const Proc *p)
{
    fputs(" cores=\"", f);
    for (int i = 0; i < p->ncore;) {
        int j = i;
        while (j + 1 < p->ncore && p->core[j + 1] == p->core[j] + 1)
            j++;
        fprintf(f, "%s%d", i ? "," : "", p->core[i]);
        if (j > i)
            fprintf(f, "-%d", p->core[j]);
        i = j + 1;
    }
    fputc('"', f);
}

/* <supports> rows, only when the description narrowed p: one per distinct dtype set */
static void
put_supports(FILE *f, const Proc *p)
{
    int narrowed = 0;
    for (int op = 0; op < OP_COUNT; op++)
        if (!(ir_op[op].flags & F_INTERNAL) && op != OP_NOP && op != OP_UNKNOWN &&
            p->can[op] != target_support(p->backend, (OpKind)op))
            narrowed = 1;
    if (!narrowed)
        return;
    uint32_t done[OP_COUNT];
    int ndone = 0;
    for (int op = 0; op < OP_COUNT; op++) {
        uint32_t m = p->can[op];
        int seen = 0;
        for (int i = 0; i < ndone; i++)
            seen |= done[i] == m;
        if (!m || seen || (ir_op[op].flags & F_INTERNAL) || op == OP_NOP || op == OP_UNKNOWN)
            continue;
        done[ndone++] = m;
        fputs("    <supports ops=\"", f);
        int k = 0;
        for (int o = op; o < OP_COUNT; o++)
            if (p->can[o] == m && !(ir_op[o].flags & F_INTERNAL) && o != OP_NOP &&
                o != OP_UNKNOWN)
                fprintf(f, "%s%s", k++ ? "," : "", ir_op[o].onnx);
        fputs("\" dtypes=\"", f);
        k = 0;
        for (int dt = 0; dt < DT_COUNT; dt++)
            if (m >> dt & 1)
                fprintf(f, "%s%s", k++ ? "," : "", ir_dtype_name((DType)dt));
        fputs("\"/>\n", f);
    }
}

static const char *const class_names[CC_COUNT] = {
    "conv", "depthwise", "gemm", "eltwise", "reduce", "move", "copy",
};

static void
put_proc(FILE *f, const Target *t, const Proc *p)
{
    fputs("  <processor", f);
    put_attr(f, "id", p->id);
    put_attr(f, "kind", target_kind_name(p->kind));
    put_attr(f, "backend", target_backend_name(p->backend));
    put_attr(f, "space", t->space[p->space].id);
    if (p->threads > 0)
        fprintf(f, " threads=\"%d\"", p->threads);
    if (p->ncore > 0)
        put_cores(f, p);
    if (p->launch_us > 0)
        put_fig(f, "launch_us", p->launch_us);
    if (p->sync_us > 0)
        put_fig(f, "sync_us", p->sync_us);
    if (p->handoff_gbps > 0)
        put_fig(f, "handoff_gbps", p->handoff_gbps);
    fputs(">\n", f);
    if (p->backend == PB_OPENCL) {
        fputs("    <opencl", f);
        if (p->cl_index >= 0) {
            fprintf(f, " index=\"%d\"", p->cl_index);
        } else {
            if (p->cl_platform[0])
                put_attr(f, "platform", p->cl_platform);
            if (p->cl_device[0])
                put_attr(f, "device", p->cl_device);
        }
        fputs("/>\n", f);
    }
    put_supports(f, p);
    for (int i = 0; i < p->nrate; i++) {
        const Rate *r = &p->rate[i];
        fputs("    <rate", f);
        put_attr(f, "class", class_names[r->cls]);
        if (r->op >= 0)
            put_attr(f, "op", ir_op[r->op].onnx);
        if (r->threads > 0)
            fprintf(f, " threads=\"%d\"", r->threads);
        if (r->gflops > 0)
            put_fig(f, "gflops", r->gflops);
        if (r->gbps > 0)
            put_fig(f, "gbps", r->gbps);
        if (r->launch_us > 0)
            put_fig(f, "launch_us", r->launch_us);
        if (r->m_half > 0)
            put_fig(f, "m_half", r->m_half);
        if (r->n_half > 0)
            put_fig(f, "n_half", r->n_half);
        if (r->k_half > 0)
            put_fig(f, "k_half", r->k_half);
        fputs("/>\n", f);
    }
    fputs("  </processor>\n", f);
}

static void
put_description(FILE *f, const Target *t, const ProfileMeta *m)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- written by hetc profile "
          "(docs/profile.md) -->\n<platform", f);
    put_attr(f, "name", t->name[0] ? t->name : "host");
    fputs(">\n", f);
    if (m) {
        char sec[32];
        snprintf(sec, sizeof sec, "%.1f", m->seconds);
        fputs("  <measured by=\"hetc profile\"", f);
        put_attr(f, "mode", m->mode);
        put_attr(f, "cpu", m->cpu);
        if (m->opencl[0])
            put_attr(f, "opencl", m->opencl);
        put_attr(f, "hetc", HETC_VERSION);
        put_attr(f, "date", m->date);
        put_attr(f, "seconds", sec);
        put_attr(f, "key", m->key);
        fputs("/>\n", f);
    }
    for (int s = 0; s < t->nspace; s++) {
        fputs("  <space", f);
        put_attr(f, "id", t->space[s].id);
        fputs(t->space[s].host ? " host=\"1\"/>\n" : "/>\n", f);
    }
    for (int p = 0; p < t->nproc; p++)
        put_proc(f, t, &t->proc[p]);
    for (int i = 0; i < t->nlink; i++) {
        const Link *l = &t->link[i];
        fputs("  <link", f);
        put_attr(f, "a", t->space[l->a].id);
        put_attr(f, "b", t->space[l->b].id);
        if (l->gbps > 0)
            put_fig(f, "bandwidth_gbps", l->gbps);
        if (l->latency_us > 0)
            put_fig(f, "latency_us", l->latency_us);
        if (l->back_gbps > 0)
            put_fig(f, "back_bandwidth_gbps", l->back_gbps);
        if (l->back_latency_us > 0)
            put_fig(f, "back_latency_us", l->back_latency_us);
        if (l->map_gbps > 0)
            put_fig(f, "map_bandwidth_gbps", l->map_gbps);
        if (l->map_latency_us > 0)
            put_fig(f, "map_latency_us", l->map_latency_us);
        fputs(l->zero_copy ? " zero_copy=\"1\"/>\n" : "/>\n", f);
    }
    for (int i = 0; i < t->ncont; i++) {
        fputs("  <contention", f);
        put_attr(f, "a", t->proc[t->cont[i].a].id);
        put_attr(f, "b", t->proc[t->cont[i].b].id);
        put_fig(f, "factor", t->cont[i].factor);
        fputs("/>\n", f);
    }
    fputs("</platform>\n", f);
}

int
profile_write(const Target *t, const ProfileMeta *meta, const TargetHost *host,
              const char *path, int *status)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    if (!mf) {
        fputs("hetc: out of memory\n", stderr);
        *status = EXIT_ENV;
        return -1;
    }
    put_description(mf, t, meta);
    if (fclose(mf) != 0 || !text) {
        free(text);
        fputs("hetc: out of memory\n", stderr);
        *status = EXIT_ENV;
        return -1;
    }
    /* what is written must load */
    Target *back = malloc(sizeof *back);
    Diag d;
    diag_init(&d, path);
    int rc = back ? target_parse(back, text, len, path, host, &d) : diag_oom(&d);
    free(back);
    if (rc < 0) {
        fprintf(stderr, "hetc profile: the description made does not load: %s\n", d.msg);
        free(text);
        *status = EXIT_ENV;
        return -1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f && fwrite(text, 1, len, f) == len;
    ok = (f && fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        fputs("hetc profile: cannot write ", stderr);
        ir_put_escaped(path, stderr);
        fprintf(stderr, ": %s\n", strerror(e));
        free(text);
        *status = EXIT_ENV;
        return -1;
    }
    free(text);
    return 0;
}

/* ---- the command ---------------------------------------------------------------------------- */

int
cmd_profile(int argc, char **argv)
{
    const char *out = NULL, *target = NULL;
    int quick = 0, rc = EXIT_USAGE;
    Args it;
    args_init(&it, "profile", flags, argc, argv);
    const char *v;
    for (int id; (id = args_next(&it, &v)) != ARG_END;) {
        switch (id) {
        case ARG_ERROR:
            return EXIT_USAGE;
        case F_HELP:
            fputs(usage_profile, stdout);
            return 0;
        case F_OUT:
            out = v;
            break;
        case F_QUICK:
            quick = 1;
            break;
        case F_TARGET:
            target = v;
            break;
        default:
            return usage_error("profile", "unexpected argument", v);
        }
    }
    if ((out && !out[0]) || (target && !target[0]))
        return usage_error("profile", out && !out[0] ? "-o needs a file" : "--target needs a file",
                           NULL);
    Target *t = malloc(sizeof *t);
    if (!t) {
        fputs("hetc: out of memory\n", stderr);
        return EXIT_ENV;
    }
    TargetHost host;
    host_probe(&host);
    Diag d;
    diag_init(&d, target);
    if ((target ? target_load(t, target, &host, &d) : target_detect(t, &host, &d)) < 0) {
        fprintf(stderr, "%s\n", d.msg);
        free(t);
        return diag_status(&d);
    }
    char path[4096];
    if (!out) {
        if (profile_cache_path(t, &host, path, sizeof path) < 0) {
            fputs("hetc profile: no cache folder (set HETC_CACHE_DIR or HOME), or give -o\n",
                  stderr);
            free(t);
            return EXIT_ENV;
        }
        if (profile_cache_mkdir(path) < 0) {
            fprintf(stderr, "hetc profile: cannot make the folder of %s: %s\n", path,
                    strerror(errno));
            free(t);
            return EXIT_ENV;
        }
        out = path;
    }
    /* a file that cannot be written is said before minutes of measuring */
    char probe[4200];
    snprintf(probe, sizeof probe, "%s.tmp%ld", out, (long)getpid());
    FILE *pf = fopen(probe, "w");
    if (!pf) {
        fputs("hetc profile: cannot write ", stderr);
        ir_put_escaped(out, stderr);
        fprintf(stderr, ": %s\n", strerror(errno));
        free(t);
        return EXIT_ENV;
    }
    fclose(pf);
    unlink(probe);
    ProfileMeta meta = {0};
    profile_key(t, &host, meta.key);
    ProfileOptions o = {quick, stdout};
    if (profile_measure(t, &host, &o, &meta, &rc) == 0 &&
        profile_write(t, &meta, &host, out, &rc) == 0) {
        fputs("wrote ", stdout);
        ir_put_escaped(out, stdout);
        printf(": a %s profile of ", meta.mode);
        for (int p = 0, k = 0; p < t->nproc; p++)
            if (t->proc[p].backend != PB_SIMULATED)
                printf("%s%s", k++ ? ", " : "", t->proc[p].id);
        printf(" in %.1f s\n", meta.seconds);
        rc = 0;
    }
    free(t);
    return rc;
}
