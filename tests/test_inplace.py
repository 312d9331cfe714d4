"""In-place ops (`+=`, `add_`, `zero_`, `x[i] = v`, ...) and the refusal of stale saved values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_lite as tg
from tinygrad_lite import Tensor, nn, no_grad, optim

DTYPES = [np.bool_, np.int32, np.int64, np.float32, np.float64]
IN_PLACE: dict[str, Callable[[Tensor, Any], Any]] = {
    "add": lambda t, o: t.__iadd__(o),
    "sub": lambda t, o: t.__isub__(o),
    "mul": lambda t, o: t.__imul__(o),
    "div": lambda t, o: t.__itruediv__(o),
}
OUT_OF_PLACE: dict[str, Callable[[Tensor, Any], Tensor]] = {
    "add": lambda t, o: t + o,
    "sub": lambda t, o: t - o,
    "mul": lambda t, o: t * o,
    "div": lambda t, o: t / o,
}


def _castable(src: np.dtype[Any], dst: np.dtype[Any]) -> bool:
    """PyTorch's rule, written out: float into int, or non-bool into bool, is refused."""
    if src.kind == "f" and dst.kind in "iub":
        return False
    return not (src.kind != "b" and dst.kind == "b")


def _net_and_data(seed: int = 0) -> tuple[nn.Module, Tensor, Tensor]:
    tg.manual_seed(seed)
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    rng = np.random.default_rng(seed)
    return net, Tensor(rng.standard_normal((8, 3))), Tensor(rng.standard_normal((8, 1)))


def _loss(net: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    return ((net(x) - y) ** 2).mean()


# ------------------------------------------------------------------ the manual update


@pytest.mark.parametrize("form", ["-=", "sub_", "data"])
def test_a_hand_written_sgd_loop_trains_exactly_as_optim_sgd(form: str) -> None:
    net, x, y = _net_and_data()
    ref, _, _ = _net_and_data()
    opt = optim.SGD(ref.parameters(), lr=0.1)
    for _ in range(5):
        for p in net.parameters():
            p.grad = None
        _loss(net, x, y).backward()
        with no_grad():
            for p in net.parameters():  # the loop variable is the parameter itself
                if form == "-=":
                    p -= 0.1 * p.grad
                elif form == "sub_":
                    p.sub_(p.grad * 0.1)
                else:
                    p.data -= p.grad.data * 0.1
        opt.zero_grad()
        _loss(ref, x, y).backward()
        opt.step()
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        assert p.requires_grad and p.is_leaf
        assert p.data.tobytes() == q.data.tobytes()


def test_zero_clears_a_gradient_in_place() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    g = w.grad
    assert g is not None
    assert g.zero_() is g
    assert w.grad is g and g.tolist() == [0.0, 0.0]
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_a_leaf_that_requires_grad_is_refused_while_gradients_are_recorded() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    for change in (
        lambda: w.__iadd__(1.0),
        lambda: w.mul_(2.0),
        lambda: w.zero_(),
        lambda: w.fill_(3.0),
        lambda: w.copy_(np.zeros(2)),
        lambda: w.__setitem__(0, 5.0),
    ):
        with pytest.raises(RuntimeError, match="leaf that requires grad"):
            change()
        assert w.tolist() == [1.0, 2.0]


# ------------------------------------------------------------------ values, dtypes, shapes


@given(
    op=st.sampled_from(sorted(IN_PLACE)),
    dt=st.sampled_from(DTYPES),
    odt=st.sampled_from(DTYPES + ["int", "float"]),
    seed=st.integers(0, 2**16),
)
def test_in_place_equals_the_out_of_place_result_cast_or_refuses(
    op: str, dt: Any, odt: Any, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    base = rng.integers(0 if dt is np.bool_ else 1, 5, (2, 3)).astype(dt)
    if odt == "int":
        other: Any = int(rng.integers(1, 4))
    elif odt == "float":
        other = float(rng.integers(1, 8)) / 4
    else:
        other = Tensor(rng.integers(1, 5, (3,)).astype(odt))
    t = Tensor(base.copy())
    view = t.data  # the same array: an in-place op writes into it
    try:
        expected = OUT_OF_PLACE[op](Tensor(base.copy()), other)
    except (TypeError, ValueError) as e:  # the op itself refuses these operands
        with pytest.raises(type(e)):
            IN_PLACE[op](t, other)
        assert t.data.tobytes() == base.tobytes()
        return
    if not _castable(expected.dtype, np.dtype(dt)):
        with pytest.raises(TypeError, match="cannot be written into a tensor of dtype"):
            IN_PLACE[op](t, other)
        assert t.data.tobytes() == base.tobytes()
        return
    assert IN_PLACE[op](t, other) is t
    assert t.data is view and t.dtype == np.dtype(dt)
    assert t.data.tobytes() == expected.data.astype(dt).tobytes()


def test_the_tensor_keeps_its_shape() -> None:
    t = Tensor(np.zeros(3))
    t += np.arange(3.0)  # the other operand broadcasts
    assert t.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match=r"result has shape \(2, 3\), the tensor \(3,\)"):
        t += np.ones((2, 3))
    assert t.tolist() == [0.0, 1.0, 2.0]


def test_writes_reach_every_array_that_shares_the_memory() -> None:
    a = np.zeros(4)
    t = Tensor(a)  # wraps `a`, as torch.from_numpy
    row = t[1:3]  # a view
    t += 1.0
    t[0] = 7.0
    assert a.tolist() == [7.0, 1.0, 1.0, 1.0]
    assert row.tolist() == [1.0, 1.0]
    row.mul_(3.0)
    assert t.tolist() == [7.0, 3.0, 3.0, 1.0]


def test_an_operand_that_overlaps_the_tensor_is_read_before_it_is_written() -> None:
    a = np.arange(6.0)
    x = Tensor(a.copy())
    x[1:] -= x[:-1]  # each element minus its old left neighbour, as NumPy computes it
    a[1:] -= a[:-1].copy()
    assert x.tolist() == a.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    y = Tensor(np.array([1.5, -2.0]))
    y *= y
    assert y.tolist() == [2.25, 4.0]


def test_read_only_arrays_are_refused() -> None:
    a = np.zeros(2)
    a.flags.writeable = False
    t = Tensor(a)
    with pytest.raises(ValueError, match="read-only"):
        t += 1.0
    with pytest.raises(ValueError, match="read-only"):
        t[0] = 1.0


def test_fill_copy_and_item_assignment_cast_as_assignment_does() -> None:
    t = Tensor(np.zeros((2, 3), dtype=np.int64))
    t.fill_(2.7)  # truncated, as PyTorch's fill_
    assert t.tolist() == [[2, 2, 2], [2, 2, 2]]
    t.copy_(np.array([1.5, -2.5, 3.0]))  # broadcast over the rows
    assert t.tolist() == [[1, -2, 3], [1, -2, 3]]
    t[t > 0] = 9
    t[Tensor(np.array([0])), 1] = Tensor(np.array([4]))
    assert t.tolist() == [[9, 4, 9], [9, -2, 9]]
    with pytest.raises(ValueError, match="does not broadcast"):
        t.copy_(np.zeros(2))
    with pytest.raises(ValueError, match="one number"):
        t.fill_(np.zeros(2))


def test_item_assignment_and_fills_refuse_when_gradients_would_be_lost() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    with pytest.raises(RuntimeError, match="not recorded for backward"):
        h[0] = 0.0
    x = Tensor(np.zeros(2))
    with pytest.raises(RuntimeError, match="not recorded for backward"):
        x[0] = w[0]
    with pytest.raises(RuntimeError, match="not recorded for backward"):
        x.copy_(w)
    with no_grad():
        x[0] = w[0]
        x.copy_(w)  # values only, without a graph
    assert x.tolist() == [1.0, 2.0] and not x.requires_grad


# ------------------------------------------------------------------ recorded in-place ops


def test_a_recorded_in_place_op_differentiates_as_its_out_of_place_form() -> None:
    a = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    b = Tensor(np.array([0.3, 0.2, -1.0]), requires_grad=True)
    y = a.tanh()
    same = y
    y *= b
    y += a
    assert y is same and y.grad_fn is not None and not y.is_leaf
    (y * y).sum().backward()
    ta, tb = np.tanh(a.data), b.data
    val = ta * tb + a.data
    np.testing.assert_allclose(y.data, val, rtol=1e-15)
    np.testing.assert_allclose(a.grad.data, 2 * val * ((1 - ta**2) * tb + 1), rtol=1e-14)
    np.testing.assert_allclose(b.grad.data, 2 * val * ta, rtol=1e-14)


def test_a_loss_summed_with_plus_equals_backpropagates_every_term() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    total = Tensor(0.0)  # a constant leaf: += makes it part of the graph
    for k in range(1, 4):
        total += (w * float(k)).sum()
    assert total.requires_grad and not total.is_leaf
    total.backward()
    assert w.grad.tolist() == [6.0, 6.0]


def test_a_recorded_result_is_cast_back_to_the_tensors_dtype() -> None:
    a = Tensor(np.ones(2, np.float32), requires_grad=True)
    y = a * 1.0
    y += Tensor(np.array([0.1, 0.2]), requires_grad=True)  # float64 operand
    assert y.dtype == np.float32
    y.sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.tolist() == [1.0, 1.0]


# ------------------------------------------------------------------ stale saved values


def test_an_optimizer_step_between_forward_and_backward_is_refused_through_a_transpose() -> None:
    net, x, y = _net_and_data()
    loss = _loss(net, x, y)  # Linear saves Wᵀ (a view of W) for the gradient of its input
    last = net[2]
    opt = optim.SGD(last.parameters(), lr=1.0)
    for p in last.parameters():
        p.grad = Tensor(np.ones_like(p.data))
    opt.step()
    with pytest.raises(RuntimeError, match="modified in place after the op used it"):
        loss.backward()
    assert all(p.grad is None for p in net[0].parameters())  # nothing was written
    loss2 = _loss(net, x, y)  # a fresh graph reads the new values
    loss2.backward()
    assert net[0].weight.grad is not None


@pytest.mark.parametrize(
    "write",
    [
        lambda x: x.__iadd__(1.0),
        lambda x: x.__setitem__((0, 0), 5.0),
        lambda x: x.T.mul_(2.0),  # through a view
        lambda x: x.copy_(x.data + 1),
    ],
)
def test_writing_into_an_input_a_graph_saved_is_refused(write: Callable[[Tensor], Any]) -> None:
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    x = Tensor(np.arange(6.0).reshape(2, 3))  # data: does not require grad
    out = (x @ w).sum()  # the product saves x for w's gradient
    write(x)
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()
    assert w.grad is None


def test_writes_elsewhere_leave_a_graph_alone() -> None:
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    x = Tensor(np.arange(6.0).reshape(2, 3))
    other = Tensor(np.zeros(3))
    out = (x @ w).sum()
    other += 1.0
    x2 = x + 0.0  # a new array: writing into it changes nothing the graph saved
    x2 += 1.0
    out.backward()
    assert w.grad.tolist() == [[3.0, 3.0], [5.0, 5.0], [7.0, 7.0]]


def test_load_state_dict_between_forward_and_backward_is_refused() -> None:
    net, x, y = _net_and_data()
    loss = _loss(net, x, y)
    net.load_state_dict({k: v + 1.0 for k, v in net.state_dict().items()})
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


# ------------------------------------------------------------------ PyTorch


def test_in_place_results_and_refusals_equal_pytorchs() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    to_torch = {np.bool_: torch.bool, np.int32: torch.int32, np.int64: torch.int64}
    to_torch.update({np.float32: torch.float32, np.float64: torch.float64})
    compared = 0
    for op in IN_PLACE:
        for dt in DTYPES:
            for odt in DTYPES:
                a = rng.integers(1, 5, (2, 3)).astype(dt)
                b = rng.integers(1, 5, (3,)).astype(odt)
                if op == "sub" and np.dtype(odt).kind == "b" and np.dtype(dt).kind != "b":
                    continue  # x - mask: NumPy's (and so our) sub computes it, PyTorch refuses
                ta, tb = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
                try:
                    getattr(ta, f"{op}_")(tb)
                    torch_error = None
                except RuntimeError as e:
                    torch_error = e
                t = Tensor(a.copy())
                try:
                    IN_PLACE[op](t, Tensor(b.copy()))
                    ours = None
                except (TypeError, ValueError) as e:
                    ours = e
                assert (torch_error is None) == (ours is None), (op, dt, odt, torch_error, ours)
                if ours is None:
                    assert t.dtype == np.dtype(dt)
                    assert t.data.tobytes() == ta.numpy().tobytes(), (op, dt, odt)
                compared += 1
    assert compared == 96
    # the manual update and the refusal on a leaf
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w += 1.0


# ------------------------------------------------------------------ compiled steps


def _compiled_variant(
    variant: str,
) -> tuple[Callable[..., Any], Any, list[nn.Module]]:
    """The same step (a hand-written update), eager and compiled, on two equal networks."""
    nets = [_net_and_data(4)[0] for _ in range(2)]

    def make(net: nn.Module) -> Callable[[Tensor, Tensor], Tensor]:
        def step(x: Tensor, y: Tensor) -> Tensor:
            for p in net.parameters():
                p.grad = None
            h = net(x)
            loss = ((h - y) ** 2).mean()
            if variant == "op result":
                loss += (h * h).mean()  # recorded: an op made `loss`
            elif variant == "made by the step":
                total = Tensor(0.0)
                total += loss
                loss = total
            elif variant == "written by the step":
                mask = Tensor(np.zeros((8, 1)))
                mask[0] = 1.0
                loss = loss + (h * mask).sum()
            elif variant == "new data":
                c = Tensor(np.ones((8, 1)))
                loss = loss + (h * c).sum()
                c.data = h.data * 2.0
            loss.backward()
            with no_grad():
                for p in net.parameters():
                    p -= 0.05 * p.grad
            return loss

        return step

    return make(nets[0]), tg.compile(make(nets[1])), nets


def test_a_compiled_hand_written_update_equals_eager_and_stamps_the_parameters() -> None:
    eager, compiled, (net_e, net_c) = _compiled_variant("plain")
    _, x, y = _net_and_data(4)
    for _ in range(4):
        assert eager(x, y).data.tobytes() == compiled(x, y).data.tobytes()
    for p, q in zip(net_e.parameters(), net_c.parameters(), strict=True):
        assert p.data.tobytes() == q.data.tobytes()
    assert compiled.traces == 1
    old = _loss(net_c, x, y)  # a graph made before a replay
    compiled(x, y)
    with pytest.raises(RuntimeError, match="modified in place"):
        old.backward()


@pytest.mark.parametrize("variant", ["op result"])
def test_a_compiled_recorded_in_place_op_on_an_op_result_equals_eager(variant: str) -> None:
    eager, compiled, _ = _compiled_variant(variant)
    _, x, y = _net_and_data(4)
    for _ in range(4):
        assert eager(x, y).data.tobytes() == compiled(x, y).data.tobytes()


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("made by the step", r"\+= on a tensor \(shape \(\)\) that the step made"),
        ("written by the step", "item assignment on a tensor .* that the step made"),
        ("new data", "a new .data to a tensor of shape .* that it made itself"),
    ],
)
def test_compile_refuses_changes_a_replay_would_carry_into_the_next(
    variant: str, message: str
) -> None:
    # A tensor the step makes is a constant of the plan: changing it in place (or giving it a
    # new array after an op read it) would start each replay from the last one's value.
    eager, compiled, _ = _compiled_variant(variant)
    _, x, y = _net_and_data(4)
    eager(x, y)  # eager runs it
    with pytest.raises(tg.TraceError, match=message):
        compiled(x, y)
