"""Dot-product loss terms (§4.9) against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from workbench.nlu.diet.losses import (
    Similarities,
    accuracy,
    cross_entropy_loss,
    margin_loss,
    scale_factor,
    similarities,
)


def _example() -> tuple[torch.Tensor, ...]:
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # inputs (B=2, E=2)
    all_y = torch.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, -1.0]])  # L=3 labels
    labels = torch.tensor([0, 2])
    neg_labels = torch.tensor([[1, 0], [2, 0]])  # K=2; (1,1) and (0,0)... see below
    neg_inputs = torch.tensor([[1, 0], [0, 1]])
    return x, all_y, labels, neg_labels, neg_inputs


def test_similarity_terms_and_bad_negative_masking() -> None:
    x, all_y, labels, neg_labels, neg_inputs = _example()
    y = all_y[labels]  # [[1,1],[0,-1]]
    s = similarities(x, y, all_y, labels, neg_labels, neg_inputs, "inner")
    assert s.pos[:, 0].tolist() == [1.0, -2.0]
    # example 0: negatives labels 1 (ok) and 0 (== gold -> masked)
    assert s.il[0, 0].item() == 2.0
    assert s.il[0, 1].item() < -1e8
    # example 1: label 2 is its gold -> masked; label 0 -> x1.y0 = 2
    assert s.il[1, 0].item() < -1e8
    assert s.il[1, 1].item() == 2.0
    assert s.ll[1, 1].item() == -1.0  # y1 . y0 = [0,-1].[1,1]
    # negative inputs: example 0 draws input 1 (label 2 != 0, ok) and itself (bad)
    assert s.ii[0, 0].item() == 0.0
    assert s.ii[0, 1].item() < -1e8
    assert s.li[0, 0].item() == 2.0  # y0 . x1 = [1,1].[0,2]
    assert s.li[1, 1].item() < -1e8  # example 1 vs itself


def _terms() -> Similarities:
    return Similarities(pos=torch.tensor([[2.0]]), il=torch.tensor([[1.0, -1e9]]),
                        ll=torch.tensor([[0.5, 0.0]]), ii=torch.tensor([[-1.0, 0.0]]),
                        li=torch.tensor([[0.0, 1.0]]))


def test_cross_entropy_unconstrained_uses_all_five_terms() -> None:
    s = _terms()
    z = [2.0, 1.0, -1e9, 0.0, 1.0, -1.0, 0.0, 0.5, 0.0]
    expected = math.log(sum(math.exp(v) for v in z)) - 2.0
    assert cross_entropy_loss(s, constrain=False).item() == pytest.approx(
        expected, rel=1e-5
    )


def test_cross_entropy_constrained_softmax_and_sigmoid_terms() -> None:
    s = _terms()
    z = [2.0, 1.0, -1e9, 0.0, 1.0]  # pos, il, li
    softmax_part = math.log(sum(math.exp(v) for v in z)) - 2.0

    def bce(v: float, t: float) -> float:
        p = 1 / (1 + math.exp(-v)) if v > -50 else 0.0
        return -(t * math.log(max(p, 1e-45)) + (1 - t) * math.log(1 - p))

    every = [2.0, 1.0, -1e9, 0.5, 0.0, -1.0, 0.0, 0.0, 1.0]
    sigmoid_part = (bce(every[0], 1.0) + sum(bce(v, 0.0) for v in every[1:])) / 9
    got = cross_entropy_loss(s, constrain=True).item()
    assert got == pytest.approx(softmax_part + sigmoid_part, rel=1e-5)


def test_margin_loss_hand_computed() -> None:
    s = _terms()
    mu_pos, mu_neg, alpha = 0.8, -0.4, 0.8
    expected = (max(0, mu_pos - 2.0) + max(0, mu_neg + 1.0)
                + alpha * (max(0, mu_neg + 0.5) + max(0, mu_neg + 0.0)
                           + max(0, mu_neg + 1.0)))
    assert margin_loss(s, mu_pos, mu_neg, True, alpha).item() == pytest.approx(expected)
    summed = expected - max(0, mu_neg + 1.0) + max(0, mu_neg + 1.0) + 0.0
    assert margin_loss(s, mu_pos, mu_neg, False, alpha).item() == pytest.approx(summed)


def test_scale_factor_only_when_an_example_is_easy() -> None:
    hard = torch.tensor([2.0, 3.0])  # p = exp(-loss) < 0.5 everywhere
    assert scale_factor(hard).tolist() == [1.0, 1.0]
    easy = torch.tensor([0.1, 2.0])
    p = torch.exp(-easy)
    assert torch.allclose(scale_factor(easy), ((1 - p) / 0.5) ** 4)


def test_accuracy_counts_positive_beating_negative_labels() -> None:
    s = _terms()
    assert accuracy(s).item() == 1.0
    s2 = Similarities(pos=torch.tensor([[0.0]]), il=torch.tensor([[1.0, 0.0]]),
                      ll=s.ll, ii=s.ii, li=s.li)
    assert accuracy(s2).item() == 0.0


def _head(confidence: str, kind: str = "inner"):
    from workbench.nlu.diet.heads import IntentHead, LabelEncoder
    from workbench.nlu.diet.layers import Ffnn
    from workbench.nlu.diet.losses import DotProductLoss

    labels = LabelEncoder(torch.eye(3), 2, Ffnn(2, (), 1.0, 0.0), 2)
    head = IntentHead(2, 2, labels, DotProductLoss(2, kind, "cross_entropy",
                                                   constrain=False, scale=False),
                      kind, confidence)
    with torch.no_grad():  # label embeddings [1,0], [0,1], [-1,-1]; text = identity
        labels.project.bag.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0],
                                                      [-1.0, -1.0]]))
        labels.project.bias.zero_()
        labels.embed.weight.copy_(torch.eye(2))
        labels.embed.bias.zero_()
        head.embed_text.weight.copy_(torch.eye(2))
        head.embed_text.bias.zero_()
    return head.eval()


@pytest.mark.parametrize(("confidence", "expected"), [
    ("softmax", torch.softmax(torch.tensor([2.0, 1.0, -3.0]), 0).tolist()),
    ("linear_norm", [2 / 3, 1 / 3, 0.0]),
    ("auto", [2.0, 1.0, -3.0]),
])
def test_intent_confidences_over_all_labels(confidence: str, expected: list) -> None:
    head = _head(confidence)
    sims, conf, emb = head.predict(torch.tensor([[2.0, 1.0]]))
    assert sims[0].tolist() == [2.0, 1.0, -3.0]
    assert conf[0].tolist() == pytest.approx(expected, rel=1e-5)
    assert emb[0].tolist() == [2.0, 1.0]
