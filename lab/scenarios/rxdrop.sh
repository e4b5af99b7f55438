#!/bin/bash
# scenario: ./sluice bench rxdrop on eth1 in zero-copy (required) for 10 s, with the lab's traffic
set -euo pipefail
cd "$SLUICE_HOME"
exec ./sluice bench rxdrop --iface eth1 --zero-copy require --duration 10 "$@"
