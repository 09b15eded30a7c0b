/* optimal.c: the least predicted makespan over every placement (issue 12; being written) */
#include "partition.h"

int
place_optimal(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    (void)g, (void)t, (void)o;
    return diag_error(d, "strategy optimal cannot place plans yet");
}
