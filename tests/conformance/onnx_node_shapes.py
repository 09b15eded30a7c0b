#!/usr/bin/env python3
"""ONNX backend tests as a shape-inference conformance suite for `hetc inspect --json`.

What it checks
  Each test dir (DATA/SUITE/test_*/) has model.onnx and test_data_set_*/input_K.pb, output_K.pb.
  hetc is run as `hetc inspect model.onnx --json --shape NAME=DIMS...`, one --shape per real
  graph input (initializers listed among the graph inputs are not overridden), with the dims of
  test_data_set_0/input_K.pb (K-th real input, in order). Then:
    exit 2 with a non-empty `unsupported` or a stderr diagnostic -> skipped as unsupported;
    otherwise exit 0 is required, and every output must have the graph output's name and
    dtype (output_K.pb's dtype where the graph declares none) and output_K.pb's dims.
  Tests whose inputs or outputs are not plain tensors (sequences, optionals, maps) are skipped
  as unsupported without running hetc. When hetc leaves an output dim unknown (null) and ONNX's
  own shape inference cannot fix it from the input shapes either (the shape depends on input
  *values*: Reshape/Expand/Tile/Slice/Resize fed from graph inputs, NonZero, ...), the test is
  skipped as "value-dependent"; a null dim ONNX *can* infer is a failure, and so is any wrong dim.
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
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, shape_inference

SUITES = ("node", "simple", "pytorch-converted", "pytorch-operator")
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

PASS, FAIL, UNSUPPORTED, VALUE_DEPENDENT = "pass", "fail", "unsupported", "value-dependent"


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


def onnx_can_infer(model, input_dims, output_name, expected):
    """Can ONNX shape inference, given only the input shapes, find this output's dims?"""
    m = onnx.ModelProto.FromString(model.SerializeToString())
    for vi in m.graph.input:
        if vi.name in input_dims:
            shape = vi.type.tensor_type.shape
            shape.ClearField("dim")
            for d in input_dims[vi.name]:
                shape.dim.add().dim_value = d
    for vi in m.graph.output:  # forget the declared answer
        vi.type.tensor_type.ClearField("shape")
    del m.graph.value_info[:]
    try:
        m = shape_inference.infer_shapes(m, data_prop=True)
    except Exception:
        return False
    for vi in m.graph.output:
        if vi.name == output_name and vi.type.tensor_type.HasField("shape"):
            dims = vi.type.tensor_type.shape.dim
            return [d.dim_value if d.HasField("dim_value") else None for d in dims] == expected
    return False


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
    cmd = [hetc, "inspect", str(test_dir / "model.onnx"), "--json"]
    for name, dims in input_dims.items():
        cmd += ["--shape", f"{name}=" + "x".join(str(d) for d in dims)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return FAIL, f"timeout: after {timeout} s", []
    err = p.stderr
    if any(mark in err for mark in SANITIZER_MARKS):
        mark = next(l for l in err.splitlines() if any(m in l for m in SANITIZER_MARKS))
        return FAIL, f"sanitizer: {first_line(mark)}", []
    if p.returncode < 0:
        return FAIL, f"signal: killed by signal {-p.returncode}", []
    try:
        report = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        report = "bad"
    if p.returncode == 2:
        ops = [u.get("op", "?") for u in (report or {}).get("unsupported", [])] \
            if isinstance(report, dict) else []
        if ops:
            return UNSUPPORTED, "unsupported: " + ", ".join(sorted(set(ops))), sorted(set(ops))
        if err.strip():
            return UNSUPPORTED, "diagnostic: " + first_line(err), ["(diagnostic only)"]
        return FAIL, "exit 2: no diagnostic and no unsupported list", []
    if p.returncode != 0:
        return FAIL, f"exit {p.returncode}: {first_line(err) or '(no stderr)'}", []
    if not isinstance(report, dict):
        return FAIL, "bad JSON: exit 0 but stdout is not one JSON object", []
    if report.get("unsupported"):
        return FAIL, f"exit 0 with unsupported: {report['unsupported']}", []

    got = report.get("outputs")
    want_names = [vi.name for vi in model.graph.output]
    if not isinstance(got, list) or [o.get("name") for o in got] != want_names:
        names = [o.get("name") for o in got] if isinstance(got, list) else got
        return FAIL, f"wrong outputs: names {names} != {want_names}", []
    # the graph's declared type; the .pb's when undeclared (the data stores bfloat16 as uint16)
    want_types = {vi.name: dtype_name(vi.type.tensor_type.elem_type or t.data_type)
                  for vi, t in zip(model.graph.output, outputs)}
    value_dependent = False
    for o, t in zip(got, outputs):
        want = list(t.dims)
        shape = o.get("shape")
        if shape != want:
            has_unknown = shape is None or None in shape
            if (has_unknown and (shape is None or len(shape) == len(want))
                    and all(a is None or a == b for a, b in zip(shape or [], want))
                    and not onnx_can_infer(model, input_dims, o["name"], want)):
                value_dependent = True
                continue
            kind = "unknown dims" if has_unknown else "wrong shape"
            return FAIL, f"{kind}: output {o['name']} {json.dumps(shape)} != {want}", []
        if o.get("dtype") != want_types[o["name"]]:
            return FAIL, (f"wrong dtype: output {o['name']} {o.get('dtype')!r} != "
                          f"{want_types[o['name']]!r}"), []
    if value_dependent:
        return VALUE_DEPENDENT, "output shape depends on input values", []
    return PASS, "", []


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
    skipped = by_status[UNSUPPORTED] + by_status[VALUE_DEPENDENT]

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
    print(f"# skipped: {len(by_status[UNSUPPORTED])} unsupported, "
          f"{len(by_status[VALUE_DEPENDENT])} value-dependent output shapes")
    print(f"{len(by_status[PASS])} passed, {len(failed)} failed, {len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
