/*
 * bind.c: --bind NAME=FILE, a graph input made a constant of the plan from the file's value: a
 * TensorProto for a tensor input, a SequenceProto or OptionalProto of tensors for a sequence or
 * optional one (read field by field with onnx_wire_field; each tensor unpacked by protobuf-c
 * and checked as an initializer is). The value is checked against the input's declared dtype and
 * fixed dims; external data is confined to the file's own folder, as a model's is to its folder.
 */
#include "onnx_impl.h"

#include <stdio.h>
#include <string.h>

/* What --bind reads for a sequence or optional input: its tensors, each a new constant */
typedef struct Held {
    Loader *L;
    ProtobufCAllocator *pa;
    PbHeap *heap;
    const char *file, *input;
    DType dt;       /* the tensors' dtype: the input's, or the first tensor's where unsaid */
    ValId *v;       /* the tensors read, in order */
    int n, cap;
} Held;

/* The TensorProto in p[0..n): a new constant appended to h->v; 0 or -1 */
static int
held_tensor(Held *h, const uint8_t *p, size_t n)
{
    Loader *L = h->L;
    Graph *g = L->g;
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(h->pa, n, p);
    if (!t)
        return h->heap->failed ? diag_oom(L->d)
                               : diag_error(L->d, "%s: tensor %d does not parse", h->file, h->n);
    char what[320];
    snprintf(what, sizeof what, "%.280s: tensor %d", h->file, h->n);
    ValId v = ir_val_add(g, NULL, DT_UNDEF, NULL);
    if (v == NONE)
        return diag_oom(L->d);
    if (onnx_tensor_to_value(L, t, v, what) < 0)
        return -1;
    if (h->dt == DT_UNDEF)
        h->dt = g->val[v].dt;
    if (g->val[v].dt != h->dt)
        return diag_error(L->d, "%s is %s; input \"%s\" holds %s", what,
                          ir_dtype_name(g->val[v].dt), h->input, ir_dtype_name(h->dt));
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 8;
        ValId *more = ir_galloc(g, (size_t)cap * sizeof *more);
        if (!more)
            return diag_oom(L->d);
        if (h->n)
            memcpy(more, h->v, (size_t)h->n * sizeof *more);
        h->v = more;
        h->cap = cap;
    }
    h->v[h->n++] = v;
    return 0;
}

/* A SequenceProto of tensors in p[0..n) into h; 0 or -1 */
static int
held_seq(Held *h, const uint8_t *p, size_t n)
{
    WireField f;
    for (size_t pos = 0; pos < n;) {
        if (onnx_wire_field(p, n, &pos, &f) < 0 || (f.num == 3 && !f.data))
            return diag_error(h->L->d, "%s: not a SequenceProto", h->file);
        if (f.num >= 4 && f.num <= 7)
            return diag_error(h->L->d, "%s: a sequence of sparse tensors, sequences, maps or "
                              "optionals (not supported)", h->file);
        if (f.num == 3 && held_tensor(h, f.data, f.len) < 0)
            return -1;
    }
    return 0;
}

/* A value of g holding h's tensors (a sequence, or an optional of one tensor); NONE on OOM */
static ValId
held_value(Held *h, unsigned kind)
{
    Graph *g = h->L->g;
    ValId v = ir_val_add(g, NULL, h->dt, NULL);
    if (v == NONE) {
        diag_oom(h->L->d);
        return NONE;
    }
    Value *x = &g->val[v];
    x->rank = -1;
    x->flags = kind;
    x->elem = h->v;
    x->nelem = h->n;
    return v;
}

/* --bind of sequence or optional input v to the SequenceProto or OptionalProto in buf */
static int
bind_held(Loader *L, ValId v, const uint8_t *buf, size_t size, ProtobufCAllocator *pa,
          PbHeap *heap, const char *file)
{
    Graph *g = L->g;
    /* no pointer into g->val is kept: the tensors read are values added to g */
    unsigned flags = g->val[v].flags;
    const char *name = g->val[v].name;
    Held h = {L, pa, heap, file, name, g->val[v].dt, NULL, 0, 0};
    if (!(flags & V_OPT)) {
        if (held_seq(&h, buf, size) < 0)
            return -1;
    } else {
        /* OptionalProto: a tensor (3) or a sequence (5), or nothing */
        int has = 0, seq = 0;
        WireField f;
        for (size_t pos = 0; pos < size;) {
            if (onnx_wire_field(buf, size, &pos, &f) < 0 ||
                ((f.num == 3 || f.num == 5) && !f.data))
                return diag_error(L->d, "%s: not an OptionalProto", file);
            if (f.num == 4 || f.num >= 6)
                return diag_error(L->d, "%s: an optional sparse tensor, map or optional (not "
                                  "supported)", file);
            if (f.num != 3 && f.num != 5)
                continue;
            if (has++)
                return diag_error(L->d, "%s: an optional with more than one value", file);
            seq = f.num == 5;
            if (seq != !!(flags & V_SEQ))
                return diag_error(L->d, "%s holds %s; input \"%s\" is an optional %s", file,
                                  seq ? "a sequence" : "a tensor", name,
                                  flags & V_SEQ ? "sequence" : "tensor");
            if (seq ? held_seq(&h, f.data, f.len) : held_tensor(&h, f.data, f.len))
                return -1;
        }
        if (seq) {
            ValId s = held_value(&h, V_SEQ);
            if (s == NONE)
                return -1;
            h.v = ir_galloc(g, sizeof *h.v);
            if (!h.v)
                return diag_oom(L->d);
            h.v[0] = s;
        }
        h.n = has;
    }
    Value *in = &g->val[v];
    in->dt = h.dt;
    in->flags = (in->flags & ~(unsigned)(V_INPUT | V_SEQ | V_OPT)) |
                (flags & V_OPT ? V_OPT : V_SEQ);
    in->elem = h.v;
    in->nelem = h.n;
    return 0;
}

int
onnx_bind_input(Graph *g, const char *name, const char *pbfile, Diag *d)
{
    int k = 0;
    while (k < g->ninput && strcmp(g->val[g->input[k]].name, name) != 0)
        k++;
    if (k == g->ninput)
        return diag_error(d, "--bind %s: the model has no input named \"%s\"", name, name);
    size_t size = 0;
    void *buf = onnx_read_file(pbfile, &size, d);
    if (!buf)
        return -1;
    Arena *scratch = ir_arena_new();
    char *dir = onnx_folder_of(pbfile);
    int rc = -1;
    if (!scratch || !dir) {
        diag_oom(d);
        goto done;
    }
    PbHeap heap = {scratch, 0};
    ProtobufCAllocator pa = {onnx_pb_alloc, onnx_pb_free, &heap};
    Loader L = {g, d, dir, g->opset, NONE, NULL, NULL, NULL, 0, 0};
    if (g->val[g->input[k]].flags & (V_SEQ | V_OPT)) {
        if (bind_held(&L, g->input[k], buf, size, &pa, &heap, pbfile) < 0)
            goto done;
        goto unlist;
    }
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(&pa, size, buf);
    if (!t) {
        if (heap.failed)
            diag_oom(d);
        else
            diag_error(d, "%s: not a TensorProto file", pbfile);
        goto done;
    }
    /* decode into a scratch value, then check it against the declared input; external data is
     * confined to the .pb file's own folder, as a model's is to the model's */
    ValId tmp = ir_val_add(g, NULL, DT_UNDEF, NULL);
    if (tmp == NONE) {
        diag_oom(d);
        goto done;
    }
    char what[300];
    snprintf(what, sizeof what, "%.280s", pbfile);
    if (onnx_tensor_to_value(&L, t, tmp, what) < 0)
        goto done;
    Value *in = &g->val[g->input[k]], *x = &g->val[tmp];
    if (x->dt != in->dt) {
        diag_error(d, "%s: the tensor is %s; input \"%s\" is %s", pbfile, ir_dtype_name(x->dt),
                   name, ir_dtype_name(in->dt));
        goto done;
    }
    if (in->rank >= 0) {
        int same = in->rank == x->rank;
        for (int i = 0; same && i < x->rank; i++)
            same = in->dim[i] < 0 || in->dim[i] == x->dim[i];
        if (!same) {
            diag_error(d, "%s: the tensor's shape does not fit input \"%s\"", pbfile, name);
            goto done;
        }
    }
    in->rank = x->rank;
    memcpy(in->dim, x->dim, sizeof in->dim);
    in->data = x->data;
    in->flags = (in->flags & ~(unsigned)V_INPUT) | V_CONST;
unlist:
    memmove(&g->input[k], &g->input[k + 1], (size_t)(g->ninput - k - 1) * sizeof(ValId));
    g->ninput--;
    rc = 0;
done:
    ir_free(dir);
    ir_arena_free(scratch);
    ir_free(buf);
    return rc;
}
