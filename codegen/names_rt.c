/*
 * names_rt.c: not compiled, only preprocessed when hetc is built (names.cmake). The types, enum
 * constants and macros of the runtime headers a plan includes (the names that begin with a
 * capital; their lower-case names follow prefixes that cg_identifier checks).
 */
#include "runtime/opencl/ops.h"
#include "runtime/rt_backend.h"
