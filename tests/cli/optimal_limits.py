#!/usr/bin/env python3
"""optimal_limits.py --hetc PATH --devices DIR

--strategy optimal at the command line (plans only, --no-build) over the simulated SoC
devices/snapdragon-8gen2.xml (5 processors: at most floor(256 / log2 5) = 110 steps with a choice
are searched), on models made here:

- a chain of 60 Convs: placed, exit 0; every step's cause is "optimal" or "the only processor that
  can run it"; with --place Conv=gpu every step is on gpu, "forced by --place".
- 400 independent steps (y_i = x + c_i, each a graph output): refused, exit 2, one line on stderr
  naming the strategy, the limit and the other strategies, and no plan written.
- 60 independent steps: within the limit, but the search passes its budget (five processors,
  sixty equal jobs): refused the same way, saying so.
"""
import argparse
import json
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
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""),
          flush=True)


def branches(path, n):
    """x [1, 8, 4, 4]; y_i = x + c_i for i < n, each a graph output"""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 4, 4])
    nodes, inits, outs = [], [], []
    for i in range(n):
        c = np.full([1, 8, 1, 1], i + 1, np.float32)
        inits.append(numpy_helper.from_array(c, "c%d" % i))
        nodes.append(helper.make_node("Add", ["x", "c%d" % i], ["y%d" % i], name="add%d" % i))
        outs.append(helper.make_tensor_value_info("y%d" % i, TensorProto.FLOAT, [1, 8, 4, 4]))
    g = helper.make_graph(nodes, "branches", [x], outs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, str(path))


def chain(path, n):
    """x [1, 8, 4, 4]; n 1x1 Convs of 8 channels one after the other"""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 4, 4])
    y = helper.make_tensor_value_info("y%d" % (n - 1), TensorProto.FLOAT, [1, 8, 4, 4])
    nodes, inits, prev = [], [], "x"
    rng = np.random.default_rng(7)
    for i in range(n):
        w = rng.standard_normal([8, 8, 1, 1]).astype(np.float32) / 8
        inits.append(numpy_helper.from_array(w, "w%d" % i))
        nodes.append(helper.make_node("Conv", [prev, "w%d" % i], ["y%d" % i], name="conv%d" % i))
        prev = "y%d" % i
    m = helper.make_model(helper.make_graph(nodes, "chain", [x], [y], inits),
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, str(path))


def compile_plan(args, model, out, extra=()):
    return subprocess.run([args.hetc, "compile", str(model), "-o", str(out), "--name", "m",
                           "--strategy", "optimal", "--target", args.soc, "--no-build",
                           *extra], capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--devices", required=True)
    args = ap.parse_args()
    args.soc = str(Path(args.devices) / "snapdragon-8gen2.xml")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small, large, wide = tmp / "small.onnx", tmp / "large.onnx", tmp / "wide.onnx"
        chain(small, 60)
        branches(large, 400)
        branches(wide, 60)

        p = compile_plan(args, small, tmp / "small")
        ok = p.returncode == 0
        plan = json.loads((tmp / "small" / "m.plan.json").read_text()) if ok else {"steps": []}
        causes = {s["cause"] for s in plan["steps"]}
        ok = ok and len(plan["steps"]) >= 60 and plan["strategy"] == "optimal" and causes <= {
            "optimal", "the only processor that can run it"} and "optimal" in causes
        report("a chain of 60 steps placed", ok,
               "exit %d, causes %s: %s" % (p.returncode, sorted(causes), p.stderr.strip()))

        p = compile_plan(args, small, tmp / "forced", ["--place", "Conv=gpu"])
        ok = p.returncode == 0
        plan = json.loads((tmp / "forced" / "m.plan.json").read_text()) if ok else {"steps": []}
        convs = [s for s in plan["steps"] if s["op"] == "Conv"]
        ok = ok and len(convs) == 60 and all(
            s["processor"] == "gpu" and s["cause"] == "forced by --place" for s in convs)
        report("--place Conv=gpu honoured", ok, "exit %d: %s" % (p.returncode, p.stderr.strip()))

        p = compile_plan(args, large, tmp / "large")
        lines = p.stderr.strip().splitlines()
        ok = (p.returncode == 2 and len(lines) == 1 and "strategy optimal" in lines[0] and
              "110" in lines[0] and "use greedy or auto" in lines[0] and
              not (tmp / "large" / "m.plan.json").exists())
        report("400 steps refused", ok, "exit %d: %r" % (p.returncode, p.stderr))

        p = compile_plan(args, wide, tmp / "wide")
        lines = p.stderr.strip().splitlines()
        ok = (p.returncode == 2 and len(lines) == 1 and "passed its budget" in lines[0] and
              "use greedy or auto" in lines[0] and not (tmp / "wide" / "m.plan.json").exists())
        report("60 independent steps over the budget", ok, "exit %d: %r" % (p.returncode,
                                                                            p.stderr))
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
