/*
 * attr_c.c: a node's typed attributes as a C initializer. Each attribute class is described by a
 * table of its fields (name, kind, offset), so one loop prints any class: integer lists become
 * static arrays emitted just before the Attr constant that points to them. Steps with equal
 * attributes share one constant (cg_emit_attrs): thousands of equal constants would keep gcc
 * busy for minutes merging them itself (-fipa-icf, quadratic).
 */
#include "cg_impl.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum FieldKind { FK_I64, FK_INT, FK_FLOAT, FK_DOUBLE, FK_INTS, FK_ENUM } FieldKind;

typedef struct Field {
    const char *name;
    FieldKind kind;
    size_t off;
} Field;

#define F(cls, field, kind) {#field, kind, offsetof(Attr, cls.field)}
#define END {NULL, FK_INT, 0}

static const Field conv_f[] = {
    F(conv, group, FK_I64), F(conv, kernel, FK_INTS), F(conv, pads, FK_INTS),
    F(conv, strides, FK_INTS), F(conv, dilations, FK_INTS), F(conv, output_padding, FK_INTS),
    F(conv, output_shape, FK_INTS), F(conv, auto_pad, FK_ENUM), F(conv, fuse.act, FK_ENUM),
    F(conv, fuse.alpha, FK_FLOAT), F(conv, fuse.beta, FK_FLOAT), F(conv, fuse.affine, FK_INT),
    F(conv, fuse.mul, FK_FLOAT), F(conv, fuse.add, FK_FLOAT), END};
static const Field pool_f[] = {
    F(pool, kernel, FK_INTS), F(pool, pads, FK_INTS), F(pool, strides, FK_INTS),
    F(pool, dilations, FK_INTS), F(pool, auto_pad, FK_ENUM), F(pool, ceil_mode, FK_INT),
    F(pool, count_include_pad, FK_INT), F(pool, storage_order, FK_INT), F(pool, p, FK_I64), END};
static const Field gemm_f[] = {F(gemm, alpha, FK_FLOAT), F(gemm, beta, FK_FLOAT),
                               F(gemm, trans_a, FK_INT), F(gemm, trans_b, FK_INT),
                               F(gemm, fuse.act, FK_ENUM), F(gemm, fuse.alpha, FK_FLOAT),
                               F(gemm, fuse.beta, FK_FLOAT), F(gemm, fuse.affine, FK_INT),
                               F(gemm, fuse.mul, FK_FLOAT), F(gemm, fuse.add, FK_FLOAT), END};
static const Field act_f[] = {F(act, alpha, FK_FLOAT), F(act, beta, FK_FLOAT),
                              F(act, gamma, FK_FLOAT), F(act, approximate, FK_INT), END};
static const Field axis_f[] = {F(axis, axis, FK_I64), F(axis, keepdims, FK_INT),
                               F(axis, select_last_index, FK_INT), F(axis, exclusive, FK_INT),
                               F(axis, largest, FK_INT), F(axis, sorted, FK_INT),
                               F(axis, reverse, FK_INT), F(axis, coerce2d, FK_INT),
                               F(axis, reduction, FK_ENUM), END};
static const Field reduce_f[] = {F(reduce, keepdims, FK_INT),
                                 F(reduce, noop_with_empty_axes, FK_INT), END};
static const Field split_f[] = {F(split, axis, FK_I64), F(split, num_outputs, FK_I64), END};
static const Field perm_f[] = {F(perm, perm, FK_INTS), END};
static const Field pad_f[] = {F(pad, mode, FK_ENUM), END};
static const Field resize_f[] = {
    F(resize, mode, FK_ENUM), F(resize, coord, FK_ENUM), F(resize, nearest, FK_ENUM),
    F(resize, policy, FK_ENUM), F(resize, cubic_a, FK_FLOAT), F(resize, extrapolation, FK_FLOAT),
    F(resize, exclude_outside, FK_INT), F(resize, antialias, FK_INT), F(resize, axes, FK_INTS),
    END};
static const Field cast_f[] = {F(cast, to, FK_ENUM), F(cast, saturate, FK_INT), END};
static const Field cst_f[] = {F(cst, dt, FK_ENUM), F(cst, f, FK_DOUBLE), F(cst, i, FK_I64), END};
static const Field shape_f[] = {F(shape, start, FK_I64), F(shape, end, FK_I64),
                                F(shape, has_end, FK_INT), END};
static const Field norm_f[] = {F(norm, epsilon, FK_FLOAT), F(norm, momentum, FK_FLOAT),
                               F(norm, axis, FK_I64), F(norm, training_mode, FK_INT),
                               F(norm, fuse.act, FK_ENUM), F(norm, fuse.alpha, FK_FLOAT),
                               F(norm, fuse.beta, FK_FLOAT), F(norm, fuse.affine, FK_INT),
                               F(norm, fuse.mul, FK_FLOAT), F(norm, fuse.add, FK_FLOAT), END};
static const Field lrn_f[] = {F(lrn, alpha, FK_FLOAT), F(lrn, beta, FK_FLOAT),
                              F(lrn, bias, FK_FLOAT), F(lrn, size, FK_I64), END};
static const Field block_f[] = {F(block, blocksize, FK_I64), F(block, crd, FK_INT), END};
static const Field reshape_f[] = {F(reshape, allowzero, FK_INT), END};
static const Field mode_f[] = {F(mode, mode, FK_I64), END};
static const Field einsum_f[] = {F(einsum, terms, FK_INTS), END};
/* the activations' arrays field by field (.act[0] = ...), as the class printer writes scalars */
#define RNN_ACT(i) F(rnn, act[i], FK_ENUM), F(rnn, alpha[i], FK_FLOAT), F(rnn, beta[i], FK_FLOAT)
static const Field rnn_f[] = {F(rnn, hidden_size, FK_I64), F(rnn, direction, FK_ENUM),
                             F(rnn, layout, FK_INT), F(rnn, linear_before_reset, FK_INT),
                             F(rnn, input_forget, FK_INT), F(rnn, clip, FK_FLOAT),
                             RNN_ACT(0), RNN_ACT(1), RNN_ACT(2), RNN_ACT(3), RNN_ACT(4),
                             RNN_ACT(5), END};

static const struct {
    const char *member;
    const Field *fields;
} classes[] = {
    [A_NONE] = {NULL, NULL},          [A_CONV] = {"conv", conv_f},
    [A_POOL] = {"pool", pool_f},      [A_GEMM] = {"gemm", gemm_f},
    [A_ACT] = {"act", act_f},         [A_AXIS] = {"axis", axis_f},
    [A_REDUCE] = {"reduce", reduce_f}, [A_SPLIT] = {"split", split_f},
    [A_PERM] = {"perm", perm_f},      [A_PAD] = {"pad", pad_f},
    [A_RESIZE] = {"resize", resize_f}, [A_CAST] = {"cast", cast_f},
    [A_CONST] = {"cst", cst_f},       [A_SHAPE] = {"shape", shape_f},
    [A_NORM] = {"norm", norm_f},      [A_LRN] = {"lrn", lrn_f},
    [A_BLOCK] = {"block", block_f},   [A_RESHAPE] = {"reshape", reshape_f},
    [A_MODE] = {"mode", mode_f},
    [A_EINSUM] = {"einsum", einsum_f},
    [A_RNN] = {"rnn", rnn_f},
    [A_BODY] = {NULL, NULL},        /* If, Loop, Scan: inlined (passes/control.c), never emitted */
    [A_SEQ] = {NULL, NULL},         /* sequences: resolved (passes/control.c), never emitted */
};

static void
put_double(FILE *f, double v, int is_float)
{
    if (isnan(v))
        fputs("NAN", f);
    else if (isinf(v))
        fputs(v > 0 ? "INFINITY" : "-INFINITY", f);
    else {
        /* a C floating constant: make sure it has a '.' or an exponent before any suffix */
        char buf[40];
        snprintf(buf, sizeof buf, is_float ? "%.9g" : "%.17g", v);
        fprintf(f, "%s%s%s", buf, strpbrk(buf, ".e") ? "" : ".0", is_float ? "f" : "");
    }
}

void
cg_emit_attr(FILE *f, const Node *x, int id)
{
    AttrClass ac = ir_op[x->op].attr;
    if (ac == A_NONE || !classes[ac].fields) {
        fprintf(f, "static const Attr a%d = {0};\n", id);
        return;
    }
    const unsigned char *base = (const unsigned char *)x->attr;
    const Field *fl = classes[ac].fields;
    /* integer lists first, as named static arrays */
    for (const Field *p = fl; p->name; p++) {
        if (p->kind != FK_INTS)
            continue;
        const Ints *v = (const Ints *)(base + p->off);
        if (v->n == 0)
            continue;
        fprintf(f, "static const int64_t a%d_%s[] = {", id, p->name);
        for (int i = 0; i < v->n; i++)
            fprintf(f, "%s%lld", i ? ", " : "", (long long)v->v[i]);
        fputs("};\n", f);
    }
    fprintf(f, "static const Attr a%d = {.%s = {", id, classes[ac].member);
    for (const Field *p = fl; p->name; p++) {
        const unsigned char *q = base + p->off;
        fprintf(f, "%s.%s = ", p == fl ? "" : ", ", p->name);
        switch (p->kind) {
        case FK_I64: fprintf(f, "%lld", (long long)*(const int64_t *)q); break;
        case FK_INT: fprintf(f, "%d", *(const int *)q); break;
        case FK_ENUM: fprintf(f, "%d", (int)*(const int *)q); break;
        case FK_FLOAT: put_double(f, *(const float *)q, 1); break;
        case FK_DOUBLE: put_double(f, *(const double *)q, 0); break;
        case FK_INTS: {
            const Ints *v = (const Ints *)q;
            if (v->n)
                fprintf(f, "{%d, a%d_%s}", v->n, id, p->name);
            else
                fputs("{0, NULL}", f);
            break;
        }
        }
    }
    fputs("}};\n", f);
}

/* FNV-1a of a rendering */
static uint64_t
hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

int
cg_emit_attrs(FILE *f, const Graph *g, int *rep, Diag *d)
{
    /* open addressing over each step's rendering under id 0: slot -> first step rendering so */
    size_t cap = 16;
    while (cap < 2 * (size_t)g->nnode)
        cap *= 2;
    int *slot = ir_alloc(cap * sizeof *slot);
    char **text = ir_alloc(((size_t)g->nnode + 1) * sizeof *text);
    size_t *len = ir_alloc(((size_t)g->nnode + 1) * sizeof *len);
    int rc = 0;
    if (text)
        memset(text, 0, ((size_t)g->nnode + 1) * sizeof *text);
    if (!slot || !text || !len) {
        rc = diag_oom(d);
        goto done;
    }
    for (size_t i = 0; i < cap; i++)
        slot[i] = -1;
    for (NodeId n = 0; n < g->nnode; n++) {
        FILE *m = open_memstream(&text[n], &len[n]);
        if (!m) {
            rc = diag_oom(d);
            goto done;
        }
        cg_emit_attr(m, &g->node[n], 0);
        if (fclose(m) != 0 || !text[n]) {
            rc = diag_oom(d);
            goto done;
        }
        size_t i = (size_t)hash(text[n], len[n]) & (cap - 1);
        for (; slot[i] >= 0; i = (i + 1) & (cap - 1))
            if (len[slot[i]] == len[n] && memcmp(text[slot[i]], text[n], len[n]) == 0)
                break;
        if (slot[i] < 0) {
            slot[i] = n;
            cg_emit_attr(f, &g->node[n], n);
        }
        rep[n] = slot[i];
    }
done:
    for (NodeId n = 0; text && n < g->nnode; n++)
        free(text[n]); /* open_memstream's buffers come from malloc */
    ir_free(slot);
    ir_free(text);
    ir_free(len);
    return rc;
}
