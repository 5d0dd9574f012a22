"""Pretraining in ImageNet's role for the sim2real protocol (issue 25, docs/mini_dg_sim2real.md).

- **Corpus**: R images (:func:`.sim2real_streets.render_split` ``'real_corpus'``): the whole real
  family, an order of magnitude more images than the source (4,000 vs 400); none of them is a
  target test image (their own seed stream, ``DOMAIN_INDEX['real_corpus']``; tested).
- **Task** (``RECIPE['task']``): ``'patch_classes'``: the majority class of each 8x8 patch
  (19 classes, at the tiny encoder's stride-8 grid), a patch-classification task rather than
  dense segmentation, with a throw-away head (3x3 conv-BN-ReLU, 1x1 conv); ``recipe['patch']``
  (:func:`patch_of`) makes the patches coarser (16: the majority class of each 16x16 patch,
  the stride-8 logits averaged over it; calibration round r17). Rounds r1-r2 of the
  calibration used ``'categories'`` (per-pixel 7 Cityscapes categories, the first protocol's
  task): the decoder trained on those frozen features stayed weak (source-val 23 mIoU), and
  freezing the decoder failed gate (c). An image-level multi-label task (which classes appear)
  was tried first and stayed at chance (balanced accuracy 0.51 after 750 steps).
- **Stopping rule fixed in advance**: train (AdamW, batch 16 of 64x64 crops with flips) and
  every ``eval_every`` steps measure the held-out accuracy on ``held_out`` unseen R images; stop
  at the first evaluation at which it reaches ``target_accuracy``, at most ``max_steps``
  (:func:`stop_pretraining`); the reached value and the steps are stored in the checkpoint's
  meta. For patches the accuracy is the macro recall over the 19 classes (plain patch accuracy
  is dominated by sky, road and building: 0.85 after 200 steps). Target 0.6.
- **Recipe r4** (written down before running it, docs/mini_dg_sim2real.md): round r3's constant
  lr reached only 0.50 of 0.6 at its 3,000-step cap, with 12 frequent classes recognized and
  the 7 rare ones (pole, traffic light, sign, person, rider, motorcycle, bicycle: each under
  0.15 % of the patches) almost never. r4 trains with the loss that matches the metric: cross
  entropy weighted by the inverse patch frequency of each class in the training corpus
  (:func:`class_weights`, ``class_weight_power`` 1, normalized to a mean weight of 1 per patch),
  a cosine-decaying lr (:func:`lr_at`, ``lr`` to 0 over ``max_steps``), at most 8,000 steps,
  evaluated every 250 on 1,000 held-out images (the rarest class has about 15 patches there,
  3 in round r3's 200). Target unchanged: macro recall 0.6. (Categories: pixel accuracy 0.92,
  at most 2,000 steps, rounds r1-r2.)
- **Fixed length (round r21 on)**: ``steps`` 1,000, the length at which the rule above stopped
  in every calibration round r4-r20 (0.645 of 0.6 at 1,000; below 0.6 at 750). On another
  machine of the same model and stack it stopped at 750 (0.6007): a difference in the last bits
  moved the crossing by one evaluation, i.e. a 25 % shorter pretraining. A threshold crossing
  is not reproducible from machine to machine; a step count is. The target is checked at the
  end (``reached``), the lr keeps its cosine over ``max_steps``.
- **Encoder**: the tiny ResNet-18 V1c of ``_base_/models/deeplabv3plus_tiny_demo.py``.

The checkpoint (backbone key names, ``meta['recipe']`` and ``meta['settings']``) is cached under
``data/`` and reused while the recipe and the generator settings are unchanged.
"""
import functools
import math
import os
import os.path as osp
import time
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .pretraining import (CATEGORY_OF_TRAIN_ID, MEAN, STD, _batch, _pixel_accuracy, _PretrainNet,
                          encoder_state)
from .sim2real_streets import GeneratorSettings, render_split

#: ``task``: 'patch_classes' (the majority class of each 8x8 patch, 19 classes, from round r3 of
#: the calibration) or 'categories' (per-pixel 7 categories, rounds r1-r2)
RECIPE = dict(
    kind='resnet',
    task='patch_classes',
    num_images=4000,
    held_out=1000,
    size=(128, 64),
    seed=20261205,
    batch_size=16,
    crop=64,
    lr=2e-3,
    lr_schedule='cosine',
    class_weight_power=1.0,
    weight_decay=1e-4,
    eval_every=250,
    max_steps=8000,
    target_accuracy=0.6,
    steps=1000,
    train_seed=0)
PATCH = 8  # the tiny encoder's output stride: the default (and smallest) patch


def patch_of(recipe: dict) -> int:
    """The patch side of ``recipe``'s patch task: ``recipe['patch']`` (a multiple of
    :data:`PATCH`; a coarser task, from calibration round r17 on), else :data:`PATCH`. Absent from
    :data:`RECIPE`, so that the default recipe and its cached files keep their hash."""
    patch = recipe.get('patch', PATCH)
    if patch % PATCH:
        raise ValueError(f'pretraining patch {patch} is not a multiple of the encoder stride '
                         f'{PATCH}; use 8, 16, 32')
    return patch


def corpus(split: str, num: int, recipe: dict, settings: GeneratorSettings):
    """R images of ``split`` and their per-pixel labels (train ids for 'patch_classes',
    categories for 'categories')."""
    images, labels, _ = render_split(split, num, recipe['size'], recipe['seed'], settings)
    return images, labels if recipe['task'] == 'patch_classes' else CATEGORY_OF_TRAIN_ID[labels]


def patch_majority(labels: torch.Tensor, patch: int = PATCH) -> torch.Tensor:
    """(B, H, W) train ids -> (B, H / patch, W / patch): the most frequent class of each patch
    (ties: the lower id)."""
    b, h, w = labels.shape
    onehot = F.one_hot(labels.long(), 19).float()  # (B, H, W, 19)
    counts = onehot.reshape(b, h // patch, patch, w // patch, patch, 19).sum(dim=(2, 4))
    return counts.argmax(-1)


class PatchClassifier(torch.nn.Module):
    """The tiny encoder plus a throw-away head on its stride-8 features: (B, 3, H, W) ->
    (B, 19, H / patch, W / patch) logits of each patch's majority class (for a patch coarser than
    the stride, the stride-8 logits averaged over the patch)."""

    def __init__(self, kind: str, patch: int = PATCH, model_file: Optional[str] = None):
        super().__init__()
        self.pool = patch // PATCH
        base = _PretrainNet(kind, model_file)
        self.backbone = base.backbone
        self.kind = kind
        self.head = torch.nn.Sequential(
            torch.nn.Conv2d(base.head[0].in_channels, 64, 3, padding=1), torch.nn.BatchNorm2d(64),
            torch.nn.ReLU(inplace=True), torch.nn.Conv2d(64, 19, 1))

    def forward(self, x):
        logits = self.head(self.backbone(x)[-1])
        return F.avg_pool2d(logits, self.pool) if self.pool > 1 else logits

    def encoder_state_dict(self):
        return encoder_state(self.backbone, self.kind)


def lr_at(step: int, recipe: dict) -> float:
    """The lr of ``step`` (0-based): constant, or cosine from ``lr`` to 0 over ``max_steps``."""
    if recipe.get('lr_schedule', 'constant') == 'constant':
        return recipe['lr']
    return recipe['lr'] * 0.5 * (1 + math.cos(math.pi * step / recipe['max_steps']))


def class_weights(patch_labels: torch.Tensor, power: float, num_classes: int = 19) -> Tensor:
    """Per-class loss weights ``freq_c ** -power`` from the patch labels' class frequencies,
    scaled so that the mean weight per patch is 1 (``sum_c freq_c w_c = 1``); an absent class
    gets 0. ``power`` 0: plain cross entropy; 1: every class weighs as much in total (the loss
    whose optimum is the best macro recall)."""
    freq = torch.bincount(patch_labels.flatten(), minlength=num_classes).double()
    freq = freq / freq.sum()
    w = torch.where(freq > 0, freq.clamp(min=1e-12)**-power, torch.zeros_like(freq))
    return (w / (freq * w).sum()).float()


def stop_pretraining(step: int, accuracy: float, recipe: dict) -> bool:
    """The stopping rule fixed in advance. With ``recipe['steps']`` (the default recipe, from
    calibration round r21 on): exactly that many steps; the held-out target is checked, not
    stopped at (``reached`` in the meta). Without it (rounds r4-r20): the held-out accuracy
    reached its target, or the step cap was hit (then ``reached`` is False)."""
    if recipe.get('steps'):
        return step >= recipe['steps']
    return accuracy >= recipe['target_accuracy'] or step >= recipe['max_steps']


def patch_labels_of(labels: np.ndarray, patch: int = PATCH, chunk: int = 100) -> torch.Tensor:
    """:func:`patch_majority` of (N, H, W) train ids, ``chunk`` images at a time (the one-hot
    tensor of 1,000 images would take 600 MB)."""
    return torch.cat([
        patch_majority(torch.from_numpy(labels[i:i + chunk]), patch)
        for i in range(0, len(labels), chunk)
    ])


@torch.no_grad()
def _patch_accuracy(net, images, labels, patch=PATCH):
    net.eval()
    pred = torch.cat([
        net(
            torch.from_numpy(
                (images[i:i + 32].astype(np.float32) - MEAN) / STD).permute(0, 3, 1, 2)).argmax(1)
        for i in range(0, len(images), 32)
    ])
    net.train()
    target = patch_labels_of(labels, patch)
    # mean over classes of the share of their patches recognized (macro recall): plain patch
    # accuracy is dominated by sky, road and building (0.85 after 200 steps)
    recalls = [
        float((pred[target == c] == c).float().mean()) for c in range(19) if (target == c).any()
    ]
    return float(np.mean(recalls))


#: torch's intra-op threads while pretraining, whatever the caller's: CPU kernels sum in another
#: order with another thread count, and 1,000 steps carry the difference far. Measured on the
#: sim2real protocol's recipe (2026-12-06, AMD EPYC): 1 thread gives held-out 0.6521 and the very
#: weights the recorded runs started from; 2 threads give 0.6454 and weights up to 0.66 apart.
#: The fixed protocol's encoder was made with 1.
PRETRAIN_THREADS = 1


def pretrain_real_encoder(out_file: str, settings=None, recipe=None, log=print) -> dict:
    """Pretrain on the R corpus with ``recipe`` (default :data:`RECIPE`) until the held-out
    accuracy fixed in advance, on :data:`PRETRAIN_THREADS` threads; save the encoder to
    ``out_file``; return the meta."""
    threads = torch.get_num_threads()
    torch.set_num_threads(PRETRAIN_THREADS)
    try:
        return _pretrain_real_encoder(out_file, settings, recipe, log)
    finally:
        torch.set_num_threads(threads)


def _pretrain_real_encoder(out_file, settings, recipe, log):
    recipe = dict(RECIPE, **(recipe or {}))
    settings = GeneratorSettings(**(settings or {}))
    start = time.time()
    images, labels = corpus('real_corpus', recipe['num_images'], recipe, settings)
    val_images, val_labels = corpus('real_corpus_val', recipe['held_out'], recipe, settings)
    torch.manual_seed(recipe['train_seed'])
    patches = recipe['task'] == 'patch_classes'
    patch = patch_of(recipe)
    # ``model_file`` (absent from RECIPE, so the ResNet recipe keeps its hash): the network file
    # whose encoder is pretrained, where it is not the kind's demo file
    model_file = recipe.get('model_file')
    net = (
        PatchClassifier(recipe['kind'], patch, model_file) if patches else _PretrainNet(
            recipe['kind'], model_file))
    accuracy = functools.partial(_patch_accuracy, patch=patch) if patches else _pixel_accuracy
    optim = torch.optim.AdamW(
        net.parameters(), lr=recipe['lr'], weight_decay=recipe['weight_decay'])
    weight = None
    if patches and recipe.get('class_weight_power', 0):
        weight = class_weights(patch_labels_of(labels, patch), recipe['class_weight_power'])
    rng = np.random.default_rng(recipe['train_seed'])
    history = []
    step, acc = 0, 0.0
    net.train()
    while True:
        for g in optim.param_groups:
            g['lr'] = lr_at(step, recipe)
        x, y = _batch(images, labels, rng, recipe['batch_size'], recipe['crop'])
        loss = F.cross_entropy(net(x), patch_majority(y, patch) if patches else y, weight=weight)
        optim.zero_grad()
        loss.backward()
        optim.step()
        step += 1
        if step % recipe['eval_every'] == 0 or step >= recipe['max_steps']:
            acc = accuracy(net, val_images, val_labels)
            history.append((step, round(acc, 4), round(loss.item(), 4)))
            log(f'pretrain sim2real: step {step} loss {loss.item():.3f} held-out accuracy '
                f'{acc:.3f} ({time.time() - start:.0f} s)')
            if stop_pretraining(step, acc, recipe):
                break
    meta = dict(
        recipe=recipe,
        settings=dict(settings),
        steps=step,
        held_out_pixel_accuracy=acc,
        reached=acc >= recipe['target_accuracy'],
        history=history,
        seconds=round(time.time() - start, 1),
        threads=torch.get_num_threads())
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp = out_file + '.tmp'
    torch.save(dict(state_dict=net.encoder_state_dict(), meta=meta), tmp)
    os.replace(tmp, out_file)  # never a half-written file under the cached name
    return meta


def ensure_real_encoder(out_file: str, settings=None, recipe=None, log=print) -> str:
    """``out_file``, pretraining it first unless it was made with this recipe and settings."""
    recipe_full = dict(RECIPE, **(recipe or {}))
    settings_full = dict(GeneratorSettings(**(settings or {})))
    if osp.exists(out_file):
        meta = torch.load(out_file, map_location='cpu', weights_only=False).get('meta', {})
        if meta.get('recipe') == recipe_full and meta.get('settings') == settings_full:
            log(f'pretrained sim2real encoder: {out_file} (cached)')
            return out_file
    pretrain_real_encoder(out_file, settings, recipe, log)
    return out_file
