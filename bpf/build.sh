#!/usr/bin/env bash
# Compiles the XDP programs into $1 (Maven's compile phase calls this; see bpf/pom.xml): the steering program
# sluice_xdp and the traffic generator sluice_gen, each with the header user space mirrors beside it, and the
# perf harness's plain XDP_DROP, sluice_drop, which has no header.
set -euo pipefail
out=${1:?usage: build.sh OUTPUT_DIR}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/src" && pwd)
command -v clang >/dev/null || { echo "bpf/build.sh: clang not found; run ./sluice, which installs it (apt-get install clang llvm libbpf-dev)" >&2; exit 1; }
mkdir -p "$out"
for program in sluice_xdp sluice_gen sluice_drop; do
    clang -O2 -g -target bpf -Wall -Werror \
        -I"/usr/include/$(gcc -dumpmachine)" -I"$src" \
        -c "$src/$program.c" -o "$out/$program.o"
    if [ -f "$src/$program.h" ]; then
        cp "$src/$program.h" "$out/$program.h"
    fi
done
# The same steering program with its stamp in front of the frame, for kernels whose verifier refuses
# bpf_xdp_adjust_meta to XDP programs (SteeringProgram loads it when a probe finds the helper refused).
clang -O2 -g -target bpf -Wall -Werror -DSLUICE_STAMP_IN_FRONT \
    -I"/usr/include/$(gcc -dumpmachine)" -I"$src" \
    -c "$src/sluice_xdp.c" -o "$out/sluice_xdp_front.o"
