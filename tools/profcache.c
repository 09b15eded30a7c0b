/*
 * profcache.c: the profile cache and the figures compile and viz plan with.
 *
 * A profile is kept per machine and description in CACHE/profile-KEY.xml, KEY a 64-bit FNV-1a
 * hash of what the figures depend on: the CPU's model, the OpenCL devices, hetc's version and
 * the description's processors, spaces and links without their figures. HETC_PROFILE chooses:
 * unset, the cache (a quick profile made on the spot when it has none); "off", no figures;
 * anything else, a description whose figures are taken, processor by processor id.
 */
#include "driver.h"

#include "host.h"
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct Hash {
    uint64_t h;
} Hash;

static void
hash_bytes(Hash *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h->h ^= b[i];
        h->h *= 0x100000001b3ull;
    }
}

static void
hash_str(Hash *h, const char *s)
{
    hash_bytes(h, s, strlen(s) + 1);
}

static void
hash_int(Hash *h, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    hash_str(h, buf);
}

void
profile_key(const Target *t, const TargetHost *host, char key[20])
{
    Hash h = {0xcbf29ce484222325ull};
    hash_str(&h, "hetc " HETC_VERSION);
    hash_str(&h, host->cpu_name);
    hash_int(&h, host->ncpu);
    hash_int(&h, host->ndev);
    for (int i = 0; i < host->ndev; i++) {
        const TargetHostDev *v = &host->dev[i];
        hash_str(&h, v->name);
        hash_str(&h, v->platform);
        hash_int(&h, v->index);
        hash_int(&h, v->compute_units);
        hash_int(&h, v->gpu * 4 + v->cpu * 2 + v->unified);
    }
    for (int s = 0; s < t->nspace; s++) {
        hash_str(&h, t->space[s].id);
        hash_int(&h, t->space[s].host);
    }
    for (int p = 0; p < t->nproc; p++) {
        const Proc *x = &t->proc[p];
        hash_str(&h, x->id);
        hash_int(&h, x->kind * 16 + x->backend);
        hash_int(&h, x->threads);
        hash_int(&h, x->space);
        hash_int(&h, x->ncore);
        for (int i = 0; i < x->ncore && i < 64; i++)
            hash_int(&h, x->core[i]);
        hash_str(&h, x->cl_platform);
        hash_str(&h, x->cl_device);
        hash_int(&h, x->cl_index);
        hash_bytes(&h, x->can, sizeof x->can);
    }
    for (int i = 0; i < t->nlink; i++) {
        hash_int(&h, t->link[i].a * 256 + t->link[i].b);
        hash_int(&h, t->link[i].zero_copy);
    }
    snprintf(key, 20, "%016llx", (unsigned long long)h.h);
}

int
profile_cache_path(const Target *t, const TargetHost *host, char *buf, size_t size)
{
    const char *dir = getenv("HETC_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char key[20];
    profile_key(t, host, key);
    int n;
    if (dir && dir[0])
        n = snprintf(buf, size, "%s/profile-%s.xml", dir, key);
    else if (xdg && xdg[0])
        n = snprintf(buf, size, "%s/hetc/profile-%s.xml", xdg, key);
    else if (home && home[0])
        n = snprintf(buf, size, "%s/.cache/hetc/profile-%s.xml", home, key);
    else
        return -1;
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int
profile_cache_mkdir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
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

/* The figures of src copied into t: processors by id, links by their spaces' ids, contention
 * by processor ids. */
static void
copy_figures(Target *t, const Target *src)
{
    for (int p = 0; p < t->nproc; p++) {
        int q = target_find(src, t->proc[p].id);
        if (q < 0)
            continue;
        Proc *x = &t->proc[p];
        const Proc *y = &src->proc[q];
        x->nrate = y->nrate;
        memcpy(x->rate, y->rate, sizeof x->rate);
        x->launch_us = y->launch_us;
        x->sync_us = y->sync_us;
        x->handoff_gbps = y->handoff_gbps;
    }
    for (int i = 0; i < t->nlink; i++) {
        Link *l = &t->link[i];
        for (int j = 0; j < src->nlink; j++) {
            const Link *m = &src->link[j];
            const char *ma = src->space[m->a].id, *mb = src->space[m->b].id;
            const char *la = t->space[l->a].id, *lb = t->space[l->b].id;
            int same = strcmp(ma, la) == 0 && strcmp(mb, lb) == 0;
            if (!same && !(strcmp(ma, lb) == 0 && strcmp(mb, la) == 0))
                continue;
            l->gbps = same ? m->gbps : m->back_gbps ? m->back_gbps : m->gbps;
            l->latency_us = same          ? m->latency_us
                            : m->back_gbps ? m->back_latency_us
                                           : m->latency_us;
            l->back_gbps = same ? m->back_gbps : m->back_gbps ? m->gbps : 0;
            l->back_latency_us = same ? m->back_latency_us : m->back_gbps ? m->latency_us : 0;
            l->map_gbps = m->map_gbps;
            l->map_latency_us = m->map_latency_us;
        }
    }
    t->ncont = 0;
    for (int i = 0; i < src->ncont; i++) {
        int a = target_find(t, src->proc[src->cont[i].a].id);
        int b = target_find(t, src->proc[src->cont[i].b].id);
        if (a >= 0 && b >= 0)
            t->cont[t->ncont++] = (Contention){a, b, src->cont[i].factor, 0};
    }
    snprintf(t->measured, sizeof t->measured, "%s", src->measured);
}

static int
has_figures(const Target *t)
{
    for (int p = 0; p < t->nproc; p++)
        if (t->proc[p].nrate > 0)
            return 1;
    return 0;
}

/* Loads the description at path into a new target and copies its figures into t: 0, or -1
 * with the reason in d. */
static int
take_from(Target *t, const char *path, const TargetHost *host, Diag *d)
{
    Target *src = malloc(sizeof *src);
    if (!src)
        return diag_oom(d);
    int rc = target_load(src, path, host, d);
    if (rc == 0)
        copy_figures(t, src);
    free(src);
    return rc;
}

int
profile_fill(Target *t, const char *cmd, char *which, size_t size, int *status)
{
    const char *env = getenv("HETC_PROFILE");
    if (env && strcmp(env, "off") == 0) {
        snprintf(which, size, "default figures (HETC_PROFILE=off)");
        return 0;
    }
    if (has_figures(t)) {
        snprintf(which, size, "figures of %s", t->file[0] ? t->file : "the description");
        return 0;
    }
    TargetHost host;
    host_probe(&host);
    Diag d;
    diag_init(&d, NULL);
    if (env && env[0]) {
        if (take_from(t, env, &host, &d) < 0) {
            fprintf(stderr, "hetc %s: HETC_PROFILE: %s\n", cmd, d.msg);
            *status = diag_status(&d);
            return -1;
        }
        snprintf(which, size, "figures of %s", env);
        return 0;
    }
    char path[4096];
    if (profile_cache_path(t, &host, path, sizeof path) < 0) {
        snprintf(which, size, "default figures (no cache folder: set HETC_CACHE_DIR or HOME)");
        return 0;
    }
    if (access(path, R_OK) == 0 && take_from(t, path, &host, &d) == 0) {
        const char *date = strrchr(t->measured, ',');
        snprintf(which, size, "profile cached in %s (%s, %s)", path,
                 strstr(t->measured, "--quick") ? "quick" : "full", date ? date + 2 : "undated");
        return 0;
    }
    /* none, or one that no longer loads: measure now */
    fprintf(stderr, "hetc: no profile of this machine yet: measuring (hetc profile --quick, "
                    "about 30 s)\n");
    Target *m = malloc(sizeof *m);
    if (!m) {
        fputs("hetc: out of memory\n", stderr);
        *status = EXIT_ENV;
        return -1;
    }
    *m = *t;
    ProfileMeta meta = {0};
    profile_key(t, &host, meta.key);
    ProfileOptions o = {1, NULL};
    int rc = profile_measure(m, &host, &o, &meta, status);
    if (rc == 0 && profile_cache_mkdir(path) < 0) {
        fprintf(stderr, "hetc %s: cannot make the folder of %s: %s\n", cmd, path,
                strerror(errno));
        *status = EXIT_ENV;
        rc = -1;
    }
    if (rc == 0 && (rc = profile_write(m, &meta, &host, path, status)) == 0) {
        copy_figures(t, m);
        snprintf(which, size, "a quick profile made now, cached in %s", path);
    }
    free(m);
    return rc;
}
