#!/usr/bin/env python3
"""driver_flags.py --hetc PATH: the planning flags of hetc compile and hetc viz (docs/cli.md).

Usage errors (exit 1, one message line and the hint to run --help): a --seed that is not a
number from 0 to 2^64-1, a --place not of the form SEL=PROC, an unknown --strategy, a
--max-partitions or --stream that is not a count from 1, an unknown --dump-after pass (the message lists the passes, the same as the
help text), an empty --target, a missing value, a value given to a flag that takes none, a flag
given twice that may be given once. --flag=value is --flag value. --dump-after prints the IR
after each pass in turn (check, cleanup, fuse, place, copies, schedule, memplan): no placement
before place, every node placed from then on, with the cause of the choice. Bad input (exit 2,
one line): --place onto an unknown processor or one that cannot run the node, strategy gpu on
a target without an OpenCL processor, a missing --target file. A random plan depends on its
seed alone. Processors come from small device descriptions written here (simulated ones, so
that no OpenCL device is needed) or from the detected host; nothing is built (--no-build).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import onnx
from onnx import TensorProto, helper

F = TensorProto.FLOAT
results = {"passed": 0, "failed": 0}
PASSES = ["check", "cleanup", "fuse", "place", "copies", "schedule", "memplan"]

# a CPU and a simulated accelerator that runs Conv (and the Relu fused into it: a fused op must
# be listed too) alone, in the host's memory
SIM = """<?xml version="1.0"?>
<platform name="sim">
  <space id="host" host="1"/>
  <processor id="cpu0" kind="cpu" backend="cpu" space="host"/>
  <processor id="npu0" kind="npu" backend="simulated" space="host">
    <supports ops="Conv,Relu" dtypes="float32"/>
    <rate class="conv" gflops="100"/><rate class="depthwise" gflops="10"/>
    <rate class="gemm" gflops="100"/><rate class="eltwise" gbps="20"/>
    <rate class="reduce" gbps="20"/><rate class="move" gbps="20"/>
  </processor>
</platform>
"""
# a CPU alone
CPU_ONLY = """<?xml version="1.0"?>
<platform name="cpu-only">
  <space id="host" host="1"/>
  <processor id="cpu0" kind="cpu" backend="cpu" space="host"/>
</platform>
"""


def report(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))


def run(*args):
    p = subprocess.run([HETC, *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def write_model(path):
    """Conv + Relu (fused into the Conv), then Neg and Tanh: three steps after fusion."""
    x = helper.make_tensor_value_info("X", F, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("Y", F, None)
    w = helper.make_tensor("W", F, [4, 3, 3, 3], [0.1] * 108)
    nodes = [helper.make_node("Conv", ["X", "W"], ["c"], name="conv"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Neg", ["r"], ["n"], name="neg"),
             helper.make_node("Tanh", ["n"], ["Y"], name="tanh")]
    g = helper.make_graph(nodes, "g", [x], [y], initializer=[w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)


def node_lines(dump):
    return [ln for ln in dump.splitlines() if " = " in ln and not ln.startswith("graph")]


def expect_usage(cmd, base, args, words=()):
    rc, out, err = run(cmd, *base, *args)
    lines = err.splitlines()
    ok = (rc == 1 and len(lines) == 2 and lines[1] == "Run 'hetc %s --help' for usage." % cmd
          and all(w in lines[0] for w in words))
    report("%s %s: usage error%s" % (cmd, " ".join(args), " naming " + ", ".join(words)
                                     if words else ""), ok, "exit %d, %r" % (rc, err))
    return lines[0] if lines else ""


def expect_input(what, args, words=()):
    rc, out, err = run(*args)
    ok = rc == 2 and err.count("\n") == 1 and all(w in err for w in words)
    report(what + ": exit 2, one line" + (" naming " + ", ".join(words) if words else ""), ok,
           "exit %d, %r" % (rc, err))


def check_usage(cmd, base):
    for v in ("x", "-1", "1e3", "+3", " 3", "18446744073709551616", ""):
        expect_usage(cmd, base, ["--seed", v], ["--seed"])
    for v in ("noeq", "=cpu0", "Conv=", "="):
        expect_usage(cmd, base, ["--place", v], ["--place", "SELECTOR=PROCESSOR"])
    expect_usage(cmd, base, ["--strategy", "frobnicate"], ["unknown strategy"])
    for flag in ("--max-partitions", "--stream"):
        for v in ("0", "-1", "x", "2.5", ""):
            expect_usage(cmd, base, [flag, v], [flag, "number from 1"])
    line = expect_usage(cmd, base, ["--dump-after", "nope"], ["unknown pass"] + PASSES)
    report("%s: the unknown pass's message lists the passes in order" % cmd,
           "(" + ", ".join(PASSES) + ")" in line, line)
    expect_usage(cmd, base, ["--target="], ["--target"])
    for flag in ("--target", "--strategy", "--seed", "--place", "--dump-after"):
        expect_usage(cmd, base, [flag], [flag + " needs"])
    for flag, v in (("--strategy", "cpu"), ("--seed", "1"), ("--target", "t.xml"),
                    ("--dump-after", "fuse")):
        expect_usage(cmd, base, [flag, v, flag + "=" + v], ["more than once", flag])
    expect_usage(cmd, base, ["--help=1"], ["--help takes no value"])
    expect_usage(cmd, base, ["--seedx", "1"], ["unknown flag", "--seedx"])
    rc, out, err = run(cmd, "--help")
    report("%s --help names every planning flag%s" % (cmd, " and pass" * (cmd == "compile")),
           rc == 0 and all(f in out for f in ("--target", "--strategy", "--seed", "--place",
                                              "--dump-after"))
           and (cmd != "compile" or ", ".join(PASSES) in re.sub(r"\s+", " ", out)), out)


def check_dump_after(model, out, sim):
    base = ["compile", model, "-o", out, "--no-build"]
    for k, p in enumerate(PASSES):
        rc, text, err = run(*base, "--dump-after", p)
        nodes = node_lines(text)
        placed = [ln for ln in nodes if re.search(r" @cpu0 \(strategy\)  # ", ln)]
        ok = (rc == 0 and text.startswith('graph "g" opset 13\n') and "output %Y" in text
              and len(nodes) >= 3 and (len(placed) == len(nodes) if k >= 3 else not placed)
              and ("= Relu(" in text) == (k < 2))
        report("--dump-after %s: the IR after %s%s" % (p, p, ", placed" if k >= 3 else ""),
               ok, "exit %d %r %r" % (rc, text[:600], err))
    # the = form, a rule, a cause per node
    rc, text, err = run("compile", model, "-o=" + out, "--no-build", "--target=" + sim,
                        "--strategy=cpu", "--place=Conv=npu0", "--place=neg=cpu0",
                        "--seed=7", "--dump-after=place", "--name=flags")
    ok = (rc == 0 and re.search(r"= Conv\(.*\) \{fuse=Relu\} @npu0 \(forced by --place\)  # 0 "
                                r"\"conv\"", text)
          and re.search(r"= Neg\(%r\) @cpu0 \(forced by --place\)  # 2", text)
          and re.search(r"= Tanh\(%n\) @cpu0 \(strategy\)  # 3", text)
          and "flags: 3 steps on npu0, cpu0 (strategy cpu)" in text)
    report("--flag=value forms, --place rules and causes in the dump", bool(ok),
           "exit %d %r %r" % (rc, text, err))
    # a later rule wins
    rc, text, err = run(*base, "--target", sim, "--place", "Conv=npu0", "--place", "conv=cpu0",
                        "--dump-after", "place")
    report("--place: a later rule wins", rc == 0 and re.search(
        r"= Conv\(.*@cpu0 \(forced by --place\)", text) is not None, text + err)


def check_random(model, out, sim):
    base = ["compile", model, "-o", out, "--no-build", "--target", sim, "--strategy", "random",
            "--dump-after", "place"]
    dumps = {}
    for seed in range(1, 9):
        rc, text, err = run(*base, "--seed", str(seed))
        dumps[seed] = text if rc == 0 else "exit %d %s" % (rc, err)
    again = run(*base, "--seed", "3")[1]
    report("random: a seed gives one plan", again == dumps[3], again + dumps[3])
    convs = {re.search(r"= Conv\(.*@(\w+) \((random|the only[^)]*)\)", t).group(1)
             if re.search(r"= Conv\(.*@(\w+)", t) else t for t in dumps.values()}
    others = all(re.search(r"= (Neg|Tanh)\(.*@cpu0 \(the only processor that can run it\)", t)
                 for t in dumps.values())
    report("random: Conv on both processors over 8 seeds, Neg and Tanh only on cpu0",
           convs == {"cpu0", "npu0"} and others, repr(convs) + repr(list(dumps.values())[:2]))
    rc, text, err = run(*base, "--seed", "18446744073709551615")
    report("random: the largest seed", rc == 0, err)


def check_bad_input(model, out, sim, cpu_only):
    base = ["compile", model, "-o", out, "--no-build"]
    expect_input("--place onto an unknown processor", base + ["--place", "Conv=nope"],
                 ["nope"])
    expect_input("--place onto a processor that cannot run the node",
                 base + ["--target", sim, "--place", "Tanh=npu0"], ["tanh", "Tanh", "npu0"])
    expect_input("--place selecting no node", base + ["--place", "Gemm=cpu0"], ["Gemm"])
    expect_input("strategy gpu without an OpenCL processor",
                 base + ["--target", cpu_only, "--strategy", "gpu"], ["OpenCL", "cpu-only.xml"])
    expect_input("a missing --target", base + ["--target", os.path.join(out, "none.xml")],
                 ["none.xml"])
    expect_input("a --target that is not a description", base + ["--target", model],
                 ["m.onnx"])


def main():
    global HETC
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hetc", required=True)
    HETC = ap.parse_args().hetc
    with tempfile.TemporaryDirectory() as d:
        model = os.path.join(d, "m.onnx")
        write_model(model)
        sim, cpu_only = os.path.join(d, "sim.xml"), os.path.join(d, "cpu-only.xml")
        for path, text in ((sim, SIM), (cpu_only, CPU_ONLY)):
            with open(path, "w") as f:
                f.write(text)
        out = os.path.join(d, "out")
        check_usage("compile", [model, "-o", out])
        if run("viz", "--help")[0] == 0:
            check_usage("viz", [model, "-o", os.path.join(d, "p.svg")])
        else:
            print("note: hetc viz is not in this build; its flags not checked")
        rc, text, err = run("inspect", model, "--strategy", "cpu")
        report("inspect takes no planning flag", rc == 1 and "unknown flag" in err, err)
        check_dump_after(model, out, sim)
        check_random(model, out, sim)
        check_bad_input(model, out, sim, cpu_only)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
