#!/usr/bin/env python3
"""new_ops.py: ops of issue 13 without (enough) ONNX node tests, against ONNX Runtime.

The ONNX backend node tests have no TopK and few Einsum forms, so this generates small models of
each and compares hetc's outputs with ONNX Runtime's: TopK of opsets 1, 10 and 11 along every
axis, largest and smallest, float32 with many ties and int64 values that a double would merge
(values and indices must be equal exactly); the Einsum forms real models use (batched MatMul,
attention's "bhid,bhjd->bhij", transposes, reductions, outer and inner products, ellipsis, implicit
output, diagonals and traces) within DESIGN.md's tolerance, float64 too; NonZero of an initializer
(folded);
GELU written out as exporters do (erf and tanh forms, which hetc puts back as one Gelu), and one
whose intermediate is an output too (left as it is); one-hot lookups MatMul(Cast(Equal(I, 0..V-1)),
E) (a Gather of E's rows for hetc) with indices inside and outside the table, int64 and int32;
QLinearConv (uint8 and int8 inputs and outputs, weights per tensor and per output channel, a
bias, groups, strides, pads, 1-D) and QLinearMatMul (2-D and batched, uint8 and int8), whose
integer outputs must equal ONNX Runtime's exactly; and the QDQ form of a Conv with a Relu or Clip
before its QuantizeLinear, which hetc fuses into a QLinearConv that clamps (its dequantised
output equal to ONNX Runtime's).
Each model is compiled with the given strategy (cpu, or gpu: skipped, 77, without an OpenCL
device).

Run
  .venv/bin/python tests/models/new_ops.py --hetc build/tools/hetc [--strategy cpu|gpu]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
from opencl_probe import skip_without_opencl  # noqa: E402

TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
         np.dtype(np.int64): TensorProto.INT64, np.dtype(np.int32): TensorProto.INT32,
         np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8}
ATOL, RTOL = 1e-4, 1e-3


def model(nodes, inputs, outputs, inits, opset):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, TYPES[x.dtype], x.shape)
                                       for n, x in inputs], [
        helper.make_tensor_value_info(n, TYPES[np.dtype(t)], None) for n, t in outputs],
        [numpy_helper.from_array(x, n) for n, x in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def check(hetc, work, strategy, name, m, inputs, exact):
    """None when hetc's outputs equal ONNX Runtime's (exactly, or within the tolerance)"""
    d = work / name
    d.mkdir()
    path = d / "model.onnx"
    onnx.save(m, str(path))
    feeds = dict(inputs)
    # a sequence output (a list) is compared as its tensors, each an output of hetc's plan
    want = [np.asarray(t) for o in
            ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)
            for t in (o if isinstance(o, list) else [o])]
    args = []
    for n, x in inputs:
        f = d / ("%s.pb" % n)
        f.write_bytes(numpy_helper.from_array(x, n).SerializeToString())
        args += ["--input", str(f)]
    outs = [d / ("out%d.pb" % k) for k in range(len(want))]
    p = subprocess.run([hetc, "compile", str(path), "-o", str(d), "--name", "t", "--strategy",
                        strategy], capture_output=True, text=True, timeout=300)
    if p.returncode:
        return "compile exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
    p = subprocess.run([str(d / "t")] + args + [a for o in outs for a in ("--output", str(o))],
                       capture_output=True, text=True, timeout=300)
    if p.returncode:
        return "run exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
    for k, (o, w) in enumerate(zip(outs, want)):
        t = onnx.TensorProto()
        t.ParseFromString(o.read_bytes())
        got = numpy_helper.to_array(t)
        if got.shape != w.shape or got.dtype != w.dtype:
            return "output %d: %s %s, want %s %s" % (k, got.dtype, got.shape, w.dtype, w.shape)
        if exact or not np.issubdtype(w.dtype, np.floating):
            if not np.array_equal(got, w):
                return "output %d: %d of %d elements differ" % (k, int(np.sum(got != w)), w.size)
        elif w.size:
            err = float(np.max(np.abs(got.astype(np.float64) - w)))
            tol = ATOL + RTOL * float(np.max(np.abs(w)))
            if err > tol:
                return "output %d: max error %.3g > %.3g" % (k, err, tol)
    shutil.rmtree(d)
    return None


def topk_cases(rng):
    x = np.round(rng.standard_normal((3, 6, 40)) * 2).astype(np.float32)   # many ties
    xl = ((1 << 60) + rng.integers(0, 5, (4, 9))).astype(np.int64)        # ties beyond 2^53
    for axis in (0, 1, 2, -1):
        for largest in (0, 1):
            k = min(x.shape[axis], 4)
            yield ("topk11_a%d_l%d" % (axis, largest), 11, x, k, axis, largest)
    yield ("topk11_all", 11, x, 40, -1, 1)
    yield ("topk11_k0", 11, x, 0, 1, 1)
    yield ("topk11_int64", 11, xl, 5, 1, 0)
    yield ("topk10", 10, x, 3, 1, 1)
    yield ("topk1", 1, x, 7, -1, 1)


def topk_model(opset, x, k, axis, largest):
    attrs = {"axis": axis}
    inputs, inits = ["x"], []
    if opset >= 11:
        attrs["largest"] = largest
    if opset < 10:
        attrs["k"] = k
    else:
        inputs.append("k")
        inits.append(("k", np.array([k], dtype=np.int64)))
    node = helper.make_node("TopK", inputs, ["values", "indices"], **attrs)
    return model([node], [("x", x)], [("values", x.dtype), ("indices", np.int64)], inits, opset)


EINSUM = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhid,bhjd->bhij", [(2, 3, 5, 8), (2, 3, 6, 8)]),
    ("bhij,bhjd->bhid", [(2, 3, 5, 6), (2, 3, 6, 8)]),
    ("ij->ji", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i", [(5,), (5,)]),
    ("ij,jk", [(3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,kl->ik", [(3, 4), (5, 6)]),
    ("abc,cd->dba", [(2, 3, 4), (4, 5)]),
    ("abcd,cdbe->ae", [(2, 3, 4, 5), (4, 5, 3, 6)]),
    ("Ab,bC->AC", [(2, 3), (3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("...ii->...i", [(2, 3, 5, 5)]),
    ("ibi,ij->bj", [(3, 2, 3), (3, 4)]),
]


def gelu_model(form):
    """GELU written out over x [4, 64]: exact ("erf_div", "erf_mul") or tanh ("tanh_pow",
    "tanh_cube") form; "erf_shared" also outputs the 1 + erf term (no fusion may happen)."""
    c = {"half": 0.5, "one": 1.0, "sqrt2": 2 ** 0.5, "rsqrt2": 2 ** -0.5, "three": 3.0,
         "k": 0.044715, "s": (2 / np.pi) ** 0.5}
    inits = [(n, np.array(v, dtype=np.float32)) for n, v in c.items()]
    mk = helper.make_node
    outs = [("y", np.float32)]
    if form.startswith("erf"):
        nodes = [mk("Mul", ["x", "rsqrt2"], ["a"]) if form == "erf_mul" else
                 mk("Div", ["x", "sqrt2"], ["a"]),
                 mk("Erf", ["a"], ["e"]), mk("Add", ["one", "e"], ["s1"]),
                 mk("Mul", ["x", "half"], ["h"]), mk("Mul", ["h", "s1"], ["y"])]
        if form == "erf_shared":
            outs.append(("s1", np.float32))
    else:
        cube = ([mk("Pow", ["x", "three"], ["c3"])] if form == "tanh_pow" else
                [mk("Mul", ["x", "x"], ["x2"]), mk("Mul", ["x2", "x"], ["c3"])])
        nodes = cube + [mk("Mul", ["k", "c3"], ["kc"]), mk("Add", ["x", "kc"], ["in"]),
                        mk("Mul", ["in", "s"], ["arg"]), mk("Tanh", ["arg"], ["t"]),
                        mk("Add", ["t", "one"], ["s1"]), mk("Mul", ["x", "s1"], ["xs"]),
                        mk("Mul", ["xs", "half"], ["y"])]
    x = np.zeros((4, 64), dtype=np.float32)
    used = [i for i in inits if any(i[0] in n.input for n in nodes)]
    return model(nodes, [("x", x)], outs, used, 13)


def onehot_model(dt, x_axis):
    """MatMul(Cast(Equal(Unsqueeze(I, -1), arange(V)), float), E): I [3, 5], V 7, E [7, 4];
    x_axis puts the arange first in the Equal."""
    mk = helper.make_node
    v, e = 7, np.arange(28, dtype=np.float32).reshape(7, 4) * 0.25 - 3
    inits = [("r", np.arange(v, dtype=dt)), ("ax", np.array([-1], dtype=np.int64)), ("e", e)]
    eq = ["r", "iu"] if x_axis else ["iu", "r"]
    nodes = [mk("Unsqueeze", ["i", "ax"], ["iu"]), mk("Equal", eq, ["b"]),
             mk("Cast", ["b"], ["h"], to=TensorProto.FLOAT), mk("MatMul", ["h", "e"], ["y"])]
    return model(nodes, [("i", np.zeros((3, 5), dtype=dt))], [("y", np.float32)], inits, 13)


def q8(rng, dt, shape):
    """random int8 or uint8 values over the whole range"""
    lo, hi = (0, 256) if dt == np.uint8 else (-128, 128)
    return rng.integers(lo, hi, shape).astype(dt)


def mid(dt):
    """the middle of an 8-bit dtype's range"""
    return 128 if dt == np.uint8 else 0


def qlinear_conv_cases(rng):
    """(name, model, inputs): x [n, c, h, w] (or 1-D), W [m, c / group, k...], scales that keep
    most outputs inside the output range"""
    forms = [  # xt, wt, yt, n, c, spatial, m, group, kernel, stride, pad, per channel, bias
        (np.uint8, np.int8, np.uint8, 1, 3, (9, 9), 8, 1, 3, 1, 1, True, True),
        (np.uint8, np.int8, np.uint8, 2, 8, (7, 10), 8, 8, 3, 2, 1, True, True),
        (np.int8, np.int8, np.int8, 1, 6, (8, 8), 4, 2, 1, 1, 0, False, True),
        (np.uint8, np.uint8, np.uint8, 1, 4, (6, 6), 5, 1, 3, 2, 0, False, False),
        (np.uint8, np.int8, np.uint8, 1, 16, (12, 12), 32, 1, 3, 1, 1, True, True),
        (np.uint8, np.int8, np.uint8, 1, 4, (20,), 6, 1, 5, 2, 2, True, False),
    ]
    for i, (xt, wt, yt, n, c, sp, m, grp, k, st, pad, per, bias) in enumerate(forms):
        x = q8(rng, xt, (n, c) + sp)
        w = q8(rng, wt, (m, c // grp) + (k,) * len(sp))
        taps = c // grp * k ** len(sp)
        sw = (rng.random(m if per else ()) * 0.02 + 0.005).astype(np.float32)
        # zero points near the middle; Y's scale puts one standard deviation of the sums
        # (about 74 x 74 x sqrt(taps)) 40 steps from Y's zero point
        inits = [("xs", np.array(0.05, np.float32)), ("xz", np.array(mid(xt) + 3, xt)),
                 ("w", w), ("ws", sw), ("wz", np.full(sw.shape, mid(wt), wt)),
                 ("ys", np.array(0.05 * 0.015 * 74 * 74 * np.sqrt(taps) / 40, np.float32)),
                 ("yz", np.array(mid(yt) - 5, yt))]
        names = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"]
        if bias:
            inits.append(("b", rng.integers(-20000, 20000, m).astype(np.int32)))
            names.append("b")
        node = helper.make_node("QLinearConv", names, ["y"], group=grp,
                                strides=[st] * len(sp), pads=[pad] * 2 * len(sp))
        yield "qlinearconv%d" % i, model([node], [("x", x)], [("y", yt)], inits, 13), [("x", x)]


def qlinear_matmul_cases(rng):
    forms = [((5, 37), (37, 9), np.uint8, np.int8, np.uint8),
             ((2, 3, 4, 20), (20, 7), np.uint8, np.uint8, np.uint8),
             ((3, 6, 16), (3, 16, 5), np.int8, np.int8, np.int8),
             ((1, 512), (512, 100), np.uint8, np.int8, np.uint8)]
    for i, (ash, bsh, at, bt, yt) in enumerate(forms):
        a, b = q8(rng, at, ash), q8(rng, bt, bsh)
        inits = [("as", np.array(0.04, np.float32)), ("az", np.array(mid(at) + 3, at)),
                 ("b", b), ("bs", np.array(0.01, np.float32)), ("bz", np.array(mid(bt) - 1, bt)),
                 ("ys", np.array(0.04 * 0.01 * 74 * 74 * np.sqrt(ash[-1]) / 40, np.float32)),
                 ("yz", np.array(mid(yt) + 2, yt))]
        node = helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
                                ["y"])
        yield "qlinearmatmul%d" % i, model([node], [("a", a)], [("y", yt)], inits, 13), [("a", a)]


def qdq_conv_cases(rng):
    """the QDQ form passes/qdq.c fuses into QLinearConv, with the activation kept between the
    Conv and its QuantizeLinear (whose zero point is not 0, so the clamp matters): a float input
    quantised to uint8, int8 weights per channel, an int32 bias of scale sx * sw, the output
    dequantised"""
    x = rng.standard_normal((1, 4, 10, 10)).astype(np.float32)
    w = q8(rng, np.int8, (6, 4, 3, 3))
    sw = (rng.random(6) * 0.01 + 0.005).astype(np.float32)
    sx, sy = np.float32(0.03), np.float32(0.02)
    bias = rng.integers(-300, 300, 6).astype(np.int32)
    for act in ("Relu", "Clip", None):
        inits = [("sx", np.array(sx)), ("zx", np.array(128, np.uint8)), ("w", w), ("sw", sw),
                 ("zw", np.zeros(6, np.int8)), ("b", bias), ("sb", sx * sw),
                 ("zb", np.zeros(6, np.int32)), ("sy", np.array(sy)),
                 ("zy", np.array(100, np.uint8)), ("lo", np.array(-0.5, np.float32)),
                 ("hi", np.array(1.0, np.float32))]
        nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
                 helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xf"]),
                 helper.make_node("DequantizeLinear", ["w", "sw", "zw"], ["wf"], axis=0),
                 helper.make_node("DequantizeLinear", ["b", "sb", "zb"], ["bf"], axis=0),
                 helper.make_node("Conv", ["xf", "wf", "bf"], ["c"], pads=[1, 1, 1, 1])]
        if act == "Relu":
            nodes.append(helper.make_node("Relu", ["c"], ["a"]))
        elif act == "Clip":
            nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["a"]))
        nodes += [helper.make_node("QuantizeLinear", ["a" if act else "c", "sy", "zy"], ["yq"]),
                  helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y"])]
        yield ("qdq_conv_" + (act or "plain").lower(),
               model(nodes, [("x", x)], [("y", np.float32)], inits, 13), [("x", x)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--strategy", default="cpu")
    args = ap.parse_args()
    skip_without_opencl(args.strategy)
    hetc = os.path.abspath(args.hetc)
    rng = np.random.default_rng(13)
    work = Path(tempfile.mkdtemp(prefix="hetc-newops-"))
    fails = passed = 0

    def report(name, why):
        nonlocal fails, passed
        if why:
            fails += 1
            print("FAIL %s: %s" % (name, why))
        else:
            passed += 1

    for name, opset, x, k, axis, largest in topk_cases(rng):
        report(name, check(hetc, work, args.strategy, name,
                           topk_model(opset, x, k, axis, largest), [("x", x)], True))
    for i, (eq, shapes) in enumerate(EINSUM):
        for dt in (np.float32, np.float64) if i < 2 else (np.float32,):
            xs = [("x%d" % j, rng.standard_normal(s).astype(dt)) for j, s in enumerate(shapes)]
            node = helper.make_node("Einsum", [n for n, _ in xs], ["y"], equation=eq)
            name = "einsum%d_%s" % (i, np.dtype(dt).name)
            report(name + " " + eq, check(hetc, work, args.strategy, name,
                                          model([node], xs, [("y", dt)], [], 12), xs, False))
    c = np.array([[0, 1.5, 0], [-2, 0, np.nan]], dtype=np.float32)
    nz = model([helper.make_node("NonZero", ["c"], ["nz"])], [], [("nz", np.int64)], [("c", c)], 13)
    report("nonzero_const", check(hetc, work, args.strategy, "nonzero", nz, [], True))
    for name, m, feeds in (list(qlinear_conv_cases(rng)) + list(qlinear_matmul_cases(rng)) +
                           list(qdq_conv_cases(rng))):
        report(name, check(hetc, work, args.strategy, name, m, feeds, True))
    # GELU over a wide range: the tails (|x| up to 12) and values near 0
    x = (rng.standard_normal((4, 64)) * 3).astype(np.float32)
    x[0, :8] = [-12, -8, -4, -1e-3, 0, 1e-3, 4, 12]
    for form in ("erf_div", "erf_mul", "erf_shared", "tanh_pow", "tanh_cube"):
        report("gelu_" + form, check(hetc, work, args.strategy, "gelu_" + form,
                                     gelu_model(form), [("x", x)], False))
    for dt in (np.int64, np.int32):
        i = np.array([[0, 6, 3, -1, 7], [2, 2, -7, 100, 1], [5, 4, 0, 6, -1000]], dtype=dt)
        for x_axis in (0, 1):
            name = "onehot_%s_%d" % (np.dtype(dt).name, x_axis)
            report(name, check(hetc, work, args.strategy, name, onehot_model(dt, x_axis),
                               [("i", i)], True))
    shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
