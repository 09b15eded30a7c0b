/*
 * test_profcache.c: tools/profcache.c: profile_fill by HETC_PROFILE and the cache. With no
 * cached profile a quick one is made and cached (a one-processor description, to be quick);
 * the next fill takes it from the cache; a corrupt cache file is measured again; "off" gives no
 * figures; a file gives its figures by processor id; a file that does not load is exit 2; a
 * description with figures of its own keeps them; a processor narrowed to one op is measured
 * with what it runs. The key changes with the description.
 */
#include "tools/host.h"
#include "tools/profile.h"

#include "../test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char one[] =
    "<platform name=\"one\"><space id=\"host\" host=\"1\"/>"
    "<processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" threads=\"1\" space=\"host\"/>"
    "</platform>";

static const char rated[] =
    "<platform name=\"one\"><space id=\"host\" host=\"1\"/>"
    "<processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" threads=\"1\" space=\"host\">"
    "<rate class=\"conv\" gflops=\"7\"/></processor></platform>";

/* a processor narrowed to Conv alone: no warming Relu, no Slice to keep outputs, no chain */
static const char narrow[] =
    "<platform name=\"narrow\"><space id=\"host\" host=\"1\"/>"
    "<processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" threads=\"1\" space=\"host\">"
    "<supports ops=\"Conv\" dtypes=\"float32\"/></processor></platform>";

static Target t;

static void
fresh(const char *xml)
{
    Diag d;
    diag_init(&d, "t.xml");
    CHECK(target_parse(&t, xml, strlen(xml), "t.xml", NULL, &d) == 0);
}

static int
starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
main(void)
{
    char dir[] = "/tmp/test_profcache.XXXXXX", which[4200], path[4200];
    CHECK(mkdtemp(dir) != NULL);
    setenv("HETC_CACHE_DIR", dir, 1);
    unsetenv("HETC_PROFILE");
    int status = 0;

    /* a miss: measured now and cached */
    fresh(one);
    TargetHost host;
    host_probe(&host);
    CHECK(profile_cache_path(&t, &host, path, sizeof path) == 0);
    CHECK(starts(path, dir) && strstr(path, "/profile-") && strstr(path, ".xml"));
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) == 0);
    CHECK(starts(which, "a quick profile made now, cached in ") && strstr(which, path));
    CHECK(access(path, R_OK) == 0);
    CHECK(t.proc[0].nrate >= CC_COUNT && t.measured[0]);
    Rate first = t.proc[0].rate[0];

    /* a hit: the same figures */
    fresh(one);
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) == 0);
    CHECK(starts(which, "profile cached in ") && strstr(which, "(quick, "));
    CHECK(t.proc[0].nrate >= CC_COUNT);
    /* as written: 4 decimals */
    CHECK(fabs(t.proc[0].rate[0].gflops - first.gflops) < 1e-4 + 1e-6 * first.gflops);

    /* HETC_PROFILE=FILE: its figures */
    setenv("HETC_PROFILE", path, 1);
    fresh(one);
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) == 0);
    CHECK(starts(which, "figures of ") && t.proc[0].nrate >= CC_COUNT);
    /* one that does not load: exit 2 */
    setenv("HETC_PROFILE", "/nonexistent/profile.xml", 1);
    fresh(one);
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) < 0 && status == 2);
    /* off: none */
    setenv("HETC_PROFILE", "off", 1);
    fresh(one);
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) == 0);
    CHECK(strcmp(which, "default figures (HETC_PROFILE=off)") == 0 && t.proc[0].nrate == 0);

    /* a description with figures keeps them, whatever the cache */
    unsetenv("HETC_PROFILE");
    fresh(rated);
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) == 0);
    CHECK(starts(which, "figures of ") && t.proc[0].nrate == 1 && t.proc[0].rate[0].gflops == 7);

    /* a corrupt cache file: measured again */
    FILE *f = fopen(path, "w");
    CHECK(f && fputs("<platform", f) >= 0 && fclose(f) == 0);
    fresh(one);
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) == 0);
    CHECK(starts(which, "a quick profile made now"));
    fresh(one);
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) == 0);
    CHECK(starts(which, "profile cached in "));

    /* a narrowed processor: measured with what it runs (conv), the rest by neighbours */
    fresh(narrow);
    CHECK(profile_fill(&t, "test", which, sizeof which, &status) == 0);
    CHECK(starts(which, "a quick profile made now"));
    CHECK(t.proc[0].nrate >= CC_COUNT && t.proc[0].rate[0].cls == CC_CONV);
    char npath[4200];
    CHECK(profile_cache_path(&t, &host, npath, sizeof npath) == 0 && strcmp(npath, path) != 0);
    unlink(npath);

    /* the key: stable, and another for another description */
    char k1[20], k2[20], k3[20];
    fresh(one);
    profile_key(&t, &host, k1);
    profile_key(&t, &host, k2);
    t.proc[0].threads = 2;
    profile_key(&t, &host, k3);
    CHECK(strlen(k1) == 16 && strcmp(k1, k2) == 0 && strcmp(k1, k3) != 0);

    unlink(path);
    rmdir(dir);
    return TEST_DONE();
}
