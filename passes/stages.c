/* stages.c: pipeline stages for --stream (issue 12; being written) */
#include "partition.h"

int
place_pipeline(Graph *g, const Target *t, const PlanOptions *o, Diag *d)
{
    (void)g, (void)t, (void)o;
    return diag_error(d, "strategy pipeline cannot place plans yet");
}
