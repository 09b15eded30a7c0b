#!/usr/bin/env python3
"""kernels.py --hetc PATH [--before PATH] [--threads 1 2] [--runs 30] [--out FILE] [-k NAME,...]

Times single CPU kernels against ONNX Runtime on the same shapes (issue 13): the transcendental
activations over 1M floats (Tanh, both forms of Gelu, Erf, Exp, Softplus, Mish, Sigmoid), the
stride-2 stem convolutions of image models (3 to 16 input channels, 3x3, on 224x224 and 416x416
images), and the integer products: ResNet-18's convolutions as ConvInteger (uint8 X, int8 W) and
two MatMulIntegers, each also timed as hetc's float32 Conv or MatMul of the same shape. Each case is a one-node ONNX model written here, compiled with `hetc compile --strategy
cpu`, and timed as bench.py times whole models: the binary's timed runs after warm-up
(`--json`) against ONNX Runtime's session (CPU provider, all graph optimisations,
intra-op threads = the thread count) on the same inputs, pinned, both, to the same first CPUs.
With --before, a second hetc (an older build) compiles and times the same cases beside them.

Prints one line per case and writes a Markdown table (case, threads, hetc and ORT medians and
minimums in ms, hetc/ORT of each, ns per element or GFLOP/s from hetc's minimum) to --out
(default: print only). The minimum is there for loaded machines: a run longer than the
scheduler's slice is preempted in some iterations, which moves the median and not the minimum.
Not a test: compare ratios, not absolutes.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

import bench  # the timing helpers of the whole-model benchmark, beside this file

ELTS = 1 << 20  # elements of the activation cases


def unary_model(op, attrs=None, opset=20):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, ELTS])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, ELTS])
    node = helper.make_node(op, ["x"], ["y"], **(attrs or {}))
    g = helper.make_graph([node], op.lower(), [x], [y])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)


def conv_model(cin, cout, hw, k=3, stride=2, pad=1):
    """float32 Conv with bias; (model, flops)"""
    rng = np.random.default_rng(7)
    w = (rng.standard_normal((cout, cin, k, k)) * 0.2).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.1).astype(np.float32)
    ho = (hw + 2 * pad - k) // stride + 1
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, hw, hw])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, cout, ho, ho])
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[k, k],
                            strides=[stride, stride], pads=[pad] * 4)
    inits = [onnx.numpy_helper.from_array(w, "w"), onnx.numpy_helper.from_array(b, "b")]
    g = helper.make_graph([node], "conv", [x], [y], inits)
    flops = 2 * cout * ho * ho * cin * k * k
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=9), flops


def qconv_model(cin, cout, hw, k, stride, pad):
    """ConvInteger of a uint8 X (zero point 131) by uint8 W (zero point 128: ONNX Runtime's
    ConvInteger takes no int8 W), and the float32 Conv of the same shape"""
    rng = np.random.default_rng(11)
    w = rng.integers(0, 256, (cout, cin, k, k)).astype(np.uint8)
    ho = (hw + 2 * pad - k) // stride + 1
    x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, cin, hw, hw])
    y = helper.make_tensor_value_info("y", TensorProto.INT32, [1, cout, ho, ho])
    node = helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], kernel_shape=[k, k],
                            strides=[stride, stride], pads=[pad] * 4)
    inits = [onnx.numpy_helper.from_array(w, "w"),
             onnx.numpy_helper.from_array(np.array(131, np.uint8), "xz"),
             onnx.numpy_helper.from_array(np.array(128, np.uint8), "wz")]
    g = helper.make_graph([node], "convinteger", [x], [y], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    f, flops = conv_model(cin, cout, hw, k, stride, pad)
    return m, f, flops


def qmatmul_model(m, n, k):
    """MatMulInteger of a uint8 A [m, k] (zero point 131) by a constant int8 B [k, n], and the
    float32 MatMul of the same shape"""
    rng = np.random.default_rng(12)
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    out = []
    for dt, bt, op in ((TensorProto.UINT8, TensorProto.INT32, "MatMulInteger"),
                       (TensorProto.FLOAT, TensorProto.FLOAT, "MatMul")):
        a = helper.make_tensor_value_info("a", dt, [m, k])
        y = helper.make_tensor_value_info("y", bt, [m, n])
        if op == "MatMul":
            inits = [onnx.numpy_helper.from_array(b.astype(np.float32), "b")]
            node = helper.make_node(op, ["a", "b"], ["y"])
        else:
            inits = [onnx.numpy_helper.from_array(b, "b"),
                     onnx.numpy_helper.from_array(np.array(131, np.uint8), "az")]
            node = helper.make_node(op, ["a", "b", "az"], ["y"])
        g = helper.make_graph([node], op.lower(), [a], [y], inits)
        out.append(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                                     ir_version=9))
    return out[0], out[1], 2 * m * n * k


# ResNet-18's convolutions: (cin, cout, image, kernel, stride, pad)
RESNET18 = ((3, 64, 224, 7, 2, 3), (64, 64, 56, 3, 1, 1), (128, 128, 28, 3, 1, 1),
            (256, 256, 14, 3, 1, 1), (512, 512, 7, 3, 1, 1), (64, 128, 56, 1, 2, 0),
            (128, 256, 28, 1, 2, 0), (256, 512, 14, 1, 2, 0))


def int8_cases():
    """(name, int8 model, float32 twin, flops): ResNet-18's convolutions as ConvInteger and
    two MatMulIntegers"""
    out = []
    for cin, cout, hw, k, s, p in RESNET18:
        m, f, fl = qconv_model(cin, cout, hw, k, s, p)
        out.append(("ConvInteger %d->%d %dx%d/%d %dx%d" % (cin, cout, k, k, s, hw, hw), m, f, fl))
    for m_, n, k in ((512, 512, 512), (3136, 64, 576)):
        m, f, fl = qmatmul_model(m_, n, k)
        out.append(("MatMulInteger %dx%dx%d" % (m_, n, k), m, f, fl))
    return out


def cases():
    """(name, model, flops or 0 for an elementwise case, float32 twin or None)"""
    out = []
    for op, attrs in (("Tanh", None), ("Gelu", None), ("Gelu", {"approximate": "tanh"}),
                      ("Erf", None), ("Exp", None), ("Softplus", None), ("Mish", None),
                      ("Sigmoid", None)):
        name = op + (" (tanh)" if attrs else "") + " 1M"
        out.append((name, unary_model(op, attrs), 0, None))
    for cin, cout, hw in ((3, 16, 224), (3, 32, 224), (3, 32, 416), (8, 16, 224), (16, 32, 112)):
        m, fl = conv_model(cin, cout, hw)
        out.append(("Conv %d->%d 3x3/2 %dx%d" % (cin, cout, hw, hw), m, fl, None))
    for name, m, f, fl in int8_cases():
        out.append((name, m, fl, f))
    return out


def float_inputs(path, work):
    """bench.make_inputs, float inputs moved to [-4, 4): both tails and the middle"""
    feeds, inputs = bench.make_inputs(path, {}, None, work)
    for x, f in zip(feeds, inputs):
        if feeds[x].dtype == np.float32:
            feeds[x] = (feeds[x] * 8 - 4).astype(np.float32)
            feeds[x].tofile(f)
    return feeds, inputs


def time_hetc(exe, inputs, threads, runs, warmup, cpus):
    """(median, min) in ms of the binary's timed runs"""
    cmd = [str(exe), "--json", "--iters", str(runs), "--warmup", str(warmup),
           "--threads", str(threads)] + [a for f in inputs for a in ("--input", str(f))]
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, preexec_fn=pin)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip())
    lat = json.loads(p.stdout)["latency_ms"]
    return lat["median"], lat["min"]


def time_ort(model, feeds, threads, runs, warmup, cpus):
    """(median, min) in ms of ONNX Runtime's session on one node, as bench.py sets it up"""
    saved = os.sched_getaffinity(0) if cpus else None
    if cpus:
        os.sched_setaffinity(0, cpus)
    try:
        so = bench.ort.SessionOptions()
        so.graph_optimization_level = bench.ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.execution_mode = bench.ort.ExecutionMode.ORT_SEQUENTIAL
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        sess = bench.ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
        for _ in range(warmup):
            sess.run(None, feeds)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            sess.run(None, feeds)
            times.append((time.perf_counter() - t0) * 1e3)
    finally:
        if saved:
            os.sched_setaffinity(0, saved)
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--before", help="an older hetc, timed beside --hetc")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--out")
    ap.add_argument("-k", dest="filter", default="")
    ap.add_argument("--no-pin", dest="pin", action="store_false")
    args = ap.parse_args()
    hetc = os.path.abspath(args.hetc)
    keys = args.filter.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (name, model, flops, twin) in enumerate(cases()):
            if not any(key in name for key in keys):
                continue
            work = Path(tmp) / ("case%d" % k)
            work.mkdir()
            path = work / "model.onnx"
            onnx.save(model, str(path))
            exes = {}
            for tag, exe in (("cpu", hetc), ("before", args.before)):
                if not exe:
                    continue
                cmd = [os.path.abspath(exe), "compile", str(path), "-o", str(work / tag),
                       "--name", "m", "--strategy", "cpu"]
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    print("skip %s: compile failed: %s" % (name, p.stderr.strip()), file=sys.stderr)
                    break
                exes[tag] = work / tag / "m"
            if len(exes) < 1 + bool(args.before):
                continue
            feeds, inputs = float_inputs(path, work)
            if twin is not None:  # the float32 op of the same shape, compiled by --hetc
                tw = work / "twin"
                tw.mkdir()
                onnx.save(twin, str(tw / "model.onnx"))
                p = subprocess.run([hetc, "compile", str(tw / "model.onnx"), "-o", str(tw),
                                    "--name", "m", "--strategy", "cpu"],
                                   capture_output=True, text=True)
                if p.returncode != 0:
                    print("skip %s: compile failed: %s" % (name, p.stderr.strip()),
                          file=sys.stderr)
                    continue
                _, twin_inputs = float_inputs(tw / "model.onnx", tw)
            for t in args.threads:
                cpus = bench.cpus_for(t, args.pin)
                b = (time_hetc(exes["before"], inputs, t, args.runs, args.warmup, cpus)
                     if args.before else None)
                h = time_hetc(exes["cpu"], inputs, t, args.runs, args.warmup, cpus)
                o = time_ort(path, feeds, t, args.runs, args.warmup, cpus)
                f32 = (time_hetc(tw / "m", twin_inputs, t, args.runs, args.warmup, cpus)
                       if twin is not None else None)
                rate = ("%.1f GFLOP/s" % (flops / h[1] / 1e6) if flops
                        else "%.2f ns/elt" % (h[1] * 1e6 / ELTS))
                rows.append((name, t, h, o, rate, b, f32))
                print("%-28s %dT hetc %8.3f ms (min %8.3f)  ORT %8.3f ms (min %8.3f)  ratio %.2f"
                      " (min %.2f)  %s%s%s"
                      % (name, t, h[0], h[1], o[0], o[1], h[0] / o[0], h[1] / o[1], rate,
                         "  before %8.3f ms (min %8.3f)" % b if b else "",
                         "  hetc f32 %8.3f ms (min %8.3f)" % f32 if f32 else ""), flush=True)
    lines = ["Machine: %s, %d cores; %s. Date: %s. ONNX Runtime %s, CPU provider, intra-op threads"
             " = threads. Median and minimum of %d runs after %d warm-up runs%s."
             % (bench.cpu_name(), os.cpu_count() or 0, platform.platform(),
                datetime.date.today().isoformat(), bench.ort.__version__, args.runs, args.warmup,
                "; runs with fewer threads than CPUs pinned, both, to the first CPUs"
                if args.pin else ""), "",
             "| case | threads | hetc ms (min) | ORT ms (min) | hetc/ORT (min) | hetc rate |"
             + (" before ms (min) |" if args.before else "")
             + (" hetc f32 ms (min) | int8/f32 (min) |" if any(r[6] for r in rows) else ""),
             "|---|---|---|---|---|---|" + ("---|" if args.before else "")
             + ("---|---|" if any(r[6] for r in rows) else "")]
    for name, t, h, o, rate, b, f32 in rows:
        lines.append("| %s | %d | %.3f (%.3f) | %.3f (%.3f) | %.2f (%.2f) | %s |%s%s"
                     % (name, t, h[0], h[1], o[0], o[1], h[0] / o[0], h[1] / o[1], rate,
                        " %.3f (%.3f) |" % b if b else "",
                        " %.3f (%.3f) | %.2f (%.2f) |" % (f32 + (h[0] / f32[0], h[1] / f32[1]))
                        if f32 else (" | |" if any(r[6] for r in rows) else "")))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
