#!/usr/bin/env bash
# install.sh BUILD MODEL CC [FLAGS]: `cmake --install BUILD` into a temporary prefix, then, with
# only that prefix: its layout; the installed hetc's version; examples/embed built against it
# with pkg-config and with find_package(hetc) (from a copy of the prefix moved elsewhere, as both
# package files find the prefix from their own place), each run on a plan the installed hetc
# wrote; the two agree; and the installed hetc builds and runs a plan's binary itself. FLAGS go
# to every compile and link (the sanitizer build's -fsanitize).
# $CMAKE names the cmake to use (default: the one on PATH).
set -u
build=$1 model=$2 cc=$3 flags=${4:-}
cmake=${CMAKE:-cmake}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # check DESCRIPTION COMMAND...: the command succeeds (its output in $tmp/log)
    local what=$1; shift
    if "$@" >"$tmp/log" 2>&1; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $what"; sed 's/^/  | /' "$tmp/log" | tail -20; fi
}

prefix=$tmp/prefix
check "cmake --install" "$cmake" --install "$build" --prefix "$prefix"
for f in bin/hetc lib/libhetc_runtime.a \
         include/hetc/runtime/rt.h include/hetc/runtime/rt_backend.h \
         include/hetc/runtime/opencl/ocl.h include/hetc/runtime/opencl/ops.h \
         include/hetc/ir/attr.h include/hetc/ir/checksum.h include/hetc/ir/opkind.h \
         include/hetc/ir/ops.def lib/pkgconfig/hetc.pc lib/cmake/hetc/hetcConfig.cmake \
         lib/cmake/hetc/hetcConfigVersion.cmake; do
    check "installed $f" test -f "$prefix/$f"
done
version=$("$prefix/bin/hetc" --version)
check "installed hetc --version: $version" grep -Eq '^hetc [0-9]+\.[0-9]+' <<<"$version"
check "installed hetc writes a plan's sources" \
    "$prefix/bin/hetc" compile "$model" -o "$tmp/plan" --name classifier --no-build

# pkg-config: the flags come from the prefix alone
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pc=$(pkg-config --cflags --libs hetc)
check "pkg-config names the prefix ($pc)" grep -q -- "-I$prefix/" <<<"$pc"
# shellcheck disable=SC2086
check "embed.c builds with pkg-config" \
    "$cc" -std=c11 -O2 $flags -I "$tmp/plan" "$root/examples/embed/embed.c" \
    "$tmp/plan/classifier.c" $pc -o "$tmp/embed-pc"
check "embed (pkg-config) runs" "$tmp/embed-pc" "$tmp/plan/classifier.weights"
cp "$tmp/log" "$tmp/out-pc"
check "embed (pkg-config) prints its outputs" grep -q "^output 0:" "$tmp/out-pc"

# find_package(hetc), from the prefix moved elsewhere
mv "$prefix" "$tmp/moved"
prefix=$tmp/moved
check "examples/embed configures with find_package(hetc)" \
    "$cmake" -S "$root/examples/embed" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
    -DMODEL="$model" -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$flags"
check "examples/embed builds" "$cmake" --build "$tmp/cmake"
check "embed (find_package) runs" "$tmp/cmake/embed" "$tmp/cmake/plan/classifier.weights"
cp "$tmp/log" "$tmp/out-cmake"
check "both builds print the same outputs" cmp "$tmp/out-cmake" "$tmp/out-pc"

# the installed hetc builds the plan's binary itself, against the runtime beside it in the
# (moved) prefix, not the build tree it came from; and the binary runs
check "installed hetc compiles and builds a binary" \
    "$prefix/bin/hetc" compile "$model" -o "$tmp/full" --name classifier --verbose
cp "$tmp/log" "$tmp/full.log"
check "it builds against the prefix's runtime" \
    grep -qF -- "-I$prefix/bin/../include/hetc" "$tmp/full.log"
check "it links the prefix's runtime" grep -qF "$prefix/bin/../lib/libhetc_runtime.a" "$tmp/full.log"
check "it does not use the build tree" bash -c '! grep -qF "$0/api" "$1"' "$build" "$tmp/full.log"
check "the binary it built runs" "$tmp/full/classifier" --json

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
