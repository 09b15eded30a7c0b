/*
 * dump.c: the IR's text form (hetc inspect --dump). One line per graph input, constant, node and
 * output, in order, so two dumps of the same graph are byte-identical:
 *
 *     graph "mnist" opset 7
 *     input %Input3: f32[1,1,28,28]
 *     const %W: f32[8,1,5,5] param
 *     %y: f32[1,8,28,28] = Conv(%Input3, %W, _) {group=1 kernel=[5,5] pads=[2,2,2,2]}  # 0 "conv"
 *     output %y
 *
 * Once placed (ir_dump_placed), a node line names its processor and why it was chosen before
 * the comment: `= Conv(...) {...} @cpu0 (strategy)  # 0 "conv"`.
 *
 * Names that are not plain identifiers are quoted; `_` is an omitted optional input; `?` is an
 * unknown rank or dimension. Only attributes that differ from the op's defaults are printed.
 * Inside quotes, `"` and `\` are escaped with a backslash, and control characters and bytes that
 * are not well-formed UTF-8 as \xNN, so a dump is safe to print and ordinary names read back as
 * they are.
 */
#include "ir.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

/* A C-style quoted string: quotes and backslashes escaped with a backslash, control characters
 * and bytes outside well-formed UTF-8 as \\xNN. */
static void
put_quoted(const char *s, FILE *f)
{
    fputc('"', f);
    while (*s) {
        int n = ir_utf8_printable(s);
        if (*s == '"' || *s == '\\') {
            fputc('\\', f);
            fputc(*s++, f);
        } else if (n == 0) {
            fprintf(f, "\\x%02x", (unsigned char)*s++);
        } else {
            fwrite(s, 1, (size_t)n, f);
            s += n;
        }
    }
    fputc('"', f);
}

/* A value's name: %name, or %"name" when it is not a plain identifier. */
static void
put_name(const char *s, FILE *f)
{
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
            plain = 0;
    fputc('%', f);
    if (plain)
        fputs(s, f);
    else
        put_quoted(s, f);
}

void
ir_dump_value_type(const Value *v, FILE *f)
{
    if (v->flags & (V_SEQ | V_OPT)) {   /* "seq(f32)[3]", "opt(f32)[0]"; [?] before --bind */
        fprintf(f, "%s(%s)", v->flags & V_SEQ ? "seq" : "opt", ir_dtype_short(v->dt));
        if (v->flags & V_INPUT)
            fputs("[?]", f);
        else
            fprintf(f, "[%d]", v->nelem);
        return;
    }
    fputs(ir_dtype_short(v->dt), f);
    if (v->rank < 0) {
        fputs("[?]", f);
        return;
    }
    fputc('[', f);
    for (int i = 0; i < v->rank; i++) {
        if (i)
            fputc(',', f);
        if (v->dim[i] < 0)
            fputc('?', f);
        else
            fprintf(f, "%lld", (long long)v->dim[i]);
    }
    fputc(']', f);
}

static void
put_ints(FILE *f, const char *key, Ints x, int *first)
{
    if (x.n == 0)
        return;
    fprintf(f, "%s%s=[", *first ? "" : " ", key);
    for (int i = 0; i < x.n; i++)
        fprintf(f, "%s%lld", i ? "," : "", (long long)x.v[i]);
    fputc(']', f);
    *first = 0;
}

/* Einsum's terms as the equation: "bij,bjk->bik" */
static void
put_equation(FILE *f, Ints t, int *first)
{
    int nterm = 0, term = 0;
    for (int i = 0; i < t.n; i++)
        nterm += t.v[i] < 0;
    fprintf(f, "%sequation=", *first ? "" : " ");
    for (int i = 0; i < t.n; i++) {
        int64_t c = t.v[i];
        if (c < 0) {
            if (++term < nterm)
                fputs(term == nterm - 1 ? "->" : ",", f);
        } else if (c == EINSUM_ELLIPSIS) {
            fputs("...", f);
        } else {
            fputc(c < 26 ? 'A' + (int)c : 'a' + (int)c - 26, f);
        }
    }
    *first = 0;
}

static void
put_int(FILE *f, const char *key, int64_t v, int64_t dflt, int *first)
{
    if (v == dflt)
        return;
    fprintf(f, "%s%s=%lld", *first ? "" : " ", key, (long long)v);
    *first = 0;
}

/* An enum attribute by name (names[] in the enum's order in ir.h). */
static void
put_enum(FILE *f, const char *key, int v, int dflt, const char *const *names, int n, int *first)
{
    if (v == dflt)
        return;
    if (v >= 0 && v < n)
        fprintf(f, "%s%s=%s", *first ? "" : " ", key, names[v]);
    else
        fprintf(f, "%s%s=%d", *first ? "" : " ", key, v);
    *first = 0;
}

#define PUT_ENUM(f, key, v, dflt, names, first) \
    put_enum(f, key, (int)(v), (int)(dflt), names, (int)(sizeof names / sizeof *names), first)

static const char *const autopads[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
static const char *const padmodes[] = {"constant", "reflect", "edge", "wrap"};
static const char *const rszmodes[] = {"nearest", "linear", "cubic"};
static const char *const coords[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                     "align_corners", "asymmetric", "tf_crop_and_resize",
                                     "tf_half_pixel_for_nn"};
static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
static const char *const policies[] = {"stretch", "not_larger", "not_smaller"};
static const char *const scatreds[] = {"none", "add", "mul", "max", "min"};
static const char *const acts[] = {"none", "Relu", "Clip", "LeakyRelu", "HardSigmoid",
                                   "HardSwish", "Sigmoid", "SiLU"};
static const char *const rnndirs[] = {"forward", "reverse", "bidirectional"};
static const char *const rnnacts[RA_COUNT] = {"Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu",
                                              "ThresholdedRelu", "ScaledTanh", "HardSigmoid",
                                              "Elu", "Softsign", "Softplus"};

const char *
ir_rnn_act_name(RnnAct a)
{
    return (unsigned)a < RA_COUNT ? rnnacts[a] : "?";
}


static void
put_float(FILE *f, const char *key, double v, double dflt, int *first)
{
    if (v == dflt)
        return;
    fprintf(f, "%s%s=%.9g", *first ? "" : " ", key, v);
    *first = 0;
}

static void
put_fuse(FILE *f, const Fused *fu, int *first)
{
    if (fu->act == ACT_NONE)
        return;
    PUT_ENUM(f, "fuse", fu->act, ACT_NONE, acts, first);
    put_float(f, "fuse_alpha", fu->alpha, 0, first);
    put_float(f, "fuse_beta", fu->beta, 0, first);
    if (fu->affine) {
        put_float(f, "fuse_mul", fu->mul, -INFINITY, first);
        put_float(f, "fuse_add", fu->add, -INFINITY, first);
    }
}

static void
put_attrs(const Node *x, FILE *f)
{
    Attr dflt;
    ir_attr_default(x->op, &dflt);
    const Attr *a = x->attr;
    if (memcmp(a, &dflt, sizeof dflt) == 0)
        return;
    int first = 1;
    fputs(" {", f);
    switch (ir_op[x->op].attr) {
    case A_CONV:
        put_int(f, "group", a->conv.group, 1, &first);
        put_ints(f, "kernel", a->conv.kernel, &first);
        put_ints(f, "pads", a->conv.pads, &first);
        put_ints(f, "strides", a->conv.strides, &first);
        put_ints(f, "dilations", a->conv.dilations, &first);
        put_ints(f, "output_padding", a->conv.output_padding, &first);
        put_ints(f, "output_shape", a->conv.output_shape, &first);
        PUT_ENUM(f, "auto_pad", a->conv.auto_pad, 0, autopads, &first);
        put_fuse(f, &a->conv.fuse, &first);
        break;
    case A_POOL:
        put_ints(f, "kernel", a->pool.kernel, &first);
        put_ints(f, "pads", a->pool.pads, &first);
        put_ints(f, "strides", a->pool.strides, &first);
        put_ints(f, "dilations", a->pool.dilations, &first);
        PUT_ENUM(f, "auto_pad", a->pool.auto_pad, 0, autopads, &first);
        put_int(f, "ceil_mode", a->pool.ceil_mode, 0, &first);
        put_int(f, "count_include_pad", a->pool.count_include_pad, 0, &first);
        put_int(f, "storage_order", a->pool.storage_order, 0, &first);
        put_int(f, "p", a->pool.p, 2, &first);
        break;
    case A_GEMM:
        put_float(f, "alpha", a->gemm.alpha, 1, &first);
        put_float(f, "beta", a->gemm.beta, 1, &first);
        put_int(f, "transA", a->gemm.trans_a, 0, &first);
        put_int(f, "transB", a->gemm.trans_b, 0, &first);
        put_fuse(f, &a->gemm.fuse, &first);
        break;
    case A_ACT:
        put_float(f, "alpha", a->act.alpha, dflt.act.alpha, &first);
        put_float(f, "beta", a->act.beta, dflt.act.beta, &first);
        put_float(f, "gamma", a->act.gamma, dflt.act.gamma, &first);
        put_int(f, "approximate", a->act.approximate, 0, &first);
        break;
    case A_AXIS:
        put_int(f, "axis", a->axis.axis, dflt.axis.axis, &first);
        put_int(f, "keepdims", a->axis.keepdims, 1, &first);
        put_int(f, "select_last_index", a->axis.select_last_index, 0, &first);
        put_int(f, "exclusive", a->axis.exclusive, 0, &first);
        put_int(f, "reverse", a->axis.reverse, 0, &first);
        put_int(f, "largest", a->axis.largest, dflt.axis.largest, &first);
        put_int(f, "sorted", a->axis.sorted, dflt.axis.sorted, &first);
        put_int(f, "coerce2d", a->axis.coerce2d, 0, &first);
        PUT_ENUM(f, "reduction", a->axis.reduction, SCR_NONE, scatreds, &first);
        break;
    case A_REDUCE:
        put_int(f, "keepdims", a->reduce.keepdims, 1, &first);
        put_int(f, "noop_with_empty_axes", a->reduce.noop_with_empty_axes, 0, &first);
        break;
    case A_SPLIT:
        put_int(f, "axis", a->split.axis, 0, &first);
        put_int(f, "num_outputs", a->split.num_outputs, 0, &first);
        break;
    case A_PERM: put_ints(f, "perm", a->perm.perm, &first); break;
    case A_PAD: PUT_ENUM(f, "mode", a->pad.mode, 0, padmodes, &first); break;
    case A_RESIZE:
        PUT_ENUM(f, "mode", a->resize.mode, 0, rszmodes, &first);
        PUT_ENUM(f, "coord", a->resize.coord, dflt.resize.coord, coords, &first);
        PUT_ENUM(f, "nearest", a->resize.nearest, 0, nearests, &first);
        PUT_ENUM(f, "policy", a->resize.policy, 0, policies, &first);
        put_float(f, "cubic_a", a->resize.cubic_a, dflt.resize.cubic_a, &first);
        put_float(f, "extrapolation", a->resize.extrapolation, 0, &first);
        put_int(f, "exclude_outside", a->resize.exclude_outside, 0, &first);
        put_int(f, "antialias", a->resize.antialias, 0, &first);
        put_ints(f, "axes", a->resize.axes, &first);
        break;
    case A_CAST:
        fprintf(f, "to=%s", ir_dtype_short(a->cast.to));
        first = 0;
        put_int(f, "saturate", a->cast.saturate, 1, &first);
        break;
    case A_CONST:
        fprintf(f, "dtype=%s value=", ir_dtype_short(a->cst.dt));
        if (ir_dtype_is_float(a->cst.dt))
            fprintf(f, "%.9g", a->cst.f);
        else
            fprintf(f, "%lld", (long long)a->cst.i);
        first = 0;
        break;
    case A_SHAPE:
        put_int(f, "start", a->shape.start, 0, &first);
        if (a->shape.has_end)
            put_int(f, "end", a->shape.end, INT64_MIN, &first);
        break;
    case A_NORM:
        put_float(f, "epsilon", a->norm.epsilon, dflt.norm.epsilon, &first);
        put_float(f, "momentum", a->norm.momentum, dflt.norm.momentum, &first);
        put_int(f, "axis", a->norm.axis, -1, &first);
        put_int(f, "training_mode", a->norm.training_mode, 0, &first);
        put_fuse(f, &a->norm.fuse, &first);
        break;
    case A_LRN:
        put_float(f, "alpha", a->lrn.alpha, dflt.lrn.alpha, &first);
        put_float(f, "beta", a->lrn.beta, dflt.lrn.beta, &first);
        put_float(f, "bias", a->lrn.bias, dflt.lrn.bias, &first);
        put_int(f, "size", a->lrn.size, 0, &first);
        break;
    case A_BLOCK:
        put_int(f, "blocksize", a->block.blocksize, 0, &first);
        put_int(f, "crd", a->block.crd, 0, &first);
        break;
    case A_RESHAPE: put_int(f, "allowzero", a->reshape.allowzero, 0, &first); break;
    case A_MODE: put_int(f, "mode", a->mode.mode, dflt.mode.mode, &first); break;
    case A_EINSUM: put_equation(f, a->einsum.terms, &first); break;
    case A_RNN:
        put_int(f, "hidden_size", a->rnn.hidden_size, 0, &first);
        PUT_ENUM(f, "direction", a->rnn.direction, RD_FORWARD, rnndirs, &first);
        put_int(f, "layout", a->rnn.layout, 0, &first);
        put_int(f, "linear_before_reset", a->rnn.linear_before_reset, 0, &first);
        put_int(f, "input_forget", a->rnn.input_forget, 0, &first);
        put_float(f, "clip", a->rnn.clip, -1, &first);
        for (int i = 0; i < RNN_MAXACT; i++) {
            char key[16];
            snprintf(key, sizeof key, "act%d", i);
            PUT_ENUM(f, key, a->rnn.act[i], dflt.rnn.act[i], rnnacts, &first);
            snprintf(key, sizeof key, "alpha%d", i);
            put_float(f, key, a->rnn.alpha[i], 0, &first);
            snprintf(key, sizeof key, "beta%d", i);
            put_float(f, key, a->rnn.beta[i], 0, &first);
        }
        break;
    case A_BODY: /* the bodies by their sizes; they are inlined before any plan is made */
        for (int i = 0; i < 2; i++)
            put_int(f, i ? "else_nodes" : x->op == OP_IF ? "then_nodes" : "body_nodes",
                    a->body.body[i] ? a->body.body[i]->nnode : -1, -1, &first);
        put_int(f, "captures", a->body.ncapture, 0, &first);
        put_int(f, "num_scan_inputs", a->body.num_scan_inputs, 0, &first);
        put_int(f, "batched", a->body.batched, 0, &first);
        put_ints(f, "scan_input_axes", a->body.scan_input_axes, &first);
        put_ints(f, "scan_input_directions", a->body.scan_input_directions, &first);
        put_ints(f, "scan_output_axes", a->body.scan_output_axes, &first);
        put_ints(f, "scan_output_directions", a->body.scan_output_directions, &first);
        break;
    case A_SEQ:
        if (x->op == OP_SEQUENCEEMPTY) {
            fprintf(f, "%sdtype=%s", first ? "" : " ", ir_dtype_short(a->seq.dtype));
            first = 0;
        }
        put_int(f, "axis", a->seq.axis, 0, &first);
        put_int(f, "new_axis", a->seq.new_axis, 0, &first);
        if (x->op == OP_SPLITTOSEQUENCE)
            put_int(f, "keepdims", a->seq.keepdims, 1, &first);
        break;
    case A_NONE: break;
    }
    fputc('}', f);
}

void
ir_dump(const Graph *g, FILE *f)
{
    ir_dump_placed(g, f, NULL, 0, NULL);
}

/* " @cpu0 (strategy)": node x's processor by name (its index when not one of the ndev names)
 * and the cause of the choice, once placed */
static void
put_placement(const Node *x, FILE *f, const char *const *dev, int ndev,
              const char *(*cause_name)(int))
{
    if (!dev || x->dev < 0)
        return;
    fputs(" @", f);
    if (x->dev < ndev && dev[x->dev])
        ir_put_escaped(dev[x->dev], f);
    else
        fprintf(f, "%d", x->dev);
    const char *why = cause_name && x->cause ? cause_name(x->cause) : NULL;
    if (why)
        fprintf(f, " (%s)", why);
}

void
ir_dump_placed(const Graph *g, FILE *f, const char *const *dev, int ndev,
               const char *(*cause_name)(int))
{
    fputs("graph ", f);
    put_quoted(g->name, f);
    fprintf(f, " opset %lld\n", (long long)g->opset);
    for (int i = 0; i < g->ninput; i++) {
        const Value *v = &g->val[g->input[i]];
        fputs("input ", f);
        put_name(v->name, f);
        fputs(": ", f);
        ir_dump_value_type(v, f);
        fputc('\n', f);
    }
    for (ValId i = 0; i < g->nval; i++) {
        const Value *v = &g->val[i];
        if (v->def != NONE || !(v->flags & V_CONST))
            continue;
        fputs("const ", f);
        put_name(v->name, f);
        fputs(": ", f);
        ir_dump_value_type(v, f);
        fputs(v->flags & V_PARAM ? " param\n" : "\n", f);
    }
    for (NodeId n = 0; n < g->nnode; n++) {
        const Node *x = &g->node[n];
        if (x->op == OP_NOP)
            continue;
        for (int j = 0; j < x->nout; j++) {
            if (j)
                fputs(", ", f);
            if (x->out[j] == NONE) {
                fputc('_', f);
                continue;
            }
            const Value *v = &g->val[x->out[j]];
            put_name(v->name, f);
            fputs(": ", f);
            ir_dump_value_type(v, f);
            if (v->flags & V_CONST)
                fputs(" const", f);
        }
        fputs(" = ", f);
        ir_put_escaped(x->op == OP_UNKNOWN ? x->optype : ir_op[x->op].onnx, f);
        fputc('(', f);
        for (int j = 0; j < x->nin; j++) {
            if (j)
                fputs(", ", f);
            if (x->in[j] == NONE)
                fputc('_', f);
            else
                put_name(g->val[x->in[j]].name, f);
        }
        fputc(')', f);
        put_attrs(x, f);
        put_placement(x, f, dev, ndev, cause_name);
        fprintf(f, "  # %d", x->index);
        if (x->name[0]) {
            fputc(' ', f);
            put_quoted(x->name, f);
        }
        fputc('\n', f);
    }
    for (int i = 0; i < g->noutput; i++) {
        fputs("output ", f);
        put_name(g->val[g->output[i]].name, f);
        fputc('\n', f);
    }
}
