#!/usr/bin/env python3
"""bench.py --hetc PATH [--models DIR] [--examples DIR] [--threads 1 2] [--runs 20] [--out FILE] [--no-pin] [--gpu]

Times every compiled plan against ONNX Runtime in the same run: each model (the reference models
in HETC_MODELS and the generated examples) is compiled with `hetc compile --strategy cpu`; then,
for each thread count, the hetc binary reports the median of --runs timed runs after warm-up
(`--json`), and ONNX Runtime (CPU provider, all graph optimisations, sequential execution,
intra-op threads = the thread count) is timed the same way on the same inputs. The two are
interleaved model by model so that the machine's load hits both alike, and a run with fewer
threads than CPUs is pinned, for both, to the same first CPUs (--no-pin: left to the scheduler).

With --gpu, each model is also compiled with `--strategy gpu` and that plan timed beside the two on
the OpenCL device (HETC_CL_DEVICE picks it; on PoCL, POCL_MAX_PTHREAD_COUNT is set to the thread
count and the run pinned like the others, so a CPU-backed OpenCL device gets the same cores).

Writes a Markdown table (model, threads, hetc ms, ORT ms, hetc/ORT, hetc GFLOP/s) with the
machine, the date and the geometric mean of the ratios per thread count, to --out (default:
print only). Not a test: timings are noisy on shared machines; compare ratios, not absolutes.
"""
import argparse
import datetime
import json
import math
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
import onnxruntime as ort

ort.set_default_logger_severity(3)


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def models(args):
    out = []
    if args.models and Path(args.models).is_dir():
        for d in sorted(Path(args.models).iterdir()):
            if (d / "reference.json").exists():
                ref = json.loads((d / "reference.json").read_text())
                shapes = {i["name"]: i["shape"] for i in ref["inputs"]}
                inputs = [d / i["file"] for i in ref["inputs"]]
                out.append((d.name, d / "model.onnx", shapes, inputs))
    if args.examples:
        for f in sorted(Path(args.examples).glob("*.onnx")):
            out.append((f.stem + " (example)", f, {}, None))
    keys = args.filter.split(",")       # -k: names holding any of these
    return [m for m in out if any(k in m[0] for k in keys)]


def make_inputs(model, shapes, files, work):
    """(feeds for ORT, .bin files for hetc)"""
    m = onnx.load(str(model), load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    real = [x for x in m.graph.input if x.name not in inits]
    rng = np.random.default_rng(1234)
    feeds, paths = {}, []
    for k, x in enumerate(real):
        dt = onnx.helper.tensor_dtype_to_np_dtype(x.type.tensor_type.elem_type)
        dims = shapes.get(x.name) or [d.dim_value for d in x.type.tensor_type.shape.dim]
        if files:
            a = np.fromfile(files[k], dtype=dt).reshape(dims)
        else:
            a = (rng.integers(1, 1000, dims) if np.issubdtype(dt, np.integer)
                 else rng.random(dims)).astype(dt)
        p = work / ("in_%d.bin" % k)
        a.tofile(p)
        feeds[x.name] = a
        paths.append(p)
    return feeds, paths


def cpus_for(threads, pin):
    """The first `threads` CPUs this process may use, or None (no pinning). On a shared virtual
    machine the cores differ from moment to moment; running both contenders on the same cores
    keeps one from being timed on a slower core than the other."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return set(cpus[:threads]) if threads < len(cpus) else None


def time_ort(model, feeds, threads, runs, warmup, cpus=None):
    saved = os.sched_getaffinity(0) if cpus else None
    if cpus:  # ONNX Runtime's pool threads, made with the session, inherit the mask
        os.sched_setaffinity(0, cpus)
    try:
        return time_ort_on(model, feeds, threads, runs, warmup)
    finally:
        if saved:
            os.sched_setaffinity(0, saved)


def time_ort_on(model, feeds, threads, runs, warmup):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def time_hetc(exe, inputs, threads, runs, warmup, cpus=None):
    cmd = [str(exe), "--json", "--iters", str(runs), "--warmup", str(warmup),
           "--threads", str(threads)] + [a for f in inputs for a in ("--input", str(f))]
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    env = dict(os.environ, POCL_MAX_PTHREAD_COUNT=str(threads))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, preexec_fn=pin, env=env)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip())
    return json.loads(p.stdout)["latency_ms"]["median"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--models", default=os.environ.get("HETC_MODELS", ""))
    ap.add_argument("--examples", default="")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out")
    ap.add_argument("-k", dest="filter", default="")
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="do not pin runs with fewer threads than CPUs to the first CPUs")
    ap.add_argument("--gpu", action="store_true",
                    help="also time the model's --strategy gpu plan on the OpenCL device")
    args = ap.parse_args()
    hetc = os.path.abspath(args.hetc)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, shapes, files in models(args):
            work = Path(tmp) / name
            shape_args = [a for k, v in shapes.items()
                          for a in ("--shape", k + "=" + "x".join(map(str, v)))]
            exes = {}
            for strategy in ("cpu", "gpu") if args.gpu else ("cpu",):
                out = work / strategy
                cmd = [hetc, "compile", str(model), "-o", str(out), "--name", "m",
                       "--strategy", strategy] + shape_args
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    print("skip %s (%s): compile failed: %s" % (name, strategy, p.stderr.strip()),
                          file=sys.stderr)
                    continue
                exes[strategy] = out / "m"
            if "cpu" not in exes:
                continue
            info = subprocess.run([hetc, "inspect", str(model), "--json"] + shape_args,
                                  capture_output=True, text=True)
            flops = json.loads(info.stdout)["flops"] if info.returncode == 0 else 0
            feeds, inputs = make_inputs(model, shapes, files, work)
            for t in args.threads:
                cpus = cpus_for(t, args.pin)
                h = time_hetc(exes["cpu"], inputs, t, args.runs, args.warmup, cpus)
                g = None
                if "gpu" in exes:
                    try:
                        g = time_hetc(exes["gpu"], inputs, t, args.runs, args.warmup, cpus)
                    except RuntimeError as e:
                        print("%s: the gpu plan failed: %s" % (name, e), file=sys.stderr)
                o = time_ort(model, feeds, t, args.runs, args.warmup, cpus)
                rows.append((name, t, h, o, flops, g))
                print("%-20s %dT hetc %8.3f ms  ORT %8.3f ms  ratio %.2f%s"
                      % (name, t, h, o, h / o, "  OpenCL %8.3f ms" % g if g else ""), flush=True)
    lines = ["# Benchmarks", "",
             "Machine: %s, %d cores; %s. Date: %s. hetc plans with `--strategy cpu`; ONNX Runtime "
             "%s (CPU provider, all graph optimisations, sequential, intra-op threads = threads). "
             "Median of %d runs after %d warm-up runs, interleaved model by model%s."
             % (cpu_name(), os.cpu_count() or 0, platform.platform(),
                datetime.date.today().isoformat(), ort.__version__, args.runs, args.warmup,
                "; runs with fewer threads than CPUs pinned, both, to the first CPUs"
                if args.pin else ""), "",
             "| model | threads | hetc ms | ORT ms | hetc/ORT | hetc GFLOP/s |"
             + (" OpenCL plan ms | OpenCL/ORT |" if args.gpu else ""),
             "|---|---|---|---|---|---|" + ("---|---|" if args.gpu else "")]
    for name, t, h, o, fl, g in rows:
        gpu = (" %.3f | %.2f |" % (g, g / o) if g else " failed | - |") if args.gpu else ""
        lines.append("| %s | %d | %.3f | %.3f | %.2f | %.1f |%s" % (name, t, h, o, h / o,
                                                                    fl / h / 1e6 if h else 0, gpu))
    lines.append("")
    for t in args.threads:
        for label, pick in (("reference models", lambda n: "(example)" not in n),
                            ("all models", lambda n: True)):
            r = [h / o for n, tt, h, o, _, _ in rows if tt == t and pick(n)]
            if r:
                lines.append("Geometric mean of hetc/ORT at %d thread%s, %s: **%.2f** (%d models)."
                             % (t, "" if t == 1 else "s", label,
                                math.exp(sum(map(math.log, r)) / len(r)), len(r)))
            r = [g / o for n, tt, h, o, _, g in rows if tt == t and pick(n) and g]
            if r:
                lines.append("Geometric mean of OpenCL plan/ORT at %d thread%s, %s: **%.2f** "
                             "(%d models)." % (t, "" if t == 1 else "s", label,
                                               math.exp(sum(map(math.log, r)) / len(r)), len(r)))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
