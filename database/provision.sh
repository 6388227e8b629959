#!/usr/bin/env bash
# Prints the path of a FerretDB binary (a MongoDB-compatible server on SQLite), building
# the pinned release from its Go module once and caching it outside the clone.
set -euo pipefail
VERSION=1.24.2
# The build carries two changes (below); the suffix names them, so a cached build without
# them is not reused.
build="$VERSION-idlookup-atomic"
here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${ORCHESTRA_CACHE_DIR:-$HOME/.cache/orchestra}/ferretdb-$build"

if [ -n "${FERRETDB_PATH:-}" ]; then echo "$FERRETDB_PATH"; exit 0; fi
if [ -x "$CACHE/ferretdb" ]; then echo "$CACHE/ferretdb"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
No FerretDB found and no Go toolchain to build one.
Either set MONGODB_URI to a MongoDB you run, set FERRETDB_PATH to a ferretdb binary,
or install Go 1.23 or newer and run this again.
MSG
  exit 1
fi
echo "Building FerretDB $VERSION from source into $CACHE (one time, a few minutes)..." >&2
# `go install ...@v$VERSION` asks the module proxy for FerretDB's version list, which
# is not served here; downloading the pinned module and building it in place needs only
# the module itself. The release build reads its version from build/version/version.txt.
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@v$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "could not download the FerretDB module" >&2; exit 1; }
cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
echo "v$VERSION" > "$work/src/build/version/version.txt"
# FerretDB's SQLite backend looks a document up by `_id` with `WHERE _ferretdb_sjson->'$._id' = ?`
# but builds its unique `_id` index on `_ferretdb_sjson->"_id"`: the same value, an expression
# SQLite's planner does not match, so every lookup by id scanned its table (394 ms at 100,000
# documents). Writing the lookup with the index's own expression makes it a B-tree search.
meta="$work/src/internal/backends/sqlite/metadata/metadata.go"
sed -i "s|IDColumn = DefaultColumn + \"->'\\$._id'\"|IDColumn = DefaultColumn + \"->\\\\\"_id\\\\\"\"|" "$meta"
grep -q 'IDColumn = DefaultColumn + "->\\"_id\\""' "$meta" || { echo "could not patch $meta (FerretDB changed?)" >&2; exit 1; }
# Its update and findAndModify read a document, apply the operators, then write it back,
# unlocked: two concurrent `$inc`s or `$push`es to one document lost one (of 200 `$push`es
# 10 at a time, 124 were kept). The patch serializes those two commands in the process.
patch -d "$work/src" -p1 --forward --quiet < "$here/ferretdb-atomic-updates.patch" \
  || { echo "could not apply ferretdb-atomic-updates.patch (FerretDB changed?)" >&2; exit 1; }
mkdir -p "$CACHE"
(cd "$work/src" && GOFLAGS=-buildvcs=false go build -trimpath -o "$CACHE/ferretdb.tmp" ./cmd/ferretdb) >&2
mv "$CACHE/ferretdb.tmp" "$CACHE/ferretdb"
echo "$CACHE/ferretdb"
