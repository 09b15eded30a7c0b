#!/usr/bin/env python3
"""split_plans.py --hetc PATH --examples DIR --target SPLIT_PAYS.xml

What --strategy split makes of the examples (plans only, --no-build; run_models.py runs them):

- On a description whose figures make dividing pay (tests/cli/split-pays.xml), resnet18 and
  mobilenetv2 are divided: every "NAME/join" step (a Concat, on cpu0) follows a "NAME/split0" on
  cpu0 and a "NAME/split1" on ocl0 somewhere before it, each with cause "split"; mobilenetv2's
  depthwise Convs are divided without a join after the Conv that feeds them (the chain keeps its
  slices); the plan is predicted faster than --strategy cpu on the same description.
- On devices/host-split-copy.xml (two memories) nothing is divided.

Skipped (77) without an OpenCL device (the descriptions name PoCL's), unless
HETC_REQUIRE_OPENCL=1.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
from opencl_probe import opencl_devices  # noqa: E402

results = {"passed": 0, "failed": 0}


def report(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""),
          flush=True)


def plan(args, tmp, model, strategy, target):
    out = Path(tmp) / (model + "-" + strategy + "-" + Path(target).stem)
    p = subprocess.run([args.hetc, "compile", str(Path(args.examples) / (model + ".onnx")),
                        "-o", str(out), "--strategy", strategy, "--target", target,
                        "--no-build"], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        report("%s %s on %s" % (model, strategy, target), False, p.stderr.strip())
        return None
    return json.loads((out / (model + ".plan.json")).read_text())


def check_divided(model, split, cpu):
    steps = split["steps"]
    seen = {}
    joins = 0
    ok = True
    for s in steps:
        seen[s["node"]] = s
        if s["node"].endswith("/join"):
            joins += 1
            base = s["node"][:-len("/join")]
            # the parts of the chain's last node come before its join, one on each processor
            a, b = seen.get(base + "/split0"), seen.get(base + "/split1")
            ok &= (s["op"] == "Concat" and s["processor"] == "cpu0" and a is not None and
                   b is not None and a["processor"] == "cpu0" and b["processor"] == "ocl0" and
                   a["cause"] == b["cause"] == s["cause"] == "split")
    report(model + ": divided, parts on both processors before each join", ok and joins > 0,
           "%d joins" % joins)
    report(model + ": predicted faster than cpu alone", split["predicted_ms"] < cpu["predicted_ms"],
           "%.3f ms against %.3f" % (split["predicted_ms"], cpu["predicted_ms"]))
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--examples", required=True)
    ap.add_argument("--target", required=True)
    args = ap.parse_args()
    n, why = opencl_devices()
    if n == 0:
        print("skipped: " + why)
        return 1 if os.environ.get("HETC_REQUIRE_OPENCL") == "1" else 77
    copy = str(Path(args.target).resolve().parents[2] / "devices" / "host-split-copy.xml")
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("resnet18", "mobilenetv2"):
            split = plan(args, tmp, model, "split", args.target)
            cpu = plan(args, tmp, model, "cpu", args.target)
            if not split or not cpu:
                continue
            seen = check_divided(model, split, cpu)
            if model == "mobilenetv2":
                # a depthwise Conv divided, reading the slices of the Conv before it
                chained = [k[:-len(".dw/split1")] for k in seen if k.endswith(".dw/split1")]
                kept = [c for c in chained if c + ".expand/split1" in seen and
                        c + ".expand/join" not in seen]
                report(model + ": chains keep their slices", len(kept) > 0,
                       "divided depthwise %s, kept %s" % (chained, kept))
            two = plan(args, tmp, model, "split", copy)
            if two:
                parts = [s["node"] for s in two["steps"] if "/split" in s["node"]]
                report(model + ": nothing divided across two memories", not parts,
                       ", ".join(parts[:4]))
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
