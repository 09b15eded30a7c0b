/*
 * build.c: cg_compile's driver: lays out the weights, writes the sources, the weights file and
 * the plan file, then builds lib<NAME>.a and the executable with the system C compiler. The
 * compiler, flags and runtime paths are fixed when hetc itself is built (build_config.h, from
 * CMakeLists.txt), one argument each; an installed hetc uses the runtime installed beside it
 * (PREFIX/lib, PREFIX/include/hetc), one in its build tree that build tree. $HETC_CC overrides
 * the compiler and may carry arguments, split as a shell splits words (quotes, backslashes; no
 * expansions). Commands run without a shell. On a terminal, a line on stderr says which command
 * runs and for how long.
 */
#include "cg_impl.h"
#include "build_config.h"
#include "ir/utf8.h"
#include "passes/cost.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { MAXARGS = 256 };

const char *
cg_path(char *buf, size_t size, const CgOptions *o, const char *suffix)
{
    snprintf(buf, size, "%s/%s%s", o->dir, o->name, suffix);
    return buf;
}

/* An argument vector; words of $HETC_CC and paths made here live in store. full: a word did
 * not fit (the command is refused, never run cut short). */
typedef struct Args {
    const char *v[MAXARGS + 1];
    int n, full;
} Args;

static void
add(Args *a, const char *s)
{
    if (a->n < MAXARGS)
        a->v[a->n++] = s;
    else
        a->full = 1;
    a->v[a->n] = NULL;
}

static void
add_list(Args *a, const char *const *list)
{
    for (; *list; list++)
        add(a, *list);
}

/*
 * Splits s into words as a POSIX shell does, without expansions: blanks separate words, '...'
 * keeps everything, "..." keeps everything but a backslash before $ ` " \ or newline, and a
 * backslash outside quotes keeps the next character. The words are written into out (at least
 * strlen(s) + 1 bytes per word boundary: 2 * strlen(s) + 1 is enough) and added to a. -1 on an
 * unterminated quote or a trailing backslash.
 */
static int
split_words(const char *s, char *out, Args *a)
{
    char *w = NULL;
    while (*s) {
        char c = *s++;
        if (c == ' ' || c == '\t' || c == '\n') {
            if (w) {
                *out++ = 0;
                add(a, w);
                w = NULL;
            }
            continue;
        }
        if (!w)
            w = out;
        if (c == '\'') {
            while (*s && *s != '\'')
                *out++ = *s++;
            if (!*s++)
                return -1;
        } else if (c == '"') {
            while (*s && *s != '"') {
                if (*s == '\\' && s[1] && strchr("$`\"\\\n", s[1]))
                    s++;
                *out++ = *s++;
            }
            if (!*s++)
                return -1;
        } else if (c == '\\') {
            if (!*s)
                return -1;
            *out++ = *s++;
        } else {
            *out++ = c;
        }
    }
    if (w) {
        *out = 0;
        add(a, w);
    }
    return 0;
}

/* Where the runtime is: installed beside this hetc (DIR_OF_EXE/../lib/libhetc_runtime.a and
 * DIR_OF_EXE/../include/hetc/runtime/rt.h), else the build tree hetc was built in. */
typedef struct Runtime {
    char include[PATH_MAX + 80]; /* "-I..." of an installed runtime; "" for the build tree */
    char lib[PATH_MAX + 80];
} Runtime;

static void
find_runtime(Runtime *r)
{
    char exe[PATH_MAX], inc[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    r->include[0] = 0;
    snprintf(r->lib, sizeof r->lib, "%s", cfg_lib[0]);
    if (n <= 0)
        return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = 0;
    char lib[PATH_MAX + 64], hdr[PATH_MAX + 80];
    snprintf(inc, sizeof inc, "%s/%s", exe, cfg_installed_include);
    snprintf(hdr, sizeof hdr, "%s/runtime/rt.h", inc);
    snprintf(lib, sizeof lib, "%s/%s", exe, cfg_installed_lib);
    if (access(hdr, R_OK) != 0 || access(lib, R_OK) != 0)
        return;
    snprintf(r->lib, sizeof r->lib, "%s", lib);
    snprintf(r->include, sizeof r->include, "-I%s", inc);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs argv and waits for it; on a terminal, a line on stderr shows what runs (label) and for
 * how long, cleared when done. */
static int
run(const char *const *argv, const char *label, int verbose, Diag *d)
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
    int st, tty = isatty(STDERR_FILENO);
    double t0 = now_s(), shown = -1;
    for (;;) {
        pid_t w = waitpid(pid, &st, tty ? WNOHANG : 0);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return diag_env(d, "waiting for %s: %s", argv[0], strerror(errno));
        if (w == pid)
            break;
        double t = now_s() - t0;
        if (t - shown >= 1.0 || shown < 0) {
            fprintf(stderr, "\rhetc: %s (%.0f s)\033[K", label, t);
            shown = t;
        }
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    if (shown >= 0)
        fputs("\r\033[K", stderr);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return diag_env(d, "%s failed (status %d) building the plan; run with --verbose to see "
                        "the command", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}

/* Runs the compiler ($HETC_CC's words up to the first that begins with '-', "ccache gcc", else
 * the one hetc was built with) with the plan's flags, then $HETC_CC's other words (after the
 * built-in flags, so that HETC_CC='gcc -O1' wins over -O2), then the words of each
 * NULL-terminated list in parts (NULL-terminated). */
static int
run_cc(const char *cc, char *store, const Runtime *rt, const char *const *const *parts,
       const char *label, int verbose, Diag *d)
{
    char flags[8][PATH_MAX + 8];
    Args words = {{NULL}, 0, 0}, a = {{NULL}, 0, 0};
    if (cc && split_words(cc, store, &words) < 0)
        return diag_env(d, "HETC_CC: unterminated quote or trailing backslash in \"%s\"", cc);
    int ncc = 0;
    while (ncc < words.n && words.v[ncc][0] != '-')
        add(&a, words.v[ncc++]);
    if (ncc == 0)
        add_list(&a, cfg_cc);
    add_list(&a, cfg_cflags);
    if (rt->include[0]) {
        add(&a, rt->include);
    } else {
        for (int i = 0; cfg_includes[i] && i < 8; i++) {
            snprintf(flags[i], sizeof flags[i], "-I%s", cfg_includes[i]);
            add(&a, flags[i]);
        }
    }
    for (int i = ncc; i < words.n; i++)
        add(&a, words.v[i]);
    for (; *parts; parts++)
        add_list(&a, *parts);
    if (words.full || a.full)
        return diag_env(d, "HETC_CC: the compiler's command would have more than %d words",
                        MAXARGS);
    return run(a.v, label, verbose, d);
}

int
cg_build(const CgOptions *o, Diag *d)
{
    char src[4096], obj[4096], lib[4096], mainsrc[4096], exe[4096], label[4200];
    const char *cc = getenv("HETC_CC");
    char *store = ir_alloc(cc ? 2 * strlen(cc) + 2 : 1);
    int rc = -1;
    Runtime rt;
    if (!store)
        return diag_oom(d);
    find_runtime(&rt);
    cg_path(src, sizeof src, o, ".c");
    cg_path(obj, sizeof obj, o, ".o");
    snprintf(lib, sizeof lib, "%s/lib%s.a", o->dir, o->name);
    cg_path(mainsrc, sizeof mainsrc, o, "_main.c");
    cg_path(exe, sizeof exe, o, "");
    const char *compile[] = {"-c", src, "-o", obj, NULL};
    const char *const *const compile_parts[] = {compile, NULL};
    const char *ar[] = {"ar", "rcs", lib, obj, NULL};
    const char *link[] = {mainsrc, lib, rt.lib, NULL}, *to[] = {"-o", exe, NULL};
    const char *const *const link_parts[] = {link, cfg_ldlibs, to, NULL};
    snprintf(label, sizeof label, "compiling %s.c", o->name);
    if (run_cc(cc, store, &rt, compile_parts, label, o->verbose, d) < 0 ||
        run(ar, "archiving", o->verbose, d) < 0)
        goto done;
    snprintf(label, sizeof label, "linking %s", o->name);
    if (run_cc(cc, store, &rt, link_parts, label, o->verbose, d) < 0)
        goto done;
    remove(obj);
    rc = 0;
done:
    ir_free(store);
    return rc;
}

/* The compile host's CPU as /proc/cpuinfo names it ("model name"), else "cpu". */
static void
cpu_model(char *buf, size_t size)
{
    char line[512];
    snprintf(buf, size, "cpu");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        char *v = colon + 1 + strspn(colon + 1, " \t");
        v[strcspn(v, "\n")] = 0;
        if (*v)
            snprintf(buf, size, "%s", v);
        break;
    }
    fclose(f);
}

/* what the plan file says a processor is: the CPU's model, or how its OpenCL device is found */
static void
proc_name(FILE *f, const Target *t, int pi)
{
    const Proc *x = &t->proc[pi];
    char buf[512];
    if (x->backend == PB_CPU) {
        cpu_model(buf, sizeof buf);
    } else if (x->backend == PB_SIMULATED) {
        snprintf(buf, sizeof buf, "simulated");
    } else if (t->file[0] == 0 && pi == target_first(t, PB_OPENCL)) {
        snprintf(buf, sizeof buf, "the OpenCL device picked at run time: $HETC_CL_DEVICE (an "
                 "index or part of a name), else the first GPU, else the first device");
    } else if (x->cl_index >= 0 && !x->cl_platform[0] && !x->cl_device[0]) {
        snprintf(buf, sizeof buf, "OpenCL device %d", x->cl_index);
    } else {
        snprintf(buf, sizeof buf, "the OpenCL device of platform \"%s\" named \"%s\"",
                 x->cl_platform, x->cl_device);
    }
    ir_json_put_str(f, buf);
}

/* the fused ops of x: those of x->ops other than the node's own (its first mention) */
static void
put_fused(FILE *f, const Node *x)
{
    int own = 0, k = 0;
    for (const char *p = x->ops; p && *p;) {
        size_t len = strcspn(p, "+");
        if (!own && strlen(ir_op[x->op].onnx) == len && !strncmp(p, ir_op[x->op].onnx, len))
            own = 1;
        else
            fprintf(f, "%s\"%.*s\"", k++ ? ", " : "", (int)len, p);
        p += len + (p[len] == '+');
    }
}

int
cg_plan_json(const Graph *g, const Plan *p, const CgOptions *o, Diag *d)
{
    char path[4096];
    const Target *t = p->target;
    const Schedule *s = &p->sched;
    cg_path(path, sizeof path, o, ".plan.json");
    FILE *f = fopen(path, "w");
    if (!f)
        return diag_env(d, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "{\"strategy\": \"%s\", \"predicted_ms\": %.6f,\n \"cost_model\": ", o->strategy,
            s->makespan_ms);
    /* where the figures come from: hetc profile's words, the description's own, or none */
    int rates = 0;
    for (int i = 0; i < t->nproc; i++)
        rates |= t->proc[i].nrate > 0;
    ir_json_put_str(f, t->measured[0] ? t->measured
                       : rates        ? "the description's figures (no profile)"
                                      : "default figures (no profile)");
    fprintf(f, ",\n \"predicted_frame_ms\": %.6f", s->frame_ms);
    if (o->json)
        fprintf(f, ",\n %s", o->json);
    fputs(",\n \"target\": ", f);
    ir_json_put_str(f, t->file[0] ? t->file : "detected host");
    fputs(",\n \"processors\": [", f);
    for (int k = 0; k < s->nlane; k++) {
        int pi = s->lane_proc[k];
        const Proc *x = &t->proc[pi];
        fprintf(f, "%s\n  {\"id\": ", k ? "," : "");
        ir_json_put_str(f, x->id);
        fprintf(f, ", \"kind\": \"%s\", \"backend\": \"%s\", \"lane\": %d, \"threads\": %d, "
                "\"space\": ", target_kind_name(x->kind), target_backend_name(x->backend), k,
                x->threads);
        ir_json_put_str(f, t->space[target_mem(t, x->space)].id);
        fputs(", \"name\": ", f);
        proc_name(f, t, pi);
        fputc('}', f);
    }
    fputs("],\n \"steps\": [", f);
    int first = 1;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_COPY)
            continue;
        fprintf(f, "%s\n  {\"node\": ", first ? "" : ",");
        first = 0;
        ir_json_put_str(f, x->name);
        fprintf(f, ", \"index\": %d, \"op\": \"%s\", \"ops\": \"%s\", \"fused\": [", x->index,
                ir_op[x->op].onnx, x->ops ? x->ops : ir_op[x->op].onnx);
        put_fused(f, x);
        fputs("], \"processor\": ", f);
        ir_json_put_str(f, t->proc[x->dev].id);
        fprintf(f, ", \"cause\": \"%s\", \"lane\": %d, \"position\": %d, \"start_ms\": %.6f, "
                "\"end_ms\": %.6f, \"alone_ms\": %.6f, \"source\": \"%s\"}",
                pass_cause_name(x->cause), s->lane[n], s->pos[n], s->start_ms[n], s->end_ms[n],
                s->alone_ms[n], cost_source_name(s->source[n]));
    }
    fputs("],\n \"transfers\": [", f);
    first = 1;
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op != OP_COPY)
            continue;
        const Value *src = &g->val[x->in[0]], *dst = &g->val[x->out[0]];
        NodeId w = src->def;
        int from = w == NONE ? 0 : target_mem(t, t->proc[g->node[w].dev].space);
        int to = target_mem(t, t->proc[x->dev].space);
        if (from == to)
            to = 0;     /* a copy out of a device runs on the device */
        fprintf(f, "%s\n  {\"tensor\": ", first ? "" : ",");
        first = 0;
        ir_json_put_str(f, dst->name);
        fputs(", \"from\": ", f);
        ir_json_put_str(f, t->space[from].id);
        fputs(", \"to\": ", f);
        ir_json_put_str(f, t->space[to].id);
        fprintf(f, ", \"bytes\": %zu, \"processor\": ", ir_nbytes(src));
        ir_json_put_str(f, t->proc[x->dev].id);
        fprintf(f, ", \"lane\": %d, \"position\": %d, \"start_ms\": %.6f, \"end_ms\": %.6f, "
                "\"alone_ms\": %.6f, \"source\": \"%s\"}", s->lane[n], s->pos[n],
                s->start_ms[n], s->end_ms[n], s->alone_ms[n], cost_source_name(s->source[n]));
    }
    fputs("]}\n", f);
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

/* 1 when a lane of the plan runs on a simulated processor: nothing can build or run it */
static int
simulated_lane(const Plan *p)
{
    for (int k = 0; k < p->sched.nlane; k++)
        if (p->target->proc[p->sched.lane_proc[k]].backend == PB_SIMULATED)
            return p->sched.lane_proc[k] + 1;
    return 0;
}

/* 1 when two lanes of the plan work in one device memory (the executor gives a device memory
 * one processor, which allocates it), with the two lanes in *a and *b */
static int
shared_device_memory(const Plan *p, int *a, int *b)
{
    const Target *t = p->target;
    for (int k = 0; k < p->sched.nlane; k++)
        for (int j = 0; j < k; j++) {
            int mk = target_mem(t, t->proc[p->sched.lane_proc[k]].space);
            if (mk != 0 && mk == target_mem(t, t->proc[p->sched.lane_proc[j]].space)) {
                *a = j;
                *b = k;
                return 1;
            }
        }
    return 0;
}

int
cg_compile(const Graph *g, const Plan *p, const CgOptions *o, Diag *d)
{
    int sim = simulated_lane(p), la = 0, lb = 0;
    int shared = !sim && shared_device_memory(p, &la, &lb);
    if (sim && o->build)
        return diag_error(d, "processor %s is simulated: a plan that uses it can be predicted "
                          "(--no-build) but not built", p->target->proc[sim - 1].id);
    if (shared && o->build) {
        const Target *t = p->target;
        const Proc *x = &t->proc[p->sched.lane_proc[la]], *y = &t->proc[p->sched.lane_proc[lb]];
        return diag_error(d, "processors %s and %s both work in memory \"%s\": a plan that "
                          "uses both can be predicted (--no-build) but not built (a device "
                          "memory has one processor; give each a space of its own)", x->id,
                          y->id, t->space[target_mem(t, x->space)].id);
    }
    if (make_dirs(o->dir, d) < 0)
        return -1;
    if (sim || shared)
        return cg_plan_json(g, p, o, d);
    Weights w;
    char path[4096];
    int rc = -1;
    if (cg_weights_layout(g, &w, d) < 0)
        return -1;
    if (cg_emit_sources(g, p, &w, o, d) < 0 ||
        cg_weights_write(g, &w, cg_path(path, sizeof path, o, ".weights"), d) < 0 ||
        cg_plan_json(g, p, o, d) < 0)
        goto done;
    rc = o->build ? cg_build(o, d) : 0;
done:
    ir_free(w.offset);
    return rc;
}
