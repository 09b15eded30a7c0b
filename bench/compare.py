#!/usr/bin/env python3
"""compare.py --old HETC --new HETC [--models DIR] [--examples DIR] [--threads 1 2] [--runs 20]
              [--rounds 5] [--new-env NAME=VALUE ...] [--out FILE] [-k FILTER] [--no-pin]

Times the cpu plans of two hetc builds on the same models in one run, to tell whether a change
costs speed: each model (the reference models in HETC_MODELS and the generated examples, found
as bench.py finds them) is compiled with `hetc compile --strategy cpu` by both; then, for each
thread count, the two binaries are run in turn, --rounds times, the order swapped every round,
each run reporting the median of --runs timed runs after warm-up (`--json`). A build's latency is
the median of its round medians, and new/old the median of the rounds' ratios (each round's two
runs back to back), so a burst of load on the shared machine moves one round, not the result. Runs with fewer threads than CPUs are pinned, both builds alike, to the first CPUs,
as bench.py does. --new-env sets variables for the new build's runs only (HETC_CPU=avx2 times a
lower build of the kernels).

Prints a Markdown table (model, threads, old ms, new ms, new/old) with the machine and the
geometric mean of new/old per thread count, and writes it to --out. Not a test.
"""
import argparse
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (models, inputs, pinning and the timed run are bench.py's)


def compile_plan(hetc, model, shapes, out):
    shape_args = [a for k, v in shapes.items()
                  for a in ("--shape", k + "=" + "x".join(map(str, v)))]
    cmd = [hetc, "compile", str(model), "-o", str(out), "--name", "m", "--strategy", "cpu"]
    p = subprocess.run(cmd + shape_args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip())
    return out / "m"


def timed(exe, inputs, threads, args, cpus, env):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return bench.time_hetc(exe, inputs, threads, args.runs, args.warmup, cpus)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def geomean(r):
    return math.exp(sum(map(math.log, r)) / len(r))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="hetc of the baseline build")
    ap.add_argument("--new", required=True, help="hetc of the build under test")
    ap.add_argument("--models", default=os.environ.get("HETC_MODELS", ""))
    ap.add_argument("--examples", default="")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--new-env", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--out")
    ap.add_argument("-k", dest="filter", default="")
    ap.add_argument("--no-pin", dest="pin", action="store_false")
    args = ap.parse_args()
    if args.runs < 1 or args.rounds < 1:
        ap.error("--runs and --rounds must be at least 1")
    new_env = dict(e.split("=", 1) for e in args.new_env)
    builds = {"old": os.path.abspath(args.old), "new": os.path.abspath(args.new)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, shapes, files in bench.models(args):
            work = Path(tmp) / name
            try:
                exes = {b: compile_plan(h, model, shapes, work / b) for b, h in builds.items()}
            except RuntimeError as e:
                print("skip %s: compile failed: %s" % (name, e), file=sys.stderr)
                continue
            _, inputs = bench.make_inputs(model, shapes, files, work)
            for t in args.threads:
                cpus = bench.cpus_for(t, args.pin)
                got = {"old": [], "new": []}
                for r in range(args.rounds):
                    for b in ("old", "new") if r % 2 == 0 else ("new", "old"):
                        env = new_env if b == "new" else {}
                        got[b].append(timed(exes[b], inputs, t, args, cpus, env))
                old, new = statistics.median(got["old"]), statistics.median(got["new"])
                ratio = statistics.median(n / o for o, n in zip(got["old"], got["new"]))
                rows.append((name, t, old, new, ratio))
                print("%-28s %dT old %8.3f ms  new %8.3f ms  new/old %.3f"
                      % (name, t, old, new, ratio), flush=True)
    lines = ["# new against old", "",
             "Machine: %s, %d cores; %s. Date: %s. cpu plans; each build's latency is the median "
             "of %d rounds (order swapped each round) of the median of %d runs after %d warm-up "
             "runs; new/old is the median of the rounds' ratios%s.%s"
             % (bench.cpu_name(), os.cpu_count() or 0, platform.platform(),
                datetime.date.today().isoformat(), args.rounds, args.runs, args.warmup,
                "; runs with fewer threads than CPUs pinned to the first CPUs" if args.pin else "",
                " New build run with %s." % " ".join(args.new_env) if args.new_env else ""),
             "", "old: `%s`; new: `%s`" % (builds["old"], builds["new"]), "",
             "| model | threads | old ms | new ms | new/old |", "|---|---|---|---|---|"]
    for name, t, old, new, ratio in rows:
        lines.append("| %s | %d | %.3f | %.3f | %.3f |" % (name, t, old, new, ratio))
    lines.append("")
    for t in args.threads:
        for label, pick in (("reference models", lambda n: "(example)" not in n),
                            ("all models", lambda n: True)):
            r = [ratio for n, tt, _, _, ratio in rows if tt == t and pick(n)]
            if r:
                lines.append("Geometric mean of new/old at %d thread%s, %s: **%.3f** (%d models)."
                             % (t, "" if t == 1 else "s", label, geomean(r), len(r)))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
