#!/usr/bin/env bash
# Compiles the XDP program into $1 (Maven's compile phase calls this; see bpf/pom.xml).
set -euo pipefail
out=${1:?usage: build.sh OUTPUT_DIR}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/src" && pwd)
command -v clang >/dev/null || { echo "bpf/build.sh: clang not found; run ./sluice, which installs it (apt-get install clang llvm libbpf-dev)" >&2; exit 1; }
mkdir -p "$out"
clang -O2 -g -target bpf -Wall -Werror \
    -I"/usr/include/$(gcc -dumpmachine)" -I"$src" \
    -c "$src/sluice_xdp.c" -o "$out/sluice_xdp.o"
cp "$src/sluice_xdp.h" "$out/sluice_xdp.h"
