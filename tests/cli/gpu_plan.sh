#!/usr/bin/env bash
# gpu_plan.sh HETC MODEL.onnx EMPTY_DIR: a plan compiled with --strategy gpu. With no OpenCL
# platform at all (OCL_ICD_VENDORS pointing at the empty folder EMPTY_DIR) and with a device
# name that matches nothing, the binary exits 3 with one line naming the failing call. Where an
# OpenCL device exists, its outputs match the cpu plan's within DESIGN.md's tolerance, and a
# traced run records every step; without one (and HETC_REQUIRE_OPENCL unset) that part is
# skipped, said so.
set -u
hetc=$1 model=$2 empty=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

"$hetc" compile "$model" -o "$tmp/g" --name m --strategy gpu >/dev/null ||
    { echo "compile --strategy gpu failed"; exit 1; }
"$hetc" compile "$model" -o "$tmp/c" --name m --strategy cpu >/dev/null ||
    { echo "compile --strategy cpu failed"; exit 1; }
grep -q '"strategy": "gpu"' "$tmp/g/m.plan.json" && ok || bad "plan file does not say gpu"

# expect_env_failure PATTERN ENV...: exit 3, one stderr line that matches PATTERN
expect_env_failure() {
    local pat=$1; shift
    env "$@" "$tmp/g/m" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne 3 ]; then
        bad "$* m exited $got, expected 3"; sed 's/^/  | /' "$tmp/err"; return
    fi
    if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "$pat" "$tmp/err"; then
        bad "$* m: expected one line matching '$pat'"; sed 's/^/  | /' "$tmp/err"; return
    fi
    ok
}
expect_env_failure 'clGetPlatformIDs failed: CL_[A-Z_]* (-[0-9]*) at .*ocl\.c:[0-9]' \
    OCL_ICD_VENDORS="$empty"
expect_env_failure 'no OpenCL device matches "no such device' HETC_CL_DEVICE="no such device"

if "$tmp/g/m" --iters 1 >"$tmp/out" 2>"$tmp/err"; then
    "$tmp/g/m" --output "$tmp/g.bin" && "$tmp/c/m" --output "$tmp/c.bin" || bad "runs failed"
    # max |gpu - cpu| <= 1e-4 + 1e-3 max |cpu|, on the raw float32 outputs
    python3 - "$tmp/g.bin" "$tmp/c.bin" <<'EOF' && ok || bad "gpu and cpu outputs differ"
import array, sys
g, c = (array.array("f", open(p, "rb").read()) for p in sys.argv[1:3])
tol = 1e-4 + 1e-3 * max((abs(x) for x in c), default=0)
err = max((abs(x - y) for x, y in zip(g, c)), default=0)
print(f"gpu vs cpu: {len(c)} values, max error {err:.3g}, tolerance {tol:.3g}")
sys.exit(0 if len(g) == len(c) and err <= tol else 1)
EOF
    "$tmp/g/m" --iters 2 --trace "$tmp/t.json" >/dev/null && grep -q '"ph": "X"' "$tmp/t.json" &&
        ok || bad "a traced gpu run recorded no steps"
    "$tmp/g/m" --json --iters 3 | grep -q '"processors": \[{"id": "ocl0", "backend": "opencl"' && ok ||
        bad "--json does not name the gpu processor"
elif [ "${HETC_REQUIRE_OPENCL:-0}" = 1 ]; then
    bad "no OpenCL device, but HETC_REQUIRE_OPENCL=1"; sed 's/^/  | /' "$tmp/err"
else
    echo "skipped the runs on a device: none here ($(head -1 "$tmp/err"))"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
