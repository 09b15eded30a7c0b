/*
 * fuzz_tensor.c: libFuzzer target for the plan binary's tensor readers (runtime/tensorio.c). The
 * first byte picks the tensor the plan expects (a dtype and shape from the table below) and the
 * second the reader (.pb TensorProto or .npy); the rest is the file. Any input must be read into
 * exactly the destination's bytes or refused with a reason; a write past the destination (it is
 * allocated to its exact size, so ASan sees one), a crash, a leak or a hang is a bug. Built as a
 * libFuzzer binary with -DHETC_FUZZ=ON (clang), and always linked into fuzz_tensor_replay, which
 * ctest runs over the checked-in corpus (fuzz/corpus_tensor/, made by make_corpus_tensor.py).
 * The first call also checks that tensors too large to address are refused (check_overflow).
 */
#include "rt_io.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the tensors a plan may expect: every element width, complex halves, a scalar, an empty one */
static const RtTensor wants[] = {
    {NULL, {{DT_F32, 2, {2, 3}}}},   {NULL, {{DT_U8, 1, {4}}}},     {NULL, {{DT_I64, 1, {3}}}},
    {NULL, {{DT_F64, 1, {2}}}},      {NULL, {{DT_C64, 1, {2}}}},    {NULL, {{DT_C128, 1, {1}}}},
    {NULL, {{DT_BOOL, 1, {4}}}},     {NULL, {{DT_F16, 1, {3}}}},    {NULL, {{DT_I8, 2, {2, 2}}}},
    {NULL, {{DT_U32, 1, {2}}}},      {NULL, {{DT_U64, 1, {2}}}},    {NULL, {{DT_I32, 1, {0}}}},
    {NULL, {{DT_F32, 0, {0}}}},      {NULL, {{DT_I16, 1, {3}}}},    {NULL, {{DT_BF16, 1, {2}}}},
    {NULL, {{DT_U16, 3, {1, 2, 1}}}},
};

/* Once per process: a tensor whose byte count overflows (or has a negative dim) is never sized
 * with a wrapped count; both readers refuse it without touching the destination. */
static void
check_overflow(void)
{
    static const char hdr[] = "{'descr': '<f4', 'fortran_order': False, "
                              "'shape': (4611686018427387904,), }";
    const RtTensor bad[] = {
        {NULL, {{DT_F32, 1, {INT64_C(1) << 62}}}},
        {NULL, {{DT_F64, 3, {1 << 30, 1 << 30, 1 << 30}}}},
        {NULL, {{DT_F32, 2, {-1, 4}}}},
    };
    unsigned char npy[128] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, sizeof hdr - 1, 0};
    memcpy(npy + 10, hdr, sizeof hdr - 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t nb = 1;
        char err[256] = "";
        if (rt_tensor_bytes(&bad[i], &nb) == 0 || nb != 0)
            abort();
        if (rt_read_pb("\x10\x01", 2, &bad[i], NULL, err, sizeof err) != RT_EINPUT || !err[0])
            abort();
        err[0] = 0;
        if (rt_read_npy(npy, 10 + sizeof hdr - 1, &bad[i], NULL, err, sizeof err) != RT_EINPUT ||
            !err[0])
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int checked;
    if (!checked) {
        check_overflow();
        checked = 1;
    }
    if (size < 2)
        return 0;
    const RtTensor *want = &wants[data[0] % (sizeof wants / sizeof wants[0])];
    int npy = data[1] & 1;
    size_t nb;
    if (rt_tensor_bytes(want, &nb) != 0)
        abort();
    /* exactly nb bytes (malloc(0) may be NULL: then a 0-byte tensor is never written) */
    unsigned char *dst = malloc(nb);
    char err[256] = "";
    int rc = npy ? rt_read_npy(data + 2, size - 2, want, dst, err, sizeof err)
                 : rt_read_pb(data + 2, size - 2, want, dst, err, sizeof err);
    /* a refusal says why; a success leaves nothing to say */
    if ((rc != RT_OK && (rc != RT_EINPUT || !err[0])) || (rc == RT_OK && err[0]))
        abort();
    free(dst);
    return 0;
}
