"""Eq. 3 regularizer: value and gradient against hand arithmetic; anchors; joint/freeze
baselines keep frozen modules bit-identical; distance norms against numpy."""
import numpy as np
import pytest
import torch
from torch import nn

from deft_mmseg.engine.hooks import distance_norms
from deft_mmseg.models import ParamDistanceRegularizer
from deft_helpers import batch, build, changed, same, snapshot, tiny_model_cfg, total_loss


class Owner(nn.Module):

    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(3, 2)  # weight (2, 3): Frobenius; bias (2,): Euclidean
        self.dec = nn.Conv2d(2, 2, 3)  # kernel (2, 2, 3, 3)
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)


def _reg(alpha=0.5, modules=('enc', 'dec', 'frozen')):
    torch.manual_seed(0)
    owner = Owner()
    reg = ParamDistanceRegularizer(alpha=alpha, modules=list(modules))
    reg.bind(owner, [])
    reg.set_anchor()
    return owner, reg


def test_value_and_gradient_match_hand_arithmetic():
    owner, reg = _reg()
    assert [n for n, _ in reg._params] == ['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']
    anchors = {n: p.detach().numpy().copy() for n, p in reg._params}
    rng = np.random.default_rng(0)
    deltas = {}
    with torch.no_grad():
        for name, p in reg._params:
            deltas[name] = rng.normal(size=p.shape).astype(np.float32)
            p.add_(torch.from_numpy(deltas[name]))
    value = reg()
    value.backward()
    norms = {n: np.sqrt((d.astype(np.float64)**2).sum()) for n, d in deltas.items()}
    assert float(value) == pytest.approx(0.5 * sum(norms.values()), rel=1e-5)
    assert float(value) != pytest.approx(0.5 * sum(v**2 for v in norms.values()))  # not squares
    for name, p in reg._params:
        expected = 0.5 * deltas[name] / norms[name]
        np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(getattr(reg, reg._buffer_name(name)).numpy(), anchors[name])
    assert not any(a.requires_grad for a in reg.anchors())


def test_zero_distance_gives_zero_gradient_not_nan():
    owner, reg = _reg()
    value = reg()
    value.backward()
    assert float(value) == 0.0
    for _, p in reg._params:
        assert torch.equal(p.grad, torch.zeros_like(p))


def test_anchors_are_saved_and_restored_and_required():
    owner, reg = _reg()
    state = reg.state_dict()
    assert state['anchored'] == 1 and 'anchor__enc__weight' in state
    fresh = ParamDistanceRegularizer(alpha=0.5, modules=['enc', 'dec'])
    fresh.bind(Owner(), [])
    with pytest.raises(RuntimeError, match='before set_anchor'):
        fresh()
    fresh.load_state_dict(state, strict=False)
    assert fresh.is_anchored and torch.equal(fresh.anchor__dec__weight, reg.anchor__dec__weight)
    with pytest.raises(ValueError, match='alpha'):
        ParamDistanceRegularizer(alpha=-1)


def _train_steps(model, steps=2):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-3)
    model.train()
    for i in range(steps):
        opt.zero_grad(set_to_none=True)
        losses = model.loss(*batch(seed=i))
        total_loss(losses).backward()
        opt.step()
    return losses


@pytest.mark.parametrize('after_warmup,frozen,moving', [
    ('joint', [], ['backbone', 'decode_head']),
    ('freeze_encoder', ['backbone'], ['decode_head']),
    ('freeze_decoder', ['decode_head'], ['backbone']),
])
@pytest.mark.parametrize('frozen_module_mode', ['train', 'eval'])
def test_staged_baselines_freeze_exactly_what_they_say(after_warmup, frozen, moving,
                                                       frozen_module_mode):
    model = build(
        tiny_model_cfg(
            'StagedEncoderDecoder',
            after_warmup=after_warmup,
            frozen_module_mode=frozen_module_mode,
            distance_reg=dict(type='ParamDistanceRegularizer', alpha=0.1)))

    def fixed(before, module):
        """Parameters bit for bit; BN statistics too unless the frozen module trains them."""
        after = snapshot(module)
        names = [n for n, _ in module.named_parameters()]
        return same(before, after) if frozen_module_mode == 'eval' else \
            all(torch.equal(before[n], after[n]) for n in names)

    enc_before = snapshot(model.backbone)
    losses = _train_steps(model)  # warm-up: the encoder is frozen whatever comes next
    assert 'warmup.loss_ce' in losses and 'loss_dist' not in losses
    assert fixed(enc_before, model.backbone)
    model.end_warmup()
    before = {m: snapshot(getattr(model, m)) for m in ('backbone', 'decode_head')}
    losses = _train_steps(model)
    assert 'loss_dist' in losses and float(losses['loss_dist']) > 0
    for m in frozen:
        assert fixed(before[m], getattr(model, m)), m
    for m in moving:
        assert changed(before[m], snapshot(getattr(model, m))), m
    if after_warmup == 'freeze_decoder':  # the encoder learns through the frozen decoder
        assert all(p.grad is None for p in model.decode_head.parameters())


def test_deft_regularizer_covers_the_usual_components_only():
    model = build(tiny_model_cfg(distance_reg=dict(type='ParamDistanceRegularizer', alpha=0.1)))
    names = {n.split('.')[0] + '.' + n.split('.')[1] for n, _ in model.distance_reg._params}
    assert names == {'pathway1.backbone', 'pathway2.decode_head'}
    model.end_warmup()
    for (name, p), a in zip(model.distance_reg._params, model.distance_reg.anchors()):
        assert torch.equal(p.detach(), a)
    losses = _train_steps(model, steps=1)
    assert float(losses['loss_dist']) == 0.0  # first step: still at the anchor
    losses = _train_steps(model, steps=1)
    assert float(losses['loss_dist']) > 0.0


def test_distance_norms_against_numpy():
    rng = np.random.default_rng(1)
    current = [rng.normal(size=(4, 3)), rng.normal(size=(2, 3, 3, 3)), rng.normal(size=(5, ))]
    anchor = [rng.normal(size=c.shape) for c in current]
    got = distance_norms([torch.tensor(c) for c in current], [torch.tensor(a) for a in anchor])
    deltas = [c - a for c, a in zip(current, anchor)]
    mats = [d.reshape(d.shape[0], -1) if d.ndim > 1 else d.reshape(-1, 1) for d in deltas]
    assert got['l2'] == pytest.approx(np.sqrt(sum((d**2).sum() for d in deltas)))
    assert got['mars'] == pytest.approx(sum(np.abs(m).sum(axis=1).max() for m in mats))
    assert got['operator'] == pytest.approx(sum(np.linalg.norm(m, ord=2) for m in mats))
