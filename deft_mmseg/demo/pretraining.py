"""A pretrained tiny encoder for the demo, made on this machine (no weights can be downloaded).

DeFT (Decoupled Finetuning, see docs/papers.md) starts from a *pretrained* encoder whose general
features joint finetuning distorts; a randomly initialized encoder has nothing to preserve. The
demo's stand-in for ImageNet / a VFM's pretraining is supervised pretraining on a synthetic corpus:

- **Corpus** (:func:`make_corpus`): the demo's scene grammar (:func:`render_layout`) rendered under
  a new random appearance style per image (:func:`random_style`): random base colour per class,
  saturation, per-channel gain, texture strength, lighting, light fog and sensor noise. None of the
  three target styles is in it: their palettes are transforms of the source palette (a random
  palette never is), and the ranges stop short of the target conditions (fog <= 0.35 vs 0.55 in
  ``demo_fog``, light >= 0.65 vs 0.4 and noise <= 8 vs 10 in ``demo_night``). The source style
  (GTAV-like palette) is not in it either.
- **Task**: the 7 Cityscapes *categories* (flat, construction, object, nature, sky, human, vehicle)
  rather than the 19 classes, so pretraining is a related but different task (as ImageNet
  classification is for segmentation), with a throw-away head.
- **Encoders**: the demo's tiny ResNet-18 (``_base_/models/deeplabv3plus_tiny_demo.py``; its
  torchvision-stem twin ``deeplabv3plus_robustnet_tiny_demo.py`` for the paper configs) and tiny
  ViT (``_base_/models/vfm_vit_tiny_demo.py``), built from those files so the weights always fit.

The output is an ordinary checkpoint (``state_dict`` with the backbone's own key names: ``stem.*``,
``layer1.*`` ... for the ResNet, ``vit.*`` for ``VFMVisionTransformer``) loaded through
``backbone.init_cfg=dict(type='Pretrained', checkpoint=...)``. Its ``meta['recipe']`` records the
recipe; :func:`ensure_pretrained_encoder` reuses a cached file only when the recipe matches.
Everything is a pure function of the recipe (fixed seeds, single process).
"""
import copy
import os
import os.path as osp
import time
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger

from .synthetic_streets import render_layout, render_scene

#: Cityscapes category (7 classes) of each of the 19 train ids
CATEGORY_OF_TRAIN_ID = np.array([0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 6, 6, 6, 6, 6],
                                dtype=np.uint8)
CATEGORY_NAMES = ('flat', 'construction', 'object', 'nature', 'sky', 'human', 'vehicle')

#: ranges of the random appearance styles (see the module docstring for what they exclude)
STYLE_RANGES = dict(
    colour=(20.0, 235.0),
    saturation=(0.6, 1.2),
    gain=(0.85, 1.15),
    texture=(2.0, 16.0),
    light=(0.65, 1.25),
    fog_prob=0.3,
    fog=(0.1, 0.35),
    noise=(1.0, 8.0))

#: the pretraining recipes; changing one invalidates the cached files
RECIPES = {
    'resnet':
    dict(
        model_file='deeplabv3plus_tiny_demo.py',
        file='tiny_resnet18_synthstyles.pth',
        corpus=dict(num_images=3000, size=(128, 64), seed=20261123),
        steps=700,
        batch_size=16,
        crop=64,
        lr=2e-3,
        weight_decay=1e-4,
        seed=0,
        held_out=200),
    'vit':
    dict(
        model_file='vfm_vit_tiny_demo.py',
        file='tiny_vit_synthstyles.pth',
        corpus=dict(num_images=3000, size=(128, 64), seed=20261123),
        steps=1500,
        batch_size=16,
        crop=64,
        lr=1e-3,
        weight_decay=0.05,
        seed=0,
        held_out=200),
}
# the torchvision-style ResNet (7x7 stem) of the paper configs' network (RobustNet's DeepLabv3+,
# _base_/models/deeplabv3plus_r50-d16_robustnet.py): the same recipe as the ResNetV1c's
RECIPES['resnet-torchvision'] = dict(
    RECIPES['resnet'],
    model_file='deeplabv3plus_robustnet_tiny_demo.py',
    file='tiny_resnet18tv_synthstyles.pth')
MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)  # seg_data_preprocessor.py (RGB)
STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)


def random_style(rng):
    """One random appearance style for :func:`render_scene` (a dict with its own ``palette``)."""
    r = STYLE_RANGES
    fog = rng.uniform(*r['fog']) if rng.random() < r['fog_prob'] else 0.0
    return dict(
        palette=rng.uniform(*r['colour'], size=(19, 3)).astype(np.float32),
        saturation=rng.uniform(*r['saturation']),
        gain=tuple(rng.uniform(*r['gain'], size=3)),
        texture=rng.uniform(*r['texture']),
        fog=fog,
        light=rng.uniform(*r['light']),
        noise=rng.uniform(*r['noise']))


def make_corpus(num_images, size=(128, 64), seed=0):
    """The pretraining corpus: ``images`` (N, H, W, 3) uint8 RGB and ``labels`` (N, H, W) uint8
    category ids, each image a new scene in a new random style."""
    width, height = size
    images = np.empty((num_images, height, width, 3), dtype=np.uint8)
    labels = np.empty((num_images, height, width), dtype=np.uint8)
    for i in range(num_images):
        rng = np.random.default_rng([seed, 7, i])
        label = render_layout(rng, width, height)
        images[i] = render_scene(label, random_style(rng), rng)
        labels[i] = CATEGORY_OF_TRAIN_ID[label]
    return images, labels


def _model_cfg(model_file):
    from mmengine.config import Config

    from ..utils.package_configs import config_root
    return Config.fromfile(osp.join(config_root(), '_base_', 'models', model_file)).model


class _PretrainNet(nn.Module):
    """The encoder of a demo model file plus a throw-away per-pixel category head on its
    stride-8 features: (B, 3, h, w) -> (B, 7, h, w) logits."""

    def __init__(self, kind: str, model_file: Optional[str] = None):
        super().__init__()
        from mmseg.registry import MODELS

        # ``model_file``: another model file of the same kind (default the recipe's), e.g. the
        # sim2real ViT group's vfm_vit_tiny_deeplabv3plus_demo.py (its ViT has layer scale)
        backbone = copy.deepcopy(_model_cfg(model_file or RECIPES[kind]['model_file']).backbone)
        if kind == 'vit':  # train the whole ViT, one output at the patch grid (stride 8)
            backbone.update(freeze_vit=False, out_indices=(-1, ), scales=(1, ))
        self.kind = kind
        self.backbone = MODELS.build(backbone)
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel('WARNING')  # init_weights logs every tensor's initializer
        try:
            self.backbone.init_weights()
        finally:
            logger.setLevel(level)
        channels = self.backbone.embed_dims if kind == 'vit' else 128
        self.head = nn.Sequential(
            nn.Conv2d(channels, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.Conv2d(64, len(CATEGORY_NAMES), 1))

    def forward(self, x):
        feat = self.backbone(x)[-1]
        return F.interpolate(
            self.head(feat), size=x.shape[-2:], mode='bilinear', align_corners=False)

    def encoder_state_dict(self):
        return encoder_state(self.backbone, self.kind)


def encoder_state(backbone: nn.Module, kind: str) -> dict:
    """What a pretrained demo encoder file holds: the backbone's state, for a ViT its trunk
    (``vit.*``) only (the VFM wrapper's scales and the head are the task's)."""
    state = backbone.state_dict()
    if kind == 'vit':
        state = {k: v for k, v in state.items() if k.startswith('vit.')}
    return {k: v.detach().clone() for k, v in state.items()}


def _batch(images, labels, rng, batch_size, crop):
    """Random crops (and horizontal flips) as a normalized (B, 3, crop, crop) tensor and
    (B, crop, crop) labels."""
    n, height, width = labels.shape
    idx = rng.integers(0, n, size=batch_size)
    ys = rng.integers(0, height - crop + 1, size=batch_size)
    xs = rng.integers(0, width - crop + 1, size=batch_size)
    flips = rng.random(batch_size) < 0.5
    imgs, labs = [], []
    for i, y, x, f in zip(idx, ys, xs, flips):
        im = images[i, y:y + crop, x:x + crop]
        lb = labels[i, y:y + crop, x:x + crop]
        if f:
            im, lb = im[:, ::-1], lb[:, ::-1]
        imgs.append((im.astype(np.float32) - MEAN) / STD)
        labs.append(lb.astype(np.int64))
    return (torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous(),
            torch.from_numpy(np.stack(labs)))


@torch.no_grad()
def _pixel_accuracy(net, images, labels):
    net.eval()
    x = torch.from_numpy((images.astype(np.float32) - MEAN) / STD).permute(0, 3, 1, 2)
    pred = torch.cat([net(x[i:i + 32]).argmax(1) for i in range(0, len(x), 32)])
    net.train()
    return float((pred == torch.from_numpy(labels.astype(np.int64))).float().mean())


def pretrain_encoder(kind, out_file, log=print):
    """Pretrain the demo's tiny ``kind`` ('resnet', 'resnet-torchvision' or 'vit') encoder with :data:`RECIPES` and
    save it to ``out_file``; returns the checkpoint's ``meta``."""
    recipe = RECIPES[kind]
    start = time.time()
    images, labels = make_corpus(**recipe['corpus'])
    held_out = make_corpus(recipe['held_out'], recipe['corpus']['size'],
                           recipe['corpus']['seed'] + 1)
    torch.manual_seed(recipe['seed'])
    net = _PretrainNet(kind)
    optim = torch.optim.AdamW(
        net.parameters(), lr=recipe['lr'], weight_decay=recipe['weight_decay'])
    sched = torch.optim.lr_scheduler.OneCycleLR(
        optim, max_lr=recipe['lr'], total_steps=recipe['steps'], pct_start=0.1)
    rng = np.random.default_rng(recipe['seed'])
    net.train()
    for step in range(recipe['steps']):
        x, y = _batch(images, labels, rng, recipe['batch_size'], recipe['crop'])
        loss = F.cross_entropy(net(x), y)
        optim.zero_grad()
        loss.backward()
        optim.step()
        sched.step()
        if (step + 1) % 100 == 0:
            log(f'pretrain {kind}: step {step + 1}/{recipe["steps"]} loss {loss.item():.3f} '
                f'({time.time() - start:.0f} s)')
    meta = dict(
        recipe=recipe,
        kind=kind,
        categories=CATEGORY_NAMES,
        held_out_pixel_accuracy=_pixel_accuracy(net, *held_out),
        seconds=round(time.time() - start, 1))
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp = out_file + '.tmp'
    torch.save(dict(state_dict=net.encoder_state_dict(), meta=meta), tmp)
    os.replace(tmp, out_file)  # never a half-written file under the cached name
    log(f'pretrain {kind}: held-out pixel accuracy (7 categories, unseen random styles) '
        f'{meta["held_out_pixel_accuracy"]:.3f}; {meta["seconds"]:.0f} s -> {out_file}')
    return meta


def pretrained_encoder_path(root, kind):
    """Where the cached pretrained ``kind`` encoder lives under the demo data ``root``."""
    return osp.join(root, 'pretrained', RECIPES[kind]['file'])


def ensure_pretrained_encoder(root, kind, log=print):
    """The path of the pretrained ``kind`` encoder under ``root``, pretraining it first unless a
    file made with the current recipe is already there."""
    path = pretrained_encoder_path(root, kind)
    if osp.exists(path):
        meta = torch.load(path, map_location='cpu', weights_only=False).get('meta', {})
        if meta.get('recipe') == RECIPES[kind]:
            log(f'pretrained {kind} encoder: {path} (cached)')
            return path
        log(f'pretrained {kind} encoder: {path} was made with another recipe; pretraining again')
    pretrain_encoder(kind, path, log=log)
    return path
