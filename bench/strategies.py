#!/usr/bin/env python3
"""strategies.py [--hetc HETC] [--models DIR] [--examples DIR] [--targets T,...]
                 [--strategies S,...] [--runs 20] [--rounds 3] [--stream 20] [-k FILTER]
                 [--out FILE] [--json FILE]

Every strategy against every single-processor plan, measured in one run: for each model (the
reference models in HETC_MODELS and the generated examples, found as bench.py finds them) and
each target (`host`, the detected host, and description files), the plans of --strategies are
compiled once; on the detected host the cpu plan is also run at as many threads as CPUs are
online (`cpu@2`: the binary's --threads). Then --rounds rounds each run every plan in turn
(`--json --iters RUNS`), so that a slow moment of the machine falls on all of them alike; a
plan's latency is the median of its rounds' medians. pipeline plans, and the cpu and gpu plans
beside them, also run with `--stream N` for frames per second.

Per model and target it reports each plan's predicted and measured latency, the fastest
single-processor plan (cpu at each thread count, gpu), auto's choice and its measured ratio to
that fastest one (the issue's bound: 1.05), the fastest plan of two processors against the faster
processor alone, greedy's and split's predicted gap to optimal where optimal plans the model,
and pipeline's frames per second against the cpu and gpu plans'. Prints Markdown, writes it to
--out and every figure to --json. Not a test.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (models, inputs and the CPU's name are bench.py's)

SINGLE = ("cpu", "cpu@2", "gpu")


def compile_plan(hetc, model, shapes, target, strategy, out, extra=()):
    cmd = [hetc, "compile", str(model), "-o", str(out), "--name", "m", "--strategy", strategy,
           *extra]
    if target != "host":
        cmd += ["--target", target]
    cmd += [a for k, v in shapes.items() for a in ("--shape", k + "=" + "x".join(map(str, v)))]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    if p.returncode != 0:
        raise RuntimeError((p.stderr.strip() or p.stdout.strip()).splitlines()[-1])
    return out / "m", json.loads((out / "m.plan.json").read_text())


def run(exe, inputs, runs, warmup, threads=None, stream=None):
    cmd = [str(exe), "--json", "--iters", str(runs), "--warmup", str(warmup)]
    cmd += [a for f in inputs for a in ("--input", str(f))]
    if threads:
        cmd += ["--threads", str(threads)]
    if stream:
        cmd += ["--stream", str(stream)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip()[-300:])
    j = json.loads(p.stdout)
    return j["latency_ms"]["median"], j.get("stream", {}).get("fps")


def lanes(plan):
    return sorted({s["processor"] for s in plan["steps"]})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", default=str(Path(__file__).resolve().parent.parent /
                                          "build" / "tools" / "hetc"))
    ap.add_argument("--models", default=os.environ.get("HETC_MODELS", ""))
    ap.add_argument("--examples", default="")
    ap.add_argument("--targets", default="host,devices/host-split.xml")
    ap.add_argument("--strategies", default="cpu,gpu,greedy,optimal,split,pipeline,auto")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--stream", type=int, default=20)
    ap.add_argument("--out", default="")
    ap.add_argument("--json", default="")
    ap.add_argument("-k", dest="filter", default="")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hetc-strategies-"))
    ncpu = os.cpu_count() or 1
    results = []
    for name, model, shapes, files in bench.models(args):
        feeds, inputs = bench.make_inputs(model, shapes, files, work)
        for target in args.targets.split(","):
            plans = {}
            for s in args.strategies.split(","):
                extra = ["--stream", str(args.stream)] if s == "pipeline" else []
                out = work / ("%s-%s" % (s, abs(hash(target)) % 10000))
                try:
                    exe, plan = compile_plan(args.hetc, model, shapes, target, s, out, extra)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    plans[s] = {"refused": str(e)}
                    continue
                plans[s] = {"exe": exe, "plan": plan, "threads": None}
                if s == "cpu" and target == "host" and ncpu > 1:
                    plans["cpu@%d" % ncpu] = {"exe": exe, "plan": plan, "threads": ncpu}
                    plans["cpu"]["threads"] = 1
            meds = {k: [] for k, v in plans.items() if "exe" in v}
            fps = {k: [] for k in ("cpu", "gpu", "pipeline") if k in meds}
            for _ in range(args.rounds):
                for k in meds:
                    p = plans[k]
                    try:
                        m, _ = run(p["exe"], inputs, args.runs, args.warmup, p["threads"])
                        meds[k].append(m)
                        if k in fps:
                            _, f = run(p["exe"], inputs, max(2, args.runs // 4), 1, p["threads"],
                                       args.stream)
                            fps[k].append(f or 0)
                    except (RuntimeError, subprocess.TimeoutExpired) as e:
                        p["failed"] = str(e)
            row = {"model": name, "target": target, "plans": {}}
            for k, p in plans.items():
                r = {"refused": p.get("refused") or p.get("failed")}
                if "exe" in p and meds.get(k) and not p.get("failed"):
                    plan = p["plan"]
                    r.update({"predicted_ms": plan["predicted_ms"],
                              "predicted_frame_ms": plan.get("predicted_frame_ms"),
                              "measured_ms": statistics.median(meds[k]),
                              "lanes": lanes(plan)})
                    if k in fps and fps[k]:
                        r["fps"] = statistics.median(fps[k])
                    if k == "auto":
                        r["chosen"] = plan.get("auto", {}).get("chosen")
                row["plans"][k] = r
            results.append(row)
            line = "  ".join("%s %s" % (k, "%.3f" % v["measured_ms"] if "measured_ms" in v
                                        else "-") for k, v in row["plans"].items())
            print("%-24s %-22s %s" % (name, Path(target).name, line), flush=True)
    if not results:
        print("no plan ran", file=sys.stderr)
        return 1
    text = report(results, args, ncpu)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


def report(results, args, ncpu):
    date = datetime.date.today().isoformat()
    out = ["Machine: %s, %d CPUs, %s; %s. Runs: %d timed after %d warm-up, %d rounds, plans "
           "in turn; streams of %d frames." % (bench.cpu_name(), ncpu, platform.platform(),
                                               date, args.runs, args.warmup, args.rounds,
                                               args.stream), ""]
    for target in dict.fromkeys(r["target"] for r in results):
        rows = [r for r in results if r["target"] == target]
        keys = list(dict.fromkeys(k for r in rows for k in r["plans"]))
        out += ["### %s" % ("the detected host" if target == "host" else target), "",
                "Measured ms (predicted ms); `-` refused. best 1: the fastest single-processor "
                "plan measured; auto/best: auto's measured latency over it.", "",
                "| model | " + " | ".join(keys) + " | best 1 | auto chose | auto/best | best 2 "
                "processors / best 1 |",
                "|---|" + "---|" * (len(keys) + 4)]
        for r in rows:
            p = r["plans"]
            cells = []
            for k in keys:
                v = p.get(k, {})
                cells.append("%.3g (%.3g)" % (v["measured_ms"], v["predicted_ms"])
                             if "measured_ms" in v else "-")
            single = [(v["measured_ms"], k) for k, v in p.items()
                      if k in SINGLE or k.startswith("cpu@")
                      if "measured_ms" in v]
            best = min(single) if single else None
            multi = [(v["measured_ms"], k) for k, v in p.items()
                     if "measured_ms" in v and len(v["lanes"]) > 1 and k not in ("auto",)]
            a = p.get("auto", {})
            ratio = a["measured_ms"] / best[0] if best and "measured_ms" in a else None
            m2 = min(multi) if multi else None
            out.append("| %s | %s | %s | %s | %s | %s |" % (
                r["model"], " | ".join(cells), best[1] if best else "-",
                a.get("chosen") or "-", "%.2f" % ratio if ratio else "-",
                "%s %.2f" % (m2[1], m2[0] / best[0]) if m2 and best else "-"))
        out.append("")
        gaps = []
        for r in rows:
            p = r["plans"]
            o = p.get("optimal", {})
            if "predicted_ms" not in o:
                continue
            for k in ("greedy", "split"):
                if "predicted_ms" in p.get(k, {}):
                    gaps.append("%s %s %+.1f%%" % (r["model"], k, 100 * (
                        p[k]["predicted_ms"] / o["predicted_ms"] - 1)))
        if gaps:
            out += ["Predicted gap to optimal, where optimal plans the model: " +
                    "; ".join(gaps) + ".", ""]
        fl = []
        for r in rows:
            p = r["plans"]
            if "fps" in p.get("pipeline", {}):
                fl.append("| %s | %s | %s | %.1f |" % (
                    r["model"], *["%.1f" % p[k]["fps"] if "fps" in p.get(k, {}) else "-"
                                  for k in ("cpu", "gpu")], p["pipeline"]["fps"]))
        if fl:
            out += ["Frames per second (--stream %d):" % args.stream, "",
                    "| model | cpu | gpu | pipeline |", "|---|---|---|---|"] + fl + [""]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
