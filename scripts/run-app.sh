#!/usr/bin/env bash
# Open NLU Workbench on the bundled sample project (or the project given as argument).
# Sets up .venv on first use. Without a display it prints a validated summary instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-env.sh"
if [ "$#" -eq 0 ]; then set -- "$root/sample_projects/pizza"; fi
exec "$root/.venv/bin/python" -m workbench "$@"
