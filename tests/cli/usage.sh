#!/usr/bin/env bash
# usage.sh HETC MODEL VERSION: the command line's exit statuses, help texts and version, and the
# progress lines of compile (on a terminal only) (docs/cli.md).
set -u
hetc=$1 model=$2 version=$3
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

# --version, help COMMAND
check() { # check DESCRIPTION COMMAND...: the command succeeds
    local what=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
for v in --version version; do
    expect 0 $v
    check "hetc $v prints 'hetc $version'" [ "$(cat "$tmp/out")" = "hetc $version" ]
done
expect 0 help
"$hetc" --help >"$tmp/main"
check "hetc help is hetc --help" cmp -s "$tmp/out" "$tmp/main"
for c in inspect compile viz; do
    expect 0 help $c
    "$hetc" $c --help >"$tmp/cmd"
    check "hetc help $c is hetc $c --help" cmp -s "$tmp/out" "$tmp/cmd"
done
expect 1 help frobnicate
one_line_plus_hint() {
    check "one diagnostic and one hint line after hetc $*" [ "$(wc -l <"$tmp/err")" -eq 2 ]
}
one_line_plus_hint help frobnicate
expect 1 help inspect compile
expect 1 help study
expect 1 study
# hetc profile: its help, and usage errors before anything is measured
expect 0 help profile
grep -q -- "--quick" "$tmp/out" || { fail=$((fail + 1)); echo "FAIL: help profile lacks --quick"; }
expect 0 profile --help
expect 1 profile --bogus
expect 1 profile extra
expect 1 profile -o ""
expect 1 profile --target=
# a description that does not load: exit 2, one line, nothing measured
printf '<platform name="x">' >"$tmp/bad.xml"
expect 2 profile --quick --target "$tmp/bad.xml" -o "$tmp/p.xml"
one_line profile --target bad.xml

# empty output folder or name
expect 1 compile "$model" -o ""
expect 1 compile "$model" -o "$tmp/o" --name=
expect 1 compile "$model" -o "$tmp/o" --name ""

# progress: quiet when stderr is not a terminal, one line per phase on a terminal
expect 0 compile "$model" -o "$tmp/quiet" --no-build
check "compile writes nothing on stderr off a terminal" [ ! -s "$tmp/err" ]
if command -v script >/dev/null; then
    # script(1) runs the command on a pseudo-terminal; its output is both streams together
    script -qec "$(printf '%q ' "$hetc" compile "$model" -o "$tmp/tty" --no-build) 2>&1" \
        /dev/null >"$tmp/tty.log" </dev/null
    for phase in loading 'inferring shapes' planning 'writing sources'; do
        check "compile on a terminal shows '$phase'" \
            grep -Eq "^hetc: \[[0-9]+\.[0-9] s\] $phase" "$tmp/tty.log"
    done
else
    echo "note: script(1) not found; progress on a terminal not checked"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
