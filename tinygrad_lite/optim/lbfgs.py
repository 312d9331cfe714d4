"""L-BFGS: a quasi-Newton method driven by a closure, with PyTorch's strong-Wolfe line search."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .. import tracing
from ..tensor import Tensor
from ..written import mark
from .line_search import strong_wolfe
from .optimizer import Optimizer
from .param_group import ParamGroup, _count, _flag, _GroupValue, _number

__all__ = ["LBFGS"]

# The per-step state beyond the two counters, in the state dict's order.
_ARRAYS = ("d", "old_dirs", "old_stps", "ro", "prev_flat_grad")
_FLOATS = ("t", "H_diag", "prev_loss")


class LBFGS(Optimizer):
    r"""L-BFGS (Nocedal's two-loop recursion; PyTorch's algorithm, after minFunc).

    `step(closure)` runs up to `max_iter` iterations. Each builds a direction d from the
    gradient g and the last `history_size` pairs (s, y) of steps and gradient changes kept
    where y·s > 1e-10 (two-loop recursion, scaled by H = y·s / y·y), and moves p ← p + t·d,
    t = lr (min(1, 1/Σ|g|)·lr on the very first iteration), or where the strong-Wolfe line
    search (`line_search_fn="strong_wolfe"`) finds a better t. It stops when max|g| <=
    tolerance_grad, max|t·d| or the change of the loss is below tolerance_change, after
    `max_eval` evaluations of the closure, or when g·d > −tolerance_change. The closure
    clears the gradients, computes the loss, calls `backward` and returns the loss; `step`
    returns the loss of its first call.

    One parameter group only, as in PyTorch. Its state is kept under the first parameter
    (`state.0.*` in the state dict: the counters `func_evals` and `n_iter`, the direction
    `d`, the step `t`, the history `old_dirs` and `old_stps` as (k, n) arrays and `ro`, the
    scale `H_diag`, `prev_flat_grad` and `prev_loss`). The scalars of the algorithm are
    computed in float64 whatever the parameters' dtype. A compiled step cannot call it (it
    reads the loss's value).

    Args:
        params: the tensors to optimize (or one parameter group).
        lr: the learning rate > 0.
        max_iter: the most iterations per `step`, >= 1.
        max_eval: the most closure evaluations per `step`, >= 1 (max_iter·5 // 4 by default).
        tolerance_grad: stop when max|g| is at most this.
        tolerance_change: stop when the step or the change of the loss is below this.
        history_size: the number of (s, y) pairs kept, >= 1.
        line_search_fn: None (fixed steps) or "strong_wolfe".

    Raises:
        ValueError: an invalid hyper-parameter (named with its value), more than one
            parameter group, or as `Optimizer`.
    """

    group_keys = (
        "lr",
        "max_iter",
        "max_eval",
        "tolerance_grad",
        "tolerance_change",
        "history_size",
        "line_search_fn",
    )
    hyperparameters = (*group_keys[:-1], "strong_wolfe")

    lr = _GroupValue[float]("lr")
    max_iter = _GroupValue[int]("max_iter")
    max_eval = _GroupValue[int]("max_eval")
    tolerance_grad = _GroupValue[float]("tolerance_grad")
    tolerance_change = _GroupValue[float]("tolerance_change")
    history_size = _GroupValue[int]("history_size")
    line_search_fn = _GroupValue[str | None]("line_search_fn")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[Mapping[str, Any]],
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = _count("LBFGS", "max_iter", max_iter, 1) * 5 // 4
        hyper = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, self._validate(**hyper))
        if len(self.param_groups) != 1:
            raise ValueError(
                f"LBFGS: got {len(self.param_groups)} parameter groups; LBFGS supports one "
                "(no per-parameter options)"
            )

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Refused: LBFGS optimizes one parameter group (raises ValueError)."""
        raise ValueError("LBFGS: supports one parameter group; add_param_group is refused")

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        search = hyper["line_search_fn"]
        if search not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {search!r}"
            )
        return {
            "lr": _number("LBFGS", "lr", hyper["lr"], gt=0),
            "max_iter": _count("LBFGS", "max_iter", hyper["max_iter"], 1),
            "max_eval": _count("LBFGS", "max_eval", hyper["max_eval"], 1),
            "tolerance_grad": _number("LBFGS", "tolerance_grad", hyper["tolerance_grad"]),
            "tolerance_change": _number("LBFGS", "tolerance_change", hyper["tolerance_change"]),
            "history_size": _count("LBFGS", "history_size", hyper["history_size"], 1),
            "line_search_fn": search,
        }

    @classmethod
    def _flat(cls, hyper: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: hyper[k] for k in cls.group_keys[:-1]}
        out["strong_wolfe"] = hyper["line_search_fn"] == "strong_wolfe"
        return out

    @classmethod
    def _unflat(cls, flat: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: flat[k] for k in cls.group_keys[:-1]}
        strong = _flag("LBFGS", "strong_wolfe", flat["strong_wolfe"])
        out["line_search_fn"] = "strong_wolfe" if strong else None
        return out

    # ------------------------------------------------------------------ the flat vector

    def _gather_flat_grad(self) -> np.ndarray:
        return np.concatenate(
            [
                np.zeros(p.data.size, p.data.dtype) if p._grad is None else p._grad.data.ravel()
                for p in self.params
            ]
        )

    def _add_grad(self, t: float, d: np.ndarray) -> None:
        """Move p ← p + t·d for every parameter (its part of the flat vector)."""
        offset = 0
        for p in self.params:
            n = p.data.size
            np.add(p.data, (d[offset : offset + n] * t).reshape(p.data.shape), out=p.data)
            offset += n
        mark(*self.params)

    def _set_param(self, values: list[np.ndarray]) -> None:
        for p, v in zip(self.params, values, strict=True):
            np.copyto(p.data, v)
        mark(*self.params)

    def _directional_evaluate(
        self, closure: Callable[[], Any], x: list[np.ndarray], d: np.ndarray, t: float
    ) -> tuple[float, np.ndarray]:
        """The loss and flat gradient at x + t·d; the parameters are x again afterwards."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to `max_iter` L-BFGS iterations; return the loss of the first closure call.

        Args:
            closure: clears the gradients, computes the loss, calls its `backward` and returns
                it (a one-element Tensor or a number).

        Raises:
            TypeError: `closure` is not callable.
            TraceError: called inside a compiled step.
        """
        tracing.refuse_value_read("LBFGS.step(closure)")
        if not callable(closure):
            raise TypeError(
                "LBFGS.step: closure must be a function that clears the gradients, computes "
                f"the loss, calls backward and returns the loss; got {type(closure).__name__}"
            )
        group: ParamGroup = self.param_groups[0]
        read = dict.__getitem__
        lr, max_iter, max_eval = read(group, "lr"), read(group, "max_iter"), read(group, "max_eval")
        tolerance_grad = read(group, "tolerance_grad")
        tolerance_change = read(group, "tolerance_change")
        line_search = read(group, "line_search_fn")
        history_size = read(group, "history_size")
        state = self.state.setdefault(0, {"func_evals": 0, "n_iter": 0})

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t", 0.0)
        old_dirs, old_stps, ro = (
            state.get("old_dirs", []),
            state.get("old_stps", []),
            state.get("ro", []),
        )
        h_diag, prev_flat_grad, prev_loss = (
            state.get("H_diag", 1.0),
            state.get("prev_flat_grad"),
            0.0,
        )
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1 or d is None or prev_flat_grad is None:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                num_old = len(old_dirs)
                al = [0.0] * num_old
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = float(old_stps[i].dot(q)) * ro[i]
                    q += old_dirs[i] * -al[i]
                d = r = q * h_diag
                for i in range(num_old):
                    be_i = float(old_dirs[i].dot(r)) * ro[i]
                    r += old_stps[i] * (al[i] - be_i)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                with np.errstate(divide="ignore"):
                    t = min(1.0, float(1.0 / np.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad.dot(d))
            if gtd > -tolerance_change:  # not a descent direction
                break
            ls_func_evals = 0
            if line_search == "strong_wolfe":
                x_init = [p.data.copy() for p in self.params]
                obj_func = functools.partial(self._directional_evaluate, closure, x_init, d)
                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break
        state.update(
            d=d, t=float(t), old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=float(h_diag)
        )
        state.update(prev_flat_grad=prev_flat_grad, prev_loss=float(prev_loss))
        return orig_loss

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """The hyper-parameters (`strong_wolfe` a bool for `line_search_fn`) and the state.

        The state is `state.0.<name>` (see the class docstring): numbers, and arrays with the
        history stacked as (k, n) arrays.
        """
        out = self._flat(self.param_groups[0])
        st = self.state.get(0)
        if st is None:
            return out
        out["state.0.func_evals"], out["state.0.n_iter"] = st["func_evals"], st["n_iter"]
        if "d" in st:
            n = st["d"].size
            for key in ("old_dirs", "old_stps"):
                rows = st[key]
                stacked = np.stack(rows) if rows else np.zeros((0, n), st["d"].dtype)
                out[f"state.0.{key}"] = stacked
            out["state.0.ro"] = np.array(st["ro"], dtype=np.float64)
            out["state.0.d"] = st["d"].copy()
            out["state.0.prev_flat_grad"] = st["prev_flat_grad"].copy()
            for key in _FLOATS:
                out[f"state.0.{key}"] = st[key]
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what `state_dict` saved; everything is checked before anything changes.

        Raises:
            ValueError: one error naming every missing, unexpected or invalid entry.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"LBFGS.load_state_dict: expected a mapping, got {type(state_dict).__name__}"
            )

        def plain(v: Any) -> Any:
            v = v.data if isinstance(v, Tensor) else v
            return v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v

        entries = {str(k): plain(v) for k, v in state_dict.items()}
        problems: list[str] = []
        names = [f"state.0.{k}" for k in ("func_evals", "n_iter", *_ARRAYS, *_FLOATS)]
        unexpected = [k for k in entries if k not in (*self.hyperparameters, *names)]
        missing = [k for k in self.hyperparameters if k not in entries]
        if unexpected or missing:
            problems.append(f"missing keys {missing}, unexpected keys {unexpected}")
        hyper: dict[str, Any] = {}
        if not missing:
            try:
                hyper = self._validate_scheduled(**self._unflat(entries))
            except (TypeError, ValueError) as e:
                problems.append(str(e).removeprefix("LBFGS: "))
        state: dict[str, Any] = {}
        if any(k in entries for k in names):
            state = self._checked_state(entries, hyper, problems)
        if problems:
            raise ValueError("LBFGS.load_state_dict: " + "; ".join(problems))
        dict.update(self.param_groups[0], hyper)
        self.state = {0: state} if state else {}
        self._layout += 1

    def _checked_state(
        self, entries: Mapping[str, Any], hyper: Mapping[str, Any], problems: list[str]
    ) -> dict[str, Any]:
        """The state in `entries`, checked: each problem is appended to `problems`."""
        state: dict[str, Any] = {}
        for key in ("func_evals", "n_iter"):
            try:
                state[key] = _count("LBFGS", f"state.0.{key}", entries.get(f"state.0.{key}"), 0)
            except (TypeError, ValueError) as e:
                problems.append(str(e).removeprefix("LBFGS: "))
        rest = [k for k in (*_ARRAYS, *_FLOATS) if f"state.0.{k}" in entries]
        if not rest:
            return state
        if len(rest) != len(_ARRAYS) + len(_FLOATS):
            lacking = [k for k in (*_ARRAYS, *_FLOATS) if k not in rest]
            problems.append(f"state.0 lacks {lacking}")
            return state
        n = sum(p.data.size for p in self.params)
        dtype = np.result_type(*(p.data.dtype for p in self.params))
        arrays = {k: np.asarray(entries[f"state.0.{k}"]) for k in _ARRAYS}
        k = arrays["ro"].shape[0] if arrays["ro"].ndim == 1 else -1
        shapes = {
            "d": (n,),
            "prev_flat_grad": (n,),
            "old_dirs": (k, n),
            "old_stps": (k, n),
            "ro": (k,),
        }
        for key, arr in arrays.items():
            want_dtype = np.float64 if key == "ro" else dtype
            if arr.shape != shapes[key] or arr.dtype != want_dtype:
                problems.append(
                    f"state.0.{key}: shape {arr.shape} dtype {arr.dtype}, expected shape "
                    f"{shapes[key]} dtype {np.dtype(want_dtype)}"
                )
        if hyper and k > hyper["history_size"]:
            problems.append(f"state.0 holds {k} (s, y) pairs, more than history_size")
        for key in _FLOATS:
            try:
                state[key] = _number("LBFGS", f"state.0.{key}", entries[f"state.0.{key}"])
            except (TypeError, ValueError) as e:
                problems.append(str(e).removeprefix("LBFGS: "))
        state["d"] = arrays["d"].copy()
        state["prev_flat_grad"] = arrays["prev_flat_grad"].copy()
        state["old_dirs"] = [row.copy() for row in arrays["old_dirs"]]
        state["old_stps"] = [row.copy() for row in arrays["old_stps"]]
        state["ro"] = [float(x) for x in arrays["ro"]]
        return state
