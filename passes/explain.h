/*
 * explain.h: hetc compile --explain: a placed, scheduled plan told in words (passes/explain.c).
 */
#pragma once

#include "passes/passes.h"

#include <stdio.h>

/* Writes to f, for plan p of g made with strategy (its name, for the causes): every step in
 * schedule order with its predicted time on each processor of the target that can run it,
 * where it went and why, and its predicted start and end; then every transfer (a Copy step:
 * its tensor, the memories, bytes and predicted times); then the predicted latency (the
 * schedule's makespan), each processor's busy time and where the cost model's figures come
 * from. Names are escaped and cut, so no line is longer than 120 columns. Allocates nothing. */
void pass_explain(const Graph *g, const Plan *p, const char *strategy, FILE *f);
