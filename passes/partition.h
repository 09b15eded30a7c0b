/*
 * partition.h: what the partitioners share (issue 12). A strategy fills each node's processor
 * and cause (Node.dev, Node.cause) and may reorder the nodes (a topological order: the lanes run
 * their steps in it) or rewrite the graph (split); schedule.c then predicts the plan it made
 * with the whole cost model. To choose, the strategies compare placements by part_estimate,
 * a list schedule over a table of each node's time on each processor and the cost of each
 * crossing edge, the same terms as schedule.c's (docs/partition.md says what it leaves out).
 *
 * Strategies (place.c calls them from pass_place; each returns 0, or -1 with the reason in d):
 *   greedy.c   list scheduling of the HEFT family: upward rank, earliest finish time
 *   optimal.c  the least part_estimate over every placement, for graphs up to a size
 *   split.c    Conv, Gemm and MatMul divided between processors along output channels or rows
 *   stages.c   pipeline stages for --stream
 */
#pragma once

#include "passes.h"

/* us[n * nproc + p]: node n alone on processor p in microseconds (cost_work_us, or the trace's
 * time under --profile-from), without what reading other processors' outputs adds; -1 where p
 * may not run n (pass_can_place). */
typedef struct CostTable {
    int nnode, nproc;
    double *us;                 /* owned; free with part_costs_free */
} CostTable;
int part_costs(const Graph *g, const Target *t, const PlanOptions *o, CostTable *c, Diag *d);
void part_costs_free(CostTable *c);

/* The memory of processor p (target_mem of its space; the host's for p < 0, a graph input) */
int part_mem(const Target *t, int p);
/* The processor that runs the copies into and out of memory m: the first of that memory, as
 * copies.c has it (0 when none is) */
int part_copier(const Target *t, int m);

/* The value node x reads at input j when it is a tensor the plan computes or takes in (not a
 * constant) and x has not read it at an earlier input; else NONE. Each such value is one read. */
ValId part_input(const Graph *g, const Node *x, int j);

/* What a step on processor b pays, in microseconds, to read value v written on processor a
 * (a != b; a = NONE for a graph input, written by the host): across memories, the copy's
 * launch and transfer over the link (by way of the host between two devices); within one
 * memory, its bytes at b's handoff_gbps. The wait itself (b's sync_us) is not included. */
double part_read_us(const Graph *g, const Target *t, ValId v, int a, int b);

/* The predicted makespan in ms of placement dev[] (per node, a processor) with each lane
 * running its steps in node order: a step starts when its lane is free and its inputs are
 * written, plus b's sync_us once per other lane it reads from and, for an input from another
 * memory, that copy's time; it takes its table time plus part_read_us for each input written
 * on another processor of its memory. Graph outputs written outside the host's memory add
 * their copy to the host. start_ms and end_ms (may be NULL) get every node's times.
 * No contention: schedule.c applies it to the plan chosen. O(N + E). */
double part_estimate(const Graph *g, const Target *t, const CostTable *c, const int *dev,
                     double *start_ms, double *end_ms);

/* The strategies */
int place_greedy(Graph *g, const Target *t, const PlanOptions *o, Diag *d);
int place_optimal(Graph *g, const Target *t, const PlanOptions *o, Diag *d);
int place_split(Graph *g, const Target *t, const PlanOptions *o, Diag *d);
int place_pipeline(Graph *g, const Target *t, const PlanOptions *o, Diag *d);

/* optimal.c: the least part_estimate over every placement c allows (us >= 0), the lanes in node
 * order, by branch and bound; dev (nnode entries) gets it and *ms its makespan. Returns 0, 1 when
 * the search did more than budget units of work (a step worked out on one processor, or a time
 * compared; dev is then the best found, not the least), -1 out of memory. *expanded (may be NULL)
 * gets the states visited. */
int part_optimal(const Graph *g, const Target *t, const CostTable *c, long budget, int *dev,
                 double *ms, long *expanded);
/* the most steps with a choice of processor place_optimal searches on np processors */
int optimal_max_steps(int np);

/* stages.c: the cut of the node order into contiguous stages, each on a processor of its own
 * among the first six, of least slowest stage by the table c (ties: a small sum); stage (nnode
 * entries) gets each node's stage's processor, and *slow_ms that stage's time (-1: no cut runs
 * every node on its stage's processor, even with nodes moved to the fastest that may run them).
 * Returns 0, or -1 out of memory. */
int part_stages(const Graph *g, const Target *t, const CostTable *c, int *stage, double *slow_ms);
