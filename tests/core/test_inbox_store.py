"""The review inbox store and its import formats (no model involved)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from workbench.core.inbox_import import (
    MAX_LINE_CHARS,
    InboxImportError,
    messages_from_paste,
    read_messages,
)
from workbench.training.inbox_store import (
    ACCEPTED,
    PENDING,
    REJECTED,
    SKIPPED,
    InboxStore,
    margin_of,
    normalise,
)

KNOWN = {normalise("hello"), normalise("book a table")}


def _store(tmp_path: Path) -> InboxStore:
    return InboxStore.for_project(tmp_path)


def _import(store: InboxStore, path: Path, **kwargs):
    return store.import_messages(read_messages(path, **kwargs), path.name, KNOWN)


def _texts(store: InboxStore) -> list[str]:
    return [m.text for m in store.queue("imported", 1000)]


def test_text_lines_skip_duplicates_known_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.txt"
    path.write_text("I want pizza\n\n  i WANT   pizza \nHELLO\nbye now\r\nbye now\n",
                    encoding="utf-8")
    store = _store(tmp_path)
    report = _import(store, path)
    assert (report.added, report.duplicates, report.known) == (2, 2, 1)
    assert _texts(store) == ["I want pizza", "bye now"]
    again = _import(store, path)  # a second import adds nothing
    assert (again.added, again.duplicates, again.known) == (0, 4, 1)
    assert [b["added"] for b in store.batches()] == [2, 0]


def test_csv_tsv_column_choice_and_quoted_commas(tmp_path: Path) -> None:
    csv_path = tmp_path / "m.csv"
    csv_path.write_text('id,message,lang\n1,"hi, how are you",en\n2,book a table,en\n'
                        '3,"hi, how are you",en\n4,where is it,en\n', encoding="utf-8")
    store = _store(tmp_path)
    with pytest.raises(InboxImportError, match="which column.*id, message, lang"):
        read_messages(csv_path)
    with pytest.raises(InboxImportError, match="no column “body”"):
        read_messages(csv_path, column="body")
    report = _import(store, csv_path, column="message")
    assert (report.added, report.duplicates, report.known) == (2, 1, 1)
    tsv = tmp_path / "m.tsv"
    tsv.write_text("text\tother\nfly to rome\tx\nfly to rome\ty\n", encoding="utf-8")
    report = _import(store, tsv)  # "text" is found without --column
    assert (report.added, report.duplicates) == (1, 1)
    by_number = tmp_path / "n.csv"
    by_number.write_text("a,b\nx,one more\n", encoding="utf-8")
    assert _import(store, by_number, column="2").added == 1
    assert _texts(store) == [
        "hi, how are you",
        "where is it",
        "fly to rome",
        "one more",
    ]


def test_jsonl_needs_a_text_string_per_line(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"text": "first one"}\n{"text": "FIRST  one"}\nnot json\n'
                    '{"body": "x"}\n[1, 2]\n{"text": 3}\n{"text": "second"}\n',
                    encoding="utf-8")
    store = _store(tmp_path)
    report = _import(store, path)
    assert (report.added, report.duplicates, report.refused) == (2, 1, 4)
    assert report.problems[0] == "m.jsonl:3: not JSON (Expecting value)"
    assert "m.jsonl:4: no “text” string" in report.problems[1]


def test_paste(tmp_path: Path) -> None:
    store = _store(tmp_path)
    report = store.import_messages(messages_from_paste("one\ntwo\n\nOne\nhello"),
                                   "paste", KNOWN)
    assert (report.added, report.duplicates, report.known) == (2, 1, 1)


@pytest.mark.parametrize("content, reason", [
    (b"ok line\n\xff\xfe bad bytes\nfine\n", "not UTF-8 (byte 0xff at column 1)"),
    (b"ok line\nbell \x07 here\nfine\n", "U+0007"),
    (b"ok line\n" + b"x" * (MAX_LINE_CHARS + 10) + b"\nfine\n", "characters"),
    (b"ok line\n" + b"y" * (MAX_LINE_CHARS * 40) + b"\nfine\n", "longer than"),
])
def test_bad_lines_are_reported_with_their_line_and_skipped(
        tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "m.txt"
    path.write_bytes(content)
    store = _store(tmp_path)
    report = _import(store, path)
    assert report.added == 2 and report.refused == 1
    assert report.problems[0].startswith("m.txt:2: ") and reason in report.problems[0]


def test_hostile_files_are_refused_with_a_message(tmp_path: Path, monkeypatch) -> None:
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"\x00\x01\x02" * 1000)
    with pytest.raises(InboxImportError, match="binary"):
        read_messages(binary)
    utf16 = tmp_path / "excel.txt"
    utf16.write_text("hello\nbye\n", encoding="utf-16")
    with pytest.raises(InboxImportError, match="UTF-16.*save it as UTF-8"):
        read_messages(utf16)
    with pytest.raises(InboxImportError, match="cannot be read"):
        read_messages(tmp_path / "missing.txt")
    with pytest.raises(InboxImportError, match="not a file"):
        read_messages(tmp_path)
    import workbench.core.inbox_import as module

    monkeypatch.setattr(module, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.txt"
    big.write_text("a message\n" * 200, encoding="utf-8")
    with pytest.raises(InboxImportError, match="split the file"):
        read_messages(big)


def test_a_sparse_1gb_file_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(1 << 30)  # sparse: no disk used
    done = threading.Event()
    errors: list[str] = []

    def run() -> None:
        try:
            read_messages(path)
        except InboxImportError as error:
            errors.append(str(error))
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(10), "a 1 GB file must not hang the import"
    assert "split the file" in errors[0] or "binary" in errors[0]


def test_queue_orders_and_decisions_with_audit(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.import_messages(messages_from_paste("aaa\nbbb\nccc\nddd"), "paste")
    ids = {m.text: m.id for m in store.queue("imported")}

    def record(intent: str, top: float, second: float) -> dict:
        ranking = [{"name": intent, "confidence": top},
                   {"name": "other", "confidence": second}]
        return {"parse": {"text": "", "intent": ranking[0], "intent_ranking": ranking,
                          "entities": []}, "model": "m1", "fingerprint": "f"}

    store.set_predictions([(ids["aaa"], record("greet", 0.9, 0.05)),
                           (ids["bbb"], record("bye", 0.5, 0.45)),
                           (ids["ccc"], record("greet", 0.6, 0.3))])
    assert [m.text for m in store.queue("margin")] == ["bbb", "ccc", "aaa", "ddd"]
    assert [m.text for m in store.queue("intent")] == ["bbb", "ccc", "aaa", "ddd"]
    assert store.queue("margin")[0].margin == pytest.approx(0.05)
    assert store.unscored(10, "m1") == [(ids["ddd"], "ddd")]
    assert len(store.unscored(10, "m2")) == 4  # another model: everything again
    store.decide(ids["bbb"], SKIPPED)
    store.decide(ids["ccc"], REJECTED)
    final = {"intent": "greet", "entities": []}
    store.decide(ids["aaa"], ACCEPTED, final)
    assert [m.text for m in store.queue("margin")] == ["ddd", "bbb"]  # skipped last
    counts = store.counts()
    assert (counts[PENDING], counts[SKIPPED], counts[ACCEPTED], counts[REJECTED]) == \
        (1, 1, 1, 1)
    store.decide(ids["aaa"], PENDING)  # an undo
    log = store.decisions(ids["aaa"])
    assert [d["status"] for d in log] == [ACCEPTED, PENDING]
    assert log[0]["final"] == final and log[0]["who"]
    exported = [m.to_dict() for m in store.messages(REJECTED)]
    assert exported[0]["text"] == "ccc" and exported[0]["prediction"]["model"] == "m1"
    json.dumps(exported)


def test_the_inbox_survives_reopening_and_a_second_connection(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.import_messages(messages_from_paste("one\ntwo"), "paste")
    store.decide(store.queue()[0].id, REJECTED)
    store.close()
    again = _store(tmp_path)
    assert again.counts()["rejected"] == 1 and again.counts()["pending"] == 1
    assert again.notice is None


@pytest.mark.parametrize("damage", ["garbage", "folder", "wrong_tables", "truncated"])
def test_a_damaged_inbox_is_moved_aside_and_reported(tmp_path: Path,
                                                     damage: str) -> None:
    path = tmp_path / ".workbench" / "inbox.db"
    path.parent.mkdir()
    if damage == "garbage":
        path.write_bytes(b"this is not sqlite at all" * 100)
    elif damage == "folder":
        path.mkdir()
    elif damage == "wrong_tables":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE messages (x INTEGER)")
        db.commit()
        db.close()
    else:
        store = _store(tmp_path)
        store.import_messages(messages_from_paste("\n".join(f"m{i}" for i in
                                                            range(3000))), "paste")
        store.close()
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    store = _store(tmp_path)
    if damage == "truncated" and store.notice is None:
        pytest.skip("SQLite read the truncated file")  # page-aligned cut: still valid
    assert store.notice and "moved to inbox.db.damaged-" in store.notice
    assert list(path.parent.glob("inbox.db.damaged-*"))
    assert store.counts()["total"] == 0
    store.import_messages(messages_from_paste("works again"), "paste")
    assert store.counts()["pending"] == 1


def test_margin_of() -> None:
    assert margin_of([]) is None
    assert margin_of([{"confidence": 0.7}]) == pytest.approx(0.7)
    assert margin_of([{"confidence": 0.2}, {"confidence": 0.7}]) == pytest.approx(0.5)
