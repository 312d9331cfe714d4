"""torch.autograd.backward and torch.autograd.functional against PyTorch: values, nesting, flags."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinygrad_lite as tg  # noqa: E402
import tinygrad_lite.autograd_api  # noqa: E402, F401
from tinygrad_lite import autograd  # noqa: E402
from tinygrad_lite.autograd import functional as F  # noqa: E402

TF = torch.autograd.functional
RNG = np.random.default_rng(0)
A = RNG.standard_normal(3)
B = RNG.standard_normal(3) + 2.0


def both(values, requires_grad):
    """The same float64 inputs for tinygrad_lite and torch."""
    ours = tuple(tg.tensor(v, requires_grad=r) for v, r in zip(values, requires_grad, strict=True))
    theirs = tuple(
        torch.tensor(v, requires_grad=r) for v, r in zip(values, requires_grad, strict=True)
    )
    return ours, theirs


def same(ours, theirs, path="result"):
    """Same nesting, shapes, dtypes, values and requires_grad."""
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), path
        for k, (o, t) in enumerate(zip(ours, theirs, strict=True)):
            same(o, t, f"{path}[{k}]")
        return
    assert isinstance(ours, tg.Tensor), path
    assert ours.shape == tuple(theirs.shape), path
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), path
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert ours.requires_grad == theirs.requires_grad, f"{path}: requires_grad"


FUNCS = {
    "one_one": (lambda x: x * x * x, 1),
    "one_two": (lambda x: (x.exp(), x.sum() * 2.0), 1),
    "two_one": (lambda x, y: x * y * y, 2),
    "two_two": (lambda x, y: (x * y, (x * x).sum() + y.sum()), 2),
    "linear": (lambda x: x * 3.0, 1),
}
SCALARS = {
    "one": (lambda x: (x * x * x).sum(), 1),
    "two": (lambda x, y: (x * x * y).sum() + (y * y).sum(), 2),
    "quad": (lambda x: (x * x).sum(), 1),
}


def _args(n, tuple_form, req):
    values = [A, B][:n]
    ours, theirs = both(values, [req] * n)
    if n == 1 and not tuple_form:
        return ours[0], theirs[0]
    return ours, theirs


@pytest.mark.parametrize("name", list(FUNCS))
@pytest.mark.parametrize("tuple_form", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("req", [False, True])
def test_jacobian_vjp_jvp(name, tuple_form, create_graph, req):
    f, n = FUNCS[name]
    if n == 2 and not tuple_form:
        return
    ours, theirs = _args(n, tuple_form, req)
    same(
        F.jacobian(f, ours, create_graph=create_graph),
        TF.jacobian(f, theirs, create_graph=create_graph),
    )
    out_t = f(*(theirs if isinstance(theirs, tuple) else (theirs,)))
    v_t = tuple(torch.ones_like(o) * 0.5 for o in out_t) if isinstance(out_t, tuple) else None
    v_t = v_t if v_t is not None else torch.full_like(out_t, 0.5)
    v_o = tuple(tg.tensor(v.numpy()) for v in v_t) if isinstance(v_t, tuple) else tg.tensor(v_t)
    same(
        F.vjp(f, ours, v_o, create_graph=create_graph),
        TF.vjp(f, theirs, v_t, create_graph=create_graph),
    )
    ins_t = theirs if isinstance(theirs, tuple) else (theirs,)
    w_t = tuple(torch.linspace(-1.0, 1.0, 3, dtype=torch.float64) for _ in ins_t)
    w_o = tuple(tg.tensor(w.numpy()) for w in w_t)
    if not isinstance(theirs, tuple):
        w_t, w_o = w_t[0], w_o[0]
    same(
        F.jvp(f, ours, w_o, create_graph=create_graph),
        TF.jvp(f, theirs, w_t, create_graph=create_graph),
    )


@pytest.mark.parametrize("name", list(SCALARS))
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("req", [False, True])
def test_hessian_hvp_vhp(name, create_graph, req):
    f, n = SCALARS[name]
    ours, theirs = _args(n, n == 2, req)
    same(
        F.hessian(f, ours, create_graph=create_graph),
        TF.hessian(f, theirs, create_graph=create_graph),
    )
    v = np.linspace(-1.0, 2.0, 3)
    v_o = tuple(tg.tensor(v) for _ in range(n)) if n == 2 else tg.tensor(v)
    v_t = tuple(torch.tensor(v) for _ in range(n)) if n == 2 else torch.tensor(v)
    for ours_fn, theirs_fn in ((F.hvp, TF.hvp), (F.vhp, TF.vhp)):
        same(
            ours_fn(f, ours, v_o, create_graph=create_graph),
            theirs_fn(f, theirs, v_t, create_graph=create_graph),
        )


def test_vectorize_and_forward_mode_give_the_same_values():
    # torch's vmap-based paths cost seconds; their values equal its reverse-mode loop's, and
    # their nesting and flags (lists, every block of a differentiable output requiring grad)
    # are those torch 2.13 gives.
    f = FUNCS["two_two"][0]
    ours, theirs = _args(2, True, True)
    same(F.jacobian(f, ours, vectorize=True), TF.jacobian(f, theirs))
    fwd = {"vectorize": True, "strategy": "forward-mode"}
    mixed = lambda x, c: x * c * c  # noqa: E731
    x, c = tg.tensor(A, requires_grad=True), tg.tensor(B)
    jac = F.jacobian(mixed, (x, c), **fwd)
    assert isinstance(jac, list) and [j.requires_grad for j in jac] == [True, True]
    expected = TF.jacobian(mixed, (torch.tensor(A), torch.tensor(B)))
    for got, want in zip(jac, expected, strict=True):
        np.testing.assert_allclose(got.data, want.numpy())
    g = SCALARS["two"][0]
    hess = F.hessian(g, ours, vectorize=True, outer_jacobian_strategy="forward-mode")
    assert isinstance(hess, list) and all(isinstance(row, list) for row in hess)
    assert all(h.requires_grad for row in hess for h in row)
    for row, want_row in zip(hess, TF.hessian(g, theirs), strict=True):
        for got, want in zip(row, want_row, strict=True):
            np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-12)


def test_no_v_for_one_element_and_results_under_no_grad():
    x, xt = tg.tensor([1.5]), torch.tensor([1.5], dtype=torch.float64)
    f = lambda t: (t * t).sum()  # noqa: E731
    for ours_fn, theirs_fn in ((F.vjp, TF.vjp), (F.jvp, TF.jvp), (F.hvp, TF.hvp)):
        same(ours_fn(f, x), theirs_fn(f, xt))
    with tg.no_grad(), torch.no_grad():
        same(F.vjp(f, x), TF.vjp(f, xt))
        same(F.jacobian(f, x), TF.jacobian(f, xt))


def _errors(ours_call, theirs_call):
    with pytest.raises(Exception) as theirs:
        theirs_call()
    with pytest.raises(type(theirs.value)) as ours:
        ours_call()
    return str(ours.value), str(theirs.value)


def test_strict_errors_match_torch():
    x, xt = tg.tensor(A), torch.tensor(A)
    const = lambda t: t.detach() * 0.0  # noqa: E731 - does not depend on t
    for fn in ("jacobian", "vjp"):
        args = (tg.ones(3),) if fn == "vjp" else ()
        args_t = (torch.ones(3, dtype=torch.float64),) if fn == "vjp" else ()
        o, t = _errors(
            lambda fn=fn, a=args: getattr(F, fn)(const, x, *a, strict=True),
            lambda fn=fn, a=args_t: getattr(TF, fn)(const, xt, *a, strict=True),
        )
        assert o == t
    lin = lambda t: (t * 2.0).sum()  # noqa: E731 - its gradient is constant
    for fn in ("hessian", "hvp", "vhp"):
        extra = () if fn == "hessian" else (tg.ones(3),)
        extra_t = () if fn == "hessian" else (torch.ones(3, dtype=torch.float64),)
        o, t = _errors(
            lambda fn=fn, e=extra: getattr(F, fn)(lin, x, *e, strict=True),
            lambda fn=fn, e=extra_t: getattr(TF, fn)(lin, xt, *e, strict=True),
        )
        assert o == t
    o, t = _errors(
        lambda: F.jacobian(lin, x, strict=True, vectorize=True),
        lambda: TF.jacobian(lin, xt, strict=True, vectorize=True),
    )
    assert "strict=True" in o and "strict=True" in t


def test_v_and_input_errors_match_torch():
    x, xt = tg.tensor(A), torch.tensor(A)
    f = lambda t: t * t  # noqa: E731
    cases = [
        ("vjp", (f, x, tg.ones(2)), (f, xt, torch.ones(2))),
        ("vjp", (f, x), (f, xt)),
        ("jvp", (f, (x, x), (tg.ones(3),)), (f, (xt, xt), (torch.ones(3),))),
        ("jvp", (f, (x,), (tg.ones(3), tg.ones(2))), (f, (xt,), (torch.ones(3), torch.ones(2)))),
        ("hvp", (lambda t: t, x, tg.ones(3)), (lambda t: t, xt, torch.ones(3))),
        ("hessian", (lambda t: (t, t), x), (lambda t: (t, t), xt)),
        ("hessian", (f, x), (f, xt)),
        ("jacobian", (f, [x]), (f, [xt])),
        ("jacobian", (lambda t: [t], x), (lambda t: [t], xt)),
        ("jacobian", (f, (x, 1.0)), (f, (xt, 1.0))),
    ]
    for name, ours_args, theirs_args in cases:
        o, t = _errors(
            lambda n=name, a=ours_args: getattr(F, n)(*a),
            lambda n=name, a=theirs_args: getattr(TF, n)(*a),
        )
        if "single element" in t:
            assert o.startswith(t)  # ours adds the shape
        else:
            assert o == t.replace("torch.Tensor", "tinygrad_lite.tensor.Tensor").replace(
                "torch.Size([3])", "(3,)"
            ).replace("torch.Size([2])", "(2,)")
    for kw in ({"strategy": "forward-mode"}, {"strategy": "forward-mode", "create_graph": True}):
        _errors(lambda kw=kw: F.jacobian(f, x, **kw), lambda kw=kw: TF.jacobian(f, xt, **kw))


def _leaves(req=(True, True)):
    ours, theirs = both([A, B], list(req))
    return ours, theirs


@pytest.mark.parametrize("use_inputs", [False, True])
def test_backward_of_several_tensors(use_inputs):
    (x, y), (xt, yt) = _leaves()
    roots = lambda a, b: [(a * b).sum(), a * a, b.exp().sum() * a]  # noqa: E731
    v = RNG.standard_normal(3)
    grads_o = [None, tg.tensor(v), tg.tensor(v[::-1].copy())]
    grads_t = [None, torch.tensor(v), torch.tensor(v[::-1].copy())]
    inputs_o = [y] if use_inputs else None
    inputs_t = [yt] if use_inputs else None
    autograd.backward(roots(x, y), grads_o, inputs=inputs_o)
    torch.autograd.backward(roots(xt, yt), grads_t, inputs=inputs_t)
    for ours, theirs in ((x, xt), (y, yt)):
        if theirs.grad is None:
            assert ours.grad is None
        else:
            np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12)


def test_backward_accumulates_creates_graph_and_casts():
    (x, _), (xt, _) = _leaves()
    autograd.backward([x * x, x], [tg.ones(3, dtype=tg.float32), tg.ones(3)], create_graph=True)
    torch.autograd.backward(
        [xt * xt, xt], [torch.ones(3), torch.ones(3, dtype=torch.float64)], create_graph=True
    )
    same(x.grad, xt.grad)
    autograd.backward(x.sum())
    torch.autograd.backward(xt.sum())
    np.testing.assert_allclose(x.grad.data, xt.grad.detach().numpy())


def test_backward_errors_match_torch():
    (x, _), (xt, _) = _leaves()
    cases = [
        (lambda m, t: m([t * 2, t.sum()], [t.detach()]), "got 2 tensors and 1 gradients"),
        (lambda m, t: m([t.sum(), t.detach()]), "element 1 of tensors does not require grad"),
        (lambda m, t: m([t.sum(), t * 3]), "implicitly created only for"),
        (lambda m, t: m([t.sum()], inputs=[]), "cannot be empty"),
        (lambda m, t: m([t * 2], [t.detach()[:2]]), "shape"),
    ]
    for call, words in cases:
        with pytest.raises(RuntimeError) as theirs:
            call(torch.autograd.backward, xt)
        with pytest.raises(RuntimeError, match=words) as ours:
            call(autograd.backward, x)
        assert type(ours.value) is type(theirs.value)
    with pytest.raises(TypeError):
        torch.autograd.backward([xt.sum()], [[1.0]])
    with pytest.raises(TypeError, match="grad_tensors\\[0\\] is a list"):
        autograd.backward([x.sum()], [[1.0]])
