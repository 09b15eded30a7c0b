#!/usr/bin/env python3
"""codegen_cases.py --hetc PATH --api DIR --runtime LIB --ldlibs "..." [--cflags "..."] [--large]:
generated code
that always compiles, on small models built here with onnx.helper.

- plan names: model files named like C keywords, C library functions, the plan's own tables or
  reserved identifiers (int, main, exit, shape, __x, 9lives, ...) and --name printf each build
  and run, under a name that is a plain C identifier; an ordinary name is kept as it is, a
  header's parameter names (x, data, device) included; a changed name gets one note on stderr;
- every identifier of the generated sources that hetc would accept as a plan's name is tried as
  one: NAME.c and NAME_main.c compile, and NAME.h compiles as C++ (cpu, gpu and random
  plans across two memories);
- node names that would end or nest a comment, form trigraphs, hold a backslash, a newline,
  bidirectional controls (U+202E, none left raw) or bytes that are not UTF-8 build and run, and NAME.plan.json stays valid JSON;
- fused steps are named: NAME.plan.json's steps have "ops" ("Conv+Add+Relu") and "fused", the
  processor a "name", and the binary's --trace names the fused ops;
- an installed hetc (PREFIX/bin, PREFIX/lib, PREFIX/include/hetc) in a folder with spaces builds
  against that prefix, into an output folder with spaces;
- $HETC_CC with arguments and quotes, its flags after the built-in ones; an unterminated quote
  and a command of more than 256 words are exit 3;
- C++ includes NAME.h and links against libNAME.a;
- on a terminal the build says what it compiles, and nothing when stderr is not one;
- with --large: a 50,000-step plan builds in under 60 s.
"""
import argparse
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
import time

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np

F = TensorProto.FLOAT
results = {"passed": 0, "failed": 0}
C_KEYWORDS = set("""auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof static struct switch
typedef union unsigned void volatile while NULL""".split())


def report(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)


def save(nodes, path, inits=(), shape=(1, 4)):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, list(shape))],
                          [helper.make_tensor_value_info("y", F, None)], initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)
    return path


def relu_model(path, names=("r0", "r1")):
    nodes, prev = [], "x"
    for i, n in enumerate(names):
        out = "y" if i == len(names) - 1 else "v%d" % i
        nodes.append(helper.make_node("Relu", [prev], [out], name=n))
        prev = out
    return save(nodes, path)


def compile_plan(model, out, *args, env=None, hetc=None):
    p = subprocess.run([hetc or HETC, "compile", model, "-o", out, *args], capture_output=True,
                       text=True, timeout=300, env=env)
    ident = p.stdout.split(":")[0] if p.returncode == 0 else None
    return p, ident


def run_binary(exe, *args):
    return subprocess.run([exe, "--iters", "1", *args], capture_output=True, text=True,
                          timeout=60)


def check_names(tmp):
    ident_re = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$")
    cases = [("int.onnx", []), ("main.onnx", []), ("exit.onnx", []), ("shape.onnx", []),
             ("__x.onnx", []), ("9lives.onnx", []), ("m.onnx", ["--name", "printf"]),
             ("m.onnx", ["--name", "pthread"]), ("m.onnx", ["--name", "NTENSOR"]),
             ("m.onnx", ["--name", "a0"]), ("m.onnx", ["--name", "timer"]),
             ("m.onnx", ["--name", "status"]), ("m.onnx", ["--name", "size_t"]),
             ("m.onnx", ["--name", "class"]), ("m.onnx", ["--name", "x__y_"])]
    for i, (file, args) in enumerate(cases):
        d = os.path.join(tmp, "names%d" % i)
        os.makedirs(d)
        model = relu_model(os.path.join(d, file))
        p, ident = compile_plan(model, os.path.join(d, "out"), *args)
        what = "plan named by %s %s" % (file, " ".join(args))
        if p.returncode != 0:
            report(what, False, "compile exit %d: %s" % (p.returncode, p.stderr.strip()[-400:]))
            continue
        r = run_binary(os.path.join(d, "out", ident))
        ok = r.returncode == 0 and ident_re.match(ident) and ident not in C_KEYWORDS
        report(what + " -> " + ident, bool(ok), "run exit %d: %s" % (r.returncode, r.stderr))
    for given, want in [("valid_conv", "valid_conv"), ("my-model.v2", "my_model_v2"),
                        ("classifier", "classifier"), ("m", "m")]:
        model = relu_model(os.path.join(tmp, "plain.onnx"))
        p, ident = compile_plan(model, os.path.join(tmp, "plain"), "--name", given, "--no-build")
        report("ordinary name %s kept as %s" % (given, want), ident == want, str(ident))


def check_name_choice(tmp):
    """--name keeps a name no header declares at file scope (parameter names such as x or data
    included); a name C or the plan's own symbols take gets plan_, with one note on stderr."""
    model = relu_model(os.path.join(tmp, "choice.onnx"))
    for name, want in ([(n, n) for n in "x data image device size model net".split()] +
                       [(n, "plan_" + n) for n in "int main exit printf errno size_t shape NTENSOR "
                        "pthread_create FILE stdin EOF CL_SUCCESS cl_int".split()] +
                       [("my-net", "my_net")]):
        p, ident = compile_plan(model, os.path.join(tmp, "choice"), "--name", name,
                                "--no-build")
        notes = [ln for ln in p.stderr.splitlines() if "note: plan name" in ln]
        ok = ident == want and os.path.exists(os.path.join(tmp, "choice", want + ".c")) and \
            len(notes) == (name != want) and (name == want or ('"%s"' % want) in notes[0])
        report("--name %s gives %s.c%s" % (name, want, "" if name == want else ", one note"), ok,
               "exit %d, %s: %s" % (p.returncode, ident, p.stderr[-300:]))


def fused_model(path):
    """Conv, Add of a per-channel constant, Relu; then Gemm + Sigmoid"""
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b")
    k = numpy_helper.from_array(rng.standard_normal((1, 4, 1, 1)).astype(np.float32), "k")
    shp = numpy_helper.from_array(np.array([1, 4 * 6 * 6], np.int64), "shp")
    gw = numpy_helper.from_array(rng.standard_normal((144, 5)).astype(np.float32), "gw")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["c", "k"], ["a"], name="add"),
             helper.make_node("Relu", ["a"], ["r"], name="relu"),
             helper.make_node("Reshape", ["r", "shp"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "gw"], ["gm"], name="fc"),
             helper.make_node("Sigmoid", ["gm"], ["y"], name="sig")]
    return save(nodes, path, [w, b, k, shp, gw], shape=(1, 3, 6, 6))


def identifiers(paths):
    ids = set()
    for p in paths:
        text = open(p, encoding="utf-8", errors="replace").read()
        text = re.sub(r'"(\\.|[^"\\])*"', " ", text)
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        ids |= set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", text))
    return ids


def check_own_names(tmp, model):
    """every identifier of a generated plan that hetc keeps as a plan name gives a plan that
    compiles (C for NAME.c and NAME_main.c, C++ for NAME.h)"""
    # a random plan across two memories has every kind of table (lanes, spaces, copies)
    split = ["--seed", "2", "--target", str(Path(__file__).resolve().parents[2] / "devices" /
                                            "host-split-copy.xml")]
    for strategy in ("cpu", "gpu", "random"):
        more = ["--strategy", strategy] + (split if strategy == "random" else [])
        base = os.path.join(tmp, "own_" + strategy)
        p, ident = compile_plan(model, base, "--no-build", *more)
        if p.returncode != 0:
            report("own names (%s): compile" % strategy, False, p.stderr)
            continue
        ids = identifiers([os.path.join(base, ident + s) for s in (".c", ".h", "_main.c")])
        ids = sorted(i for i in ids if i not in C_KEYWORDS and not i.startswith("_"))
        kept = []
        for name in ids:
            q, got = compile_plan(model, os.path.join(tmp, "probe"), "--no-build", "--name", name,
                                  *more)
            if got == name:
                kept.append(name)
        bad = []
        for name in kept:
            out = os.path.join(tmp, "own_" + name)
            q, got = compile_plan(model, out, "--no-build", "--name", name, *more)
            cc = ["gcc", "-std=c11", "-fsyntax-only", "-D_POSIX_C_SOURCE=200809L",
                  "-I" + API + "/runtime", "-I" + API + "/ir-shared"]
            for args in (cc + [os.path.join(out, name + ".c")],
                         cc + [os.path.join(out, name + "_main.c")],
                         ["g++", "-fsyntax-only", "-x", "c++", os.path.join(out, name + ".h")]):
                r = subprocess.run(args, capture_output=True, text=True)
                if r.returncode != 0:
                    bad.append("%s: %s" % (name, r.stderr.strip().splitlines()[0]))
                    break
            shutil.rmtree(out)
        report("own names (%s): %d of %d identifiers kept as plan names compile"
               % (strategy, len(kept), len(ids)), not bad and len(kept) > 5, "; ".join(bad[:5]))


def check_node_names(tmp):
    names = ["a*/b", "/*c", "q??=x", "??/", "back\\slash", "new\nline", "cr\r\t", "BADUTF8X",
             "ok", "y\u202eevil\u2066"]
    d = os.path.join(tmp, "nodes")
    os.makedirs(d)
    model = relu_model(os.path.join(d, "nodes.onnx"), names)
    data = open(model, "rb").read().replace(b"BADUTF8X", b"b\xff\xfe\x80\xc3(X\xed")
    open(model, "wb").write(data)
    p, ident = compile_plan(model, os.path.join(d, "out"))
    if p.returncode != 0:
        report("hostile node names", False, p.stderr.strip()[-400:])
        return
    r = run_binary(os.path.join(d, "out", ident), "--trace", os.path.join(d, "t.json"))
    report("hostile node names: build and run", r.returncode == 0, r.stderr)
    raw = b"".join(open(os.path.join(d, "out", ident + ext), "rb").read()
                   for ext in (".c", ".h", "_main.c"))
    report("hostile node names: no raw bidirectional control (U+202E, U+2066) in the sources",
           b"\xe2\x80\xae" not in raw and b"\xe2\x81\xa6" not in raw and b"evil" in raw)
    try:
        plan = json.load(open(os.path.join(d, "out", ident + ".plan.json"), encoding="utf-8"))
        got = [s["node"] for s in plan["steps"]]
        report("hostile node names: plan.json is JSON with the names",
               got[:7] == names[:7] and got[7].startswith("b\ufffd"), repr(got))
    except ValueError as e:
        report("hostile node names: plan.json is JSON", False, str(e))


def check_fused(tmp, model):
    out = os.path.join(tmp, "fused")
    p, ident = compile_plan(model, out)
    if p.returncode != 0:
        report("fused ops named", False, p.stderr)
        return
    plan = json.load(open(os.path.join(out, ident + ".plan.json")))
    steps = {s["node"]: s for s in plan["steps"]}
    conv, fc = steps.get("conv", {}), steps.get("fc", {})
    report("plan.json: Conv+Add+Relu", conv.get("op") == "Conv" and
           conv.get("ops") == "Conv+Add+Relu" and conv.get("fused") == ["Add", "Relu"], str(conv))
    report("plan.json: Gemm+Sigmoid", fc.get("ops") == "Gemm+Sigmoid" and
           fc.get("fused") == ["Sigmoid"], str(fc))
    flat = steps.get("flat", {})
    report("plan.json: an unfused step", flat.get("ops") == "Reshape" and flat.get("fused") == [],
           str(flat))
    proc = plan["processors"][0]
    report("plan.json: processor name", proc["id"] == "cpu0" and proc.get("name"), str(proc))
    trace = os.path.join(tmp, "fused.trace.json")
    r = run_binary(os.path.join(out, ident), "--trace", trace)
    text = open(trace).read() if r.returncode == 0 else ""
    report("trace names Conv+Add+Relu", "Conv+Add+Relu" in text and "Gemm+Sigmoid" in text,
           r.stderr + text[:300])
    ev = [e for e in json.loads(text)["traceEvents"] if e.get("ph") == "X"] if text else []
    conv_ev = [e for e in ev if e["args"].get("ops") == "Conv+Add+Relu"]
    report("trace: args.op is the node's op (Conv), args.ops and cat the fused ops",
           len(conv_ev) == 1 and conv_ev[0]["args"]["op"] == "Conv" and
           conv_ev[0]["cat"] == "Conv+Add+Relu" and
           any(e["args"]["op"] == "Gemm" and e["args"]["ops"] == "Gemm+Sigmoid" for e in ev),
           str(conv_ev)[:300])
    p, ident = compile_plan(model, out + "_gpu", "--no-build", "--strategy", "gpu")
    gplan = json.load(open(os.path.join(out + "_gpu", ident + ".plan.json")))
    gp = gplan["processors"][0]
    report("gpu plan.json: processor ocl0, named as picked at run time",
           gp["id"] == "ocl0" and gp["backend"] == "opencl" and "run time" in gp.get("name", "")
           and gplan["steps"][0]["processor"] == "ocl0", str(gp))


def check_long_fusion(tmp):
    """a Conv that absorbs a long chain names a bounded number of its ops"""
    rng = np.random.default_rng(2)
    w = numpy_helper.from_array(rng.standard_normal((2, 3, 1, 1)).astype(np.float32), "w")
    k = numpy_helper.from_array(np.array(1.001, np.float32), "k")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
             helper.make_node("Relu", ["c"], ["v0"], name="relu")]
    for i in range(2000):
        nodes.append(helper.make_node("Mul", ["v%d" % i, "k"],
                                      ["y" if i == 1999 else "v%d" % (i + 1)]))
    model = save(nodes, os.path.join(tmp, "long.onnx"), [w, k], shape=(1, 3, 4, 4))
    p, ident = compile_plan(model, os.path.join(tmp, "long"), "--no-build")
    ops = ""
    if p.returncode == 0:
        plan = json.load(open(os.path.join(tmp, "long", ident + ".plan.json")))
        ops = plan["steps"][0]["ops"] if len(plan["steps"]) == 1 else repr(plan["steps"][:2])
    report("a 2000-op fusion names its first ops, then ...",
           ops.startswith("Conv+Relu+Mul+Mul") and ops.endswith("+...") and len(ops) < 200,
           p.stderr + ops[:300])


def check_installed(tmp, model):
    """an installed layout in a folder with spaces, an output folder with spaces"""
    prefix = os.path.join(tmp, "pre fix")
    os.makedirs(os.path.join(prefix, "bin"))
    os.makedirs(os.path.join(prefix, "lib"))
    shutil.copy(HETC, os.path.join(prefix, "bin", "hetc"))
    shutil.copy(RUNTIME, os.path.join(prefix, "lib", "libhetc_runtime.a"))
    shutil.copytree(os.path.join(API, "runtime", "runtime"),
                    os.path.join(prefix, "include", "hetc", "runtime"))
    shutil.copytree(os.path.join(API, "ir-shared", "ir"),
                    os.path.join(prefix, "include", "hetc", "ir"))
    hetc = os.path.join(prefix, "bin", "hetc")
    out = os.path.join(tmp, "out dir")
    p, ident = compile_plan(model, out, "--verbose", hetc=hetc)
    ok = p.returncode == 0 and os.path.join(prefix, "bin", "..", "lib") in p.stderr and \
        "-I" + os.path.join(prefix, "bin", "..", "include", "hetc") in p.stderr and \
        API not in p.stderr
    report("installed hetc builds against its prefix (spaces in prefix and -o)", ok,
           p.stderr[-600:])
    if p.returncode == 0:
        r = run_binary(os.path.join(out, ident))
        report("installed hetc: the binary runs", r.returncode == 0, r.stderr)
    p, ident = compile_plan(model, os.path.join(tmp, "tree dir"), "--verbose")
    report("hetc in its build tree builds against the build tree",
           p.returncode == 0 and API in p.stderr, p.stderr[-400:])


def check_cc(tmp, model):
    gcc = shutil.which("gcc")
    # the compiler's words first, HETC_CC's flags after the built-in ones (-O1 after -O2)
    cases = [("gcc -O1", "gcc -std=c11", " -O1 "), ("'%s' -O0" % gcc, gcc + " -std=c11", " -O0 "),
             ('"%s"  -O1 -DX=\\"y\\"' % gcc, gcc + " -std=c11", ' -O1 -DX="y" ')]
    for cc, first, last in cases:
        env = dict(os.environ, HETC_CC=cc)
        out = os.path.join(tmp, "cc")
        shutil.rmtree(out, ignore_errors=True)
        p, ident = compile_plan(model, out, "--verbose", env=env)
        lines = p.stderr.splitlines()
        ok = p.returncode == 0 and lines and lines[0].startswith(first) and \
            lines[0].find(last) > lines[0].find(" -O2 ") > 0
        if ok:
            ok = run_binary(os.path.join(out, ident)).returncode == 0
        report("HETC_CC=%s: its flags after -O2" % cc, ok, p.stderr[-400:])
    env = dict(os.environ, HETC_CC="'gcc -O1")
    p, ident = compile_plan(model, os.path.join(tmp, "cc2"), env=env)
    report("HETC_CC with an unterminated quote: exit 3, one line",
           p.returncode == 3 and "HETC_CC" in p.stderr and len(p.stderr.splitlines()) == 1,
           "exit %d: %s" % (p.returncode, p.stderr))
    out = os.path.join(tmp, "cc3")
    env = dict(os.environ, HETC_CC="gcc" + " -DW" * 300)
    p, ident = compile_plan(model, out, env=env)
    report("HETC_CC of 300 words: exit 3, one line, no a.out",
           p.returncode == 3 and "HETC_CC" in p.stderr and len(p.stderr.splitlines()) == 1 and
           not os.path.exists("a.out"), "exit %d: %s" % (p.returncode, p.stderr[-400:]))


def check_cxx(tmp, model):
    out = os.path.join(tmp, "cxx")
    p, ident = compile_plan(model, out, "--name", "class")
    if p.returncode != 0:
        report("C++ includes NAME.h", False, p.stderr)
        return
    src = os.path.join(tmp, "use.cpp")
    with open(src, "w") as f:
        f.write('#include "%s.h"\n#include <cstdio>\n#include <vector>\n'
                "int main(int argc, char **argv) {\n"
                "    (void)argc;\n    int status = 0;\n"
                "    %s *m = %s_create(argv[1], 1, &status);\n"
                "    if (!m) return 1;\n"
                "    std::vector<float> in(1 * 3 * 6 * 6, 0.5f), out(5);\n"
                "    const void *ins[] = {in.data()};\n    void *outs[] = {out.data()};\n"
                "    status = %s_run(m, ins, outs);\n"
                '    std::printf("cxx %%d %%g\\n", status, (double)out[0]);\n'
                "    %s_destroy(m);\n    return status;\n}\n"
                % (ident, ident, ident, ident, ident))
    exe = os.path.join(tmp, "use")
    r = subprocess.run(["g++", *SANITIZE, "-I", out, src, os.path.join(out, "lib%s.a" % ident),
                        RUNTIME, *LDLIBS, "-o", exe], capture_output=True, text=True)
    ok = r.returncode == 0
    if ok:
        r = subprocess.run([exe, os.path.join(out, ident + ".weights")], capture_output=True,
                           text=True)
        ok = r.returncode == 0 and r.stdout.startswith("cxx 0 ")
    report("C++ includes %s.h and links lib%s.a" % (ident, ident), ok, r.stderr[-400:])


def check_progress(tmp, model):
    """a terminal sees what the build runs; a pipe does not"""
    out = os.path.join(tmp, "tty")
    pid, fd = pty.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.execv(HETC, [HETC, "compile", model, "-o", out, "--name", "tty"])
    text = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        text += chunk
    _, st = os.waitpid(pid, 0)
    text = text.decode(errors="replace")
    report("on a terminal: the build says what it compiles and links",
           os.WEXITSTATUS(st) == 0 and "compiling tty.c" in text and "linking tty" in text,
           repr(text[-300:]))
    p, ident = compile_plan(model, out)
    report("not on a terminal: no progress lines", p.returncode == 0 and p.stderr == "",
           repr(p.stderr))


def check_large(tmp):
    n = 50000
    nodes, prev = [], "x"
    for i in range(n):
        out = "y" if i == n - 1 else "v%d" % i
        if i % 2:
            nodes.append(helper.make_node("Relu", [prev], [out], name="n%d" % i))
        else:
            nodes.append(helper.make_node("Add", [prev, "x"], [out], name="n%d" % i))
        prev = out
    model = save(nodes, os.path.join(tmp, "large.onnx"), shape=(1, 8))
    t0 = time.time()
    p, ident = compile_plan(model, os.path.join(tmp, "large"))
    dt = time.time() - t0
    ok = p.returncode == 0 and dt < 60
    if ok:
        ok = run_binary(os.path.join(tmp, "large", ident)).returncode == 0
    report("a %d-step plan builds in %.1f s (< 60 s) and runs" % (n, dt), ok, p.stderr[-300:])


def main():
    global HETC, API, RUNTIME, LDLIBS, SANITIZE
    ap = argparse.ArgumentParser()
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--api", required=True, help="the build tree's api folder")
    ap.add_argument("--runtime", required=True, help="libhetc_runtime.a")
    ap.add_argument("--ldlibs", required=True, help="the plan's libraries, space-separated")
    ap.add_argument("--cflags", default="", help="the plan's C flags, space-separated")
    ap.add_argument("--large", action="store_true")
    a = ap.parse_args()
    HETC, API, RUNTIME = os.path.abspath(a.hetc), os.path.abspath(a.api), a.runtime
    LDLIBS = a.ldlibs.split()
    SANITIZE = [w for w in a.cflags.split() if "sanitize" in w]
    with tempfile.TemporaryDirectory() as tmp:
        if a.large:
            check_large(tmp)
        else:
            fused = fused_model(os.path.join(tmp, "fused.onnx"))
            check_names(tmp)
            check_name_choice(tmp)
            check_node_names(tmp)
            check_fused(tmp, fused)
            check_long_fusion(tmp)
            check_installed(tmp, fused)
            check_cc(tmp, fused)
            check_cxx(tmp, fused)
            check_progress(tmp, fused)
            check_own_names(tmp, fused)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
