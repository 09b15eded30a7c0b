#!/usr/bin/env python3
"""branches.py: spread the branches of a model's multi-branch blocks over two processors, and
measure how much the processors overlapped in a trace.

  branches.py place MODEL.onnx [--procs cpu0,ocl0]
      prints --place rules (one per line: --place NAME=PROC) that put the k-th input branch of
      every Concat on processor k mod 2: a branch is the chain of nodes that feeds one input of
      the Concat, back to the node whose output several nodes read (the block's fork).
      Activations that hetc fuses into the node before them get no rule of their own.

  branches.py overlap TRACE.json
      the milliseconds during which every processor's track had a step running at once (steps
      of one track merged into busy intervals first; the copies track does not count), each
      track's busy time, and the run's span.
"""
import argparse
import json
import sys

import onnx

# ops that pass_fuse folds into a Conv or Gemm before them (their node disappears)
FUSED_AFTER = {"Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid", "BatchNormalization"}


def place(args):
    m = onnx.load(args.model, load_external_data=False)
    nodes = list(m.graph.node)
    producer = {o: n for n in nodes for o in n.output}
    readers = {}
    for n in nodes:
        for i in n.input:
            readers[i] = readers.get(i, 0) + 1
    procs = args.procs.split(",")
    rules = {}
    for c in nodes:
        if c.op_type != "Concat":
            continue
        for k, t in enumerate(c.input):
            proc = procs[k % len(procs)]
            while t in producer and readers.get(t, 0) == 1:
                n = producer[t]
                if not n.name:
                    break
                fused = n.op_type in FUSED_AFTER and n.input and n.input[0] in producer and \
                    producer[n.input[0]].op_type in ("Conv", "Gemm")
                if not fused:
                    rules[n.name] = proc
                t = n.input[0] if n.input else None
    for name, proc in rules.items():
        print("--place %s=%s" % (name, proc))
    return 0


def merge(iv):
    iv = sorted(iv)
    out = []
    for a, b in iv:
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def overlap(args):
    t = json.load(open(args.trace))
    events = t["traceEvents"] if isinstance(t, dict) else t
    names = {e["pid"]: e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "process_name"}
    busy = {}
    for e in events:
        if e.get("ph") != "X" or names.get(e["pid"], "").startswith("copies"):
            continue
        busy.setdefault(e["pid"], []).append((e["ts"], e["ts"] + e["dur"]))
    tracks = {p: merge(iv) for p, iv in busy.items()}
    if len(tracks) < 2:
        print("fewer than two processor tracks in %s" % args.trace)
        return 1
    # the time covered by every track at once
    common = None
    for iv in tracks.values():
        if common is None:
            common = iv
            continue
        out, i, j = [], 0, 0
        while i < len(common) and j < len(iv):
            a, b = max(common[i][0], iv[j][0]), min(common[i][1], iv[j][1])
            if a < b:
                out.append([a, b])
            if common[i][1] < iv[j][1]:
                i += 1
            else:
                j += 1
        common = out
    span = (max(b for iv in tracks.values() for _, b in iv) -
            min(a for iv in tracks.values() for a, _ in iv))
    both = sum(b - a for a, b in common)
    result = {"overlap_ms": both / 1000, "span_ms": span / 1000,
              "busy_ms": {names.get(p, str(p)): sum(b - a for a, b in iv) / 1000
                          for p, iv in tracks.items()}}
    print(json.dumps(result, indent=1))
    return 0 if both > 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("place")
    p.add_argument("model")
    p.add_argument("--procs", default="cpu0,ocl0")
    o = sub.add_parser("overlap")
    o.add_argument("trace")
    args = ap.parse_args()
    return place(args) if args.cmd == "place" else overlap(args)


if __name__ == "__main__":
    sys.exit(main())
