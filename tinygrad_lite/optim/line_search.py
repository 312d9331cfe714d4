"""PyTorch's strong-Wolfe line search for L-BFGS, with its cubic interpolation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["cubic_interpolate", "strong_wolfe"]


def cubic_interpolate(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    r"""The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), kept within bounds.

    With d1 = g1 + g2 − 3(f1 − f2)/(x1 − x2) and d2 = √(d1² − g1·g2), the minimiser is
    x2 − (x2 − x1)·(g2 + d2 − d1)/(g2 − g1 + 2·d2) (for x1 <= x2), clipped to the bounds; the
    midpoint of the bounds where d1² < g1·g2 (no real minimiser), as PyTorch does. The
    arithmetic is IEEE's: a division by zero gives inf or NaN, as PyTorch's tensors do.

    Args:
        x1: the first point.
        f1: the function's value at x1.
        g1: its derivative at x1.
        x2: the second point.
        f2: the value at x2.
        g2: the derivative at x2.
        bounds: (low, high), the interval of the result; the two points by default.

    Returns:
        The interpolated minimiser.
    """
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    with np.errstate(all="ignore"):
        a1, b1, c1, a2, b2, c2 = (np.float64(v) for v in (x1, f1, g1, x2, f2, g2))
        d1 = c1 + c2 - 3 * (b1 - b2) / (a1 - a2)
        d2_square = d1**2 - c1 * c2
        if d2_square >= 0:
            d2 = np.sqrt(d2_square)
            if a1 <= a2:
                min_pos = a2 - (a2 - a1) * ((c2 + d2 - d1) / (c2 - c1 + 2 * d2))
            else:
                min_pos = a1 - (a1 - a2) * ((c1 + d2 - d1) / (c1 - c2 + 2 * d2))
            return float(min(max(min_pos, lo), hi))
        return (lo + hi) / 2.0


def strong_wolfe(
    obj_func: Callable[[float], tuple[float, np.ndarray]],
    t: float,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    r"""PyTorch's line search along d for a step t with the strong Wolfe conditions.

    It looks for t with f(x + t·d) <= f + c1·t·(g·d) (sufficient decrease) and
    |g(x + t·d)·d| <= −c2·(g·d) (curvature): first bracketing such a step (extrapolating
    with `cubic_interpolate` between t + 0.01·(t − t_prev) and 10·t), then zooming into the
    bracket, with PyTorch's safeguards, until one is found, the bracket is narrower than
    `tolerance_change` (times max|d|), or `max_ls` evaluations were made.

    Args:
        obj_func: t ↦ (loss, flat gradient) at x + t·d (the parameters left at x).
        t: the first step to try.
        d: the direction (flat).
        f: the loss at x.
        g: the flat gradient at x.
        gtd: g·d, negative for a descent direction.
        c1: the sufficient-decrease constant.
        c2: the curvature constant.
        tolerance_change: the narrowest bracket (in units of max|d|).
        max_ls: the most evaluations of `obj_func` after the first.

    Returns:
        The loss, the flat gradient and the step at the chosen point, and the number of
        evaluations made.
    """
    d_norm = float(np.abs(d).max())
    f_new, g_new = obj_func(t)
    ls_func_evals = 1
    gtd_new = float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[np.ndarray] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:  # bracket a point that meets the conditions
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:  # zoom in on the bracket
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
