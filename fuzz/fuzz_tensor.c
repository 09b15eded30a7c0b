/*
 * fuzz_tensor.c: libFuzzer target for the plan binary's tensor readers (runtime/tensorio.c). The
 * first byte picks the tensor the plan expects (a dtype and shape from the table below) and the
 * second the reader (.pb TensorProto or .npy); the rest is the file. Any input must be read into
 * exactly the destination's bytes or refused with a reason; a write past the destination (it is
 * allocated to its exact size, so ASan sees one), a crash, a leak or a hang is a bug. Built as a
 * libFuzzer binary with -DHETC_FUZZ=ON (clang), and always linked into fuzz_tensor_replay, which
 * ctest runs over the checked-in corpus (fuzz/corpus_tensor/, made by make_corpus_tensor.py).
 */
#include "rt_io.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the tensors a plan may expect: every element width, complex halves, a scalar, an empty one */
static const RtTensor wants[] = {
    {NULL, DT_F32, 2, {2, 3}},   {NULL, DT_U8, 1, {4}},     {NULL, DT_I64, 1, {3}},
    {NULL, DT_F64, 1, {2}},      {NULL, DT_C64, 1, {2}},    {NULL, DT_C128, 1, {1}},
    {NULL, DT_BOOL, 1, {4}},     {NULL, DT_F16, 1, {3}},    {NULL, DT_I8, 2, {2, 2}},
    {NULL, DT_U32, 1, {2}},      {NULL, DT_U64, 1, {2}},    {NULL, DT_I32, 1, {0}},
    {NULL, DT_F32, 0, {0}},      {NULL, DT_I16, 1, {3}},    {NULL, DT_BF16, 1, {2}},
    {NULL, DT_U16, 3, {1, 2, 1}},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
