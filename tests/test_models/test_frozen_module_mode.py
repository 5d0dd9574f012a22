"""``frozen_module_mode``: what a frozen module's BatchNorm does, checked against values computed
here by hand.

``'train'`` is the paper's ``freezing_weights`` as shachoi/RobustNet ``network/mynn.py`` defines
it (``requires_grad = False``, nothing else): the frozen encoder keeps normalizing with the
batch's own statistics and its running statistics follow the momentum formula

    running <- (1 - m) * running + m * batch statistic   (variance: unbiased, n / (n - 1))

while its weights stay bit-identical; the stage switch changes no module's train/eval mode.
``'eval'`` keeps the statistics bit-identical instead.
"""
from types import SimpleNamespace

import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from deft_mmseg.engine import TwoStageTrainLoop
from deft_mmseg.engine.hooks import TrainLoopCheckHook
from deft_helpers import batch, build, same, snapshot, tiny_model_cfg, total_loss


def _bn_layers(module):
    return {n: m for n, m in module.named_modules() if isinstance(m, _BatchNorm)}


def _expected_running_stats(bn_inputs, start, momentum):
    """The momentum formula applied by hand to each step's batch statistics of one BN layer's
    inputs ``(N, C, H, W)``."""
    mean, var = start['running_mean'].double(), start['running_var'].double()
    for x in bn_inputs:
        x = x.double()
        n = x.numel() / x.shape[1]
        batch_mean = x.mean(dim=(0, 2, 3))
        batch_var = ((x - batch_mean[None, :, None, None])**2).sum(dim=(0, 2, 3)) / (n - 1)
        mean = (1 - momentum) * mean + momentum * batch_mean
        var = (1 - momentum) * var + momentum * batch_var
    return mean, var


def _warmup_steps(model, steps):
    """``steps`` warm-up steps (SGD with momentum and weight decay), recording the input of every
    BN layer of the frozen encoder e1."""
    encoder = model.pathway1.backbone if hasattr(model, 'pathway1') else model.backbone
    seen = {name: [] for name in _bn_layers(encoder)}
    handles = [
        bn.register_forward_pre_hook(
            lambda m, i, name=name: seen[name].append(i[0].detach().clone()))
        for name, bn in _bn_layers(encoder).items()
    ]
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                          lr=0.1,
                          momentum=0.9,
                          weight_decay=5e-3)
    for i in range(steps):
        inputs, samples = batch(seed=i)
        opt.zero_grad(set_to_none=True)
        total_loss(model.loss(inputs, samples)).backward()
        opt.step()
    for h in handles:
        h.remove()
    return encoder, seen


@pytest.mark.parametrize('type_', ['DualPathwaySegmentor', 'StagedEncoderDecoder'])
def test_train_mode_warmup_follows_batch_statistics_with_weights_fixed(type_):
    model = build(tiny_model_cfg(type_, frozen_module_mode='train'))
    model.train()
    encoder = model.pathway1.backbone if type_ == 'DualPathwaySegmentor' else model.backbone
    before = snapshot(encoder)
    steps = 3
    encoder, seen = _warmup_steps(model, steps)
    assert encoder.training
    after = snapshot(encoder)
    for name in dict(encoder.named_parameters()):
        assert torch.equal(before[name], after[name]), name  # weights bit-identical
    assert len(seen) > 5
    for name, bn in _bn_layers(encoder).items():
        assert len(seen[name]) == steps
        start = {k: before[f'{name}.{k}'] for k in ('running_mean', 'running_var')}
        mean, var = _expected_running_stats(seen[name], start, momentum=0.1)
        assert bn.momentum == 0.1  # the formula above assumes PyTorch's default momentum
        assert torch.allclose(bn.running_mean.double(), mean, rtol=1e-4, atol=1e-6), name
        assert torch.allclose(bn.running_var.double(), var, rtol=1e-4, atol=1e-6), name
        assert int(bn.num_batches_tracked) == int(before[f'{name}.num_batches_tracked']) + steps


@pytest.mark.parametrize('type_', ['DualPathwaySegmentor', 'StagedEncoderDecoder'])
def test_eval_mode_warmup_keeps_statistics_bit_identical(type_):
    model = build(tiny_model_cfg(type_, frozen_module_mode='eval'))
    model.train()
    encoder = model.pathway1.backbone if type_ == 'DualPathwaySegmentor' else model.backbone
    before = snapshot(encoder)
    encoder, _ = _warmup_steps(model, 2)
    assert not encoder.training
    assert same(before, snapshot(encoder))  # parameters and buffers


def _modes(model):
    return {name: m.training for name, m in model.named_modules()}


@pytest.mark.parametrize('type_,kwargs', [
    ('DualPathwaySegmentor', {}),
    ('StagedEncoderDecoder', dict(after_warmup='joint')),
    ('StagedEncoderDecoder', dict(after_warmup='freeze_encoder')),
    ('StagedEncoderDecoder', dict(after_warmup='freeze_decoder')),
])
def test_stage_switch_changes_no_modules_mode_in_train_mode(type_, kwargs):
    model = build(tiny_model_cfg(type_, frozen_module_mode='train', **kwargs))
    model.train()
    modes = _modes(model)
    assert all(modes.values())
    model.end_warmup()
    assert _modes(model) == modes
    model.train()
    assert _modes(model) == modes


def test_eval_mode_switch_puts_the_warmed_up_encoder_in_train_mode():
    model = build(tiny_model_cfg(frozen_module_mode='eval'))
    model.train()
    assert not model.pathway1.backbone.training
    model.end_warmup()
    assert model.pathway1.backbone.training and model.pathway2.backbone.training


@pytest.mark.parametrize('type_', ['DualPathwaySegmentor', 'StagedEncoderDecoder'])
def test_bad_frozen_module_mode(type_):
    with pytest.raises(ValueError, match="frozen_module_mode must be 'train'"):
        build(tiny_model_cfg(type_, frozen_module_mode='frozen'))


def test_train_loop_check_hook_is_the_one_pairing_check():
    """Model needs loop and loop needs model, both refused by TrainLoopCheckHook."""
    from mmengine.runner import IterBasedTrainLoop
    plain = build(tiny_model_cfg('EncoderDecoder'))
    staged = build(tiny_model_cfg('StagedEncoderDecoder'))
    two_stage_loop = object.__new__(TwoStageTrainLoop)  # isinstance checks only
    plain_loop = object.__new__(IterBasedTrainLoop)
    hook = TrainLoopCheckHook()
    with pytest.raises(ValueError, match="train_cfg type 'TwoStageTrainLoop' runs"):
        hook.before_train(SimpleNamespace(model=staged, train_loop=plain_loop))
    with pytest.raises(ValueError, match='TwoStageTrainLoop trains a two-stage segmentor'):
        hook.before_train(SimpleNamespace(model=plain, train_loop=two_stage_loop))
    hook.before_train(SimpleNamespace(model=staged, train_loop=two_stage_loop))
    hook.before_train(SimpleNamespace(model=plain, train_loop=plain_loop))


@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_frozen_decoder_of_table1_follows_the_mode(mode):
    """Table 1 "Freezing Decoder": after the switch the decoder's weights stay fixed; in 'train'
    mode its BN statistics follow the batches (freeze_weights), in 'eval' mode they do not."""
    model = build(
        tiny_model_cfg(
            'StagedEncoderDecoder', after_warmup='freeze_decoder', frozen_module_mode=mode))
    model.train()
    model.end_warmup()
    before = snapshot(model.decode_head)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                          lr=0.1,
                          momentum=0.9,
                          weight_decay=5e-3)
    inputs, samples = batch(seed=0)
    total_loss(model.loss(inputs, samples)).backward()
    opt.step()
    after = snapshot(model.decode_head)
    for name, _ in model.decode_head.named_parameters():
        assert torch.equal(before[name], after[name]), name
    stats = [k for k in before if k.endswith('running_mean')]
    assert stats
    moved = [k for k in stats if not torch.equal(before[k], after[k])]
    assert (moved == stats) if mode == 'train' else (moved == [])
