"""Load a trained model and parse messages: ``load_model(path).parse(text)``.

The DIET forward pass runs under ``torch.inference_mode``; featurization is plain dict
look-ups. Texts longer than ``max_tokens`` tokens are cut (the prediction says so).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from workbench.core.cpu_load import CpuSample, sample_cpu
from workbench.nlu.artefacts import ArtefactError, load_artefact
from workbench.nlu.bilou import NO_ENTITY, repair_bilou, tags_to_entities
from workbench.nlu.features import MessageFeatures
from workbench.nlu.intra_op import BATCH_POSITIONS, GATE, batch_threads
from workbench.nlu.parse_forward import MAX_MESSAGES, ParseForward
from workbench.nlu.pipeline import FittedPipeline
from workbench.nlu.predictor import EntityPrediction, IntentScore, Prediction, TokenTag
from workbench.nlu.synonyms import EntitySynonymMapper

MAX_TOKENS = 512  # longer texts are truncated (attention is quadratic in length)


def _threads_for(n_positions: int, since: CpuSample | None = None
                 ) -> contextlib.AbstractContextManager[None]:
    """Intra-op threads for one forward batch (see :mod:`workbench.nlu.intra_op`).

    One thread unless the batch is large and ``since`` (taken when a multi-message
    call started) shows idle cores; safe with concurrent callers.
    """
    return GATE.use(batch_threads(n_positions, since))


def _require_str(text: object, function: str) -> str:
    """``text`` if it is a ``str``, else a clear ``TypeError`` (None included)."""
    if not isinstance(text, str):
        raise TypeError(f"{function}() takes a str, got {type(text).__name__}")
    return text


def rank_intents(
    names: Sequence[str],
    confidences: np.ndarray,
    ranking_length: int,
    renormalize: bool,
) -> tuple[IntentScore, ...]:
    """Rasa's ``rank_and_mask``: keep the top ``ranking_length`` (0 = all)."""
    order = np.argsort(-confidences, kind="stable")
    if 0 < ranking_length < len(order):
        order = order[:ranking_length]
    kept = confidences[order].astype(np.float64)
    if renormalize and kept.sum() > 0:
        kept = kept / kept.sum()
    return tuple(
        IntentScore(names[i], float(c)) for i, c in zip(order, kept, strict=True)
    )


class NluModel:
    """A loaded model: featurize -> DIET -> post-processing (Rasa's parse output)."""

    def __init__(self, model: Any, pipeline: FittedPipeline, diet_config: Any,
                 synonyms: EntitySynonymMapper | None = None,
                 metadata: Mapping[str, Any] | None = None,
                 path: Path | None = None, max_tokens: int = MAX_TOKENS) -> None:
        self.model = model.eval()
        self.pipeline = pipeline
        self.config = diet_config
        self.synonyms = synonyms
        self.metadata = dict(metadata or {})
        self.path = path
        self.max_tokens = max_tokens
        self.spec = model.spec
        self.intent_names: tuple[str, ...] = tuple(self.spec.intent_names)
        # Small batches (a parse, a server batch) skip DietModel.predict's general
        # machinery (same results; see workbench/nlu/parse_forward.py).
        self._lean = ParseForward.build(self.model)

    # -- batch prediction -----------------------------------------------------------
    def predict_many(
        self, texts: Iterable[str], batch_size: int = 64, *, all_tags: bool = False
    ) -> list[Prediction]:
        """Predict several texts (batched through DIET).

        ``all_tags`` (opt-in, for the tester): every token's ``TokenTag`` holds the tag
        and confidence of every tag kind, ``O`` included; by default only the non-O
        tags are kept. Entities and :meth:`Prediction.to_rasa` are the same either way.

        Raises:
            TypeError: ``texts`` is a single ``str`` or holds something that is not.
        """
        texts = self._texts(texts, "predict_many")
        # Large batches may use idle cores: sample the CPU now to measure until then
        # (positions <= characters; a server's small batches skip the file read).
        since = (sample_cpu() if len(texts) > 1 and len(texts) * (
            max(map(len, texts)) + 1) >= BATCH_POSITIONS else None)
        results: list[Prediction | None] = [None] * len(texts)
        featurized: list[tuple[int, MessageFeatures, bool]] = []
        for i, text in enumerate(texts):
            tokens = self.pipeline.tokenizer.tokenize(text)
            if not tokens:
                results[i] = Prediction(text, None, (), ())
                continue
            truncated = len(tokens) > self.max_tokens
            tokens = tokens[: self.max_tokens]
            message = self.pipeline.featurize_tokens(tokens, text)
            featurized.append((i, message, truncated))
        for start in range(0, len(featurized), batch_size):
            chunk = featurized[start : start + batch_size]
            outputs = self._run([m for _, m, _ in chunk], since)
            for (i, message, truncated), out in zip(chunk, outputs, strict=True):
                results[i] = self._post_process(texts[i], message, out, truncated,
                                                all_tags)
        return [r for r in results if r is not None]

    @staticmethod
    def _texts(texts: Iterable[str], function: str) -> list[str]:
        if isinstance(texts, (str, bytes)) or not isinstance(texts, Iterable):
            raise TypeError(f"{function}() takes an iterable of str, got "
                            f"{type(texts).__name__}")
        items = list(texts)
        for item in items:
            _require_str(item, function)
        return items

    def _run(self, messages: list[MessageFeatures],
             since: CpuSample | None = None) -> list[dict[str, Any]]:
        n_positions = len(messages) * (max(len(m.tokens) for m in messages) + 1)
        with _threads_for(n_positions, since), torch.inference_mode():
            if self._lean is not None and len(messages) <= MAX_MESSAGES:
                pred = self._lean.predict(messages)
            else:
                pred = self.model.predict(self._collate(messages))
        per_message: list[dict[str, Any]] = []
        conf = emb = None
        if pred.intent_confidences is not None:
            conf = pred.intent_confidences.float().numpy()  # (B, L)
        if pred.sentence_embeddings is not None:
            emb = pred.sentence_embeddings.float().numpy()  # (B, E)
        tags = {  # kind -> ((B, P) ids, (B, P) confidences)
            k: (ids.numpy(), c.float().numpy()) for k, (ids, c) in pred.tags.items()
        }
        for b, message in enumerate(messages):
            n = len(message.tokens)
            per_message.append({
                "confidences": conf[b] if conf is not None else None,
                "embedding": emb[b] if emb is not None else np.zeros(0, np.float32),
                "tags": {k: (ids[b, :n], c[b, :n]) for k, (ids, c) in tags.items()},
            })
        return per_message

    def _collate(self, messages: list[MessageFeatures]) -> Any:
        from workbench.nlu.diet.batching import collate_messages

        return collate_messages(messages, has_sentence=self.spec.sentence_dim > 0)

    def _post_process(self, text: str, message: MessageFeatures, out: dict[str, Any],
                      truncated: bool, all_tags: bool = False) -> Prediction:
        ranking: tuple[IntentScore, ...] = ()
        if out["confidences"] is not None and self.intent_names:
            ranking = rank_intents(self.intent_names, out["confidences"],
                                   int(self.config.ranking_length),
                                   bool(self.config.renormalize_confidences))
        tag_strings: dict[str, list[str]] = {}
        tag_conf: dict[str, list[float]] = {}
        all_o: set[str] = set()
        for kind, (ids, conf) in out["tags"].items():
            if not np.any(ids):
                if not all_tags:
                    continue  # Rasa skips tag kinds without any non-O prediction
                all_o.add(kind)
            names = self.spec.tag_names[kind]
            strings = [names[int(i)] for i in ids]
            confs = [float(c) for c in conf]
            if self.config.BILOU_flag:
                strings, confs = repair_bilou(strings, confs)
            tag_strings[kind], tag_conf[kind] = strings, confs
        entities = tags_to_entities(
            text, message.tokens,
            {k: v for k, v in tag_strings.items() if k not in all_o},
            {k: v for k, v in tag_conf.items() if k not in all_o},
            split_entities_by_comma=self.config.split_entities_by_comma,
        ) if "entity" in tag_strings and "entity" not in all_o else []
        surfaces = [e["value"] for e in entities]
        if self.synonyms is not None:
            self.synonyms.process(entities)
        token_tags = []
        for i, t in enumerate(message.tokens):
            kinds = [k for k, v in tag_strings.items()
                     if all_tags or v[i] != NO_ENTITY]
            token_tags.append(TokenTag(t.text, t.start, t.end,
                                       {k: tag_strings[k][i] for k in kinds},
                                       {k: tag_conf[k][i] for k in kinds}))
        return Prediction(
            text=text,
            intent=ranking[0] if ranking else None,
            ranking=ranking,
            entities=tuple(
                _entity(e, s) for e, s in zip(entities, surfaces, strict=True)
            ),
            tokens=tuple(token_tags),
            embedding=np.asarray(out["embedding"], dtype=np.float32),
            truncated=truncated,
        )

    # -- public API -----------------------------------------------------------------
    def predict(self, text: str, *, all_tags: bool = False) -> Prediction:
        """Predict one text (one intra-op thread, whatever its length).

        ``all_tags``: keep every token's tag and confidence, O included (see
        :meth:`predict_many`).

        Raises:
            TypeError: ``text`` is not a ``str`` (``None`` included); the empty string
                gives Rasa's result for it (no intent).
        """
        return self.predict_many([_require_str(text, "predict")], all_tags=all_tags)[0]

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's parse output for ``text``.

        Raises:
            TypeError: ``text`` is not a ``str`` ("parse() takes a str, got int").
        """
        return self.predict_many([_require_str(text, "parse")])[0].to_rasa()

    def embed(self, texts: Iterable[str]) -> np.ndarray:
        """Sentence embeddings ``(n, embedding_dimension)``; zeros for empty texts."""
        predictions = self.predict_many(self._texts(texts, "embed"))
        dim = max((p.embedding.shape[0] for p in predictions), default=0)
        out = np.zeros((len(predictions), dim), dtype=np.float32)
        for i, p in enumerate(predictions):
            if p.embedding.shape[0] == dim:
                out[i] = p.embedding
        return out

    def intent_embeddings(self) -> np.ndarray:
        """The intents' label embeddings ``(L, E)``, in :meth:`embed`'s space.

        Row ``i`` belongs to ``intent_names[i]``; ``(0, 0)`` without an intent head.
        """
        head = getattr(self.model, "intent", None)
        if head is None:
            return np.zeros((0, 0), dtype=np.float32)
        with torch.inference_mode():
            return head.labels().float().numpy().astype(np.float32)  # (L, E)

    def untrained(self, seed: int = 0) -> NluModel:
        """The same network freshly initialised (seeded): "before training" embeddings.

        Same featurizers, config and label features; only the weights are random.
        """
        from workbench.nlu.diet.builder import build_model

        head = getattr(self.model, "intent", None)
        label_matrix = head.labels.label_matrix if head is not None else None
        with _threads_for(0):
            state = torch.random.get_rng_state()
            torch.manual_seed(seed)
            try:
                fresh = build_model(self.config, self.spec, label_matrix)
            finally:
                torch.random.set_rng_state(state)
        return NluModel(fresh, self.pipeline, self.config, self.synonyms,
                        self.metadata, None, self.max_tokens)


def _entity(entity: Mapping[str, Any], surface: str) -> EntityPrediction:
    return EntityPrediction(
        entity=entity["entity"], start=int(entity["start"]), end=int(entity["end"]),
        value=str(entity["value"]),
        confidence=float(entity.get("confidence_entity", 0.0)),
        text=surface,
        role=entity.get("role"),
        role_confidence=entity.get("confidence_role"),
        group=entity.get("group"), group_confidence=entity.get("confidence_group"),
        processors=tuple(entity.get("processors", ())),
        extractor=str(entity.get("extractor", "DIETClassifier")),
    )


def model_from_parts(model: Any, pipeline: FittedPipeline, diet_config: Any,
                     synonyms: EntitySynonymMapper | Mapping[str, str] | None = None,
                     ) -> NluModel:
    """An ``NluModel`` from in-memory training results (no files involved)."""
    if synonyms is not None and not isinstance(synonyms, EntitySynonymMapper):
        synonyms = EntitySynonymMapper.from_state(synonyms)
    return NluModel(model, pipeline, diet_config, synonyms)


def load_model(path: str | Path) -> NluModel:
    """Load a model directory written by :func:`workbench.nlu.artefacts.save_model`.

    Raises:
        ArtefactError: the directory is missing, incomplete, tampered with, or its
            contents do not fit together (the message names the file; retrain).
    """
    from workbench.nlu.artefact_schema import DAMAGED
    from workbench.nlu.build_guard import (
        AllocationLimitExceeded,
        allocation_limit,
        weights_budget,
    )
    from workbench.nlu.diet.builder import build_model
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.spec import ModelSpec

    artefact = load_artefact(path)  # files, sizes and the metadata schema checked
    meta = artefact.metadata
    where = artefact.path / "metadata.json"
    try:
        config = DietConfig.from_rasa(meta["diet_config"])
    except (TypeError, ValueError, OverflowError) as error:
        raise ArtefactError(f"{where}: diet_config: {error} {DAMAGED}") from None
    try:
        spec = ModelSpec.from_dict(meta["model_spec"])
        arrays = artefact.featurizer_arrays
        pipeline = FittedPipeline.from_state(meta["pipeline"], arrays)
        synonyms = (EntitySynonymMapper.from_state(meta["synonyms"])
                    if meta.get("synonyms") is not None else None)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ArtefactError(f"{where}: incomplete or inconsistent ({error!r}). "
                            f"{DAMAGED}") from None
    dims = (pipeline.sequence_dim, pipeline.sentence_dim)
    if dims != (spec.sequence_dim, spec.sentence_dim):
        raise ArtefactError(
            f"{where}: model_spec.sequence_dim/sentence_dim = {spec.sequence_dim}/"
            f"{spec.sentence_dim} do not match the featurizers' sizes {dims[0]}/"
            f"{dims[1]}. {DAMAGED}")
    # Building runs many small init ops (masks, Glorot): one thread is ~10x faster.
    # The configured network may not be (much) larger than the weights saved for it.
    with _threads_for(0):
        try:
            with allocation_limit(weights_budget(artefact.weights)):
                model = build_model(config, spec)
        except AllocationLimitExceeded as error:
            raise ArtefactError(
                f"{where}: diet_config/model_spec describe a network larger than the "
                f"saved weights in model.safetensors ({error}). {DAMAGED}") from None
        except (ValueError, RuntimeError) as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ArtefactError(f"{where}: diet_config/model_spec cannot be built "
                                f"({first}). {DAMAGED}") from None
        try:
            model.load_state_dict(dict(artefact.weights), strict=True)
        except RuntimeError as error:
            first = str(error).splitlines()[0]
            raise ArtefactError(
                f"{artefact.path / 'model.safetensors'}: weights do not fit the saved "
                f"configuration ({first}). Retrain the model with `workbench train`."
            ) from None
    return NluModel(model, pipeline, config, synonyms, meta, artefact.path)
