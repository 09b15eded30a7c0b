#!/usr/bin/env python3
"""ONNX backend tests run for real: compile each test model, run it on its data, compare.

For every test dir (DATA/SUITE/test_*/ with model.onnx and test_data_set_*/input_K.pb,
output_K.pb): `hetc compile` the model for the strategy (default cpu) with `--shape` from the
first data set's inputs, run the binary on every data set (`--input input_K.pb ... --output
out_K.pb`), and compare each output with output_K.pb: float outputs within DESIGN.md's tolerance
max |hetc - expected| <= 1e-4 + 1e-3 * max |expected|, other dtypes exactly, shapes and dtypes
equal. Tests whose output shapes depend on input values are compiled with those inputs bound
(`--bind`), which makes them constants of the plan; so are tests with sequence or optional
inputs, which hetc resolves while compiling. A sequence or optional output is compared as the
tensors it holds, in order, each a plan output of its own.

A test counts as unsupported when `hetc compile` refuses it with exit 2 naming an unknown op or
saying "not supported" (printed with --verbose); any other failure to compile or run, and any
mismatch, is a failure. Ends with `N passed, N failed, N skipped`; exit status 1 on failures.
With --strategy gpu the plans run on the OpenCL device; with none, the run is skipped (exit 77),
or fails when HETC_REQUIRE_OPENCL=1.

Run
  .venv/bin/python tests/conformance/onnx_node_run.py --hetc build/tools/hetc [--suite node]
      [-k SUBSTR] [-j N] [--strategy cpu] [--verbose] [--keep DIR]
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
from opencl_probe import skip_without_opencl  # noqa: E402
import onnx
from onnx import numpy_helper

SUITES = ("node", "simple", "pytorch-converted", "pytorch-operator")
REFUSAL = re.compile(r"not supported|unsupported|newer than hetc knows")
ATOL, RTOL = 1e-4, 1e-3


def numbered(folder, prefix):
    return sorted(folder.glob(prefix + "_*.pb"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))


def tensor(path):
    t = onnx.TensorProto()
    t.ParseFromString(path.read_bytes())
    return t


def compare(got, want):
    """None when equal within tolerance, else the reason."""
    if got.shape != want.shape:
        return "shape %s != %s" % (list(got.shape), list(want.shape))
    if got.dtype != want.dtype:
        return "dtype %s != %s" % (got.dtype, want.dtype)
    if want.size == 0:
        return None
    if np.issubdtype(want.dtype, np.floating):
        g, w = got.astype(np.float64), want.astype(np.float64)
        if not np.array_equal(np.isnan(g), np.isnan(w)):
            return "NaN positions differ"
        fin = np.isfinite(w)
        if not np.array_equal(g[~fin & ~np.isnan(w)], w[~fin & ~np.isnan(w)]):
            return "infinities differ"
        if fin.any():
            tol = ATOL + RTOL * float(np.max(np.abs(w[fin])))
            err = float(np.max(np.abs(g[fin] - w[fin])))
            if err > tol:
                return "max error %.3g > tolerance %.3g" % (err, tol)
        return None
    if not np.array_equal(got, want):
        return "values differ (%d of %d)" % (int(np.sum(got != want)), want.size)
    return None


def kind(vi):
    """"tensor", "held" (a sequence of tensors or an optional of one or of such a sequence), or
    None for the rest (maps, sparse tensors, nested sequences)"""
    k = vi.type.WhichOneof("value")
    if k == "tensor_type":
        return "tensor"
    t = vi.type
    if k == "optional_type":
        t = t.optional_type.elem_type
        k = t.WhichOneof("value")
    if k == "sequence_type":
        t = t.sequence_type.elem_type
        k = t.WhichOneof("value")
    return "held" if k in ("tensor_type", None) else None


def held_tensors(vi, path):
    """The tensors output vi's file holds, in order, as hetc writes them: a tensor itself, a
    sequence's tensors, an optional's value (none when it holds none)"""
    k, b = vi.type.WhichOneof("value"), path.read_bytes()
    if k == "tensor_type":
        t = onnx.TensorProto()
        t.ParseFromString(b)
        return [t]
    if k == "sequence_type":
        s = onnx.SequenceProto()
        s.ParseFromString(b)
        return list(s.tensor_values)
    o = onnx.OptionalProto()
    o.ParseFromString(b)
    if o.HasField("tensor_value"):
        return [o.tensor_value]
    return list(o.sequence_value.tensor_values) if o.HasField("sequence_value") else []


def run_test(hetc, test, work, strategy, timeout):
    model = onnx.load(str(test / "model.onnx"), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    real = [vi for vi in model.graph.input if vi.name not in inits]
    kinds = [kind(vi) for vi in list(real) + list(model.graph.output)]
    if None in kinds:
        return "skip", "inputs or outputs that are maps, sparse tensors or nested sequences"
    # sequences and optionals are resolved while compiling: inputs of those kinds are bound
    held_in = any(kind(vi) == "held" for vi in real)
    sets = sorted(test.glob("test_data_set_*"))
    if not sets:
        return "skip", "no data"
    first = numbered(sets[0], "input")
    for vi, p in zip(real, first):
        if kind(vi) != "tensor":
            continue
        t, tt = tensor(p), vi.type.tensor_type
        declared = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        if t.data_type != tt.elem_type or (tt.HasField("shape") and (
                len(declared) != len(t.dims) or
                any(a is not None and a != b for a, b in zip(declared, t.dims)))):
            # e.g. bfloat16 tests store their data as uint16
            return "skip", "inconsistent test data: input %s does not match its declaration" % vi.name
    for vi, p in zip(model.graph.output, numbered(sets[0], "output")):
        if kind(vi) == "tensor" and tensor(p).data_type != vi.type.tensor_type.elem_type:
            return "skip", "inconsistent test data: output %s dtype" % vi.name
    shapes = {vi.name: list(tensor(p).dims) for vi, p in zip(real, first) if kind(vi) == "tensor"}
    out = work / test.name
    base = [hetc, "compile", str(test / "model.onnx"), "-o", str(out), "--name", "t",
            "--strategy", strategy]
    for name, dims in shapes.items():
        base += ["--shape", name + "=" + "x".join(str(d) for d in dims)]
    p = None if held_in else subprocess.run(base, capture_output=True, text=True, timeout=timeout)
    bound = []
    if held_in or (p.returncode == 2 and "dynamic shape" in p.stderr):
        # an output shape depends on input values: bind every input of the first data set
        bound = [vi.name for vi in real]
        cmd = base + [a for vi, f in zip(real, first) for a in ("--bind", "%s=%s" % (vi.name, f))]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        sets = sets[:1]     # the plan is specialised to these values
    if p.returncode == 2 and REFUSAL.search(p.stderr):
        return "skip", "refused: " + p.stderr.strip().splitlines()[0][-160:]
    if p.returncode != 0:
        return "fail", "compile exit %d: %s" % (p.returncode, (p.stderr.strip() or "?")[-300:])
    for ds in sets:
        ins = [f for vi, f in zip(real, numbered(ds, "input")) if vi.name not in bound]
        wants = [t for vi, f in zip(model.graph.output, numbered(ds, "output"))
                 for t in held_tensors(vi, f)]
        outs = [out / ("out_%d.pb" % k) for k in range(len(wants))]
        cmd = [str(out / "t")] + [a for f in ins for a in ("--input", str(f))] + \
              [a for f in outs for a in ("--output", str(f))]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            return "fail", "%s: run exit %d: %s" % (ds.name, r.returncode, r.stderr.strip()[-300:])
        for k, (o, w) in enumerate(zip(outs, wants)):
            why = compare(numpy_helper.to_array(tensor(o)), numpy_helper.to_array(w))
            if why:
                return "fail", "%s output %d: %s" % (ds.name, k, why)
    shutil.rmtree(out, ignore_errors=True)
    return "pass", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--suite", action="append", choices=SUITES + ("all",))
    ap.add_argument("-k", dest="filter", default="")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--strategy", default="cpu")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--keep", help="keep the compiled tests in this folder")
    args = ap.parse_args()
    skip_without_opencl(args.strategy)
    hetc = os.path.abspath(args.hetc)
    suites = args.suite or ["node"]
    if "all" in suites:
        suites = list(SUITES)
    tests = [d for s in suites for d in sorted((Path(args.data) / s).glob("test_*"))
             if (d / "model.onnx").exists() and args.filter in d.name]
    if not tests:
        print("error: no tests selected", file=sys.stderr)
        return 1
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hetc-node-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futs = {pool.submit(run_test, hetc, t, work, args.strategy, args.timeout): t
                for t in tests}
        for f in concurrent.futures.as_completed(futs):
            t = futs[f]
            try:
                results[t] = f.result()
            except Exception as e:  # one broken test must not hide the others
                results[t] = ("fail", "harness: %s: %s" % (type(e).__name__, e))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    by = collections.defaultdict(list)
    for t, (st, why) in sorted(results.items()):
        by[st].append((t, why))
    if args.verbose:
        for t, why in by["skip"]:
            print("SKIP %s/%s: %s" % (t.parent.name, t.name, why))
    for t, why in by["fail"]:
        print("FAIL %s/%s: %s" % (t.parent.name, t.name, why))
    print("%d passed, %d failed, %d skipped" % (len(by["pass"]), len(by["fail"]), len(by["skip"])))
    return 1 if by["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
