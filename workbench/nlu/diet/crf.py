"""Linear-chain CRF as in Rasa's ``crf.py`` (TF-Addons), §4.11.

No start/end transitions: the score of tags ``y`` for unaries ``U`` is
``sum_t U[t, y_t] + sum_{t>=1} A[y_{t-1}, y_t]`` over the real tokens of a sequence.
Positions past a sequence's length are ignored (the CLS slot and padding).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from workbench.nlu.diet.layers import glorot_uniform_


class CRF(nn.Module):
    """Transition matrix plus log-likelihood and Viterbi decoding.

    Args:
        n_tags: Number of tags (id 0 is "O").
    """

    l2_regularized = True  # Rasa regularises the transition matrix

    def __init__(self, n_tags: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_tags, n_tags))  # A[prev, next]
        glorot_uniform_(self.weight, n_tags, n_tags)

    def log_likelihood(self, unaries: torch.Tensor, tags: torch.Tensor,
                       lengths: torch.Tensor) -> torch.Tensor:
        """Return ``score(y) - log Z`` per sequence.

        Args:
            unaries: (batch, P, n_tags) logits.
            tags: (batch, P) int64 gold tags (values past ``lengths`` ignored).
            lengths: (batch,) number of real tokens (0 allowed: likelihood 0).

        Returns:
            (batch,) log-likelihoods.
        """
        unaries = unaries.float()  # stays in float32 under autocast
        n_batch, n_pos, _ = unaries.shape
        steps = torch.arange(n_pos, device=unaries.device)
        mask = (steps[None, :] < lengths[:, None]).to(unaries.dtype)  # (B, P)
        unary = unaries.gather(2, tags[..., None]).squeeze(2)  # (B, P)
        score = (unary * mask).sum(1)  # (B,)
        if n_pos > 1:
            trans = self.weight[tags[:, :-1], tags[:, 1:]]  # (B, P-1)
            score = score + (trans * mask[:, 1:]).sum(1)
        return score - self.log_partition(unaries, mask)

    def log_partition(self, unaries: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Forward algorithm: (batch, P, n_tags), (batch, P) float mask -> (batch,).

        Each step updates only the sequences still running at that step (``mask`` is a
        prefix mask), and the time steps are taken apart once with ``unbind``: the
        backward of ``unaries[:, t]`` allocates and zero-fills a whole (batch, P,
        n_tags) gradient per step (SNIPS, 157 tags: ~half of the CRF's CPU time).
        """
        # logsumexp_i(alpha_i + A_ij) as a matmul in shifted exp-space:
        # m + max(A) + log(exp(alpha - m) @ exp(A - max(A))); avoids a (B, N, N) exp per
        # step. Terms more than ~80 nats below the row maximum underflow, which changes
        # the result by less than float32 precision.
        shift = self.weight.max().detach()
        exp_trans = torch.exp(self.weight - shift)  # (N, N)
        steps = unaries.unbind(1)  # P x (B, N)
        running = _running_rows(mask)
        alpha = steps[0]  # (B, N)
        for t in range(1, len(steps)):
            rows = running(t) if running is not None else None
            if rows is not None and rows.numel() == 0:
                break  # every sequence has ended
            part = alpha if rows is None else alpha.index_select(0, rows)  # (b, N)
            top = part.max(dim=1, keepdim=True).values.detach()  # (b, 1)
            summed = torch.exp(part - top) @ exp_trans  # (b, N)
            unary = steps[t] if rows is None else steps[t].index_select(0, rows)
            step = torch.log(summed.clamp_min(1e-30)) + top + shift + unary
            if rows is not None:
                alpha = alpha.index_copy(0, rows, step)
            elif running is not None:  # every sequence still runs
                alpha = step
            else:  # off the CPU: blend by the mask, no host sync per step
                keep = mask[:, t:t + 1]  # (B, 1)
                alpha = keep * step + (1 - keep) * alpha
        log_z = torch.logsumexp(alpha, dim=1)  # (B,)
        return log_z * (mask[:, 0] > 0)  # empty sequences have likelihood 0

    @torch.no_grad()
    def decode(self, unaries: torch.Tensor,
               lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Viterbi decoding with per-token confidences.

        Confidences follow Rasa's construction (softmax over the previous tag of
        ``v_t(i) + A[i, y*_{t+1}]``) but back-track with the *tag* index; Rasa's code
        back-tracks with ``int(confidence)`` instead (an accident that reads tag 0 for
        every token before the last two). So the confidence of token ``t < T-1`` is
        ``softmax_i(v_t(i) + A[i, y*_{t+1}])[y*_t]`` and of the last token
        ``max softmax(v_{T-1})``.

        Args:
            unaries: (batch, P, n_tags).
            lengths: (batch,) real tokens per sequence.

        Returns:
            tags: (batch, P) int64, 0 past the length.
            confidences: (batch, P) float, 0 past the length.
        """
        unaries = unaries.float()
        n_batch, n_pos, n_tags = unaries.shape
        if (unaries.device.type == "cpu"
                and 0 < n_batch * n_tags * n_tags <= _NUMPY_MAX_CELLS):
            return _decode_numpy(unaries, lengths, self.weight)
        device = unaries.device
        t_max = max(1, int(lengths.max())) if n_batch else 1
        # Forward pass keeps only the Viterbi scores; reducing over the last
        # (contiguous) axis without indices is ~4x faster than max(dim=1) with
        # back-pointers, and the back-pointer of the chosen tag is recomputed below.
        trans_t = self.weight.t().contiguous()  # (next, prev)
        spread = float(self.weight.max() - self.weight.min())
        v = unaries[:, 0]  # (B, N) Viterbi scores at t
        scores = [v]
        steps = torch.arange(n_pos, device=device)
        running = _running_rows((steps[None, :] < lengths[:, None]).float())
        for t in range(1, t_max):
            # Only sequences still running need the (b, N, N) step.
            rows = running(t) if running is not None else None
            if rows is not None:
                best = _max_plus(v.index_select(0, rows), trans_t, spread)  # (b, N)
                v = v.index_copy(0, rows, best + unaries[rows, t])
            elif running is not None:
                v = _max_plus(v, trans_t, spread) + unaries[:, t]
            else:
                best = _max_plus(v, trans_t, spread)  # (B, N)
                v = torch.where((t < lengths)[:, None], best + unaries[:, t], v)
            scores.append(v)
        # v is now the score at each sequence's last real token.
        last_tag = v.argmax(dim=1)  # (B,)
        last_conf = torch.softmax(v, dim=1).max(dim=1).values  # (B,)
        tags = torch.zeros(n_batch, n_pos, dtype=torch.long, device=device)
        conf = torch.zeros(n_batch, n_pos, dtype=unaries.dtype, device=device)
        rows = torch.arange(n_batch, device=device)
        last = (lengths - 1).clamp(min=0)
        tags[rows, last] = last_tag
        conf[rows, last] = last_conf
        current = last_tag
        for t in range(t_max - 2, -1, -1):
            inside = (t + 1) < lengths  # (B,) t+1 is real -> t is an inner token
            step = scores[t] + self.weight[:, current].t()  # (B, prev) v_t(i) + A[i, y]
            prev_conf, prev = torch.softmax(step, dim=1).max(dim=1)  # (B,), (B,)
            current = torch.where(inside, prev, current)
            tags[:, t] = torch.where(inside, prev, tags[:, t])
            conf[:, t] = torch.where(inside, prev_conf, conf[:, t])
        valid = torch.arange(n_pos, device=device)[None, :] < lengths[:, None]
        return tags * valid, conf * valid


# Up to this many (sequence, tag, tag) cells per time step the CPU decodes with NumPy
# (a few whole-batch ops per step instead of ~60 small torch ops; a parse of one
# message: 0.8 -> 0.1 ms). Measured with one thread: 8 x 21 tags 0.17 vs 0.84 ms,
# 64 x 21 tags 2.0 vs 2.9 ms, 8 x 157 tags 1.3 vs 1.4 ms, 16 x 157 tags 8.3 vs 3.7 ms
# (the torch path prunes its max-plus steps, which pays with many tags).
_NUMPY_MAX_CELLS = 100_000


def _decode_numpy(unaries: torch.Tensor, lengths: torch.Tensor,
                  weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """:meth:`CRF.decode` for small CPU batches (same results, see its docstring).

    The whole batch steps together, keeping back-pointers, so a batch of 8 costs
    about what one message did; the confidences are computed for all positions at
    once after the back-track (``softmax(x)[argmax x] = 1 / sum(exp(x - max x))``).
    """
    u = unaries.detach().numpy()  # (B, P, N)
    trans = weight.detach().numpy()  # (prev, next)
    n_batch, n_pos, _ = u.shape
    length = lengths.numpy().astype(np.int64)
    t_max = int(length.max()) if n_batch else 0
    tags = np.zeros((n_batch, n_pos), dtype=np.int64)
    conf = np.zeros((n_batch, n_pos), dtype=np.float32)
    if t_max <= 0:
        return torch.from_numpy(tags), torch.from_numpy(conf)
    n_tags = u.shape[2]
    trans_t = np.ascontiguousarray(trans.T)  # (next, prev): reduce the contiguous axis
    flat = np.arange(n_batch * n_tags) * n_tags  # where each (b, next) row starts
    v = u[:, 0]
    scores = [v]  # Viterbi scores at each t (past a sequence's end: not used)
    pointers = [None]  # pointers[t][b, j]: best previous tag of tag j at t
    for t in range(1, t_max):
        step = v[:, None, :] + trans_t  # (B, next, prev)
        best = step.argmax(axis=2)  # (B, next)
        pointers.append(best)
        v = step.reshape(-1)[flat + best.reshape(-1)].reshape(n_batch, n_tags)
        v = v + u[:, t]
        scores.append(v)
    rows = np.arange(n_batch)
    last = np.maximum(length - 1, 0)
    stacked = np.stack(scores, axis=1)  # (B, T, N)
    final = stacked[rows, last]  # (B, N) at each last real token
    current = final.argmax(axis=1)  # (B,) the tag at each sequence's last token
    tags[:, t_max - 1] = current
    for t in range(t_max - 2, -1, -1):  # t + 1 < length: t is an inner token
        current = np.where(t + 1 < length, pointers[t + 1][rows, current], current)
        tags[:, t] = current  # at t >= length - 1 this is still the last tag
    conf[rows, last] = 1.0 / np.exp(final - final.max(axis=1, keepdims=True)).sum(1)
    if t_max > 1:  # inner tokens: softmax_i(v_t(i) + A[i, y_{t+1}]) at i = y_t
        inner = stacked[:, :-1] + trans_t[tags[:, 1:t_max]]  # (B, T-1, N)
        chosen = np.take_along_axis(inner, tags[:, :t_max - 1, None], axis=2)
        inner_conf = 1.0 / np.exp(inner - chosen).sum(axis=2)  # (B, T-1)
        inside = np.arange(1, t_max)[None, :] < length[:, None]
        conf[:, :t_max - 1] = np.where(inside, inner_conf, conf[:, :t_max - 1])
    valid = np.arange(n_pos)[None, :] < length[:, None]
    return torch.from_numpy(tags * valid), torch.from_numpy(conf * valid)


def _running_rows(mask: torch.Tensor) -> Callable[[int], torch.Tensor | None] | None:
    """For a (B, P) prefix mask, ``t -> rows still running at t`` (None: all of them).

    Only on the CPU (None elsewhere: finding the rows costs a host sync per step).
    """
    if mask.device.type != "cpu":
        return None
    lengths = mask.sum(1)  # (B,)
    n_batch = mask.shape[0]
    shortest = int(lengths.min()) if n_batch else 0

    def rows(t: int) -> torch.Tensor | None:
        if t < shortest:
            return None
        return (lengths > t).nonzero().squeeze(1)  # (b,)

    return rows


def _max_plus(v: torch.Tensor, trans_t: torch.Tensor, spread: float) -> torch.Tensor:
    """``max_i v[b, i] + A[i, j]`` for all b, j: (B, N), (N next, N prev) -> (B, N).

    Exact pruning: a previous tag ``i`` can only win if ``v_i + max(A) >= max(v) +
    min(A)``, so only the top-k previous tags of each row are needed, where k counts
    the tags within ``spread = max(A) - min(A)`` of the row's best. Once a model is
    trained this is usually a handful of tags, which matters with many tags (SNIPS:
    157 tags, 256 x 157 x 157 per step otherwise).
    """
    n_tags = v.shape[1]
    top = v.max(dim=1, keepdim=True).values  # (B, 1)
    k = int((v >= top - spread).sum(dim=1).max())
    if 4 * k >= n_tags:
        return (v[:, None, :] + trans_t).amax(dim=2)  # (B, N, N) -> (B, N)
    v_top, idx = v.topk(k, dim=1)  # (B, k)
    trans_k = trans_t[:, idx].permute(1, 0, 2)  # (B, N, k)
    return (v_top[:, None, :] + trans_k).amax(dim=2)
