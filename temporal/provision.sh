#!/usr/bin/env bash
# Prints the path of a Temporal CLI to use, building it once if needed.
# Order: $TEMPORAL_CLI_PATH, a `temporal` on PATH, the cache, then `go install` of the
# pinned official source into the cache (outside the clone, so later runs reuse it).
set -euo pipefail
VERSION=1.5.1
CACHE="${ORCHESTRA_CACHE_DIR:-$HOME/.cache/orchestra}/temporal-$VERSION"

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  [ -x "$TEMPORAL_CLI_PATH" ] || { echo "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2; exit 1; }
  echo "$TEMPORAL_CLI_PATH"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [ -x "$CACHE/temporal" ]; then echo "$CACHE/temporal"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
No Temporal CLI found and no Go toolchain to build one.
Install one of:
  - Go 1.23 or newer (then run this again; it builds temporal $VERSION from source), or
  - the Temporal CLI itself, on PATH or at TEMPORAL_CLI_PATH (https://docs.temporal.io/cli).
MSG
  exit 1
fi
echo "Building the Temporal CLI $VERSION from source into $CACHE (one time, a few minutes)..." >&2
mkdir -p "$CACHE"
# Later tags carry a replace directive and cannot be go-installed; 1.5.1 can.
GOBIN="$CACHE" GOFLAGS=-buildvcs=false go install "github.com/temporalio/cli/cmd/temporal@v$VERSION" >&2
echo "$CACHE/temporal"
