"""DeFT with SegFormer (MiT) and Mask2Former heads: stages, gradient flags, EMA and export."""
import copy

import pytest
import torch
from mmengine.config import Config

from deft_mmseg.engine.hooks import CrossEMAHook
from deft_helpers import batch, build, changed, same, snapshot, total_loss
from repo_paths import config_path


def _cfg(name, type_='DualPathwaySegmentor'):
    cfg = copy.deepcopy(Config.fromfile(config_path('_base_', 'models', f'{name}.py')).model)
    cfg.type = type_
    cfg.data_preprocessor = None
    return cfg


@pytest.mark.parametrize('name', ['segformer_tiny_demo', 'mask2former_tiny_demo'])
def test_both_stages_and_export_with_head(name):
    model = build(_cfg(name))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-3)
    inputs, samples = batch(n=2, size=64)
    e1_before = snapshot(model.pathway1.backbone)
    d2_before = snapshot(model.pathway2.decode_head)
    opt.zero_grad()
    total_loss(model.loss(inputs, samples)).backward()
    opt.step()
    # weights bit-identical (BN statistics follow the batches: frozen_module_mode='train')
    e1_after = snapshot(model.pathway1.backbone)
    assert all(
        torch.equal(e1_before[n], e1_after[n])
        for n, _ in model.pathway1.backbone.named_parameters())
    assert changed(d2_before, snapshot(model.pathway2.decode_head))

    model.end_warmup()
    gc_before = [snapshot(m) for m in model.gc_modules()]
    opt.zero_grad(set_to_none=True)
    losses = model.loss(inputs, samples)
    assert any(k.startswith('f1.') for k in losses) and any(k.startswith('f2.') for k in losses)
    total_loss(losses).backward()
    for m in model.gc_modules():
        assert all(p.grad is None for p in m.parameters())
    assert any(p.grad is not None for p in model.pathway1.backbone.parameters())
    assert any(p.grad is not None for p in model.pathway2.decode_head.parameters())
    opt.step()
    for before, m in zip(gc_before, model.gc_modules()):
        for key, p in m.named_parameters():
            assert torch.equal(before[key], p.detach())
    hook = CrossEMAHook(beta=0.5)
    hook.bind(model)
    hook.cross_ema_update()
    (gc, uc), = [(g, u) for g, u in model.cross_pairs() if g is model.pathway1.decode_head]
    for (key, g), u in zip(gc.named_parameters(), uc.parameters()):
        assert torch.equal(g, gc_before[-1][key].mul(0.5).add(u, alpha=0.5))

    model.eval()
    inputs, samples = batch(n=1, size=64, seed=3)
    with torch.no_grad():
        logits = model.predict(inputs, samples)[0].seg_logits.data
        plain = build(_cfg(name, 'EncoderDecoder'))
        plain.load_state_dict(model.final_model_state_dict())
        plain.eval()
        assert torch.equal(logits, plain.predict(inputs, samples)[0].seg_logits.data)


@pytest.mark.parametrize('name', ['deeplabv3plus_tiny_demo', 'mask2former_tiny_demo'])
def test_checkpointed_gc_decoder_gives_identical_losses_and_gradients(name):
    results = []
    for checkpointed in (False, True):
        cfg = _cfg(name)
        cfg.checkpoint_gc_decoder = checkpointed
        model = build(cfg)
        model.train()
        model.end_warmup()
        torch.manual_seed(7)  # Mask2Former samples points at random: same draws in both runs
        losses = model.loss(*batch(n=2, size=64))
        total_loss(losses).backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append(({k: float(v) for k, v in losses.items()}, grads))
    (l0, g0), (l1, g1) = results
    assert l0 == pytest.approx(l1, rel=1e-6)
    assert g0.keys() == g1.keys() and any(k.startswith('pathway1.backbone') for k in g0)
    for key in g0:
        torch.testing.assert_close(g0[key], g1[key], rtol=1e-5, atol=1e-7)
