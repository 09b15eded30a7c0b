#!/usr/bin/env bash
# profile_quick.sh HETC MODEL DEVICES [LIMIT]: hetc profile --quick on the detected host (-o FILE)
# and on DEVICES/host-split.xml (into the cache): each finishes within LIMIT seconds (60; the
# sanitizer build's probes are slower), writes a description that loads (hetc compile --target
# FILE --no-build plans with it and says so in plan.json), with a <measured> element, a class
# rate of every class on every processor, every figure above 0, and for two processors their
# handoff; the cache file is profile-KEY.xml in $HETC_CACHE_DIR, the same file for the same
# description; a file that cannot be written is exit 3 at once.
set -u
hetc=$1 model=$2 devices=$3 limit=${4:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HETC_CACHE_DIR=$tmp/cache
unset HETC_PROFILE
pass=0 fail=0
check() {
    local what=$1; shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}

# profile ARGS...: hetc profile --quick ARGS, timed; its stdout in $tmp/out
profile() {
    local t0 t1
    t0=$(date +%s)
    "$hetc" profile --quick "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    t1=$(date +%s)
    check "hetc profile --quick $* exited $rc" [ "$rc" -eq 0 ]
    [ "$rc" -eq 0 ] || sed 's/^/  | /' "$tmp/err"
    check "hetc profile --quick $* took $((t1 - t0)) s (at most $limit)" \
        [ $((t1 - t0)) -le "$limit" ]
}

# described FILE NPROC: the checks on a written description
described() {
    local f=$1 nproc=$2
    check "$f: <measured>" grep -q '<measured by="hetc profile" mode="quick"' "$f"
    check "$f: $nproc processors" [ "$(grep -c '<processor ' "$f")" -eq "$nproc" ]
    # a class rate (no op) of each class in every processor
    for c in conv depthwise gemm eltwise reduce move copy; do
        local n
        n=$(awk -v c="$c" '/<processor /{p++} $0 ~ "<rate class=\"" c "\"" && !/ op=/{seen[p]=1}
                           END{for (i in seen) k++; print k + 0}' "$f")
        check "$f: a $c rate on each processor ($n of $nproc)" [ "$n" -eq "$nproc" ]
    done
    check "$f: no figure at or below 0" \
        bash -c "! grep -Eq '(gflops|gbps|_us|_half|factor|bandwidth_gbps)=\"(-|0\")' '$f'"
    "$hetc" compile "$model" --target "$f" --no-build -o "$tmp/c" >/dev/null 2>"$tmp/err"
    local rc=$?
    check "hetc compile --target $f exited $rc" [ "$rc" -eq 0 ]
    [ "$rc" -eq 0 ] || sed 's/^/  | /' "$tmp/err"
    check "$f: plan.json's cost model is the profile" \
        grep -q '"cost_model": "hetc profile --quick' "$tmp/c/valid_conv.plan.json"
}

profile -o "$tmp/host.xml"
check "says where it wrote" grep -q "^wrote $tmp/host.xml: a quick profile of cpu0" "$tmp/out"
check "reports the fit" grep -q "median error" "$tmp/out"
described "$tmp/host.xml" "$(grep -c '<processor ' "$tmp/host.xml")"

profile --target "$devices/host-split.xml"
cached=$(sed -n 's/^wrote \(.*\): a quick profile of cpu0, ocl0 in .*/\1/p' "$tmp/out")
check "host-split into the cache (got '$cached')" \
    bash -c "[[ '$cached' =~ ^$HETC_CACHE_DIR/profile-[0-9a-f]{16}\.xml$ ]]"
if [ -f "$cached" ]; then
    described "$cached" 2
    check "host-split: the handoff of both" [ "$(grep -c 'sync_us="' "$cached")" -eq 2 ]
    check "the key in <measured>" grep -q "key=\"$(basename "$cached" .xml | cut -d- -f2)\"" \
        "$cached"
fi
# the same description, the same cache file (no measuring needed to know: a bad -o folder)
"$hetc" profile --quick --target "$devices/host-split.xml" -o "$tmp/no/such/dir/p.xml" \
    >"$tmp/out" 2>"$tmp/err"
check "an unwritable -o is exit 3" [ $? -eq 3 ]
check "one line naming it" \
    bash -c "[ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q 'no/such/dir' '$tmp/err'"
check "nothing measured before" bash -c "! grep -q 'probe' '$tmp/err'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
