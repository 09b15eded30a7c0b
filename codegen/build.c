/*
 * build.c: cg_compile's driver: lays out the weights, writes the sources, the weights file and
 * the plan file, then builds lib<NAME>.a and the executable with the system C compiler. The
 * compiler, flags and runtime paths are fixed when hetc itself is built (see CMakeLists.txt);
 * $HETC_CC overrides the compiler. Commands run without a shell.
 */
#include "cg_impl.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

#ifndef HETC_CC
#define HETC_CC "cc"
#endif
#ifndef HETC_RT_CFLAGS
#define HETC_RT_CFLAGS ""
#endif
#ifndef HETC_RT_LIB
#define HETC_RT_LIB ""
#endif
#ifndef HETC_RT_LDLIBS
#define HETC_RT_LDLIBS ""
#endif

const char *
cg_path(char *buf, size_t size, const CgOptions *o, const char *suffix)
{
    snprintf(buf, size, "%s/%s%s", o->dir, o->name, suffix);
    return buf;
}

void
cg_identifier(const char *s, char *buf, size_t size)
{
    size_t k = 0;
    if (size == 0)
        return;
    if (*s >= '0' && *s <= '9' && k + 1 < size)
        buf[k++] = '_';
    for (; *s && k + 1 < size; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        buf[k++] = ok ? c : '_';
    }
    if (k == 0 && size > 1)
        buf[k++] = 'm';
    buf[k] = 0;
}

/* Splits flags on spaces into argv (at most max - 1 words appended at *argc). */
static void
add_words(const char **argv, int *argc, int max, char *flags)
{
    for (char *p = strtok(flags, " "); p && *argc < max - 1; p = strtok(NULL, " "))
        argv[(*argc)++] = p;
}

static int
run(const char **argv, int verbose, Diag *d)
{
    if (verbose) {
        for (int i = 0; argv[i]; i++)
            fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
        fputc('\n', stderr);
    }
    pid_t pid;
    /* posix_spawnp does not modify argv; its prototype predates const */
    char *const *av;
    memcpy(&av, &argv, sizeof av);
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, av, environ);
    if (rc != 0)
        return diag_env(d, "cannot run %s: %s", argv[0], strerror(rc));
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return diag_env(d, "waiting for %s: %s", argv[0], strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return diag_env(d, "%s failed (status %d) building the plan; run with --verbose to see "
                        "the command", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

int
cg_build(const CgOptions *o, Diag *d)
{
    char src[4096], obj[4096], lib[4096], mainsrc[4096], exe[4096];
    char cflags[] = HETC_RT_CFLAGS, ldlibs[] = HETC_RT_LDLIBS;
    const char *cc = getenv("HETC_CC") ? getenv("HETC_CC") : HETC_CC;
    cg_path(src, sizeof src, o, ".c");
    cg_path(obj, sizeof obj, o, ".o");
    snprintf(lib, sizeof lib, "%s/lib%s.a", o->dir, o->name);
    cg_path(mainsrc, sizeof mainsrc, o, "_main.c");
    cg_path(exe, sizeof exe, o, "");
    const char *argv[64];
    int argc = 0;
    argv[argc++] = cc;
    add_words(argv, &argc, 64, cflags);
    argv[argc++] = "-c";
    argv[argc++] = src;
    argv[argc++] = "-o";
    argv[argc++] = obj;
    argv[argc] = NULL;
    if (run(argv, o->verbose, d) < 0)
        return -1;
    const char *ar[] = {"ar", "rcs", lib, obj, NULL};
    if (run(ar, o->verbose, d) < 0)
        return -1;
    char cflags2[] = HETC_RT_CFLAGS;
    argc = 0;
    argv[argc++] = cc;
    add_words(argv, &argc, 64, cflags2);
    argv[argc++] = mainsrc;
    argv[argc++] = lib;
    argv[argc++] = HETC_RT_LIB;
    add_words(argv, &argc, 64, ldlibs);
    argv[argc++] = "-o";
    argv[argc++] = exe;
    argv[argc] = NULL;
    if (run(argv, o->verbose, d) < 0)
        return -1;
    remove(obj);
    return 0;
}

/* A naive roofline until the cost model arrives: the predicted times are placeholders. */
static double
predict_ms(const Graph *g, const Node *x)
{
    return (double)ir_node_flops(g, x) / 1e8 + (double)ir_node_bytes(g, x) / 2e7;
}

int
cg_plan_json(const Graph *g, const CgOptions *o, Diag *d)
{
    char path[4096];
    cg_path(path, sizeof path, o, ".plan.json");
    FILE *f = fopen(path, "w");
    if (!f)
        return diag_env(d, "cannot write %s: %s", path, strerror(errno));
    double t = 0;
    for (NodeId n = 0; n < g->nnode; n++)
        t += predict_ms(g, &g->node[n]);
    fprintf(f, "{\"strategy\": \"%s\", \"predicted_ms\": %.6f,\n", o->strategy, t);
    fputs(" \"cost_model\": \"uncalibrated roofline: 100 GFLOP/s, 20 GB/s\",\n", f);
    fputs(" \"processors\": [{\"id\": \"cpu0\", \"kind\": \"cpu\", \"backend\": \"openblas\"}],\n",
          f);
    fputs(" \"steps\": [", f);
    t = 0;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        double dt = predict_ms(g, x);
        fprintf(f, "%s\n  {\"node\": \"", n ? "," : "");
        for (const char *p = x->name; *p; p++) {
            unsigned char c = (unsigned char)*p;
            if (c == '"' || c == '\\')
                fprintf(f, "\\%c", c);
            else if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
        fprintf(f, "\", \"index\": %d, \"op\": \"%s\", \"processor\": \"cpu0\", "
                "\"start_ms\": %.6f, \"end_ms\": %.6f}", x->index, ir_op[x->op].onnx, t, t + dt);
        t += dt;
    }
    fputs("],\n \"transfers\": []}\n", f);
    if (fclose(f) != 0)
        return diag_env(d, "writing %s failed: %s", path, strerror(errno));
    return 0;
}

/* mkdir -p */
static int
make_dirs(const char *dir, Diag *d)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return diag_env(d, "output folder name too long");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != 0)
            continue;
        char c = *p;
        *p = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return diag_env(d, "cannot create %s: %s", path, strerror(errno));
        *p = c;
        if (c == 0)
            return 0;
    }
}

int
cg_compile(const Graph *g, const MemPlan *mp, const CgOptions *o, Diag *d)
{
    if (make_dirs(o->dir, d) < 0)
        return -1;
    Weights w;
    char path[4096];
    int rc = -1;
    if (cg_weights_layout(g, &w, d) < 0)
        return -1;
    if (cg_emit_sources(g, mp, &w, o, d) < 0 ||
        cg_weights_write(g, &w, cg_path(path, sizeof path, o, ".weights"), d) < 0 ||
        cg_plan_json(g, o, d) < 0)
        goto done;
    rc = o->build ? cg_build(o, d) : 0;
done:
    ir_free(w.offset);
    return rc;
}
