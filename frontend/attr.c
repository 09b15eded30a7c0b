/*
 * attr.c: ONNX attributes -> the IR's typed attribute structs, once, at load time.
 *
 * Each attribute is looked up by name and its declared type checked; strings that name modes
 * become enums here. Older opset forms are normalised to the newest one so that the rest of the
 * compiler knows one meaning per op: attributes that later became inputs (Slice-1 starts/ends,
 * Squeeze/Unsqueeze axes, Reduce axes, Split split, Pad pads, Clip min/max, Reshape-1 shape,
 * Upsample scales) become constant inputs, and Upsample / Resize-10 become Resize-11+.
 */
#include "onnx_impl.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

typedef Onnx__AttributeProto AttrProto;
enum {
    AT_FLOAT = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT,
    AT_INT = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT,
    AT_STRING = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING,
    AT_TENSOR = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR,
    AT_FLOATS = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS,
    AT_INTS = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS,
    AT_STRINGS = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS,
    AT_GRAPH = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH,
};

int
onnx_node_error(Loader *L, const Onnx__NodeProto *np, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L->parent)  /* a body's node: say whose */
        return diag_error(L->d, "node %d \"%s\" (%s) in the %s of node %d: %s", L->node_index,
                          pbstr(np->name), pbstr(np->op_type), L->body, L->parent->node_index,
                          msg);
    return diag_error(L->d, "node %d \"%s\" (%s): %s", L->node_index, pbstr(np->name),
                      pbstr(np->op_type), msg);
}

typedef struct Ctx {
    Loader *L;
    const Onnx__NodeProto *np;
    NodeId n;
    int err;
} Ctx;

/* The attribute called name if present; a declared type other than want is an error. Attributes
 * without a declared type (very old exporters) are accepted by what they hold. */
static const AttrProto *
find(Ctx *c, const char *name, int want)
{
    for (size_t i = 0; i < c->np->n_attribute; i++) {
        const AttrProto *a = c->np->attribute[i];
        if (strcmp(pbstr(a->name), name) != 0)
            continue;
        if (a->ref_attr_name && a->ref_attr_name[0]) {
            onnx_node_error(c->L, c->np, "attribute %s refers to a function attribute", name);
            c->err = 1;
            return NULL;
        }
        int t = a->has_type ? (int)a->type : 0;
        if (t == 0) {
            t = a->n_ints ? AT_INTS : a->n_floats ? AT_FLOATS : a->has_s ? AT_STRING
              : a->t ? AT_TENSOR : a->g ? AT_GRAPH : a->has_f ? AT_FLOAT : a->has_i ? AT_INT
              : want;
        }
        if (t != want) {
            onnx_node_error(c->L, c->np, "attribute %s has type %d, expected %d", name, t, want);
            c->err = 1;
            return NULL;
        }
        return a;
    }
    return NULL;
}

static int64_t
get_int(Ctx *c, const char *name, int64_t dflt)
{
    const AttrProto *a = find(c, name, AT_INT);
    return a ? a->i : dflt;
}

static float
get_float(Ctx *c, const char *name, float dflt)
{
    const AttrProto *a = find(c, name, AT_FLOAT);
    return a ? a->f : dflt;
}

/* a 0/1 flag */
static int
get_flag(Ctx *c, const char *name, int dflt)
{
    int64_t v = get_int(c, name, dflt);
    if (v != 0 && v != 1) {
        onnx_node_error(c->L, c->np, "attribute %s is %lld, expected 0 or 1", name, (long long)v);
        c->err = 1;
    }
    return (int)v;
}

static Ints
get_ints(Ctx *c, const char *name, int *present)
{
    Ints r = {0, NULL};
    const AttrProto *a = find(c, name, AT_INTS);
    if (present)
        *present = a != NULL;
    if (!a || a->n_ints == 0)
        return r;
    if (a->n_ints > 4096) {
        onnx_node_error(c->L, c->np, "attribute %s has %zu entries", name, a->n_ints);
        c->err = 1;
        return r;
    }
    int64_t *v = ir_galloc(c->L->g, a->n_ints * sizeof *v);
    if (!v) {
        diag_oom(c->L->d);
        c->err = 1;
        return r;
    }
    memcpy(v, a->ints, a->n_ints * sizeof *v);
    r.n = (int)a->n_ints;
    r.v = v;
    return r;
}

/* The index of the attribute's string among names[], dflt if absent, an error if unknown. */
static int
get_enum(Ctx *c, const char *name, const char *const *names, int nnames, int dflt)
{
    const AttrProto *a = find(c, name, AT_STRING);
    if (!a)
        return dflt;
    for (int i = 0; i < nnames; i++)
        if (strlen(names[i]) == a->s.len && memcmp(names[i], a->s.data, a->s.len) == 0)
            return i;
    onnx_node_error(c->L, c->np, "attribute %s has an unsupported value \"%.*s\"", name,
                    (int)(a->s.len > 64 ? 64 : a->s.len), (const char *)a->s.data);
    c->err = 1;
    return dflt;
}

#define ENUM(c, name, names, dflt) get_enum(c, name, names, (int)(sizeof names / sizeof *names), dflt)

/* Sets input i of the node to v, growing its input list if needed. */
static void
set_input(Ctx *c, int i, ValId v)
{
    Graph *g = c->L->g;
    Node *x = &g->node[c->n];
    if (v == NONE) {
        c->err = 1;
        return;
    }
    if (i >= x->nin) {
        ValId *in = ir_galloc(g, (size_t)(i + 1 + x->nout) * sizeof *in);
        if (!in) {
            diag_oom(c->L->d);
            c->err = 1;
            return;
        }
        for (int k = 0; k <= i; k++)
            in[k] = k < x->nin ? x->in[k] : NONE;
        memcpy(in + i + 1, x->out, (size_t)x->nout * sizeof *in);
        x->in = in;
        x->out = in + i + 1;
        x->nin = i + 1;
    }
    x->in[i] = v;
}

/* An attribute that became input i in a later opset: move it there if present. */
static void
ints_to_input(Ctx *c, const char *name, int i, int rank)
{
    int present;
    Ints v = get_ints(c, name, &present);
    if (present)
        set_input(c, i, onnx_const_ints(c->L, v.v, v.n, rank));
}

static void
float_to_input(Ctx *c, const char *name, int i)
{
    const AttrProto *a = find(c, name, AT_FLOAT);
    if (a)
        set_input(c, i, onnx_const_floats(c->L, &a->f, 1, 0));
}

static const char *const autopads[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};

static void
conv_attrs(Ctx *c, ConvAttr *a)
{
    a->group = get_int(c, "group", 1);
    a->kernel = get_ints(c, "kernel_shape", NULL);
    a->pads = get_ints(c, "pads", NULL);
    a->strides = get_ints(c, "strides", NULL);
    a->dilations = get_ints(c, "dilations", NULL);
    a->output_padding = get_ints(c, "output_padding", NULL);
    a->output_shape = get_ints(c, "output_shape", NULL);
    a->auto_pad = (AutoPad)ENUM(c, "auto_pad", autopads, PAD_NOTSET);
}

static void
pool_attrs(Ctx *c, PoolAttr *a)
{
    a->kernel = get_ints(c, "kernel_shape", NULL);
    a->pads = get_ints(c, "pads", NULL);
    a->strides = get_ints(c, "strides", NULL);
    a->dilations = get_ints(c, "dilations", NULL);
    a->auto_pad = (AutoPad)ENUM(c, "auto_pad", autopads, PAD_NOTSET);
    a->ceil_mode = get_flag(c, "ceil_mode", 0);
    a->count_include_pad = get_flag(c, "count_include_pad", 0);
    a->storage_order = get_flag(c, "storage_order", 0);
    a->p = get_int(c, "p", 2);
}

static void
resize_attrs(Ctx *c, ResizeAttr *a, int64_t opset, int upsample)
{
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const upmodes[] = {"nearest", "linear", "bilinear"};
    static const char *const coords[] = {"half_pixel", "half_pixel_symmetric",
                                         "pytorch_half_pixel", "align_corners", "asymmetric",
                                         "tf_crop_and_resize", "tf_half_pixel_for_nn"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                           "ceil"};
    static const char *const policies[] = {"stretch", "not_larger", "not_smaller"};
    if (upsample) {
        int m = ENUM(c, "mode", upmodes, 0);
        a->mode = m == 0 ? RSZ_NEAREST : RSZ_LINEAR;
        a->coord = CT_ASYMMETRIC;
        a->nearest = NM_FLOOR;
        return;
    }
    a->mode = (ResizeMode)ENUM(c, "mode", modes, RSZ_NEAREST);
    /* Resize-10 has no coordinate mode: it behaves as asymmetric */
    a->coord = opset < 11 ? CT_ASYMMETRIC : (CoordMode)ENUM(c, "coordinate_transformation_mode",
                                                           coords, CT_HALF_PIXEL);
    a->nearest = (NearestMode)ENUM(c, "nearest_mode", nearests, NM_ROUND_PREFER_FLOOR);
    a->policy = (AspectPolicy)ENUM(c, "keep_aspect_ratio_policy", policies, AR_STRETCH);
    a->cubic_a = get_float(c, "cubic_coeff_a", -0.75f);
    a->extrapolation = get_float(c, "extrapolation_value", 0.0f);
    a->exclude_outside = get_flag(c, "exclude_outside", 0);
    a->antialias = get_flag(c, "antialias", 0);
    a->axes = get_ints(c, "axes", NULL);
}

/* Cast's "to": an int (opset 6+) or a type name (opset 1) */
static DType
cast_to(Ctx *c)
{
    static const char *const names[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16",
                                        "INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE",
                                        "UINT32", "UINT64", "COMPLEX64", "COMPLEX128",
                                        "BFLOAT16"};
    int64_t to;
    if (c->L->opset < 6)
        to = ENUM(c, "to", names, 0);
    else
        to = get_int(c, "to", 0);
    if (to <= 0 || to >= DT_COUNT || to == DT_STRING) {
        onnx_node_error(c->L, c->np, "cast to unsupported type %lld", (long long)to);
        c->err = 1;
        return DT_F32;
    }
    return (DType)to;
}

static void
const_of_shape(Ctx *c, ConstAttr *a)
{
    const AttrProto *p = find(c, "value", AT_TENSOR);
    a->dt = DT_F32;
    if (!p || !p->t)
        return;
    Graph *g = c->L->g;
    ValId v = ir_val_add(g, NULL, DT_F32, NULL);
    if (v == NONE || onnx_tensor_to_value(c->L, p->t, v, "ConstantOfShape value") < 0) {
        if (v == NONE)
            diag_oom(c->L->d);
        c->err = 1;
        return;
    }
    const Value *x = &g->val[v];
    if (ir_numel(x) != 1) {
        onnx_node_error(c->L, c->np, "value must hold one element");
        c->err = 1;
        return;
    }
    a->dt = x->dt;
    a->f = ir_const_f(x, 0);
    a->i = ir_const_i(x, 0);
}

/* The defaults of an activation's alpha and beta that the spec (those of the ONNX operators) and
 * ONNX Runtime's LSTM and GRU agree on; -1 where they do not or there is none (ThresholdedRelu:
 * 1 against 0; Affine and ScaledTanh, which are no longer ONNX operators). */
static void
act_defaults(RnnAct act, float *alpha, float *beta)
{
    *alpha = act == RA_LEAKYRELU ? 0.01f : act == RA_HARDSIGMOID ? 0.2f : act == RA_ELU ? 1.0f
           : -1.0f;
    *beta = act == RA_HARDSIGMOID ? 0.5f : -1.0f;
}

/* Activation i's parameter (alpha or beta) from list l: the next one not yet taken (*used), as
 * ONNX Runtime's LSTM and GRU read them; RNN's read entry i, which must be the same. 1 when set,
 * 0 when the list does not reach it, -1 when the two readings differ (RNN). */
static int
act_param(OpKind op, const AttrProto *l, int i, size_t *used, float *v)
{
    size_t n = l ? l->n_floats : 0;
    if (*used >= n)
        return 0;
    *v = l->floats[(*used)++];
    if (op == OP_RNN && ((size_t)i >= n || l->floats[i] != *v))
        return -1;
    return 1;
}

/* Whether the n bytes s spell name, ignoring ASCII case. */
static int
same_name(const char *name, const uint8_t *s, size_t n)
{
    if (strlen(name) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)name[i]) != tolower(s[i]))
            return 0;
    return 1;
}

/* GRU, LSTM, RNN. Activation names match whatever their case (as ONNX Runtime's); activation_alpha
 * and activation_beta are consumed in order by the activations that take an alpha (a beta), and
 * those they do not reach keep their operator's default. */
static void
rnn_attrs(Ctx *c, OpKind op, RnnAttr *a)
{
    static const char *const dirs[] = {"forward", "reverse", "bidirectional"};
    int ng = op == OP_LSTM ? 3 : op == OP_GRU ? 2 : 1;
    a->hidden_size = get_int(c, "hidden_size", 0);
    a->direction = (RnnDir)ENUM(c, "direction", dirs, RD_FORWARD);
    a->layout = get_flag(c, "layout", 0);
    a->linear_before_reset = get_flag(c, "linear_before_reset", 0);
    a->input_forget = get_flag(c, "input_forget", 0);
    a->clip = get_float(c, "clip", -1.0f);
    if (a->hidden_size < 0 || (find(c, "clip", AT_FLOAT) && !(a->clip >= 0))) {
        onnx_node_error(c->L, c->np, "hidden_size %lld or clip %g is negative",
                        (long long)a->hidden_size, (double)a->clip);
        c->err = 1;
    }
    int want = a->direction == RD_BIDIRECTIONAL ? 2 * ng : ng;
    const AttrProto *names = find(c, "activations", AT_STRINGS);
    if (names && names->n_strings != (size_t)want) {
        onnx_node_error(c->L, c->np, "%zu activations, expected %d", names->n_strings, want);
        c->err = 1;
        return;
    }
    for (size_t i = 0; names && i < names->n_strings; i++) {
        const ProtobufCBinaryData *s = &names->strings[i];
        int k = 0;
        while (k < RA_COUNT && !same_name(ir_rnn_act_name((RnnAct)k), s->data, s->len))
            k++;
        if (k == RA_COUNT) {
            onnx_node_error(c->L, c->np, "activation \"%.*s\" is not supported",
                            (int)(s->len > 64 ? 64 : s->len), (const char *)s->data);
            c->err = 1;
            return;
        }
        a->act[i] = (RnnAct)k;
    }
    const AttrProto *al = find(c, "activation_alpha", AT_FLOATS);
    const AttrProto *be = find(c, "activation_beta", AT_FLOATS);
    size_t ia = 0, ib = 0;
    for (int i = 0; i < want && !c->err; i++) {
        RnnAct f = a->act[i];
        int takes_a = f == RA_AFFINE || f == RA_LEAKYRELU || f == RA_THRESHOLDEDRELU ||
                      f == RA_SCALEDTANH || f == RA_HARDSIGMOID || f == RA_ELU;
        int takes_b = f == RA_AFFINE || f == RA_SCALEDTANH || f == RA_HARDSIGMOID;
        int got_a = 0, got_b = 0;
        act_defaults(f, &a->alpha[i], &a->beta[i]);
        if (takes_a)
            got_a = act_param(op, al, i, &ia, &a->alpha[i]);
        if (takes_b)
            got_b = act_param(op, be, i, &ib, &a->beta[i]);
        /* ONNX Runtime's RNN takes 0 for any parameter not given */
        int guess_a = takes_a && !got_a && (op == OP_RNN || a->alpha[i] < 0);
        int guess_b = takes_b && !got_b && (op == OP_RNN || a->beta[i] < 0);
        if (got_a < 0 || got_b < 0 || guess_a || guess_b) {
            onnx_node_error(c->L, c->np, "activation %s without its own %s in activation_%s is "
                            "not supported (its value is not agreed on)", ir_rnn_act_name(f),
                            guess_a || got_a < 0 ? "alpha" : "beta",
                            guess_a || got_a < 0 ? "alpha" : "beta");
            c->err = 1;
        }
        if (!takes_a)
            a->alpha[i] = 0.0f;
        if (!takes_b)
            a->beta[i] = 0.0f;
    }
}

/* Codes the subscripts s[0..len) of one Einsum term (spaces skipped, letters, at most one "...")
 * into v[*n...], closed by -1, counting letters in count (NULL: not counted); *ell is set when
 * the term has an ellipsis. 0, or -1 when a character is not valid. */
static int
einsum_term(const char *s, size_t len, int64_t *v, int *n, int *count, int *ell)
{
    int seen = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == ' ')
            continue;
        if (ch == '.' && !seen && i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.') {
            v[(*n)++] = EINSUM_ELLIPSIS;
            seen = *ell = 1;
            i += 2;
            continue;
        }
        int c = ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26 : -1;
        if (c < 0)
            return -1;
        v[(*n)++] = c;
        if (count)
            count[c]++;
    }
    v[(*n)++] = -1;
    return 0;
}

/* Einsum's equation into EinsumAttr.terms: each term coded by einsum_term; the implicit form's
 * output (no "->") written out as numpy does: an ellipsis first if any operand has one, then the
 * letters used exactly once, in code order. */
static Ints
einsum_terms(Ctx *c)
{
    Ints r = {0, NULL};
    const AttrProto *a = find(c, "equation", AT_STRING);
    if (!a) {
        if (!c->err)
            onnx_node_error(c->L, c->np, "attribute equation is required");
        c->err = 1;
        return r;
    }
    size_t len = a->s.len, arrow = len;
    const char *e = (const char *)a->s.data;
    if (len > 4096) {
        onnx_node_error(c->L, c->np, "equation of %zu characters is too long", len);
        c->err = 1;
        return r;
    }
    for (size_t i = 0; i + 1 < len && arrow == len; i++)
        if (e[i] == '-' && e[i + 1] == '>')
            arrow = i;
    /* a code per character at most, a -1 per term, and an implicit output of every label */
    int64_t *v = ir_galloc(c->L->g, (len + EINSUM_LABELS + 4) * sizeof *v);
    if (!v) {
        diag_oom(c->L->d);
        c->err = 1;
        return r;
    }
    int n = 0, count[EINSUM_LABELS] = {0}, ell = 0, bad = 0;
    for (size_t b = 0, i = 0; i <= arrow && !bad; i++)
        if (i == arrow || e[i] == ',') {
            bad = einsum_term(e + b, i - b, v, &n, count, &ell) < 0;
            b = i + 1;
        }
    if (!bad && arrow < len) {
        int unused = 0;
        bad = einsum_term(e + arrow + 2, len - arrow - 2, v, &n, NULL, &unused) < 0;
    } else if (!bad) {
        if (ell)
            v[n++] = EINSUM_ELLIPSIS;
        for (int k = 0; k < EINSUM_ELLIPSIS; k++)
            if (count[k] == 1)
                v[n++] = k;
        v[n++] = -1;
    }
    if (bad) {
        onnx_node_error(c->L, c->np, "equation \"%.*s\" is not valid", (int)(len > 200 ? 200 : len),
                        e);
        c->err = 1;
        return r;
    }
    r.n = n;
    r.v = v;
    return r;
}

/* If's branches, Loop's and Scan's body: each converted into a graph of its own (onnx_body), the
 * outer values it reads appended to the node's inputs; Scan's axes and directions (opset 8's
 * batched form marked). */
static void
body_attrs(Ctx *c, OpKind op, BodyAttr *b)
{
    static const char *const names[3] = {"then_branch", "else_branch", "body"};
    Graph *g = c->L->g;
    for (int i = 0; i < (op == OP_IF ? 2 : 1) && !c->err; i++) {
        const char *name = names[op == OP_IF ? i : 2];
        const AttrProto *a = find(c, name, AT_GRAPH);
        if (!a || !a->g) {
            if (!c->err)
                onnx_node_error(c->L, c->np, "attribute %s (a graph) is required", name);
            c->err = 1;
            return;
        }
        ValId *outer;
        int nouter;
        if (!(b->body[i] = onnx_body(c->L, a->g, name, &outer, &nouter))) {
            c->err = 1;
            return;
        }
        /* one array, inputs then outputs, as ir_node_add makes it */
        Node *x = &g->node[c->n];
        ValId *in = ir_galloc(g, (size_t)(x->nin + nouter + x->nout + 1) * sizeof *in);
        if (!in) {
            diag_oom(c->L->d);
            c->err = 1;
            return;
        }
        if (x->nin)
            memcpy(in, x->in, (size_t)x->nin * sizeof *in);
        if (nouter)
            memcpy(in + x->nin, outer, (size_t)nouter * sizeof *in);
        if (x->nout)
            memcpy(in + x->nin + nouter, x->out, (size_t)x->nout * sizeof *in);
        x->in = in;
        x->nin += nouter;
        x->out = in + x->nin;
        b->ncapture += nouter;
    }
    if (op != OP_SCAN || c->err)
        return;
    b->num_scan_inputs = get_int(c, "num_scan_inputs", 0);
    if (b->num_scan_inputs < 1 && !c->err) {
        onnx_node_error(c->L, c->np, "attribute num_scan_inputs (at least 1) is required");
        c->err = 1;
    }
    /* opset 8: a batch axis, sequence_lens first, the scan inputs' directions alone */
    b->batched = c->L->opset < 9;
    b->scan_input_axes = b->batched ? (Ints){0, NULL} : get_ints(c, "scan_input_axes", NULL);
    b->scan_input_directions = get_ints(c, b->batched ? "directions" : "scan_input_directions",
                                        NULL);
    b->scan_output_axes = get_ints(c, "scan_output_axes", NULL);
    b->scan_output_directions = get_ints(c, "scan_output_directions", NULL);
}

int
onnx_node_attrs(Loader *L, const Onnx__NodeProto *np, NodeId n)
{
    Ctx c = {L, np, n, 0};
    Graph *g = L->g;
    OpKind op = g->node[n].op;
    Attr *a = g->node[n].attr;
    int64_t opset = L->opset;
    switch (ir_op[op].attr) {
    case A_CONV: conv_attrs(&c, &a->conv); break;
    case A_POOL: pool_attrs(&c, &a->pool); break;
    case A_GEMM:
        a->gemm.alpha = get_float(&c, "alpha", 1.0f);
        a->gemm.beta = get_float(&c, "beta", 1.0f);
        a->gemm.trans_a = get_flag(&c, "transA", 0);
        a->gemm.trans_b = get_flag(&c, "transB", 0);
        break;
    case A_ACT: {
        static const char *const approx[] = {"none", "tanh"};
        a->act.alpha = get_float(&c, "alpha", a->act.alpha);
        a->act.beta = get_float(&c, "beta", a->act.beta);
        a->act.gamma = get_float(&c, "gamma", a->act.gamma);
        if (op == OP_GELU)
            a->act.approximate = ENUM(&c, "approximate", approx, 0);
        break;
    }
    case A_AXIS:
        if (opset < 13 && (op == OP_SOFTMAX || op == OP_LOGSOFTMAX || op == OP_HARDMAX)) {
            a->axis.coerce2d = 1;
            a->axis.axis = 1;
        }
        if (op == OP_CONCAT && opset < 4)
            a->axis.axis = 1;
        a->axis.axis = get_int(&c, "axis", a->axis.axis);
        a->axis.keepdims = get_flag(&c, "keepdims", 1);
        a->axis.select_last_index = get_flag(&c, "select_last_index", 0);
        a->axis.exclusive = get_flag(&c, "exclusive", 0);
        a->axis.reverse = get_flag(&c, "reverse", 0);
        if (op == OP_SCATTERELEMENTS || op == OP_SCATTERND) {
            static const char *const reds[] = {"none", "add", "mul", "max", "min"};
            a->axis.reduction = (ScatterRed)ENUM(&c, "reduction", reds, SCR_NONE);
        }
        if (op == OP_TOPK) {
            a->axis.largest = get_flag(&c, "largest", 1);
            a->axis.sorted = get_flag(&c, "sorted", 1);
            if (opset < 10) { /* TopK-1: K was an attribute */
                const AttrProto *k = find(&c, "k", AT_INT);
                if (k)
                    set_input(&c, 1, onnx_const_ints(L, &k->i, 1, 1));
            }
        }
        break;
    case A_REDUCE:
        a->reduce.keepdims = get_flag(&c, "keepdims", 1);
        a->reduce.noop_with_empty_axes = get_flag(&c, "noop_with_empty_axes", 0);
        ints_to_input(&c, "axes", 1, 1);
        break;
    case A_SPLIT:
        a->split.axis = get_int(&c, "axis", 0);
        a->split.num_outputs = get_int(&c, "num_outputs", 0);
        ints_to_input(&c, "split", 1, 1);
        break;
    case A_PERM: a->perm.perm = get_ints(&c, "perm", NULL); break;
    case A_PAD: {
        static const char *const modes[] = {"constant", "reflect", "edge", "wrap"};
        a->pad.mode = (PadMode)ENUM(&c, "mode", modes, PADM_CONSTANT);
        if (opset < 11) {
            ints_to_input(&c, "pads", 1, 1);
            float_to_input(&c, "value", 2);
        }
        break;
    }
    case A_RESIZE: resize_attrs(&c, &a->resize, opset, 0); break;
    case A_CAST:
        if (op == OP_CAST)
            a->cast.to = cast_to(&c);
        a->cast.saturate = get_flag(&c, "saturate", 1);
        break;
    case A_CONST: const_of_shape(&c, &a->cst); break;
    case A_SHAPE: {
        const AttrProto *e = find(&c, "end", AT_INT);
        a->shape.start = get_int(&c, "start", 0);
        a->shape.has_end = e != NULL;
        a->shape.end = e ? e->i : 0;
        break;
    }
    case A_NORM:
        a->norm.epsilon = get_float(&c, "epsilon", 1e-5f);
        a->norm.momentum = get_float(&c, "momentum", 0.9f);
        a->norm.axis = get_int(&c, "axis", -1);
        a->norm.training_mode = get_flag(&c, "training_mode", 0);
        if (op == OP_BATCHNORMALIZATION && get_int(&c, "spatial", 1) != 1) {
            onnx_node_error(L, np, "spatial=0 is not supported");
            c.err = 1;
        }
        if (a->norm.training_mode) {
            onnx_node_error(L, np, "training_mode=1 is not supported (inference only)");
            c.err = 1;
        }
        break;
    case A_LRN:
        a->lrn.alpha = get_float(&c, "alpha", 1e-4f);
        a->lrn.beta = get_float(&c, "beta", 0.75f);
        a->lrn.bias = get_float(&c, "bias", 1.0f);
        a->lrn.size = get_int(&c, "size", 0);
        if (a->lrn.size <= 0 && !c.err) {
            onnx_node_error(L, np, "size must be positive");
            c.err = 1;
        }
        break;
    case A_BLOCK: {
        static const char *const modes[] = {"DCR", "CRD"};
        a->block.blocksize = get_int(&c, "blocksize", 0);
        a->block.crd = ENUM(&c, "mode", modes, 0);
        break;
    }
    case A_RESHAPE:
        a->reshape.allowzero = get_flag(&c, "allowzero", 0);
        if (opset < 5)
            ints_to_input(&c, "shape", 1, 1);
        break;
    case A_MODE:
        if (op == OP_BITSHIFT) {
            static const char *const dirs[] = {"LEFT", "RIGHT"};
            if (!find(&c, "direction", AT_STRING) && !c.err) {
                onnx_node_error(L, np, "attribute direction is required");
                c.err = 1;
            }
            a->mode.mode = ENUM(&c, "direction", dirs, 0);
        } else if (op == OP_MOD) {
            a->mode.mode = get_flag(&c, "fmod", 0);
        } else if (op == OP_TRILU) {
            a->mode.mode = get_flag(&c, "upper", 1);
        } else if (op == OP_GATHERND) {
            a->mode.mode = get_int(&c, "batch_dims", 0);
        } else if (op == OP_ISINF) {
            a->mode.mode = get_flag(&c, "detect_positive", 1) |
                           get_flag(&c, "detect_negative", 1) << 1;
        }
        break;
    case A_EINSUM: a->einsum.terms = einsum_terms(&c); break;
    case A_RNN: rnn_attrs(&c, op, &a->rnn); break;
    case A_BODY: body_attrs(&c, op, &a->body); break;
    case A_SEQ:
        if (op == OP_SEQUENCEEMPTY) {
            int64_t dt = get_int(&c, "dtype", DT_F32);
            if (dt <= 0 || dt >= DT_COUNT || dt == DT_STRING) {
                onnx_node_error(L, np, "a sequence of unsupported type %lld", (long long)dt);
                c.err = 1;
            }
            a->seq.dtype = c.err ? DT_F32 : (DType)dt;
        }
        a->seq.axis = get_int(&c, "axis", 0);
        a->seq.new_axis = get_flag(&c, "new_axis", 0);
        a->seq.keepdims = get_flag(&c, "keepdims", 1);
        break;
    case A_NONE:
        break;
    }
    /* attributes of older opsets that are inputs now, for ops without their own attr class */
    switch (op) {
    case OP_CLIP:
        if (opset < 11) {
            float_to_input(&c, "min", 1);
            float_to_input(&c, "max", 2);
        }
        break;
    case OP_QLINEARMATMUL:
        /* ops.def's ninth input (a bias) is hetc's own, made by passes/qdq.c, never ONNX's */
        if (g->node[n].nin > 8 && !c.err) {
            onnx_node_error(L, np, "QLinearMatMul takes 8 inputs, not %d", g->node[n].nin);
            c.err = 1;
        }
        break;
    case OP_QUANTIZELINEAR:
    case OP_DEQUANTIZELINEAR: {
        /* opset 21: blocks of scales, and the output dtype of a QuantizeLinear without a zero
         * point (uint8 unless said): a zero point states it in every other form */
        const Node *x = &g->node[n];
        int64_t to = op == OP_QUANTIZELINEAR ? get_int(&c, "output_dtype", 0) : 0;
        if (get_int(&c, "block_size", 0) != 0 && !c.err) {
            onnx_node_error(L, np, "block_size (blocked quantisation) is not supported");
            c.err = 1;
        } else if (to != 0 && to != DT_U8 && (x->nin < 3 || x->in[2] == NONE) && !c.err) {
            onnx_node_error(L, np, "output_dtype %lld without a zero point is not supported",
                            (long long)to);
            c.err = 1;
        }
        break;
    }
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
        if (opset < 13)
            ints_to_input(&c, "axes", 1, 1);
        break;
    case OP_SLICE:
        if (opset < 10) {
            ints_to_input(&c, "starts", 1, 1);
            ints_to_input(&c, "ends", 2, 1);
            ints_to_input(&c, "axes", 3, 1);
        }
        break;
    default:
        break;
    }
    return c.err ? -1 : 0;
}

/* Upsample-7 (scales attribute), Upsample-9 (scales input) and Resize-10 (X, scales) become
 * Resize(X, roi, scales). */
int
onnx_resize_normalise(Loader *L, const Onnx__NodeProto *np, NodeId n, int upsample)
{
    Ctx c = {L, np, n, 0};
    Graph *g = L->g;
    Node *x = &g->node[n];
    if (upsample)
        resize_attrs(&c, &x->attr->resize, L->opset, 1);
    if (upsample && L->opset < 9) {
        const AttrProto *s = find(&c, "scales", AT_FLOATS);
        if (!s) {
            if (!c.err)
                onnx_node_error(L, np, "attribute scales is required");
            return -1;
        }
        set_input(&c, 2, onnx_const_floats(L, s->floats, (int)s->n_floats, 1));
    } else if (upsample || L->opset < 11) {
        if (x->nin != 2)
            return onnx_node_error(L, np, "expected 2 inputs (X, scales), got %d", x->nin);
        ValId scales = x->in[1];
        x->in[1] = NONE;
        set_input(&c, 2, scales);
    }
    return c.err ? -1 : 0;
}

int
onnx_constant_value(Loader *L, const Onnx__NodeProto *np, ValId v)
{
    Ctx c = {L, np, NONE, 0};
    Graph *g = L->g;
    if (np->n_attribute != 1)
        return onnx_node_error(L, np, "expected exactly one attribute, got %zu", np->n_attribute);
    const AttrProto *a = np->attribute[0];
    const char *name = pbstr(a->name);
    ValId k = NONE;
    if (strcmp(name, "value") == 0) {
        const AttrProto *t = find(&c, "value", AT_TENSOR);
        if (!t || !t->t)
            return c.err ? -1 : onnx_node_error(L, np, "attribute value holds no tensor");
        char what[256];
        snprintf(what, sizeof what, "node %d \"%s\" (Constant): tensor", L->node_index,
                 pbstr(np->name));
        return onnx_tensor_to_value(L, t->t, v, what);
    } else if (strcmp(name, "value_float") == 0) {
        float f = get_float(&c, name, 0);
        k = onnx_const_floats(L, &f, 1, 0);
    } else if (strcmp(name, "value_floats") == 0) {
        const AttrProto *t = find(&c, name, AT_FLOATS);
        k = t ? onnx_const_floats(L, t->floats, (int)t->n_floats, 1) : NONE;
    } else if (strcmp(name, "value_int") == 0) {
        int64_t i = get_int(&c, name, 0);
        k = onnx_const_ints(L, &i, 1, 0);
    } else if (strcmp(name, "value_ints") == 0) {
        const AttrProto *t = find(&c, name, AT_INTS);
        k = t ? onnx_const_ints(L, t->ints, (int)t->n_ints, 1) : NONE;
    } else {
        return onnx_node_error(L, np, "attribute %s is not supported", name);
    }
    if (k == NONE)
        return c.err || L->d->nerr ? -1 : onnx_node_error(L, np, "bad constant");
    /* move the temporary constant's type and data to v, keeping v's name */
    Value *dst = &g->val[v], *src = &g->val[k];
    dst->dt = src->dt;
    dst->rank = src->rank;
    memcpy(dst->dim, src->dim, sizeof dst->dim);
    dst->data = src->data;
    dst->flags |= V_CONST;
    return 0;
}
