"""PEFT baselines on a frozen ViT: trainable counts of paper 002 Table 5, start from the
pretrained model, LoRA arithmetic, frozen trunk bit-identical through training."""
import pytest
import torch
from mmseg.registry import MODELS

from deft_helpers import changed, same, snapshot

C, L = 32, 3


def _backbone(peft=None):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='VFMVisionTransformer',
            out_indices=(0, 2),
            scales=(1, 1),
            peft=peft,
            vit=dict(
                type='mmpretrain.VisionTransformer',
                patch_size=8,
                img_size=32,
                arch=dict(embed_dims=C, num_layers=L, num_heads=2, feedforward_channels=64))))


@pytest.mark.parametrize('cfg,count', [(dict(type='ViTLoRA'), 1_179_648),
                                       (dict(type='ViTAdaptFormer'), 3_171_840),
                                       (dict(type='ViTDeepPrompt'), 3_686_400)])
def test_trainable_counts_for_vit_large(cfg, count):
    peft = MODELS.build(dict(cfg, num_layers=24, embed_dims=1024))
    n = sum(p.numel() for p in peft.parameters())
    print(f"{cfg['type']} trainable parameters (ViT-L): {n:,}")
    assert n == count


@pytest.mark.parametrize('peft_type', ['ViTLoRA', 'ViTAdaptFormer', 'ViTDeepPrompt'])
def test_frozen_trunk_stays_identical_and_only_peft_trains(peft_type):
    plain = _backbone()
    model = _backbone(dict(type=peft_type, num_layers=L, embed_dims=C))
    model.vit.load_state_dict(plain.vit.state_dict())
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        same_start = all(torch.equal(a, b) for a, b in zip(plain(x), model(x)))
    # LoRA (B = 0) and AdaptFormer (up = 0) start as the pretrained model; prompts change it
    assert same_start == (peft_type != 'ViTDeepPrompt')
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert trainable and all(p is q for p, q in zip(trainable, model.peft.parameters()))
    trunk, peft = snapshot(model.vit), snapshot(model.peft)
    opt = torch.optim.AdamW(trainable, lr=1e-2)
    model.train()
    for _ in range(2):
        opt.zero_grad()
        sum(f.square().mean() for f in model(x)).backward()
        opt.step()
    assert same(trunk, snapshot(model.vit))
    assert changed(peft, snapshot(model.peft))


def test_lora_adds_the_low_rank_update_to_q_and_v_only():
    model = _backbone(dict(type='ViTLoRA', num_layers=L, embed_dims=C, rank=2, alpha=4))
    lora = model.peft
    with torch.no_grad():
        lora.lora_b_q.normal_()
        lora.lora_b_v.normal_()
    qkv = model.vit.layers[1].attn.qkv
    x = torch.randn(5, C)
    out = qkv(x)
    base = x @ qkv.weight.T + qkv.bias
    dq = 2.0 * x @ lora.lora_a_q[1].T @ lora.lora_b_q[1].T
    dv = 2.0 * x @ lora.lora_a_v[1].T @ lora.lora_b_v[1].T
    torch.testing.assert_close(out[:, :C], base[:, :C] + dq)
    torch.testing.assert_close(out[:, C:2 * C], base[:, C:2 * C])  # keys untouched
    torch.testing.assert_close(out[:, 2 * C:], base[:, 2 * C:] + dv)
    assert 'vit.layers.1.attn.qkv.weight' in model.state_dict()  # pretrained names unchanged


def test_deft_with_lora_does_not_share_a_hooked_trunk():
    from mmengine.config import Config

    from repo_paths import config_path
    cfg = Config.fromfile(config_path('_base_', 'models', 'vfm_vit_tiny_demo.py')).model
    cfg.data_preprocessor = None
    cfg.type = 'DualPathwaySegmentor'
    cfg.backbone.peft = dict(type='ViTLoRA', num_layers=4, embed_dims=32, rank=2)
    model = MODELS.build(cfg)
    # LoRA's hooks bind one pathway's adapter to the trunk: each pathway keeps its own trunk
    assert model.shared_encoder_parts == []
    assert model.pathway1.backbone.vit is not model.pathway2.backbone.vit
    cfg.backbone.pop('peft')
    assert MODELS.build(cfg).shared_encoder_parts == ['backbone.vit']


def _tiny_eva02(peft):
    from deft_mmseg.demo.demo_config import TINY_EVA02
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='VFMVisionTransformer',
            vit=dict(TINY_EVA02, drop_path_rate=0.0),
            out_indices=(1, 3),
            scales=(1, 1),
            peft=peft))


def test_adaptformer_on_eva02_adds_the_adapter_to_the_released_block():
    """AdaptFormer on an EVA02 trunk (FisherTune paper Tables 1 and 5): block output = the
    EVA02 block's own forward + s * up(ReLU(down(norm2(x + attn(norm1 x))))); at start (up = 0)
    the trunk is the pretrained one."""
    from deft_mmseg.demo.demo_config import TINY_EVA02
    arch = TINY_EVA02['arch']
    peft = dict(
        type='ViTAdaptFormer',
        num_layers=arch['num_layers'],
        embed_dims=arch['embed_dims'],
        bottleneck=4)
    model = _tiny_eva02(peft).eval()
    plain = _tiny_eva02(None).eval()
    plain.load_state_dict({
        k: v
        for k, v in model.state_dict().items() if not k.startswith('peft.')
    })
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(model(x), plain(x)):
            torch.testing.assert_close(a, b)
        for up in model.peft.up:
            up.weight.normal_()
            up.bias.normal_()
        vit = model.vit
        tokens, hw = vit.patch_embed(x)
        tokens = torch.cat((vit.cls_token.expand(2, -1, -1), tokens), dim=1) + vit.pos_embed
        layer = vit.layers[0]
        mid = tokens + layer.attn(layer.norm1(tokens), hw)
        h = layer.norm2(mid)
        expected = layer(tokens, hw) + 0.1 * model.peft.up[0](torch.relu(model.peft.down[0](h)))
        got = model.peft.block(layer, tokens, 0, 1, hw)
    torch.testing.assert_close(got, expected)


def test_vpt_refuses_an_eva02_trunk():
    from deft_mmseg.demo.demo_config import TINY_EVA02
    arch = TINY_EVA02['arch']
    with pytest.raises(ValueError, match="supports \\('vit',\\) trunks"):
        _tiny_eva02(
            dict(
                type='ViTDeepPrompt',
                num_layers=arch['num_layers'],
                embed_dims=arch['embed_dims'],
                num_tokens=4))
