"""compile(step, backend="fused"): numba loops for elementwise chains, agreeing with NumPy's.

The fused backend changes rounding (its transcendental functions are a few ulp from NumPy's,
numba may contract a·b + c into one FMA, and fused sums add in another order), so it is
compared with the NumPy backend to 1e-12 relative to the *magnitudes involved*: for every
value, the bound is 1e-12 × the same value computed with absolute values throughout (terms of a
sum added as |t|, 1 − A² as 1 + A², σ − Y as σ + Y), which is what any reordering of the same
sums is accurate to. Each step starts both models from the same weights (the NumPy backend's),
so the comparison is per step.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lite as tg
from models.deep import DeepNet
from models.training import make_train_step
from models.two_layer import TwoLayerNet
from tinygrad_lite import Tensor, nn, optim
from tinygrad_lite.datasets import load_planar_dataset

pytest.importorskip("numba")

from tinygrad_lite import fused  # noqa: E402

RTOL = 1e-12


def layers(net) -> list[tuple[np.ndarray, np.ndarray]]:
    p = dict(net.named_parameters())
    return [(p[f"W{i}"].data, p[f"b{i}"].data) for i in range(1, len(p) // 2 + 1)]


def magnitudes(weights, hidden: str, X: np.ndarray, Y: np.ndarray):
    """Cost and gradients computed with absolute values: the scale of their rounding errors."""
    m = X.shape[1]
    A, absA, acts = X, np.abs(X), []
    for i, (W, b) in enumerate(weights):
        Z = W @ A + b
        acts.append((A, absA, Z))
        if i < len(weights) - 1:
            A = np.tanh(Z) if hidden == "tanh" else np.maximum(Z, 0)
            # the activation of the pre-activation's terms added as |t| (not |A|: where the
            # sum cancels, A is tiny but carries the rounding of its large terms)
            absZ = np.abs(W) @ absA + np.abs(b)
            absA = np.tanh(absZ) if hidden == "tanh" else absZ
    with np.errstate(over="ignore"):
        s = 1 / (1 + np.exp(-Z))
    cost = np.sum(np.maximum(Z, 0) + np.abs(Z * Y) + np.log1p(np.exp(-np.abs(Z)))) / m
    dZ = (s + Y) / m
    grads = []
    for i in range(len(weights) - 1, -1, -1):
        A_prev, absA_prev, _ = acts[i]
        grads.append((dZ @ absA_prev.T, dZ.sum(axis=1, keepdims=True)))
        if i:
            dA = np.abs(weights[i][0]).T @ dZ
            Zp = acts[i - 1][2]
            if hidden == "tanh":
                T = np.tanh(Zp)
                dZ = dA * (1 + T * T)
            else:
                dZ = dA * (Zp > 0)
    return cost, grads[::-1]


def assert_close(got, want, scale, what):
    err = np.abs(np.asarray(got) - np.asarray(want))
    bound = RTOL * np.asarray(scale)
    worst = np.max(err - bound)
    assert worst <= 0, f"{what}: |fused - numpy| exceeds 1e-12 x magnitude by {worst:.3g}"


# Few examples, and deep nets of one width: each new loop structure costs a numba compile
# (about 0.25 s, then cached on disk).
@settings(max_examples=12, deadline=None)
@given(
    kind=st.sampled_from(["two_layer", "deep_tanh", "deep_relu"]),
    n_x=st.integers(2, 4),  # (n_x = 1 makes W1·X a broadcast product: loops of another shape)
    n_h=st.integers(1, 256),
    m=st.integers(1, 5000),
    depth=st.integers(1, 2),
    steps=st.integers(1, 3),
    lr=st.sampled_from([0.01, 1.2]),
    weight_scale=st.sampled_from([1.0, 30.0]),
    seed=st.integers(0, 2**16),
)
def test_fused_agrees_with_numpy_per_step(kind, n_x, n_h, m, depth, steps, lr, weight_scale, seed):
    rng = np.random.default_rng(seed)
    if kind == "two_layer":
        build, hidden = (lambda: TwoLayerNet(n_x, n_h, seed=seed % 1000)), "tanh"
    else:
        hidden = kind.split("_")[1]
        dims = [n_x] + [n_h] * depth + [1]
        build = lambda: DeepNet(dims, hidden=hidden, seed=seed % 1000)  # noqa: E731
    ref, net = build(), build()
    for p in ref.parameters():
        p.data[...] = p.data * weight_scale
    for p, q in zip(ref.parameters(), net.parameters(), strict=True):
        q.data[...] = p.data
    slow = tg.compile(make_train_step(ref, optim.SGD(ref.parameters(), lr=lr)))
    fast = tg.compile(make_train_step(net, optim.SGD(net.parameters(), lr=lr)), backend="fused")
    for k in range(steps):
        X = rng.standard_normal((n_x, m)) * (1 + 2 * k)
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        before = [(W.copy(), b.copy()) for W, b in layers(ref)]
        cost_scale, grad_scales = magnitudes(before, hidden, X, Y)
        c_ref, c_fast = slow(X, Y), fast(X, Y)
        assert_close(c_fast.item(), c_ref.item(), cost_scale, f"cost at step {k}")
        params = dict(ref.named_parameters())
        for i, ((gW, gb), (W, b)) in enumerate(zip(grad_scales, before, strict=True), 1):
            for name, g_scale, p_before in ((f"W{i}", gW, W), (f"b{i}", gb, b)):
                mine, theirs = dict(net.named_parameters())[name], params[name]
                assert_close(mine.grad.data, theirs.grad.data, g_scale, f"d{name} at step {k}")
                assert_close(
                    mine.data, theirs.data, np.abs(p_before) + lr * g_scale, f"{name} at step {k}"
                )
        for p, q in zip(ref.parameters(), net.parameters(), strict=True):
            q.data[...] = p.data  # the next step starts from the same weights
    assert fast.traces == slow.traces == 1


# -- the compile semantics, unchanged ----------------------------------------------------------
# These steps use positive inputs and weights and targets 1, so that no sum cancels and the two
# backends agree to 1e-12 element by element.


def positive_twins(n_x=2, n_h=4, m=50, seed=0):
    nets = [TwoLayerNet(n_x, n_h, seed=seed), TwoLayerNet(n_x, n_h, seed=seed)]
    for net in nets:
        for p in net.parameters():
            p.data[...] = np.abs(p.data) * 50 + 0.01
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.1, 1.0, (n_x, m))
    return nets, X, np.ones((1, m))


def assert_same_training(a, b):
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        np.testing.assert_allclose(q.data, p.data, rtol=RTOL, atol=0, err_msg=name)
        np.testing.assert_allclose(q.grad.data, p.grad.data, rtol=RTOL, atol=0, err_msg=name)


def test_the_tutorial_step_becomes_three_loops_around_blas() -> None:
    net = TwoLayerNet(2, 4)
    step = tg.compile(make_train_step(net, optim.SGD(net.parameters(), lr=1.2)), backend="fused")
    X, Y = load_planar_dataset()
    step(X, Y)
    src = step.source
    fused_lines = [line.split("# fused: ")[1] for line in src.splitlines() if "# fused: " in line]
    assert fused_lines == [
        "add tanh",  # Z1 = W1·X + b1, A1 = tanh(Z1)
        "absolute negative exp sign maximum add divide maximum multiply subtract log1p "
        "add sum subtract multiply sum",  # the logits' cost and dZ2/m = (σ(Z2) − Y)/m, db2
        "multiply multiply subtract multiply sum",  # dZ1 = W2ᵀ·dZ2 ⊙ (1 − A1²), db1
    ]
    assert src.count("np.dot(") == 4  # the products stay BLAS (np.dot: less overhead)
    for gone in ("np.tanh(", "np.exp(", "np.log1p(", "np.add.reduce("):
        assert gone not in src
    assert "v3 = v1" in src and "v29 = v3" in src  # A1 and dZ1 written over W1·X
    kernels = fused.kernel_sources(step)
    assert list(kernels) == ["_k0", "_k1", "_k2"]
    assert "_tanh(" in kernels["_k0"] and "_rowsum(" in kernels["_k2"]


def test_value_checks_and_optimizer_calls_are_replayed() -> None:
    (ref, net), X, Y = positive_twins()
    opts = [optim.SGD(n.parameters(), lr=0.1, momentum=0.9) for n in (ref, net)]
    slow = tg.compile(make_train_step(ref, opts[0]))
    fast = tg.compile(make_train_step(net, opts[1]), backend="fused")
    for _ in range(4):
        np.testing.assert_allclose(fast(X, Y).item(), slow(X, Y).item(), rtol=RTOL)
        assert_same_training(ref, net)
    bad = Y.copy()
    bad[0, 3] = 1.5
    with pytest.raises(ValueError, match="must lie in"):
        fast(X, bad)
    assert fast.traces == 1


def test_random_draws_are_fresh_on_every_replay() -> None:
    def build():
        net = DeepNet(
            [3, 8, 6, 1], keep_prob=0.7, generator=np.random.default_rng(5), hidden="relu"
        )
        for p in net.parameters():
            p.data[...] = np.abs(p.data) * 50 + 0.01
        return net

    ref, net = build(), build()
    slow = tg.compile(make_train_step(ref, optim.SGD(ref.parameters(), lr=0.1)))
    fast = tg.compile(make_train_step(net, optim.SGD(net.parameters(), lr=0.1)), backend="fused")
    X = np.random.default_rng(1).uniform(0.1, 1.0, (3, 40))
    costs = []
    for _ in range(3):
        costs.append(fast(X, np.ones((1, 40))).item())
        np.testing.assert_allclose(costs[-1], slow(X, np.ones((1, 40))).item(), rtol=RTOL)
        assert_same_training(ref, net)
    assert len(set(costs)) == 3


def test_guards_and_refusals_behave_as_with_numpy() -> None:
    (net, _), X, Y = positive_twins()
    fast = tg.compile(make_train_step(net, optim.SGD(net.parameters(), lr=0.1)), backend="fused")
    fast(X, Y)
    fast(X, Y)
    net.b1.requires_grad = False
    fast(X, Y)
    assert fast.traces == 2 and net.b1.grad is None
    fast(X[:, :7], Y[:, :7])
    assert fast.traces == 3

    def reads(x, y):
        cost = net.cost(x, y)
        if cost > 1:  # a Python branch on a value
            return cost
        return cost

    with pytest.raises(tg.TraceError, match=r"bool\(\)"):
        tg.compile(reads, backend="fused")(X, Y)


def test_kernels_are_cached_by_structure_not_size() -> None:
    for n_h, m in ((5, 30), (9, 70)):  # the same structure, other sizes
        (net, _), X, Y = positive_twins(n_h=n_h, m=m)
        step = make_train_step(net, optim.SGD(net.parameters(), lr=0.1))
        fast = tg.compile(step, backend="fused")
        fast(X, Y)
        fast(X, Y)
        if n_h == 5:
            compiled = fused.KERNELS.compiled
            signatures = {id(k): len(k.signatures) for k in fused.KERNELS._kernels.values()}
    assert fused.KERNELS.compiled == compiled
    assert {id(k): len(k.signatures) for k in fused.KERNELS._kernels.values()} == signatures


def test_returned_values_are_not_overwritten_and_threads_have_their_own_buffers() -> None:
    W = Tensor(np.random.default_rng(0).standard_normal((64, 4)), requires_grad=True)

    def step(x):
        W.grad = None
        h = (W @ x).tanh()
        loss = (h * h).mean()
        loss.backward()
        return h, loss

    fast = tg.compile(step, backend="fused")
    inputs = [np.random.default_rng(k).standard_normal((4, 300)) for k in range(12)]
    expected = [step(Tensor(a))[0].data.copy() for a in inputs]
    first = fast(Tensor(inputs[0]))[0]
    kept = first.data.copy()
    results: dict[int, np.ndarray] = {}

    def worker(ids):
        for i in ids:
            results[i] = fast(Tensor(inputs[i]))[0].data

    import threading

    threads = [threading.Thread(target=worker, args=(range(k, 12, 3),)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(first.data, kept)
    for i in range(12):
        np.testing.assert_allclose(results[i], expected[i], rtol=RTOL, atol=1e-300)


def test_float32_steps_stay_float32() -> None:
    def build():
        model = nn.Sequential(
            nn.Linear(3, 16, seed=1, dtype=np.float32),
            nn.Tanh(),
            nn.Linear(16, 1, seed=2, dtype=np.float32),
        )
        return model

    def step_of(model):
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = tg.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step

    a, b = build(), build()
    slow, fast = tg.compile(step_of(a)), tg.compile(step_of(b), backend="fused")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3)).astype(np.float32)
    y = rng.standard_normal((50, 1)).astype(np.float32)
    for _ in range(3):
        la, lb = slow(x, y), fast(x, y)
        assert lb.dtype == np.float32
        np.testing.assert_allclose(lb.item(), la.item(), rtol=1e-6)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert q.data.dtype == np.float32
        np.testing.assert_allclose(q.data, p.data, rtol=1e-5, atol=1e-6)


RETURNS = {
    "activation": lambda net, cost, h: (cost, h),  # h's array is the one dZ1 would overwrite
    "transposed": lambda net, cost, h: h.T,
    "row": lambda net, cost, h: h[0],
    "nested": lambda net, cost, h: {"cost": cost.detach(), "h": [h.detach(), (h * 2,)]},
    "gradient": lambda net, cost, h: net.W1.grad * 1.0,
}


@pytest.mark.parametrize("ret", sorted(RETURNS))
def test_returned_values_are_never_written_over(ret) -> None:
    (ref, net), X, Y = positive_twins(n_h=64, m=300)

    def make(model):
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            h = (model.W1 @ x + model.b1).tanh()
            cost = tg.functional.binary_cross_entropy_with_logits(model.W2 @ h + model.b2, y)
            cost.backward()
            out = RETURNS[ret](model, cost, h)
            opt.step()
            return out

        return step

    def arrays(value):
        if isinstance(value, Tensor):
            return [value.data]
        if isinstance(value, dict):
            return [a for v in value.values() for a in arrays(v)]
        if isinstance(value, (list, tuple)):
            return [a for v in value for a in arrays(v)]
        return []

    slow, fast = tg.compile(make(ref)), tg.compile(make(net), backend="fused")
    kept = []
    for k in range(3):
        x = X * (k + 1)
        want, got = arrays(slow(x, Y)), arrays(fast(x, Y))
        for a, b in zip(want, got, strict=True):
            np.testing.assert_allclose(b, a, rtol=RTOL, atol=0)
        kept.append((got, [a.copy() for a in got]))
    for got, copies in kept:  # later calls left the earlier results alone
        for a, b in zip(got, copies, strict=True):
            np.testing.assert_array_equal(a, b)
