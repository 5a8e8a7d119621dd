#!/usr/bin/env bash
# The release mirror the archive scenarios install from and the unit tests take amtool 0.28 and
# 0.33 from: upstream-style archives repacked from Debian's packages (molecule/shared/mirror/build.py),
# built once per machine in its cache; the scenarios' prepare steps call build.py too (instant once built).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"
[ -d .cache ] || bash tools/venv.sh
# scenarios building side by side share the mirror and its apt state
exec flock .cache/mirror.lock python3 molecule/shared/mirror/build.py .cache/mirror \
  alertmanager:trixie alertmanager:sid prometheus:bookworm prometheus:sid \
  node_exporter:bookworm node_exporter:bookworm:arm64
