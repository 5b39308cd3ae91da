#!/usr/bin/env bash
# Run the whole test suite headless (Qt offscreen). Sets up .venv on first use.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/core -x`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-env.sh"
cd "$root"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec "$root/.venv/bin/python" -m pytest -q "$@"
