"""The cheaper training paths give the results of the plain ones.

Row-sparse gradients of the sparse input layer (against ``nn.EmbeddingBag``'s own
autograd and the whole-kernel L2 rule), and the CRF updating only running sequences
(against brute-force enumeration, with ragged lengths on the batched torch path).
"""

from __future__ import annotations

import itertools

import torch
from torch.nn import functional as F

from workbench.nlu.diet.crf import CRF
from workbench.nlu.diet.regularization import add_regularization_gradients_
from workbench.nlu.diet.sparse_input import DenseForSparse


def _bags(n_in: int, n_bags: int, seed: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    counts = torch.randint(0, 5, (n_bags,), generator=g)  # empty bags included
    cols = torch.randint(0, n_in, (int(counts.sum()),), generator=g)
    vals = torch.rand(len(cols), generator=g)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)[:-1]])
    return cols, vals, offsets


def _reference_grad(layer: DenseForSparse, batches: list, upstream: list
                    ) -> torch.Tensor:
    weight = layer.weight.detach().clone().requires_grad_()
    for (cols, vals, offsets), up in zip(batches, upstream, strict=True):
        out = F.embedding_bag(cols, weight, offsets, mode="sum",
                              per_sample_weights=vals)
        (out * up).sum().backward()
    return weight.grad


def test_row_sparse_gradient_equals_the_dense_embedding_bag_gradient() -> None:
    torch.manual_seed(0)
    layer = DenseForSparse(30, 4)
    for step in range(3):  # later steps must not see rows of earlier ones
        batches = [_bags(30, 6, 10 * step + i) for i in range(2)]  # two backward calls
        upstream = [torch.randn(6, 4) for _ in batches]
        layer.weight.grad = None  # zero_grad(set_to_none=True), as the trainer does
        for (cols, vals, offsets), up in zip(batches, upstream, strict=True):
            (layer(cols, vals, offsets) * up).sum().backward()
        expected = _reference_grad(layer, batches, upstream)
        assert torch.allclose(layer.weight.grad, expected, atol=1e-6)
        touched = torch.unique(torch.cat([b[0] for b in batches]))
        untouched = torch.ones(30, dtype=torch.bool)
        untouched[touched] = False
        assert layer.weight.grad[untouched].eq(0).all()


def test_row_sparse_l2_rule_equals_the_whole_kernel_rule() -> None:
    torch.manual_seed(1)
    layer = DenseForSparse(40, 3)
    cols, vals, offsets = _bags(40, 8, 3)
    (layer(cols, vals, offsets) * torch.randn(8, 3)).sum().backward()
    reference = layer.weight.grad.clone()
    holder = torch.nn.Parameter(layer.weight.detach().clone())
    holder.grad = reference
    add_regularization_gradients_([(holder, None)], 0.01)
    layer.add_l2_gradient_(0.01)
    assert torch.equal(layer.weight.grad, holder.grad)


def test_sparse_input_layer_without_gradients_uses_the_plain_bag() -> None:
    layer = DenseForSparse(10, 2)
    cols, vals, offsets = _bags(10, 3, 5)
    with torch.no_grad():
        out = layer(cols, vals, offsets)
    assert out.shape == (3, 2) and layer.weight.grad is None


def _score(unaries: torch.Tensor, trans: torch.Tensor, tags: tuple[int, ...]) -> float:
    total = sum(unaries[t, tag].item() for t, tag in enumerate(tags))
    total += sum(trans[a, b].item() for a, b in zip(tags, tags[1:], strict=False))
    return total


def test_crf_with_ragged_lengths_matches_brute_force_on_the_batched_path() -> None:
    torch.manual_seed(2)
    crf = CRF(3)
    with torch.no_grad():
        crf.weight.mul_(3)
    lengths = torch.tensor([5, 0, 1, 3, 5, 2, 4, 1, 3, 2, 5, 1])  # > 8: torch decode
    n_batch = len(lengths)
    unaries = torch.randn(n_batch, 6, 3) * 2  # one padded position past the longest
    gold = torch.randint(0, 3, (n_batch, 6))
    likelihood = crf.log_likelihood(unaries, gold, lengths)
    tags, _ = crf.decode(unaries, lengths)
    for b in range(n_batch):
        n = int(lengths[b])
        if n == 0:
            assert likelihood[b].item() == 0.0 and tags[b].eq(0).all()
            continue
        paths = list(itertools.product(range(3), repeat=n))
        scores = torch.tensor([_score(unaries[b], crf.weight, p) for p in paths])
        expected = _score(unaries[b], crf.weight, tuple(gold[b, :n].tolist()))
        expected -= scores.logsumexp(0).item()
        assert abs(likelihood[b].item() - expected) < 1e-4
        assert tuple(tags[b, :n].tolist()) == paths[int(scores.argmax())]
        assert tags[b, n:].eq(0).all()


def test_crf_gradients_with_ragged_lengths_equal_per_sequence_gradients() -> None:
    torch.manual_seed(3)
    crf = CRF(4)
    lengths = torch.tensor([4, 1, 3, 2])
    unaries = torch.randn(4, 5, 4, requires_grad=True)
    gold = torch.randint(0, 4, (4, 5))
    crf.log_likelihood(unaries, gold, lengths).sum().backward()
    for b in range(4):
        n = int(lengths[b])
        alone = unaries[b:b + 1, :n].detach().clone().requires_grad_()
        crf.log_likelihood(alone, gold[b:b + 1, :n], lengths[b:b + 1]).sum().backward()
        assert torch.allclose(unaries.grad[b, :n], alone.grad[0], atol=1e-5)
        assert unaries.grad[b, n:].eq(0).all()


def test_crf_masked_path_used_off_the_cpu_gives_the_same_results(monkeypatch) -> None:
    from workbench.nlu.diet import crf as crf_module

    torch.manual_seed(4)
    crf = CRF(5)
    lengths = torch.tensor([4, 0, 2, 5, 1, 3, 5, 2, 4, 1])
    unaries = torch.randn(10, 6, 5)
    gold = torch.randint(0, 5, (10, 6))
    running = crf.log_likelihood(unaries, gold, lengths), crf.decode(unaries, lengths)
    monkeypatch.setattr(crf_module, "_running_rows", lambda mask: None)
    masked = crf.log_likelihood(unaries, gold, lengths), crf.decode(unaries, lengths)
    assert torch.allclose(running[0], masked[0], atol=1e-5)
    assert torch.equal(running[1][0], masked[1][0])
    assert torch.allclose(running[1][1], masked[1][1])
