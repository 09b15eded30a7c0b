/*
 * test_exec_ocl.c: the executor with an OpenCL lane beside a CPU lane, from hand-written plan
 * tables, against serial results over many runs whose inputs change every run:
 * - on host memory (zero-copy): the OpenCL lane reads the CPU lane's arena tensor and a
 *   constant of the mapped weights, writes an arena tensor the CPU lane reads, and writes an
 *   output straight into the caller's buffer;
 * - in a memory space of its own: Copy steps both ways, a constant copied to the device once
 *   (RtWeightUse), an output copied out by a step and one read back at the end of the run;
 * - traces of both (copies flagged, device steps in queue order);
 * - a step failing on the OpenCL lane while the CPU lane waits for it (the error names the step,
 *   the processor and the kernel's detail; never a hang: a watchdog);
 * - a processor naming no device: creation fails with the status and rt_create_error.
 * Without an OpenCL device it exits 77 (skipped), unless HETC_REQUIRE_OPENCL=1.
 */
#include "plans.h"

enum { RUNS = 300 };

static char wpath[64];
static uint64_t wsum;

static void
fill(float *x, int run)
{
    for (int i = 0; i < N; i++)
        x[i] = (float)(run % 11) * 0.5f + (float)i * 0.125f;
}

/* the outputs of both plans, from x, in the kernels' order */
static int
matches(const float *x, const float *y, const float *y2, const float *z)
{
    for (int i = 0; i < N; i++) {
        float a = x[i] * x[i], b = a + wdata[i];
        if (y[i] != a + b || y2[i] != b * b || (z && z[i] != a + a)) {
            fprintf(stderr, "element %d: y %g (want %g), y2 %g (want %g)\n", i, (double)y[i],
                    (double)(a + b), (double)y2[i], (double)(b * b));
            return 0;
        }
    }
    return 1;
}

static void
run_many(RtPlan *p, int with_z)
{
    static float x[N], y[N], y2[N], z[N];
    const void *in[] = {x};
    void *out[] = {y, y2, z};
    int bad = 0;
    for (int run = 0; run < RUNS && bad < 3; run++) {
        kit_slow_us = run % 10 == 0 ? 300 : 0;
        fill(x, run);
        memset(y, 0, sizeof y);
        memset(y2, 0, sizeof y2);
        int rc = rt_plan_run(p, in, out);
        if (rc != RT_OK)
            fprintf(stderr, "run %d: %s\n", run, rt_plan_error(p));
        bad += rc != RT_OK || !matches(x, y, y2, with_z ? z : NULL);
    }
    kit_slow_us = 0;
    CHECK(bad == 0);
    /* a trace: both lanes, every step, device steps in queue order */
    CHECK(rt_plan_trace(p, 1) == RT_OK);
    fill(x, 1);
    double t0 = rt_now_ms();
    CHECK(rt_plan_run(p, in, out) == RT_OK && matches(x, y, y2, with_z ? z : NULL));
    double wall = rt_now_ms() - t0;
    int n0, n1, copies = 0;
    const RtTraceEvent *e0 = rt_plan_trace_events(p, 0, &n0), *e1 = rt_plan_trace_events(p, 1, &n1);
    CHECK(n0 == 2 && n1 == (with_z ? 6 : 2));
    for (int i = 0; i < n1; i++) {
        CHECK(e1[i].lane == 1 && e1[i].start_ms <= e1[i].end_ms);
        CHECK(e1[i].start_ms > -1 && e1[i].end_ms < wall + 1);
        if (i > 0)
            CHECK(e1[i - 1].end_ms <= e1[i].start_ms);
        copies += e1[i].copy;
    }
    CHECK(copies == (with_z ? 3 : 0));
    CHECK(n0 < 1 || e0[0].lane == 0);
    CHECK(strlen(rt_plan_device(p, 1)) > 0);
    rt_plan_trace(p, 0);
}

/* the plan in ocl0's own space (own: 1) or on host memory */
static void
test_plan(int own)
{
    RtPlanDesc d = plans_desc(own, own ? procs_own : procs, wsum);
    RtPlan *p = rt_plan_new(&d, wpath, 1, NULL);
    CHECK(p != NULL);
    if (!p) {
        fprintf(stderr, "%s\n", rt_create_error());
        return;
    }
    run_many(p, own);
    rt_plan_free(p);
}

/* ocl0 fails (Add of complex64, which OpenCL refuses) while cpu0 waits for it */
static void
test_failure(void)
{
    static const RtTensor sh[] = {{.dt = DT_C64, .rank = 1, .dim = {4}},
                                  {.dt = DT_C64, .rank = 1, .dim = {4}}, F32(4), F32(4)};
    static const RtPlace pl[] = {{'a', 0, 0}, {'a', 64, 0}, {'o', 0, 0}, {'a', 128, 0}};
    static const int out[] = {2}, operand[] = {3, 3, 2, /* */ 0, 0, 1}, w[] = {1, 1};
    static const RtStep c[] = {{RT_FN(cpu_add), &kit_none, 0, 2, 1, 0, 1, 0, 2}};
    static const RtStep o[] = {{RT_FN(ocl_op_add), &kit_none, 3, 2, 1, 0, 0, 1, 1}};
    static const RtLaneDesc lanes[] = {{0, 1, c, NULL}, {1, 1, o, NULL}};
    RtPlanDesc d = {.name = "f", .ntensor = 4, .shape = sh, .place = pl, .noutput = 1,
                    .output = out, .nspace = 1, .space = space_zc, .nproc = 2, .proc = procs,
                    .nlane = 2, .lane = lanes, .operand = operand, .wait = w, .nsteps = 4,
                    .step_name = names, .step_op = ops};
    float y[4];
    void *outs[] = {y};
    RtPlan *p = rt_plan_new(&d, "", 1, NULL);
    CHECK(p != NULL);
    for (int run = 0; p && run < 3; run++) {
        int rc = rt_plan_run(p, NULL, outs);
        CHECK(rc == RT_EUNSUPPORTED);
        const char *e = rt_plan_error(p), *want = "node 1 \"dbl\" (Add) on ocl0: ";
        CHECK(strncmp(e, want, strlen(want)) == 0 && strstr(e, "complex") != NULL);
        if (run == 0)
            fprintf(stderr, "(expected) %s\n", e);
    }
    rt_plan_free(p);
}

static void
test_no_device(void)
{
    RtProc none[2] = {procs[0], procs[1]};
    none[1].cl_device = "no-such-device-anywhere";
    RtPlanDesc d = plans_desc(0, none, wsum);
    int status = 0;
    CHECK(rt_plan_new(&d, wpath, 1, &status) == NULL && status == RT_ECL);
    const char *e = rt_create_error();
    CHECK(strstr(e, "opening processor ocl0: no OpenCL device") != NULL);
    CHECK(strstr(e, "no-such-device-anywhere") != NULL);
    fprintf(stderr, "(expected) %s\n", e);
    none[1].cl_device = NULL;
    none[1].cl_index = 99;
    CHECK(rt_plan_new(&d, wpath, 1, &status) == NULL && status == RT_ECL);
    CHECK(strstr(rt_create_error(), "no OpenCL device 99") != NULL);
    /* a one-lane plan of the OpenCL processor alone fails the same way, on the caller's thread */
    static const RtLaneDesc one[] = {{1, 0, NULL, NULL}};
    none[1].cl_index = -1;
    none[1].cl_device = "no-such-device-anywhere";
    d.nlane = 1;
    d.lane = one;
    CHECK(rt_plan_new(&d, wpath, 1, &status) == NULL && status == RT_ECL);
}

static int
have_device(void)
{
    RtCtx *c = rt_ctx_new(1);
    OclDevInfo info[4];
    int n = 0, ok = c && ocl_list(c, info, 4, &n) == RT_OK && n > 0;
    rt_ctx_free(c);
    return ok;
}

int
main(void)
{
    kit_main_thread = pthread_self();
    kit_watchdog(110);
    if (!have_device()) {
        const char *req = getenv("HETC_REQUIRE_OPENCL");
        int required = req && strcmp(req, "1") == 0;
        fprintf(stderr, "no OpenCL device%s\n", required ? ", but HETC_REQUIRE_OPENCL=1" : "");
        return required ? 1 : 77;
    }
    for (int i = 0; i < N; i++)
        wdata[i] = (float)(i % 17) - 8.0f;
    snprintf(wpath, sizeof wpath, "/tmp/test_exec_ocl_%d.weights", (int)getpid());
    wsum = kit_weights(wpath, wdata, sizeof wdata);
    test_plan(0);
    test_plan(1);
    test_failure();
    test_no_device();
    unlink(wpath);
    return TEST_DONE();
}
