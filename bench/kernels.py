#!/usr/bin/env python3
"""kernels.py --hetc PATH [--before PATH] [--threads 1 2] [--runs 30] [--out FILE] [-k NAME,...]

Times single CPU kernels against ONNX Runtime on the same shapes (issue 13): the transcendental
activations over 1M floats (Tanh, both forms of Gelu, Erf, Exp, Softplus, Mish, Sigmoid) and the
stride-2 stem convolutions of image models (3 to 16 input channels, 3x3, on 224x224 and 416x416
images). Each case is a one-node ONNX model written here, compiled with `hetc compile --strategy
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


def cases():
    """(name, model, flops or 0 for an elementwise case)"""
    out = []
    for op, attrs in (("Tanh", None), ("Gelu", None), ("Gelu", {"approximate": "tanh"}),
                      ("Erf", None), ("Exp", None), ("Softplus", None), ("Mish", None),
                      ("Sigmoid", None)):
        name = op + (" (tanh)" if attrs else "") + " 1M"
        out.append((name, unary_model(op, attrs), 0))
    for cin, cout, hw in ((3, 16, 224), (3, 32, 224), (3, 32, 416), (8, 16, 224), (16, 32, 112)):
        m, fl = conv_model(cin, cout, hw)
        out.append(("Conv %d->%d 3x3/2 %dx%d" % (cin, cout, hw, hw), m, fl))
    return out


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
        for k, (name, model, flops) in enumerate(cases()):
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
            feeds, inputs = bench.make_inputs(path, {}, None, work)
            for x, f in zip(feeds, inputs):  # over [-4, 4): both tails and the middle
                feeds[x] = (feeds[x] * 8 - 4).astype(np.float32)
                feeds[x].tofile(f)
            for t in args.threads:
                cpus = bench.cpus_for(t, args.pin)
                b = (time_hetc(exes["before"], inputs, t, args.runs, args.warmup, cpus)
                     if args.before else None)
                h = time_hetc(exes["cpu"], inputs, t, args.runs, args.warmup, cpus)
                o = time_ort(path, feeds, t, args.runs, args.warmup, cpus)
                rate = ("%.1f GFLOP/s" % (flops / h[1] / 1e6) if flops
                        else "%.2f ns/elt" % (h[1] * 1e6 / ELTS))
                rows.append((name, t, h, o, rate, b))
                print("%-28s %dT hetc %8.3f ms (min %8.3f)  ORT %8.3f ms (min %8.3f)  ratio %.2f"
                      " (min %.2f)  %s%s"
                      % (name, t, h[0], h[1], o[0], o[1], h[0] / o[0], h[1] / o[1], rate,
                         "  before %8.3f ms (min %8.3f)" % b if b else ""), flush=True)
    lines = ["Machine: %s, %d cores; %s. Date: %s. ONNX Runtime %s, CPU provider, intra-op threads"
             " = threads. Median and minimum of %d runs after %d warm-up runs%s."
             % (bench.cpu_name(), os.cpu_count() or 0, platform.platform(),
                datetime.date.today().isoformat(), bench.ort.__version__, args.runs, args.warmup,
                "; runs with fewer threads than CPUs pinned, both, to the first CPUs"
                if args.pin else ""), "",
             "| case | threads | hetc ms (min) | ORT ms (min) | hetc/ORT (min) | hetc rate |"
             + (" before ms (min) |" if args.before else ""),
             "|---|---|---|---|---|---|" + ("---|" if args.before else "")]
    for name, t, h, o, rate, b in rows:
        lines.append("| %s | %d | %.3f (%.3f) | %.3f (%.3f) | %.2f (%.2f) | %s |%s"
                     % (name, t, h[0], h[1], o[0], o[1], h[0] / o[0], h[1] / o[1], rate,
                        " %.3f (%.3f) |" % b if b else ""))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
