/*
 * cg_impl.h: what codegen's files share.
 */
#pragma once

#include "codegen.h"

#include <stdio.h>

/* attr_c.c: `static const Attr a<id> = {...};` (and its integer arrays) for node x */
void cg_emit_attr(FILE *f, const Node *x, int id);

/* weights.c: the offset of every constant in NAME.weights (-1: not stored) */
typedef struct Weights {
    int64_t *offset;            /* per value */
    int64_t size;               /* bytes after the header */
    uint64_t sum;               /* ir/checksum.h's checksum of those bytes */
} Weights;
int cg_weights_layout(const Graph *g, Weights *w, Diag *d);
int cg_weights_write(const Graph *g, const Weights *w, const char *path, Diag *d);

/* emit_c.c; cg_put_cstr writes s as a C string literal, and with brk (not NULL) ends the
 * literal after each newline that more text follows and writes brk there ("\"\n    \"": one
 * source line per line of C) */
void cg_put_cstr(FILE *f, const char *s, const char *brk);
int cg_emit_sources(const Graph *g, const MemPlan *mp, const Weights *w, const CgOptions *o,
                    Diag *d);

/* emit_cl.c: DIR/NAME.cl, the OpenCL programs a gpu plan uses, and their C strings in NAME.c */
typedef struct CgClProgram {
    const char *name;           /* runtime/opencl/kernels/<name>.cl */
    const char *ops;            /* ONNX ops that use it, space-separated; "*": every plan */
    const char *text;           /* with its #include "x.cl" lines resolved */
} CgClProgram;
extern const CgClProgram cg_cl_programs[];
extern const int cg_cl_nprograms;
int cg_emit_cl(FILE *c, const Graph *g, const CgOptions *o, Diag *d);

/* build.c */
int cg_build(const CgOptions *o, Diag *d);
int cg_plan_json(const Graph *g, const CgOptions *o, Diag *d);

/* "DIR/NAMEsuffix" into buf */
const char *cg_path(char *buf, size_t size, const CgOptions *o, const char *suffix);
