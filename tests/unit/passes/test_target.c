/*
 * test_target.c: device descriptions (passes/target.c). The shipped descriptions parse against a
 * fake host; the host is detected from a fake TargetHost; zero-copy links merge spaces; <supports>
 * narrows and never widens; target_can_run follows the rows. Then hostile descriptions, each of
 * which must give one bad-input line (exit 2) starting "FILE:LINE:" at the right line: broken
 * XML, an unknown kind, negative or zero bandwidth, missing or negative rates and link figures
 * (each naming its attribute), a simulated processor without its class rates, duplicate ids,
 * unknown spaces and processors,
 * host-space rules, cores that do not exist, OpenCL devices that are not present, external
 * entities (pointed at files that do not exist, so that a load would say so instead of the DTD
 * refusal), a billion laughs, XInclude and xsi:schemaLocation, a 2 MiB file, a FIFO (no hang), a
 * directory.
 */
#include "ir/ir.h"
#include "passes/target.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"

#ifndef HETC_DEVICES
#error "HETC_DEVICES: the devices/ folder of the source tree"
#endif

static Target t;
static Diag d;

/* this machine as the tests pretend it is: 2 cores, PoCL */
static TargetHost
fake_host(void)
{
    TargetHost h = {.ncpu = 2, .ndev = 1};
    snprintf(h.cpu_name, sizeof h.cpu_name, "Test CPU");
    h.dev[0] = (TargetHostDev){.index = 0, .cpu = 1, .unified = 1, .fp64 = 1, .compute_units = 2};
    snprintf(h.dev[0].name, sizeof h.dev[0].name, "cpu-haswell-Test CPU");
    snprintf(h.dev[0].platform, sizeof h.dev[0].platform, "Portable Computing Language");
    return h;
}

static int
parse(const char *xml, const TargetHost *h)
{
    diag_init(&d, NULL);
    return target_parse(&t, xml, strlen(xml), "t.xml", h, &d);
}

#define F32 (1u << DT_F32)
#define BIT(dt) (1u << (dt))

/* xml must fail with a bad-input message starting "t.xml:LINE: " and containing what */
static void
bad(int line, const char *what, const char *xml, const TargetHost *h, int at)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "t.xml:%d: ", line);
    int rc = parse(xml, h);
    int ok = rc == -1 && d.kind == DIAG_INPUT && diag_status(&d) == 2 &&
             strncmp(d.msg, prefix, strlen(prefix)) == 0 && strstr(d.msg, what) != NULL &&
             !strchr(d.msg, '\n');
    if (!ok)
        fprintf(stderr, "test_target.c:%d: expected \"%s...%s\", got rc %d: %s\n", at, prefix,
                what, rc, d.msg);
    CHECK(ok);
}
#define BAD(line, what, xml) bad(line, what, xml, &host, __LINE__)
#define BAD_HOST(line, what, xml, h) bad(line, what, xml, h, __LINE__)

static const char head[] = "<?xml version=\"1.0\"?>\n<platform name=\"t\">\n"
                           "  <space id=\"host\" host=\"1\"/>\n";
#define CPU0 "  <processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" space=\"host\"/>\n"
#define TAIL "</platform>\n"
/* the class rates a simulated processor needs */
#define SIX_RATES                                                                                \
    "    <rate class=\"conv\" gflops=\"100\"/><rate class=\"depthwise\" gflops=\"10\"/>\n"       \
    "    <rate class=\"gemm\" gflops=\"200\"/><rate class=\"eltwise\" gbps=\"20\"/>\n"          \
    "    <rate class=\"reduce\" gbps=\"20\"/><rate class=\"move\" gbps=\"30\"/>\n"

static char doc[8192];

/* head + body + tail */
static const char *
xml(const char *body)
{
    snprintf(doc, sizeof doc, "%s%s%s", head, body, TAIL);
    return doc;
}

static void
shipped(void)
{
    TargetHost host = fake_host();
    diag_init(&d, NULL);
    CHECK(target_load(&t, HETC_DEVICES "/host-split.xml", &host, &d) == 0);
    CHECK(d.nerr == 0);
    CHECK(strcmp(t.name, "host-split") == 0 && strstr(t.file, "host-split.xml"));
    CHECK(t.nproc == 2 && t.nspace == 1 && t.nlink == 0);
    int c = target_find(&t, "cpu0"), o = target_find(&t, "ocl0");
    CHECK(c == 0 && o == 1 && target_find(&t, "gpu9") == -1);
    CHECK(t.proc[c].backend == PB_CPU && t.proc[c].kind == PK_CPU && t.proc[c].threads == 1);
    CHECK(t.proc[c].ncore == 1 && t.proc[c].core[0] == 0);
    CHECK(t.proc[o].backend == PB_OPENCL && t.proc[o].kind == PK_CPU && t.proc[o].threads == 1);
    CHECK(t.proc[o].ncore == 1 && t.proc[o].core[0] == 1 && t.proc[o].cl_index == -1);
    CHECK(strcmp(t.proc[o].cl_platform, "Portable Computing Language") == 0);
    CHECK(target_mem(&t, t.proc[c].space) == target_mem(&t, t.proc[o].space));
    CHECK(target_first(&t, PB_CPU) == c && target_first(&t, PB_OPENCL) == o);
    CHECK(target_first(&t, PB_SIMULATED) == -1);
    CHECK((t.proc[o].can[OP_CONV] & F32) && (t.proc[c].can[OP_ADD] & BIT(DT_I64)));
    CHECK(t.proc[o].can[OP_ADD] & BIT(DT_F64));        /* the device has cl_khr_fp64 */
    CHECK(t.space[0].host && t.proc[c].line > 0);

    diag_init(&d, NULL);
    CHECK(target_load(&t, HETC_DEVICES "/host-split-copy.xml", &host, &d) == 0);
    o = target_find(&t, "ocl0");
    CHECK(t.nspace == 2 && t.nlink == 1 && t.proc[o].space == 1);
    const Link *l = target_link(&t, 0, 1);
    CHECK(l && l == target_link(&t, 1, 0) && !l->zero_copy && l->gbps == 10 &&
          l->latency_us == 10);
    CHECK(target_mem(&t, 1) == 1 && target_mem(&t, 0) == 0 && !target_link(&t, 0, 0));

    /* without a host to check against (fuzzing, tools that only read) */
    diag_init(&d, NULL);
    CHECK(target_load(&t, HETC_DEVICES "/host-split.xml", NULL, &d) == 0);
}

static void
detect(void)
{
    TargetHost host = fake_host();
    host.ndev = 2;
    host.dev[1] = (TargetHostDev){.index = 1, .gpu = 1, .unified = 0, .fp64 = 0};
    snprintf(host.dev[1].name, sizeof host.dev[1].name, "Big GPU");
    snprintf(host.dev[1].platform, sizeof host.dev[1].platform, "Vendor");
    diag_init(&d, NULL);
    CHECK(target_detect(&t, &host, &d) == 0);
    CHECK(t.nproc == 3 && strcmp(t.proc[0].id, "cpu0") == 0 && t.proc[0].threads == 0);
    CHECK(t.proc[0].ncore == 0 && t.proc[0].space == 0 && t.space[0].host);
    CHECK(strcmp(t.space[0].id, "host") == 0 && t.file[0] == 0);
    /* ocl0 is the device plans open by default: the first GPU (index 1), then the rest */
    CHECK(strcmp(t.proc[1].id, "ocl0") == 0 && t.proc[1].kind == PK_GPU);
    CHECK(t.proc[1].space == 1 && t.nspace == 2 && t.proc[1].cl_index == 1);
    CHECK(strcmp(t.space[1].id, "ocl0.mem") == 0);
    CHECK(strcmp(t.proc[2].id, "ocl1") == 0 && t.proc[2].kind == PK_CPU);
    CHECK(t.proc[2].backend == PB_OPENCL && t.proc[2].space == 0 && t.proc[2].cl_index == 0);
    const Link *l = target_link(&t, 0, 1);
    CHECK(l && !l->zero_copy && l->gbps == 0);
    CHECK(target_mem(&t, 1) == 1);
    /* no cl_khr_fp64: no float64, and reductions in float32 only */
    CHECK(!(t.proc[1].can[OP_ADD] & BIT(DT_F64)) && (t.proc[1].can[OP_ADD] & BIT(DT_I64)));
    CHECK(t.proc[1].can[OP_REDUCESUM] == F32 && (t.proc[2].can[OP_REDUCESUM] & BIT(DT_I32)));
    CHECK(!(t.proc[1].can[OP_ARGMAX] & BIT(DT_I64)) && (t.proc[1].can[OP_ARGMAX] & BIT(DT_I32)));
    /* every memory taken: the devices that would need one more are left out */
    host.ndev = TG_MAXPROC;
    for (int i = 0; i < TG_MAXPROC; i++)
        host.dev[i] = (TargetHostDev){.index = i, .gpu = 1, .fp64 = 1};
    CHECK(target_detect(&t, &host, &d) == 0 && t.nspace == TG_MAXSPACE);
    CHECK(t.nproc == TG_MAXSPACE && t.proc[t.nproc - 1].space == TG_MAXSPACE - 1);
    host.ndev = 2;
    host.dev[0] = fake_host().dev[0];
    host.dev[1] = (TargetHostDev){.index = 1, .gpu = 1, .unified = 0, .fp64 = 0};
    /* an accelerator that is neither GPU nor CPU */
    host.dev[1].gpu = 0;
    CHECK(target_detect(&t, &host, &d) == 0 && t.proc[2].kind == PK_NPU);
    /* OpenCL cannot be asked, or no host at all: the CPU alone */
    host.ndev = -1;
    CHECK(target_detect(&t, &host, &d) == 0 && t.nproc == 1 && t.nspace == 1);
    CHECK(target_detect(&t, NULL, &d) == 0 && t.nproc == 1 && d.nerr == 0);
}

static void
spaces_and_narrowing(void)
{
    TargetHost host = fake_host();
    /* host=a zero-copy, a=b zero-copy, c behind a copy link: host, a, b are one memory */
    CHECK(parse(xml("  <space id=\"a\"/>\n  <space id=\"b\"/>\n  <space id=\"c\"/>\n" CPU0
                    "  <processor id=\"npu\" kind=\"npu\" backend=\"simulated\" space=\"b\"\n"
                    "             launch_us=\"5\" sync_us=\"20.5\" handoff_gbps=\"8\">\n"
                    "    <supports ops=\"Conv,Relu\" dtypes=\"float32,int8\"/>\n"
                    "    <supports ops=\"Add\"/>\n"
                    "    <rate class=\"conv\" threads=\"4\" gflops=\"100\" gbps=\"7\"/>\n"
                    "    <rate class=\"copy\" gbps=\"12.5\"/>\n" SIX_RATES
                    "  </processor>\n"
                    "  <processor id=\"cpu1\" kind=\"cpu\" backend=\"openblas\" space=\"a\" "
                    "cores=\"1,0-1\"/>\n"
                    "  <link a=\"host\" b=\"a\" zero_copy=\"1\"/>\n"
                    "  <link a=\"b\" b=\"a\" zero_copy=\"1\"/>\n"
                    "  <link a=\"c\" b=\"b\" bandwidth_gbps=\"3\"/>\n"
                    "  <contention a=\"cpu0\" b=\"cpu1\" factor=\"1.5\"/>\n"),
                &host) == 0);
    CHECK(d.nerr == 0);
    CHECK(target_mem(&t, 0) == 0 && target_mem(&t, 1) == 0 && target_mem(&t, 2) == 0);
    CHECK(target_mem(&t, 3) == 3);
    int n = target_find(&t, "npu"), c1 = target_find(&t, "cpu1");
    CHECK(t.proc[n].backend == PB_SIMULATED && t.proc[n].kind == PK_NPU);
    CHECK(t.proc[n].can[OP_CONV] == (F32 | BIT(DT_I8)) && t.proc[n].can[OP_RELU] == t.proc[n].can[OP_CONV]);
    CHECK(t.proc[n].can[OP_ADD] == target_support(PB_SIMULATED, OP_ADD));
    CHECK(t.proc[n].can[OP_MATMUL] == 0 && t.proc[n].can[OP_COPY] != 0);
    CHECK(t.proc[n].launch_us == 5 && t.proc[n].sync_us == 20.5 && t.proc[n].handoff_gbps == 8);
    CHECK(t.proc[n].nrate == 8 && t.proc[n].rate[0].cls == CC_CONV &&
          t.proc[n].rate[0].gflops == 100 && t.proc[n].rate[0].gbps == 7 &&
          t.proc[n].rate[0].threads == 4 &&
          t.proc[n].rate[1].cls == CC_COPY && t.proc[n].rate[1].gbps == 12.5 &&
          t.proc[n].rate[1].gflops == 0 && t.proc[n].rate[1].op == -1);
    CHECK(t.proc[c1].backend == PB_CPU && t.proc[c1].ncore == 2 && t.proc[c1].core[0] == 0 &&
          t.proc[c1].core[1] == 1);
    CHECK(t.ncont == 1 && t.cont[0].factor == 1.5 && t.cont[0].a == 0 && t.cont[0].b == c1);

    /* never widened: the CPU has no int32 Conv, whatever the description says */
    CHECK(parse(xml("  <processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
                    "    <supports ops=\"Conv,Add\" dtypes=\"int32,float32\"/>\n"
                    "  </processor>\n"),
                &host) == 0);
    CHECK(t.proc[0].can[OP_CONV] == F32 && t.proc[0].can[OP_ADD] == (F32 | BIT(DT_I32)));
    CHECK(t.proc[0].can[OP_RELU] == 0 && t.proc[0].can[OP_COPY] == target_support(PB_CPU, OP_COPY));
    CHECK(target_support(PB_CPU, OP_CONV) == F32);
    /* "*" is everything the backend has */
    CHECK(parse(xml("  <processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
                    "    <supports ops=\"*\" dtypes=\"*\"/>\n  </processor>\n"), &host) == 0);
    for (int op = 0; op < OP_COUNT; op++)
        CHECK(t.proc[0].can[op] == target_support(PB_CPU, (OpKind)op));

    CHECK(strcmp(target_kind_name(PK_NPU), "npu") == 0 && strcmp(target_kind_name(PK_CPU), "cpu") == 0);
    CHECK(strcmp(target_backend_name(PB_CPU), "cpu") == 0);
    CHECK(strcmp(target_backend_name(PB_OPENCL), "opencl") == 0);
    CHECK(strcmp(target_backend_name(PB_SIMULATED), "simulated") == 0);
}

/* target_can_run on one node: the row and dtype, and Resize's float32-only modes */
static void
can_run(void)
{
    TargetHost host = fake_host();
    CHECK(parse(xml(CPU0 "  <processor id=\"npu\" kind=\"npu\" backend=\"simulated\" "
                    "space=\"host\">\n    <supports ops=\"Relu\" dtypes=\"int8\"/>\n" SIX_RATES
                    "  </processor>\n"), &host) == 0);
    Graph *g = ir_graph_new("t.onnx");
    ValId x = ir_val_add(g, "x", DT_F32, NULL), y = ir_val_add(g, "y", DT_F32, NULL);
    ValId q = ir_val_add(g, "q", DT_I8, NULL);
    NodeId conv = ir_node_add(g, OP_CONV, "c", 2, 1);
    g->node[conv].in[0] = x;
    g->node[conv].in[1] = y;
    g->node[conv].out[0] = y;
    NodeId relu = ir_node_add(g, OP_RELU, "r", 1, 1);
    g->node[relu].in[0] = q;
    g->node[relu].out[0] = q;
    NodeId rs = ir_node_add(g, OP_RESIZE, "s", 4, 1);
    g->node[rs].in[0] = NONE;
    g->node[rs].in[1] = q;          /* first present input: int8 */
    g->node[rs].out[0] = q;
    g->node[rs].attr->resize.mode = RSZ_NEAREST;
    CHECK(target_node_dtype(g, &g->node[rs]) == DT_I8);
    CHECK(target_can_run(&t, 0, g, conv) && !target_can_run(&t, 1, g, conv));
    CHECK(target_can_run(&t, 0, g, relu) && target_can_run(&t, 1, g, relu));
    g->node[relu].in[0] = x;
    CHECK(target_can_run(&t, 0, g, relu) && !target_can_run(&t, 1, g, relu));
    CHECK(target_can_run(&t, 0, g, rs));
    g->node[rs].attr->resize.mode = RSZ_LINEAR;
    CHECK(!target_can_run(&t, 0, g, rs));
    CHECK(!target_can_run(&t, 5, g, rs) && !target_can_run(&t, -1, g, rs));
    ir_graph_free(g);
}

/* a processor c whose one child is rate (on line 5) */
static const char *
rate_doc(const char *rate)
{
    static char body[1024];
    snprintf(body, sizeof body, "  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" "
             "space=\"host\">\n    %s\n  </processor>\n", rate);
    return xml(body);
}

/* The figures of issue 11 read back: <measured>, rates per op and thread count with launch and
 * GEMM-shape terms, gflops and gbps in any class, links both ways and by mapping; then each
 * missing or out-of-range figure refused naming its attribute, and a simulated processor
 * without a class rate. */
static void
figures(void)
{
    TargetHost host = fake_host();
    CHECK(parse("<?xml version=\"1.0\"?>\n<platform name=\"m\">\n"
                "  <measured by=\"hetc profile\" mode=\"quick\" cpu=\"Test CPU 9000\" "
                "opencl=\"PoCL 9\" hetc=\"0.11\" date=\"2026-12-07\" seconds=\"24.1\" "
                "key=\"00ff\"/>\n"
                "  <space id=\"host\" host=\"1\"/>\n  <space id=\"dev\"/>\n"
                "  <processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
                "    <rate class=\"gemm\" op=\"MatMul\" threads=\"2\" gflops=\"50.5\" "
                "gbps=\"9\" launch_us=\"1.5\" m_half=\"4\" n_half=\"8\" k_half=\"16\"/>\n"
                "    <rate class=\"gemm\" op=\"MatMul\" threads=\"1\" gflops=\"30\"/>\n"
                "    <rate class=\"move\" gflops=\"1\" gbps=\"5\"/>\n"
                "  </processor>\n"
                "  <link a=\"host\" b=\"dev\" bandwidth_gbps=\"10\" latency_us=\"5\" "
                "back_bandwidth_gbps=\"8\" back_latency_us=\"6\" map_bandwidth_gbps=\"40\" "
                "map_latency_us=\"2.5\"/>\n" TAIL, &host) == 0);
    CHECK(strcmp(t.measured, "hetc profile --quick, Test CPU 9000, 2026-12-07") == 0);
    const Rate *r = &t.proc[0].rate[0];
    CHECK(t.proc[0].nrate == 3 && r->cls == CC_GEMM && r->op == OP_MATMUL && r->threads == 2 &&
          r->gflops == 50.5 && r->gbps == 9 && r->launch_us == 1.5 && r->m_half == 4 &&
          r->n_half == 8 && r->k_half == 16 && r->line == 7);
    CHECK(t.proc[0].rate[1].threads == 1 && t.proc[0].rate[2].op == -1 &&
          t.proc[0].rate[2].gflops == 1 && t.proc[0].rate[2].gbps == 5);
    const Link *l = target_link(&t, 0, 1);
    CHECK(l && l->gbps == 10 && l->latency_us == 5 && l->back_gbps == 8 &&
          l->back_latency_us == 6 && l->map_gbps == 40 && l->map_latency_us == 2.5);
    /* a full profile says no mode; a description without <measured> has no words */
    CHECK(parse("<platform name=\"m\"><measured by=\"hetc profile\" mode=\"full\"/>"
                "<space id=\"host\" host=\"1\"/>" CPU0 TAIL, &host) == 0 &&
          strcmp(t.measured, "hetc profile") == 0);
    CHECK(parse(xml(CPU0), &host) == 0 && t.measured[0] == 0);

    BAD(5, "processor c: rate conv: no gflops or gbps", rate_doc("<rate class=\"conv\"/>"));
    BAD(5, "processor c: rate conv: no gflops or gbps",
        rate_doc("<rate class=\"conv\" launch_us=\"3\"/>"));
    BAD(5, "processor c: rate conv: gflops -3 must be above 0",
        rate_doc("<rate class=\"conv\" gflops=\"-3\"/>"));
    BAD(5, "rate move: gbps 0 must be above 0", rate_doc("<rate class=\"move\" gbps=\"0\"/>"));
    BAD(5, "rate gemm: launch_us -1 is negative",
        rate_doc("<rate class=\"gemm\" gflops=\"1\" launch_us=\"-1\"/>"));
    BAD(5, "rate gemm: m_half -2 is negative",
        rate_doc("<rate class=\"gemm\" gflops=\"1\" m_half=\"-2\"/>"));
    BAD(5, "rate gemm: n_half -2 is negative",
        rate_doc("<rate class=\"gemm\" gflops=\"1\" n_half=\"-2\"/>"));
    BAD(5, "rate gemm: k_half -2 is negative",
        rate_doc("<rate class=\"gemm\" gflops=\"1\" k_half=\"-2\"/>"));
    BAD(5, "rate gemm: unknown op \"Frob\"",
        rate_doc("<rate class=\"gemm\" op=\"Frob\" gflops=\"1\"/>"));
    BAD(5, "rate gemm: op Conv is not of class gemm",
        rate_doc("<rate class=\"gemm\" op=\"Conv\" gflops=\"1\"/>"));
    BAD(5, "attribute 'threads'", rate_doc("<rate class=\"gemm\" threads=\"-1\" gflops=\"1\"/>"));
    BAD(5, "attribute 'speed'", rate_doc("<rate class=\"gemm\" speed=\"1\"/>"));
    /* the same class, op and thread count twice; another thread count or op is another rate */
    BAD(6, "rate conv op Conv at threads 2 is given twice",
        xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
            "    <rate class=\"conv\" op=\"Conv\" threads=\"2\" gflops=\"3\"/>\n"
            "    <rate class=\"conv\" op=\"Conv\" threads=\"2\" gbps=\"4\"/>\n"
            "  </processor>\n"));
    CHECK(parse(xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
                    "    <rate class=\"conv\" op=\"Conv\" threads=\"2\" gflops=\"3\"/>\n"
                    "    <rate class=\"conv\" op=\"Conv\" threads=\"1\" gflops=\"3\"/>\n"
                    "    <rate class=\"conv\" threads=\"1\" gflops=\"3\"/>\n"
                    "    <rate class=\"depthwise\" op=\"Conv\" gflops=\"3\"/>\n"
                    "  </processor>\n"), &host) == 0 && t.proc[0].nrate == 4);
    BAD(6, "link host-dev: back_bandwidth_gbps -1 must be above 0",
        xml("  <space id=\"dev\"/>\n" CPU0
            "  <link a=\"host\" b=\"dev\" back_bandwidth_gbps=\"-1\"/>\n"));
    BAD(6, "link host-dev: back_latency_us -1 is negative",
        xml("  <space id=\"dev\"/>\n" CPU0
            "  <link a=\"host\" b=\"dev\" back_latency_us=\"-1\"/>\n"));
    BAD(6, "link host-dev: map_bandwidth_gbps 0 must be above 0",
        xml("  <space id=\"dev\"/>\n" CPU0
            "  <link a=\"host\" b=\"dev\" map_bandwidth_gbps=\"0\"/>\n"));
    BAD(6, "link host-dev: map_latency_us -2 is negative",
        xml("  <space id=\"dev\"/>\n" CPU0
            "  <link a=\"host\" b=\"dev\" map_latency_us=\"-2\"/>\n"));
    BAD(2, "attribute 'by'", "<platform name=\"m\">\n<measured mode=\"quick\"/>"
                             "<space id=\"host\" host=\"1\"/>" CPU0 TAIL);
    /* a simulated processor without a rate for a class (an op's rate does not stand in) */
    BAD(5, "processor npu0: a simulated processor needs a rate for class gemm",
        xml(CPU0 "  <processor id=\"npu0\" kind=\"npu\" backend=\"simulated\" space=\"host\">\n"
            "    <rate class=\"conv\" gflops=\"1\"/><rate class=\"depthwise\" gflops=\"1\"/>\n"
            "    <rate class=\"gemm\" op=\"MatMul\" gflops=\"1\"/>\n"
            "  </processor>\n"));
    BAD(5, "processor npu0: a simulated processor needs a rate for class conv",
        xml(CPU0 "  <processor id=\"npu0\" kind=\"npu\" backend=\"simulated\" space=\"host\"/>\n"));
    CHECK(parse(xml(CPU0 "  <processor id=\"npu0\" kind=\"npu\" backend=\"simulated\" "
                    "space=\"host\">\n" SIX_RATES "  </processor>\n"), &host) == 0);
}

static void
hostile(void)
{
    TargetHost host = fake_host();
    BAD(5, "malformed XML", xml("  <processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"));
    BAD(1, "malformed XML", "<platform name=\"t\"");
    BAD(4, "tpu", xml("  <processor id=\"cpu0\" kind=\"tpu\" backend=\"cpu\" space=\"host\"/>\n"));
    BAD(4, "backend", xml("  <processor id=\"x\" kind=\"cpu\" backend=\"cuda\" space=\"host\"/>\n"));
    BAD(4, "not kind gpu", xml("  <processor id=\"x\" kind=\"gpu\" backend=\"cpu\" space=\"host\"/>\n"));
    BAD(6, "bandwidth_gbps -5", xml("  <space id=\"dev\"/>\n" CPU0
                                   "  <link a=\"host\" b=\"dev\" bandwidth_gbps=\"-5\"/>\n"));
    BAD(6, "bandwidth_gbps 0", xml("  <space id=\"dev\"/>\n" CPU0
                                  "  <link a=\"host\" b=\"dev\" bandwidth_gbps=\"0\"/>\n"));
    BAD(6, "latency_us -1", xml("  <space id=\"dev\"/>\n" CPU0
                               "  <link a=\"host\" b=\"dev\" latency_us=\"-1\"/>\n"));
    BAD(7, "already linked", xml("  <space id=\"dev\"/>\n" CPU0 "  <link a=\"host\" b=\"dev\"/>\n"
                                 "  <link a=\"dev\" b=\"host\"/>\n"));
    BAD(5, "processor \"cpu0\" is defined twice", xml(CPU0 CPU0));
    BAD(4, "space \"host\" is defined twice", xml("  <space id=\"host\"/>\n" CPU0));
    BAD(5, "no space \"gpu\"", xml(CPU0 "  <link a=\"host\" b=\"gpu\"/>\n"));
    BAD(4, "no space \"nowhere\"",
        xml("  <processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" space=\"nowhere\"/>\n"));
    BAD(3, "first space must be the host", "<platform name=\"t\">\n\n  <space id=\"a\"/>\n" CPU0 TAIL);
    BAD(4, "only one space is the host", xml("  <space id=\"h2\" host=\"1\"/>\n" CPU0));
    BAD(5, "host's memory, not space \"dev\"",
        xml("  <space id=\"dev\"/>\n"
            "  <processor id=\"cpu0\" kind=\"cpu\" backend=\"cpu\" space=\"dev\"/>\n"));
    BAD(4, "core 5 does not exist",
        xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\" cores=\"0,5\"/>\n"));
    BAD(4, "runs backwards",
        xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\" cores=\"1-0\"/>\n"));
    BAD(4, "out of range",
        xml("  <processor id=\"c\" kind=\"npu\" backend=\"simulated\" space=\"host\" cores=\"5000\"/>\n"));
    BAD(4, "attribute 'cores'", xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\" cores=\"-1\"/>\n"));
    /* an OpenCL device that is not there */
    const char *nv = xml(CPU0 "  <processor id=\"gpu0\" kind=\"gpu\" backend=\"opencl\" space=\"host\">\n"
                              "    <opencl platform=\"NVIDIA CUDA\"/>\n  </processor>\n");
    BAD(5, "no OpenCL device of this host matches platform \"NVIDIA CUDA\"", nv);
    TargetHost none = fake_host();
    none.ndev = -1;
    BAD_HOST(5, "OpenCL cannot be asked", nv, &none);
    none.ndev = 0;
    BAD_HOST(5, "no OpenCL device)", nv, &none);
    CHECK(parse(nv, NULL) == 0);    /* no host to check against */
    BAD(5, "index 3", xml(CPU0 "  <processor id=\"o\" kind=\"cpu\" backend=\"opencl\" space=\"host\">\n"
                              "    <opencl index=\"3\"/>\n  </processor>\n"));
    BAD(5, "needs <opencl", xml(CPU0 "  <processor id=\"o\" kind=\"cpu\" backend=\"opencl\" space=\"host\"/>\n"));
    BAD(5, "<opencl> belongs", xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
                                   "    <opencl/>\n  </processor>\n"));
    BAD(5, "unknown op \"Frobnicate\"",
        xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
            "    <supports ops=\"Conv,Frobnicate\"/>\n  </processor>\n"));
    BAD(5, "unknown dtype \"float128\"",
        xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
            "    <supports ops=\"Conv\" dtypes=\"float128\"/>\n  </processor>\n"));
    BAD(6, "rate gemm at threads 0 is given twice (line 5)",
        xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\">\n"
            "    <rate class=\"gemm\" gflops=\"3\"/>\n    <rate class=\"gemm\" gflops=\"4\"/>\n"
            "  </processor>\n"));
    BAD(6, "factor 0.5", xml(CPU0 "  <processor id=\"c1\" kind=\"cpu\" backend=\"cpu\" space=\"host\"/>\n"
                             "  <contention a=\"cpu0\" b=\"c1\" factor=\"0.5\"/>\n"));
    BAD(5, "no processor \"ghost\"", xml(CPU0 "  <contention a=\"cpu0\" b=\"ghost\" factor=\"2\"/>\n"));
    BAD(4, "launch_us -3", xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\" launch_us=\"-3\"/>\n"));
    BAD(4, "handoff_gbps 0 must be above 0",
        xml("  <processor id=\"c\" kind=\"cpu\" backend=\"cpu\" space=\"host\" handoff_gbps=\"0\"/>\n"));
    BAD(2, "Element 'platfrom'", "<?xml version=\"1.0\"?>\n<platfrom name=\"t\"/>\n");
    BAD(5, "Element 'unknown'", xml(CPU0 "  <unknown/>\n"));

    /* what the document names is never loaded: the files below do not exist, so a load would
     * fail with "failed to load external entity" or "Entity ... not defined", not the refusal */
    BAD(2, "a DOCTYPE is not allowed",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE platform [\n"
        "  <!ENTITY x SYSTEM \"file:///nonexistent/hetc-test/secret\">\n]>\n"
        "<platform name=\"&x;\"><space id=\"host\" host=\"1\"/>" CPU0 TAIL);
    BAD(2, "a DOCTYPE is not allowed",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE platform [\n"
        "  <!ENTITY x SYSTEM \"http://127.0.0.1:9/hetc-test/secret\">\n]>\n"
        "<platform name=\"&x;\"><space id=\"host\" host=\"1\"/>" CPU0 TAIL);
    BAD(1, "a DOCTYPE is not allowed",
        "<!DOCTYPE platform SYSTEM \"file:///nonexistent/hetc-test/devices.dtd\">\n"
        "<platform name=\"t\"><space id=\"host\" host=\"1\"/>" CPU0 TAIL);
    BAD(1, "a DOCTYPE is not allowed",
        "<!DOCTYPE platform PUBLIC \"-//x//y\" \"http://127.0.0.1:9/x.dtd\"><platform name=\"t\"/>");
    /* a billion laughs: ten levels of ten */
    char laughs[4096];
    int k = snprintf(laughs, sizeof laughs, "<?xml version=\"1.0\"?>\n<!DOCTYPE platform [\n"
                     " <!ENTITY l0 \"ha\">\n");
    for (int i = 1; i < 10; i++)
        k += snprintf(laughs + k, sizeof laughs - (size_t)k,
                      " <!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;\">\n", i,
                      i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    snprintf(laughs + k, sizeof laughs - (size_t)k, "]>\n<platform name=\"&l9;\"/>\n");
    BAD(2, "a DOCTYPE is not allowed", laughs);
    /* an entity reference without a DTD is not expanded: malformed */
    BAD(2, "malformed XML", "<?xml version=\"1.0\"?>\n<platform name=\"&x;\"/>\n");
    /* XInclude and schema hints are namespaced: refused, never followed */
    BAD(5, "namespaces", xml(CPU0 "  <xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" "
                                  "href=\"/nonexistent/hetc-test/x.xml\"/>\n"));
    BAD(2, "namespaces",
        "<?xml version=\"1.0\"?>\n<platform xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
        " xsi:noNamespaceSchemaLocation=\"http://127.0.0.1:9/x.xsd\" name=\"t\">\n"
        "<space id=\"host\" host=\"1\"/>" CPU0 TAIL);

    diag_init(&d, NULL);
    CHECK(target_parse(&t, "", 0, "t.xml", &host, &d) == -1 && strstr(d.msg, "t.xml: ") == d.msg);
    /* 2 MiB: refused before parsing */
    size_t big = 2u << 20;
    char *buf = malloc(big);
    memset(buf, ' ', big);
    memcpy(buf, "<platform name=\"t\">", 19);
    diag_init(&d, NULL);
    CHECK(target_parse(&t, buf, big, "t.xml", &host, &d) == -1 && strstr(d.msg, "more than"));
    char dir[] = "/tmp/hetc-test-target-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/big.xml", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(buf, 1, big, f) == big);
    fclose(f);
    free(buf);
    diag_init(&d, NULL);
    CHECK(target_load(&t, path, &host, &d) == -1 && strstr(d.msg, "more than") &&
          strncmp(d.msg, path, strlen(path)) == 0 && diag_status(&d) == 2);
    unlink(path);
    /* a FIFO with no writer: refused at once (the test would hang otherwise) */
    snprintf(path, sizeof path, "%s/fifo.xml", dir);
    CHECK(mkfifo(path, 0600) == 0);
    alarm(20);
    diag_init(&d, NULL);
    CHECK(target_load(&t, path, &host, &d) == -1 && strstr(d.msg, "a FIFO") && diag_status(&d) == 2);
    alarm(0);
    unlink(path);
    diag_init(&d, NULL);
    CHECK(target_load(&t, dir, &host, &d) == -1 && strstr(d.msg, "a directory") && diag_status(&d) == 2);
    snprintf(path, sizeof path, "%s/missing.xml", dir);
    diag_init(&d, NULL);
    CHECK(target_load(&t, path, &host, &d) == -1 && strstr(d.msg, "cannot open") && diag_status(&d) == 2);
    rmdir(dir);
}

int
main(void)
{
    shipped();
    detect();
    spaces_and_narrowing();
    can_run();
    figures();
    hostile();
    return TEST_DONE();
}
