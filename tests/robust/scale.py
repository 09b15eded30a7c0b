#!/usr/bin/env python3
"""Graphs of any size: `hetc inspect` and `hetc compile --no-build` must take time about linear
in the number of nodes, whatever order the file lists them in.

What it makes
  Models of cheap ops on tiny float32 tensors ([1, 4]), in three shapes:
    chain     x -> Add(c) -> Relu -> Add(c) -> Relu ... -> y, nodes listed in order;
    reversed  the same chain with the nodes listed last to first (the loader must order them);
    wide      N/3 parallel branches x -> Add(c_i) -> Relu, joined pairwise by a tree of Adds,
              so that most tensors are live at once (a hard case for the memory plan);
    io        N graph inputs x_i, each -> Add(c) -> its own graph output y_i.
  The protobuf is written directly (onnx.helper is too slow for a million nodes): every node is
  the same few bytes, so a model of a million nodes takes a few seconds to make.

What it checks (ctest graph_scale)
  For each shape, N and 4N nodes (--nodes N, default 50000, so 200000 at the larger size):
  `hetc inspect --json` and `hetc compile --no-build` each exit 0, report the expected node
  count, and the CPU time at 4N is at most --max-ratio (default 8) times the CPU time at N
  (linear is 4, quadratic 16; the margin covers caches and a busy machine). A time under
  --floor seconds (default 0.25) is taken as the floor, so that start-up noise on small N cannot
  fail the test. A pair over the ratio is measured once more, and the better of the two counts.

Sizes (ctest graph_sizes, `scale.py sizes --hetc H`)
  Small models whose tensors cannot be addressed: an Expand to 2^31 x 2^31 floats (2^64 bytes,
  which wraps a size_t), to 2^24 x 2^24 (2^50 bytes), three tensors of 2^46 bytes alive at one
  step, and a graph input given 2^40 x 1024 floats by --shape. `hetc compile --no-build` must
  exit 2 with one line naming the tensor or node (never 0 with a wrapped arena, never a crash),
  and `hetc inspect` must exit 0 or 2 without a sanitizer report.

Other uses
  scale.py make SHAPE N FILE           write one model
  scale.py curve --hetc H SHAPE N...   print a table of inspect and compile times

Run
  .venv/bin/python tests/robust/scale.py check --hetc build/tools/hetc [--nodes 50000]
  .venv/bin/python tests/robust/scale.py sizes --hetc build/tools/hetc
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

from onnx import TensorProto, helper, numpy_helper
import numpy as np

SHAPES = ("chain", "reversed", "wide", "io")
WIDTH = 4
TIMEOUT = 120     # seconds for one command: far more than linear time needs


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):
    """A length-delimited protobuf field."""
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def node_bytes(op, inputs, output, name):
    """A NodeProto: input = 1, output = 2, name = 3, op_type = 4."""
    b = b"".join(field(1, i.encode()) for i in inputs)
    return b + field(2, output.encode()) + field(3, name.encode()) + field(4, op.encode())


def nodes(shape, n):
    """(op, inputs, output) triples of an n-node graph of this shape, in topological order,
    the names of the constants it uses, and those of its inputs and outputs."""
    out = []
    if shape == "io":
        for i in range(n):
            out.append(("Add", ("x%d" % i, "c0"), "y%d" % i))
        return out, ["c0"], ["x%d" % i for i in range(n)], ["y%d" % i for i in range(n)]
    if shape in ("chain", "reversed"):
        prev = "x"
        for i in range(n):
            name = "t%d" % i
            if i % 2 == 0:
                out.append(("Add", (prev, "c0"), name))
            else:
                out.append(("Relu", (prev,), name))
            prev = name
        out[-1] = (out[-1][0], out[-1][1], "y")
        return out, ["c0"], ["x"], ["y"]
    # wide: branches of Add + Relu, then a tree of Adds joining them
    nbranch = max(2, n // 3)
    level = []
    consts = ["c%d" % (i % 64) for i in range(64)]
    for i in range(nbranch):
        a, r = "a%d" % i, "r%d" % i
        out.append(("Add", ("x", consts[i % 64]), a))
        out.append(("Relu", (a,), r))
        level.append(r)
    k = 0
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            name = "j%d" % k
            k += 1
            out.append(("Add", (level[i], level[i + 1]), name))
            nxt.append(name)
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    last = out[-1]
    out[-1] = (last[0], last[1], "y")
    return out, consts, ["x"], ["y"]


def make_model(shape, n, path):
    """Writes the model; returns its node count."""
    triples, consts, ins, outs = nodes(shape, n)
    order = list(reversed(triples)) if shape == "reversed" else triples
    # the graph's small parts go through onnx, the nodes, inputs and outputs (ValueInfoProto:
    # name = 1, type = 2; GraphProto.input = 11, output = 12) are spliced in as raw bytes
    inits = [numpy_helper.from_array(np.full([1, WIDTH], 0.01 * (i + 1), np.float32), c)
             for i, c in enumerate(consts)]
    graph = helper.make_graph([], "scale_%s_%d" % (shape, n), [], [], inits)
    ttype = helper.make_tensor_type_proto(TensorProto.FLOAT, [1, WIDTH]).SerializeToString()
    body = b"".join(field(1, node_bytes(op, i, o, "n_" + o)) for op, i, o in order)
    body += b"".join(field(11, field(1, x.encode()) + field(2, ttype)) for x in ins)
    body += b"".join(field(12, field(1, y.encode()) + field(2, ttype)) for y in outs)
    graph_bytes = body + graph.SerializeToString()
    model = helper.make_model(helper.make_graph([], "g", [], []),
                              opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    model.ClearField("graph")
    head = model.SerializeToString()
    with open(path, "wb") as f:
        f.write(head + field(7, graph_bytes))   # ModelProto.graph = 7
    return len(triples)


def timed(cmd):
    """(CPU seconds, user and system, the command took; the CompletedProcess). CPU time rather
    than wall time: the machine may be shared, and waiting for it is not the command's cost."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError("%s: more than %d s" % (" ".join(cmd[:3]), TIMEOUT))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), p


def measure(hetc, shape, n, tmp):
    """(nodes, inspect seconds, compile seconds) or raises with the failing command's output."""
    model = os.path.join(tmp, "%s_%d.onnx" % (shape, n))
    count = make_model(shape, n, model)
    t_inspect, p = timed([hetc, "inspect", model, "--json"])
    if p.returncode != 0:
        raise RuntimeError("inspect %s: exit %d: %s" % (model, p.returncode, p.stderr.strip()))
    got = json.loads(p.stdout)["nodes"]
    if got != count:
        raise RuntimeError("inspect %s: %s nodes, expected %d" % (model, got, count))
    out = os.path.join(tmp, "out_%s_%d" % (shape, n))
    t_compile, p = timed([hetc, "compile", model, "-o", out, "--no-build"])
    if p.returncode != 0:
        raise RuntimeError("compile %s: exit %d: %s" % (model, p.returncode, p.stderr.strip()))
    shutil.rmtree(out, ignore_errors=True)
    os.unlink(model)
    return count, t_inspect, t_compile


def check(args):
    failed = 0
    with tempfile.TemporaryDirectory(prefix="hetc_scale_") as tmp:
        for shape in SHAPES:
            ratios = []
            try:
                for attempt in range(2):
                    small = measure(args.hetc, shape, args.nodes, tmp)
                    large = measure(args.hetc, shape, 4 * args.nodes, tmp)
                    ratios.append([max(large[i], args.floor) / max(small[i], args.floor)
                                   for i in (1, 2)])
                    if max(ratios[-1]) <= args.max_ratio:
                        break
            except RuntimeError as e:
                print("FAIL %s: %s" % (shape, e))
                failed += 1
                continue
            for what, i in (("inspect", 1), ("compile --no-build", 2)):
                ratio = min(r[i - 1] for r in ratios)
                verdict = "ok" if ratio <= args.max_ratio else "FAIL"
                print("%s %-8s %-18s %7d nodes %6.2f s, %7d nodes %6.2f s: ratio %.1f" % (
                    verdict, shape, what, small[0], small[i], large[0], large[i], ratio))
                failed += verdict != "ok"
    print("%d failed" % failed)
    return 1 if failed else 0


def curve(args):
    with tempfile.TemporaryDirectory(prefix="hetc_scale_") as tmp:
        print("%-8s %8s %10s %10s" % ("shape", "nodes", "inspect_s", "compile_s"))
        for n in args.n:
            count, ti, tc = (measure(args.hetc, args.shape, n, tmp) if not args.inspect_only
                             else inspect_only(args.hetc, args.shape, n, tmp))
            print("%-8s %8d %10.2f %10s" % (args.shape, count, ti,
                                            "-" if tc is None else "%.2f" % tc), flush=True)
    return 0


def inspect_only(hetc, shape, n, tmp):
    model = os.path.join(tmp, "%s_%d.onnx" % (shape, n))
    count = make_model(shape, n, model)
    t, p = timed([hetc, "inspect", model, "--json"])
    os.unlink(model)
    if p.returncode != 0:
        raise RuntimeError("inspect: exit %d: %s" % (p.returncode, p.stderr.strip()))
    return count, t, None


def huge_model(path, dims, users, dynamic_input=False):
    """x [1, 1] (or dynamic) -> `users` Expands of x to dims, added up, reduced to a scalar."""
    shape = numpy_helper.from_array(np.array(dims, np.int64), "shape")
    nodes = [helper.make_node("Expand", ["x", "shape"], ["e%d" % i], name="expand%d" % i)
             for i in range(users)]
    last = "e0"
    for i in range(1, users):
        nodes.append(helper.make_node("Add", [last, "e%d" % i], ["s%d" % i], name="add%d" % i))
        last = "s%d" % i
    if dynamic_input:
        nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu")]
        last = "r"
    nodes.append(helper.make_node("ReduceSum", [last], ["y"], name="sum", keepdims=0))
    xdims = ["n", "c"] if dynamic_input else [1, 1]
    graph = helper.make_graph(
        nodes, "huge", [helper.make_tensor_value_info("x", TensorProto.FLOAT, xdims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [] if dynamic_input else [shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def sizes(args):
    cases = [  # (name, dims, users, extra flags, what the one line must name)
        ("wrap64", [2 ** 31, 2 ** 31], 1, [], '"e0"'),
        ("bytes50", [2 ** 24, 2 ** 24], 1, [], '"e0"'),
        ("live3x46", [2 ** 22, 2 ** 22], 2, [], "(Add)"),
        ("input50", None, 0, ["--shape", "x=%dx1024" % 2 ** 40], '"x"'),
    ]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="hetc_sizes_") as tmp:
        for name, dims, users, flags, names in cases:
            model = os.path.join(tmp, name + ".onnx")
            huge_model(model, dims or [1], users, dynamic_input=dims is None)
            out = os.path.join(tmp, "out_" + name)
            p = subprocess.run([args.hetc, "compile", model, "-o", out, "--no-build"] + flags,
                               capture_output=True, text=True, timeout=60)
            lines = p.stderr.splitlines()
            ok = (p.returncode == 2 and len(lines) == 1 and names in lines[0]
                  and "runtime error" not in p.stderr)
            q = subprocess.run([args.hetc, "inspect", model, "--json"] + flags,
                               capture_output=True, text=True, timeout=60)
            ok = ok and q.returncode in (0, 2) and "Sanitizer" not in q.stderr + p.stderr \
                and "runtime error" not in q.stderr
            print("%s %-9s compile exit %d: %s; inspect exit %d" % (
                "ok" if ok else "FAIL", name, p.returncode, p.stderr.strip()[:200],
                q.returncode))
            failed += not ok
    print("%d failed" % failed)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--hetc", required=True)
    c.add_argument("--nodes", type=int, default=50000)
    c.add_argument("--max-ratio", type=float, default=8.0)
    c.add_argument("--floor", type=float, default=0.25)
    m = sub.add_parser("make")
    m.add_argument("shape", choices=SHAPES)
    m.add_argument("n", type=int)
    m.add_argument("file")
    v = sub.add_parser("curve")
    v.add_argument("--hetc", required=True)
    v.add_argument("--inspect-only", action="store_true")
    v.add_argument("shape", choices=SHAPES)
    v.add_argument("n", type=int, nargs="+")
    z = sub.add_parser("sizes")
    z.add_argument("--hetc", required=True)
    args = ap.parse_args()
    if args.cmd == "sizes":
        return sizes(args)
    if args.cmd == "make":
        print(make_model(args.shape, args.n, args.file))
        return 0
    return check(args) if args.cmd == "check" else curve(args)


if __name__ == "__main__":
    sys.exit(main())
