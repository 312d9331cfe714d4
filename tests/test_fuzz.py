"""A state machine drives random op sequences, backward calls, zero_grad, no_grad and checkpoints.

Every node remembers how it was made (an expression over the leaves), so each backward can be
recomputed from scratch on fresh copies of the leaves, and the recomputation itself is checked
against float64 central differences by a separate rule. After every step each leaf's gradient
must equal the sum of the expected gradients of every backward since its last zero_grad.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn
from tinygrad_lite.serialize import load, save

STEPS = {"count": 0, "backward": 0, "runs": 0}

SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1)]


def _sum0(t: Tensor) -> Tensor:
    return t.sum(axis=0) if t.ndim else t.sum()


def _first(t: Tensor) -> Tensor:
    return t[..., :1] if t.ndim else t * 1.0


# Smooth ops only (finite differences must apply), built so that values cannot overflow.
UNARY: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "neg": lambda t: -t,
    "scale": lambda t: t * 0.7,
    "log_sigmoid": lambda t: t.log_sigmoid(),
    "x_tanh_x": lambda t: t * t.tanh(),  # one node used twice by the same op
    "exp_tanh": lambda t: t.tanh().exp(),
    "sum0": _sum0,
    "mean": lambda t: t.mean(),
    "flatten": lambda t: t.reshape(-1),
    "transpose": lambda t: t.T,
    "first": _first,
    "pow_sq": lambda t: (t.tanh() + 2.0) ** 2,
}
BINARY: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul_tanh": lambda a, b: a * b.tanh(),
    "div": lambda a, b: a / (1.5 + b.tanh()),
    "matmul": lambda a, b: a @ b.tanh(),
}


@dataclass(eq=False)
class Node:
    """A tensor in the pool and the recipe that recomputes it from the leaves."""

    tensor: Tensor
    expr: tuple[Any, ...]
    graph: frozenset[int] = field(default_factory=frozenset)  # ids of graph nodes reachable
    key: int = 0


def evaluate(expr: tuple[Any, ...], leaves: list[Tensor], memo: dict[int, Tensor]) -> Tensor:
    """Recompute an expression on the given leaves (shared subexpressions stay shared)."""
    k = id(expr)
    if k in memo:
        return memo[k]
    kind = expr[0]
    if kind == "leaf":
        out = leaves[expr[1]]
    elif kind == "const":
        out = Tensor(expr[1])
    elif kind == "unary":
        out = UNARY[expr[1]](evaluate(expr[2], leaves, memo))
    else:
        out = BINARY[expr[1]](evaluate(expr[2], leaves, memo), evaluate(expr[3], leaves, memo))
    memo[k] = out
    return out


class Leaves(nn.Module):
    """The leaves as Parameters of one Module, so that state dicts can round-trip them."""


class AutogradMachine(RuleBasedStateMachine):
    nodes = Bundle("nodes")

    def __init__(self) -> None:
        super().__init__()
        STEPS["runs"] += 1
        self.module = Leaves()
        self.leaves: list[nn.Parameter] = []
        self.expected: list[np.ndarray | None] = []
        self.released: set[int] = set()
        self.stale: set[int] = set()  # graphs made before a load wrote into the leaves
        self.next_key = 0
        self.tmp = tempfile.mkdtemp(prefix="fuzz-")
        self.pool: list[Node] = []

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _node(self, tensor: Tensor, expr: tuple[Any, ...], graph: frozenset[int]) -> Node:
        self.next_key += 1
        node = Node(tensor, expr, graph, self.next_key)
        self.pool.append(node)
        return node

    def _step(self) -> None:
        STEPS["count"] += 1

    # ------------------------------------------------------------------ building

    @precondition(lambda self: len(self.leaves) < 5)
    @rule(
        target=nodes,
        data=st.sampled_from(SHAPES).flatmap(
            lambda s: hnp.arrays(np.float64, s, elements=st.floats(-2.0, 2.0))
        ),
    )
    def new_leaf(self, data: np.ndarray) -> Node:
        self._step()
        p = nn.Parameter(np.array(data, dtype=np.float64))
        i = len(self.leaves)
        setattr(self.module, f"p{i}", p)
        self.leaves.append(p)
        self.expected.append(None)
        return self._node(p, ("leaf", i), frozenset())

    @rule(target=nodes, a=nodes, op=st.sampled_from(sorted(UNARY)), off=st.booleans())
    def unary(self, a: Node, op: str, off: bool) -> Node:
        self._step()
        with tg.set_grad_enabled(not off):
            out = UNARY[op](a.tensor)
        return self._result(out, ("unary", op, a.expr), a.graph)

    @rule(target=nodes, a=nodes, b=nodes, op=st.sampled_from(sorted(BINARY)), off=st.booleans())
    def binary(self, a: Node, b: Node, op: str, off: bool) -> Node | MultipleResults[Node]:
        self._step()
        try:
            with tg.set_grad_enabled(not off):
                out = BINARY[op](a.tensor, b.tensor)
        except ValueError as e:  # the documented error for shapes that do not fit
            msg = str(e)
            assert "do not broadcast" in msg or "do not align" in msg or "at least 1" in msg, msg
            assert str(a.tensor.shape) in msg and str(b.tensor.shape) in msg, msg
            return multiple()  # nothing new in the pool
        return self._result(out, ("binary", op, a.expr, b.expr), a.graph | b.graph)

    def _result(self, out: Tensor, expr: tuple[Any, ...], graph: frozenset[int]) -> Node:
        if not out.requires_grad:
            # No graph (no_grad, or constant inputs): a constant of this value from now on.
            assert out.grad_fn is None and out.is_leaf
            return self._node(out, ("const", out.data.copy()), frozenset())
        assert out.grad_fn is not None and not out.is_leaf
        node = self._node(out, expr, graph)
        node.graph = graph | {node.key}
        return node

    @rule(target=nodes, a=nodes)
    def detach(self, a: Node) -> Node:
        self._step()
        d = a.tensor.detach()
        assert not d.requires_grad and d.grad_fn is None
        assert np.shares_memory(d.data, a.tensor.data)
        return self._node(d, ("const", d.data.copy()), frozenset())

    # ------------------------------------------------------------------ backward

    def expected_grads(self, expr: tuple[Any, ...], weights: np.ndarray) -> list[np.ndarray | None]:
        """d Σ(w·node)/d leaf, recomputed on fresh copies of the leaves."""
        fresh = [Tensor(p.data.copy(), requires_grad=True) for p in self.leaves]
        out = evaluate(expr, fresh, {})
        if out.requires_grad:
            (out * Tensor(weights)).sum().backward()
        return [None if f.grad is None else f.grad.data.copy() for f in fresh]

    @rule(a=nodes, retain=st.booleans(), seed=st.integers(0, 2**16))
    def backward(self, a: Node, retain: bool, seed: int) -> None:
        self._step()
        weights = np.random.default_rng(seed).standard_normal(a.tensor.shape)
        if not a.tensor.requires_grad:
            with pytest.raises(RuntimeError, match="does not require grad"):
                (a.tensor * Tensor(weights)).sum().backward()
            return
        root = (a.tensor * Tensor(weights)).sum()
        if a.graph & self.released:
            with pytest.raises(RuntimeError, match="already been released"):
                root.backward(retain_graph=retain)
            return  # and no gradient changed: the invariant checks it
        want = self.expected_grads(a.expr, weights)
        if a.graph & self.stale:
            # A load wrote into the leaves after this graph was made: a node that saved a
            # leaf's array refuses (before anything runs: no gradient changes, the invariant
            # checks it); a graph that saved none still holds, the values being the same.
            try:
                root.backward(retain_graph=retain)
            except RuntimeError as e:
                assert "modified in place" in str(e), str(e)
                return
        else:
            root.backward(retain_graph=retain)
        STEPS["backward"] += 1
        for i, g in enumerate(want):
            if g is not None:
                prev = self.expected[i]
                self.expected[i] = g if prev is None else prev + g
        if not retain:
            self.released |= a.graph

    @rule(retain=st.booleans(), seed=st.integers(0, 2**16))
    def backward_newest_node(self, retain: bool, seed: int) -> None:
        # The newest node is often built on a released graph with fresh branches beside it.
        grads = [n for n in self.pool if n.tensor.requires_grad]
        if grads:
            self.backward(grads[-1], retain, seed)

    @rule(retain=st.booleans(), seed=st.integers(0, 2**16))
    def backward_newest_live_node(self, retain: bool, seed: int) -> None:
        # Most nodes get released sooner or later: aim at one that still has its graph.
        live = [n for n in self.pool if n.tensor.requires_grad and not (n.graph & self.released)]
        if live:
            self.backward(live[-1], retain, seed)

    @rule(i=st.integers(0, 4), everything=st.booleans())
    def zero_grad(self, i: int, everything: bool) -> None:
        self._step()
        if everything:
            self.module.zero_grad()
            self.expected = [None] * len(self.leaves)
        elif i < len(self.leaves):
            self.leaves[i].grad = None
            self.expected[i] = None

    # ------------------------------------------------------------------ checkpoints

    @precondition(lambda self: len(self.leaves) > 0)
    @rule(corrupt=st.booleans())
    def state_dict_round_trip(self, corrupt: bool) -> None:
        self._step()
        before = {k: v.copy() for k, v in self.module.state_dict().items()}
        grads = [None if p.grad is None else p.grad.data.copy() for p in self.leaves]
        path = os.path.join(self.tmp, "leaves.npz")
        save(self.module.state_dict(), path)
        state = load(path)
        assert isinstance(state, dict)
        if corrupt:  # a wrong shape is refused and nothing is written
            name = next(iter(state))
            state[name] = np.zeros(state[name].shape + (2,))
            with pytest.raises(ValueError, match=f"{name}: shape"):
                self.module.load_state_dict(state)
        else:
            self.module.load_state_dict(state)  # writes into the leaves, as PyTorch's copy_
            self.stale.update(k for n in self.pool for k in n.graph)
        for k, v in self.module.state_dict().items():
            assert v.tobytes() == before[k].tobytes()
        for p, g in zip(self.leaves, grads, strict=True):
            assert (p.grad is None) == (g is None)
            if g is not None:
                assert p.grad is not None and p.grad.data.tobytes() == g.tobytes()

    # ------------------------------------------------------------------ the reference itself

    @rule(a=nodes, seed=st.integers(0, 2**16))
    def recomputation_matches_finite_differences(self, a: Node, seed: int) -> None:
        self._step()
        if not a.tensor.requires_grad or not self.leaves:
            return
        if np.max(np.abs(a.tensor.data), initial=0.0) > 1e3:
            return  # central differences lose their accuracy on huge values
        weights = np.random.default_rng(seed).standard_normal(a.tensor.shape)
        analytic = self.expected_grads(a.expr, weights)
        eps = 1e-6
        for i, p in enumerate(self.leaves):
            base = [q.data.copy() for q in self.leaves]
            numeric = np.zeros_like(base[i])
            for j in range(base[i].size):
                vals = []
                for sign in (1.0, -1.0):
                    moved = [b.copy() for b in base]
                    moved[i].flat[j] += sign * eps
                    with tg.no_grad():
                        out = evaluate(a.expr, [Tensor(m) for m in moved], {})
                    vals.append(float(np.sum(out.data * weights)))
                numeric.flat[j] = (vals[0] - vals[1]) / (2 * eps)
            got = np.zeros_like(numeric) if analytic[i] is None else analytic[i]
            np.testing.assert_allclose(got, numeric, rtol=1e-4, atol=1e-6)
            assert p.data.shape == numeric.shape

    # ------------------------------------------------------------------ invariants

    @invariant()
    def leaf_grads_are_the_sum_of_every_backward_since_zero_grad(self) -> None:
        for p, want in zip(self.leaves, self.expected, strict=True):
            if want is None:
                assert p.grad is None
                continue
            assert p.grad is not None
            assert p.grad.shape == p.data.shape and p.grad.dtype == np.float64
            assert p.grad.is_leaf and not p.grad.requires_grad
            np.testing.assert_allclose(p.grad.data, want, rtol=1e-9, atol=1e-12)

    @invariant()
    def only_leaves_keep_gradients(self) -> None:
        for node in self.pool:
            if not node.tensor.is_leaf:
                assert node.tensor.grad is None


FUZZ_SETTINGS = settings(
    max_examples=15 * settings.default.max_examples,  # 300 runs in the ci profile
    stateful_step_count=40,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)


@pytest.mark.slow
def test_the_state_machine_runs_many_steps_and_backward_calls() -> None:
    before = dict(STEPS)
    run_state_machine_as_test(AutogradMachine, settings=FUZZ_SETTINGS)
    runs, count, backward = (STEPS[k] - before[k] for k in ("runs", "count", "backward"))
    print(f"\nfuzz: {runs} runs, {count} steps, {backward} backward calls")
    # the machine exercised what it is for: many steps per run, and backward in many runs
    assert runs > 0
    assert count >= 10 * runs
    assert backward >= runs // 4


# ------------------------------------------------------------------------------ pinned finds


@pytest.mark.parametrize("op", sorted(UNARY))
def test_ops_on_0d_tensors_give_arrays_that_detach_shares(op: str) -> None:
    # A NumPy ufunc on a 0-d array returns a NumPy scalar, not an array: it must not leak into
    # Tensor.data (the documented live array), or detach() could not share it.
    x = Tensor(np.array(0.3), requires_grad=True)
    y = UNARY[op](x)
    assert type(y.data) is np.ndarray and type(y.detach().numpy()) is np.ndarray
    d = y.detach()
    assert np.shares_memory(d.data, y.data)
    y.backward()
    assert x.grad is not None and type(x.grad.data) is np.ndarray


@pytest.mark.parametrize("owner", ["module", "optimizer"])
def test_in_place_zero_grad_of_a_scalar_parameter_really_zeroes(owner: str) -> None:
    # zero_grad(set_to_none=False) fills .grad with zeros in place; on a NumPy scalar the
    # fill did nothing, so the next backward silently added to the stale gradient.
    m = Leaves()
    m.p = nn.Parameter(np.array(0.5))
    opt = tg.optim.SGD(m.parameters(), lr=0.1)
    once = 1.0 - np.tanh(0.5) ** 2
    for _ in range(3):
        if owner == "module":
            m.zero_grad(set_to_none=False)
        else:
            opt.zero_grad(set_to_none=False)
        m.p.tanh().backward()
        assert m.p.grad is not None
        assert m.p.grad.item() == pytest.approx(once, rel=1e-15)
