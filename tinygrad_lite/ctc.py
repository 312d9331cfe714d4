"""Connectionist temporal classification: `ctc_loss` and `CTCLoss`, as PyTorch's `F` and `nn`.

The loss is the forward (α) recursion of Graves et al. (2006) in log space, composed of
differentiable ops, vectorised over the batch and the label positions (a Python loop runs over
time only), so its gradients of every order come from autograd. Values, gradients, shapes and
dtypes are PyTorch's; see `ctc_loss` for the one form of its gradient that PyTorch chose.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .fn_tensors import cat
from .l1_loss_layers import Loss
from .loss_checks import check_flag, float_input
from .ops.losses import check_reduction
from .tensor import Tensor

__all__ = ["CTCLoss", "ctc_loss"]


def _as_array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _lengths(op: str, name: str, lengths: Any, n: int) -> np.ndarray:
    """One length per sequence as int64 (a number, a sequence, an array or a Tensor)."""
    a = _as_array(lengths)
    if a.size == 0 and a.dtype.kind == "f":  # an empty list: no dtype to refuse
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers, got dtype {a.dtype}")
    a = a.reshape(-1).astype(np.int64)
    if a.size != n:
        raise ValueError(f"{op}: {name} must have one entry per sequence ({n}), got {a.size}")
    if a.size and a.min() < 0:
        raise ValueError(f"{op}: {name} must be >= 0, got {int(a.min())}")
    return a


def _labels(op: str, targets: Any, lengths: np.ndarray, n_classes: int, blank: int) -> np.ndarray:
    """The targets as an (N, S) int64 array, each row's padding (from its length on) blank."""
    t = _as_array(targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: targets must hold integer class indices, got dtype {t.dtype}")
    n, longest = lengths.size, int(lengths.max())
    if t.ndim == 2:
        if t.shape[0] != n or t.shape[1] < longest:
            raise ValueError(
                f"{op}: padded targets must be (N, S) with N = {n} and S >= the longest target "
                f"length {longest}, got shape {t.shape}"
            )
        rows = t[:, :longest].astype(np.int64)
    elif t.ndim == 1:
        total = int(lengths.sum())
        if t.shape[0] != total:
            raise ValueError(
                f"{op}: concatenated targets must have sum(target_lengths) = {total} entries, "
                f"got shape {t.shape}"
            )
        rows = np.zeros((n, longest), np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        for i, (start, size) in enumerate(zip(starts, lengths, strict=True)):
            rows[i, :size] = t[start : start + size]
    else:
        raise ValueError(
            f"{op}: targets must be padded (N, S) or concatenated 1-D, got shape {t.shape}"
        )
    listed = np.arange(longest) < lengths[:, None]
    bad = listed & ((rows < 0) | (rows >= n_classes) | (rows == blank))
    if bad.any():
        raise ValueError(
            f"{op}: target labels must be class indices in [0, {n_classes}) other than the "
            f"blank {blank}, got {int(rows[bad][0])}"
        )
    return np.where(listed, rows, blank)


def _log_sum_exp(x: Tensor) -> Tensor:
    """Ln Σ e^x over the last dim, -∞ where every term is -∞, with finite derivatives there.

    Where all terms are -∞ the log-sum-exp is taken of zeros instead (and replaced by -∞), so
    that its backward never forms e^(-∞ - (-∞)): an unreachable state passes a 0 gradient, not
    NaN, and a partly unreachable one a 0 gradient to its -∞ terms.
    """
    dead = np.asarray(np.isneginf(x.data).all(-1))
    if not dead.any():
        return x.logsumexp(-1)
    return x.where(~dead[..., None], 0.0).logsumexp(-1).where(~dead, -np.inf)


def _nan_slope(x: Tensor, bad: np.ndarray) -> Tensor:
    """0 everywhere, with a NaN derivative (of every order) in x where `bad` holds.

    Where `bad`, the outer `where` takes 0 and sends a 0 gradient into NaN·e^x, which turns it
    into NaN (0·NaN); elsewhere that branch is 0·e^0 and the inner `where` passes no gradient.
    """
    nan = Tensor(np.where(bad, np.nan, 0.0), dtype=x.dtype)
    return (nan * x.where(bad, 0.0).exp()).where(~bad, 0.0)


def _log_likelihoods(
    lp: Tensor, labels: np.ndarray, steps: np.ndarray, sizes: np.ndarray, blank: int
) -> Tensor:
    """Ln p(target | log-probs) per sequence by the α recursion, (N,); -∞ if infeasible.

    The extended label sequence l' puts a blank before, between and after the L labels
    (2L + 1 states). α₀(0) = lp₀(blank), α₀(1) = lp₀(l₁), then
    α_t(s) = ln(e^α_{t-1}(s) + e^α_{t-1}(s-1) + e^α_{t-1}(s-2)) + lp_t(l'_s), the last term
    only where s >= 2 and l'_s ≠ l'_{s-2}, and ln p = ln(e^α_{T-1}(2L) + e^α_{T-1}(2L-1)).
    States past a row's 2L never flow back into lower states, and a row's α stays fixed once t
    reaches its input length T, so each row ends on its own α_{T-1}.
    """
    t_max, n, _ = lp.shape
    states = 2 * labels.shape[1] + 1
    ext = np.full((n, states), blank, np.int64)
    ext[:, 1::2] = labels
    picked = lp.gather(2, np.ascontiguousarray(np.broadcast_to(ext, (t_max, n, states))))
    s = np.arange(states)
    sentinel = states  # the index of the -∞ column appended to α
    skip = (s >= 2) & (ext != np.roll(ext, 2, axis=1))
    pred = np.stack(
        [
            np.broadcast_to(s, (n, states)),
            np.broadcast_to(np.where(s >= 1, s - 1, sentinel), (n, states)),
            np.where(skip, s - 2, sentinel),
        ],
        axis=-1,
    ).reshape(n, 3 * states)
    minus_inf = Tensor(np.full((n, 1), -np.inf), dtype=lp.dtype)
    alpha = picked[0].where(s < 2, -np.inf)
    for t in range(1, int(steps.max())):
        prev = cat([alpha, minus_inf], 1).gather(1, pred).reshape(n, states, 3)
        alpha = (_log_sum_exp(prev) + picked[t]).where((t < steps)[:, None], alpha)
    ends = np.stack([2 * sizes, np.where(sizes > 0, 2 * sizes - 1, sentinel)], axis=1)
    return _log_sum_exp(cat([alpha, minus_inf], 1).gather(1, ends))


def ctc_loss(
    log_probs: Any,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """The CTC loss -ln p(target | log_probs), summed over every alignment, as PyTorch's.

    p = Σ_π Π_{t < T} e^(lp_t(π_t)) over the alignments π of length T (the input length) that
    collapse to the target (merge repeats, then drop blanks), computed by the α recursion in
    log space. An infeasible target (T too short for it and its repeats, or only alignments
    through log-probabilities of -∞) gives ∞, or 0 with `zero_infinity`. "mean" divides each
    loss by its target length clamped to >= 1, then averages over the batch; "sum" adds them.

    The gradient in log_probs is PyTorch's, e^(lp_t(c)) - γ_t(c) at t < T and 0 beyond, with
    γ_t(c) the posterior probability of class c at time t: the gradient of the loss plus
    Σ_{t < T, c} e^(lp_t(c)) (a sum that is T, a constant, for normalised log-probabilities),
    so after a `log_softmax` (the usual input) it is exactly the gradient of the loss. As
    PyTorch's, it is NaN where lp = -∞ (t < T) and at every t < T of an infeasible sequence,
    and 0 for a sequence that `zero_infinity` zeroes. Higher orders are the derivatives of
    that gradient (PyTorch has none).

    Example:
        >>> from tinygrad_lite.ctc import ctc_loss
        >>> lp = Tensor(np.log(np.full((2, 1, 3), 1 / 3)))  # T = 2, N = 1, C = 3
        >>> round(ctc_loss(lp, [[1]], [2], [1], reduction="sum").item(), 6)  # -ln(3/9)
        1.098612

    Args:
        log_probs: (T, N, C) log-probabilities (or unbatched (T, C)), floating-point.
        targets: (N, S) labels padded past each target length, or all targets concatenated
            (1-D, sum(target_lengths) entries); integers in [0, C), not the blank (the
            padding is not read).
        input_lengths: N lengths T_n <= T (a sequence, an array or a Tensor of integers).
        target_lengths: N target lengths L_n >= 0.
        blank: the blank class, in [0, C).
        reduction: "mean", "sum" or "none" ((N,) losses; 0-d when unbatched).
        zero_infinity: replace infinite losses (and their gradients) by 0.

    Raises:
        ValueError: a bad reduction, log_probs not (T, N, C) or (T, C) or empty, a blank or a
            label outside [0, C), a label equal to the blank, lengths of the wrong count,
            negative or longer than T, targets of the wrong shape.
        TypeError: integer log_probs, non-integer targets or lengths, a non-bool zero_infinity.
    """
    op = "ctc_loss"
    check_reduction(op, reduction)
    zero_infinity = check_flag(op, "zero_infinity", zero_infinity)
    lp = float_input(op, log_probs, "log_probs")
    if lp.ndim not in (2, 3) or lp.size == 0:
        raise ValueError(
            f"{op}: log_probs must be a non-empty (T, N, C) or unbatched (T, C), got shape "
            f"{lp.shape}"
        )
    batched = lp.ndim == 3
    if not batched:
        lp = lp.unsqueeze(1)
    t_max, n, c = lp.shape
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)):
        raise TypeError(f"{op}: blank must be an int, got {type(blank).__name__}")
    if not 0 <= blank < c:
        raise ValueError(f"{op}: blank must be a class index in [0, {c}), got {blank}")
    steps = _lengths(op, "input_lengths", input_lengths, n)
    sizes = _lengths(op, "target_lengths", target_lengths, n)
    if steps.max() > t_max:
        raise ValueError(
            f"{op}: input_lengths must be <= the input's length T = {t_max}, got {steps.max()}"
        )
    labels = _labels(op, targets, sizes, c, int(blank))
    nll = -_log_likelihoods(lp, labels, steps, sizes, int(blank))
    # an empty input: ln p is 0 for an empty target (PyTorch's -0.0), -∞ otherwise
    nll = nll.where(steps > 0, Tensor(np.where(sizes == 0, -0.0, np.inf), dtype=lp.dtype))
    infinite = np.isposinf(nll.data)
    if lp.requires_grad:
        frames = (np.arange(t_max)[:, None] < steps)[..., None]  # (T, N, 1): t < T_n
        e = lp.exp()
        # value +0 and slope -e, subtracted: x - (+0) keeps every x, PyTorch's -0.0 included
        held = (e.detach() - e).where(frames & np.isfinite(e.data), 0.0)
        nan_at = frames & np.isneginf(lp.data)
        if zero_infinity:
            nan_at &= ~infinite[:, None]
        else:
            nan_at |= frames & infinite[:, None]
        if nan_at.any():
            held = held + _nan_slope(lp, nan_at)
        nll = nll - held.sum((0, 2))
    if zero_infinity:
        nll = nll.where(~infinite, 0.0)
    if reduction == "mean":
        return (nll / Tensor(np.maximum(sizes, 1), dtype=nll.dtype)).mean()
    if reduction == "sum":
        return nll.sum()
    return nll if batched else nll.squeeze(0)


class CTCLoss(Loss):
    """The connectionist temporal classification loss; see `ctc_loss`.

    Example:
        >>> lp = Tensor(np.log(np.full((2, 1, 3), 1 / 3)))
        >>> round(CTCLoss(reduction="sum")(lp, [[1]], [2], [1]).item(), 6)
        1.098612

    Args:
        blank: the blank class.
        reduction: "mean" (losses over target lengths, averaged), "sum" or "none".
        zero_infinity: replace infinite losses (and their gradients) by 0.
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction)
        if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)):
            raise TypeError(f"CTCLoss: blank must be an int, got {type(blank).__name__}")
        if blank < 0:
            raise ValueError(f"CTCLoss: blank must be a class index >= 0, got {blank}")
        self.blank = int(blank)
        self.zero_infinity = check_flag("CTCLoss", "zero_infinity", zero_infinity)

    def forward(
        self, log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any
    ) -> Tensor:
        """Return the CTC loss of the targets under `log_probs`."""
        return ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )

    def extra_repr(self) -> str:
        """Return nothing, as PyTorch's."""
        return ""
