"""CRF likelihood and Viterbi against brute-force enumeration."""

from __future__ import annotations

import itertools

import torch

from workbench.nlu.diet import crf as crf_module
from workbench.nlu.diet.crf import CRF


def _score(unaries: torch.Tensor, trans: torch.Tensor, tags: tuple[int, ...]) -> float:
    total = sum(unaries[t, tag].item() for t, tag in enumerate(tags))
    total += sum(trans[a, b].item() for a, b in zip(tags, tags[1:], strict=False))
    return total


def test_crf_log_likelihood_matches_brute_force() -> None:
    torch.manual_seed(0)
    crf = CRF(3)
    with torch.no_grad():
        crf.weight.mul_(3)  # make transitions matter
    unaries = torch.randn(2, 5, 3) * 2  # P = 5 (last positions padding for example 1)
    lengths = torch.tensor([4, 2])
    gold = torch.randint(0, 3, (2, 5))
    got = crf.log_likelihood(unaries, gold, lengths)
    for b in range(2):
        n = int(lengths[b])
        scores = torch.tensor([_score(unaries[b], crf.weight, seq)
                               for seq in itertools.product(range(3), repeat=n)])
        expected = _score(unaries[b], crf.weight, tuple(gold[b, :n].tolist()))
        expected -= torch.logsumexp(scores, 0).item()
        assert abs(got[b].item() - expected) < 1e-4


def test_crf_viterbi_matches_brute_force_and_pads_with_zero() -> None:
    torch.manual_seed(1)
    crf = CRF(4)
    with torch.no_grad():
        crf.weight.mul_(4)
    unaries = torch.randn(3, 4, 4)
    lengths = torch.tensor([4, 3, 1])
    tags, conf = crf.decode(unaries, lengths)
    for b in range(3):
        n = int(lengths[b])
        best = max(itertools.product(range(4), repeat=n),
                   key=lambda seq: _score(unaries[b], crf.weight, seq))
        assert tuple(tags[b, :n].tolist()) == best
        assert tags[b, n:].eq(0).all()
        assert conf[b, n:].eq(0).all()
        assert ((conf[b, :n] > 0) & (conf[b, :n] <= 1)).all()


def test_crf_confidence_of_last_token_is_max_softmax_of_viterbi_scores() -> None:
    crf = CRF(2)
    with torch.no_grad():
        crf.weight.zero_()
    unaries = torch.tensor([[[0.0, 1.0], [2.0, 0.0]]])
    tags, conf = crf.decode(unaries, torch.tensor([2]))
    assert tags[0].tolist() == [1, 0]
    v_last = torch.tensor([1.0 + 2.0, 1.0 + 0.0])  # best previous is tag 1 (score 1)
    assert abs(conf[0, 1].item() - torch.softmax(v_last, 0).max().item()) < 1e-6
    # token 0: softmax over previous tags of v_0(i) + A[i, y1] at y0 = 1
    assert (
        abs(conf[0, 0].item() - torch.softmax(torch.tensor([0.0, 1.0]), 0)[1].item())
        < 1e-6
    )


def test_crf_gradients_flow_to_transitions() -> None:
    crf = CRF(3)
    unaries = torch.randn(2, 3, 3, requires_grad=True)
    loss = -crf.log_likelihood(unaries, torch.zeros(2, 3, dtype=torch.long),
                               torch.tensor([3, 2])).mean()
    loss.backward()
    assert crf.weight.grad is not None and crf.weight.grad.abs().sum() > 0
    assert unaries.grad[1, 2].abs().sum() == 0  # padding position gets no gradient


def test_pruned_max_plus_is_exact() -> None:
    from workbench.nlu.diet.crf import _max_plus

    torch.manual_seed(3)
    for scale in (0.1, 1.0, 5.0):
        v = torch.randn(16, 40) * 4
        trans = torch.randn(40, 40) * scale  # A[prev, next]
        expected = (v[:, :, None] + trans).amax(dim=1)
        spread = float(trans.max() - trans.min())
        got = _max_plus(v, trans.t().contiguous(), spread)
        assert torch.allclose(got, expected)


def test_numpy_decode_matches_the_batched_torch_decode(monkeypatch) -> None:
    torch.manual_seed(5)
    crf = CRF(9)
    with torch.no_grad():
        crf.weight.mul_(3)
    unaries = torch.randn(12, 7, 9) * 2
    unaries[:3] = unaries[:3].round()  # ties between tags
    lengths = torch.tensor([7, 6, 1, 0, 3, 7, 2, 5, 4, 6, 1, 7])
    with monkeypatch.context() as patch:
        patch.setattr(crf_module, "_NUMPY_MAX_CELLS", 0)  # the torch path
        tags, conf = crf.decode(unaries, lengths)
    for size in (1, 4, 12):  # NumPy path, the batch whole and in pieces
        for start in range(0, 12, size):
            small_tags, small_conf = crf.decode(unaries[start:start + size],
                                                lengths[start:start + size])
            assert torch.equal(small_tags, tags[start:start + size])
            assert torch.allclose(small_conf, conf[start:start + size], atol=1e-6)


def test_decode_takes_the_torch_path_for_many_tags(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(crf_module, "_decode_numpy",
                        lambda *args: calls.append(args) or (None, None))
    CRF(157).decode(torch.randn(16, 5, 157), torch.full((16,), 5))
    assert calls == []  # 16 x 157 x 157 cells per step: the pruned torch steps
    CRF(21).decode(torch.randn(64, 5, 21), torch.full((64,), 5))
    assert len(calls) == 1
