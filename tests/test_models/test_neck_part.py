"""``neck_part``: which component a neck belongs to in the two-stage segmentors (a VFM's
``MultiLevelNeck`` is randomly initialized: by default it trains with the head in the warm-up)."""
import copy

import pytest
import torch
from mmengine.config import Config

from deft_mmseg.engine.hooks.param_distance_hook import inference_parts, uc_parts
from deft_mmseg.utils.errors import TwoStageConfigError
from deft_helpers import batch, build, changed, same, snapshot, total_loss
from repo_paths import config_path


def vit_neck_cfg(type_, **kwargs):
    """The tiny ViT DeepLabv3+ (a trainable ViT, a MultiLevelNeck, the tiny head)."""
    cfg = Config.fromfile(config_path('_base_', 'models', 'vfm_vit_tiny_deeplabv3plus_demo.py'))
    model = copy.deepcopy(cfg.model)
    model.update(type=type_, data_preprocessor=None, **kwargs)
    model['backbone']['freeze_vit'] = False
    return model


def weights(module):
    """The parameters of ``module`` (a frozen module in train mode still updates its BN
    statistics, the literal convention)."""
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def _step(model, seed=0):
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    inputs, samples = batch(size=64, seed=seed)
    opt.zero_grad(set_to_none=True)
    total_loss(model.loss(inputs, samples)).backward()
    opt.step()


@pytest.mark.parametrize('neck_part', ['decoder', 'encoder'])
def test_staged_warmup_trains_the_neck_only_where_it_is_the_decoders(neck_part):
    model = build(vit_neck_cfg('StagedEncoderDecoder', neck_part=neck_part))
    model.train()
    backbone, neck = snapshot(model.backbone), snapshot(model.neck)
    _step(model)
    assert same(backbone, snapshot(model.backbone))  # the frozen pretrained encoder
    assert bool(changed(neck, snapshot(model.neck))) == (neck_part == 'decoder')
    assert (model.neck in model.frozen_modules()) == (neck_part == 'encoder')


def test_staged_freeze_decoder_keeps_the_decoders_neck():
    model = build(vit_neck_cfg('StagedEncoderDecoder', after_warmup='freeze_decoder'))
    model.train()
    model.end_warmup()
    backbone, neck = weights(model.backbone), weights(model.neck)
    head = weights(model.decode_head)
    _step(model)
    assert changed(backbone, weights(model.backbone))
    assert same(neck, weights(model.neck)) and same(head, weights(model.decode_head))
    assert all(p.grad is None for p in model.neck.parameters())


def test_dual_pathway_neck_follows_the_decoder_through_ema_and_inference():
    model = build(vit_neck_cfg('DualPathwaySegmentor'))
    p1, p2 = model.pathway1, model.pathway2
    assert (p1.neck, p2.neck) in model.cross_pairs()  # d~1's neck <- EMA of d2's
    assert p1.neck in model.gc_modules() and p2.neck in model.uc_modules()
    assert not any(p.requires_grad for p in p1.neck.parameters())
    model.train()
    warm = snapshot(p2.neck)
    _step(model)  # warm-up: d2 = neck2 + head2 trains on the frozen e1
    assert changed(warm, snapshot(p2.neck))
    model.end_warmup()
    assert same(snapshot(p2.neck), snapshot(p1.neck))  # Alg. 2: d~1 = d2
    gc_neck = snapshot(p1.neck)
    _step(model, seed=1)
    assert same(gc_neck, snapshot(p1.neck))  # only the cross EMA moves a GC module
    # the final model IV, d~1 o e~2: pathway1's neck and head on pathway2's backbone
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        expected = p1.decode_head(p1.neck(p2.backbone(x)))
        assert torch.equal(model._forward(x), expected)
    export = model.final_model_state_dict()
    assert all(torch.equal(export[f'neck.{k}'], v) for k, v in p1.neck.state_dict().items())
    assert all(torch.equal(export[f'backbone.{k}'], v) for k, v in p2.backbone.state_dict().items())
    parts = inference_parts(model)
    assert parts['encoder'] == [p2.backbone] and parts['decoder'] == [p1.neck, p1.decode_head]
    assert uc_parts(model)['decoder_uc'] == [p2.neck, p2.decode_head]


def test_dual_pathway_neck_in_the_encoder_is_frozen_in_the_warmup_and_follows_e2():
    model = build(vit_neck_cfg('DualPathwaySegmentor', neck_part='encoder'))
    p1, p2 = model.pathway1, model.pathway2
    assert (p2.neck, p1.neck) in model.cross_pairs()  # e~2's neck <- EMA of e1's
    model.train()
    neck = snapshot(p1.neck)
    _step(model)
    assert same(neck, snapshot(p1.neck))
    model.end_warmup()
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model._forward(x), p1.decode_head(p2.neck(p2.backbone(x))))


def test_plain_model_distances_group_the_neck_with_the_head():
    from mmseg.models import EncoderDecoder
    model = build(vit_neck_cfg('EncoderDecoder'))
    assert isinstance(model, EncoderDecoder)
    parts = inference_parts(model)
    assert parts == dict(encoder=[model.backbone], decoder=[model.neck, model.decode_head])


@pytest.mark.parametrize('type_', ['StagedEncoderDecoder', 'DualPathwaySegmentor'])
def test_unknown_neck_part_is_refused_in_one_line(type_):
    with pytest.raises(TwoStageConfigError, match="neck_part must be 'decoder'.*'head'") as err:
        build(vit_neck_cfg(type_, neck_part='head'))
    assert '\n' not in str(err.value)
