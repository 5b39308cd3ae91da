#!/usr/bin/env bash
# Create (once) the project's virtual environment in .venv and install the pinned packages.
# Safe to run repeatedly: it does nothing when .venv is already complete.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.installed-$(cat "$root/constraints.txt" "$root/pyproject.toml" | sha1sum | cut -c1-12)"
if [ -f "$stamp" ]; then exit 0; fi
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    echo "Setting up $venv (first run, about a minute)..." >&2
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip >&2 || true
# torch first, exactly pinned: an unpinned torch pulls several GB of CUDA packages.
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet "$(grep '^torch==' "$root/constraints.txt")" >&2
fi
"$venv/bin/python" -m pip install --quiet -c "$root/constraints.txt" -e "$root[test]" >&2
rm -f "$venv"/.installed-*
touch "$stamp"
