"""What glibc's heap holds while DIET trains: in use vs freed-but-kept, step by step.

    .venv/bin/python benchmarks/bench_heap.py [--dataset snips] [--batch 256]
        [--steps 45] [--guard] [--mmap-threshold BYTES]

Trains on ``../shared/datasets/<dataset>/train.yml`` at a fixed batch size (the size
Rasa's schedule reaches in late epochs) with one thread and prints, after each step,
the resident size and ``mallinfo2``: arena size, bytes in use, free bytes kept in the
arena, mmapped bytes, plus bytes in use right after the forward pass. Ends with CPU
seconds, peak RSS and minor page faults. ``--guard`` keeps ``HeapGuard``'s trimming
(off by default, to see the raw growth); ``--mmap-threshold`` replaces the 8 MiB
threshold of ``workbench.nlu.diet.memory``. glibc tunables (e.g.
``GLIBC_TUNABLES=glibc.malloc.hugetlb=1``) go in the environment. Linux/glibc only.
"""

from __future__ import annotations

import argparse
import ctypes
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]


class _Stop(Exception):
    """Raised from the step hook once enough steps ran."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="snips")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=45)
    parser.add_argument("--guard", action="store_true")
    parser.add_argument("--mmap-threshold", type=int, default=0)
    args = parser.parse_args(argv)
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2

    import torch
    from bench_diet_step import DATASETS, load_examples

    from workbench.nlu.diet import memory, trainer
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.model import DietModel
    from workbench.nlu.pipeline import featurize_training_data

    torch.set_num_threads(1)
    if args.mmap_threshold:
        memory._MMAP_THRESHOLD_BYTES = args.mmap_threshold
    examples = load_examples(DATASETS / args.dataset / "train.yml")
    result = featurize_training_data(SimpleNamespace(
        examples=examples, regexes=[], lookups=[], synonyms=[], config=None), None)

    def mb(value: int) -> int:
        return value >> 20

    def rss() -> int:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return mb(int(statm.read().split()[1]) * resource.getpagesize())

    after_forward: list[int] = []
    forward = DietModel.forward

    def measured_forward(self, batch):  # noqa: ANN001, ANN202 - same as DietModel's
        out = forward(self, batch)
        info = libc.mallinfo2()
        after_forward.append(mb(info.uordblks + info.hblkhd))
        return out

    after_step = memory.HeapGuard.after_step
    trims = 0
    print(f"after featurizing: RSS {rss()} MB")
    print("step  RSS  arena  in-use  free  mmapped  in-use+mmapped after forward (MB)")

    def measured_step(self) -> bool:  # noqa: ANN001
        nonlocal trims
        info = libc.mallinfo2()
        step = len(after_forward)
        if step <= 5 or step % 5 == 0:
            print(f"{step:4d} {rss():5d} {mb(info.arena):5d} {mb(info.uordblks):6d} "
                  f"{mb(info.fordblks):5d} {mb(info.hblkhd):7d} {after_forward[-1]:8d}")
        if step >= args.steps:
            raise _Stop
        trimmed = after_step(self) if args.guard else False
        trims += bool(trimmed)
        return trimmed

    DietModel.forward = measured_forward
    memory.HeapGuard.after_step = measured_step
    config = DietConfig.from_rasa({**DietConfig.rasa_default_pipeline().to_rasa(),
                                   "epochs": 1, "batch_size": [args.batch, args.batch]})
    started = time.process_time()
    try:
        for _event in trainer.train_diet(result.data, config, seed=42, device="cpu"):
            pass
    except _Stop:
        pass
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = time.process_time() - started
    print(f"{len(after_forward)} steps, {trims} trims: {cpu:.1f} s CPU, peak RSS "
          f"{usage.ru_maxrss >> 10} MB, {usage.ru_minflt} minor faults")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
