"""Counts that describe a project's NLU data (``workbench data stats``, the GUI)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.core.project import Project


def project_stats(project: Project) -> dict[str, Any]:
    """Return plain JSON-ready counts.

    Keys: ``examples``, ``intents`` (intent names, incl. empty ones), ``entity_types``,
    ``entity_spans``, ``synonyms`` (synonym blocks), ``regexes`` (patterns),
    ``lookups`` (tables), ``lookup_elements``, ``examples_with_entities``,
    ``retrieval_intents``, ``files``, ``per_intent`` {intent: examples} in intent order,
    ``per_entity`` {entity: spans} by descending count, ``per_role`` and ``per_group``
    {"entity:role": spans}.
    """
    per_intent = Counter(example.intent for example in project.examples)
    per_entity: Counter[str] = Counter()
    per_role: Counter[str] = Counter()
    per_group: Counter[str] = Counter()
    with_entities = 0
    for example in project.examples:
        with_entities += bool(example.entities)
        for span in example.entities:
            per_entity[span.entity] += 1
            if span.role:
                per_role[f"{span.entity}:{span.role}"] += 1
            if span.group:
                per_group[f"{span.entity}:{span.group}"] += 1
    return {
        "examples": len(project.examples),
        "intents": len(project.intents),
        "entity_types": len(per_entity),
        "entity_spans": sum(per_entity.values()),
        "synonyms": len(project.synonyms),
        "regexes": sum(len(regex.patterns) for regex in project.regexes),
        "lookups": len(project.lookups),
        "lookup_elements": sum(len(table.elements) for table in project.lookups),
        "examples_with_entities": with_entities,
        "retrieval_intents": sum("/" in intent for intent in project.intents),
        "files": [str(path) for path in project.nlu_paths],
        "per_intent": {intent: per_intent.get(intent, 0) for intent in project.intents},
        "per_entity": dict(per_entity.most_common()),
        "per_role": dict(per_role.most_common()),
        "per_group": dict(per_group.most_common()),
    }
