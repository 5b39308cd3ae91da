"""``ExampleList``: the project's examples as an evented sequence.

Every mutation emits an "about to" and a "done" signal so that a Qt item model can
call ``beginInsertRows``/``endInsertRows`` and friends (napari's evented list idea).
Rows are addressed by index; examples are immutable, so an edit is a replacement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, overload

from workbench.core.events import Signal

if TYPE_CHECKING:
    from workbench.core.examples import Example


class ExampleList(Sequence["Example"]):
    """A sequence of :class:`Example` that announces its changes.

    Signals (arguments in brackets):
        inserting (index, examples): rows ``index .. index+len-1`` are about to appear.
        inserted (index, examples): they appeared.
        removing (index, count): rows ``index .. index+count-1`` are about to go.
        removed (index, examples): they went; ``examples`` are the removed objects.
        changed (index, old, new): row ``index`` was replaced.
        resetting (): everything is about to be replaced.
        reset (): everything was replaced.

    Args:
        examples: Initial content (not copied element by element).
    """

    def __init__(self, examples: Iterable[Example] = ()) -> None:
        self._items: list[Example] = list(examples)
        self.inserting = Signal("inserting")
        self.inserted = Signal("inserted")
        self.removing = Signal("removing")
        self.removed = Signal("removed")
        self.changed = Signal("changed")
        self.resetting = Signal("resetting")
        self.reset = Signal("reset")

    # -- Sequence protocol -------------------------------------------------------
    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Example: ...
    @overload
    def __getitem__(self, index: slice) -> list[Example]: ...
    def __getitem__(self, index: int | slice) -> Example | list[Example]:
        return self._items[index]

    def __iter__(self) -> Iterator[Example]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"<ExampleList of {len(self._items)} examples>"

    def position_of(self, example: Example) -> int:
        """Return the index of this very object (identity, not equality).

        Raises:
            ValueError: If the object is not in the list.
        """
        for index, item in enumerate(self._items):
            if item is example:
                return index
        raise ValueError("example is not in the list")

    def to_tuple(self) -> tuple[Example, ...]:
        """Return the current content as a tuple (cheap; the examples are shared)."""
        return tuple(self._items)

    # -- mutations -----------------------------------------------------------------
    def insert(self, index: int, example: Example) -> None:
        """Insert one example before ``index`` (``len(self)`` appends)."""
        self.insert_many(index, (example,))

    def append(self, example: Example) -> None:
        """Append one example."""
        self.insert_many(len(self._items), (example,))

    def insert_many(self, index: int, examples: Iterable[Example]) -> None:
        """Insert contiguous examples before ``index``.

        Raises:
            IndexError: If ``index`` is outside ``0 .. len(self)``.
        """
        new = tuple(examples)
        if not 0 <= index <= len(self._items):
            raise IndexError(f"insert index {index} outside 0..{len(self._items)}")
        if not new:
            return
        self.inserting.emit(index, new)
        self._items[index:index] = new
        self.inserted.emit(index, new)

    def remove(self, index: int) -> Example:
        """Remove the example at ``index`` and return it."""
        return self.remove_range(index, 1)[0]

    def remove_range(self, index: int, count: int) -> tuple[Example, ...]:
        """Remove ``count`` contiguous examples starting at ``index``; return them.

        Raises:
            IndexError: If the range is not inside the list.
        """
        if count < 0 or index < 0 or index + count > len(self._items):
            last = index + count - 1
            raise IndexError(f"rows {index}..{last} not in 0..{len(self) - 1}")
        if count == 0:
            return ()
        self.removing.emit(index, count)
        gone = tuple(self._items[index : index + count])
        del self._items[index : index + count]
        self.removed.emit(index, gone)
        return gone

    def remove_indices(self, indices: Iterable[int]) -> list[tuple[int, Example]]:
        """Remove the examples at ``indices`` (any order, duplicates ignored).

        Contiguous runs are removed together, last run first, so that the indices of
        the remaining runs stay valid.

        Returns:
            ``(original_index, example)`` pairs in ascending index order.
        """
        wanted = sorted(set(indices))
        runs: list[tuple[int, int]] = []
        for index in wanted:
            if runs and runs[-1][0] + runs[-1][1] == index:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((index, 1))
        removed: list[tuple[int, Example]] = []
        for start, count in reversed(runs):
            gone = self.remove_range(start, count)
            removed[0:0] = [(start + offset, ex) for offset, ex in enumerate(gone)]
        return removed

    def replace(self, index: int, example: Example) -> Example:
        """Replace the example at ``index``; return the old one."""
        old = self._items[index]
        if index < 0:
            index += len(self._items)
        self._items[index] = example
        self.changed.emit(index, old, example)
        return old

    def reset_to(self, examples: Iterable[Example]) -> None:
        """Replace the whole content (one ``resetting``/``reset`` pair)."""
        new = list(examples)
        self.resetting.emit()
        self._items = new
        self.reset.emit()
