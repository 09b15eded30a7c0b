/*
 * embed.c: a compiled model inside a C program, through the header hetc writes.
 *
 *     build/tools/hetc compile model.onnx -o out --name classifier
 *     cc -std=c11 -I out examples/embed/embed.c out/libclassifier.a \
 *        build/runtime/libhetc_runtime.a $(pkg-config --libs openblas) -lpthread -lm -o embed
 *     ./embed out/classifier.weights
 *
 * It makes an instance, fills the inputs with a ramp, runs the plan a few times and prints the
 * first values of each output. Any plan works: only the header's name changes.
 */
#include "classifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    const char *weights = argc > 1 ? argv[1] : "classifier.weights";
    size_t in_bytes[] = classifier_INPUT_BYTES, out_bytes[] = classifier_OUTPUT_BYTES;
    void *in[classifier_NINPUTS + 1], *out[classifier_NOUTPUTS + 1];
    int status = 0;
    classifier *m = classifier_create(weights, 1, &status);
    if (!m) {
        fprintf(stderr, "embed: cannot create the plan from %s (status %d)\n", weights, status);
        return 1;
    }
    for (int i = 0; i < classifier_NINPUTS; i++) {
        in[i] = calloc(in_bytes[i] + 1, 1);
        /* a ramp of bytes: a float32 input gets small, varied values */
        for (size_t k = 0; k < in_bytes[i]; k += 4)
            if (k + 4 <= in_bytes[i]) {
                float v = (float)(k % 97) / 97.0f;
                memcpy((char *)in[i] + k, &v, 4);
            }
    }
    for (int i = 0; i < classifier_NOUTPUTS; i++)
        out[i] = calloc(out_bytes[i] + 1, 1);
    for (int run = 0; run < 3 && status == 0; run++)
        status = classifier_run(m, (const void *const *)in, out);
    if (status != 0) {
        fprintf(stderr, "embed: run failed: %s\n", classifier_error(m));
    } else {
        for (int i = 0; i < classifier_NOUTPUTS; i++) {
            printf("output %d:", i);
            for (size_t k = 0; k < out_bytes[i] / 4 && k < 5; k++)
                printf(" %g", (double)((float *)out[i])[k]);
            printf("\n");
        }
    }
    for (int i = 0; i < classifier_NINPUTS; i++)
        free(in[i]);
    for (int i = 0; i < classifier_NOUTPUTS; i++)
        free(out[i]);
    classifier_destroy(m);
    return status == 0 ? 0 : 1;
}
