#!/usr/bin/env bash
# binary_hardening.sh HETC PYTHON: the plan binary against hostile tensor files, paths and flag
# values, and what a new user expects of it. Small models are made here with the onnx package:
#   two  a, b float32 [2,3] -> y = a - b         (input order matters)
#   u8   u uint8 [4] -> y = float(u)             (a 1-byte element)
#   i64  v int64 [3] -> y = float(v)             (an 8-byte element)
#   ctl  an input and an output whose names carry control characters
#   wts  a float32 [2,3] -> y = a + w, w a constant (a plan with a weights file)
#   wide 300 inputs, each through a Relu to its own output (more than 256 of each)
# each compiled into $tmp/MODEL/hb_MODEL (a plan name no C or runtime symbol takes).
# Checks: a .pb field whose wire type does not fit the dtype is refused (exit 2, one line) and
# every encoding ONNX writes is read right; FIFOs, devices and folders as --input or --weights
# are refused at once ("not a regular file"); a file far larger than its input is refused before
# it is read; --iters near INT_MAX neither overflows nor allocates per run; --threads is clamped
# to the CPUs online; names from the model are escaped; --version; .npy in and out;
# --input NAME=FILE; throughput; output errors name the output path; the trace names the device
# (the CPU's model name; on a gpu plan, where OpenCL has a device, the device's name).
set -u
hetc=$1 py=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# run PLAN ARGS...: runs a plan binary (with a time limit) into $tmp/out, $tmp/err and $rc
run() {
    local plan=$1; shift
    timeout 20 "$tmp/$plan/hb_$plan" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
# expect STATUS PLAN ARGS...: the exit status; 1 and 2 with one stderr line
expect() {
    local want=$1; shift
    run "$@"
    if [ "$rc" -ne "$want" ]; then
        bad "$* exited $rc, expected $want"; sed 's/^/  | /' "$tmp/err" | head -5; return 1
    fi
    if [ "$want" -ne 0 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        bad "$*: expected one diagnostic line"; sed 's/^/  | /' "$tmp/err" | head -5; return 1
    fi
    ok
}
# expect_err STATUS WORDS PLAN ARGS...: expect, and the diagnostic contains WORDS
expect_err() {
    local want=$1 words=$2; shift 2
    expect "$want" "$@" || return
    grep -qF -- "$words" "$tmp/err" || bad "$*: the diagnostic lacks '$words': $(cat "$tmp/err")"
}

fuzzdir=$(dirname "$0")/../../fuzz
"$py" - "$tmp" "$fuzzdir" <<'EOF' || { echo "making the models and tensors failed"; exit 1; }
import struct, sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

d = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from make_corpus_tensor import head, key, varint  # the wire format, written by hand

def save(name, nodes, ins, outs):
    g = helper.make_graph(nodes, "g", ins, outs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, f"{d}/{name}.onnx")

vi = helper.make_tensor_value_info
F, U8, I64 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT64
save("two", [helper.make_node("Sub", ["a", "b"], ["y"])],
     [vi("a", F, [2, 3]), vi("b", F, [2, 3])], [vi("y", F, [2, 3])])
save("u8", [helper.make_node("Cast", ["u"], ["y"], to=F)], [vi("u", U8, [4])], [vi("y", F, [4])])
save("i64", [helper.make_node("Cast", ["v"], ["y"], to=F)], [vi("v", I64, [3])],
     [vi("y", F, [3])])
save("ctl", [helper.make_node("Relu", ["in\x1b[31m\nX"], ["out\x07\x1b]0;pwn\x07"])],
     [vi("in\x1b[31m\nX", F, [2])], [vi("out\x07\x1b]0;pwn\x07", F, [2])])
g = helper.make_graph([helper.make_node("Add", ["a", "w"], ["y"])], "g", [vi("a", F, [2, 3])],
                      [vi("y", F, [2, 3])], [numpy_helper.from_array(np.ones((2, 3), np.float32),
                                                                     "w")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.save(m, f"{d}/wts.onnx")
save("wide", [helper.make_node("Relu", [f"x{i}"], [f"y{i}"]) for i in range(300)],
     [vi(f"x{i}", F, [2]) for i in range(300)], [vi(f"y{i}", F, [2]) for i in range(300)])

a = np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5
b = np.full((2, 3), 0.25, np.float32)
a.tofile(f"{d}/a.bin"); b.tofile(f"{d}/b.bin")
np.save(f"{d}/a.npy", a); np.save(f"{d}/b.npy", b)
(a - b).tofile(f"{d}/want_two.bin")
np.lib.format.write_array(open(f"{d}/a_v2.npy", "wb"), a, version=(2, 0))
np.save(f"{d}/a_fortran.npy", np.asfortranarray(a))
np.save(f"{d}/a_be.npy", a.astype(">f4"))
np.save(f"{d}/a_f64.npy", a.astype(np.float64))
np.save(f"{d}/a_shape.npy", a.reshape(3, 2))
open(f"{d}/a_badhdr.npy", "wb").write(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}")

u = np.array([1, 2, 250, 7], np.uint8)
np.array(u, np.float32).tofile(f"{d}/want_u8.bin")
v = np.array([-5, 1 << 40, 3], np.int64)
np.array(v, np.float32).tofile(f"{d}/want_i64.bin")
tensors = {
    # int32_data as fixed64 (wire type 1): 8 bytes per 1-byte element
    "u8_fixed64.pb": head([4], U8) + b"".join(key(5, 1) + struct.pack("<q", int(x)) for x in u),
    # float_data as fixed64 for a uint8 tensor
    "u8_float64.pb": head([4], U8) + b"".join(key(4, 1) + struct.pack("<d", 1.0) for x in u),
    # int64_data as fixed32 (wire type 5): 4 bytes per 8-byte element
    "i64_fixed32.pb": head([3], I64) + b"".join(key(7, 5) + struct.pack("<i", 1) for x in v),
    # raw_data as a varint
    "u8_rawvarint.pb": head([4], U8) + key(9, 0) + varint(5),
    # a value that does not fit the element
    "u8_range.pb": head([4], U8) + b"".join(key(5, 0) + varint(x) for x in (1, 2, 300, 7)),
    # float_data in an int64 tensor
    "i64_floatdata.pb": head([3], I64) + b"".join(key(4, 5) + struct.pack("<f", 1) for x in v),
    # the encodings ONNX writes, each read right
    "u8_int32.pb": helper.make_tensor("u", U8, [4], u.tolist()).SerializeToString(),
    "u8_raw.pb": numpy_helper.from_array(u, "u").SerializeToString(),
    "u8_unpacked.pb": head([4], U8) + b"".join(key(5, 0) + varint(int(x)) for x in u),
    "i64_int64.pb": helper.make_tensor("v", I64, [3], v.tolist()).SerializeToString(),
    "i64_unpacked.pb": head([3], I64) + b"".join(key(7, 0) + varint(int(x)) for x in v),
    "a_float.pb": helper.make_tensor("a", F, [2, 3], a.ravel().tolist()).SerializeToString(),
    "a_unpacked.pb": head([2, 3], F) + b"".join(key(4, 5) + struct.pack("<f", x)
                                               for x in a.ravel()),
}
for name, data in tensors.items():
    open(f"{d}/{name}", "wb").write(data)
np.array([1, 2, 3, 4], np.float32).tofile(f"{d}/c.bin")
EOF

for m in two u8 i64 ctl wts wide; do
    "$hetc" compile "$tmp/$m.onnx" -o "$tmp/$m" --name "hb_$m" >/dev/null 2>"$tmp/cerr" ||
        { echo "compile $m failed: $(cat "$tmp/cerr")"; exit 1; }
done

# ---- 1. tensor files: wire types against dtypes --------------------------------------------
expect_err 2 "wire type 1" u8 --input "$tmp/u8_fixed64.pb"
expect_err 2 "wire type 1" u8 --input "$tmp/u8_float64.pb"
expect_err 2 "wire type 5" i64 --input "$tmp/i64_fixed32.pb"
expect_err 2 "wire type 0" u8 --input "$tmp/u8_rawvarint.pb"
expect_err 2 "300" u8 --input "$tmp/u8_range.pb"
expect_err 2 "float_data" i64 --input "$tmp/i64_floatdata.pb"
for f in u8_int32 u8_raw u8_unpacked; do
    expect 0 u8 --input "$tmp/$f.pb" --output "$tmp/o.bin" &&
        { cmp -s "$tmp/o.bin" "$tmp/want_u8.bin" && ok || bad "$f.pb read wrong"; }
done
for f in i64_int64 i64_unpacked; do
    expect 0 i64 --input "$tmp/$f.pb" --output "$tmp/o.bin" &&
        { cmp -s "$tmp/o.bin" "$tmp/want_i64.bin" && ok || bad "$f.pb read wrong"; }
done
for f in a_float a_unpacked; do
    expect 0 two --input "$tmp/$f.pb" --input "$tmp/b.bin" --output "$tmp/o.bin" &&
        { cmp -s "$tmp/o.bin" "$tmp/want_two.bin" && ok || bad "$f.pb read wrong"; }
done

# ---- 2. sizes: --iters, --threads ------------------------------------------------------------
# the latencies kept are bounded: with 4 GB of address space the largest counts still run (and
# are stopped by timeout, 124), rather than fail to allocate a latency per run; an ASan build
# needs far more address space, so it runs without the limit
limit=4000000
grep -q __asan_init "$tmp/two/hb_two" && limit=unlimited
(ulimit -v $limit; timeout 3 "$tmp/two/hb_two" --iters 2147483647 --warmup 2147483647 \
    >"$tmp/out" 2>"$tmp/err")
rc=$?
[ "$rc" -eq 124 ] && ok ||
    bad "--iters 2147483647 --warmup 2147483647 exited $rc: $(cat "$tmp/err")"
# past the sample's size the statistics still hold: min <= p10 <= median <= p90
expect 0 two --json --iters 70000 &&
    "$py" -c '
import json, sys
j = json.load(open(sys.argv[1]))
l = j["latency_ms"]
assert j["iters"] == 70000, j
assert 0 <= l["min"] <= l["p10"] <= l["median"] <= l["p90"], l
assert j["throughput_ips"] > 0, j
' "$tmp/out" && ok || bad "--iters 70000: $(cat "$tmp/out")"
ncpu=$(getconf _NPROCESSORS_ONLN)
expect 0 two --json --iters 2 --threads 100000 &&
    { grep -q "\"threads\": $ncpu," "$tmp/out" && grep -q "note: --threads 100000" "$tmp/err" &&
        ok || bad "--threads 100000 not clamped to $ncpu: $(cat "$tmp/out" "$tmp/err")"; }
expect 1 two --iters 2147483648
expect 1 two --threads 0

# ---- 3. files: never block, never a misleading out-of-memory ---------------------------------
mkfifo "$tmp/fifo"
mkdir "$tmp/dir.bin"
for f in /dev/zero "$tmp/fifo" "$tmp/dir.bin"; do
    expect_err 2 "not a regular file" two --input "$f" --input "$tmp/b.bin"
    expect_err 2 "not a regular file" wts --weights "$f"
done
# the plan opens its weights file once, and only when it has one
expect 0 wts
expect 0 two --weights "$tmp/fifo"
expect_err 2 "cannot read the weights" wts --weights "$tmp/no/such.weights"
cp "$tmp/wts/hb_wts.weights" "$tmp/cut.weights" && truncate -s 70 "$tmp/cut.weights"
expect_err 2 "truncated, corrupt" wts --weights "$tmp/cut.weights"
# more than 256 inputs and outputs (seeded inputs, and one output file each)
expect 0 wide
outs=()
for i in $(seq 0 299); do outs+=(--output "$tmp/wide_$i.bin"); done
expect 0 wide "${outs[@]}"
[ -s "$tmp/wide_299.bin" ] && ok || bad "wide: output 299 was not written"
expect_err 2 "not a regular file" two --input "a=/dev/zero" --input "b=$tmp/b.bin"
# sizes come before allocation: 4 GB sparse files under a 2 GB address space
truncate -s 4G "$tmp/big.bin" "$tmp/big.pb" "$tmp/big.npy"
limit=2000000
grep -q __asan_init "$tmp/two/hb_two" && limit=unlimited
for f in big.bin big.pb big.npy; do
    (ulimit -v $limit; timeout 10 "$tmp/two/hb_two" --input "$tmp/$f" --input "$tmp/b.bin" \
        >"$tmp/out" 2>"$tmp/err")
    rc=$?
    [ "$rc" -eq 2 ] && grep -q "4294967296" "$tmp/err" && ok ||
        bad "a 4 GB $f: exit $rc: $(cat "$tmp/err")"
done

# ---- 4. names from the model are escaped -----------------------------------------------------
esc=$(printf '\033')
bel=$(printf '\007')
expect 0 ctl
grep -q "$esc\|$bel" "$tmp/out" &&
    bad "control characters reach the terminal: $(od -c "$tmp/out")" || ok
grep -qF 'out\x07\x1b]0;pwn\x07' "$tmp/out" && ok ||
    bad "the output's name is not shown escaped: $(cat "$tmp/out")"
expect 2 ctl --input "$tmp/b.bin"
grep -q "$esc" "$tmp/err" && bad "control characters in a diagnostic" || ok
grep -qF 'in\x1b[31m\x0aX' "$tmp/err" && ok ||
    bad "the input's name is not shown escaped: $(cat "$tmp/err")"
expect 0 ctl --json --iters 2
expect 0 ctl --iters 2 --trace "$tmp/ctl.json"
"$py" -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/ctl.json" && ok ||
    bad "the trace of a plan with control characters in its names is not JSON"

# ---- 5. what a new user expects --------------------------------------------------------------
expect 0 two --version && { grep -q '^hb_two (a plan of hetc [0-9][0-9.]*)$' "$tmp/out" && ok ||
    bad "--version printed: $(cat "$tmp/out")"; }
expect 0 two --help && { grep -q -- '--input \[NAME=\]FILE' "$tmp/out" && grep -q -- '--version' \
    "$tmp/out" && grep -q '\.npy' "$tmp/out" && ok || bad "--help lacks the new flags"; }
# .npy in: the same answer as .bin; version 2.0 too; the refusals
for f in a.npy a_v2.npy; do
    expect 0 two --input "$tmp/$f" --input "$tmp/b.npy" --output "$tmp/o.bin" &&
        { cmp -s "$tmp/o.bin" "$tmp/want_two.bin" && ok || bad "$f read wrong"; }
done
expect_err 2 "Fortran order" two --input "$tmp/a_fortran.npy" --input "$tmp/b.bin"
expect_err 2 "big-endian" two --input "$tmp/a_be.npy" --input "$tmp/b.bin"
expect_err 2 "dtype '<f8'" two --input "$tmp/a_f64.npy" --input "$tmp/b.bin"
expect_err 2 "shape [3,2]" two --input "$tmp/a_shape.npy" --input "$tmp/b.bin"
expect_err 2 "malformed .npy header" two --input "$tmp/a_badhdr.npy" --input "$tmp/b.bin"
cp "$tmp/a.bin" "$tmp/a.bin.npy"
expect_err 2 "no NumPy magic" two --input "$tmp/a.bin.npy" --input "$tmp/b.bin"
# --input NAME=FILE in any order; the refusals are usage errors
expect 0 two --input "b=$tmp/b.bin" --input "a=$tmp/a.npy" --output "$tmp/o.bin" &&
    { cmp -s "$tmp/o.bin" "$tmp/want_two.bin" && ok || bad "--input NAME=FILE, reversed: wrong"; }
expect_err 1 'no input named "c"' two --input "c=$tmp/a.bin" --input "b=$tmp/b.bin"
expect_err 1 "given twice" two --input "a=$tmp/a.bin" --input "a=$tmp/b.bin"
expect_err 1 "NAME=FILE or none" two --input "a=$tmp/a.bin" --input "$tmp/b.bin"
expect_err 1 'input "b" has no --input' two --input "a=$tmp/a.bin"
# .npy out: the same values as .bin out
expect 0 two --input "$tmp/a.bin" --input "$tmp/b.bin" --output "$tmp/o.npy" &&
    "$py" -c '
import numpy as np, sys
o = np.load(sys.argv[1])
w = np.fromfile(sys.argv[2], np.float32).reshape(2, 3)
assert o.dtype == np.float32 and o.shape == (2, 3) and (o == w).all(), o
' "$tmp/o.npy" "$tmp/want_two.bin" && ok || bad ".npy output differs"
expect 0 u8 --input "$tmp/u8_raw.pb" --output "$tmp/o.npy" &&
    "$py" -c 'import numpy as np, sys; assert np.load(sys.argv[1]).shape == (4,)' "$tmp/o.npy" &&
    ok || bad ".npy output of shape [4]"
# throughput beside latency; the JSON keys of the contract stay
expect 0 two --iters 5 && { grep -q 'latency median .* ms over 5 runs, throughput .* inferences/s' \
    "$tmp/out" && ok || bad "no throughput in the text report: $(cat "$tmp/out")"; }
expect 0 two --json --iters 5 &&
    "$py" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert set(j) >= {"latency_ms", "iters", "threads", "processors", "throughput_ips"}, j
assert set(j["latency_ms"]) == {"median", "p10", "p90", "min"}, j
assert j["throughput_ips"] > 0 and j["iters"] == 5, j
' "$tmp/out" && ok || bad "--json: $(cat "$tmp/out")"
# errors about output files name the output path
expect_err 3 "$tmp/no/such/o.bin" two --output "$tmp/no/such/o.bin"
expect_err 3 "$tmp/dir.bin" two --output "$tmp/dir.bin"
expect_err 3 "$tmp/no/such/t.json" two --trace "$tmp/no/such/t.json"
# the trace's track names the processor and its device: the CPU's model name on a cpu plan
expect 0 two --trace "$tmp/t.json"
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1 |
    sed 's/[[:space:]]*$//')
if [ -n "$cpu" ]; then
    grep -qF ": $cpu (1 thread)\"" "$tmp/t.json" && ok ||
        bad "the trace does not name the CPU ($cpu): $(head -3 "$tmp/t.json")"
fi
# on a gpu plan, the OpenCL device's name (skipped where there is no OpenCL device: exit 3)
if "$hetc" compile "$tmp/two.onnx" -o "$tmp/gpu" --name hb_gpu --strategy gpu >/dev/null 2>&1; then
    timeout 120 "$tmp/gpu/hb_gpu" --trace "$tmp/g.json" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        "$py" -c '
import json, sys
t = json.load(open(sys.argv[1]))
dev = t["otherData"]["device"]
assert dev and dev != "cpu", dev
assert t["traceEvents"][0]["args"]["name"].endswith(": %s (1 thread)" % dev), t["traceEvents"][0]
' "$tmp/g.json" && ok ||
            bad "the gpu plan's trace does not name its device: $(head -2 "$tmp/g.json")"
    elif [ "$rc" -eq 3 ]; then
        echo "skipped the gpu trace: no OpenCL device ($(cat "$tmp/err"))"
    else
        bad "the gpu plan exited $rc: $(cat "$tmp/err")"
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
