#!/usr/bin/env python3
"""run_models.py --hetc PATH [--models DIR] [--examples DIR] [--strategy S[,S...]] [--seeds 1,2,3]
                [--targets host,FILE.xml,...] [--threads N] [--stream N[,N...]] [-j N]

Compiles every reference model (HETC_MODELS, each with model.onnx, reference.json, input_K.bin,
output_K.bin) and every generated example (*.onnx in --examples) with `hetc compile`, once per
configuration (each strategy; `random` once per seed; each target: `host` is the detected host,
anything else a device description), runs the binary on the reference inputs (examples: seeded
random inputs, references computed here by ONNX Runtime) and requires every output to match
within DESIGN.md's tolerance (with --stream, once per frame count: the binary pushes N frames
of the inputs through the plan and writes the last one's outputs):

    max |hetc - ort| <= 1e-4 + 1e-3 * max |ort|

or, for an output of a quantised example (QUANT_STEPS) that a DequantizeLinear makes, at most
that many steps of its scale if that is more.

Prints one line per model with the worst ratio of error to tolerance (<= 1 passes), checks that
the OCR recogniser's output decodes to "Hello World 2024", and ends with `N passed, N failed`.
A missing models folder is said and skipped. Exit status 1 if anything failed; with --strategy gpu
and no OpenCL device, 77 (skipped), or 1 when HETC_REQUIRE_OPENCL=1.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
from opencl_probe import skip_without_opencl  # noqa: E402

ATOL, RTOL = 1e-4, 1e-3
results = {"passed": 0, "failed": 0}


def report(name, ok, detail):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + ": " + detail, flush=True)


def configs(args):
    """(label, compile flags) for every strategy x seed x target asked for"""
    out = []
    for target in args.targets.split(","):
        tflags = [] if target == "host" else ["--target", target]
        tname = "host" if target == "host" else Path(target).stem
        for strategy in args.strategy.split(","):
            seeds = args.seeds.split(",") if strategy == "random" else [None]
            for seed in seeds:
                flags = ["--strategy", strategy] + (["--seed", seed] if seed else []) + tflags
                label = strategy + (seed or "") + "@" + tname
                out.append((label, flags))
    return out


def compile_model(hetc, model, out, name, shapes, flags):
    cmd = [hetc, "compile", str(model), "-o", str(out), "--name", name] + flags
    for k, v in shapes.items():
        cmd += ["--shape", k + "=" + "x".join(str(d) for d in v)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return p.returncode, (p.stderr.strip() or p.stdout.strip()).splitlines()[-1:] or [""]


def run_binary(exe, inputs, outputs, threads, stream=None):
    cmd = [str(exe), "--threads", str(threads)] + (["--stream", stream] if stream else [])
    for f in inputs:
        cmd += ["--input", str(f)]
    for f in outputs:
        cmd += ["--output", str(f)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stderr.strip()


# Quantised examples: an output made by a DequantizeLinear is a whole number of steps of its
# scale, and hetc's integer kernels may put a sum whose requantisation falls next to a rounding
# boundary one step from ONNX Runtime's; such an output may differ by this many steps (below
# DESIGN.md's float tolerance it passes anyway). examples/README.md says why.
QUANT_STEPS = {"resnet18_int8": 1}


def quant_tolerances(m, steps):
    """per graph output: steps x the scale of the DequantizeLinear that makes it (a one-element
    constant), else 0"""
    from onnx import numpy_helper
    consts = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    made = {o: n for n in m.graph.node for o in n.output}
    out = []
    for o in m.graph.output:
        n = made.get(o.name)
        s = consts.get(n.input[1]) if n is not None and n.op_type == "DequantizeLinear" else None
        out.append(steps * float(s) if s is not None and s.size == 1 else 0.0)
    return out


def worst_ratio(got, want, qtol=None):
    """max error / tolerance over the outputs (<= 1 passes); qtol: per output, an absolute
    tolerance in quantisation steps that may widen DESIGN.md's"""
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape:
            return float("inf")
        tol = ATOL + RTOL * float(np.max(np.abs(w))) if w.size else ATOL
        if qtol:    # a whole number of steps, each computed as (q - zero point) x scale
            tol = max(tol, qtol[i] * (1 + 1e-5))
        err = float(np.max(np.abs(g.astype(np.float64) - w))) if w.size else 0.0
        if np.isnan(err):
            return float("inf")
        worst = max(worst, err / tol)
    return worst


def ctc_decode(probs, keys_file):
    keys = ["<blank>"] + Path(keys_file).read_text(encoding="utf-8").splitlines() + [" "]
    idx = probs.reshape(probs.shape[-2], probs.shape[-1]).argmax(axis=1)
    out, prev = [], 0
    for i in idx:
        if i != prev and i != 0:
            out.append(keys[i])
        prev = i
    # the model also predicts the blank margin after the text as a space; ONNX Runtime's own
    # output decodes the same way, and the text is compared without it
    return "".join(out).strip()


def stream_label(stream):
    return " --stream " + stream if stream else ""


def check_reference(hetc, d, work, cfgs, threads, streams, pool):
    ref = json.loads((d / "reference.json").read_text())
    shapes = {i["name"]: i["shape"] for i in ref["inputs"]}
    name = "m_" + d.name.replace("-", "_")
    want = [np.fromfile(d / o["file"], dtype=np.float32).reshape(o["shape"])
            for o in ref["outputs"]]
    inputs = [d / i["file"] for i in ref["inputs"]]

    def one(cfg):
        label, flags = cfg
        out = work / d.name / label.replace("@", "_")
        tag = d.name + " [" + label + "]"
        rc, msg = compile_model(hetc, d / "model.onnx", out, name, shapes, flags)
        if rc != 0:
            return tag, False, "compile exit %d: %s" % (rc, msg[0])
        r = 0.0
        for stream in streams:
            outs = [out / ("out_%d.bin" % o["index"]) for o in ref["outputs"]]
            rc, err = run_binary(out / name, inputs, outs, threads, stream)
            if rc != 0:
                return tag, False, "run%s exit %d: %s" % (stream_label(stream), rc, err)
            got = [np.fromfile(f, dtype=np.float32).reshape(o["shape"]) for f, o in
                   zip(outs, ref["outputs"])]
            r = max(r, worst_ratio(got, want))
        detail = "worst error / tolerance %.3g" % r
        ok = r <= 1.0
        keys = d / "ppocr_keys_v1.txt"
        if keys.exists():
            text = ctc_decode(got[0], keys)
            detail += ", decodes to %r" % text
            ok = ok and text == "Hello World 2024"
        return tag, ok, detail

    for tag, ok, detail in pool.map(one, cfgs):
        report(tag, ok, detail)


def check_example(hetc, model, work, cfgs, threads, streams, pool):
    import onnx
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    m = onnx.load(str(model), load_external_data=False)
    name = model.stem
    base = work / name
    base.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    feeds, files = {}, []
    inits = {t.name for t in m.graph.initializer}
    for k, x in enumerate(i for i in m.graph.input if i.name not in inits):
        dims = [d.dim_value for d in x.type.tensor_type.shape.dim]
        dt = onnx.helper.tensor_dtype_to_np_dtype(x.type.tensor_type.elem_type)
        a = (rng.integers(1, 1000, dims) if np.issubdtype(dt, np.integer)
             else rng.random(dims)).astype(dt)
        feeds[x.name] = a
        f = base / ("in_%d.bin" % k)
        a.tofile(f)
        files.append(f)
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    want = sess.run(None, feeds)
    qtol = quant_tolerances(m, QUANT_STEPS[name]) if name in QUANT_STEPS else None

    def one(cfg):
        label, flags = cfg
        out = base / label.replace("@", "_")
        tag = name + " [" + label + "]"
        rc, msg = compile_model(hetc, model, out, name, {}, flags)
        if rc != 0:
            return tag, False, "compile exit %d: %s" % (rc, msg[0])
        r = 0.0
        for stream in streams:
            outs = [out / ("out_%d.bin" % k) for k in range(len(want))]
            rc, err = run_binary(out / name, files, outs, threads, stream)
            if rc != 0:
                return tag, False, "run%s exit %d: %s" % (stream_label(stream), rc, err)
            got = [np.fromfile(f, dtype=w.dtype).reshape(w.shape) for f, w in zip(outs, want)]
            r = max(r, worst_ratio(got, want, qtol))
        return tag, r <= 1.0, "worst error / tolerance %.3g" % r

    for tag, ok, detail in pool.map(one, cfgs):
        report(tag, ok, detail)


def picked(filters, name):
    """-k: comma-separated parts of names, any of which picks a model"""
    return any(k in name for k in filters.split(","))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--models", default=os.environ.get("HETC_MODELS", ""))
    ap.add_argument("--examples", default="")
    ap.add_argument("--strategy", default="cpu",
                    help="strategies, comma-separated (cpu, gpu, random, ...)")
    ap.add_argument("--seeds", default="1", help="seeds of the random strategy, comma-separated")
    ap.add_argument("--targets", default="host",
                    help="targets, comma-separated: host (detected) or device descriptions")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--stream", default="",
                    help="frame counts, comma-separated: each run pushes N frames (--stream N)")
    ap.add_argument("-j", dest="jobs", type=int, default=1, help="configurations at once")
    ap.add_argument("-k", dest="filter", default="",
                    help="only models whose name contains one of these (comma-separated)")
    args = ap.parse_args()
    needs_cl = any(s in ("gpu", "random") for s in args.strategy.split(",")) or any(
        t != "host" for t in args.targets.split(","))
    skip_without_opencl("gpu" if needs_cl else "cpu")
    hetc = os.path.abspath(args.hetc)
    cfgs = configs(args)
    streams = args.stream.split(",") if args.stream else [None]
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        work = Path(tmp)
        models = Path(args.models) if args.models else None
        if models and models.is_dir():
            for d in sorted(models.iterdir()):
                if (d / "reference.json").exists() and picked(args.filter, d.name):
                    check_reference(hetc, d, work, cfgs, args.threads, streams, pool)
        else:
            print("# no reference models at %r: skipping them (set HETC_MODELS)" % args.models)
        if args.examples:
            for f in sorted(Path(args.examples).glob("*.onnx")):
                if picked(args.filter, f.name):
                    check_example(hetc, f, work, cfgs, args.threads, streams, pool)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
