#!/usr/bin/env python3
"""Robustness: `hetc inspect` on corrupted ONNX files must fail cleanly, never crash or hang.

What it checks
  Makes N mutated copies of the reference models (and of any --extra FILE) in a temp dir:
  truncations at random offsets, single and multiple random byte flips, overwritten runs of
  random bytes, and a few files of pure random bytes. Byte mutations use the smaller models
  only (<= 1.5 MB); larger ones are only truncated. Offsets favour the head of the file (the
  nodes) and its tail (graph inputs/outputs, opset imports), where the structure is.
  Each copy is run as `hetc inspect FILE --json --shape NAME=DIMS...` (the reference input
  shapes; overrides naming an input that the mutated file no longer has are dropped when
  onnx can still parse it) under a timeout, and must:
    - exit 0 or 2 (no signal, no timeout, no other status);
    - on exit 2, print exactly one non-empty line on stderr, naming the file;
    - print on stdout nothing or one valid UTF-8 JSON object (exit 0: one JSON object);
    - never print sanitizer reports (AddressSanitizer, LeakSanitizer, "runtime error:").
  The mutations depend only on --seed and the input files, so a run is reproducible.

Output: one FAIL line per failing file, a WARN line per diagnostic that carries raw control
characters (unescaped names; not a failure), the worst-case run time, then
`N passed, N failed`.
Exit status 1 if any failed. --keep DIR copies failing files there with a .txt beside each
(command, exit status, stderr) for reproduction.

Run
  .venv/bin/python tests/robust/mutate.py --hetc build/tools/hetc \
      [--models DIR] [--extra FILE...] [--count 300] [--seed 1] [--timeout 5] [--keep DIR]
  --models defaults to $HETC_MODELS or ../shared/models (beside the repo root); when that
  folder does not exist, the --extra files (or else fuzz/corpus/*.onnx) are mutated instead.
"""
import argparse
import concurrent.futures
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import onnx

REPO = Path(__file__).resolve().parents[2]
SMALL_BYTES = 1_500_000          # byte-level mutations only below this size
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
KINDS = ("truncate", "flip1", "flipN", "overwrite", "random")
WEIGHTS = (30, 25, 20, 22, 3)


def input_shapes(data):
    """Declared real-input shapes of a parseable model (unknown dims -> 1), else {}."""
    try:
        model = onnx.ModelProto.FromString(data)
    except Exception:
        return {}
    inits = {t.name for t in model.graph.initializer}
    shapes = {}
    for vi in model.graph.input:
        tt = vi.type.tensor_type
        if vi.name not in inits and tt.HasField("shape"):
            shapes[vi.name] = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1
                               for d in tt.shape.dim]
    return shapes


def load_sources(models_dir, extras):
    """[(name, bytes, {input: dims})], smallest first."""
    sources = []
    if models_dir and models_dir.is_dir():
        for d in sorted(models_dir.iterdir()):
            model, ref = d / "model.onnx", d / "reference.json"
            if model.is_file() and ref.is_file():
                shapes = {i["name"]: i["shape"] for i in json.loads(ref.read_text())["inputs"]}
                sources.append((d.name, model.read_bytes(), shapes))
    for f in extras:
        data = Path(f).read_bytes()
        sources.append((Path(f).stem, data, input_shapes(data)))
    return sorted((s for s in sources if s[1]), key=lambda s: (len(s[1]), s[0]))  # no empty


def offset(rng, size):
    """A random offset, favouring the head (nodes) and the tail (I/O, opsets) of the file."""
    where = rng.random()
    if where < 1 / 3:
        return rng.randrange(min(size, 16384))
    if where < 2 / 3:
        return size - 1 - rng.randrange(min(size, 4096))
    return rng.randrange(size)


def mutate(rng, kind, data):
    buf = bytearray(data)
    if kind == "truncate":
        return bytes(buf[:offset(rng, len(buf))])
    if kind == "flip1":
        buf[offset(rng, len(buf))] ^= 1 << rng.randrange(8)
    elif kind == "flipN":
        for _ in range(rng.randint(2, 16)):
            buf[offset(rng, len(buf))] ^= rng.randrange(1, 256)
    elif kind == "overwrite":
        at = offset(rng, len(buf))
        run = min(rng.choice((2, 4, 8, 16, 64, 256)), len(buf) - at)
        buf[at:at + run] = bytes(rng.randrange(256) for _ in range(run))
    elif kind == "random":
        return bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 7, 100, 1000, 4096))))
    return bytes(buf)


def make_cases(sources, count, seed, folder):
    """Write `count` mutated files; returns [(path, shapes)]. Deterministic in `seed`."""
    rng = random.Random(seed)
    small = [s for s in sources if len(s[1]) <= SMALL_BYTES] or sources[:1]
    cases = []
    for i in range(count):
        kind = rng.choices(KINDS, WEIGHTS)[0]
        name, data, shapes = rng.choice(sources if kind == "truncate" else small)
        if kind == "random":
            name, shapes = "noise", {}
        mutated = mutate(rng, kind, data)
        path = folder / f"{i:04d}_{name}_{kind}.onnx"
        path.write_bytes(mutated)
        still = input_shapes(mutated)   # drop overrides for inputs the file no longer has
        if still:
            shapes = {k: v for k, v in shapes.items() if k in still}
        cases.append((path, shapes))
    return cases


def check(hetc, path, shapes, timeout):
    """Run hetc on one file. Returns (problem or None, seconds, command, exit status, stderr)."""
    cmd = [hetc, "inspect", str(path), "--json"]
    for name, dims in shapes.items():
        cmd += ["--shape", f"{name}=" + "x".join(str(d) for d in dims)]
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout} s", time.monotonic() - start, cmd, None, ""
    took = time.monotonic() - start
    err = p.stderr.decode("utf-8", "replace")
    rc = p.returncode
    result = lambda problem: (problem, took, cmd, rc, err)

    mark = next((l for l in err.splitlines() if any(m in l for m in SANITIZER_MARKS)), None)
    if mark:
        return result(f"sanitizer: {mark.strip()[:160]}")
    if rc < 0:
        return result(f"killed by signal {-rc}")
    if rc not in (0, 2):
        return result(f"exit {rc}: {err.strip()[:160]}")
    if rc == 2:
        lines = [l for l in err.split("\n") if l.strip()]   # '\n' alone ends a line
        if len(lines) != 1:
            return result(f"exit 2 with {len(lines)} stderr lines (want exactly 1)")
        if path.name not in lines[0]:
            return result(f"diagnostic does not name the file: {lines[0][:160]}")
    if p.stdout.strip() or rc == 0:
        try:
            if not isinstance(json.loads(p.stdout.decode("utf-8")), dict):
                raise ValueError("not an object")
        except ValueError as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return result(f"exit {rc}, stdout is not one UTF-8 JSON object ({type(e).__name__})")
    return result(None)


def has_control_chars(text):
    return any(ord(c) < 32 and c not in "\t\n" or c == "\x7f" for c in text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hetc", required=True, help="path to the hetc binary")
    ap.add_argument("--models", help="reference models dir ($HETC_MODELS, ../shared/models)")
    ap.add_argument("--extra", nargs="+", default=[], metavar="FILE", help="more .onnx inputs")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds per hetc run")
    ap.add_argument("--keep", metavar="DIR", help="copy failing files (and a .txt each) here")
    ap.add_argument("-j", "--jobs", type=int, default=min(4, max(2, os.cpu_count() or 2)))
    args = ap.parse_args()

    hetc = str(Path(args.hetc).resolve())
    if not os.access(hetc, os.X_OK):
        print(f"error: {args.hetc} is not an executable", file=sys.stderr)
        return 1
    models_dir = Path(args.models or os.environ.get("HETC_MODELS")
                      or REPO.parent / "shared" / "models")
    extras = list(args.extra)
    if not models_dir.is_dir():
        if not extras:
            extras = sorted(str(p) for p in (REPO / "fuzz" / "corpus").glob("*.onnx"))
        print(f"# models dir {models_dir} does not exist: mutating "
              f"{'the --extra files' if args.extra else 'fuzz/corpus/*.onnx'} only")
    sources = load_sources(models_dir, extras)
    if not sources:
        print("error: no models to mutate (no models dir and no --extra)", file=sys.stderr)
        return 1
    print(f"# {len(sources)} source models, {args.count} mutations, seed {args.seed}")

    with tempfile.TemporaryDirectory(prefix="hetc-mutate-") as tmp:
        cases = make_cases(sources, args.count, args.seed, Path(tmp))
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda c: (c[0],) + check(hetc, c[0], c[1], args.timeout),
                                    cases))
        failed = [r for r in results if r[1] is not None]
        for path, problem, _, _, rc, err in results:
            if problem is None and rc == 2 and has_control_chars(err):
                print(f"WARN {path.name}: raw control characters in the diagnostic "
                      f"(names are not escaped): {err.strip()[:100]!r}")
        for path, problem, _, cmd, rc, err in failed:
            print(f"FAIL {path.name}: {problem}")
            if args.keep:
                keep = Path(args.keep)
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, keep / path.name)
                shown = [shlex.quote(str(keep / path.name)) if a == str(path) else shlex.quote(a)
                         for a in cmd]
                (keep / (path.stem + ".txt")).write_text(
                    f"command: {' '.join(shown)}\nexit: {rc}\nproblem: {problem}\n"
                    f"stderr:\n{err}")
        statuses = {}
        for r in results:
            statuses[r[4]] = statuses.get(r[4], 0) + 1
        print("# exit statuses: " + ", ".join(
            f"{'timeout' if k is None else k}: {n}"
            for k, n in sorted(statuses.items(), key=lambda kv: str(kv[0]))))
        worst = max(results, key=lambda r: r[2])
        print(f"# worst-case time {worst[2]:.3f} s ({worst[0].name}); "
              f"median {sorted(r[2] for r in results)[len(results) // 2]:.3f} s")
        if failed and args.keep:
            print(f"# failing files kept in {args.keep}")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
