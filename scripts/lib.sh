# lib.sh: what scripts/demo and scripts/test share: installing the Debian packages the project
# needs, the Python virtual environment for test tooling, and CMake builds. Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

# Debian packages: compilers and build tools, the ONNX schema and test data, protobuf-c, BLAS,
# OpenCL (headers, ICD loader, PoCL), Graphviz, libxml2, and Python's venv.
PACKAGES="build-essential cmake pkg-config clang libclang-rt-dev libprotobuf-c-dev
protobuf-c-compiler libonnx-dev libonnx-testdata libopenblas-dev ocl-icd-opencl-dev opencl-headers
pocl-opencl-icd libgraphviz-dev libxml2-dev python3 python3-venv"

say() { printf '==> %s\n' "$*"; }

# install_packages: installs what is missing when root, otherwise prints the apt-get line.
install_packages() {
    local missing=()
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "Missing Debian packages. Run as root:" >&2
        echo "  apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
}

# make_venv: .venv with the pinned test tooling (numpy, onnx, onnxruntime); rebuilt when
# scripts/requirements.txt changes.
make_venv() {
    local venv=$ROOT/.venv req=$ROOT/scripts/requirements.txt
    local stamp=$venv/.requirements
    if [ -x "$venv/bin/python" ] && cmp -s "$req" "$stamp"; then
        return 0
    fi
    say "making the Python environment in .venv (numpy, onnx, onnxruntime)"
    local py=python3
    [ -x /usr/bin/python3 ] && py=/usr/bin/python3
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    cp "$req" "$stamp"
}

# build DIR [CMAKE ARGS...]: configure and build into DIR.
build() {
    local dir=$1; shift
    say "building $dir $*"
    local log=$ROOT/$dir.log
    if ! { cmake -S "$ROOT" -B "$ROOT/$dir" -DHETC_PYTHON="$ROOT/.venv/bin/python" "$@" &&
           cmake --build "$ROOT/$dir" -j "$JOBS"; } >"$log" 2>&1; then
        cat "$log"
        echo "build of $dir failed (log: $log)" >&2
        return 1
    fi
}
