/*
 * profile.h: hetc profile. probe.c makes probe plans (graphs of many independent steps of the
 * shapes real models have), compiles them with the normal pipeline and runs them as child
 * processes; profmeasure.c fits rates (passes/fit.h) to their per-step medians and measures
 * the executor, links and contention; cmd_profile.c is the command and writes the description
 * with its figures; profcache.c keeps profiles per machine and gives compile and viz their
 * figures (HETC_PROFILE, HETC_CACHE_DIR: docs/profile.md).
 */
#pragma once

#include "passes/cost.h"
#include "passes/passes.h"

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>

/* hetc profile (cmd_profile.c): run with the arguments after "profile"; the exit status */
int cmd_profile(int argc, char **argv);
extern const char usage_profile[];

/* How a profile is made. */
typedef struct ProfileOptions {
    int quick;                  /* fewer runs of the same probes (half a minute at most) */
    FILE *report;               /* the fit of each rate, one line each (may be NULL) */
} ProfileOptions;

/* The circumstances of a profile, for the <measured> element. */
typedef struct ProfileMeta {
    const char *mode;           /* "quick" or "full" */
    char cpu[128], opencl[128]; /* the CPU's model name; the OpenCL devices measured, or "" */
    char date[16];              /* UTC, 2026-12-07 */
    char key[20];               /* the cache key (profile_key) */
    double seconds;             /* how long measuring took */
} ProfileMeta;

/* Measures every cpu and opencl processor of t and sets its figures: rates per class (and per
 * op where an op departs from its class), at each thread count a cpu processor may use,
 * launch_us, sync_us (when t has two real processors), the copy links' figures, contention
 * between real processors, and t->measured; meta gets the circumstances. Progress on stderr.
 * 0, or -1 after printing one line on stderr, *status set: 3 for the environment (no C
 * compiler, a probe that fails to run), 2 for a description with no processor to measure. */
int profile_measure(Target *t, const TargetHost *host, const ProfileOptions *o,
                    ProfileMeta *meta, int *status);

/* Writes t (figures included) as a device description to path, atomically (a temporary file
 * beside it, renamed), once target_parse has read the text back. 0, or -1 after a message
 * (exit 3: the file; 2 never expected: a bug if the text does not read back). */
int profile_write(const Target *t, const ProfileMeta *meta, const TargetHost *host,
                  const char *path, int *status);

/* profcache.c */
/* The cache key of t on host: 16 hex digits of a hash of the CPU model, the OpenCL devices,
 * hetc's version and t's processors, spaces and links without their figures. */
void profile_key(const Target *t, const TargetHost *host, char key[20]);
/* The cache file of t: $HETC_CACHE_DIR, else $XDG_CACHE_HOME/hetc, else $HOME/.cache/hetc, then
 * /profile-KEY.xml. 0, or -1 when no folder is known or the path does not fit. */
int profile_cache_path(const Target *t, const TargetHost *host, char *buf, size_t size);
/* Makes the cache folder (and its parents). 0, or -1 with errno set. */
int profile_cache_mkdir(const char *path);
/* Gives t the figures compile and viz plan with, by HETC_PROFILE (docs/profile.md): unset, the
 * cached profile of this machine (made now, quick, when there is none); "off", none; else the
 * description that names (processors matched by id). A t whose description has rates of its
 * own keeps them. which gets where the figures came from, for the user. cmd names the command
 * in messages. 0, or -1 after printing one line, *status set (2: a bad HETC_PROFILE file; 3:
 * profiling failed). */
int profile_fill(Target *t, const char *cmd, char *which, size_t size, int *status);

/* probe.c */
/* The probe graph for the one processor of t1 (what it can run of the probes), shapes inferred;
 * NULL with the reason in d, or with d untouched when it runs none of them. Free with
 * ir_graph_free. */
Graph *probe_graph(const Target *t1, Diag *d);
/* A chain of n steps of width floats each (Relu of [1, width]) alternating between t2's processors 0 and 1 by the rules it fills
 * (rule[n], with their selectors in names[n]); NULL as probe_graph. */
Graph *probe_pingpong(int n, int64_t width, PlaceRule *rule, char (*names)[16], const Target *t2,
                      Diag *d);
/* Plans g on t with o and builds it as DIR/NAME: 0, or -1 with the reason in d. */
int probe_compile(Graph *g, const Target *t, const PlanOptions *o, const char *dir,
                  const char *name, Plan *p, Diag *d);
/* Starts DIR/NAME with args (NULL-terminated), its stdout in DIR/NAME.out, stderr in
 * DIR/NAME.err: its pid, or -1 with the reason in d. */
pid_t probe_spawn(const char *dir, const char *name, const char *const *args, Diag *d);
/* Waits for pid, killed after limit_s seconds: 0 when it exited with status 0, else -1 with
 * the reason in d (an environment failure). */
int probe_wait(pid_t pid, double limit_s, const char *what, Diag *d);
typedef struct ProbeRun {
    int warmup, iters, threads;
} ProbeRun;
/* Runs DIR/NAME as r says with a trace and reads its step medians into m (free with
 * cost_measured_free): 0, or -1 with the reason in d. */
int probe_run(const char *dir, const char *name, const ProbeRun *r, Measured *m, Diag *d);
