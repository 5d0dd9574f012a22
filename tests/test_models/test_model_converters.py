"""Official DINOv2 key names and shapes (tiny widths) convert and load with no missing or
unexpected keys."""

import pytest
import torch
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from deft_mmseg.models.converters import convert_dinov2
from deft_mmseg.utils.errors import ConversionKeyError

C, DEPTH, GRID = 32, 2, 4  # tiny ViT: 32 channels, 2 blocks, 4x4 patches of 14 (image 56)


def official_dinov2_state():
    g = torch.Generator().manual_seed(0)

    def t(*shape):
        return torch.randn(*shape, generator=g)

    state = {
        'cls_token': t(1, 1, C),
        'pos_embed': t(1, 1 + GRID * GRID, C),
        'mask_token': t(1, C),
        'patch_embed.proj.weight': t(C, 3, 14, 14),
        'patch_embed.proj.bias': t(C),
        'norm.weight': t(C),
        'norm.bias': t(C)
    }
    for i in range(DEPTH):
        b = f'blocks.{i}.'
        state.update({
            b + 'norm1.weight': t(C),
            b + 'norm1.bias': t(C),
            b + 'attn.qkv.weight': t(3 * C, C),
            b + 'attn.qkv.bias': t(3 * C),
            b + 'attn.proj.weight': t(C, C),
            b + 'attn.proj.bias': t(C),
            b + 'ls1.gamma': t(C),
            b + 'norm2.weight': t(C),
            b + 'norm2.bias': t(C),
            b + 'mlp.fc1.weight': t(4 * C, C),
            b + 'mlp.fc1.bias': t(4 * C),
            b + 'mlp.fc2.weight': t(C, 4 * C),
            b + 'mlp.fc2.bias': t(C),
            b + 'ls2.gamma': t(C)
        })
    return state


def _backbone(patch_size):
    return MODELS.build(
        dict(
            type='VFMVisionTransformer',
            out_indices=(0, 1),
            scales=(1, 1),
            vit=dict(
                type='mmpretrain.VisionTransformer',
                patch_size=patch_size,
                img_size=64,
                layer_scale_init_value=1e-5,
                arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=2,
                          feedforward_channels=4 * C))))


def test_dinov2_conversion_loads_without_missing_or_unexpected_keys(tmp_path):
    official = official_dinov2_state()
    path = str(tmp_path / 'official.pth')
    torch.save(official, path)
    dst = str(tmp_path / 'converted.pth')
    from e2e_helpers import run_tool_in_process
    assert run_tool_in_process('model_converters/vfm.py', 'dinov2', path, dst, '--patch-size',
                               '16') == 0
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

    state = {
        'visual.class_embedding': t(C),
        'visual.positional_embedding': t(1 + GRID * GRID, C),
        'visual.conv1.weight': t(C, 3, 14, 14),
        'visual.ln_pre.weight': t(C),
        'visual.ln_pre.bias': t(C),
        'visual.ln_post.weight': t(C),
        'visual.ln_post.bias': t(C),
        'visual.proj': t(C, 16),
        'token_embedding.weight': t(10, 16),
        'logit_scale': t(())
    }  # text side: ignored
    for i in range(DEPTH):
        b = f'visual.transformer.resblocks.{i}.'
        state.update({
            b + 'ln_1.weight': t(C),
            b + 'ln_1.bias': t(C),
            b + 'attn.in_proj_weight': t(3 * C, C),
            b + 'attn.in_proj_bias': t(3 * C),
            b + 'attn.out_proj.weight': t(C, C),
            b + 'attn.out_proj.bias': t(C),
            b + 'ln_2.weight': t(C),
            b + 'ln_2.bias': t(C),
            b + 'mlp.c_fc.weight': t(4 * C, C),
            b + 'mlp.c_fc.bias': t(4 * C),
            b + 'mlp.c_proj.weight': t(C, 4 * C),
            b + 'mlp.c_proj.bias': t(C)
        })
    return state


def test_clip_conversion_loads_without_missing_or_unexpected_keys():
    from deft_mmseg.models.converters import convert_clip
    official = official_clip_state()
    backbone = MODELS.build(
        dict(
            type='VFMVisionTransformer',
            out_indices=(0, 1),
            scales=(1, 1),
            vit=dict(
                type='mmpretrain.VisionTransformer',
                patch_size=14,
                img_size=56,
                pre_norm=True,
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

    from repo_paths import config_path
    counts = {}
    for name, freeze in (('frozen', True), ('full', False)):
        cfg = Config.fromfile(config_path('_base_', 'models', 'vfm_dinov2-l_mask2former.py'))
        cfg.model.backbone.init_cfg = None
        cfg.model.backbone.freeze_vit = freeze
        with torch.device('meta'):  # the real size, without allocating 1.2 GB twice
            backbone = MODELS.build(cfg.model.backbone)
        counts[name] = sum(p.numel() for p in backbone.parameters() if p.requires_grad)
    print(f"DINOv2-L trainable backbone parameters: frozen {counts['frozen']:,}, "
          f"full {counts['full']:,}")
    assert counts['frozen'] == 0
    assert counts['full'] == pytest.approx(304.20e6, rel=0.01)  # paper 002 Table 2 "Full"


def _t(g, *shape):
    return torch.randn(*shape, generator=g)


def official_eva02_state(hidden=64):
    g = torch.Generator().manual_seed(2)
    state = {
        'cls_token': _t(g, 1, 1, C),
        'pos_embed': _t(g, 1, 1 + GRID * GRID, C),
        'patch_embed.proj.weight': _t(g, C, 3, 14, 14),
        'patch_embed.proj.bias': _t(g, C),
        'norm.weight': _t(g, C),
        'norm.bias': _t(g, C),
        'mask_token': _t(g, 1, 1, C),
        'rope.freqs_cos': _t(g, 16, 16)
    }
    for i in range(DEPTH):
        b = f'blocks.{i}.'
        state.update({
            b + 'norm1.weight': _t(g, C),
            b + 'norm1.bias': _t(g, C),
            b + 'attn.q_proj.weight': _t(g, C, C),
            b + 'attn.k_proj.weight': _t(g, C, C),
            b + 'attn.v_proj.weight': _t(g, C, C),
            b + 'attn.q_bias': _t(g, C),
            b + 'attn.v_bias': _t(g, C),
            b + 'attn.proj.weight': _t(g, C, C),
            b + 'attn.proj.bias': _t(g, C),
            b + 'norm2.weight': _t(g, C),
            b + 'norm2.bias': _t(g, C),
            b + 'mlp.w1.weight': _t(g, hidden, C),
            b + 'mlp.w1.bias': _t(g, hidden),
            b + 'mlp.w2.weight': _t(g, hidden, C),
            b + 'mlp.w2.bias': _t(g, hidden),
            b + 'mlp.ffn_ln.weight': _t(g, hidden),
            b + 'mlp.ffn_ln.bias': _t(g, hidden),
            b + 'mlp.w3.weight': _t(g, C, hidden),
            b + 'mlp.w3.bias': _t(g, C)
        })
    return state


def official_sam_state():
    g = torch.Generator().manual_seed(3)
    enc = {
        'pos_embed': _t(g, 1, 4, 4, C),
        'patch_embed.proj.weight': _t(g, C, 3, 16, 16),
        'patch_embed.proj.bias': _t(g, C),
        'neck.0.weight': _t(g, 8, C, 1, 1)
    }
    for i, rel in enumerate((3, 7)):  # block 0 windowed (window 2), block 1 global (4x4 grid)
        b = f'blocks.{i}.'
        enc.update({
            b + 'norm1.weight': _t(g, C),
            b + 'norm1.bias': _t(g, C),
            b + 'attn.qkv.weight': _t(g, 3 * C, C),
            b + 'attn.qkv.bias': _t(g, 3 * C),
            b + 'attn.proj.weight': _t(g, C, C),
            b + 'attn.proj.bias': _t(g, C),
            b + 'attn.rel_pos_h': _t(g, rel, 16),
            b + 'attn.rel_pos_w': _t(g, rel, 16),
            b + 'norm2.weight': _t(g, C),
            b + 'norm2.bias': _t(g, C),
            b + 'mlp.lin1.weight': _t(g, 64, C),
            b + 'mlp.lin1.bias': _t(g, 64),
            b + 'mlp.lin2.weight': _t(g, C, 64),
            b + 'mlp.lin2.bias': _t(g, C)
        })
    state = {'image_encoder.' + k: v for k, v in enc.items()}
    state['mask_decoder.iou_token.weight'] = _t(g, 1, 8)  # other SAM parts: ignored
    return state


VITS = {
    'vit':
    dict(
        type='mmpretrain.VisionTransformer',
        patch_size=16,
        img_size=64,
        layer_scale_init_value=1e-5,
        arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=2, feedforward_channels=64)),
    'eva02':
    dict(
        type='mmpretrain.ViTEVA02',
        patch_size=14,
        img_size=56,
        sub_ln=True,
        arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=2, feedforward_channels=64)),
    'sam':
    dict(
        type='mmpretrain.ViTSAM',
        patch_size=16,
        img_size=64,
        window_size=2,
        arch=dict(
            embed_dims=C,
            num_layers=DEPTH,
            num_heads=2,
            feedforward_channels=64,
            global_attn_indexes=[1])),
}


@pytest.mark.parametrize('family', ['vit', 'eva02', 'sam'])
def test_block_loop_reproduces_mmpretrain_forward(family):
    torch.manual_seed(0)
    backbone = MODELS.build(
        dict(
            type='VFMVisionTransformer',
            out_indices=(0, 1),
            scales=(1, 1),
            vit=dict(VITS[family], out_indices=[0, 1])))
    assert backbone.family == family
    size = 56 if family == 'eva02' else 64
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        ours, theirs = backbone(x), backbone.vit(x)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize('family,convert,state', [('eva02', 'convert_eva02', official_eva02_state),
                                                  ('sam', 'convert_sam', official_sam_state)])
def test_eva02_and_sam_conversion_load_strictly(family, convert, state):
    from deft_mmseg.models import converters
    official = state()
    backbone = MODELS.build(
        dict(type='VFMVisionTransformer', out_indices=(0, 1), scales=(1, 1), vit=VITS[family]))
    missing, unexpected = backbone.load_state_dict(
        getattr(converters, convert)(official), strict=False)
    assert unexpected == [] and missing == []  # EVA02's rotary tables are computed, not weights
    vit = backbone.vit
    if family == 'eva02':
        q, k = official['blocks.1.attn.q_proj.weight'], official['blocks.1.attn.k_proj.weight']
        assert torch.equal(vit.layers[1].attn.qkv.weight[:C], q)
        assert torch.equal(vit.layers[1].attn.qkv.weight[C:2 * C], k)
        # the release's k bias is a constant zero: no parameter that finetuning could move
        assert vit.layers[1].attn.qkv.bias is None
        assert torch.equal(vit.layers[1].attn.q_bias, official['blocks.1.attn.q_bias'])
        assert torch.equal(vit.layers[1].attn.v_bias, official['blocks.1.attn.v_bias'])
        assert torch.equal(vit.layers[0].mlp.w12.weight[64:], official['blocks.0.mlp.w2.weight'])
    else:
        assert torch.equal(vit.layers[1].attn.rel_pos_h,
                           official['image_encoder.blocks.1.attn.rel_pos_h'])
        assert torch.equal(vit.layers[0].ffn.layers[1].weight,
                           official['image_encoder.blocks.0.mlp.lin2.weight'])
    with pytest.raises(ConversionKeyError):
        getattr(converters, convert)({'something.else': torch.zeros(1)})


def test_sam_huge_rein_count_is_4_51m():
    from deft_mmseg.models import LoRAReins
    reins = LoRAReins(
        token_length=100,
        embed_dims=1280,
        num_layers=32,
        patch_size=16,
        link_token_to_query=True,
        lora_dim=16)
    n = sum(p.numel() for p in reins.parameters())
    print(f'Rein (SAM ViT-H) trainable parameters: {n:,}')
    assert n == pytest.approx(4.51e6, rel=0.01)  # paper 002 Table 2, "SAM (Huge) Rein"


def test_converter_bad_input_is_one_error_line_with_status_2(tmp_path, capsys):
    """A missing file (from a fresh shell: the tool's contract) and a checkpoint of another VFM
    (in this process): one `error:` line, exit status 2."""
    from e2e_helpers import error_line_in_process, one_error_line, run_tool
    line = one_error_line(
        run_tool('model_converters/vfm.py', 'dinov2', str(tmp_path / 'missing.pth'),
                 str(tmp_path / 'out.pth')))
    assert 'missing.pth' in line and 'does not exist' in line
    other = tmp_path / 'other.pth'
    torch.save({'unrelated.weight': torch.zeros(2)}, other)
    line = error_line_in_process(capsys, 'model_converters/vfm.py', 'dinov2', str(other),
                                 str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()
