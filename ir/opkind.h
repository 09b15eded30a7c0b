/*
 * opkind.h: the operator enum, built from ops.def. Shared by the compiler modules and the runtime
 * (which indexes its kernel tables by OpKind), so it depends on nothing but ops.def.
 */
#pragma once

typedef enum OpKind {
#define OP(id, ...) OP_##id,
#include "ops.def"
#undef OP
    OP_COUNT
} OpKind;
