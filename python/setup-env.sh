#!/usr/bin/env bash
# Creates the Python pool's virtual environment from python/requirements.txt, once per
# version of that file, under the Orchestra cache ($ORCHESTRA_CACHE_DIR, default
# ~/.cache/orchestra/python-<hash>), and prints its python executable's path.
# Exit 3 (with the reason on stderr) when no python3 >= 3.10 is there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${ORCHESTRA_PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "no $python on PATH: the Python pool needs Python 3.10 or newer" >&2
  exit 3
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "$("$python" --version 2>&1) is too old: the Python pool needs Python 3.10 or newer" >&2
  exit 3
fi
hash="$( (cat "$here/requirements.txt"; "$python" --version 2>&1) | sha256sum | cut -c1-12)"
venv="${ORCHESTRA_CACHE_DIR:-$HOME/.cache/orchestra}/python-$hash"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
