"""train_diet end to end on tiny synthetic data: events, seeds, stop, finetuning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diet_synthetic import make_data, tiny_config

from workbench.nlu.diet.batching import collate_messages
from workbench.nlu.diet.model import DietModel
from workbench.nlu.diet.trainer import (
    BatchProgress,
    EpochStats,
    TrainedDiet,
    train_diet,
)


def _run(data, config, **kwargs) -> tuple[list[EpochStats], TrainedDiet | None]:
    stats, trained = [], None
    for event in train_diet(data, config, seed=kwargs.pop("seed", 3), device="cpu",
                            **kwargs):
        if isinstance(event, EpochStats):
            stats.append(event)
        elif isinstance(event, TrainedDiet):
            trained = event
        else:
            assert isinstance(event, BatchProgress)
    return stats, trained


def test_train_diet_yields_epochs_then_a_cpu_model(synthetic_data) -> None:
    stats, trained = _run(synthetic_data, tiny_config(epochs=3))
    assert [s.epoch for s in stats] == [1, 2, 3]
    assert all(s.total_epochs == 3 for s in stats)
    assert {"i_loss", "e_loss", "t_loss", "reg_loss"} <= set(stats[0].losses)
    assert {"i_acc", "e_f1"} <= set(stats[0].metrics)
    assert [s.batch_size for s in stats] == [8, 12, 16]
    assert trained is not None and not trained.model.training
    assert next(trained.model.parameters()).device.type == "cpu"
    assert trained.intent_names == ("book", "bye", "greet", "weather")
    masked = [m for m in trained.model.modules() if hasattr(m, "apply_mask_")]
    assert masked and all((m.weight[~m.mask] == 0).all() for m in masked)
    prediction = trained.model.predict(collate_messages(synthetic_data.messages[:4]))
    assert prediction.intent_confidences.shape == (4, 4)
    assert torch.allclose(prediction.intent_confidences.sum(1), torch.ones(4))
    assert prediction.sentence_embeddings.shape == (4, 8)
    ids, conf = prediction.tags["entity"]
    assert ids.shape == conf.shape == (4, prediction.lengths.max().item() + 1)


def test_train_diet_learns_the_synthetic_task() -> None:
    data = make_data(n_per_intent=12)
    _, trained = _run(data, tiny_config(epochs=20, transformer_size=32,
                                        batch_size=(16, 16), learning_rate=0.01))
    prediction = trained.model.predict(collate_messages(data.messages))
    accuracy = (
        prediction.intent_confidences.argmax(1).numpy() == data.intent_ids
    ).mean()
    assert accuracy > 0.9
    ids = prediction.tags["entity"][0]
    gold = [t for tags in data.tag_ids["entity"] for t in tags]
    pred = [int(ids[i, j]) for i, tags in enumerate(data.tag_ids["entity"])
            for j in range(len(tags))]
    assert np.mean(np.array(pred) == np.array(gold)) > 0.9


def test_train_diet_is_reproducible_with_a_seed(synthetic_data) -> None:
    config = tiny_config(epochs=1)
    first, _ = _run(synthetic_data, config, seed=11)
    second, _ = _run(synthetic_data, config, seed=11)
    other, _ = _run(synthetic_data, config, seed=12)
    assert first[0].losses == second[0].losses
    assert first[0].metrics == second[0].metrics
    assert first[0].losses != other[0].losses


def test_train_diet_stops_between_batches_without_a_model(synthetic_data) -> None:
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    events = list(
        train_diet(
            synthetic_data,
            tiny_config(epochs=50),
            seed=1,
            device="cpu",
            should_stop=should_stop,
        )
    )
    epochs = [e for e in events if isinstance(e, EpochStats)]
    kept = [e for e in events if isinstance(e, TrainedDiet)]
    assert len(epochs) <= 1
    if epochs:  # the stop came after a whole epoch: that model is kept
        assert len(kept) == 1 and kept[0].stopped and kept[0].epochs_run == 1
    else:  # before the first epoch ended: nothing to keep
        assert not kept
    assert len(calls) == 3


def test_train_diet_stopped_after_epochs_keeps_a_usable_model(synthetic_data) -> None:
    seen: list[EpochStats] = []
    events = []
    for event in train_diet(synthetic_data, tiny_config(epochs=50), seed=1,
                            device="cpu", should_stop=lambda: len(seen) >= 2):
        events.append(event)
        if isinstance(event, EpochStats):
            seen.append(event)
    trained = events[-1]
    assert isinstance(trained, TrainedDiet) and trained.stopped
    assert trained.epochs_run == 2 and len(seen) == 2
    assert not trained.model.training  # eval mode, on the CPU: ready to save
    assert next(trained.model.parameters()).device.type == "cpu"


def test_train_diet_rejects_unavailable_devices_and_single_intent(
    synthetic_data,
) -> None:
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            next(train_diet(synthetic_data, tiny_config(), seed=1, device="cuda"))
    with pytest.raises(ValueError, match="Unknown device"):
        next(train_diet(synthetic_data, tiny_config(), seed=1, device="tpu"))
    single = make_data(intents=("greet",))
    with pytest.raises(ValueError, match="at least 2 intents"):
        next(train_diet(single, tiny_config(), seed=1, device="cpu"))


def test_train_diet_validation_and_checkpoint(synthetic_data) -> None:
    config = tiny_config(epochs=4, evaluate_on_number_of_examples=8,
                         evaluate_every_number_of_epochs=2, checkpoint_model=True)
    stats, trained = _run(synthetic_data, config)
    assert [s.validation is not None for s in stats] == [False, True, False, True]
    assert {"val_i_acc", "val_e_f1", "val_t_loss"} <= set(stats[1].validation)
    assert trained.best_epoch in (2, 4)


def test_train_diet_with_roles_and_without_transformer() -> None:
    data = make_data(with_roles=True)
    stats, trained = _run(data, tiny_config(epochs=2, number_of_transformer_layers=0,
                                            use_key_relative_attention=True))
    assert "r_loss" in stats[-1].losses and "r_f1" in stats[-1].metrics
    prediction = trained.model.predict(collate_messages(data.messages[:3]))
    assert set(prediction.tags) == {"entity", "role"}


def test_train_diet_optional_parts_run(synthetic_data) -> None:
    config = tiny_config(epochs=1, use_key_relative_attention=True,
                         use_value_relative_attention=True, drop_rate_attention=0.1,
                         loss_type="margin", similarity_type="cosine",
                         model_confidence="auto", scale_loss=True,
                         hidden_layers_sizes={"text": (12,), "label": (6,)},
                         use_masked_language_model=True, batch_strategy="sequence")
    stats, trained = _run(synthetic_data, config)
    assert "m_loss" in stats[0].losses and "m_acc" in stats[0].metrics
    assert np.isfinite(stats[0].losses["t_loss"])


def _label_embeddings(model: DietModel) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        y = model.intent.labels()
    return {name: y[i] for i, name in enumerate(model.spec.intent_names)}


def test_finetune_with_added_intent_and_entity_type_keeps_old_weights() -> None:
    old_data = make_data(intents=("book", "greet", "weather"))
    _, old = _run(old_data, tiny_config(epochs=2))
    old_emb = _label_embeddings(old.model)
    # New data: an intent sorting before the others ("bye") and a new entity type.
    # The training engineer reuses the old featurizers: same vocabulary, same widths.
    vocab = sorted({w for t in old_data.texts for w in t.split()} | {"unknown"})
    new_data = make_data(intents=("book", "bye", "greet", "weather"), vocab=vocab)
    tag_names = dict(new_data.tag_names)
    tag_names["entity"] = (*tag_names["entity"], "B-date", "I-date", "L-date", "U-date")
    new_data = type(new_data)(**{**new_data.__dict__, "tag_names": tag_names})
    from workbench.nlu.diet.builder import label_matrix_from_data, spec_from_data
    from workbench.nlu.diet.finetune import expand_model

    config = tiny_config(epochs=1)
    spec = spec_from_data(new_data, config)
    model = expand_model(
        old.model, config, spec, label_matrix_from_data(new_data)
    ).eval()
    new_emb = _label_embeddings(model)
    for name, vector in old_emb.items():
        assert torch.allclose(new_emb[name], vector, atol=1e-6), name
    old_crf = old.model.tag_heads["entity"].crf.weight
    new_crf = model.tag_heads["entity"].crf.weight
    assert new_crf.shape == (9, 9)
    assert torch.equal(new_crf[:5, :5], old_crf)
    old_logits = old.model.tag_heads["entity"].logits.weight
    assert torch.equal(model.tag_heads["entity"].logits.weight[:5], old_logits)
    # The whole finetuning run works through train_diet(init_model=...).
    stats, trained = _run(new_data, config, init_model=old.model)
    assert len(stats) == 1 and trained.intent_names[1] == "bye"


def test_finetune_rejects_changed_feature_sizes() -> None:
    old_data = make_data()
    _, old = _run(old_data, tiny_config(epochs=1))
    bigger = make_data(vocab=sorted({"unknown", "extra", *[w for t in old_data.texts
                                                           for w in t.split()]}))
    with pytest.raises(ValueError, match="different feature sizes"):
        next(train_diet(bigger, tiny_config(epochs=1), seed=1, device="cpu",
                        init_model=old.model))


def test_train_diet_calls_on_epoch_with_the_live_model(synthetic_data) -> None:
    seen = []
    _run(synthetic_data, tiny_config(epochs=2),
         on_epoch=lambda model, epoch: seen.append((type(model).__name__, epoch)))
    assert seen == [("DietModel", 1), ("DietModel", 2)]


def test_train_diet_amp_is_ignored_on_cpu(synthetic_data) -> None:
    plain, _ = _run(synthetic_data, tiny_config(epochs=1))
    stats, trained = _run(synthetic_data, tiny_config(epochs=1), amp=True)
    assert stats[0].losses == plain[0].losses
    prediction = trained.model.predict(collate_messages(synthetic_data.messages[:2]))
    assert prediction.intent_confidences.dtype == torch.float32
