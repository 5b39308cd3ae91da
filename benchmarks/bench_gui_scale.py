"""How the window copes with a big project: open-to-usable time and filter latency.

Generates a Rasa project with 50,000 examples (100 intents, 8 entity types) in a
temporary folder, then, in an offscreen window, measures several times (median):

* open-to-usable: ``open_project`` until the table, intent list, editor and problems
  panel are filled and the first frame is painted (events processed);
* filter latency: typing a needle applied to all rows (``apply_filter``), for a
  substring, a regex, an entity filter and an intent scope.

Run: ``.venv/bin/python benchmarks/bench_gui_scale.py [--examples 50000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = (
    "pizza order want like please get large small medium with extra cheese the a and "
    "to for me my can could you deliver tonight tomorrow home office berlin paris "
    "pepperoni mushrooms olives ham pineapple thin crust stuffed two three"
).split()
ENTITIES = {
    "size": ("small", "medium", "large"),
    "topping": ("pepperoni", "mushrooms", "olives"),
    "city": ("berlin", "paris", "rome"), "crust": ("thin", "stuffed"),
    "quantity": ("two", "three"), "time": ("tonight", "tomorrow"),
    "place": ("home", "office"), "drink": ("cola", "water"),
}  # fmt: skip


def generate_project(
    root: Path, n_examples: int, n_intents: int = 100, seed: int = 0
) -> Path:
    """Write ``root/data/nlu.yml`` with ``n_examples`` unique annotated examples."""
    rng = random.Random(seed)
    per_intent = n_examples // n_intents
    lines = ['version: "3.1"', "nlu:"]
    serial = 0
    for intent in range(n_intents):
        lines += [f"- intent: intent_{intent:03d}", "  examples: |"]
        for _ in range(per_intent):
            words = rng.choices(WORDS, k=rng.randint(3, 9))
            entity = rng.choice(list(ENTITIES))
            words.insert(
                rng.randint(0, len(words)),
                f"[{rng.choice(ENTITIES[entity])}]({entity})",
            )
            serial += 1
            # The serial number keeps every example unique.
            lines.append(f"    - {' '.join(words)} n{serial}")
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "nlu.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def main() -> int:
    """Run the benchmark and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from workbench.qt.dialogs.prompter import ScriptedPrompter
    from workbench.qt.main_window import MainWindow
    from workbench.qt.settings import SettingsStore

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        root = generate_project(Path(folder) / "big", args.examples)
        store = SettingsStore.at_path(Path(folder) / "settings.ini")
        window = MainWindow(settings_store=store, prompter=ScriptedPrompter())
        window.resize(1280, 820)
        window.show()
        app.processEvents()
        opens, loads, background = [], [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            window.open_project(root)
            window.repaint()
            app.processEvents()
            opens.append(time.perf_counter() - started)
            started = time.perf_counter()
            window.validation_worker.wait()  # in the background: not part of "usable"
            app.processEvents()
            background.append(time.perf_counter() - started)
            from workbench.core.project import load_project

            started = time.perf_counter()
            load_project(root)
            loads.append(time.perf_counter() - started)
        view = window.examples_view
        n = len(window.session.project.examples)
        cases = {
            "substring 'pepperoni'": ("pepperoni", 0, False),
            "substring, rare 'n4999'": ("n4999", 1, False),
            "regex '^(large|small) pizza'": ("^(large|small) pizza", 1, True),
            "entity 'topping'": ("topping", 3, False),
        }
        filters: dict[str, list[float]] = {name: [] for name in cases}
        filters["intent scope"] = []
        for _ in range(args.runs):
            for name, (needle, field, regex) in cases.items():
                view.filter_edit.blockSignals(True)
                view.filter_edit.setText(needle)
                view.field_box.setCurrentIndex(field)
                view.regex_box.setChecked(regex)
                view.filter_edit.blockSignals(False)
                started = time.perf_counter()
                view.apply_filter()
                app.processEvents()
                filters[name].append(time.perf_counter() - started)
            view.filter_edit.setText("")
            view.regex_box.setChecked(False)
            started = time.perf_counter()
            view.set_intent_scope("intent_042")
            app.processEvents()
            filters["intent scope"].append(time.perf_counter() - started)
            view.set_intent_scope(None)
        shown = view.filter_model.rowCount()
        window.discard_and_close()
    print(f"project: {n} examples, 100 intents (generated); runs: {args.runs}; medians")
    print(f"  core load_project alone:   {statistics.median(loads) * 1000:8.0f} ms")
    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    print(f"  open to usable (window):   {ms(opens):8.0f} ms  (target < 2000)")
    print(f"  then background validation: {ms(background):7.0f} ms more "
          "(problems panel fills; the window stays usable)")
    for name, times in filters.items():
        print(f"  filter {name:<28} {ms(times):6.1f} ms  (target < 100)")
    print(f"  rows shown after clearing filters: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
