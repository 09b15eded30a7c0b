#!/usr/bin/env bash
# usage.sh HETC: the command line's exit statuses and help texts (docs/cli.md).
set -u
hetc=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect STATUS ARGS...: run hetc ARGS and require the exit status
expect() {
    local want=$1; shift
    "$hetc" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: hetc $* exited $got, expected $want"
        sed 's/^/  | /' "$tmp/err"
    fi
}

# one diagnostic line on stderr
one_line() {
    local n
    n=$(wc -l <"$tmp/err")
    if [ "$n" -eq 1 ] && [ -s "$tmp/err" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: expected one diagnostic line after hetc $*, got $n"; fi
}

expect 0 --help
grep -q "inspect" "$tmp/out" || { fail=$((fail + 1)); echo "FAIL: --help does not list inspect"; }
expect 0 inspect --help
grep -q -- "--shape" "$tmp/out" || { fail=$((fail + 1)); echo "FAIL: inspect --help lacks --shape"; }
expect 1
expect 1 frobnicate
expect 1 inspect
expect 1 inspect --bogus model.onnx
expect 1 inspect a.onnx b.onnx
expect 1 inspect --shape
expect 1 inspect m.onnx --shape x=1xAx3
expect 2 inspect "$tmp/missing.onnx"
one_line inspect missing
printf 'not a model at all' >"$tmp/junk.onnx"
expect 2 inspect "$tmp/junk.onnx"
one_line inspect junk
: >"$tmp/empty.onnx"
expect 2 inspect "$tmp/empty.onnx"
expect 2 inspect "$tmp"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
