"""The Optimizer base class: parameter groups, per-parameter state and flat state dicts."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import tracing, written
from ..tensor import Tensor
from ..traced import unwrap
from ..tracing import ClearGrad, PlainUpdate, traced_call
from .flat import FlatGroup
from .param_group import ParamGroup, _number

__all__ = ["Optimizer"]


class Optimizer:
    """Base class: parameter groups, per-parameter state, and a flat state dict.

    The first argument is either an iterable of tensors (one group) or an iterable of dicts,
    each `{"params": tensors, "<hyper-parameter>": value, ...}`, one per group, as in
    PyTorch; a hyper-parameter a group does not give is the constructor's. Each group is a
    `ParamGroup` in `opt.param_groups` holding every hyper-parameter, and may be changed
    between steps (`opt.param_groups[1]["lr"] = 0.01`). `opt.lr` (and the like) reads the
    value all groups share and sets it in every group.

    A subclass names its hyper-parameters as groups hold them in `group_keys` and as the flat
    state dict stores them in `hyperparameters` (the same names unless it overrides `_flat`
    and `_unflat`), its per-parameter arrays in `state_arrays` (and integer counters in
    `state_counters`), checks hyper-parameters in `_validate` and implements `step`, decorated
    with `tinygrad_lite.tracing.traced_call` so that a compiled training step calls it again
    on every replay; a step that changes parameters in place stamps each one with
    `tinygrad_lite.written.mark(p)`, so a backward through a graph that used the old
    values is refused.

    Per-parameter state lives in `opt.state[i]`, `i` being the parameter's position in
    `opt.params`: all groups' tensors in order, as PyTorch numbers them in its state dicts
    (PyTorch's own `opt.state` is keyed by the tensor).

    Args:
        params: tensors to optimize (leaves that require grad, each listed once), or dicts of
            parameter groups.
        defaults: every hyper-parameter's value for groups that do not give their own,
            already validated (a subclass passes what its constructor was given).

    Raises:
        ValueError: there is no parameter, or a tensor appears twice, is not a leaf, does not
            require grad or has a read-only array, or a hyper-parameter is invalid.
        TypeError: an item is neither a Tensor nor (for groups) a dict, a group has an
            unknown key, or a group's tensors are given as an unordered set.
    """

    group_keys: ClassVar[tuple[str, ...]] = ()
    hyperparameters: ClassVar[tuple[str, ...]] = ()
    state_arrays: ClassVar[tuple[str, ...]] = ()
    # Per-parameter arrays that only some settings keep (Adam's max_exp_avg_sq with amsgrad).
    optional_arrays: ClassVar[tuple[str, ...]] = ()
    state_counters: ClassVar[tuple[str, ...]] = ()
    # Flat hyper-parameters that older state dicts lack, and the value they then had.
    legacy_defaults: ClassVar[Mapping[str, Any]] = {}
    # Flags (also in `legacy_defaults`) that the flat state dict and the repr show only where
    # they differ from that value (`maximize`, `amsgrad`), so files and reprs without them stay.
    quiet_flags: ClassVar[tuple[str, ...]] = ()
    # Set by the first `step` (a class default until then): a scheduler stepped before it warns.
    _stepped: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Each optimizer's own `step` marks the optimizer stepped (for the schedulers)."""
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is None:
            return

        @functools.wraps(step)
        def marked(self: Optimizer, *args: Any, **kw: Any) -> Any:
            self._stepped = True  # read by the schedulers (their step-order warning)
            return step(self, *args, **kw)

        cls.step = marked  # type: ignore[method-assign]

    def __init__(
        self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], defaults: Mapping[str, Any]
    ) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of tensors, got a single Tensor; "
                "pass [tensor] or model.parameters()"
            )
        if isinstance(params, (set, frozenset, Mapping)):
            raise TypeError(
                f"{name}: params must be an ordered iterable (a list of tensors or of group "
                f"dicts), got a {type(params).__name__}"
            )
        items = list(params)
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[ParamGroup] = []
        self.params: list[Tensor] = []
        self.state: dict[int, dict[str, Any]] = {}
        # Preallocated work arrays, one per parameter (and slot), so a step makes no new arrays.
        self._scratch: dict[tuple[int, int], np.ndarray] = {}
        self._flats: dict[int, FlatGroup] = {}  # per group index (see `_flat_group`)
        # Bumped when the groups change (a group added, a state loaded), and `_settings` when
        # a hyper-parameter other than the lr is written (a scheduler cycling the momentum): a
        # compiled step that wrote zero_grad into its code checks `_layout`, one that also wrote
        # the update (see `_plain_updates`) both, and traces again; the lr it reads on every call.
        self._layout = 0
        self._settings = 0
        dicts = [isinstance(x, Mapping) for x in items]
        if items and all(dicts):
            for g, group in enumerate(items):
                self._add_group(group, f"param group {g}: ")  # type: ignore[arg-type]
        elif any(dicts):
            raise TypeError(
                f"{name}: params mixes tensors and group dicts; give either tensors or a list "
                "of dicts, each with its 'params'"
            )
        else:
            self._add_group({"params": items}, "")
        if not self.params:
            raise ValueError(
                f"{name}: got an empty parameter list, so there is nothing to optimize"
            )

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of tensors, with its own hyper-parameters (the rest from the defaults).

        Everything is checked before anything changes. A group added after an LR scheduler was
        made is not followed by that scheduler (it raises at its next `step`).

        Raises:
            ValueError: a tensor is already optimized, not a leaf, does not require grad or is
                read-only, or a hyper-parameter is missing or invalid.
            TypeError: the group is not a dict with "params", or has an unknown key.
        """
        self._add_group(param_group, f"param group {len(self.param_groups)}: ")

    def _add_group(self, group: Mapping[str, Any], where: str) -> None:
        name = type(self).__name__
        if not isinstance(group, Mapping) or "params" not in group:
            raise TypeError(f"{name}: {where}a parameter group must be a dict with 'params'")
        unknown = [k for k in group if k != "params" and k not in self.group_keys]
        if unknown:
            raise TypeError(
                f"{name}: {where}unknown keys {unknown}; a group takes 'params' and "
                f"{list(self.group_keys)}"
            )
        raw = group["params"]
        if isinstance(raw, (set, frozenset)):
            raise TypeError(f"{name}: {where}params must be ordered (a list), not a set")
        if isinstance(raw, Tensor):
            raw = [raw]
        if not isinstance(raw, Iterable):
            raise TypeError(
                f"{name}: {where}params must be a list of tensors, got {type(raw).__name__}"
            )
        plist = list(raw)
        taken = {id(p): i for i, p in enumerate(self.params)}
        seen: dict[int, int] = {}
        for i, p in enumerate(plist):
            label = f"{where}params[{i}]"
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: {label} is a {type(p).__name__}, not a Tensor")
            if p._ctx is not None:
                raise ValueError(
                    f"{name}: {label} (shape {p.shape}) is not a leaf: it was computed by "
                    f"{p._ctx.fn.__name__}; optimize the tensors you created, not results"
                )
            if not p.requires_grad:
                raise ValueError(
                    f"{name}: {label} (shape {p.shape}) does not require grad; create it "
                    "with requires_grad=True"
                )
            if not p.data.flags.writeable:
                raise ValueError(f"{name}: {label} (shape {p.shape}) has a read-only array")
            if id(p) in seen:
                raise ValueError(f"{name}: {label} is the same tensor as params[{seen[id(p)]}]")
            if id(p) in taken:
                raise ValueError(
                    f"{name}: {label} is already optimized (it is opt.params[{taken[id(p)]}]); "
                    "a tensor can be in one parameter group only"
                )
            seen[id(p)] = i
        hyper = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        missing = [k for k in self.group_keys if k not in hyper]
        if missing:
            raise ValueError(
                f"{name}: {where}no value for {missing}: give it to the constructor or to "
                "every group"
            )
        try:
            checked = self._validate(**hyper)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{where}{e}") from None
        self.param_groups.append(ParamGroup(self, tuple(plist), checked))
        self.params.extend(plist)
        self._layout += 1

    def _shared(self, key: str) -> Any:
        values = [g[key] for g in self.param_groups]
        if any(v != values[0] for v in values[1:]):
            raise ValueError(
                f"{type(self).__name__}.{key}: the parameter groups have different values "
                f"{values}; read opt.param_groups[i][{key!r}]"
            )
        return values[0]

    def _set_everywhere(self, key: str, value: Any) -> None:
        for g in self.param_groups:  # all checked before any changes
            g._checked({key: unwrap(value)})
        for g in self.param_groups:
            g._write({key: value})

    def _set_lr(self, group: ParamGroup, lr: float) -> None:
        """Set a group's lr from a scheduler, which may reach 0 (a warm-up from zero, say)."""
        lr = _number(type(self).__name__, "lr", lr, ge=0)
        dict.__setitem__(group, "lr", lr)

    def _flat_group(self, k: int, params: list[Tensor], start: int) -> FlatGroup | None:
        """Group `k`'s state in flat form (`optim.flat`), or None where the loop must run."""
        flat = self._flats.get(k)
        if flat is not None and flat.holds(params, self.state, start):
            return flat
        counter = "step" if "step" in self.state_counters else None
        flat = FlatGroup.build(params, self.state, start, self.state_arrays, counter)
        if flat is None:
            self._flats.pop(k, None)
        else:
            self._flats[k] = flat
        return flat

    def _work(self, i: int, p: Tensor, slot: int = 0) -> np.ndarray:
        buf = self._scratch.get((i, slot))
        if buf is None or buf.shape != p.data.shape or buf.dtype != p.data.dtype:
            buf = np.empty_like(p.data)
            self._scratch[(i, slot)] = buf
        return buf

    @classmethod
    def _validate(cls, **hyper: Any) -> dict[str, Any]:
        """Return the hyper-parameters (group form) converted and checked, or raise."""
        raise NotImplementedError

    @classmethod
    def _validate_scheduled(cls, **hyper: Any) -> dict[str, Any]:
        """`_validate`, keeping an lr of 0 that a scheduler may have set.

        An lr set by hand must be > 0; everything else is checked as usual.
        """
        zero = _number(cls.__name__, "lr", hyper["lr"]) == 0
        checked = cls._validate(**{**hyper, "lr": 1.0} if zero else hyper)
        if zero:
            checked["lr"] = 0.0
        return checked

    @classmethod
    def _flat(cls, hyper: Mapping[str, Any]) -> dict[str, Any]:
        """A group's hyper-parameters as the state dict stores them (`hyperparameters`)."""
        quiet, usual = cls.quiet_flags, cls.legacy_defaults
        return {k: hyper[k] for k in cls.group_keys if k not in quiet or hyper[k] != usual[k]}

    @classmethod
    def _unflat(cls, flat: Mapping[str, Any]) -> dict[str, Any]:
        """The inverse of `_flat`."""
        return {k: flat[k] for k in cls.group_keys}

    def _cleared_grads(self) -> list[ClearGrad]:
        """`zero_grad()` as data: every parameter's gradient set to None."""
        return [ClearGrad(p) for p in self.params]

    @traced_call(inline="_cleared_grads")
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (None, or zeros in place if `set_to_none` is False)."""
        if set_to_none and tracing.current is None:  # no trace to tell: clear them directly
            for p in self.params:
                p._grad = None
            return
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data.fill(0)
                written.mark(p.grad)  # a graph that saved the gradient refuses its backward

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        raise NotImplementedError

    def _plain_updates(self) -> list[PlainUpdate | ClearGrad] | None:
        """The next `step` as plain updates of every parameter, or None if it is not one.

        A compiled step writes plain updates into its code instead of calling `step` again
        (see `tracing.traced_call`). The base class has none.
        """
        return None

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Return the hyper-parameters and per-parameter state as one flat dict.

        With one parameter group the hyper-parameters are stored under their own names
        (`hyperparameters`: `lr`, ...); with several, group g's are `param_groups.<g>.<name>`,
        with `param_groups.<g>.params` the int64 positions of its tensors in `opt.params`.
        Per-parameter state is `state.<i>.<name>` (copies of arrays, and int counters). The
        flat form can be written with `tinygrad_lite.save` as it is.
        """
        out: dict[str, Any] = {}
        if len(self.param_groups) == 1:
            out.update(self._flat(self.param_groups[0]))
        else:
            start = 0
            for g, group in enumerate(self.param_groups):
                for key, value in self._flat(group).items():
                    out[f"param_groups.{g}.{key}"] = value
                n = len(group["params"])
                out[f"param_groups.{g}.params"] = np.arange(start, start + n, dtype=np.int64)
                start += n
        for i in sorted(self.state):
            for key, value in self.state[i].items():
                out[f"state.{i}.{key}"] = value.copy() if isinstance(value, np.ndarray) else value
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyper-parameters and state saved by `state_dict` (from the same parameters).

        The state dict must have as many parameter groups as the optimizer, each with the same
        tensors. Everything is checked before anything changes, so a failed load changes
        nothing. Values may be Python numbers, NumPy arrays (0-d for numbers) or Tensors. A
        state dict written before a hyper-parameter existed loads with the value it then had
        (SGD's `dampening` 0). A group's lr may be 0 (where a scheduler had taken it).

        Raises:
            ValueError: one error naming every missing or unexpected key, every group that does
                not match, every array of the wrong shape or dtype, and every invalid
                hyper-parameter.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{name}.load_state_dict: expected a mapping, got {type(state_dict).__name__}"
            )
        problems: list[str] = []
        grouped = any(str(k).startswith("param_groups.") for k in state_dict)
        flat_groups: dict[int, dict[str, Any]] = {}
        unexpected: list[str] = []
        per_param: dict[int, dict[str, Any]] = {}
        names = self.state_arrays + self.state_counters
        known = names + self.optional_arrays
        for key, value in state_dict.items():
            parts = str(key).split(".")
            if not grouped and key in self.hyperparameters:
                flat_groups.setdefault(0, {})[str(key)] = value
            elif (
                grouped
                and len(parts) == 3
                and parts[0] == "param_groups"
                and parts[1].isdigit()
                and parts[2] in (*self.hyperparameters, "params")
            ):
                flat_groups.setdefault(int(parts[1]), {})[parts[2]] = value
            elif (
                len(parts) == 3
                and parts[0] == "state"
                and parts[1].isdigit()
                and int(parts[1]) < len(self.params)
                and parts[2] in known
            ):
                per_param.setdefault(int(parts[1]), {})[parts[2]] = value
            else:
                unexpected.append(str(key))
        ngroups = len(self.param_groups)
        if not grouped:
            flat_groups.setdefault(0, {})
        if grouped and sorted(flat_groups) != list(range(len(flat_groups))):
            problems.append(f"parameter groups numbered {sorted(flat_groups)}, not 0, 1, ...")
        elif len(flat_groups) != ngroups:
            problems.append(
                f"the state dict has {len(flat_groups)} parameter group(s), the optimizer {ngroups}"
            )
        new_hyper: list[dict[str, Any]] = []
        start = 0
        for g, group in enumerate(self.param_groups):
            where = f"param group {g}: " if grouped else ""
            entries = flat_groups.get(g)
            n = len(group["params"])
            start += n
            if entries is None:
                continue
            if grouped:
                idx = entries.get("params")
                want = np.arange(start - n, start)
                got = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
                if idx is None or got.shape != want.shape or not np.array_equal(got, want):
                    problems.append(
                        f"{where}params {None if idx is None else got.tolist()} in the state "
                        f"dict, but the optimizer's group holds parameters {want.tolist()}"
                    )
            optional = self.legacy_defaults
            missing = [h for h in self.hyperparameters if h not in entries and h not in optional]
            if missing:
                key = "param_groups.{g}." if grouped else ""
                problems.append(f"missing keys {[key.format(g=g) + h for h in missing]}")
                continue
            flat = {h: entries.get(h, self.legacy_defaults.get(h)) for h in self.hyperparameters}
            try:
                new_hyper.append(self._validate_scheduled(**self._unflat(flat)))
            except (TypeError, ValueError) as e:
                problems.append(f"{where}{e}")
        if unexpected:
            problems.append(f"unexpected keys {unexpected}")
        new_state: dict[int, dict[str, Any]] = {}
        for i, entries in sorted(per_param.items()):
            lacking = [k for k in names if k not in entries]
            if lacking:
                problems.append(f"state of parameter {i} lacks {lacking}")
                continue
            p = self.params[i].data
            st: dict[str, Any] = {}
            for k in (*self.state_arrays, *(a for a in self.optional_arrays if a in entries)):
                v = entries[k]
                arr = np.asarray(v.data if isinstance(v, Tensor) else v)
                if arr.shape != p.shape or arr.dtype != p.dtype:
                    problems.append(
                        f"state.{i}.{k}: shape {arr.shape} dtype {arr.dtype}, but the parameter "
                        f"has shape {p.shape} dtype {p.dtype}"
                    )
                st[k] = np.array(arr, copy=True)
            for k in self.state_counters:
                v = entries[k]
                v = v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                    problems.append(f"state.{i}.{k}: expected an int, got {v!r}")
                elif v < 1:
                    problems.append(f"state.{i}.{k}: must be >= 1, got {v}")
                else:
                    st[k] = int(v)
            new_state[i] = st
        if problems:
            raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        for group, hyper in zip(self.param_groups, new_hyper, strict=True):
            dict.update(group, hyper)
        self.state = new_state
        self._layout += 1

    def __repr__(self) -> str:
        def hp(group: Mapping[str, Any]) -> str:
            quiet, usual = self.quiet_flags, self.legacy_defaults
            shown = [k for k in self.group_keys if k not in quiet or group[k] != usual[k]]
            return ", ".join(f"{k}={group[k]!r}" for k in shown)

        n = len(self.params)
        if len(self.param_groups) == 1:
            return f"{type(self).__name__}({n} parameters, {hp(self.param_groups[0])})"
        groups = ", ".join(f"{{{hp(g)}}}" for g in self.param_groups)
        return f"{type(self).__name__}({n} parameters in {len(self.param_groups)} groups: {groups})"
