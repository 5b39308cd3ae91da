"""Pre-labelling the inbox with a real trained model; decisions into the data; CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.training.conftest import TINY, tiny_config
from workbench.cli.main import main
from workbench.core.commands import UndoStack
from workbench.core.examples import EntitySpan, Example
from workbench.core.inbox_import import messages_from_paste
from workbench.core.project import load_project
from workbench.core.text_rules import TextRuleError
from workbench.training.active_model import active_model
from workbench.training.events import TrainingFinished
from workbench.training.inbox_decisions import (
    DecideMessage,
    choices_for,
    return_unsaved,
    spans_from_parse,
)
from workbench.training.inbox_store import ACCEPTED, PENDING, REJECTED, InboxStore
from workbench.training.prelabel import prelabel_inbox
from workbench.training.runner import run_training

MESSAGES = ["hello there friend", "I want a large pizza", "bye for now",
            "how much is a pizza", "good morning to you", "one XL margherita please"]


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project with one finished run (its model is the active one)."""
    root = tmp_path_factory.mktemp("inbox") / "tiny"
    shutil.copytree(TINY, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root.parent / "user-cache"))
        events = list(run_training(load_project(root).snapshot(),
                                   config=tiny_config(epochs=10), project_dir=root,
                                   seed=3, device="cpu"))
    assert isinstance(events[-1], TrainingFinished), events[-1]
    return root


@pytest.fixture
def project(trained_project: Path, tmp_path: Path) -> Path:
    """A fresh copy (model included) for one test."""
    target = tmp_path / "tiny"
    shutil.copytree(trained_project, target, symlinks=True)
    return target


def _load_model(root: Path):
    from workbench.nlu.predictor_loader import load_model

    path = active_model(root)
    assert path is not None
    return load_model(path), str(path)


def test_prelabels_equal_parse_and_come_in_chunks(project: Path) -> None:
    store = InboxStore.for_project(project)
    many = MESSAGES + [f"order pizza number {i}" for i in range(150)]
    store.import_messages(messages_from_paste("\n".join(many)), "paste")
    model, path = _load_model(project)
    seen: list[int] = []
    count = prelabel_inbox(
        store, model, path, on_progress=lambda p: seen.append(p.done)
    )
    assert count == len(many) and seen[0] == 64 and seen[-1] == len(many)
    for message in store.queue("imported", 10):
        expected = model.parse(message.text)
        got = message.parse
        assert got["intent"]["name"] == expected["intent"]["name"]
        assert got["intent"]["confidence"] == pytest.approx(
            expected["intent"]["confidence"], abs=1e-5)
        assert [r["name"] for r in got["intent_ranking"]] == \
            [r["name"] for r in expected["intent_ranking"]]
        strip = [{k: v for k, v in e.items() if not k.startswith("confidence")}
                 for e in expected["entities"]]
        assert [{k: v for k, v in e.items() if not k.startswith("confidence")}
                for e in got["entities"]] == strip
        assert message.prediction["model"] == path
    assert prelabel_inbox(store, model, path) == 0  # nothing left for this model
    assert len(store.unscored(10, "another model")) == 10  # a new model re-scores


def test_stop_between_chunks_keeps_what_was_scored(project: Path) -> None:
    store = InboxStore.for_project(project)
    store.import_messages(messages_from_paste("\n".join(
        f"message number {i}" for i in range(300))), "paste")
    model, path = _load_model(project)
    calls = iter([False, True])
    assert prelabel_inbox(store, model, path, should_stop=lambda: next(calls)) == 64
    assert store.counts()["scored"] == 64


def _accepting(store: InboxStore, text: str, example: Example) -> DecideMessage:
    message = next(m for m in store.queue("imported") if m.text == text)
    return DecideMessage(store, message.id, ACCEPTED, message.status, example)


def test_accept_lands_in_the_intents_file_only_and_undo_restores(project: Path
                                                                  ) -> None:
    extra = project / "data" / "extra.yml"
    extra.write_text('version: "3.1"\nnlu:\n- intent: weather\n  examples: |\n'
                     '    - is it raining\n    - how is the weather\n',
                     encoding="utf-8")
    before = {p: p.read_bytes() for p in (project / "data").glob("*.yml")}
    data = load_project(project)
    store = InboxStore.for_project(project)
    store.import_messages(messages_from_paste("will it rain tomorrow\nan XL pizza\n"
                                              "spam spam"), "paste")
    stack = UndoStack(data)
    stack.push(_accepting(store, "will it rain tomorrow",
                          Example("will it rain tomorrow", "weather")))
    pizza = Example("an XL pizza", "order_pizza",
                    (EntitySpan(3, 5, "size", "XL"),))
    stack.push(_accepting(store, "an XL pizza", pizza))
    spam = next(m for m in store.queue() if m.text == "spam spam")
    stack.push(DecideMessage(store, spam.id, REJECTED))
    assert store.counts()["accepted"] == 2 and store.counts()["rejected"] == 1
    assert [m.text for m in store.queue()] == []
    written = {p.name for p in data.save()}
    assert written == {"nlu.yml", "extra.yml"}
    new_extra = extra.read_text(encoding="utf-8")
    assert new_extra == before[extra].decode() + "    - will it rain tomorrow\n"
    nlu = (project / "data" / "nlu.yml").read_text(encoding="utf-8")
    old_lines = before[project / "data" / "nlu.yml"].decode().splitlines()
    new_lines = nlu.splitlines()
    assert len(new_lines) == len(old_lines) + 1
    added = [line for line in new_lines if line not in old_lines]
    assert added == ["    - an [XL](size) pizza"]
    accepted = next(store.messages(ACCEPTED))
    assert store.decisions(accepted.id)[0]["final"]["intent"] == "weather"
    stack.undo()  # the rejection
    stack.undo()  # the pizza
    assert {m.text for m in store.queue()} == {"spam spam", "an XL pizza"}
    assert pizza not in list(data.examples)
    assert return_unsaved(store, data.examples) == 0  # the weather example is there


def test_refused_text_stays_pending(project: Path) -> None:
    data = load_project(project)
    store = InboxStore.for_project(project)
    store.import_messages(messages_from_paste("fine text"), "paste")
    message = store.queue()[0]
    bad = Example("fine\u0007text", "greet")  # what a corrupted label would hold
    with pytest.raises(TextRuleError):
        UndoStack(data).push(DecideMessage(store, message.id, ACCEPTED, PENDING, bad))
    assert store.get(message.id).status == PENDING
    assert len(data.examples) == len(load_project(project).examples)


def test_accepted_but_unsaved_messages_come_back(project: Path) -> None:
    data = load_project(project)
    store = InboxStore.for_project(project)
    store.import_messages(messages_from_paste("never saved"), "paste")
    UndoStack(data).push(_accepting(store, "never saved",
                                    Example("never saved", "greet")))
    assert store.counts()["accepted"] == 1
    assert return_unsaved(store, load_project(project).examples) == 1  # not saved
    assert store.counts()["pending"] == 1


def test_spans_and_choices_from_a_parse() -> None:
    parse = {"intent_ranking": [{"name": "b"}, {"name": "zzz"}, {"name": "a"}],
             "entities": [{"start": 3, "end": 5, "entity": "size", "value": "extra",
                           "role": "r", "group": "g"},
                          {"start": 4, "end": 9, "entity": "overlap"},
                          {"start": 8, "end": 99, "entity": "outside"}]}
    spans = spans_from_parse("an XL pizza", parse)
    assert spans == (EntitySpan(3, 5, "size", "XL", "r", "g"),)
    assert choices_for(parse, ["a", "b", "c"]) == ["b", "a", "c"]
    assert choices_for(None, ["a"]) == ["a"]


# -- command line ----------------------------------------------------------------------

def test_cli_import_stats_export(project: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "messages.csv"
    source.write_text("id,text\n1,hello there friend\n2,Hello  There friend\n3,hi\n"
                      "4,bye for now\n", encoding="utf-8")
    assert main(["inbox", "import", str(project), str(source), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["duplicates"], report["known"]) == (2, 1, 1)
    assert report["prelabelled"] == 2
    assert main(["inbox", "stats", str(project), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["pending"], stats["scored"], stats["total"]) == (2, 2, 2)
    assert stats["imports"][0]["source"] == "messages.csv"
    out = tmp_path / "pending.jsonl"
    assert main(["inbox", "export", str(project), "--status", "pending", "--out",
                 str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == ["hello there friend", "bye for now"]
    assert rows[0]["prediction"]["parse"]["intent"]["name"]
    assert main(["inbox", "export", str(project), "--status", "rejected",
                 "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("id,text,status")


def test_cli_refuses_bad_input_with_a_message(project: Path, tmp_path: Path,
                                              capsys) -> None:
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00" * 100)
    assert main(["inbox", "import", str(project), str(binary)]) == 2
    assert "binary" in capsys.readouterr().err
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["inbox", "import", str(project), str(table)]) == 2
    assert "--column" in capsys.readouterr().err
    assert main(["inbox", "stats", str(tmp_path / "nope")]) == 2
    assert "not a project folder" in capsys.readouterr().err
    assert main(["inbox", "stats", str(project)]) == 0  # nothing imported: zeros


def test_cli_import_without_a_model(tmp_path: Path, capsys) -> None:
    root = tmp_path / "fresh"
    shutil.copytree(TINY, root)
    source = tmp_path / "m.txt"
    source.write_text("first message\nsecond message\n", encoding="utf-8")
    assert main(["inbox", "import", str(root), str(source)]) == 0
    out = capsys.readouterr().out
    assert "2 new message(s)" in out and "No trained model yet" in out
