#!/usr/bin/env bash
# embed.sh HETC MODEL CC RUNTIME_LIB "LDLIBS" "CFLAGS": examples/embed/embed.c, a program that
# embeds a compiled plan through its header, builds and runs.
set -eu
hetc=$1 model=$2 cc=$3 rtlib=$4 ldlibs=$5 cflags=$6
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$hetc" compile "$model" -o "$tmp/out" --name classifier --no-build >/dev/null
# the library alone, as a user would build it from the written sources
$cc $cflags -c "$tmp/out/classifier.c" -o "$tmp/classifier.o"
ar rcs "$tmp/out/libclassifier.a" "$tmp/classifier.o"
# shellcheck disable=SC2086
$cc $cflags -I "$tmp/out" "$root/examples/embed/embed.c" "$tmp/out/libclassifier.a" "$rtlib" \
    $ldlibs -o "$tmp/embed"
"$tmp/embed" "$tmp/out/classifier.weights" | tee "$tmp/log"
grep -q "^output 0:" "$tmp/log"
echo "1 passed, 0 failed"
