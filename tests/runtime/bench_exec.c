/*
 * bench_exec.c: what the executor costs, on hand-written plans of steps that do nothing:
 * - per step, one lane on the caller's thread (rt_lane_steps), beside the loop the generated
 *   plans ran before the executor (build the operand pointers, call the kernel, check);
 * - per run: a run of one lane, and of two lanes on their workers (waking them, waiting);
 * - per cross-lane handoff: two lanes whose steps wait for each other in turn (ping-pong), on
 *   two cores when there are two.
 * Prints a table for docs/benchmarks.md. Usage: bench_exec [steps] (default 20000).
 */
#include "exec_kit.h"

enum { REPS = 30 };

static const RtTensor shape[] = {F32(1), F32(1)};
static const RtPlace place[] = {{'a', 0, 0}, {'a', 64, 0}};
static const RtSpace space[] = {{.host = 1, .arena_bytes = 128}};
static const char *const names[] = {"node 0 \"nop\" (Nop)"};
static const int operand[] = {0, 1};

/* the median time of REPS calls of run(p) in ns, after a warm-up */
static double
median_ns(RtPlan *p, int reps)
{
    double t[REPS];
    for (int i = 0; i < 3; i++)
        rt_plan_run(p, NULL, NULL);
    for (int i = 0; i < reps; i++) {
        double t0 = rt_now_ms();
        rt_plan_run(p, NULL, NULL);
        t[i] = (rt_now_ms() - t0) * 1e6;
    }
    for (int i = 1; i < reps; i++)
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[reps / 2];
}

/* The loop of the generated plans before the executor: per step, the operand pointers and the
 * call, through the step table; the median over REPS passes, in ns. */
static double
old_loop_ns(const RtStep *steps, int n, RtCtx *ctx)
{
    RtTensor t[2] = {shape[0], shape[1]};
    float buf[2];
    t[0].data = &buf[0];
    t[1].data = &buf[1];
    double best[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = rt_now_ms();
        for (int k = 0; k < n; k++) {
            const RtStep *s = &steps[k];
            const int *id = &operand[s->at];
            RtTensor *in[4], *out[4];
            for (int j = 0; j < s->nin; j++)
                in[j] = id[j] < 0 ? NULL : &t[id[j]];
            for (int j = 0; j < s->nout; j++)
                out[j] = id[s->nin + j] < 0 ? NULL : &t[id[s->nin + j]];
            if (((RtKernel)s->fn)(ctx, s->a, in, s->nin, out, s->nout) != RT_OK)
                return -1;
        }
        best[r] = (rt_now_ms() - t0) * 1e6;
    }
    double m = best[0];
    for (int r = 1; r < REPS; r++)
        m = best[r] < m ? best[r] : m;
    return m;
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    if (n < 2 || n > 10000000) {
        fprintf(stderr, "usage: bench_exec [steps, 2 to 10000000]\n");
        return 1;
    }
    (void)test_pass, (void)test_fail;
    RtStep *nop = calloc((size_t)n, sizeof *nop);
    RtStep *a = calloc((size_t)n, sizeof *a), *b = calloc((size_t)n, sizeof *b);
    int *wait = calloc((size_t)n * 4 + 4, sizeof *wait);
    if (!nop || !a || !b || !wait)
        return 1;
    for (int k = 0; k < n; k++) {
        nop[k] = (RtStep){RT_FN(kit_nop), &kit_none, 0, 1, 1, 0, 0, 0, 0};
        /* ping-pong: a[k] waits for b[k - 1], b[k] for a[k] */
        wait[4 * k] = 1;
        wait[4 * k + 1] = k;
        wait[4 * k + 2] = 0;
        wait[4 * k + 3] = k + 1;
        a[k] = (RtStep){RT_FN(kit_nop), &kit_none, 0, 1, 1, 2 * k, k > 0, 1, 0};
        b[k] = (RtStep){RT_FN(kit_nop), &kit_none, 0, 1, 1, 2 * k + 1, 1, 1, 0};
    }
    static const int cores[] = {0, 1};
    int two = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
    RtProc proc[2] = {
        {.id = "cpu0", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1,
         .ncore = two, .core = &cores[0]},
        {.id = "cpu1", .backend = RT_BACKEND_CPU, .threads = 1, .cl_index = -1,
         .ncore = two, .core = &cores[1]},
    };
    RtLaneDesc one[] = {{0, n, nop, NULL}};
    RtLaneDesc empty[] = {{0, 0, NULL, NULL}, {1, 0, NULL, NULL}};
    RtLaneDesc tiny[] = {{0, 1, nop, NULL}, {1, 1, nop, NULL}};
    RtLaneDesc pingpong[] = {{0, n, a, NULL}, {1, n, b, NULL}};
    RtPlanDesc d = {.name = "bench", .ntensor = 2, .shape = shape, .place = place, .nspace = 1,
                    .space = space, .nproc = 2, .proc = proc, .nlane = 1, .lane = one,
                    .operand = operand, .wait = wait, .nsteps = 1, .step_name = names,
                    .step_op = names};
    RtPlan *p = rt_plan_new(&d, "", 1, NULL);
    if (!p) {
        fprintf(stderr, "%s\n", rt_create_error());
        return 1;
    }
    double exec_step = median_ns(p, REPS) / n;
    double old_step = old_loop_ns(nop, n, rt_plan_ctx(p)) / n;
    d.lane = one;
    RtLaneDesc zero[] = {{0, 0, NULL, NULL}};
    d.lane = zero;
    RtPlan *p0 = rt_plan_new(&d, "", 1, NULL);
    double run1 = p0 ? median_ns(p0, REPS) : -1;
    rt_plan_free(p0);
    d.nlane = 2;
    d.lane = empty;
    RtPlan *p2 = rt_plan_new(&d, "", 1, NULL);
    double run2 = p2 ? median_ns(p2, REPS) : -1;
    rt_plan_free(p2);
    d.lane = tiny;
    p2 = rt_plan_new(&d, "", 1, NULL);
    double run2s = p2 ? median_ns(p2, REPS) : -1;
    rt_plan_free(p2);
    d.lane = pingpong;
    p2 = rt_plan_new(&d, "", 1, NULL);
    double hand = p2 ? median_ns(p2, REPS) / (2.0 * n - 1) : -1;
    rt_plan_free(p2);
    rt_plan_free(p);
    printf("| what | ns |\n|---|---|\n");
    printf("| a step, one lane (rt_lane_steps, caller's thread) | %.1f |\n", exec_step);
    printf("| a step, the loop of the plans before the executor | %.1f |\n", old_step);
    printf("| a run of one lane with no steps | %.0f |\n", run1);
    printf("| a run of two lanes with no steps (wake both workers, wait) | %.0f |\n", run2);
    printf("| a run of two lanes of one step each | %.0f |\n", run2s);
    printf("| a cross-lane handoff (ping-pong, %s) | %.0f |\n",
           two ? "lanes pinned to cores 0 and 1" : "one core", hand);
    free(nop);
    free(a);
    free(b);
    free(wait);
    return 0;
}
