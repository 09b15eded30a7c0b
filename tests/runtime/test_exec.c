/*
 * test_exec.c: the executor (runtime/exec.c) on CPU lanes, from hand-written plan tables: a
 * diamond over two lanes (lane 0 computes a, lane 1 waits for it and computes b, lane 0 waits
 * for b and joins) against a serial result over 1000 runs whose inputs change every run, so
 * that a wait that is missing or satisfied by the previous run's count shows; the same tables
 * without the wait, which must show it (not under ThreadSanitizer: that race is the point);
 * a failing step on one lane while the other waits for it, or is asleep waiting (the run
 * returns the error naming the step and processor, never hangs: a watchdog), then runs again;
 * pinning, thread counts and the caller's thread for one lane; tables refused at creation (a
 * cycle of waits, a core that does not exist, a missing weights file); traces.
 */
#include "exec_kit.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

enum { N = 1000 };

/* x (input), a, b (arena of space 0), y (output) */
static const RtTensor shape4[] = {F32(N), F32(N), F32(N), F32(N)};
static const RtPlace place4[] = {{'i', 0, 0}, {'a', 0, 0}, {'a', 4096, 0}, {'o', 0, 0}};
static const int in4[] = {0}, out4[] = {3};
static const RtSpace host_space[] = {{.host = 1, .arena_bytes = 8192}};
static const char *const names[] = {"node 0 \"sq\" (Mul)", "node 1 \"dbl\" (Add)",
                                    "node 2 \"join\" (Add)", "node 3 \"bad\" (Fail)"};
static const char *const ops[] = {"Mul", "Add", "Add", "Fail"};

/* lane 0: a = x * x; (waits for lane 1's first step) y = a + b. lane 1: (waits for lane 0's
 * first step) b = a + a. */
static const int operand[] = {0, 0, 1, /* */ 1, 2, 3, /* */ 1, 1, 2};
static const int waits[] = {1, 1, /* */ 0, 1};
static const RtStep lane0[] = {
    /* node 0 "sq" (Mul) */
    {RT_FN(kit_slow_mul), &kit_none, 0, 2, 1, 0, 0, 1, 0},
    /* node 2 "join" (Add) */
    {RT_FN(cpu_add), &kit_none, 3, 2, 1, 0, 1, 0, 2},
};
static const RtStep lane1[] = {
    /* node 1 "dbl" (Add) */
    {RT_FN(cpu_add), &kit_none, 6, 2, 1, 1, 1, 1, 1},
};
static const RtProc two_cpus[] = {
    {.id = "cpu0", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1},
    {.id = "cpu1", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1},
};
static const RtLaneDesc diamond_lanes[] = {{0, 2, lane0, NULL}, {1, 1, lane1, NULL}};

static RtPlanDesc
desc4(const RtLaneDesc *lanes, int nlane, const RtProc *proc, int nproc)
{
    return (RtPlanDesc){
        .name = "t", .ntensor = 4, .shape = shape4, .place = place4, .ninput = 1,
        .noutput = 1, .input = in4, .output = out4, .nspace = 1, .space = host_space,
        .nproc = nproc, .proc = proc, .nlane = nlane, .lane = lanes, .operand = operand,
        .wait = waits, .nsteps = 4, .step_name = names, .step_op = ops};
}

static void
fill(float *x, int run)
{
    for (int i = 0; i < N; i++)
        x[i] = (float)(run % 13) + (float)i * 0.25f;
}

/* y = a + (a + a) with a = x * x, in the kernels' order */
static int
serial_matches(const float *x, const float *y)
{
    for (int i = 0; i < N; i++) {
        float a = x[i] * x[i], b = a + a;
        if (y[i] != a + b)
            return 0;
    }
    return 1;
}

static void
test_diamond(void)
{
    static float x[N], y[N];
    const void *in[] = {x};
    void *out[] = {y};
    RtPlanDesc d = desc4(diamond_lanes, 2, two_cpus, 2);
    int status = -99;
    RtPlan *p = rt_plan_new(&d, "", 1, &status);
    CHECK(p && status == RT_OK);
    if (!p) {
        fprintf(stderr, "%s\n", rt_create_error());
        return;
    }
    int bad = 0;
    for (int run = 0; run < 1000; run++) {
        kit_slow_us = run % 10 == 0 ? 200 : 0;     /* now and then a slow producer */
        fill(x, run);
        memset(y, 0, sizeof y);
        int rc = rt_plan_run(p, in, out);
        if ((rc != RT_OK || !serial_matches(x, y)) && bad++ == 0)
            fprintf(stderr, "run %d: status %d (%s), y[1] %g, x[1] %g\n", run, rc,
                    rt_plan_error(p), (double)y[1], (double)x[1]);
    }
    kit_slow_us = 0;
    CHECK(bad == 0);
    /* traces: every step once, on its lane, lane 1 after lane 0's first step */
    CHECK(rt_plan_trace(p, 1) == RT_OK);
    fill(x, 5);
    CHECK(rt_plan_run(p, in, out) == RT_OK && serial_matches(x, y));
    int n0, n1;
    const RtTraceEvent *e0 = rt_plan_trace_events(p, 0, &n0), *e1 = rt_plan_trace_events(p, 1, &n1);
    CHECK(n0 == 2 && n1 == 1);
    if (n0 == 2 && n1 == 1) {
        CHECK(e0[0].step == 0 && e0[1].step == 2 && e1[0].step == 1);
        CHECK(e0[0].lane == 0 && e1[0].lane == 1 && !e0[0].copy);
        CHECK(e0[0].start_ms >= 0 && e0[0].start_ms <= e0[0].end_ms);
        CHECK(e1[0].start_ms >= e0[0].end_ms);     /* it waited */
        CHECK(e0[1].start_ms >= e1[0].end_ms);
    }
    CHECK(rt_plan_nlane(p) == 2 && rt_plan_lane_proc(p, 1) == 1 && rt_plan_threads(p, 0) == 1);
    CHECK(strlen(rt_plan_device(p, 0)) > 0);
    rt_plan_free(p);
}

/* Without lane 1's wait, a slow producer is overtaken: the test above would see it. */
static void
test_missing_wait_shows(void)
{
#ifndef UNDER_TSAN
    static float x[N], y[N];
    const void *in[] = {x};
    void *out[] = {y};
    static const RtStep lane1_nowait[] = {{RT_FN(cpu_add), &kit_none, 6, 2, 1, 0, 0, 0, 1}};
    static const RtLaneDesc nowait_lanes[] = {{0, 2, lane0, NULL}, {1, 1, lane1_nowait, NULL}};
    RtPlanDesc d = desc4(nowait_lanes, 2, two_cpus, 2);
    RtPlan *p = rt_plan_new(&d, "", 1, NULL);
    CHECK(p != NULL);
    int bad = 0;
    kit_slow_us = 2000;
    for (int run = 0; p && run < 20; run++) {
        fill(x, run);
        bad += rt_plan_run(p, in, out) != RT_OK || !serial_matches(x, y);
    }
    kit_slow_us = 0;
    CHECK(bad > 0);
    rt_plan_free(p);
#endif
}

/* lane 0: fails at its first step (after 20 ms); lane 1 waits for lane 0's second step. Then
 * the other way round: lane 0 asleep in its wait for lane 1, which fails. */
static const int fail_operand[] = {0, 1, /* */ 1, 2, /* */ 2, 2, 3};
static const int fail_waits[] = {0, 2, /* */ 1, 1};
static const RtStep fail_lane0[] = {
    {RT_FN(kit_fail), &kit_none, 0, 1, 1, 0, 0, 0, 3},
    {RT_FN(kit_fail), &kit_none, 2, 1, 1, 0, 0, 1, 3},
};
static const RtStep fail_lane1[] = {
    {RT_FN(cpu_add), &kit_none, 4, 2, 1, 0, 1, 0, 2},
};
static const RtStep fail2_lane0[] = {
    {RT_FN(cpu_add), &kit_none, 4, 2, 1, 1, 1, 0, 2},
};
static const RtStep fail2_lane1[] = {
    {RT_FN(kit_fail), &kit_none, 0, 1, 1, 0, 0, 1, 3},
};

static void
test_failure(void)
{
    static float x[N], y[N];
    const void *in[] = {x};
    void *out[] = {y};
    static const RtLaneDesc a[] = {{0, 2, fail_lane0, NULL}, {1, 1, fail_lane1, NULL}};
    static const RtLaneDesc b[] = {{0, 1, fail2_lane0, NULL}, {1, 1, fail2_lane1, NULL}};
    for (int k = 0; k < 2; k++) {
        RtPlanDesc d = desc4(k ? b : a, 2, two_cpus, 2);
        d.operand = fail_operand;
        d.wait = fail_waits;
        RtPlan *p = rt_plan_new(&d, "", 1, NULL);
        CHECK(p != NULL);
        if (!p)
            continue;
        kit_fail_runs = 1 << 30;
        for (int run = 0; run < 3; run++) {
            int rc = rt_plan_run(p, in, out);
            CHECK(rc == RT_EUNSUPPORTED);
            const char *want = k ? "node 3 \"bad\" (Fail) on cpu1: boom 7"
                                 : "node 3 \"bad\" (Fail) on cpu0: boom 7";
            CHECK(strcmp(rt_plan_error(p), want) == 0);
            if (strcmp(rt_plan_error(p), want) != 0)
                fprintf(stderr, "error: %s\n", rt_plan_error(p));
        }
        /* the plan runs again once the kernel stops failing */
        kit_fail_runs = 0;
        fill(x, 3);
        CHECK(rt_plan_run(p, in, out) == RT_OK && rt_plan_error(p)[0] == 0);
        rt_plan_free(p);
    }
}

/* where steps run: lane 0 pinned to core 0 with 2 threads, lane 1 unpinned; a plan of one lane
 * on the caller's thread, unpinned even when its processor names cores */
static const int core0[] = {0};
static const RtTensor where_shape[] = {F32(4), F32(4)};
static const RtPlace where_place[] = {{'a', 0, 0}, {'a', 64, 0}};
static const int where_out[] = {0, 1};
static const int where_operand[] = {0, 1};
static const RtStep where0[] = {{RT_FN(kit_where), &kit_none, 0, 0, 1, 0, 0, 0, 0}};
static const RtStep where1[] = {{RT_FN(kit_where), &kit_none, 1, 0, 1, 0, 0, 0, 0}};

static void
test_where(void)
{
    static const RtProc procs[] = {
        {.id = "cpu0", .backend = RT_BACKEND_CPU, .threads = 2, .ncore = 1, .core = core0,
         .cl_index = -1},
        {.id = "cpu1", .backend = RT_BACKEND_CPU, .threads = 0, .cl_index = -1},
    };
    static const RtLaneDesc lanes[] = {{0, 1, where0, NULL}, {1, 1, where1, NULL}};
    RtPlanDesc d = {.name = "w", .ntensor = 2, .shape = where_shape, .place = where_place,
                    .noutput = 2, .output = where_out, .nspace = 1, .space = host_space,
                    .nproc = 2, .proc = procs, .nlane = 2, .lane = lanes,
                    .operand = where_operand, .nsteps = 1, .step_name = names, .step_op = ops};
    float w0[4], w1[4];
    void *out[] = {w0, w1};
    cpu_set_t mine;
    CPU_ZERO(&mine);
    pthread_getaffinity_np(pthread_self(), sizeof mine, &mine);
    float ncpu = (float)CPU_COUNT(&mine);
    RtPlan *p = rt_plan_new(&d, "", 3, NULL);
    CHECK(p && rt_plan_run(p, NULL, out) == RT_OK);
    CHECK(w0[0] == 1 && w0[1] == 0 && w0[2] == 0 && w0[3] == 2);
    CHECK(w1[0] == ncpu && w1[2] == 0 && w1[3] == 3);      /* the run's 3 threads */
    rt_plan_free(p);
    d.nlane = 1;
    p = rt_plan_new(&d, "", 1, NULL);
    CHECK(p && rt_plan_run(p, NULL, out) == RT_OK);
    CHECK(w0[0] == ncpu && w0[2] == 1 && w0[3] == 2);
    rt_plan_free(p);
}

static void
test_refused(void)
{
    /* a cycle: lane 0 waits for lane 1's step, which waits for lane 0's */
    static const int cyc_waits[] = {1, 1, 0, 1};
    static const RtStep c0[] = {{RT_FN(cpu_add), &kit_none, 3, 2, 1, 0, 1, 1, 0}};
    static const RtStep c1[] = {{RT_FN(cpu_add), &kit_none, 6, 2, 1, 1, 1, 1, 1}};
    static const RtLaneDesc cyc[] = {{0, 1, c0, NULL}, {1, 1, c1, NULL}};
    RtPlanDesc d = desc4(cyc, 2, two_cpus, 2);
    d.wait = cyc_waits;
    int status = 0;
    CHECK(rt_plan_new(&d, "", 1, &status) == NULL && status == RT_EINPUT);
    CHECK(strstr(rt_create_error(), "cycle") != NULL);
    /* a core that does not exist */
    static const int far_core[] = {1000};
    static const RtProc far[] = {
        {.id = "cpu0", .backend = RT_BACKEND_CPU, .threads = 1, .ncore = 1, .core = far_core,
         .cl_index = -1},
        {.id = "cpu1", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1},
    };
    d = desc4(diamond_lanes, 2, far, 2);
    CHECK(rt_plan_new(&d, "", 1, &status) == NULL && status == RT_ESYS);
    CHECK(strstr(rt_create_error(), "cannot pin its thread to cores 1000") != NULL);
    fprintf(stderr, "(expected) %s\n", rt_create_error());
    /* an operand out of range, a wait past the end of a lane */
    static const int bad_operand[] = {0, 0, 9, 1, 2, 3, 1, 1, 2};
    d = desc4(diamond_lanes, 2, two_cpus, 2);
    d.operand = bad_operand;
    CHECK(rt_plan_new(&d, "", 1, &status) == NULL && status == RT_EINPUT);
    static const int long_waits[] = {1, 5, 0, 1};
    d = desc4(diamond_lanes, 2, two_cpus, 2);
    d.wait = long_waits;
    CHECK(rt_plan_new(&d, "", 1, &status) == NULL && status == RT_EINPUT);
    /* weights that are not there */
    d = desc4(diamond_lanes, 2, two_cpus, 2);
    d.weights_bytes = 64;
    CHECK(rt_plan_new(&d, "/nonexistent/x.weights", 1, &status) == NULL && status == RT_EIO);
}

int
main(void)
{
    kit_main_thread = pthread_self();
    kit_watchdog(100);
    test_diamond();
    test_missing_wait_shows();
    test_failure();
    test_where();
    test_refused();
    return TEST_DONE();
}
