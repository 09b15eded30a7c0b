/*
 * fuzz_target.c: libFuzzer target for the device-description reader (passes/target.c). Any input
 * must end in a Target or in one bad-input line naming the file (never an environment failure,
 * a crash, a leak, a hang or a sanitizer report), checked against a fake host with PoCL's
 * device so that the OpenCL matching runs too. Built as a libFuzzer binary with -DHETC_FUZZ=ON
 * (clang), and always linked into fuzz_target_replay, which ctest runs over fuzz/corpus_target.
 */
#include "ir/ir.h"
#include "passes/target.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Target t;
    TargetHost host = {.ncpu = 2, .ndev = 1};
    host.dev[0] = (TargetHostDev){.index = 0, .cpu = 1, .unified = 1, .fp64 = 1};
    snprintf(host.dev[0].name, sizeof host.dev[0].name, "cpu-haswell-Test CPU");
    snprintf(host.dev[0].platform, sizeof host.dev[0].platform, "Portable Computing Language");
    Diag d;
    diag_init(&d, NULL);
    if (target_parse(&t, (const char *)data, size, "fuzz.xml", &host, &d) == 0) {
        IR_ASSERT(t.nproc >= 1 && t.nproc <= TG_MAXPROC && t.nspace >= 1 && t.space[0].host);
        for (int p = 0; p < t.nproc; p++) {
            IR_ASSERT(t.proc[p].space >= 0 && t.proc[p].space < t.nspace);
            IR_ASSERT(target_find(&t, t.proc[p].id) == p);
            for (int op = 0; op < OP_COUNT; op++)
                IR_ASSERT((t.proc[p].can[op] & ~target_support(t.proc[p].backend, (OpKind)op)) == 0);
        }
        for (int s = 0; s < t.nspace; s++)
            IR_ASSERT(target_mem(&t, s) <= s);
    } else {
        /* one line, naming the file; bad input unless memory ran out */
        IR_ASSERT(d.nerr > 0 && strncmp(d.msg, "fuzz.xml", 8) == 0 && !strchr(d.msg, '\n'));
    }
    return 0;
}
