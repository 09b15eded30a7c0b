#!/usr/bin/env python3
"""profile_from.py --hetc PATH

hetc compile --profile-from TRACE.json (and viz): measured step times in place of the model's.

- A small generated model whose convolutions' names are hostile (quotes, parentheses, a
  backslash, a newline, an empty name twice, a name used twice), each with a Relu fused into it,
  is compiled (strategy cpu), run with
  --iters 20 --trace --json, and compiled again with --profile-from: every step of plan.json takes
  its time from the trace (source "measured"), and predicted_ms is within 5% of the binary's
  median latency over the same runs (up to three tries: the machine may be busy; not with
  --no-timing, which the sanitizer builds pass: the 5% is about the plans users run, and an
  instrumented run, three times slower, is the more exposed to a busy machine).
- The trace names each step's node as the model does (args.node: a fused step, the convolution
  the Relu was fused into), with median_us and runs.
- Refusals, exit 2 with one line naming the trace: a trace of another model (matches no step),
  a trace naming a node the model has not, a file that is not JSON (with its line), a JSON file
  that is no trace, a trace of no steps, a directory, a missing file; for compile and viz alike.
  An empty --profile-from is a usage error (exit 1).
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
from onnx import TensorProto, helper, numpy_helper

results = {"passed": 0, "failed": 0}


def report(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + str(detail)[:600] if not ok else ""),
          flush=True)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    return p.returncode, p.stdout, p.stderr


NAMES = ['conv "a" (b)', "", "", "back\\slash", "line\nbreak", "twice", "twice", "(last)"]


def make_model(path, names, channels=32, size=28, seed=0):
    """A chain of 3x3 convolutions, one per name, each followed by a Relu (fused into it: the
    step keeps the convolution's name)."""
    rng = np.random.default_rng(seed)
    inits, nodes = [], []
    x = "input"
    for i, name in enumerate(names):
        w = rng.standard_normal((channels, channels, 3, 3)).astype(np.float32) * 0.05
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(helper.make_node("Conv", [x, f"w{i}"], [f"c{i}"], name=name,
                                      pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"t{i}"], name=f"relu{i}"))
        x = f"t{i}"
    g = helper.make_graph(
        nodes, "chain",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, channels, size, size])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, channels, size, size])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


def one_line_exit2(rc, err, path):
    lines = err.strip().split("\n")
    return rc == 2 and len(lines) == 1 and lines[0].startswith(str(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="profile_from."))
    model, other = tmp / "chain.onnx", tmp / "other.onnx"
    make_model(model, NAMES)
    make_model(other, ["x0", "x1"], seed=1)
    out = tmp / "out"
    rc, so, se = run([args.hetc, "compile", str(model), "-o", str(out), "--strategy", "cpu"])
    report("the model compiles", rc == 0, se)
    if rc:
        return
    binary = out / "chain"
    trace = tmp / "t.json"

    # measured median against the prediction from the same runs' trace
    best = None
    for attempt in range(3):
        rc, so, se = run([str(binary), "--iters", "20", "--warmup", "3", "--trace", str(trace),
                          "--json"])
        report(f"the binary runs with --trace (try {attempt + 1})", rc == 0, se)
        if rc:
            return
        median = json.loads(so)["latency_ms"]["median"]
        if attempt == 0:
            ev = [e for e in json.loads(trace.read_text())["traceEvents"] if e.get("ph") == "X"]
            report("the trace names every step's node as the model does",
                   sorted(e["args"]["node"] for e in ev) == sorted(NAMES), [e["args"] for e in ev])
            report("every step has median_us and runs 20",
                   all(e["args"]["runs"] == 20 and e["args"]["median_us"] > 0 for e in ev),
                   [e["args"] for e in ev])
        out2 = tmp / "out2"
        rc, so, se = run([args.hetc, "compile", str(model), "-o", str(out2), "--strategy", "cpu",
                          "--profile-from", str(trace), "--no-build"])
        report(f"compile --profile-from (try {attempt + 1})", rc == 0, se)
        if rc:
            return
        plan = json.loads((out2 / "chain.plan.json").read_text())
        if attempt == 0:
            report("every step's time is measured",
                   all(s.get("source") == "measured" for s in plan["steps"]), plan["steps"])
        err = abs(plan["predicted_ms"] - median) / median
        best = err if best is None else min(best, err)
        print(f"     predicted {plan['predicted_ms']:.4f} ms, measured median {median:.4f} ms, "
              f"error {100 * err:.1f}%")
        if err <= 0.05 or args.no_timing:
            break
    if not args.no_timing:
        report("predicted_ms within 5% of the measured median", best is not None and
               best <= 0.05, f"best error {best}")

    # a trace of another model
    oout = tmp / "oout"
    rc, so, se = run([args.hetc, "compile", str(other), "-o", str(oout), "--strategy", "cpu"])
    otrace = tmp / "other.json"
    rc2 = run([str(oout / "other"), "--iters", "2", "--trace", str(otrace)])[0] if rc == 0 else 1
    report("the other model compiles and runs", rc == 0 and rc2 == 0, se)
    # a trace naming one node of the model and one it has not
    t = json.loads(trace.read_text())
    steps = [e for e in t["traceEvents"] if e.get("ph") == "X"]
    steps[0]["args"]["node"] = "no such \u202e node"
    mixed = tmp / "mixed.json"
    mixed.write_text(json.dumps(t))
    notjson = tmp / "notjson.json"
    notjson.write_text('{"traceEvents": [\n  {"ph": "X", "dur": 1,,}\n]}\n')
    notrace = tmp / "notrace.json"
    notrace.write_text('{"displayTimeUnit": "ms"}')
    nosteps = tmp / "nosteps.json"
    nosteps.write_text('{"traceEvents": [{"name": "process_name", "ph": "M", "args": {}}]}')
    cases = [
        (otrace, "matches no step of this plan (a trace of another model?)"),
        (mixed, 'step "no such \\xe2\\x80\\xae node" on cpu0: the model has no node of that name'),
        (notjson, "not JSON: line 2: expected a string key, found ','"),
        (notrace, 'not a trace (no "traceEvents" array)'),
        (nosteps, "no step events"),
        (tmp, "not a regular file (a directory)"),
        (tmp / "missing.json", "cannot open: No such file or directory"),
    ]
    for cmd in ("compile", "viz"):
        for path, what in cases:
            o = ["-o", str(tmp / "x")] if cmd == "compile" else ["-o", str(tmp / "x.dot")]
            more = ["--no-build"] if cmd == "compile" else []
            rc, so, se = run([args.hetc, cmd, str(model), *o, "--strategy", "cpu",
                              "--profile-from", str(path), *more])
            report(f"{cmd} --profile-from {path.name}: exit 2, one line: {what}",
                   one_line_exit2(rc, se, path) and what in se, (rc, se))
        rc, so, se = run([args.hetc, cmd, str(model), "-o", str(tmp / "x.dot"),
                          "--profile-from", ""])
        report(f"{cmd} --profile-from '': usage error", rc == 1 and "--profile-from" in se,
               (rc, se))


if __name__ == "__main__":
    os.environ.setdefault("HETC_PROFILE", "off")
    main()
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
