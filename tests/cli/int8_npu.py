#!/usr/bin/env python3
"""int8_npu.py --hetc PATH --examples DIR

A simulated accelerator that runs int8 and uint8 only (tests/cli/int8-npu.xml: `<supports ops="*"
dtypes="int8,uint8"/>`) beside a simulated CPU, planned with --no-build by the partitioners that
choose processors (greedy, optimal):

- resnet18_int8 (its Conv and Gemm fused into QLinearConv and QLinearMatMul by passes/qdq.c):
  the accelerator gets most of the integer convolutions (at least 15 of the 20), and no step of
  an op that runs on float32 there (Add, MaxPool, GlobalAveragePool, Flatten, QuantizeLinear, a
  float Conv or Gemm): only QLinearConv, QLinearMatMul and DequantizeLinear (whose input, and so
  whose dtype, is uint8 or int8);
- resnet18 (float32): no step at all on the accelerator.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

INT8_OPS = {"QLinearConv", "QLinearMatMul", "DequantizeLinear"}
failed = 0


def check(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    failed += not ok


def plan(hetc, model, target, strategy, out):
    p = subprocess.run([hetc, "compile", str(model), "-o", str(out), "--target", str(target),
                        "--strategy", strategy, "--no-build"],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        check(False, "%s %s: exit %d: %s" % (model.name, strategy, p.returncode, p.stderr.strip()))
        return None
    return json.loads((out / (model.stem + ".plan.json")).read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--examples", required=True)
    args = ap.parse_args()
    target = Path(__file__).resolve().parent / "int8-npu.xml"
    examples = Path(args.examples)
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in ("greedy", "optimal"):
            p = plan(args.hetc, examples / "resnet18_int8.onnx", target, strategy,
                     Path(tmp) / ("i8_" + strategy))
            if p:
                on_npu = Counter(s["op"] for s in p["steps"] if s["processor"] == "npu")
                convs = sum(s["op"] == "QLinearConv" for s in p["steps"])
                check(convs == 20 and on_npu["QLinearConv"] >= 15,
                      "resnet18_int8 %s: %d of %d QLinearConv on the accelerator"
                      % (strategy, on_npu["QLinearConv"], convs))
                check(set(on_npu) <= INT8_OPS,
                      "resnet18_int8 %s: only integer ops on the accelerator (%s)"
                      % (strategy, ", ".join(sorted(on_npu))))
            p = plan(args.hetc, examples / "resnet18.onnx", target, strategy,
                     Path(tmp) / ("f32_" + strategy))
            if p:
                n = sum(s["processor"] == "npu" for s in p["steps"])
                check(n == 0, "resnet18 %s: %d steps on the accelerator" % (strategy, n))
    print("%s" % ("failed" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
