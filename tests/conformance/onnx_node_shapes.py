#!/usr/bin/env python3
"""ONNX backend tests as a shape-inference conformance suite for `hetc inspect --json`.

What it checks
  Each test dir (DATA/SUITE/test_*/) has model.onnx and test_data_set_*/input_K.pb, output_K.pb.
  hetc is run as `hetc inspect model.onnx --json --shape NAME=DIMS...`, one --shape per real
  graph input (initializers listed among the graph inputs are not overridden), with the dims of
  test_data_set_0/input_K.pb (K-th real input, in order). Then:
    exit 2 with a non-empty `unsupported` -> skipped as unsupported (an op hetc does not know);
    exit 2 with a diagnostic saying "not supported" -> skipped as refused (a known op with an
    attribute, dtype or form hetc refuses clearly); any other exit 2 is a failure, since the
    models are valid; otherwise exit 0 is required, and every output must have the graph
    output's name and dtype (output_K.pb's dtype where the graph declares none) and output_K.pb's
    dims. When an output's shape depends on input *values* (a Reshape, Expand, Tile, Slice or
    Resize argument fed as a graph input), hetc leaves it unknown from shapes alone: the test is
    then run again with every input bound to its test tensor (`--bind NAME=input_K.pb`), and
    every shape must be right.
  Tests whose inputs or outputs are not plain tensors (sequences, optionals, maps) are skipped
  as unsupported without running hetc, and so are tests whose data contradicts the model's own
  declared input shapes ("inconsistent").
  Each hetc run has a timeout (default 10 s); a timeout, signal or sanitizer report is a failure.

Output: every failing test with its reason (always), then `N passed, N failed, N skipped`.
Exit status 1 if any test failed.

Run
  .venv/bin/python tests/conformance/onnx_node_shapes.py --hetc build/tools/hetc \
      [--data /usr/share/libonnx-testdata/data] [--suite node] [--list-failures] [--verbose]
  --suite is one of node, simple, pytorch-converted, pytorch-operator, or all (repeatable);
  -k SUBSTR runs only tests whose name contains SUBSTR; -j N sets the worker count (2-4).
  --list-failures prints the failing tests' names alone (one a line, for scripts);
  --verbose adds the unsupported-op histogram and the skipped tests with their reasons.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, shape_inference

SUITES = ("node", "simple", "pytorch-converted", "pytorch-operator")
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

PASS, FAIL, UNSUPPORTED, REFUSED, INCONSISTENT = (
    "pass", "fail", "unsupported", "refused", "inconsistent")
# how hetc words a clear refusal of something it does not support
REFUSAL = re.compile(r"not supported|unsupported|newer than hetc knows")


def dtype_name(elem_type):
    """numpy-style name of an ONNX TensorProto data type (as hetc prints it)."""
    special = {TensorProto.STRING: "string", TensorProto.BFLOAT16: "bfloat16"}
    if elem_type in special:
        return special[elem_type]
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).name
    except Exception:
        return TensorProto.DataType.Name(elem_type).lower()


def numbered(folder, prefix):
    files = list(folder.glob(f"{prefix}_*.pb"))
    return sorted(files, key=lambda p: int(p.stem.rsplit("_", 1)[1]))


def read_tensor(path):
    return TensorProto.FromString(path.read_bytes())


def first_line(text, limit=160):
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[:limit] + "..."


def run_test(hetc, test_dir, timeout):
    """Returns (status, reason, unsupported ops)."""
    try:
        model = onnx.load(str(test_dir / "model.onnx"), load_external_data=False)
    except Exception as e:
        return FAIL, f"harness: onnx cannot load the model: {e}", []
    inits = {t.name for t in model.graph.initializer}
    real_inputs = [vi for vi in model.graph.input if vi.name not in inits]
    odd = [vi.name for vi in list(real_inputs) + list(model.graph.output)
           if vi.type.WhichOneof("value") != "tensor_type"]
    if odd:
        return UNSUPPORTED, f"non-tensor graph input/output {odd[0]!r}", ["(non-tensor I/O)"]
    data = sorted(test_dir.glob("test_data_set_*"))
    if not data:
        return UNSUPPORTED, "no test_data_set_*", ["(no data)"]
    inputs = [read_tensor(p) for p in numbered(data[0], "input")]
    outputs = [read_tensor(p) for p in numbered(data[0], "output")]

    input_dims = {vi.name: list(t.dims) for vi, t in zip(real_inputs, inputs)}
    for vi in real_inputs:
        declared = [d.dim_value if d.HasField("dim_value") else None
                    for d in vi.type.tensor_type.shape.dim]
        dims = input_dims.get(vi.name)
        if (dims is not None and vi.type.tensor_type.HasField("shape") and
                (len(declared) != len(dims) or
                 any(a is not None and a != b for a, b in zip(declared, dims)))):
            return (INCONSISTENT, f"test data input {vi.name} {dims} contradicts the model's "
                    f"declared {declared}", [])
    shape_args = []
    for name, dims in input_dims.items():
        shape_args += ["--shape", f"{name}=" + "x".join(str(d) for d in dims)]
    status, reason, ops, got = run_hetc(hetc, test_dir, shape_args, timeout)
    if status is not None:
        return status, reason, ops
    if any(o.get("shape") is None or None in o.get("shape") for o in got):
        # an output's shape depends on input values (a Reshape target fed as an input):
        # bind the inputs to the test data's tensors and require every shape then
        bind_args = []
        for vi, path in zip(real_inputs, numbered(data[0], "input")):
            bind_args += ["--bind", f"{vi.name}={path}"]
        status, reason, ops, got = run_hetc(hetc, test_dir, bind_args, timeout)
        if status is not None:
            return status, "with --bind: " + reason, ops
    want_names = [vi.name for vi in model.graph.output]
    if [o.get("name") for o in got] != want_names:
        return FAIL, f"wrong outputs: names {[o.get('name') for o in got]} != {want_names}", []
    # the graph's declared type; the .pb's when undeclared (the data stores bfloat16 as uint16)
    want_types = {vi.name: dtype_name(vi.type.tensor_type.elem_type or t.data_type)
                  for vi, t in zip(model.graph.output, outputs)}
    for o, t in zip(got, outputs):
        want = list(t.dims)
        shape = o.get("shape")
        if shape != want:
            kind = "unknown dims" if shape is None or None in shape else "wrong shape"
            return FAIL, f"{kind}: output {o['name']} {json.dumps(shape)} != {want}", []
        if o.get("dtype") != want_types[o["name"]]:
            return FAIL, (f"wrong dtype: output {o['name']} {o.get('dtype')!r} != "
                          f"{want_types[o['name']]!r}"), []
    return PASS, "", []


def run_hetc(hetc, test_dir, extra, timeout):
    """Runs hetc inspect --json; (status, reason, ops, outputs) with status None when it ran
    cleanly and printed its outputs."""
    cmd = [hetc, "inspect", str(test_dir / "model.onnx"), "--json"] + extra
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return FAIL, f"timeout: after {timeout} s", [], None
    err = p.stderr
    if any(mark in err for mark in SANITIZER_MARKS):
        mark = next(l for l in err.splitlines() if any(m in l for m in SANITIZER_MARKS))
        return FAIL, f"sanitizer: {first_line(mark)}", [], None
    if p.returncode < 0:
        return FAIL, f"signal: killed by signal {-p.returncode}", [], None
    try:
        report = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        report = "bad"
    if p.returncode == 2:
        ops = [u.get("op", "?") for u in (report or {}).get("unsupported", [])] \
            if isinstance(report, dict) else []
        if ops:
            return UNSUPPORTED, "unsupported: " + ", ".join(sorted(set(ops))), \
                sorted(set(ops)), None
        if REFUSAL.search(err):
            # a known op with an attribute, dtype or form hetc refuses, clearly
            return REFUSED, "refused: " + first_line(err), ["(refused)"], None
        return FAIL, "exit 2 on a valid model: " + (first_line(err) or "(no stderr)"), [], None
    if p.returncode != 0:
        return FAIL, f"exit {p.returncode}: {first_line(err) or '(no stderr)'}", [], None
    if not isinstance(report, dict):
        return FAIL, "bad JSON: exit 0 but stdout is not one JSON object", [], None
    if report.get("unsupported"):
        return FAIL, f"exit 0 with unsupported: {report['unsupported']}", [], None
    got = report.get("outputs")
    if not isinstance(got, list):
        return FAIL, "bad JSON: no outputs list", [], None
    return None, "", [], got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hetc", required=True, help="path to the hetc binary")
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--suite", action="append", choices=SUITES + ("all",),
                    help="test suite under DATA (default node; repeatable)")
    ap.add_argument("-k", dest="filter", default="", help="only tests whose name has SUBSTR")
    ap.add_argument("-j", "--jobs", type=int, default=min(4, max(2, os.cpu_count() or 2)))
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per hetc run")
    ap.add_argument("--list-failures", action="store_true",
                    help="also print the failing tests' names alone, one a line")
    ap.add_argument("--verbose", action="store_true",
                    help="print the unsupported-op histogram and every skipped test")
    args = ap.parse_args()

    hetc = str(Path(args.hetc).resolve())
    if not os.access(hetc, os.X_OK):
        print(f"error: {args.hetc} is not an executable", file=sys.stderr)
        return 1
    suites = args.suite or ["node"]
    if "all" in suites:
        suites = list(SUITES)
    tests = []
    for suite in dict.fromkeys(suites):
        folder = Path(args.data) / suite
        if not folder.is_dir():
            print(f"error: no test suite at {folder}", file=sys.stderr)
            return 1
        tests += [(f"{suite}/{d.name}", d) for d in sorted(folder.glob("test_*"))
                  if (d / "model.onnx").is_file() and args.filter in d.name]
    if not tests:
        print("error: no tests selected", file=sys.stderr)
        return 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {name: pool.submit(run_test, hetc, d, args.timeout) for name, d in tests}
        results = {}
        for name, fut in futures.items():
            try:
                results[name] = fut.result()
            except Exception as e:  # a harness bug on one test must not stop the others
                results[name] = (FAIL, f"harness error: {type(e).__name__}: {e}", [])

    by_status = collections.defaultdict(list)
    for name, (status, reason, _) in results.items():
        by_status[status].append((name, reason))
    failed = by_status[FAIL]
    skipped = by_status[UNSUPPORTED] + by_status[REFUSED] + by_status[INCONSISTENT]

    if args.verbose:
        hist = collections.Counter(op for st, _, ops in results.values()
                                   if st == UNSUPPORTED for op in ops)
        print(f"# unsupported ops ({len(by_status[UNSUPPORTED])} tests):")
        for op, n in hist.most_common():
            print(f"#   {op:32s} {n}")
        for name, reason in sorted(skipped):
            print(f"SKIP {name}: {reason}")
    if failed:
        print(f"# {len(failed)} supported tests failed:")
        kinds = collections.Counter(r.split(":")[0] for _, r in failed)
        for name, reason in sorted(failed):
            print(f"FAIL {name}: {reason}")
        print("# failure kinds: " + "; ".join(f"{k} x{n}" for k, n in kinds.most_common()))
    if args.list_failures:
        for name, _ in sorted(failed):
            print(name)
    print(f"# skipped: {len(by_status[UNSUPPORTED])} unsupported ops, "
          f"{len(by_status[REFUSED])} refused forms, "
          f"{len(by_status[INCONSISTENT])} with inconsistent test data")
    print(f"{len(by_status[PASS])} passed, {len(failed)} failed, {len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
