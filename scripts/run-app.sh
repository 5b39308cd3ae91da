#!/usr/bin/env bash
# Open NLU Workbench on your copy of the sample project (or on the project given as
# argument). Sets up .venv on first use. Without PROJECT the bundled sample is copied to
# ~/NLU Workbench/pizza on first use (set WORKBENCH_HOME for another folder) and that
# copy is opened; its path is printed. Missing system libraries for Qt are installed
# when running as root on Debian/Ubuntu, otherwise the exact command is printed. Without
# a display (or without those libraries) it prints a validated summary instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-env.sh"
exec "$root/.venv/bin/python" -m workbench "$@"
