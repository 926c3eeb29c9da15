"""Lookahead against pytorch-optimizer's Lookahead (float64), exact resume, equivalences."""
import numpy as np
import pytest

from tinyopt import optim
from tinyopt.nn import Parameter
from tinyopt.optim.lookahead import Lookahead

from frontier_helpers import initial_arrays, run_steps, smooth_grads

SHAPES = ((4, 3), (5,), (2, 3))


def _run_ours(make, n_steps, save_at=None, executor="numpy"):
    return run_steps(make, n_steps, SHAPES, save_at, executor)


CASES = [  # (k, alpha, pullback, our base, torch base name, base kwargs)
    (5, 0.5, "none", optim.Adam, "Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)),
    (3, 0.8, "reset", optim.SGD, "SGD", dict(lr=0.02, momentum=0.9, nesterov=True)),
    (4, 0.3, "pullback", optim.SGD, "SGD", dict(lr=0.02, momentum=0.9, dampening=0.0)),
    (1, 0.6, "none", optim.SGD, "SGD", dict(lr=0.02)),
]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("k, alpha, pullback, ours_base, theirs_base, kwargs", CASES)
def test_matches_pytorch_optimizer_and_resumes_exactly(executor, k, alpha, pullback, ours_base,
                                                       theirs_base, kwargs):
    torch = pytest.importorskip("torch")
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    theirs = pytorch_optimizer.Lookahead(getattr(torch.optim, theirs_base)(params, **kwargs),
                                         k=k, alpha=alpha, pullback_momentum=pullback)
    n = 120
    for step in range(n):
        for p, g in zip(params, smooth_grads([p.detach().numpy() for p in params], step)):
            p.grad = torch.tensor(g)
        theirs.step()
    make = lambda ps: Lookahead(ours_base(ps, **kwargs), k=k, alpha=alpha,  # noqa: E731
                                pullback_momentum=pullback)
    ours, _ = _run_ours(make, n, executor=executor)
    resumed, _ = _run_ours(make, n, save_at=n // 2 + 1, executor=executor)
    for mine, other, again in zip(ours, params, resumed):
        np.testing.assert_allclose(mine, other.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)


def test_resume_keeps_the_slow_weights():
    """A resume that lost φ (restarting it at θ) would end elsewhere: the saved φ is used."""
    make = lambda ps: Lookahead(optim.SGD(ps, lr=0.02, momentum=0.9), k=7)  # noqa: E731
    params = [Parameter(x) for x in initial_arrays(SHAPES)]
    opt = make(params)
    for step in range(10):
        for p, g in zip(params, smooth_grads([p.array for p in params], step)):
            p.grad = g
        opt.step()
    saved = opt.state_dict()
    assert saved["lookahead"]["counter"] == 3
    fresh = make(params)
    assert not np.array_equal(fresh.state[params[0]]["slow_params"],
                              opt.state[params[0]]["slow_params"])
    fresh.load_state_dict(saved)
    np.testing.assert_array_equal(fresh.state[params[0]]["slow_params"],
                                  opt.state[params[0]]["slow_params"])


def test_alpha_one_is_the_base_optimizer():
    ours, _ = _run_ours(lambda ps: Lookahead(optim.Adam(ps, lr=0.01), k=3, alpha=1.0), 60)
    base, _ = _run_ours(lambda ps: optim.Adam(ps, lr=0.01), 60)
    for mine, other in zip(ours, base):
        np.testing.assert_array_equal(mine, other)


def test_state_bytes_count_the_slow_weights():
    _, opt = _run_ours(lambda ps: Lookahead(optim.Adam(ps, lr=0.01)), 2)
    elements = sum(int(np.prod(s)) for s in SHAPES)
    assert opt.state_bytes() == 3 * 8 * elements   # Adam's m, v and φ, float64


def test_bad_arguments_and_wrapping_twice():
    params = [Parameter(np.ones(3))]
    base = optim.SGD(params, lr=0.1)
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="k must be"):
            Lookahead(base, k=k)
    for alpha in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="alpha"):
            Lookahead(base, alpha=alpha)
    with pytest.raises(ValueError, match="pullback_momentum"):
        Lookahead(base, pullback_momentum="reset")       # no momentum buffer to reset
    with pytest.raises(TypeError, match="either"):
        Lookahead(base, lr=0.1)
    wrapped = Lookahead(base)
    with pytest.raises(ValueError, match="cannot wrap a Lookahead"):
        Lookahead(wrapped)
    with pytest.raises(ValueError, match="already wrapped"):
        Lookahead(base)
    with pytest.raises(ValueError, match="expects a dict"):
        wrapped.load_state_dict(base.state_dict())


@pytest.mark.parametrize("inner, method", [
    (lambda p: optim.AdamWScheduleFree(p, lr=0.01), "train"),
    (lambda p: optim.SophiaG(p), "update_hessian"),
    (lambda p: optim.SophiaH(p), "hessian_backward"),
    (lambda p: optim.AdaHessian(p), "hessian_backward")])
def test_optimizers_whose_protocol_the_wrapper_would_hide_are_refused(inner, method):
    """fit reaches schedule-free's train()/eval() and the Hessian optimizers' estimates on
    the optimizer it holds; through a Lookahead they would silently train differently."""
    with pytest.raises(ValueError, match=f"cannot wrap .*{method}"):
        Lookahead(inner([Parameter(np.ones((2, 3)))]))
