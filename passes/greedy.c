/* greedy.c: list scheduling of the HEFT family (issue 12; being written) */
#include "partition.h"

int
place_greedy(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    (void)g, (void)t, (void)o;
    return diag_error(d, "strategy greedy cannot place plans yet");
}
