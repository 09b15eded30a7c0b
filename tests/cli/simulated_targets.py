#!/usr/bin/env python3
"""simulated_targets.py --hetc PATH --devices DIR --examples DIR [--models DIR]

The simulated SoCs of devices/ (snapdragon-8gen2.xml, dimensity-9200.xml, jetson-orin-nano.xml:
docs/devices.md, "Simulated targets"), planned and predicted, never run:

- every description validates: each generated example and, when the folder is there, each
  shared model (its input shapes from reference.json) compiles with --no-build under strategies
  cpu, gpu and random (seeds 1, 2, 3) on each of them, exit 0, writing NAME.plan.json and no C
  source;
- the plan predicts: predicted_ms above 0, every step and transfer within it (start <= end <=
  predicted_ms), every step's time from the description's figures (source "description": each
  processor gives a rate for every class);
- cpu puts every step on the target's first cpu processor and gpu on its gpu, but for the steps
  that processor cannot run (cause "the only processor that can run it");
- the NPU gets only the ops its <supports> lists (every op of a step, fused ones included, read
  from the description itself), and float32 plans do reach it (the models are float32: the NPU
  accepts float32 at its FP16 rate), at least one step per description over the random plans;
- the phone SoCs share one memory (no transfers); the Jetson's GPU memory is behind a copy
  link, so its random and gpu plans have transfers with bytes and a time;
- --explain prints the plan and its predicted latency, plan.json's predicted_ms;
- building (no --no-build) is refused: exit 2, one line naming the simulated processor and
  --no-build, and no binary;
- a target whose description has figures needs no profile: with HETC_PROFILE unset and an empty
  HETC_CACHE_DIR, compile plans without writing a profile there.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TARGETS = ("snapdragon-8gen2", "dimensity-9200", "jetson-orin-nano")
STRATEGIES = (("cpu", None), ("gpu", None), ("random", 1), ("random", 2), ("random", 3))
ONLY = "the only processor that can run it"
results = {"passed": 0, "failed": 0}


def report(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    if not ok:
        print("FAIL " + name + ": " + why, flush=True)
    return ok


def hetc(*args, env=None):
    p = subprocess.run([HETC, *args], capture_output=True, text=True, timeout=300, env=env)
    return p.returncode, p.stdout, p.stderr


def describe(path):
    """(first cpu id, first gpu id, {npu id: set of ops}) read from the description"""
    root = ET.parse(path).getroot()
    cpu = gpu = None
    npu = {}
    for p in root.findall("processor"):
        kind, pid = p.get("kind"), p.get("id")
        if kind == "cpu" and cpu is None:
            cpu = pid
        if kind == "gpu" and gpu is None:
            gpu = pid
        if kind == "npu":
            ops = set()
            for s in p.findall("supports"):
                ops |= set(s.get("ops").split(","))
            npu[pid] = ops
    return cpu, gpu, npu


def models(examples, shared):
    """[(name, path, --shape flags)]"""
    out = [(m.stem, m, []) for m in sorted(examples.glob("*.onnx"))]
    if shared and shared.is_dir():
        for d in sorted(p for p in shared.iterdir() if (p / "model.onnx").exists()):
            flags = []
            ref = d / "reference.json"
            if ref.exists():
                for i in json.loads(ref.read_text())["inputs"]:
                    flags += ["--shape", i["name"] + "=" + "x".join(map(str, i["shape"]))]
            out.append((d.name, d / "model.onnx", flags))
    else:
        print("skipped: the shared models (%s is not a folder)" % shared)
    return out


def check_plan(tag, plan, strategy, target, info, seen):
    cpu, gpu, npu = info
    pred = plan.get("predicted_ms")
    if not report(tag + ": predicted_ms", isinstance(pred, (int, float)) and pred > 0 and
                  math.isfinite(pred), str(pred)):
        return
    eps = 1e-6 * max(1.0, pred)
    timed = plan["steps"] + plan["transfers"]
    bad = [s for s in timed if not (0 <= s["start_ms"] <= s["end_ms"] <= pred + eps)]
    report(tag + ": steps and transfers within the prediction", not bad, str(bad[:2]))
    src = {s.get("source") for s in plan["steps"]}
    report(tag + ": every step from the description's figures", src == {"description"}, str(src))
    one = {"cpu": cpu, "gpu": gpu}.get(strategy)
    if one:
        off = [s["node"] for s in plan["steps"] if s["processor"] != one and s["cause"] != ONLY]
        report(tag + ": strategy %s on %s" % (strategy, one), not off, str(off[:4]))
    for s in plan["steps"]:
        if s["processor"] in npu:
            seen[target] = seen.get(target, 0) + 1
            ops = s.get("ops", s["op"]).split("+")
            if not report(tag + ": npu step %s (%s) in the NPU's op list" % (s["node"], s["ops"]),
                          all(o in npu[s["processor"]] for o in ops), "not listed"):
                break
    if target.startswith("jetson") and strategy != "cpu":
        tr = plan["transfers"]
        report(tag + ": transfers across the copy link", tr and all(
            t["bytes"] > 0 and t["end_ms"] > t["start_ms"] for t in tr), str(tr[:2]))
    elif not target.startswith("jetson"):
        report(tag + ": one memory, no transfers", not plan["transfers"],
               str(plan["transfers"][:2]))


def check_targets(devices, work, todo):
    seen = {}
    for t in TARGETS:
        desc = devices / (t + ".xml")
        info = describe(desc)
        report(t + ": a cpu, a gpu", info[0] and info[1], str(info))
        jobs = []
        for name, model, flags in todo:
            for strategy, seed in STRATEGIES:
                tag = "%s %s %s%s" % (t, name, strategy, " seed %d" % seed if seed else "")
                out = work / ("%s.%s.%s%s" % (t, name, strategy, seed or ""))
                args = ["compile", str(model), *flags, "-o", str(out), "--name", "m",
                        "--target", str(desc), "--no-build", "--strategy", strategy]
                if seed:
                    args += ["--seed", str(seed)]
                jobs.append((tag, out, strategy, args))
        # two compiles at a time (the CI machines have 2 cores); checked in order
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(lambda j: hetc(*j[3]), jobs))
        for (tag, out, strategy, args), (rc, so, se) in zip(jobs, runs):
            if not report(tag + ": compiles", rc == 0, "exit %d: %s" % (rc, se.strip())):
                continue
            report(tag + ": a plan and no source", (out / "m.plan.json").exists() and
                   not (out / "m.c").exists(), str(sorted(os.listdir(out))))
            check_plan(tag, json.loads((out / "m.plan.json").read_text()), strategy, t, info,
                       seen)
        name, model, flags = todo[0]
        rc, so, se = hetc("compile", str(model), *flags, "-o", str(work / (t + ".explain")),
                          "--name", "m", "--target", str(desc), "--no-build", "--strategy",
                          "random", "--seed", "1", "--explain")
        got = re.search(r"^predicted latency: ([0-9.]+) ms", so, re.M)
        plan = work / (t + ".explain") / "m.plan.json"
        want = json.loads(plan.read_text())["predicted_ms"] if plan.exists() else -1
        report(t + ": --explain predicts the plan's latency", rc == 0 and got and
               abs(float(got.group(1)) - want) <= 1e-3 * want, "exit %d: %s%s (plan %s)" %
               (rc, so[-300:], se, want))
    for t in TARGETS:
        if describe(devices / (t + ".xml"))[2]:
            report(t + ": float32 plans reach the NPU", seen.get(t, 0) > 0, "no step on it")
        else:
            report(t + ": no NPU, none used", seen.get(t, 0) == 0, str(seen.get(t)))


def check_refusals(devices, work, model):
    for t in TARGETS:
        out = work / (t + ".build")
        rc, so, se = hetc("compile", str(model), "-o", str(out), "--name", "m", "--target",
                          str(devices / (t + ".xml")), "--strategy", "random", "--seed", "1")
        lines = se.strip().splitlines()
        report(t + ": building is refused, exit 2, one line", rc == 2 and len(lines) == 1 and
               "simulated" in se and "--no-build" in se, "exit %d: %s" % (rc, se))
        report(t + ": no binary", not (out / "m").exists() and not (out / "m.c").exists(),
               str(sorted(os.listdir(out))) if out.exists() else "")
    # a description with figures plans with them: no profile made, none cached
    env = dict(os.environ)
    env.pop("HETC_PROFILE", None)
    cache = work / "cache"
    cache.mkdir()
    env["HETC_CACHE_DIR"] = str(cache)
    rc, so, se = hetc("compile", str(model), "-o", str(work / "noprofile"), "--name", "m",
                      "--target", str(devices / "snapdragon-8gen2.xml"), "--no-build", env=env)
    report("figures in the description: no profile", rc == 0 and not any(cache.iterdir()),
           "exit %d: %s; cache %s" % (rc, se, sorted(os.listdir(cache))))


def main():
    global HETC
    ap = argparse.ArgumentParser()
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--devices", required=True, type=Path)
    ap.add_argument("--examples", required=True, type=Path)
    ap.add_argument("--models", type=Path)
    a = ap.parse_args()
    HETC = a.hetc
    todo = models(a.examples, a.models)
    if not todo:
        print("FAIL: no examples in %s (the gen_examples fixture makes them)" % a.examples)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        check_targets(a.devices, work, todo)
        check_refusals(a.devices, work, todo[0][1])
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
