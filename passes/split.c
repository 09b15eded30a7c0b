/* split.c: Conv, Gemm and MatMul divided between processors (issue 12; being written) */
#include "partition.h"

int
place_split(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    (void)g, (void)t, (void)o;
    return diag_error(d, "strategy split cannot place plans yet");
}
