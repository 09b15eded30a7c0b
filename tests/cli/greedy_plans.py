#!/usr/bin/env python3
"""greedy_plans.py --hetc PATH --devices DIR --examples DIR

--strategy greedy on the simulated SoCs of devices/ (planned and predicted with --no-build, so no
OpenCL device is needed), for every generated example:

- greedy's plan is predicted (plan.json's predicted_ms, the whole cost model's schedule) no
  slower than the cpu and gpu plans of the same target: greedy falls back to one processor where
  spreading does not pay, and counts the copies a spread plan makes across memories on the lane
  of the processor that makes them (the Jetson's GPU is behind a copy link);
- every step's cause is one greedy gives: earliest finish, transfer too dear, the only processor
  that can run it, strategy (a fallback to one processor);
- greedy does spread where the description makes it pay: on at least one (target, example) the
  plan uses two processors or more.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TARGETS = ("snapdragon-8gen2", "dimensity-9200", "jetson-orin-nano")
CAUSES = {"earliest finish", "transfer too dear", "the only processor that can run it",
          "strategy"}


def plan(hetc, model, target, strategy, out):
    """plan.json of one compile, or None (the reason printed)"""
    p = subprocess.run([hetc, "compile", str(model), "--target", str(target), "--strategy",
                        strategy, "--no-build", "-o", str(out)],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        print("FAIL %s %s %s: exit %d: %s" % (model.stem, target.stem, strategy, p.returncode,
                                             p.stderr.strip()), flush=True)
        return None
    return json.loads((out / (model.stem + ".plan.json")).read_text())


def check(hetc, model, target, work):
    """(failures, spread) for one model on one target"""
    plans = {}
    for s in ("cpu", "gpu", "greedy"):
        plans[s] = plan(hetc, model, target, s, work / (model.stem + "-" + target.stem + "-" + s))
        if plans[s] is None:
            return 1, False
    name = "%s on %s" % (model.stem, target.stem)
    fails = 0
    best = min(plans["cpu"]["predicted_ms"], plans["gpu"]["predicted_ms"])
    greedy = plans["greedy"]
    if greedy["predicted_ms"] > best * (1 + 1e-6) + 1e-6:
        print("FAIL %s: greedy predicted %.4f ms, one processor %.4f ms"
              % (name, greedy["predicted_ms"], best), flush=True)
        fails += 1
    causes = {s["cause"] for s in greedy["steps"]}
    if not causes <= CAUSES:
        print("FAIL %s: causes %s" % (name, sorted(causes - CAUSES)), flush=True)
        fails += 1
    procs = {s["processor"] for s in greedy["steps"]}
    print("%s %s: greedy %.3f ms on %s, cpu %.3f, gpu %.3f" % (
        "ok  " if not fails else "FAIL", name, greedy["predicted_ms"], ",".join(sorted(procs)),
        plans["cpu"]["predicted_ms"], plans["gpu"]["predicted_ms"]), flush=True)
    return fails, len(procs) > 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--devices", required=True)
    ap.add_argument("--examples", required=True)
    args = ap.parse_args()
    hetc = str(Path(args.hetc).resolve())
    models = sorted(Path(args.examples).glob("*.onnx"))
    if not models:
        print("FAIL no examples in %s" % args.examples)
        return 1
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(check, hetc, m, Path(args.devices) / (t + ".xml"), Path(tmp))
                for t in TARGETS for m in models]
        results = [j.result() for j in jobs]
    fails = sum(f for f, _ in results)
    if not any(s for _, s in results):
        print("FAIL greedy spread no plan over two processors")
        fails += 1
    print("%d checked, %d failed" % (len(results), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
