"""Rein on a frozen mmpretrain ViT with the Mask2Former query link (paper 002)."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from deft_helpers import batch, changed, same, snapshot, total_loss
from repo_paths import config_path


def _model_cfg(name):
    return copy.deepcopy(Config.fromfile(config_path('_base_', 'models', name)).model)


def test_dinov2_large_rein_trainable_count_is_2_99m():
    cfg = _model_cfg('rein_dinov2-l_mask2former.py').backbone
    cfg.init_cfg = None
    backbone = MODELS.build(cfg)
    trainable = sum(p.numel() for p in backbone.parameters() if p.requires_grad)
    print(f'Rein (DINOv2-L, Mask2Former link) trainable parameters: {trainable:,}')
    assert trainable == pytest.approx(2.99e6, rel=0.01)
    assert trainable == 2_990_081  # 24*100*16 + 24*16*1024 + 1 + 2*(1024^2+1024) + 262,400 + 196,864
    assert all(not p.requires_grad for p in backbone.vit.parameters())
    assert sum(p.numel() for p in backbone.vit.parameters()) > 300e6  # ViT-L trunk


def test_tiny_rein_mask2former_trains_reins_and_head_only():
    cfg = _model_cfg('rein_vit_tiny_demo.py')
    cfg.data_preprocessor = None
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.train()
    assert not model.backbone.vit.training  # frozen trunk stays in eval mode
    trunk_before = snapshot(model.backbone.vit)
    reins_before = snapshot(model.backbone.reins)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    inputs, samples = batch(n=2, size=64)
    for _ in range(2):
        opt.zero_grad()
        total_loss(model.loss(inputs, samples)).backward()
        assert model.backbone.reins.learnable_tokens_a.grad is not None
        assert model.decode_head.querys2feat.weight.grad is not None
        opt.step()
    assert same(trunk_before, snapshot(model.backbone.vit))
    assert changed(reins_before, snapshot(model.backbone.reins))
    model.eval()
    with torch.no_grad():
        out = model.predict(*batch(n=1, size=64, seed=5))
    assert out[0].seg_logits.data.shape == (19, 64, 64)
    keys = model.state_dict().keys()  # official Rein parameter names
    assert {
        'backbone.reins.learnable_tokens_a', 'backbone.reins.learnable_tokens_b',
        'backbone.reins.scale', 'backbone.reins.mlp_token2feat.weight',
        'backbone.reins.mlp_delta_f.weight', 'backbone.reins.transform.weight',
        'backbone.reins.merge.weight', 'decode_head.querys2feat.weight'
    } <= set(keys)
    assert not any(
        k.startswith(('decode_head.query_embed', 'decode_head.query_feat')) for k in keys)


def test_rein_refinement_formula():
    from deft_mmseg.models import Reins
    torch.manual_seed(0)
    reins = Reins(num_layers=2, embed_dims=4, patch_size=2, query_dims=4, token_length=3)
    x = torch.randn(2, 1 + 5, 4)  # (B, cls + N, C)
    out = reins(x, 1)
    assert torch.equal(out[:, 0], x[:, 0])  # the class token is untouched
    f = x[:, 1:]
    t = reins.learnable_tokens[1]
    attn = torch.softmax(f @ t.T / 2.0, dim=-1)
    delta = reins.mlp_delta_f(attn[..., 1:] @ reins.mlp_token2feat(t[1:]) + f)
    torch.testing.assert_close(out[:, 1:], f + reins.scale * delta)
    assert reins.queries().shape == (3, 4)


def test_deft_on_rein_shares_the_frozen_trunk():
    from deft_mmseg.engine.hooks import CrossEMAHook
    cfg = _model_cfg('rein_vit_tiny_demo.py')
    cfg.data_preprocessor = None
    cfg.type = 'DualPathwaySegmentor'
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert model.shared_encoder_parts == ['backbone.vit']
    assert model.pathway1.backbone.vit is model.pathway2.backbone.vit
    assert model.pathway1.backbone.reins is not model.pathway2.backbone.reins
    unique = {id(p): p.numel() for p in model.parameters()}
    plain = MODELS.build(dict(cfg, type='EncoderDecoder'))
    vit = sum(p.numel() for p in plain.backbone.vit.parameters())
    per_pathway = sum(p.numel() for p in plain.parameters()) - vit
    assert sum(unique.values()) == vit + 2 * per_pathway  # the trunk exists once
    trunk = snapshot(model.pathway1.backbone.vit)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    model.train()
    inputs, samples = batch(n=2, size=64)
    for stage in ('warmup', 'decoupled'):
        if stage == 'decoupled':
            model.end_warmup()
        opt.zero_grad(set_to_none=True)
        total_loss(model.loss(inputs, samples)).backward()
        opt.step()
    assert same(trunk, snapshot(model.pathway1.backbone.vit))
    hook = CrossEMAHook(beta=0.5)
    params, _, _ = hook._pair_tensors(model)
    assert not any(g.data_ptr() == u.data_ptr() for g, u in zip(*params))  # trunk not averaged
    gc_tokens = model.pathway2.backbone.reins.learnable_tokens_a.detach().clone()
    uc_tokens = model.pathway1.backbone.reins.learnable_tokens_a.detach().clone()
    hook.bind(model)
    hook.cross_ema_update()
    assert torch.equal(model.pathway2.backbone.reins.learnable_tokens_a,
                       gc_tokens.mul(0.5).add(uc_tokens, alpha=0.5))
    assert same(trunk, snapshot(model.pathway1.backbone.vit))
    model.eval()
    with torch.no_grad():
        assert model.predict(*batch(n=1, size=64))[0].seg_logits.data.shape == (19, 64, 64)


@pytest.mark.parametrize('config,count', [
    pytest.param('rein_eva02-l_mask2former.py', 2.99e6, marks=pytest.mark.slow),
    pytest.param('rein_clip-l_mask2former.py', 2.99e6, marks=pytest.mark.slow),
    pytest.param('rein_sam-h_mask2former.py', 4.51e6, marks=pytest.mark.slow)
])
def test_rein_configs_trainable_counts(config, count):
    """Paper 002 Table 2: 2.99M for the ViT-L VFMs, 4.51M for SAM ViT-H."""
    cfg = _model_cfg(config).backbone
    cfg.init_cfg = None
    backbone = MODELS.build(cfg)
    trainable = sum(p.numel() for p in backbone.parameters() if p.requires_grad)
    print(f'{config}: {trainable:,} trainable')
    assert trainable == pytest.approx(count, rel=0.01)
    with torch.no_grad():  # the full-size trunk runs (one 64x64 image keeps it quick)
        feats, queries = backbone(torch.randn(1, 3, 64, 64))
    assert queries.shape == (100, 256) and len(feats) == 4


@pytest.mark.parametrize('head', ['deeplabv3plus', 'segformer'])
def test_vfm_with_neck_feeds_deeplabv3plus_and_segformer_heads_under_deft(head):
    cfg = _model_cfg(f'vfm_dinov2-l_{head}.py')
    cfg.data_preprocessor = None
    cfg.type = 'DualPathwaySegmentor'
    cfg.backbone.update(
        init_cfg=None,
        out_indices=(0, 1, 2, 3),
        vit=dict(
            cfg.backbone.vit,
            patch_size=8,
            img_size=64,
            arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64)),
        reins=dict(
            type='LoRAReins',
            token_length=4,
            embed_dims=32,
            num_layers=4,
            patch_size=8,
            link_token_to_query=False,
            lora_dim=4))
    cfg.neck.update(in_channels=[32] * 4, out_channels=16)
    cfg.decode_head.update(
        in_channels=16 if head == 'deeplabv3plus' else [16] * 4,
        channels=16,
        norm_cfg=dict(type='BN', requires_grad=True))
    if head == 'deeplabv3plus':
        cfg.decode_head.update(c1_in_channels=16, c1_channels=8, dilations=(1, 2, 3, 4))
    cfg.test_cfg = dict(mode='whole')
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert model.shared_encoder_parts == ['backbone.vit']  # the neck and Reins are per pathway
    trunk = snapshot(model.pathway1.backbone.vit)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    inputs, samples = batch(n=2, size=64)
    model.train()
    model.end_warmup()
    total_loss(model.loss(inputs, samples)).backward()
    # the neck is the decoder's (neck_part='decoder'): d2's trains, d~1's is the cross EMA's
    assert model.pathway2.neck.lateral_convs[0].conv.weight.grad is not None
    assert model.pathway1.neck.lateral_convs[0].conv.weight.grad is None
    assert model.pathway1.backbone.reins.mlp_delta_f.weight.grad is not None  # e1: the Reins
    opt.step()
    assert same(trunk, snapshot(model.pathway1.backbone.vit))
    model.eval()
    with torch.no_grad():
        assert model.predict(*batch(n=1, size=64))[0].seg_logits.data.shape == (19, 64, 64)


@pytest.mark.parametrize('link', [True, False])
def test_the_query_link_layers_keep_their_keys_and_train_only_with_the_link(link):
    # built whatever the link, as the official Reins builds them (checkpoints keep the release's
    # keys); without the link nothing reaches them, and DDP refuses a trainable parameter
    # without a gradient (tests/test_integration/test_ddp.py runs the configs)
    from deft_mmseg.models.peft.reins import LoRAReins
    reins = LoRAReins(
        num_layers=2,
        embed_dims=8,
        patch_size=8,
        token_length=3,
        lora_dim=2,
        link_token_to_query=link)
    assert {'transform.weight', 'transform.bias', 'merge.weight',
            'merge.bias'} <= set(reins.state_dict())
    assert {
        n
        for n, p in reins.named_parameters() if not p.requires_grad
    } == (
        set() if link else {'transform.weight', 'transform.bias', 'merge.weight', 'merge.bias'})
