#!/usr/bin/env bash
# binary.sh HETC MODEL.onnx: a compiled plan's binary: its flags, outputs, and exit statuses on
# bad input (a truncated, corrupt or missing weights file, an input of the wrong size or type).
set -u
hetc=$1 model=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect STATUS ARGS...: run the plan binary and require the exit status (2: one stderr line)
expect() {
    local want=$1; shift
    "$tmp/p/m" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        bad "m $* exited $got, expected $want"; sed 's/^/  | /' "$tmp/err"; return
    fi
    if [ "$want" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        bad "m $*: expected one diagnostic line"; sed 's/^/  | /' "$tmp/err"; return
    fi
    ok
}

"$hetc" compile "$model" -o "$tmp/p" --name m >/dev/null || { echo "compile failed"; exit 1; }
"$hetc" compile "$model" -o "$tmp/nested/dirs/p" --name m >/dev/null && [ -x "$tmp/nested/dirs/p/m" ] &&
    ok || bad "compile into a folder whose parents do not exist"
for f in m m.c m.h m_main.c m.weights m.plan.json libm.a; do
    [ -e "$tmp/p/$f" ] && ok || bad "compile did not write $f"
done
expect 0
expect 0 --help
expect 0 --json --iters 3 --threads 2
grep -q '"latency_ms": {"median"' "$tmp/out" && ok || bad "--json lacks latency_ms"
expect 0 --iters 2 --trace "$tmp/t.json"
grep -q '"traceEvents"' "$tmp/t.json" && grep -q '"ph": "X"' "$tmp/t.json" && ok ||
    bad "--trace wrote no step events"
expect 0 --output "$tmp/o.bin"
expect 0 --output "$tmp/o.pb"
[ -s "$tmp/o.bin" ] && [ -s "$tmp/o.pb" ] && ok || bad "outputs not written"
# the .pb output fed back is rejected or accepted by shape: write the input as .pb instead
expect 1 --iters 0
expect 1 --bogus 1
expect 1 --input a --input b --input c
head -c 10 /dev/zero >"$tmp/short.bin"
expect 2 --input "$tmp/short.bin"
printf '\x08\x01\x10' >"$tmp/bad.pb"
expect 2 --input "$tmp/bad.pb"
expect 2 --input "$tmp/missing.bin"
cp "$tmp/p/m.weights" "$tmp/w"
head -c 100 "$tmp/w" >"$tmp/p/m.weights"
expect 2
cp "$tmp/w" "$tmp/p/m.weights"
printf '\xff' | dd of="$tmp/p/m.weights" bs=1 seek=200 conv=notrunc 2>/dev/null
expect 2
rm "$tmp/p/m.weights"
expect 2
expect 0 --weights "$tmp/w"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
