#!/usr/bin/env python3
"""control_flow.py: If, Loop and Scan (issue 13) compiled and run against ONNX Runtime.

The ONNX backend node tests have one If and one Loop of a tensor; this generates the forms that
passes/control.c lowers and compares hetc's outputs with ONNX Runtime's within DESIGN.md's
tolerance: an If on a run-time condition (scalar and [1]) taking each branch, with branch
outputs that are outer values and branch initializers; a Loop whose body holds an If on the
iteration number (nested control flow, folded per iteration); a Loop that ends early on a
condition the body computes from the iteration number; Scan with two inputs along different
axes, one reversed, and a reversed scan output along axis 1; opset 8's batched Scan. The
example gated_heads (examples/gen_models.py) with its light input bound (--bind): the taken head
alone is compiled (counted in --dump-after check), for light below and above the threshold. And
the refusals: a trip count only known at run time, a data-dependent exit, too many iterations,
branches of different shapes; and hetc inspect keeping a Loop of run-time trip count (exit 0).
Sequences and optionals, resolved while compiling: every sequence op on tensors computed at run
time, a Loop gathering a sequence and a SequenceMap over it, a run-time If choosing between
sequences and between optionals, each compared tensor by tensor (hetc gives a sequence output's
tensors as outputs of their own); refused: an optional whose presence depends on a run-time
condition, a sequence input not bound, a position outside the sequence, and --bind files that
are hostile or mistaken (truncated, wrong wire types, nested sequences, another dtype, an
optional of two values or of the wrong kind).
Each model is compiled with the given strategy (cpu, or gpu: skipped, 77, without an OpenCL
device).

Run
  .venv/bin/python tests/models/control_flow.py --hetc build/tools/hetc [--strategy cpu|gpu|random]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pylib"))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent / "examples"))
from opencl_probe import skip_without_opencl  # noqa: E402
from new_ops import check  # noqa: E402

F, B, I64 = TensorProto.FLOAT, TensorProto.BOOL, TensorProto.INT64


def vi(name, t, shape):
    return helper.make_tensor_value_info(name, t, shape)


def mk(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs,
                          [numpy_helper.from_array(np.asarray(x), n) for n, x in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    return m


def if_model(cond_shape):
    """y = cond ? x * w + 1 : x - v (v the else branch's own); z = x in both branches"""
    then = helper.make_graph(
        [helper.make_node("Mul", ["x", "w"], ["t0"]),
         helper.make_node("Add", ["t0", "one"], ["t1"]),
         helper.make_node("Identity", ["x"], ["t2"])],
        "then", [], [vi("t1", F, [2, 3]), vi("t2", F, [2, 3])])
    other = helper.make_graph(
        [helper.make_node("Sub", ["x", "v"], ["e1"]), helper.make_node("Identity", ["x"], ["e2"])],
        "else", [], [vi("e1", F, [2, 3]), vi("e2", F, [2, 3])],
        [numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "v")])
    node = helper.make_node("If", ["c"], ["y", "z"], then_branch=then, else_branch=other)
    return mk([node], [vi("c", B, cond_shape), vi("x", F, [2, 3])],
              [vi("y", F, [2, 3]), vi("z", F, [2, 3])],
              [("w", np.full((3,), 1.5, np.float32)), ("one", np.float32(1))])


def loop_if_model():
    """4 iterations: s = i < 2 ? s + x : s * 0.5; every s stacked"""
    inner_then = helper.make_graph([helper.make_node("Add", ["s_in", "x"], ["a"])], "a", [],
                                   [vi("a", F, [3])])
    inner_else = helper.make_graph([helper.make_node("Mul", ["s_in", "half"], ["b"])], "b", [],
                                   [vi("b", F, [3])])
    body = helper.make_graph(
        [helper.make_node("Less", ["i", "two"], ["lt"]),
         helper.make_node("If", ["lt"], ["s_out"], then_branch=inner_then,
                          else_branch=inner_else),
         helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Identity", ["s_out"], ["scan"])],
        "body", [vi("i", I64, []), vi("cond_in", B, []), vi("s_in", F, [3])],
        [vi("cond_out", B, []), vi("s_out", F, [3]), vi("scan", F, [3])])
    node = helper.make_node("Loop", ["M", "", "s0"], ["s", "all"], body=body)
    return mk([node], [vi("x", F, [3]), vi("s0", F, [3])], [vi("s", F, [3]), vi("all", F, [4, 3])],
              [("M", np.int64(4)), ("two", np.int64(2)), ("half", np.float32(0.5))])


def loop_exit_model():
    """at most 10 iterations, ended by the body after i == 2: p = p * x, stacked"""
    body = helper.make_graph(
        [helper.make_node("Less", ["i", "two"], ["cond_out"]),
         helper.make_node("Mul", ["p_in", "x"], ["p_out"]),
         helper.make_node("Identity", ["p_out"], ["scan"])],
        "body", [vi("i", I64, []), vi("cond_in", B, []), vi("p_in", F, [2, 2])],
        [vi("cond_out", B, []), vi("p_out", F, [2, 2]), vi("scan", F, [2, 2])])
    node = helper.make_node("Loop", ["M", "go", "p0"], ["p", "all"], body=body)
    return mk([node], [vi("x", F, [2, 2]), vi("p0", F, [2, 2])],
              [vi("p", F, [2, 2]), vi("all", F, [3, 2, 2])],
              [("M", np.int64(10)), ("go", np.bool_(True)), ("two", np.int64(2))], opset=11)


def scan_model():
    """a running sum of a's rows (axis 0) and of b's columns (axis 1) read backwards; the sums
    stacked along axis 1, the second output reversed"""
    body = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "ra"], ["t"]),
         helper.make_node("Add", ["t", "cb"], ["acc_out"]),
         helper.make_node("Mul", ["acc_out", "k"], ["o1"]),
         helper.make_node("Identity", ["acc_out"], ["o2"])],
        "body", [vi("acc_in", F, [4]), vi("ra", F, [4]), vi("cb", F, [4])],
        [vi("acc_out", F, [4]), vi("o1", F, [4]), vi("o2", F, [4])])
    node = helper.make_node("Scan", ["acc0", "a", "b"], ["acc", "y1", "y2"], body=body,
                            num_scan_inputs=2, scan_input_axes=[0, 1],
                            scan_input_directions=[0, 1], scan_output_axes=[1, 0],
                            scan_output_directions=[0, 1])
    return mk([node], [vi("acc0", F, [4]), vi("a", F, [5, 4]), vi("b", F, [4, 5])],
              [vi("acc", F, [4]), vi("y1", F, [4, 5]), vi("y2", F, [5, 4])],
              [("k", np.float32(-2))], opset=11)


def scan8_model():
    """opset 8's Scan: a batch of 2, the sequence on axis 1 read backwards, no sequence_lens"""
    body = helper.make_graph(
        [helper.make_node("Mul", ["acc_in", "r"], ["t"]),
         helper.make_node("Add", ["t", "r"], ["acc_out"]),
         helper.make_node("Identity", ["t"], ["o"])],
        "body", [vi("acc_in", F, [3]), vi("r", F, [3])], [vi("acc_out", F, [3]), vi("o", F, [3])])
    node = helper.make_node("Scan", ["", "acc0", "a"], ["acc", "y"], body=body,
                            num_scan_inputs=1, directions=[1])
    return mk([node], [vi("acc0", F, [2, 3]), vi("a", F, [2, 4, 3])],
              [vi("acc", F, [2, 3]), vi("y", F, [2, 4, 3])], opset=8)


def refusals():
    """(name, model, what the message says)"""
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("Add", ["v_in", "v_in"], ["v_out"])],
        "body", [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, [2])],
        [vi("c_out", B, []), vi("v_out", F, [2])])
    yield ("loop_runtime_trips", mk([helper.make_node("Loop", ["M", "", "v"], ["y"], body=body)],
                                    [vi("M", I64, []), vi("v", F, [2])], [vi("y", F, [2])]),
           "dynamic shape")
    yield ("loop_too_long", mk([helper.make_node("Loop", ["M", "", "v"], ["y"], body=body)],
                               [vi("v", F, [2])], [vi("y", F, [2])], [("M", np.int64(100000))]),
           "more than hetc unrolls")
    exit_body = helper.make_graph(
        [helper.make_node("ReduceSum", ["v_in"], ["s"], keepdims=0),
         helper.make_node("Less", ["s", "ten"], ["c_out"]),
         helper.make_node("Add", ["v_in", "v_in"], ["v_out"])],
        "body", [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, [2])],
        [vi("c_out", B, []), vi("v_out", F, [2])])
    yield ("loop_data_exit", mk([helper.make_node("Loop", ["M", "", "v"], ["y"], body=exit_body)],
                                [vi("v", F, [2])], [vi("y", F, [2])],
                                [("M", np.int64(5)), ("ten", np.float32(10))]),
           "data-dependent exit")
    a = helper.make_graph([helper.make_node("Identity", ["x"], ["a"])], "a", [], [vi("a", F, [2])])
    b = helper.make_graph([helper.make_node("Concat", ["x", "x"], ["b"], axis=0)], "b", [],
                          [vi("b", F, [4])])
    yield ("if_shapes", mk([helper.make_node("If", ["c"], ["y"], then_branch=a, else_branch=b)],
                           [vi("c", B, []), vi("x", F, [2])], [vi("y", F, ["n"])]),
           "static shape in both branches")


def seq_vi(name, shape=("n", "m"), t=F):
    return helper.make_tensor_sequence_value_info(name, t, list(shape))


def seq_ops_model():
    """every sequence op on tensors computed at run time: x [6,4] split into rows of 2 and 4
    (SplitToSequence), Relu(x) inserted at 1, the last erased, the first read back (SequenceAt),
    the rows of y [3,4] split one by one without keepdims and stacked on a new axis 1
    (ConcatFromSequence new_axis), the length, and the sequence itself as an output"""
    nodes = [
        helper.make_node("SplitToSequence", ["x", "sizes"], ["s0"], axis=0),
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("SequenceInsert", ["s0", "r", "one"], ["s1"]),
        helper.make_node("SequenceErase", ["s1"], ["s2"]),
        helper.make_node("SequenceAt", ["s2", "minus2"], ["first"]),
        helper.make_node("ConcatFromSequence", ["s2"], ["cat"], axis=0),
        helper.make_node("SequenceLength", ["s2"], ["len"]),
        helper.make_node("SplitToSequence", ["y"], ["rows"], axis=0, keepdims=0),
        helper.make_node("ConcatFromSequence", ["rows"], ["stacked"], axis=1, new_axis=1),
        helper.make_node("SequenceEmpty", [], ["e"]),
        helper.make_node("SequenceInsert", ["e", "first"], ["e1"]),
        helper.make_node("SequenceConstruct", ["stacked", "stacked"], ["pair"]),
    ]
    return mk(nodes, [vi("x", F, [6, 4]), vi("y", F, [3, 4])],
              [vi("first", F, [2, 4]), vi("cat", F, [8, 4]), vi("len", I64, []),
               vi("stacked", F, [4, 3]), seq_vi("s2"), seq_vi("e1"), seq_vi("pair")],
              [("sizes", np.array([2, 4], np.int64)), ("one", np.int64(1)),
               ("minus2", np.int64(-2))])


def seq_loop_model():
    """a Loop gathering x * i into a sequence, concatenated after; a SequenceMap adding a tensor
    to each of its tensors and squaring them"""
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("Cast", ["i"], ["fi"], to=F),
         helper.make_node("Mul", ["x", "fi"], ["xi"]),
         helper.make_node("SequenceInsert", ["s_in", "xi"], ["s_out"])],
        "body", [vi("i", I64, []), vi("c_in", B, []), seq_vi("s_in", [3])],
        [vi("c_out", B, []), seq_vi("s_out", [3])])
    mbody = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["ab"]), helper.make_node("Mul", ["ab", "ab"], ["o"])],
        "map", [vi("a", F, [3]), vi("b", F, [3])], [vi("o", F, [3])])
    nodes = [helper.make_node("SequenceEmpty", [], ["e"]),
             helper.make_node("Loop", ["M", "", "e"], ["s"], body=body),
             helper.make_node("ConcatFromSequence", ["s"], ["cat"], axis=0),
             helper.make_node("SequenceMap", ["s", "b0"], ["m"], body=mbody),
             helper.make_node("ConcatFromSequence", ["m"], ["mcat"], axis=0, new_axis=1)]
    return mk(nodes, [vi("x", F, [3]), vi("b0", F, [3])], [vi("cat", F, [12]), vi("mcat", F, [4, 3])],
              [("M", np.int64(4))], opset=17)


def seq_if_model():
    """an If on a run-time condition whose branches give sequences of two tensors (Where per
    tensor), and an optional that both branches fill"""
    then = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["t0"]),
         helper.make_node("SequenceConstruct", ["t0", "x"], ["ts"]),
         helper.make_node("Optional", ["t0"], ["to"])],
        "then", [], [seq_vi("ts", [2, 3]), vi("to", F, [2, 3])])
    els = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e0"]),
         helper.make_node("Abs", ["x"], ["e1"]),
         helper.make_node("SequenceConstruct", ["e0", "e1"], ["es"]),
         helper.make_node("Optional", ["e1"], ["eo"])],
        "else", [], [seq_vi("es", [2, 3]), vi("eo", F, [2, 3])])
    then.output[1].CopyFrom(helper.make_value_info(
        "to", helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [2, 3]))))
    els.output[1].CopyFrom(helper.make_value_info(
        "eo", helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [2, 3]))))
    nodes = [helper.make_node("If", ["c"], ["s", "o"], then_branch=then, else_branch=els),
             helper.make_node("OptionalGetElement", ["o"], ["v"]),
             helper.make_node("SequenceAt", ["s", "zero"], ["a"])]
    return mk(nodes, [vi("c", B, []), vi("x", F, [2, 3])], [seq_vi("s", [2, 3]), vi("v", F, [2, 3]),
                                                            vi("a", F, [2, 3])],
              [("zero", np.int64(0))], opset=16)


def seq_refusals():
    """(name, model, what the message says) for sequences and optionals"""
    then = helper.make_graph(
        [helper.make_node("Optional", [], ["n"], type=helper.make_tensor_type_proto(F, [2]))],
        "then", [], [helper.make_value_info(
            "n", helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [2])))])
    els = helper.make_graph(
        [helper.make_node("Optional", ["x"], ["s"])],
        "else", [], [helper.make_value_info(
            "s", helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [2])))])
    m = mk([helper.make_node("If", ["c"], ["o"], then_branch=then, else_branch=els),
            helper.make_node("OptionalGetElement", ["o"], ["y"])],
           [vi("c", B, []), vi("x", F, [2])], [vi("y", F, [2])], opset=16)
    yield "optional_runtime_presence", m, "dynamic shape"
    m = mk([helper.make_node("SequenceAt", ["s", "zero"], ["y"])],
           [seq_vi("s", [2])], [vi("y", F, [2])], [("zero", np.int64(0))], opset=13)
    yield "sequence_input_unbound", m, "--bind it"
    m = mk([helper.make_node("SequenceEmpty", [], ["e"]),
            helper.make_node("SequenceAt", ["e", "zero"], ["y"])],
           [vi("x", F, [2])], [vi("y", F, [2])], [("zero", np.int64(0))], opset=13)
    yield "sequence_at_outside", m, "outside a sequence of 0 tensors"
    # required inputs left empty ("", which the checker refuses, so made without it)
    for op, ins in (("SequenceInsert", ["e", ""]), ("SplitToSequence", [""]),
                    ("OptionalGetElement", [""])):
        g = helper.make_graph([helper.make_node("SequenceEmpty", [], ["e"]),
                               helper.make_node(op, ins, ["r"]),
                               helper.make_node("SequenceLength", ["e"], ["y"])],
                              "g", [vi("x", F, [2])], [vi("y", I64, [])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)])
        m.ir_version = 8
        yield "missing_input_%s" % op, m, "is missing"


def bound_refusals():
    """(name, model, input, the bytes --bind gives it, what the message says): hostile and
    mistaken SequenceProto and OptionalProto files"""
    seq_m = mk([helper.make_node("SequenceAt", ["s", "zero"], ["y"])],
               [seq_vi("s", [2])], [vi("y", F, [2])], [("zero", np.int64(0))], opset=13)
    opt_in = helper.make_value_info(
        "o", helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [2])))
    opt_m = mk([helper.make_node("OptionalGetElement", ["o"], ["y"])], [opt_in], [vi("y", F, [2])],
               opset=16)
    f2 = numpy_helper.from_array(np.ones(2, np.float32)).SerializeToString()
    i2 = numpy_helper.from_array(np.ones(2, np.int64)).SerializeToString()
    bad = onnx.TensorProto(data_type=F, dims=[3], raw_data=b"\0" * 4).SerializeToString()
    ln = lambda field, b: bytes([field << 3 | 2, len(b)]) + b  # noqa: E731
    yield "seq_truncated", seq_m, "s", b"\x1a\x05\x08\x02", "not a SequenceProto"
    yield "seq_field_type", seq_m, "s", b"\x18\x01", "not a SequenceProto"
    yield "seq_garbage", seq_m, "s", b"\xff\xff\xff", "not a SequenceProto"
    yield "seq_nested", seq_m, "s", ln(5, b""), "not supported"
    yield "seq_dtype", seq_m, "s", ln(3, i2), "holds float32"
    yield "seq_bad_tensor", seq_m, "s", ln(3, bad), "tensor 0"
    yield "seq_empty_at", seq_m, "s", b"", "outside a sequence of 0 tensors"
    yield "opt_two_values", opt_m, "o", ln(3, f2) + ln(3, f2), "more than one value"
    yield "opt_holds_sequence", opt_m, "o", ln(5, ln(3, f2)), "holds a sequence"
    yield "opt_none_get", opt_m, "o", b"", "holds no value"


def bound_refused(hetc, work, strategy, name, m, inp, data, want):
    d = work / name
    d.mkdir()
    onnx.save(m, str(d / "model.onnx"))
    (d / "in.pb").write_bytes(data)
    p = subprocess.run([hetc, "compile", str(d / "model.onnx"), "-o", str(d), "--name", "t",
                        "--strategy", strategy, "--no-build", "--bind",
                        "%s=%s" % (inp, d / "in.pb")], capture_output=True, text=True,
                       timeout=300)
    lines = p.stderr.strip().splitlines()
    if p.returncode != 2 or len(lines) != 1 or want not in lines[0]:
        return "exit %d, %r (want exit 2 and one line saying %r)" % (p.returncode, p.stderr, want)
    return None


def refused(hetc, work, strategy, name, m, want):
    d = work / name
    d.mkdir()
    onnx.save(m, str(d / "model.onnx"))
    p = subprocess.run([hetc, "compile", str(d / "model.onnx"), "-o", str(d), "--name", "t",
                        "--strategy", strategy, "--no-build"], capture_output=True, text=True,
                       timeout=300)
    lines = p.stderr.strip().splitlines()
    if p.returncode != 2 or len(lines) != 1 or want not in lines[0]:
        return "exit %d, %r (want exit 2 and one line saying %r)" % (p.returncode, p.stderr, want)
    return None


def inspect_left(hetc, work, name, m):
    """hetc inspect keeps a Loop whose trip count is known only at run time: exit 0, the Loop
    listed, its output of unknown shape"""
    import json
    d = work / name
    d.mkdir()
    onnx.save(m, str(d / "model.onnx"))
    p = subprocess.run([hetc, "inspect", str(d / "model.onnx"), "--json"], capture_output=True,
                       text=True, timeout=300)
    if p.returncode:
        return "inspect exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
    r = json.loads(p.stdout)
    if r["ops"] != {"Loop": 1} or r["outputs"][0]["shape"] is not None:
        return "inspect: ops %s, outputs %s" % (r["ops"], r["outputs"])
    return None


def inspect_sequence_note(hetc, work, name, m):
    """hetc inspect of a model with a sequence input not bound: exit 0, and a note saying to
    --bind it (not --shape, which a sequence does not take)"""
    d = work / name
    d.mkdir()
    onnx.save(m, str(d / "model.onnx"))
    p = subprocess.run([hetc, "inspect", str(d / "model.onnx")], capture_output=True, text=True,
                       timeout=300)
    if p.returncode or "is a sequence; --bind" not in p.stderr:
        return "inspect exit %d: %r" % (p.returncode, p.stderr[-300:])
    return None


def bound_head(hetc, work, strategy, light):
    """gated_heads with light bound: one head compiled, and its output ONNX Runtime's"""
    import gen_models
    import onnxruntime as ort
    d = work / ("gated_%g" % light)
    d.mkdir()
    path = d / "gated_heads.onnx"
    onnx.save(gen_models.gated_heads(), str(path))
    rng = np.random.default_rng(5)
    feats = rng.standard_normal((1, 256)).astype(np.float32)
    lt = np.array([light], dtype=np.float32)
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"features": feats, "light": lt})[0]
    (d / "light.pb").write_bytes(numpy_helper.from_array(lt, "light").SerializeToString())
    (d / "features.pb").write_bytes(numpy_helper.from_array(feats, "features").SerializeToString())
    p = subprocess.run([hetc, "compile", str(path), "-o", str(d), "--name", "t", "--strategy",
                        strategy, "--bind", "light=%s" % (d / "light.pb"), "--dump-after",
                        "check"], capture_output=True, text=True, timeout=300)
    if p.returncode:
        return "compile exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
    taken, other = ("night", "day") if light < 0.5 else ("day", "night")
    gemms = re.findall(r"= Gemm\(.*# \d+ \"pick_head/(?:then|else)/(\w+)\.", p.stdout)
    if sorted(gemms) != [taken, taken] or "Where(" in p.stdout:
        return "the heads compiled: %s (want the %s head's two Gemms alone)" % (gemms, taken)
    out = d / "out.pb"
    p = subprocess.run([str(d / "t"), "--input", str(d / "features.pb"), "--output", str(out)],
                       capture_output=True, text=True, timeout=300)
    if p.returncode:
        return "run exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
    t = onnx.TensorProto()
    t.ParseFromString(out.read_bytes())
    err = float(np.max(np.abs(numpy_helper.to_array(t) - want)))
    if err > 1e-4 + 1e-3 * float(np.max(np.abs(want))):
        return "max error %.3g" % err
    return None


def cases(hetc, work, strategy, rng):
    """(name, a function giving None or what went wrong) for every case"""
    x = rng.standard_normal((2, 3)).astype(np.float32)
    for shape in ([], [1]):
        for c in (True, False):
            name = "if_%s_%s" % ("scalar" if not shape else "rank1", c)
            feeds = [("c", np.full(shape, c, np.bool_)), ("x", x)]
            yield name, lambda n=name, s=shape, f=feeds: check(hetc, work, strategy, n,
                                                               if_model(s), f, False)
    feeds = [("x", rng.standard_normal(3).astype(np.float32)),
             ("s0", rng.standard_normal(3).astype(np.float32))]
    yield "loop_if", lambda: check(hetc, work, strategy, "loop_if", loop_if_model(), feeds, False)
    feeds2 = [("x", rng.standard_normal((2, 2)).astype(np.float32)),
              ("p0", rng.standard_normal((2, 2)).astype(np.float32))]
    yield "loop_exit", lambda: check(hetc, work, strategy, "loop_exit", loop_exit_model(), feeds2,
                                     False)
    feeds3 = [("acc0", rng.standard_normal(4).astype(np.float32)),
              ("a", rng.standard_normal((5, 4)).astype(np.float32)),
              ("b", rng.standard_normal((4, 5)).astype(np.float32))]
    yield "scan", lambda: check(hetc, work, strategy, "scan", scan_model(), feeds3, False)
    feeds4 = [("acc0", rng.standard_normal((2, 3)).astype(np.float32)),
              ("a", rng.standard_normal((2, 4, 3)).astype(np.float32))]
    yield "scan8", lambda: check(hetc, work, strategy, "scan8", scan8_model(), feeds4, False)
    for light in (0.2, 0.8):
        yield "gated_heads_bound_%g" % light, lambda v=light: bound_head(hetc, work, strategy, v)
    feeds5 = [("x", rng.standard_normal((6, 4)).astype(np.float32)),
              ("y", rng.standard_normal((3, 4)).astype(np.float32))]
    yield "seq_ops", lambda: check(hetc, work, strategy, "seq_ops", seq_ops_model(), feeds5, False)
    feeds6 = [("x", rng.standard_normal(3).astype(np.float32)),
              ("b0", rng.standard_normal(3).astype(np.float32))]
    yield "seq_loop_map", lambda: check(hetc, work, strategy, "seq_loop_map", seq_loop_model(),
                                        feeds6, False)
    for c in (True, False):
        feeds7 = [("c", np.array(c)), ("x", rng.standard_normal((2, 3)).astype(np.float32))]
        yield "seq_if_%s" % c, lambda f=feeds7, n="seq_if_%s" % c: check(
            hetc, work, strategy, n, seq_if_model(), f, False)
    for name, m, inp, data, want in bound_refusals():
        yield name, lambda n=name, mm=m, i=inp, b=data, w=want: bound_refused(
            hetc, work, strategy, n, mm, i, b, w)
    for name, m, want in list(refusals()) + list(seq_refusals()):
        yield name, lambda n=name, mm=m, w=want: refused(hetc, work, strategy, n, mm, w)
        if name == "sequence_input_unbound":
            yield "inspect_sequence_note", lambda mm=m: inspect_sequence_note(
                hetc, work, "inspect_sequence_note", mm)
        if name == "loop_runtime_trips":
            yield "inspect_left", lambda mm=m: inspect_left(hetc, work, "inspect_left", mm)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--strategy", default="cpu")
    args = ap.parse_args()
    skip_without_opencl(args.strategy)
    work = Path(tempfile.mkdtemp(prefix="hetc-cf-"))
    results = [(name, run()) for name, run in
               cases(os.path.abspath(args.hetc), work, args.strategy, np.random.default_rng(11))]
    for name, why in results:
        print("FAIL %s: %s" % (name, why) if why else "PASS %s" % name)
    shutil.rmtree(work, ignore_errors=True)
    fails = sum(1 for _, why in results if why)
    print("%d passed, %d failed" % (len(results) - fails, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
