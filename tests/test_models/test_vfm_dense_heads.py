"""The DeepLabv3+ and SegFormer heads on a ViT trunk (``_base_/models/vfm_dinov2-l_deeplabv3plus.py``,
``vfm_dinov2-l_segformer.py``): every block of the trunk reaches the output, so every block (and
its Rein layer, its FisherTune weights) can train. The DeepLabv3+ head once read block 15 of 24:
blocks 16-23 were computed and never trained (docs/vfm.md)."""
import fnmatch
import os.path as osp

import pytest
import torch

from deft_helpers import batch, total_loss
from repo_paths import CONFIGS, shipped_config

#: every shipped config of a ViT trunk with a DeepLabv3+ or SegFormer head
VFM_DENSE_CONFIGS = [
    c for c in CONFIGS if any(
        fnmatch.fnmatch(osp.basename(c), pattern)
        for pattern in ('*_dinov2-l_deeplabv3plus_*.py', '*_dinov2-l_segformer_*.py'))
]


def test_the_vfm_dense_configs_are_found():
    # Rein and FisherTune with each head, DeFT on Rein with DeepLabv3+
    assert len(VFM_DENSE_CONFIGS) >= 5


@pytest.mark.parametrize('name', VFM_DENSE_CONFIGS)
def test_the_head_reads_the_last_block_at_stride_16_or_finer(name):
    """Full size, as configured: the levels the head reads include DINOv2-L's last block (23 of
    24); DeepLabv3+'s ASPP reads it at stride 16 (patch 16, scale 1), the output stride of the
    ResNet configs (r50-d16) its dilations 1, 6, 12, 18 are for."""
    from mmpretrain.models import VisionTransformer
    model = shipped_config(name).model
    backbone, head = model.backbone, model.decode_head
    assert backbone.type == 'VFMVisionTransformer'
    last = VisionTransformer.arch_zoo[backbone.vit.arch]['num_layers'] - 1
    read = head.in_index if isinstance(head.in_index, (list, tuple)) else [head.in_index]
    assert last in [backbone.out_indices[i] for i in read]
    if head.type == 'DepthwiseSeparableASPPHead':
        assert backbone.out_indices[head.in_index] == last
        assert backbone.vit.patch_size / backbone.scales[head.in_index] == 16
        # its low-level branch always reads level 0 (mmseg's DepthwiseSeparableASPPHead)
        assert backbone.vit.patch_size / backbone.scales[0] == 4
    else:  # SegFormer: a pyramid, strides 4, 8, 16, 32
        assert [backbone.vit.patch_size / s for s in backbone.scales] == [4, 8, 16, 32]


@pytest.mark.parametrize('name', VFM_DENSE_CONFIGS)
def test_every_block_and_its_rein_layer_gets_a_gradient(name):
    """The config's network (backbone with its Reins, neck, head) at ``--demo`` size (the tiny
    ViT, the same levels and head indices) as one segmentor with the trunk unfrozen: one loss
    gives every block's weights a non-zero gradient, and every Rein layer a gradient. (The
    method's segmentor is left out: which parts a stage trains is its business, not the
    network's.)"""
    from mmengine.config import ConfigDict
    from mmseg.registry import MODELS

    from deft_mmseg.demo.demo_config import DEMO_CROP, config_crop, demo_model_config
    cfg = shipped_config(name)
    model_cfg = demo_model_config(cfg, DEMO_CROP / config_crop(cfg))
    network = ConfigDict(
        type='EncoderDecoder', **{k: model_cfg[k]
                                  for k in ('backbone', 'neck', 'decode_head')})
    network.backbone.freeze_vit = False
    torch.manual_seed(0)
    model = MODELS.build(network)
    model.train()
    total_loss(model.loss(*batch(n=2, size=64))).backward()
    blocks = list(model.backbone.vit.layers)
    assert len(blocks) == 4
    for index, block in enumerate(blocks):
        grads = [p.grad for p in block.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads), f'block {index}: no gradient'
        assert sum(g.abs().sum() for g in grads) > 0, f'block {index}: zero gradient'
    reins = [m for n, m in model.named_modules() if n.endswith('reins')]
    for rein in reins:
        missing = [n for n, p in rein.named_parameters() if p.requires_grad and p.grad is None]
        assert missing == [], f'Rein parameters without a gradient: {missing}'
