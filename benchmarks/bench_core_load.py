"""Time loading, validating, fingerprinting and saving big NLU projects.

Builds a ~50k-example file from SNIPS train.yml (four renamed copies) in a temp folder.
Run: ``.venv/bin/python benchmarks/bench_core_load.py`` (prints medians of 5 runs).
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

from workbench.core.project import load_project
from workbench.core.project_edits import replace_example
from workbench.core.validation import validate

SNIPS = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "datasets"
    / "snips"
    / "train.yml"
)


def _timed(function, repeat: int = 5) -> tuple[float, float, object]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    source = SNIPS.read_text(encoding="utf-8")
    body = source.split("nlu:\n", 1)[1]
    copies = "".join(
        body.replace("- intent: ", f"- intent: copy{k}_") for k in range(1, 4)
    )
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "nlu.yml"
        big.write_text(source + copies, encoding="utf-8")
        for name, path in (("snips train", SNIPS), ("50k examples", big)):
            wall, cpu, project = _timed(lambda p=path: load_project(p))
            print(
                f"{name}: {len(project.examples)} examples, "
                f"load {wall:.3f} s wall, {cpu:.3f} s cpu"
            )
            wall, cpu, _ = _timed(lambda p=project: validate(p), repeat=3)
            print(f"  validate {wall:.3f} s wall, {cpu:.3f} s cpu")
            wall, cpu, _ = _timed(
                lambda p=project: p.snapshot().fingerprint(), repeat=3
            )
            print(f"  snapshot + fingerprint {wall:.3f} s wall, {cpu:.3f} s cpu")
        project = load_project(big)
        example = project.examples[10]
        replace_example(
            project, 10, dataclasses.replace(example, text=example.text + " now")
        )
        wall, cpu, _ = _timed(project.save, repeat=1)
        print(f"save after one edit (50k): {wall:.3f} s wall, {cpu:.3f} s cpu")


if __name__ == "__main__":
    main()
