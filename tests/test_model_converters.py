"""Official DINOv2 key names and shapes (tiny widths) convert and load with no missing or
unexpected keys."""
import subprocess
import sys

import pytest
import torch
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from conftest import REPO
from deft_mmseg.models.converters import convert_dinov2
from deft_mmseg.models.converters.dinov2 import ConversionKeyError

C, DEPTH, GRID = 32, 2, 4  # tiny ViT: 32 channels, 2 blocks, 4x4 patches of 14 (image 56)


def official_dinov2_state():
    g = torch.Generator().manual_seed(0)

    def t(*shape):
        return torch.randn(*shape, generator=g)
    state = {'cls_token': t(1, 1, C), 'pos_embed': t(1, 1 + GRID * GRID, C),
             'mask_token': t(1, C), 'patch_embed.proj.weight': t(C, 3, 14, 14),
             'patch_embed.proj.bias': t(C), 'norm.weight': t(C), 'norm.bias': t(C)}
    for i in range(DEPTH):
        b = f'blocks.{i}.'
        state.update({b + 'norm1.weight': t(C), b + 'norm1.bias': t(C),
                      b + 'attn.qkv.weight': t(3 * C, C), b + 'attn.qkv.bias': t(3 * C),
                      b + 'attn.proj.weight': t(C, C), b + 'attn.proj.bias': t(C),
                      b + 'ls1.gamma': t(C), b + 'norm2.weight': t(C), b + 'norm2.bias': t(C),
                      b + 'mlp.fc1.weight': t(4 * C, C), b + 'mlp.fc1.bias': t(4 * C),
                      b + 'mlp.fc2.weight': t(C, 4 * C), b + 'mlp.fc2.bias': t(C),
                      b + 'ls2.gamma': t(C)})
    return state


def _backbone(patch_size):
    return MODELS.build(dict(
        type='VFMVisionTransformer', out_indices=(0, 1), scales=(1, 1),
        vit=dict(type='mmpretrain.VisionTransformer', patch_size=patch_size, img_size=64,
                 layer_scale_init_value=1e-5,
                 arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=2,
                           feedforward_channels=4 * C))))


def test_dinov2_conversion_loads_without_missing_or_unexpected_keys(tmp_path):
    official = official_dinov2_state()
    path = str(tmp_path / 'official.pth')
    torch.save(official, path)
    dst = str(tmp_path / 'converted.pth')
    proc = subprocess.run([sys.executable, f'{REPO}/tools/model_converters/vfm.py', 'dinov2', path,
                           dst, '--patch-size', '16'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    backbone = _backbone(16)
    load_checkpoint(backbone, dst, map_location='cpu', strict=True)  # raises on any mismatch
    vit = backbone.vit
    assert torch.equal(vit.layers[1].attn.qkv.weight, official['blocks.1.attn.qkv.weight'])
    assert torch.equal(vit.layers[0].attn.gamma1.weight, official['blocks.0.ls1.gamma'])
    assert torch.equal(vit.layers[0].ffn.layers[1].weight, official['blocks.0.mlp.fc2.weight'])
    assert vit.patch_embed.projection.weight.shape == (C, 3, 16, 16)
    assert vit.pos_embed.shape == (1, 1 + 16, C)  # resized from 4x4 to the 64/16 grid
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, 64, 64))
    assert [f.shape for f in feats] == [(1, C, 4, 4)] * 2


def test_dinov2_without_resizing_keeps_values_and_rejects_other_models():
    converted = convert_dinov2(official_dinov2_state())
    backbone = _backbone(14)
    missing, unexpected = backbone.load_state_dict(converted, strict=False)
    assert unexpected == [] and missing == []
    with pytest.raises(ConversionKeyError, match='w12'):
        convert_dinov2(dict(official_dinov2_state(), **{'blocks.0.mlp.w12.weight': torch.zeros(1)}))


def official_clip_state():
    g = torch.Generator().manual_seed(1)

    def t(*shape):
        return torch.randn(*shape, generator=g)
    state = {'visual.class_embedding': t(C), 'visual.positional_embedding': t(1 + GRID * GRID, C),
             'visual.conv1.weight': t(C, 3, 14, 14), 'visual.ln_pre.weight': t(C),
             'visual.ln_pre.bias': t(C), 'visual.ln_post.weight': t(C),
             'visual.ln_post.bias': t(C), 'visual.proj': t(C, 16),
             'token_embedding.weight': t(10, 16), 'logit_scale': t(())}  # text side: ignored
    for i in range(DEPTH):
        b = f'visual.transformer.resblocks.{i}.'
        state.update({b + 'ln_1.weight': t(C), b + 'ln_1.bias': t(C),
                      b + 'attn.in_proj_weight': t(3 * C, C), b + 'attn.in_proj_bias': t(3 * C),
                      b + 'attn.out_proj.weight': t(C, C), b + 'attn.out_proj.bias': t(C),
                      b + 'ln_2.weight': t(C), b + 'ln_2.bias': t(C),
                      b + 'mlp.c_fc.weight': t(4 * C, C), b + 'mlp.c_fc.bias': t(4 * C),
                      b + 'mlp.c_proj.weight': t(C, 4 * C), b + 'mlp.c_proj.bias': t(C)})
    return state


def test_clip_conversion_loads_without_missing_or_unexpected_keys():
    from deft_mmseg.models.converters import convert_clip
    official = official_clip_state()
    backbone = MODELS.build(dict(
        type='VFMVisionTransformer', out_indices=(0, 1), scales=(1, 1),
        vit=dict(type='mmpretrain.VisionTransformer', patch_size=14, img_size=56, pre_norm=True,
                 layer_cfgs=dict(act_cfg=dict(type='mmpretrain.QuickGELU')),
                 arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=2,
                           feedforward_channels=4 * C))))
    missing, unexpected = backbone.load_state_dict(convert_clip(official), strict=False)
    assert missing == [] and unexpected == []
    vit = backbone.vit
    assert torch.equal(vit.cls_token[0, 0], official['visual.class_embedding'])
    assert torch.equal(vit.layers[1].attn.qkv.weight,
                       official['visual.transformer.resblocks.1.attn.in_proj_weight'])
    assert torch.equal(vit.pre_norm.weight, official['visual.ln_pre.weight'])
    with pytest.raises(ConversionKeyError, match='no visual'):
        convert_clip({'token_embedding.weight': torch.zeros(1)})


def test_vfm_baseline_trainable_counts():
    from mmengine.config import Config
    from conftest import config_path
    counts = {}
    for name, freeze in (('frozen', True), ('full', False)):
        cfg = Config.fromfile(config_path('_base_', 'models', 'vfm_dinov2-l_mask2former.py'))
        cfg.model.backbone.init_cfg = None
        cfg.model.backbone.freeze_vit = freeze
        backbone = MODELS.build(cfg.model.backbone)
        counts[name] = sum(p.numel() for p in backbone.parameters() if p.requires_grad)
    print(f"DINOv2-L trainable backbone parameters: frozen {counts['frozen']:,}, "
          f"full {counts['full']:,}")
    assert counts['frozen'] == 0
    assert counts['full'] == pytest.approx(304.20e6, rel=0.01)  # paper 002 Table 2 "Full"
