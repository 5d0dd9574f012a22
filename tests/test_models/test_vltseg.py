"""VLTSeg: the EVA-CLIP image tower and the CLIP / EVA-CLIP text towers against forwards written here
from the releases' official key names, the language-guided head's class logits and PTM loss
against hand computations, what trains and what stays frozen, and the bad inputs."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from test_eva02_rope import reference_rope

from deft_mmseg.models.converters import convert_clip_text, convert_eva_clip_visual, convert_vltseg
from deft_mmseg.utils.errors import (CheckpointMismatchError, ConversionKeyError,
                                     TextEncoderConfigError)
from e2e_helpers import error_line_in_process
from repo_paths import config_path

C, DEPTH, GRID, HID = 32, 2, 4, 64  # tiny image tower: 32 channels, 4x4 patches of 14
TW, TL, TH, TD, VOCAB = 32, 2, 2, 16, 49408  # tiny text tower: width, layers, heads, joint dim


def _t(g, *shape):
    return torch.randn(*shape, generator=g) * 0.5


def official_eva_clip_state(seed=0):
    """An EVA02-CLIP checkpoint at tiny size with the release's names (``visual.*`` with sub-LN
    attention, rope buffers, final norm and head; the text tower at top level)."""
    g = torch.Generator().manual_seed(seed)
    s = {
        'visual.cls_token': _t(g, 1, 1, C),
        'visual.pos_embed': _t(g, 1, 1 + GRID * GRID, C),
        'visual.patch_embed.proj.weight': _t(g, C, 3, 14, 14),
        'visual.patch_embed.proj.bias': _t(g, C),
        'visual.rope.freqs_cos': _t(g, 16, 16),
        'visual.rope.freqs_sin': _t(g, 16, 16),
        'visual.norm.weight': _t(g, C),
        'visual.norm.bias': _t(g, C),
        'visual.head.weight': _t(g, TD, C),
        'visual.head.bias': _t(g, TD),
        'logit_scale': torch.tensor(4.6)
    }
    for i in range(DEPTH):
        b = f'visual.blocks.{i}.'
        s.update({
            b + 'norm1.weight': 1 + _t(g, C),
            b + 'norm1.bias': _t(g, C),
            b + 'attn.q_proj.weight': _t(g, C, C),
            b + 'attn.k_proj.weight': _t(g, C, C),
            b + 'attn.v_proj.weight': _t(g, C, C),
            b + 'attn.q_bias': _t(g, C),
            b + 'attn.v_bias': _t(g, C),
            b + 'attn.inner_attn_ln.weight': 1 + _t(g, C),
            b + 'attn.inner_attn_ln.bias': _t(g, C),
            b + 'attn.proj.weight': _t(g, C, C),
            b + 'attn.proj.bias': _t(g, C),
            b + 'attn.rope.freqs_cos': _t(g, 16, 16),
            b + 'norm2.weight': 1 + _t(g, C),
            b + 'norm2.bias': _t(g, C),
            b + 'mlp.w1.weight': _t(g, HID, C),
            b + 'mlp.w1.bias': _t(g, HID),
            b + 'mlp.w2.weight': _t(g, HID, C),
            b + 'mlp.w2.bias': _t(g, HID),
            b + 'mlp.ffn_ln.weight': 1 + _t(g, HID),
            b + 'mlp.ffn_ln.bias': _t(g, HID),
            b + 'mlp.w3.weight': _t(g, C, HID),
            b + 'mlp.w3.bias': _t(g, C)
        })
    s.update(official_text_state(g))
    return s


def official_text_state(g, prefix=''):
    s = {
        'token_embedding.weight': _t(g, VOCAB, TW),
        'positional_embedding': _t(g, 77, TW),
        'ln_final.weight': 1 + _t(g, TW),
        'ln_final.bias': _t(g, TW),
        'text_projection': _t(g, TW, TD)
    }
    for i in range(TL):
        b = f'transformer.resblocks.{i}.'
        s.update({
            b + 'ln_1.weight': 1 + _t(g, TW),
            b + 'ln_1.bias': _t(g, TW),
            b + 'attn.in_proj_weight': _t(g, 3 * TW, TW),
            b + 'attn.in_proj_bias': _t(g, 3 * TW),
            b + 'attn.out_proj.weight': _t(g, TW, TW),
            b + 'attn.out_proj.bias': _t(g, TW),
            b + 'ln_2.weight': 1 + _t(g, TW),
            b + 'ln_2.bias': _t(g, TW),
            b + 'mlp.c_fc.weight': _t(g, 4 * TW, TW),
            b + 'mlp.c_fc.bias': _t(g, 4 * TW),
            b + 'mlp.c_proj.weight': _t(g, TW, 4 * TW),
            b + 'mlp.c_proj.bias': _t(g, TW)
        })
    return {prefix + k: v for k, v in s.items()}


def _ln(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1], ), w, b, eps=eps)


def reference_eva_clip_tokens(img, w):
    """The EVA-CLIP image tower (eva_vit_model.py) from official names, all blocks: patch
    embedding, class token, absolute position embedding, blocks with q/v biases, rope on patch
    tokens, the attention sub-LN before the output projection, SwiGLU with ffn_ln; eps 1e-6."""
    x = F.conv2d(
        img, w['visual.patch_embed.proj.weight'], w['visual.patch_embed.proj.bias'],
        stride=14).flatten(2).transpose(1, 2)
    x = torch.cat([w['visual.cls_token'].expand(len(x), -1, -1), x], 1) + w['visual.pos_embed']
    outs = []
    for i in range(DEPTH):
        p = f'visual.blocks.{i}.'
        B, N, _ = x.shape
        h = _ln(x, w[p + 'norm1.weight'], w[p + 'norm1.bias'], 1e-6)
        q = F.linear(h, w[p + 'attn.q_proj.weight'], w[p + 'attn.q_bias'])
        k = F.linear(h, w[p + 'attn.k_proj.weight'])
        v = F.linear(h, w[p + 'attn.v_proj.weight'], w[p + 'attn.v_bias'])
        q, k, v = (t.view(B, N, 2, -1).transpose(1, 2) for t in (q, k, v))
        q = torch.cat([q[:, :, :1], reference_rope(q[:, :, 1:], (GRID, GRID), pt_grid=GRID)], 2)
        k = torch.cat([k[:, :, :1], reference_rope(k[:, :, 1:], (GRID, GRID), pt_grid=GRID)], 2)
        att = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1)
        out = (att @ v).transpose(1, 2).reshape(B, N, C)
        out = _ln(out, w[p + 'attn.inner_attn_ln.weight'], w[p + 'attn.inner_attn_ln.bias'], 1e-6)
        x = x + F.linear(out, w[p + 'attn.proj.weight'], w[p + 'attn.proj.bias'])
        h = _ln(x, w[p + 'norm2.weight'], w[p + 'norm2.bias'], 1e-6)
        hid = F.silu(F.linear(h, w[p + 'mlp.w1.weight'], w[p + 'mlp.w1.bias'])) * F.linear(
            h, w[p + 'mlp.w2.weight'], w[p + 'mlp.w2.bias'])
        hid = _ln(hid, w[p + 'mlp.ffn_ln.weight'], w[p + 'mlp.ffn_ln.bias'], 1e-6)
        x = x + F.linear(hid, w[p + 'mlp.w3.weight'], w[p + 'mlp.w3.bias'])
        outs.append(x)
    return outs


def reference_text_embeddings(tokens, w, act):
    """CLIP's encode_text from official names: causal pre-LN transformer, final LN, the end token
    (highest id) times text_projection, L2-normalized."""
    x = w['token_embedding.weight'][tokens] + w['positional_embedding']
    L = x.shape[1]
    mask = torch.full((L, L), float('-inf')).triu(1)
    for i in range(TL):
        p = f'transformer.resblocks.{i}.'
        h = _ln(x, w[p + 'ln_1.weight'], w[p + 'ln_1.bias'], 1e-5)
        q, k, v = F.linear(h, w[p + 'attn.in_proj_weight'], w[p + 'attn.in_proj_bias']).chunk(3, -1)
        q, k, v = (t.view(len(x), L, TH, -1).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + mask).softmax(-1)
        out = (att @ v).transpose(1, 2).reshape(len(x), L, TW)
        x = x + F.linear(out, w[p + 'attn.out_proj.weight'], w[p + 'attn.out_proj.bias'])
        h = _ln(x, w[p + 'ln_2.weight'], w[p + 'ln_2.bias'], 1e-5)
        x = x + F.linear(
            act(F.linear(h, w[p + 'mlp.c_fc.weight'], w[p + 'mlp.c_fc.bias'])),
            w[p + 'mlp.c_proj.weight'], w[p + 'mlp.c_proj.bias'])
    x = _ln(x, w['ln_final.weight'], w['ln_final.bias'], 1e-5)
    return F.normalize(x[torch.arange(len(x)), tokens.argmax(-1)] @ w['text_projection'], dim=-1)


def tiny_eva_clip_backbone():
    vit = dict(
        type='mmpretrain.ViTEVA02',
        patch_size=14,
        img_size=56,
        sub_ln=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=2, feedforward_channels=HID))
    return MODELS.build(
        dict(
            type='VFMVisionTransformer',
            vit=vit,
            out_indices=(0, 1),
            scales=(1, 1),
            freeze_vit=False,
            eva02_rope=dict(pt_grid=GRID),
            eva02_attention=dict(inner_attn_ln=True)))


def test_eva_clip_image_tower_matches_the_release_forward():
    official = {k: v.double() for k, v in official_eva_clip_state().items()}
    backbone = tiny_eva_clip_backbone()
    backbone.load_state_dict(convert_eva_clip_visual(official), strict=True)
    backbone.double().eval()
    img = torch.randn(2, 3, 56, 56, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    with torch.no_grad():
        ours = backbone(img)
    refs = reference_eva_clip_tokens(img, official)
    for o, r in zip(ours, refs):
        ref_map = r[:, 1:].transpose(1, 2).reshape(2, C, GRID, GRID)
        torch.testing.assert_close(o, ref_map, rtol=1e-9, atol=1e-9)
    # without the sub-LN (an EVA-02 MIM-layout attention) the same weights give other features
    assert not torch.allclose(
        refs[-1],
        reference_eva_clip_tokens(
            img, {
                **official,
                **{
                    f'visual.blocks.{i}.attn.inner_attn_ln.weight': torch.ones(C).double()
                    for i in range(DEPTH)
                }
            })[-1])


@pytest.mark.parametrize(
    'layout,act_cfg,act',
    [
        ('', dict(type='GELU'), F.gelu),  # EVA-CLIP text tower
        ('text.', dict(type='QuickGELU'),
         lambda x: x * torch.sigmoid(1.702 * x)),  # open_clip, OpenAI
    ])
def test_text_tower_matches_the_release_forward(layout, act_cfg, act):
    from mmseg.utils import tokenizer
    g = torch.Generator().manual_seed(5)
    official = official_text_state(g, prefix=layout)
    encoder = MODELS.build(
        dict(
            type='ClassTextEncoder',
            vocabulary=['road', 'traffic light'],
            templates=['a photo of a {}.', 'a {} in a street.'],
            embed_dims=TW,
            num_layers=TL,
            num_heads=TH,
            output_dims=TD,
            act_cfg=act_cfg))
    encoder.load_state_dict(
        convert_clip_text({
            **official, 'logit_scale': torch.tensor(4.6)
        }), strict=True)
    plain = {k[len(layout):]: v for k, v in official.items()}
    per_template = [
        reference_text_embeddings(
            tokenizer.tokenize([t.format(n) for n in ('road', 'traffic light')]), plain, act)
        for t in ('a photo of a {}.', 'a {} in a street.')
    ]
    expected = F.normalize(torch.stack(per_template).mean(0), dim=-1)
    torch.testing.assert_close(encoder.class_embeddings(), expected, rtol=1e-5, atol=1e-5)
    tokens = tokenizer.tokenize(['a photo of a road.'])[0]
    assert tokens[0] == 49406 and tokens[tokens.argmax()] == 49407  # CLIP's start / end ids


def test_embeddings_are_recomputed_after_loading_weights():
    encoder = MODELS.build(
        dict(
            type='ClassTextEncoder',
            vocabulary=['road'],
            embed_dims=TW,
            num_layers=TL,
            num_heads=TH,
            output_dims=TD))
    before = encoder.class_embeddings().clone()
    encoder.load_state_dict(
        convert_clip_text({
            **official_text_state(torch.Generator()), 'logit_scale': torch.tensor(1.)
        }))
    assert not torch.allclose(before, encoder.class_embeddings())


def test_vltseg_converter_writes_one_file_for_the_whole_model():
    official = official_eva_clip_state()
    out = convert_vltseg(official, source='eva-clip')
    assert {k.split('.')[0] for k in out} == {'backbone', 'decode_head'}
    assert torch.equal(out['decode_head.pixel_text_proj.linear.weight'],
                       official['visual.head.weight'])
    assert torch.equal(out['decode_head.text_encoder.text_projection'], official['text_projection'])
    with pytest.raises(ConversionKeyError, match='vltseg-eva-clip'):
        convert_vltseg(official, source='clip')  # an EVA-CLIP file under the OpenAI converter


def tiny_vltseg_model(_drop=(), **head):
    """The shipped EVA-CLIP VLTSeg config at demo size, its head updated by ``head`` and without
    the keys ``_drop`` (so that the head's defaults apply)."""
    from deft_mmseg.demo import make_demo_config
    cfg = make_demo_config(
        Config.fromfile(
            config_path('vltseg', 'vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512.py')))
    cfg.model.decode_head.update(head)
    for key in _drop:
        cfg.model.decode_head.pop(key, None)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, cfg


def _samples(labels):
    out = []
    for lab in labels:
        s = SegDataSample(
            metainfo=dict(img_shape=lab.shape, pad_shape=lab.shape, ori_shape=lab.shape))
        s.gt_sem_seg = PixelData(data=lab[None])
        out.append(s)
    return out


def test_class_logits_are_scaled_cosines_with_the_text_embeddings():
    model, _ = tiny_vltseg_model(temperature=0.05)
    head = model.decode_head
    feats = model.extract_feat(torch.randn(2, 3, 64, 64))
    captured = []
    head.transformer_decoder.post_norm.register_forward_hook(lambda m, i, o: captured.append(o))
    cls_scores, _ = head(feats, _samples(torch.zeros(2, 64, 64, dtype=torch.long)))
    q = captured[-1]  # the queries of the last decoder layer, (B, Q, C)
    text = head.text_encoder.class_embeddings()
    W, b = head.cls_embed.proj.weight, head.cls_embed.proj.bias
    classes = torch.cat([text, head.cls_embed.no_object[None]])
    expected = torch.zeros(*q.shape[:2], len(classes))
    for bi in range(q.shape[0]):
        for qi in range(q.shape[1]):
            z = W @ q[bi, qi] + b
            for k in range(len(classes)):
                expected[bi, qi,
                         k] = torch.dot(z, classes[k]) / (z.norm() * classes[k].norm()) / 0.05
    assert cls_scores[-1].shape[-1] == 19 + 1
    torch.testing.assert_close(cls_scores[-1], expected, rtol=1e-4, atol=1e-4)


def _ptm_loss_by_hand(model, tau, weight):
    """The PTM loss of DenseCLIP's score map written out: ``weight * CE(S / tau)`` over labelled
    pixels, ``S = cos(P f, t_k)`` upsampled to the label size; returns (head's loss, by hand)."""
    head = model.decode_head
    feats = model.extract_feat(torch.randn(2, 3, 64, 64))
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 19, (2, 64, 64), generator=g)
    labels[:, :10] = 255
    losses = head.loss(feats, _samples(labels), None)
    f = feats[-1]  # the last level, (B, C, h, w)
    proj = head.pixel_text_proj
    pix = F.layer_norm(
        f.permute(0, 2, 3, 1), (f.shape[1], ), proj.norm.weight, proj.norm.bias,
        1e-6) @ proj.linear.weight.T + proj.linear.bias  # the config: EVA-CLIP eps
    pix = pix / pix.norm(dim=-1, keepdim=True)
    text = head.text_encoder.class_embeddings()
    scores = torch.einsum('bhwd,kd->bkhw', pix, text / text.norm(dim=-1, keepdim=True)) / tau
    scores = F.interpolate(scores, size=(64, 64), mode='bilinear', align_corners=False)
    logp = scores.log_softmax(1)
    valid = labels != 255
    picked = logp.gather(1, labels.clamp(max=18)[:, None])[:, 0]
    return losses['loss_ptm'], weight * -(picked[valid]).mean()


def test_ptm_loss_is_the_cross_entropy_of_the_score_map():
    model, _ = tiny_vltseg_model(
        temperature=0.05,
        loss_ptm=dict(
            type='mmseg.CrossEntropyLoss',
            loss_weight=0.7,
            avg_non_ignore=True,
            loss_name='loss_ptm'))
    loss, expected = _ptm_loss_by_hand(model, tau=0.05, weight=0.7)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-5)


#: DenseCLIP's score-map loss, which VLTSeg's PTM loss follows (the VLTSeg paper gives neither
#: value; docs/vltseg.md): raoyongming/DenseCLIP segmentation/denseclip/denseclip.py:34
#: ``tau=0.07`` (the score map is divided by it at line 231) and
#: segmentation/configs/_base_/models/denseclip_r50.py:51, the IdentityHead's
#: ``CrossEntropyLoss(loss_weight=0.4)``.
DENSECLIP_TAU, DENSECLIP_SCORE_MAP_WEIGHT = 0.07, 0.4


def test_head_defaults_are_denseclips_tau_and_score_map_weight():
    """A config that leaves ``temperature`` and ``loss_ptm`` out gets DenseCLIP's values: the
    loss equals 0.4 x the cross-entropy of the score map divided by 0.07."""
    model, _ = tiny_vltseg_model(_drop=('temperature', 'loss_ptm'))
    loss, expected = _ptm_loss_by_hand(model, tau=DENSECLIP_TAU, weight=DENSECLIP_SCORE_MAP_WEIGHT)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-5)


def test_shipped_vltseg_configs_use_denseclips_tau_and_score_map_weight():
    """Every shipped config with the language-guided head (VLTSeg and DeFT on VLTSeg) trains with
    PTM weight 0.4 and tau 0.07, written or by default."""
    import inspect

    from deft_mmseg.models.decode_heads.vltseg_mask2former_head import VLTSegMask2FormerHead
    from repo_paths import CONFIGS, shipped_config
    default_tau = inspect.signature(VLTSegMask2FormerHead).parameters['temperature'].default
    found = []
    for config in [c for c in CONFIGS if 'vltseg' in c]:  # the names say the method
        head = shipped_config(config).model.decode_head
        if head.type != 'VLTSegMask2FormerHead':
            continue
        found.append(config)
        assert head.get('temperature', default_tau) == DENSECLIP_TAU, config
        assert head.loss_ptm.loss_weight == DENSECLIP_SCORE_MAP_WEIGHT, config
    assert len(found) >= 5, found


def test_image_encoder_trains_and_the_text_tower_stays_bit_identical():
    from mmengine.optim import build_optim_wrapper
    model, cfg = tiny_vltseg_model()
    text_before = {k: v.clone() for k, v in model.decode_head.text_encoder.state_dict().items()}
    emb_before = model.decode_head.text_encoder.class_embeddings().clone()
    vit_before = model.backbone.vit.layers[0].attn.qkv.weight.clone()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    g = torch.Generator().manual_seed(2)
    for step in range(2):
        inputs = torch.randn(2, 3, 64, 64, generator=g)
        labels = torch.randint(0, 19, (2, 64, 64), generator=g)
        losses = model.loss(inputs, _samples(labels))
        assert 'decode.loss_ptm' in losses
        loss, _ = model.parse_losses(losses)
        optim.optimizer.zero_grad()
        loss.backward()
        if step == 0:
            assert model.backbone.vit.layers[0].attn.qkv.weight.grad.abs().sum() > 0
            assert all(p.grad is None and not p.requires_grad
                       for p in model.decode_head.text_encoder.parameters())
        optim.step()  # the config's optimizer: AdamW, weight decay, gradient clipping
    assert not torch.equal(vit_before, model.backbone.vit.layers[0].attn.qkv.weight)
    for k, v in model.decode_head.text_encoder.state_dict().items():
        assert torch.equal(v, text_before[k]), k
    assert torch.equal(emb_before, model.decode_head.text_encoder.class_embeddings())


def test_bad_vltseg_settings_are_one_line_errors():
    with pytest.raises(TextEncoderConfigError, match='num_classes=19'):
        tiny_vltseg_model(
            text_encoder=dict(
                type='ClassTextEncoder',
                vocabulary=['road'],
                dataset_name=None,
                embed_dims=TW,
                num_layers=TL,
                num_heads=TH,
                output_dims=TD))
    with pytest.raises(TextEncoderConfigError, match='context length'):
        MODELS.build(
            dict(
                type='ClassTextEncoder',
                vocabulary=['road'],
                templates=['a photo of a {} ' + 'very ' * 80],
                embed_dims=TW,
                num_layers=TL,
                num_heads=TH,
                output_dims=TD))


def test_checkpoint_of_another_clip_variant_is_refused(tmp_path):
    """A converted file of another variant (a wider joint space, another patch size) is an error
    at init, not a half-loaded model (mmengine's Pretrained init would only log)."""
    good = convert_vltseg(official_eva_clip_state(), 'eva-clip')
    model, _ = tiny_vltseg_model(
        text_encoder=dict(  # the file's text tower and joint width
            type='ClassTextEncoder',
            dataset_name='cityscapes',
            embed_dims=TW,
            num_layers=TL,
            num_heads=TH,
            output_dims=TD))
    backbone = tiny_eva_clip_backbone()
    for key, value, module, match in [('decode_head.text_encoder.text_projection',
                                       torch.zeros(TW,
                                                   2 * TD), model.decode_head, 'text_projection'),
                                      ('backbone.vit.patch_embed.projection.weight',
                                       torch.zeros(C, 3, 16, 16), backbone, 'patch_embed')]:
        path = str(tmp_path / 'other.pth')
        torch.save(dict(state_dict={**good, key: value}), path)
        module.init_cfg = dict(type='Pretrained', checkpoint=path, prefix=key.split('.')[0] + '.')
        with pytest.raises(CheckpointMismatchError, match=match):
            module.init_weights()
    # the matching file loads (text tower, projection and image tower)
    torch.save(dict(state_dict=good), str(tmp_path / 'good.pth'))
    model.decode_head.init_cfg['checkpoint'] = str(tmp_path / 'good.pth')
    model.decode_head.init_weights()
    assert torch.equal(model.decode_head.pixel_text_proj.linear.weight,
                       good['decode_head.pixel_text_proj.linear.weight'])
    backbone.init_cfg = dict(
        type='Pretrained', checkpoint=str(tmp_path / 'good.pth'), prefix='backbone.')
    backbone.init_weights()
    assert torch.equal(backbone.vit.layers[1].attn.q_bias,
                       good['backbone.vit.layers.1.attn.q_bias'])


def test_vocabulary_that_differs_from_the_dataset_stops_training(demo_cwd, capsys):
    names = [
        'sidewalk', 'road', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign',
        'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train',
        'motorcycle', 'bicycle'
    ]
    # in-process: train.py's shell contract (exit 2, one line) has its own fresh-shell tests
    line = error_line_in_process(
        capsys, 'train.py',
        config_path('vltseg', 'vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512.py'), '--demo',
        '--work-dir', 'work', '--cfg-options', 'model.decode_head.text_encoder.dataset_name=None',
        'model.decode_head.text_encoder.vocabulary=' + repr(names).replace(' ', ''))
    assert "dataset 'road', vocabulary 'sidewalk'" in line


@pytest.mark.slow
def test_full_size_parameter_counts_match_the_architecture():
    """docs/vltseg.md's counts, from the L/14 towers' shapes written out here."""

    def count(model, trainable=None):
        params = {id(p): p for p in model.parameters()}.values()
        return sum(p.numel() for p in params if trainable is None or p.requires_grad == trainable)

    w, layers, ctx, vocab = 768, 12, 77, 49408
    per_layer = (4 * w * w + 4 * w) + 2 * 2 * w + (2 * w * 4 * w + 4 * w + w)
    text = vocab * w + ctx * w + layers * per_layer + 2 * w + w * w + 1
    assert text == 123_650_305
    built = {}
    for name in ('vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512.py',
                 'vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512_plain.py'):
        built[name] = MODELS.build(Config.fromfile(config_path('vltseg', name)).model)
    vlt, plain = built.values()
    assert count(vlt.decode_head.text_encoder) == text
    assert count(vlt, trainable=False) == text  # the text tower is all that is frozen
    # VLTSeg's head over a plain Mask2Former: the query projection to the joint space, the
    # no-object embedding and the pixel projection (LN + 1024 -> 768), less the linear classifier
    extra = (256 * w + w) + w + (2 * 1024 + 1024 * w + w) - (256 * 20 + 20)
    assert count(vlt, trainable=True) - count(plain, trainable=True) == extra == 982_252
    print('VLTSeg EVA-CLIP-L trainable', count(vlt, trainable=True), 'frozen text', text)
    assert count(vlt, trainable=True) == 326_003_072


def test_deft_on_vltseg_shares_the_frozen_text_tower():
    from deft_mmseg.demo import make_demo_config
    cfg = make_demo_config(
        Config.fromfile(
            config_path('deft', 'deft-vltseg_eva-clip-l_mask2former_1xb4-48k_gtav-512x512.py')))
    model = MODELS.build(cfg.model)
    assert model.shared_encoder_parts == ['decode_head.text_encoder']
    assert model.pathway1.decode_head.text_encoder is model.pathway2.decode_head.text_encoder
    # the image towers are trained: one per pathway
    assert model.pathway1.backbone.vit is not model.pathway2.backbone.vit
