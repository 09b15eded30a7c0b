/*
 * test_exec_stream.c: streams (rt_plan_stream) on two CPU lanes, from hand-written tables: lane 0
 * stamps tensor a with its frame's number, lane 1 (waiting for it) checks that a holds one
 * frame's stamp throughout while it reads it slowly, and copies it to the output. With frames in
 * flight, lane 0 gets ahead of lane 1 (at least one frame, at most the copies allow), no frame
 * ever sees another's stamp, and the output is the last frame's, whichever copy that frame used
 * (streams of 1 to 7 frames). A plan made without copies (rt_plan_new) streams one frame at a
 * time; a stream of 0 frames is refused; a step failing in the fourth frame stops the stream
 * with its message (never a hang: a watchdog), and the plan streams again afterwards.
 */
#include "exec_kit.h"

#include <stdatomic.h>

enum { N = 1024 };

/* x (input), a (arena of space 0), y (output) */
static const RtTensor shape3[] = {F32(N), F32(N), F32(N)};
static const RtPlace place3[] = {{'i', 0, 0}, {'a', 0, 0}, {'o', 0, 0}};
static const int in3[] = {0}, out3[] = {2};
static const RtSpace space3[] = {{.host = 1, .arena_bytes = N * 4}};
static const char *const names[] = {"node 0 \"stamp\" (Mul)", "node 1 \"check\" (Add)"};
static const char *const ops[] = {"Mul", "Add"};

static atomic_int stamped, checked;     /* frames each lane has done (all streams) */
static atomic_int ahead;                /* the most frames lane 0 was ahead of lane 1 */
static int mixed;                       /* frames that saw two stamps (lane 1's only) */
static int fail_at = -1;                /* lane 1 fails when `checked` reaches it */

/* a[i] = the frame's number (x is only there to be an input) */
static int
stamp(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)ctx, (void)a, (void)in, (void)nin, (void)nout;
    int f = atomic_load(&stamped), lead = f - atomic_load(&checked);
    if (lead > atomic_load(&ahead))
        atomic_store(&ahead, lead);
    float *z = out[0]->data;
    for (int i = 0; i < N; i++)
        z[i] = (float)f;
    atomic_fetch_add(&stamped, 1);
    return RT_OK;
}

/* y = a, read slowly: a[0] first, then the rest after a pause, every element the same */
static int
check(RtCtx *ctx, const Attr *a, RtTensor *const *in, int nin, RtTensor *const *out, int nout)
{
    (void)a, (void)nin, (void)nout;
    if (atomic_load(&checked) == fail_at)
        return rt_fail(ctx, RT_EUNSUPPORTED, "boom in frame %d", fail_at);
    const float *x = in[0]->data;
    float *z = out[0]->data, first = x[0];
    kit_sleep_us(300);
    int same = 1;
    for (int i = 0; i < N; i++) {
        same &= x[i] == first;
        z[i] = x[i];
    }
    mixed += !same;
    atomic_fetch_add(&checked, 1);
    return RT_OK;
}

static const int operand[] = {0, 0, 1, /* */ 1, 2};
static const int waits[] = {0, 1};
static const RtStep lane0[] = {{RT_FN(stamp), &kit_none, 0, 2, 1, 0, 0, 1, 0}};
static const RtStep lane1[] = {{RT_FN(check), &kit_none, 3, 1, 1, 0, 1, 0, 1}};
static const RtProc two_cpus[] = {
    {.id = "cpu0", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1},
    {.id = "cpu1", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1},
};
static const RtLaneDesc lanes[] = {{0, 1, lane0, NULL}, {1, 1, lane1, NULL}};
static const RtPlanDesc desc = {
    .name = "s", .ntensor = 3, .shape = shape3, .place = place3, .ninput = 1, .noutput = 1,
    .input = in3, .output = out3, .nspace = 1, .space = space3, .nproc = 2, .proc = two_cpus,
    .nlane = 2, .lane = lanes, .operand = operand, .wait = waits, .nsteps = 2,
    .step_name = names, .step_op = ops};

static float x[N], y[N];

/* A stream of n frames: 0 when it ran, its output is its last frame's stamp and no frame saw
 * another's */
static int
stream(RtPlan *p, int n)
{
    const void *in[] = {x};
    void *out[] = {y};
    int first = atomic_load(&stamped);
    memset(y, 0, sizeof y);
    int rc = rt_plan_stream(p, in, out, n);
    int ok = rc == RT_OK && mixed == 0 && atomic_load(&stamped) == first + n &&
             atomic_load(&checked) == first + n;
    for (int i = 0; ok && i < N; i++)
        ok = y[i] == (float)(first + n - 1);
    if (!ok)
        fprintf(stderr, "stream of %d: status %d (%s), y[0] %g, want %d, mixed %d\n", n, rc,
                rt_plan_error(p), (double)y[0], first + n - 1, mixed);
    return ok ? 0 : -1;
}

static void
test_in_flight(void)
{
    int status = -99;
    RtPlan *p = rt_plan_new_stream(&desc, "", 1, 7, &status);
    CHECK(p && status == RT_OK);
    if (!p)
        return;
    for (int n = 1; n <= 7; n++)
        CHECK(stream(p, n) == 0);
    for (int k = 0; k < 20; k++)
        CHECK(stream(p, 6) == 0);
    /* lane 0 ran ahead, never further than the copies (2 lanes + 1) let it: frame f waits for
     * frame f - 3 done by lane 1 */
    CHECK(atomic_load(&ahead) >= 1 && atomic_load(&ahead) <= 2);
    /* a plain run between streams */
    const void *in[] = {x};
    void *out[] = {y};
    int f = atomic_load(&stamped);
    CHECK(rt_plan_run(p, in, out) == RT_OK && y[0] == (float)f && y[N - 1] == (float)f);
    CHECK(rt_plan_stream(p, in, out, 0) == RT_EUSAGE);
    /* a failure in the fourth frame of a stream: the stream stops with it, then runs again */
    for (int k = 0; k < 2; k++) {
        fail_at = atomic_load(&checked) + 3;
        int rc = rt_plan_stream(p, in, out, 6);
        CHECK(rc == RT_EUNSUPPORTED);
        CHECK(strstr(rt_plan_error(p), "node 1 \"check\" (Add) on cpu1: boom in frame") != NULL);
        CHECK(atomic_load(&checked) == fail_at);
        fail_at = -1;
        /* the stamps of the frames lane 0 ran beyond the failure are not checked */
        atomic_store(&checked, atomic_load(&stamped));
        CHECK(stream(p, 5) == 0);
    }
    rt_plan_free(p);
}

/* rt_plan_new: one copy, so a stream's frames run one after the other */
static void
test_one_copy(void)
{
    RtPlan *p = rt_plan_new(&desc, "", 1, NULL);
    CHECK(p != NULL);
    if (!p)
        return;
    atomic_store(&ahead, 0);
    for (int n = 1; n <= 4; n++)
        CHECK(stream(p, n) == 0);
    CHECK(atomic_load(&ahead) == 0);
    rt_plan_free(p);
}

int
main(void)
{
    kit_watchdog(120);
    for (int i = 0; i < N; i++)
        x[i] = (float)i;
    test_in_flight();
    test_one_copy();
    return TEST_DONE();
}
