#!/usr/bin/env python3
"""Check `hetc inspect --json` shapes and FLOPs against reference models.

What it checks
  (a) Every folder of the reference-models directory (model.onnx + reference.json):
      `hetc inspect MODEL --json --shape NAME=DIMS...` (one --shape per reference input) must
      exit 0 and report the same output names, shapes and dtypes as reference.json.
  (b) Every *.onnx under the examples directory (generated models, no reference file): the
      output shapes come from ONNX Runtime, run on seeded random inputs of the declared input
      shapes/dtypes (symbolic dims are set to 1 and passed to hetc with --shape too).
  FLOPs: the script computes 2 x the multiply-adds of the Conv/Gemm/MatMul nodes from ONNX shape
  inference (falling back to an ONNX Runtime run where that leaves shapes unknown) and prints
  it next to hetc's `flops`. For every model hetc's flops must be > 0 and at least 97% of that
  count (those layers alone cost that much); for examples named resnet18.onnx and
  mobilenetv2.onnx it must lie within 3% of it.

Output: one PASS/FAIL line per model, then `N passed, N failed` (`, N skipped` when something
was skipped; the reason is printed). Exit status 1 if anything failed.

Run
  .venv/bin/python tests/models/check_shapes.py --hetc build/tools/hetc \
      [--models DIR] [--examples DIR]
  DIR defaults: --models = $HETC_MODELS or ../shared/models (beside the repo root);
                --examples = $HETC_EXAMPLES, else the models that examples/gen_models.py
                writes into a temporary folder (generated on the fly, about 2 s).
  The examples dir is searched recursively for *.onnx.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, shape_inference

REPO = Path(__file__).resolve().parents[2]
HETC_TIMEOUT_S = 120
FLOPS_TOLERANCE = 0.03
FLOPS_CHECKED = ("resnet18.onnx", "mobilenetv2.onnx")


def dtype_name(elem_type):
    """numpy-style name of an ONNX TensorProto data type (as hetc prints it)."""
    special = {TensorProto.STRING: "string", TensorProto.BFLOAT16: "bfloat16"}
    if elem_type in special:
        return special[elem_type]
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).name
    except Exception:  # float8 and other types numpy has no name for
        return TensorProto.DataType.Name(elem_type).lower()


def shape_arg(name, dims):
    return "--shape", f"{name}=" + "x".join(str(int(d)) for d in dims)


def run_hetc(hetc, model, shapes):
    """Run `hetc inspect --json`; return (exit status, parsed JSON or None, stderr text)."""
    cmd = [hetc, "inspect", str(model), "--json"]
    for name, dims in shapes:
        cmd += shape_arg(name, dims)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=HETC_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, None, f"timed out after {HETC_TIMEOUT_S} s"
    try:
        report = json.loads(p.stdout)
    except ValueError:
        report = None
    return p.returncode, report, p.stderr.strip()


def first_line(text, limit=200):
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[:limit] + "..."


# --- reference FLOPs: 2 x multiply-adds of Conv / Gemm / MatMul ---------------------------------

def inferred_shapes(model, input_shapes):
    """Fix the real graph inputs to `input_shapes` and run ONNX shape inference.
    Returns {value name: list of dims (None when unknown)}."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    inits = {t.name for t in model.graph.initializer}
    for vi in model.graph.input:
        if vi.name in inits or vi.name not in input_shapes:
            continue
        shape = vi.type.tensor_type.shape
        shape.ClearField("dim")
        for d in input_shapes[vi.name]:
            shape.dim.add().dim_value = int(d)
    model = shape_inference.infer_shapes(model, data_prop=True)
    shapes = {}
    for vi in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape"):
            shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None
                               for d in tt.shape.dim]
    for t in model.graph.initializer:
        shapes[t.name] = list(t.dims)
    for node in model.graph.node:  # Constant weights (e.g. paddle2onnx models)
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    shapes[node.output[0]] = list(a.t.dims)
    return model, shapes


def known(*shapes):
    return all(s is not None and all(d is not None for d in s) for s in shapes)


def node_macs(node, shapes):
    """Multiply-adds of one Conv/Gemm/MatMul node, or None when its shapes are unknown."""
    get = lambda i: shapes.get(node.input[i]) if i < len(node.input) else None
    out = shapes.get(node.output[0])
    if node.op_type == "Conv":
        w = get(1)
        if not known(w, out):
            return None
        # each output element needs (C / group) * prod(kernel) multiply-adds = prod(w[1:])
        return int(np.prod(out, dtype=np.int64)) * int(np.prod(w[1:], dtype=np.int64))
    if node.op_type == "Gemm":
        a = get(0)
        if not known(a, out):
            return None
        trans_a = next((x.i for x in node.attribute if x.name == "transA"), 0)
        k = a[0] if trans_a else a[1]
        return int(np.prod(out, dtype=np.int64)) * k
    if node.op_type == "MatMul":
        a = get(0)
        if not known(a, out):
            return None
        return int(np.prod(out, dtype=np.int64)) * a[-1]
    return 0


def ort_value_shapes(model, input_shapes):
    """Exact shapes of every top-level value, from an ONNX Runtime run that exposes all node
    outputs (random inputs). Used only where ONNX shape inference leaves dims unknown."""
    import onnxruntime as ort

    model = onnx.ModelProto.FromString(model.SerializeToString())
    declared = {o.name for o in model.graph.output}
    for node in model.graph.node:
        for name in node.output:
            if name and name not in declared:
                model.graph.output.add().name = name
                declared.add(name)
    inits = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(1234)
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        dt = helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
        dims = input_shapes[vi.name]
        feeds[vi.name] = (rng.random(dims) if np.issubdtype(dt, np.floating)
                          else rng.integers(0, 10, dims)).astype(dt)
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return {n: list(np.shape(v)) for n, v in zip(names, sess.run(names, feeds))}


def reference_flops(model, input_shapes):
    """2 x MACs of Conv/Gemm/MatMul (top-level graph), from ONNX shape inference; where that
    leaves shapes unknown, from an ONNX Runtime run. Returns (flops, how the shapes were got)."""
    _, shapes = inferred_shapes(model, input_shapes)
    mm = [n for n in model.graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]
    source = "onnx shape inference"
    if any(node_macs(n, shapes) is None for n in mm):
        exact = ort_value_shapes(model, input_shapes)
        shapes.update(exact)
        source = "onnx shape inference + onnxruntime"
    macs = [node_macs(n, shapes) for n in mm]
    if any(m is None for m in macs):
        unknown = sum(m is None for m in macs)
        raise ValueError(f"{unknown} Conv/Gemm/MatMul nodes with unknown shapes")
    return 2 * sum(macs), source


# --- checks -----------------------------------------------------------------------------------

def compare(hetc, model_path, shapes, expected, check_flops):
    """Run hetc and compare. expected: list of (name, shape, dtype or None).
    Returns (ok, message)."""
    status, report, err = run_hetc(hetc, model_path, shapes)
    if status is None:
        return False, err
    if status < 0:
        return False, f"killed by signal {-status}"
    if any(mark in err for mark in ("AddressSanitizer", "LeakSanitizer", "runtime error:")):
        return False, f"sanitizer report on stderr: {first_line(err)}"
    if status != 0:
        return False, f"exit {status}: {first_line(err) or '(no stderr)'}"
    if report is None:
        return False, "stdout is not a JSON object"
    outs = report.get("outputs")
    if not isinstance(outs, list):
        return False, "JSON has no outputs list"
    got = [(o.get("name"), o.get("shape")) for o in outs]
    want = [(n, list(s)) for n, s, _ in expected]
    if got != want:
        show = lambda pairs: ", ".join(f"{n} {json.dumps(s)}" for n, s in pairs)
        return False, f"outputs [{show(got)}] != expected [{show(want)}]"
    for o, (name, _, dt) in zip(outs, expected):
        if dt is not None and o.get("dtype") != dt:
            return False, f"output {name}: dtype {o.get('dtype')!r} != {dt!r}"

    flops = report.get("flops")
    if not isinstance(flops, int) or flops <= 0:
        return False, f"flops = {flops!r}, expected > 0"
    try:
        ref, source = reference_flops(onnx.load(str(model_path)), dict(shapes))
        note = f"flops {flops:.4g}, conv/gemm/matmul 2*MACs {ref:.4g}"
        if "onnxruntime" in source:
            note += " (some shapes from onnxruntime)"
    except Exception as e:  # trouble computing the reference must not hide hetc's result
        ref, note = None, f"flops {flops:.4g}, reference n/a ({type(e).__name__}: {e})"
    if ref is not None and flops < (1 - FLOPS_TOLERANCE) * ref:
        return False, f"flops below the Conv/Gemm/MatMul count alone: {note}"
    if check_flops:
        if ref is None or ref <= 0:
            return False, f"cannot compute the reference FLOPs; {note}"
        if abs(flops - ref) > FLOPS_TOLERANCE * ref:
            return False, f"flops off by {100 * (flops - ref) / ref:+.1f}% (> 3%): {note}"
    return True, note


def check_reference_models(hetc, models_dir):
    results = []
    for d in sorted(p for p in models_dir.iterdir() if p.is_dir()):
        ref_file, model = d / "reference.json", d / "model.onnx"
        if not ref_file.is_file() or not model.is_file():
            results.append((d.name, None, "no model.onnx/reference.json"))
            continue
        ref = json.loads(ref_file.read_text())
        shapes = [(i["name"], i["shape"]) for i in ref["inputs"]]
        expected = [(o["name"], o["shape"], o.get("dtype")) for o in ref["outputs"]]
        ok, msg = compare(hetc, model, shapes, expected, check_flops=False)
        results.append((d.name, ok, msg))
    return results


def random_input(vi, rng):
    """Seeded random tensor for a graph input; symbolic/unknown dims become 1."""
    tt = vi.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else 1 for d in tt.shape.dim]
    dt = helper.tensor_dtype_to_np_dtype(tt.elem_type)
    if np.issubdtype(dt, np.floating):
        return dims, rng.random(dims).astype(dt)
    if dt == np.bool_:
        return dims, rng.integers(0, 2, dims).astype(bool)
    return dims, rng.integers(0, 10, dims).astype(dt)


def check_examples(hetc, files):
    import onnxruntime as ort  # only needed here

    results = []
    for path in files:
        try:
            model = onnx.load(str(path))
            inits = {t.name for t in model.graph.initializer}
            rng = np.random.default_rng(1234)
            feeds, shapes = {}, []
            for vi in model.graph.input:
                if vi.name in inits:
                    continue
                dims, value = random_input(vi, rng)
                feeds[vi.name] = value
                shapes.append((vi.name, dims))
            so = ort.SessionOptions()
            so.log_severity_level = 3
            sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
            names = [o.name for o in sess.get_outputs()]
            values = sess.run(names, feeds)
            types = {o.name: o.type.tensor_type.elem_type for o in model.graph.output}
            expected = [(n, list(v.shape), dtype_name(types[n]) if n in types else None)
                        for n, v in zip(names, values)]
        except Exception as e:
            results.append((path.name, False, f"onnxruntime reference failed: {e}"))
            continue
        ok, msg = compare(hetc, path, shapes, expected,
                          check_flops=path.name in FLOPS_CHECKED)
        results.append((path.name, ok, msg))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hetc", required=True, help="path to the hetc binary")
    ap.add_argument("--models", help="reference models dir ($HETC_MODELS, ../shared/models)")
    ap.add_argument("--examples",
                    help="dir of generated *.onnx ($HETC_EXAMPLES, else made by gen_models.py)")
    args = ap.parse_args()

    hetc = str(Path(args.hetc).resolve())
    if not os.access(hetc, os.X_OK):
        print(f"error: {args.hetc} is not an executable", file=sys.stderr)
        return 1
    models_dir = Path(args.models or os.environ.get("HETC_MODELS")
                      or REPO.parent / "shared" / "models")
    examples = args.examples or os.environ.get("HETC_EXAMPLES")

    results = []
    if models_dir.is_dir():
        print(f"# reference models: {models_dir}")
        results += check_reference_models(hetc, models_dir)
    else:
        print(f"# reference models: {models_dir} does not exist -- part (a) not run")
    with tempfile.TemporaryDirectory(prefix="hetc-examples-") as tmp:
        if examples:
            examples_dir = Path(examples)
        else:
            examples_dir = Path(tmp)
            gen = REPO / "examples" / "gen_models.py"
            if gen.is_file():
                p = subprocess.run([sys.executable, str(gen), tmp], capture_output=True, text=True)
                if p.returncode != 0:
                    print(f"# examples: {gen} failed: {first_line(p.stderr)}")
                    results.append(("gen_models.py", False, f"exit {p.returncode}"))
        example_files = sorted(examples_dir.rglob("*.onnx")) if examples_dir.is_dir() else []
        if example_files:
            print(f"# examples: {len(example_files)} *.onnx under {examples_dir}")
            results += check_examples(hetc, example_files)
        else:
            print(f"# examples: no *.onnx under {examples or 'the gen_models.py output'} "
                  "-- part (b) not run")

    passed = failed = skipped = 0
    for name, ok, msg in results:
        if ok is None:
            skipped += 1
            print(f"SKIP {name}: {msg}")
        elif ok:
            passed += 1
            print(f"PASS {name}: {msg}")
        else:
            failed += 1
            print(f"FAIL {name}: {msg}")
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
