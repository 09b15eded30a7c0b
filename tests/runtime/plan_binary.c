/*
 * plan_binary.c: a plan binary (rt_main) over the hand-written tables of plans.h, so that the
 * binary's --trace, --json, --output and failures are tested on two processors before and
 * apart from the compiler's plans. $EXEC_PLAN picks the tables: "own" (ocl0 in a space of its
 * own, with copies), "zc" (ocl0 on host memory), "nodev" (ocl0 names no device), "badtables"
 * (tables the executor refuses). The weights file is written first, to $EXEC_WEIGHTS (pass it
 * to --weights).
 */
#include "plans.h"

static const RtTensor in_shape[] = {F32(N)};
static const RtTensor out_shape[] = {F32(N), F32(N), F32(N)};
static const char *const in_names[] = {"x"};
static const char *const out_names[] = {"y", "y2", "z"};

int
main(int argc, char **argv)
{
    const char *which = getenv("EXEC_PLAN"), *path = getenv("EXEC_WEIGHTS");
    (void)test_pass, (void)test_fail;  /* (the test harness comes with the kit) */
    if (!which || !path) {
        fprintf(stderr, "set EXEC_PLAN (own, zc, nodev, badtables) and EXEC_WEIGHTS\n");
        return 1;
    }
    for (int i = 0; i < N; i++)
        wdata[i] = (float)(i % 17) - 8.0f;
    uint64_t sum = kit_weights(path, wdata, sizeof wdata);
    RtProc nodev[2] = {procs[0], procs[1]};
    nodev[1].cl_device = "no-such-device-anywhere";
    int own = strcmp(which, "own") == 0;
    RtPlanDesc d = plans_desc(own, own ? procs_own : strcmp(which, "nodev") == 0 ? nodev : procs,
                              sum);
    d.name = "plan_binary";
    if (strcmp(which, "badtables") == 0)
        d.nlane = -1;   /* tables rt_plan_new refuses: said as such, not as a bad weights file */
    RtModelInfo info = {"plan_binary", 1, d.noutput, in_shape, in_names, out_shape, out_names,
                        &d};
    return rt_main(argc, argv, &info);
}
