"""Rasa's DIET weights in our model (benchmarks/rasa_weights.py), without Rasa.

A small model of ours is written out in Rasa's checkpoint layout (TF kernels are
(in, out), Q/K/V separate, masks beside kernels, vocabularies in shuffled order), read
back into a freshly initialised model, and must predict exactly what the original did.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import rasa_weights  # noqa: E402

from workbench.core.examples import Example  # noqa: E402
from workbench.nlu.diet.batching import collate_messages  # noqa: E402
from workbench.nlu.diet.builder import (  # noqa: E402
    build_model,
    label_matrix_from_data,
    spec_from_data,
)
from workbench.nlu.diet.config import DietConfig  # noqa: E402
from workbench.nlu.pipeline import featurize_training_data  # noqa: E402

TEXTS = {
    "greet": ["hello there", "hi", "good morning to you"],
    "bye": ["goodbye", "see you later", "bye bye"],
    "card_lost?": ["I lost my card", "my card is gone", "where is my card"],
}


def _featurized():
    examples = [
        Example(t, intent, ()) for intent, texts in TEXTS.items() for t in texts
    ]
    return featurize_training_data(
        SimpleNamespace(
            examples=examples, regexes=[], lookups=[], synonyms=[], config=None
        ),
        None,
    )


def _model(result, seed):
    torch.manual_seed(seed)
    config = DietConfig.from_rasa(
        {
            **DietConfig.rasa_default_pipeline().to_rasa(),
            "number_of_transformer_layers": 2,
            "transformer_size": 32,
            "dense_dimension": {"text": 16, "label": 8},
            "embedding_dimension": 8,
        }
    )
    return build_model(
        config, spec_from_data(result.data, config), label_matrix_from_data(result.data)
    ).eval()


def _as_rasa(model, result, rng):
    """Our model in Rasa's layout, with Rasa's column and label orders shuffled."""
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    featurizers = result.pipeline.featurizers
    lexical = featurizers[1]
    n_lex = sum(len(t) for t in lexical.index.values())
    lex_perm = rng.permutation(n_lex)  # our lexical column c -> Rasa's lex_perm[c]
    lex_table = {
        f"{p}###{f}": {str(v): int(lex_perm[c]) for v, c in table.items()}
        for (p, f), table in lexical.index.items()
    }
    vocabularies, seq_map, sent_map = [], [lex_perm], []
    seq_off = sent_off = n_lex
    sent_off = 0
    for featurizer in featurizers[2:]:
        words = list(featurizer.vocabulary)
        perm = rng.permutation(len(words))
        vocabularies.append({"text": {w: int(perm[i]) for i, w in enumerate(words)}})
        seq_map.append(seq_off + perm)
        sent_map.append(sent_off + perm)
        seq_off += len(words)
        sent_off += len(words)
    names = list(result.data.intent_names)
    label_perm = rng.permutation(len(names))
    vocabularies[0]["intent"] = {
        n.lower().rstrip("?"): int(label_perm[i]) for i, n in enumerate(names)
    }

    def scatter(ours, columns):  # Rasa's kernel: row columns[i] holds our row i
        out = np.zeros_like(ours)
        out[np.concatenate(columns)] = ours
        return out

    p, t = rasa_weights._SPARSE, rasa_weights._TRANSFORMER
    w = {
        p.format("sequence") + "kernel": scatter(
            sd["encoder.inputs.sequence.bag.weight"], seq_map
        ),
        p.format("sequence") + "bias": sd["encoder.inputs.sequence.bias"],
        p.format("sentence") + "kernel": scatter(
            sd["encoder.inputs.sentence.bag.weight"], sent_map
        ),
        p.format("sentence") + "bias": sd["encoder.inputs.sentence.bias"],
        t + "_embedding/kernel": sd["encoder.transformer.project.weight"].T,
        t + "_embedding/kernel_mask": sd["encoder.transformer.project.mask"].T * 1.0,
        t + "_embedding/bias": sd["encoder.transformer.project.bias"],
        t + "_layer_norm/gamma": sd["encoder.transformer.ln_final.weight"],
        t + "_layer_norm/beta": sd["encoder.transformer.ln_final.bias"],
        "embed..text/_dense/kernel": sd["intent.embed_text.weight"].T,
        "embed..text/_dense/bias": sd["intent.embed_text.bias"],
        rasa_weights._LABEL + "kernel": scatter(
            sd["intent.labels.project.bag.weight"], [label_perm]
        ),
        rasa_weights._LABEL + "bias": sd["intent.labels.project.bias"],
        "embed..label/_dense/kernel": sd["intent.labels.embed.weight"].T,
        "embed..label/_dense/bias": sd["intent.labels.embed.bias"],
    }
    for b in range(2):
        ours, theirs = f"encoder.transformer.blocks.{b}.", f"{t}_enc_layers/{b}/"
        q, k, v = np.split(sd[ours + "attention.qkv.weight"], 3)
        qm, km, vm = np.split(sd[ours + "attention.qkv.mask"], 3)
        for part, kern, mask in (("query", q, qm), ("key", k, km), ("value", v, vm)):
            w[f"{theirs}_mha/_{part}_dense_layer/kernel"] = kern.T
            w[f"{theirs}_mha/_{part}_dense_layer/kernel_mask"] = mask.T * 1.0
        out = f"{theirs}_mha/_output_dense_layer/"
        w[out + "kernel"] = sd[ours + "attention.out.weight"].T
        w[out + "kernel_mask"] = sd[ours + "attention.out.mask"].T * 1.0
        w[out + "bias"] = sd[ours + "attention.out.bias"]
        w[theirs + "_layer_norm/gamma"] = sd[ours + "ln_attention.weight"]
        w[theirs + "_layer_norm/beta"] = sd[ours + "ln_attention.bias"]
        w[theirs + "_ffn_layers/0/gamma"] = sd[ours + "ln_ffn.weight"]
        w[theirs + "_ffn_layers/0/beta"] = sd[ours + "ln_ffn.bias"]
        for name, index in (("ffn_in", 1), ("ffn_out", 3)):
            layer = f"{theirs}_ffn_layers/{index}/"
            w[layer + "kernel"] = sd[ours + name + ".weight"].T
            w[layer + "kernel_mask"] = sd[ours + name + ".mask"].T * 1.0
            w[layer + "bias"] = sd[ours + name + ".bias"]
    return {"weights": w, "vocabularies": vocabularies, "lexical": lex_table}


def test_rasa_layout_round_trip_predicts_the_same():
    result = _featurized()
    original = _model(result, seed=1)
    exported = _as_rasa(original, result, np.random.default_rng(0))
    fresh = _model(result, seed=2)
    batch = collate_messages(result.data.messages)
    with torch.no_grad():
        before = fresh.predict(batch).intent_confidences
    seq_cols, sent_cols = rasa_weights.feature_columns(result.pipeline, exported)
    labels = rasa_weights.label_rows(result.data.intent_names, exported)
    rasa_weights.load_rasa_weights(
        fresh,
        rasa_weights.rasa_state_dict(
            fresh.state_dict(), exported, seq_cols, sent_cols, labels
        ),
    )
    with torch.no_grad():
        want = original.predict(batch).intent_confidences
        got = fresh.predict(batch).intent_confidences
    assert not torch.allclose(before, want)  # the fresh model really was different
    torch.testing.assert_close(got, want)
    for name, value in original.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[name], value, msg=name)


def test_unmappable_intent_names_and_vocabularies_are_refused():
    result = _featurized()
    exported = _as_rasa(_model(result, seed=1), result, np.random.default_rng(0))
    del exported["vocabularies"][0]["intent"]["bye"]
    with pytest.raises(rasa_weights.Unsupported, match="'bye'"):
        rasa_weights.label_rows(result.data.intent_names, exported)
    exported["vocabularies"][1]["text"].pop(
        next(iter(exported["vocabularies"][1]["text"]))
    )
    with pytest.raises(rasa_weights.Unsupported, match="vocabularies differ"):
        rasa_weights.feature_columns(result.pipeline, exported)
