"""Randomly connected layers, the transformer and the sparse input layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diet_synthetic import tiny_config

from workbench.nlu.diet.batching import FeatureArrays, collate
from workbench.nlu.diet.builder import build_model, spec_from_data
from workbench.nlu.diet.layers import RandomlyConnectedDense, connection_mask
from workbench.nlu.diet.packing import Packing
from workbench.nlu.diet.sparse_input import SparseSequenceInput
from workbench.nlu.diet.transformer import (
    MultiHeadAttention,
    TransformerBlock,
    TransformerEncoder,
)


@pytest.mark.parametrize(("n_in", "n_out"), [(8, 8), (5, 12), (12, 5)])
def test_connection_mask_connects_every_input_and_output(n_in: int, n_out: int) -> None:
    torch.manual_seed(0)
    mask = connection_mask(n_in, n_out, 0.0)  # (out, in)
    assert mask.shape == (n_out, n_in)
    assert mask.any(dim=0).all() and mask.any(dim=1).all()
    assert int(mask.sum()) == max(n_in, n_out)  # only the tiled identity at density 0
    assert connection_mask(n_in, n_out, 1.0).all()


def test_connection_mask_density_is_roughly_kept() -> None:
    torch.manual_seed(0)
    mask = connection_mask(200, 300, 0.2)
    assert 0.19 < mask.float().mean().item() < 0.23


def test_randomly_connected_dense_keeps_masked_weights_zero() -> None:
    torch.manual_seed(0)
    layer = RandomlyConnectedDense(6, 4, 0.3, parts=3)
    assert layer.weight.shape == (12, 6)
    assert (layer.weight[~layer.mask] == 0).all()
    with torch.no_grad():
        layer.weight.add_(1.0)
    layer.apply_mask_()
    assert (layer.weight[~layer.mask] == 0).all()
    assert (layer.weight[layer.mask] != 0).all()
    x = torch.randn(3, 6)
    expected = x @ (layer.weight * layer.mask).t() + layer.bias
    assert torch.allclose(layer(x), expected)


def _encoder(**kwargs: object) -> TransformerEncoder:
    torch.manual_seed(0)
    width, heads = 16, 2
    blocks = [TransformerBlock(width, MultiHeadAttention(
        width, heads, 0.5, 0.0, kwargs.get("unidirectional", False),
        kwargs.get("key_rel", False), kwargs.get("value_rel", False), 2), 0.5, 0.0)
        for _ in range(2)]
    return TransformerEncoder(8, width, blocks, 0.5, 0.0).eval()


@pytest.mark.parametrize("options", [{}, {"key_rel": True, "value_rel": True},
                                     {"unidirectional": True}])
def test_transformer_padding_does_not_change_real_positions(options: dict) -> None:
    encoder = _encoder(**options)
    x = torch.randn(1, 3, 8)
    alone = encoder(x[0], Packing(torch.ones(1, 3, dtype=torch.bool)))  # (3, H)
    padded = torch.cat([x, torch.zeros(1, 3, 8)], dim=1)  # (1, 6, 8)
    mask = torch.tensor([[True] * 3 + [False] * 3])
    other = torch.randn(1, 6, 8)
    both = torch.cat([padded, other])
    mask2 = torch.cat([mask, torch.ones(1, 6, dtype=torch.bool)])
    packing = Packing(mask2)
    out = packing.unpack(encoder(packing.pack(both), packing))  # (2, 6, H)
    assert out.shape == (2, 6, 16)
    assert torch.allclose(out[0, :3], alone, atol=1e-5)
    assert out[0, 3:].eq(0).all()


def test_unidirectional_encoder_ignores_future_positions() -> None:
    encoder = _encoder(unidirectional=True)
    x = torch.randn(4, 8)
    changed = x.clone()
    changed[3] += 5.0
    packing = Packing(torch.ones(1, 4, dtype=torch.bool))
    a, b = encoder(x, packing), encoder(changed, packing)
    assert torch.allclose(a[:3], b[:3], atol=1e-5)
    assert not torch.allclose(a[3], b[3])


def test_relative_attention_slow_path_matches_fast_path_without_relative_terms() -> (
    None
):
    attention = MultiHeadAttention(16, 2, 0.5, 0.3, False, False, False, 2).eval()
    x = torch.randn(7, 16)
    packing = Packing(torch.tensor([[True] * 4, [True, True, True, False]]))
    fast = attention(x, packing)
    pad = ~packing.mask
    qkv = packing.unpack(attention.qkv(x)).view(2, 4, 3, 2, 8).permute(2, 0, 3, 1, 4)
    slow = attention._attend_slow(qkv[0], qkv[1], qkv[2], pad)
    slow = attention.out(packing.pack(slow.transpose(1, 2).reshape(2, 4, 16)))
    assert torch.allclose(fast, slow, atol=1e-5)


def test_sentence_vector_is_placed_at_position_t_of_each_example(
    synthetic_data,
) -> None:
    torch.manual_seed(0)
    data = synthetic_data
    layer = SparseSequenceInput(data.sequence_dim, data.sentence_dim, 6, 6, 0.0,
                                sparse_dropout=False, dense_dropout=False,
                                density=1.0).eval()
    arrays = FeatureArrays.from_messages(data.messages, has_sentence=True)
    lengths = arrays.n_tokens
    idx = np.array([int(np.argmin(lengths)), int(np.argmax(lengths))])
    batch = collate(arrays, idx)
    packed, mask = layer(batch)
    x = Packing(mask).unpack(packed)  # (2, P, 6)
    short = int(lengths[idx[0]])
    sentence_only = layer.sentence(batch.sent_cols, batch.sent_vals, batch.sent_offsets)
    assert torch.allclose(x[0, short], sentence_only[0])
    assert mask[0].tolist() == [True] * (short + 1) + [False] * (x.shape[1] - short - 1)
    assert x[0, short + 1:].eq(0).all()
    assert mask[1].all()  # the longest example fills the grid incl. its sentence slot


def test_model_predict_is_independent_of_batch_padding(synthetic_data) -> None:
    torch.manual_seed(0)
    data = synthetic_data
    config = tiny_config()
    model = build_model(config, spec_from_data(data, config)).eval()
    arrays = FeatureArrays.from_messages(data.messages, has_sentence=True)
    short = int(np.argmin(arrays.n_tokens))
    alone = model.predict(collate(arrays, np.array([short])))
    mixed = model.predict(
        collate(arrays, np.array([short, int(np.argmax(arrays.n_tokens))]))
    )
    assert torch.allclose(
        alone.intent_confidences[0], mixed.intent_confidences[0], atol=1e-5
    )
    assert torch.allclose(alone.sentence_embeddings[0], mixed.sentence_embeddings[0],
                          atol=1e-5)
    n = int(arrays.n_tokens[short])
    assert (
        alone.tags["entity"][0][0, :n].tolist()
        == mixed.tags["entity"][0][0, :n].tolist()
    )


def _single_grid(packing: Packing) -> Packing:
    """The same packing forced to attend over one padded grid."""
    from workbench.nlu.diet.packing import AttentionGroup

    packing._groups = ([AttentionGroup(None, packing.index, packing.mask)], None)
    return packing


@pytest.mark.parametrize("options", [{}, {"unidirectional": True},
                                     {"key_rel": True, "value_rel": True}])
def test_length_groups_give_the_same_outputs_and_gradients_as_one_grid(options) -> None:
    torch.manual_seed(3)
    lengths = torch.cat([torch.randint(1, 5, (60,)), torch.tensor([9, 12, 11, 7])])
    mask = torch.arange(12)[None, :] < lengths[:, None]
    grouped = Packing(mask)
    assert len(grouped.attention_groups()) > 1  # the split really happens
    covered = torch.cat([g.rows for g in grouped.attention_groups()])
    assert sorted(covered.tolist()) == list(range(int(lengths.sum())))
    encoder = _encoder(**options).eval()
    x = torch.randn(int(lengths.sum()), 8, requires_grad=True)
    out = encoder(x, grouped)
    (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
    grad, x.grad = x.grad.clone(), None
    reference = encoder(x, _single_grid(Packing(mask)))
    (reference * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
    assert torch.allclose(out, reference, atol=1e-5)
    assert torch.allclose(grad, x.grad, atol=1e-5)


def test_small_or_uniform_batches_use_one_grid() -> None:
    assert len(Packing(torch.ones(3, 4, dtype=torch.bool)).attention_groups()) == 1
    uniform = torch.ones(32, 6, dtype=torch.bool)
    assert Packing(uniform).attention_groups()[0].rows is None


def test_connection_mask_follows_a_loaded_state_dict() -> None:
    torch.manual_seed(0)
    layer, other = RandomlyConnectedDense(6, 4, 0.3), RandomlyConnectedDense(6, 4, 0.3)
    assert not torch.equal(layer.mask, other.mask)
    layer.load_state_dict(other.state_dict())
    with torch.no_grad():
        layer.weight.fill_(1.0)
    layer.apply_mask_()
    assert torch.equal(layer.weight != 0, other.mask)


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.2, 0.5, 0.9])
def test_keep_mask_keeps_the_right_fraction_reproducibly(rate: float) -> None:
    from workbench.nlu.diet.layers import keep_mask

    torch.manual_seed(7)
    mask = keep_mask((300, 701), rate, torch.device("cpu"))
    assert mask.shape == (300, 701) and mask.dtype == torch.bool
    assert abs(mask.float().mean().item() - (1 - rate)) < 0.005
    torch.manual_seed(7)
    assert torch.equal(mask, keep_mask((300, 701), rate, torch.device("cpu")))
    assert not torch.equal(keep_mask((300, 701), 0.5, torch.device("cpu")),
                           keep_mask((300, 701), 0.5, torch.device("cpu")))


def test_sparse_inference_matches_dense_and_follows_weight_updates() -> None:
    torch.manual_seed(0)
    layer = RandomlyConnectedDense(32, 16, 0.2, parts=3).eval()
    x = torch.randn(5, 32)
    dense = torch.nn.functional.linear(x, layer.weight, layer.bias)
    with torch.no_grad():
        assert torch.allclose(layer(x), dense, atol=1e-5)
        layer.weight.mul_(2.0)  # e.g. an optimiser step after finetuning
        layer.bias.add_(1.0)
        assert torch.allclose(layer(x), torch.nn.functional.linear(
            x, layer.weight, layer.bias), atol=1e-5)
    grad_mode = layer(x.requires_grad_())  # with autograd: the dense path
    assert grad_mode.requires_grad


def test_masks_that_are_not_prefixes_are_attended_on_one_grid() -> None:
    mask = torch.ones(128, 12, dtype=torch.bool)
    mask[:64, 1] = False  # a hole before real positions
    mask[64:, 2:] = False  # short examples: a split would pay off
    groups = Packing(mask).attention_groups()
    assert len(groups) == 1 and groups[0].rows is None


@pytest.mark.parametrize("options", [{}, {"unidirectional": True},
                                     {"key_rel": True, "value_rel": True}])
def test_encoding_only_the_last_rows_matches_the_full_encoder(options) -> None:
    torch.manual_seed(5)
    lengths = torch.tensor([3, 1, 5, 2, 4, 4, 1, 2, 3])
    mask = torch.arange(5)[None, :] < lengths[:, None]
    rows = torch.cumsum(lengths, 0) - 1  # each example's last real position
    encoder = _encoder(**options)
    x = torch.randn(int(lengths.sum()), 8, requires_grad=True)
    weights = torch.linspace(-1, 1, len(lengths) * 16).view(len(lengths), 16)
    some = encoder(x, Packing(mask), rows)
    (some * weights).sum().backward()
    grads = [p.grad.clone() for p in encoder.parameters()] + [x.grad.clone()]
    encoder.zero_grad()
    x.grad = None
    full = encoder(x, Packing(mask)).index_select(0, rows)
    (full * weights).sum().backward()
    assert some.shape == (len(lengths), 16)
    assert torch.allclose(some, full, atol=1e-5)
    for got, expected in zip(grads, [*(p.grad for p in encoder.parameters()), x.grad],
                             strict=True):
        assert torch.allclose(got, expected, atol=1e-5)


def _intent_only_model(data, **overrides):
    torch.manual_seed(0)
    config = tiny_config(entity_recognition=False, number_of_transformer_layers=2,
                         **overrides)
    return build_model(config, spec_from_data(data, config))


def test_intent_only_model_encodes_only_sentence_slots_with_the_same_results(
        synthetic_data, monkeypatch) -> None:
    model = _intent_only_model(synthetic_data).eval()
    assert not model.tag_heads
    arrays = FeatureArrays.from_messages(synthetic_data.messages, has_sentence=True)
    batch = collate(arrays, np.arange(12))
    seen = []
    original = TransformerEncoder.forward

    def spy(self, x, packing, rows=None):
        seen.append(rows is not None)
        return original(self, x, packing, rows)

    monkeypatch.setattr(TransformerEncoder, "forward", spy)
    torch.manual_seed(1)
    fast_loss = model(batch).losses["i_loss"]
    fast = model.predict(batch)
    fast_embeddings = model.sentence_embeddings(batch)
    assert seen == [True, True, True]
    monkeypatch.setattr(type(model), "sentence_slots_only", lambda self: False)
    torch.manual_seed(1)
    full_loss = model(batch).losses["i_loss"]
    full = model.predict(batch)
    assert seen[3:] == [False, False]
    assert torch.allclose(fast_loss, full_loss, atol=1e-5)
    assert torch.allclose(fast.intent_confidences, full.intent_confidences, atol=1e-5)
    assert torch.allclose(fast.sentence_embeddings, full.sentence_embeddings, atol=1e-5)
    assert torch.allclose(fast_embeddings, full.sentence_embeddings, atol=1e-5)
    assert fast.tags == {}


def test_token_outputs_are_computed_when_entities_or_mlm_need_them(
        synthetic_data) -> None:
    with_entities = build_model(tiny_config(), spec_from_data(synthetic_data,
                                                              tiny_config()))
    assert with_entities.tag_heads and not with_entities.sentence_slots_only()
    mlm = _intent_only_model(synthetic_data, use_masked_language_model=True)
    assert not mlm.train().sentence_slots_only()  # the MLM loss reads every token
    assert mlm.eval().sentence_slots_only()
