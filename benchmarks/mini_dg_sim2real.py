"""Calibration of the sim2real miniature DG protocol with the baselines only (issue 25).

    python benchmarks/mini_dg_sim2real.py probe --seed 100 --round r4 [--settings JSON]
    python benchmarks/mini_dg_sim2real.py sweep --lengths 2800 5600 11200 [--optim JSON]
    python benchmarks/mini_dg_sim2real.py rows --warmup W --decoupled D --rows lpft [--optim JSON]
    python benchmarks/mini_dg_sim2real.py pretrain --encoder vit   # the ViT group's R encoder

Before any run of DeFT, Rein or FisherTune under the second protocol, its premise is measured with
the baselines of the DeFT paper's Table 1 / Fig. 1 on calibration seeds (100, 101, ...; the
protocol's seeds are 0-4): joint finetuning after the decoder warm-up (LP-FT), freezing the
encoder, freezing the decoder, all branching from the same warm-up. The gates:

- (a) joint finetuning's source-validation mIoU minus its average target mIoU >= 15 points;
- (b) joint finetuning's target loss rises in the second half of decoupled finetuning while its
  source (training) loss falls (Fig. 1);
- (c) freezing the decoder within 3 points of LP-FT in average target mIoU.

The schedule comes from source data alone (:func:`probe_schedule`): the warm-up lasts until the
frozen-encoder model's source-validation loss plateaus; decoupled finetuning is at least 5x the
warm-up and long enough for joint finetuning's source-validation loss to plateau.

BatchNorm convention for every row: the DeFT paper's literal one (Alg. 1-2): a frozen module has
``requires_grad`` off and stays in train mode (its BN running statistics keep updating).

The network is the demo's tiny DeepLabv3+ (``_base_/models/deeplabv3plus_tiny_demo.py``, built by
mmseg), the optimizer the shipped two-stage recipe (``_base_/schedules/two_stage_sgd_8k_40k.py``:
SGD lr 1e-2, momentum 0.9, weight decay 5e-3 / 5e-4, poly(0.9) per stage, optimizer state reset at
the switch), the augmentation the demo's (``_base_/datasets/demo.py``: RandomResize 0.75-1.5,
RandomCrop 64 with cat_max_ratio 0.75, RandomFlip, PhotoMetricDistortion, RandomGaussianBlur),
built from mmseg's / deft_mmseg's registered transforms. The loop is a plain in-process torch loop
(it evaluates losses on the targets every few iterations, which Fig. 1 needs); the protocol's
method runs go through the shipped configs.
"""
import argparse
import copy
import hashlib
import json
import os
import os.path as osp
import sys
import time
from collections import OrderedDict

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS = osp.join(REPO, 'benchmarks', 'results', 'mini_dg_sim2real_calibration.json')
DATA = dict(num_source=400, num_source_val=100, num_target=200, size=(128, 64), data_seed=0)
DEFAULT_DATA = dict(DATA)  # ``--data`` overrides DATA for a calibration run, as ``--optim`` OPTIM
CURVE_TARGET_IMAGES = 32  # per target, for the loss curves (the final mIoU uses all 200)
CURVE_POINTS = 10  # evaluation points per row's curve (``--curve-points``)
GATES = dict(gap=15.0, freeze_decoder_within=3.0)
#: the schedule rule from round r4 on (written down before running it): evaluate the source-val
#: loss every ``eval_every`` iterations of a constant-lr probe; the plateau is the first point at
#: which the mean over the last ``window`` iterations is less than ``rel_tol`` below the mean over
#: the ``window`` before (:func:`plateau_step_windowed`). Warm-up W: that point of the
#: decoder-only probe (at most ``warmup_max``). Decoupled D: max(``multiple`` x W, that point of
#: joint finetuning started from the warm-up actually run (the probe stops at ``decoupled_max``,
#: which stands for the plateau if none came)). Rounds
#: r1-r3 used single points (3 % over 150 / 400 iterations), which fired while the decoder was
#: far from converged (gate (c)'s failure).
SCHEDULE_PROBE = dict(
    rule='window_means',
    eval_every=100,
    window=500,
    rel_tol=0.01,
    warmup_max=5000,
    decoupled_max=15000,
    multiple=5)
OPTIM = dict(
    lr=0.01, momentum=0.9, wd_warmup=5e-3, wd_decoupled=5e-4, power=0.9, batch=4, lr_decoupled=None)
#: the shipped recipe; ``--optim`` overrides OPTIM for a calibration run (recorded in its record,
#: and its cached warm-up files carry the override's hash). ``lr_decoupled``: the base lr of
#: decoupled finetuning where it differs from the warm-up's ``lr`` (None: the same; from round
#: r14 on)
DEFAULT_OPTIM = dict(OPTIM)
#: overrides of the tiny network's decode head (``--head``, from round r15 on; e.g. its width
#: ``channels`` / ``c1_channels``): a calibration lever, recorded in the record and in the
#: warm-up files' names
HEAD = dict()
HEAD_KEYS = ('channels', 'c1_channels')
#: overrides of the R pretraining recipe (``--pretraining``, from round r17 on; e.g. a coarser
#: patch task ``patch`` or another ``target_accuracy``): the pretrained encoder's file name
#: carries the resolved recipe's hash (so do the warm-up files, named after it)
PRETRAINING = dict()
PRETRAINING_KEYS = ('patch', 'target_accuracy', 'max_steps', 'steps', 'kind', 'eval_every',
                    'model_file')
#: the cached encoder file's stem per encoder kind (the ResNet's name predates the ViT group)
ENCODER_STEMS = dict(resnet='tiny_resnet18', vit='tiny_vit')
#: the ViT group's pretraining (docs/mini_dg_sim2real.md, "The ViT group under sim2real: the plan",
#: step 1, written before any ViT run): the ResNet's recipe on the same R corpus and task, with
#: the stopping rule instead of a fixed length: the first multiple of 1,000 steps at which the
#: held-out macro patch recall reaches 0.6, at most 8,000 (the cosine lr spans 8,000 steps either
#: way, so stopping at N gives the weights of a fixed-length run of N steps); the ViT pretrained
#: is the one the group's network runs (its DINOv2-style layer scale included)
VIT_PRETRAINING = dict(
    kind='vit', steps=None, eval_every=1000, model_file='vfm_vit_tiny_deeplabv3plus_demo.py')
#: what the warm-up does not depend on (left out of the warm-up files' names)
NOT_WARMUP_OPTIM = ('lr_decoupled', )
#: the optimizer of the calibration loop (``--optimizer``): 'SGD' (the ResNet group's, the DeFT
#: paper's recipe; momentum from OPTIM) or 'AdamW' (the VFM methods' recipe, the shipped Rein /
#: FisherTune / VFM baseline configs after w1oves/Rein: betas (0.9, 0.999), eps 1e-8, no weight
#: decay on norm layers; lr and the weight decays from OPTIM, e.g. ``--optim '{"lr": 1e-4,
#: "wd_warmup": 0.05, "wd_decoupled": 0.05}'``). Kept out of OPTIM, so that the fixed
#: protocol's resolved recipe (and its hash) stays as it was; a record without the key ran SGD.
OPTIMIZERS = ('SGD', 'AdamW')
OPTIMIZER = dict(type='SGD')


def decoupled_lr(optim=None) -> float:
    """The base lr of decoupled finetuning (and of joint finetuning's probe) of the recipe
    ``optim`` (default :data:`OPTIM`; the Runner rows pass the protocol's resolved one)."""
    optim = OPTIM if optim is None else optim
    return optim['lr'] if optim['lr_decoupled'] is None else optim['lr_decoupled']


#: The protocol the methods run under, through the shipped configs and mmengine's Runner
#: (``benchmarks/mini_dg.py --protocol sim2real``), FIXED in the commit "Fix the sim2real
#: protocol (before any method run)" from calibration round r21 (docs/mini_dg_sim2real.md):
#: two contradicting source palette pairs, the warm-up at lr 4e-2, decoupled finetuning at the
#: shipped 1e-2, batch 16, W and D from the schedule probe on source data alone; the gates passed
#: on both calibration seeds with the baselines only. Any change to a value here is a new
#: protocol (its hash changes, its results are kept apart):
#:
#: - ``settings``: GeneratorSettings overrides (the data and the R encoder's cache name follow);
#: - ``optim``: overrides of :data:`OPTIM` (lr, momentum, the per-stage weight decays, poly power,
#:   batch) for every row;
#: - ``warmup_iters`` W, ``decoupled_iters`` D: the two-stage rows' stages; joint finetuning
#:   without a warm-up runs W + D; DeFT's cross-EMA beta = 1 - 4 / D (EMA horizon D / 4);
#: - ``data``: the data sizes and seed (:data:`DATA`'s keys); ``seeds``: the protocol's seeds;
#: - ``pretraining``: overrides of the R pretraining recipe (:data:`PRETRAINING_KEYS`);
#: - ``network``: the tiny network every row runs (the one this calibration measured and the R
#:   encoder is pretrained for: ResNet-18 V1c, DepthwiseSeparableASPPHead) and whether its loss
#:   averages over the non-ignored pixels only (as this loop's ``F.cross_entropy`` does);
#: - ``distance_interval``: ParamDistanceHook's interval on the ResNet rows;
#: - ``table8_betas``: the DeFT paper's Table 8 values of beta at its D = 40,000, rescaled to D
#:   as the default is (the EMA horizon 1 / (1 - beta) the same fraction of D):
#:   :func:`table8_betas` (0.9999 -> 1 - 4 / D, 0.999 -> 1 - 40 / D, 0.99 -> 1 - 400 / D);
#: - ``fixed``: False until the protocol commit; DeFT-family rows refuse to run the full schedule
#:   before it (smoke runs, ``--iters``, are allowed).
#:
#: What else a result depends on enters the hash through :func:`protocol`: every generator
#: setting (defaults included), the whole optimizer recipe, the R pretraining recipe.
PROTOCOL = dict(
    fixed=True,
    settings={'sim_palette_swap': [[8, 9], [0, 1]]},
    optim={
        'lr': 0.04,
        'lr_decoupled': 0.01,
        'batch': 16
    },
    warmup_iters=1400,
    decoupled_iters=7000,
    data=dict(DATA),
    pretraining={},
    seeds=[0, 1, 2, 3, 4],
    network=dict(model='deeplabv3plus_tiny_demo.py', loss_avg_non_ignore=True),
    distance_interval=50,
    table8_betas=[0.99, 0.999, 0.9999],
    version=2)

#: The ViT group's protocol (``benchmarks/mini_dg.py --protocol sim2real-vit``; issue 25 item 6,
#: docs/mini_dg_sim2real.md "The ViT group under sim2real"): the fixed protocol's data and generator
#: settings, the R pretraining of the tiny ViT (:data:`VIT_PRETRAINING`), the tiny ViT DeepLabv3+
#: (its MultiLevelNeck with the head: the two-stage segmentors' ``neck_part='decoder'``, as this
#: calibration's decoder), the VFM methods' optimizer (``optimizer``: AdamW, no decay on norm
#: layers, the shipped ``optim_adamw_peft.py`` recipe at the lr below), W and D from calibration
#: round v2 (the probe on seed 100; the ViT gate on seeds 100 and 101). Its own dict, so that the
#: ResNet protocol's hash and results stay as they are. FIXED in the commit "Fix the sim2real ViT
#: protocol (before any method run)", after the ViT gate held on calibration seeds 100 and 101. Keys as :data:`PROTOCOL`'s, plus
#: ``optimizer`` and ``fishertune_estimate_iters`` (FisherTune's DR-FIM batches: its config's 500
#: for 40K tuning iterations, scaled to D as W and D are: 500 x 16,000 / 40,000 = 200).
VIT_PROTOCOL = dict(
    fixed=True,
    settings={'sim_palette_swap': [[8, 9], [0, 1]]},
    optimizer='AdamW',
    optim={
        'lr': 1e-3,
        'wd_warmup': 0.05,
        'wd_decoupled': 0.05,
        'batch': 16
    },
    warmup_iters=3200,
    decoupled_iters=16000,
    data=dict(DATA),
    pretraining=dict(VIT_PRETRAINING),
    seeds=[0, 1, 2, 3, 4],
    network=dict(model=VIT_PRETRAINING['model_file'], loss_avg_non_ignore=True),
    distance_interval=200,
    fishertune_estimate_iters=200,
    version=1)

#: the decoupled length Table 8's betas were run with (the DeFT paper's 40K)
PAPER_DECOUPLED_ITERS = 40000


def table8_betas(proto=None) -> dict:
    """{paper beta: beta at the protocol's D} (horizon 1 / (1 - beta) scaled by D / 40,000)."""
    p = PROTOCOL if proto is None else proto
    d = p['decoupled_iters']
    return {b: 1.0 - (1.0 - b) * PAPER_DECOUPLED_ITERS / d for b in p['table8_betas']}


def protocol(proto=None) -> dict:
    """``proto`` (default :data:`PROTOCOL`) resolved to everything a result depends on: the full
    generator settings, the full optimizer recipe, the full data sizes, the R pretraining recipe
    (as the JSON record stores them). Unknown keys in ``settings``, ``optim`` or ``data`` raise
    ``ValueError``."""
    from deft_mmseg.demo.sim2real_pretraining import RECIPE
    from deft_mmseg.demo.sim2real_streets import GeneratorSettings
    p = copy.deepcopy(PROTOCOL if proto is None else proto)
    for key, known in (('optim', DEFAULT_OPTIM), ('data', DEFAULT_DATA), ('pretraining',
                                                                          PRETRAINING_KEYS)):
        unknown = sorted(set(p.get(key, {})) - set(known))
        if unknown:
            raise ValueError(f'sim2real protocol: unknown {key} keys {unknown}; known: '
                             f'{sorted(known)}')
    p['settings'] = dict(GeneratorSettings(**p['settings']))
    p['optim'] = dict(DEFAULT_OPTIM, **p['optim'])
    p['data'] = dict(DEFAULT_DATA, **p['data'])
    p['pretraining'] = dict(RECIPE, **p.get('pretraining', {}))
    return json.loads(json.dumps(p, sort_keys=True, default=list))


def protocol_hash(proto=None) -> str:
    """12 hex digits of the resolved protocol's sha1 (tags every result of the Runner rows).
    The list of seeds is left out (a result depends on its own seed only: adding a seed keeps
    the results of the others); ``fixed`` is in (no result from before the protocol commit
    counts as one of the fixed protocol)."""
    return settings_hash({k: v for k, v in protocol(proto).items() if k != 'seeds'})


def smoke_protocol(iters=None, data=None, proto=None) -> dict:
    """:data:`PROTOCOL` (or ``proto``) for a smoke run: ``iters`` iterations in all, W and D
    scaled keeping W : D (W at least 1, D at least 8, so that beta = 1 - 4 / D >= 0.5; the
    distance hook's interval at most a quarter of the run), and ``data`` overriding the data
    sizes. Either one adds a ``smoke`` entry, so the hash changes even where the numbers happen
    to be the protocol's. Without both: the protocol unchanged."""
    p = copy.deepcopy(PROTOCOL if proto is None else proto)
    if iters is None and not data:
        return p
    smoke = {}
    if iters is not None:
        w, d = p['warmup_iters'], p['decoupled_iters']
        warmup = max(1, int(round(iters * w / (w + d))))
        if iters - warmup < 8:
            raise ValueError(f'--iters {iters} is too short for the sim2real schedule: it keeps '
                             f'W : D = {w} : {d} and needs D >= 8 (beta = 1 - 4 / D); '
                             f'use at least {max(warmup + 8, 12)}')
        p['warmup_iters'], p['decoupled_iters'] = warmup, iters - warmup
        if 'fishertune_estimate_iters' in p:  # a share of D, as in the protocol
            p['fishertune_estimate_iters'] = max(
                1, round(p['fishertune_estimate_iters'] * (iters - warmup) / d))
        p['distance_interval'] = min(p['distance_interval'], max(1, iters // 4))
        smoke['iters'] = iters
    if data:
        p['data'] = dict(p['data'], **data)
        smoke['data'] = dict(data)
    p['smoke'] = smoke
    return p


# ------------------------------------------------------------------------------------------
# data and model


def load_data(settings, num_target=None):
    from deft_mmseg.demo.sim2real_streets import REAL_TARGETS, render_split
    size, seed = DATA['size'], DATA['data_seed']
    data = {
        'sim': render_split('sim', DATA['num_source'], size, seed, settings)[:2],
        'sim_val': render_split('sim_val', DATA['num_source_val'], size, seed, settings)[:2]
    }
    for t in REAL_TARGETS:
        data[t] = render_split(t, num_target or DATA['num_target'], size, seed, settings)[:2]
    return data


def build_pipeline():
    """The demo's source augmentation (configs/_base_/datasets/demo.py), registered transforms."""
    from mmcv.transforms import Compose
    from mmengine.config import Config
    from mmseg.registry import TRANSFORMS

    import deft_mmseg  # noqa: F401
    from deft_mmseg.utils.package_configs import config_root
    cfg = Config.fromfile(osp.join(config_root(), '_base_', 'datasets', 'demo.py'))
    steps = [
        t for t in cfg.train_pipeline if t['type'] not in ('LoadImageFromFile', 'LoadAnnotations',
                                                           'CheckImageLabelPair', 'PackSegInputs')
    ]
    return Compose([TRANSFORMS.build(t) for t in steps]), [t['type'] for t in steps]


CROP = 64
MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)


def to_tensor(images_rgb):
    import torch
    return torch.from_numpy((images_rgb.astype(np.float32) - MEAN) / STD).permute(0, 3, 1, 2)


def sample_batch(images, labels, rng, pipeline, batch):
    import torch
    imgs, segs = [], []
    for i in rng.integers(0, len(images), size=batch):
        results = dict(
            img=images[i][..., ::-1].copy(),
            gt_seg_map=labels[i].copy(),
            seg_fields=['gt_seg_map'],
            img_shape=images[i].shape[:2],
            ori_shape=images[i].shape[:2])
        results = pipeline(results)
        img = (results['img'][..., ::-1].astype(np.float32) - MEAN) / STD  # bgr_to_rgb, norm
        seg = results['gt_seg_map'].astype(np.int64)
        # SegDataPreProcessor(size=(64, 64)): pad after normalization with 0, labels with 255
        h, w = seg.shape
        imgs.append(np.pad(img, ((0, CROP - h), (0, CROP - w), (0, 0))))
        segs.append(np.pad(seg, ((0, CROP - h), (0, CROP - w)), constant_values=255))
    return (torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous(),
            torch.from_numpy(np.stack(segs)))


#: the tiny network of each encoder kind (configs/_base_/models/): the ResNet group's
#: DeepLabv3+, and the ViT group's tiny ViT (patch 8, 32 dims, 4 layers) with its 16-channel
#: neck and DeepLabv3+ head (the plan's step 2)
NETWORK_FILES = dict(resnet='deeplabv3plus_tiny_demo.py', vit=VIT_PRETRAINING['model_file'])
#: The ViT group's network as its calibration ran and :data:`VIT_PROTOCOL` was fixed with it. The
#: protocol names its network by file (``vfm_vit_tiny_deeplabv3plus_demo.py``), and that file's
#: head later moved to the last ViT block (the DeepLabv3+ VFM mend of 2026-12-07, docs/vfm.md "The
#: DeepLabv3+ VFM head reads the last block"). These keys put back what every recorded ViT row
#: ran: the ASPP on level 2 (block 2 of the 4 at stride 8; block 3 computed, never trained, in
#: every row alike) and the backbone's scales 4, 2, 1, 0.5. Kept out of the hashed protocol, so
#: that its records keep their hash; ``tests/test_benchmarks/test_mini_dg_sim2real.py`` checks the
#: built rows against the recorded runs' ``final_model_config.py``.
VIT_NETWORK_AS_FIXED = dict(backbone=dict(scales=(4, 2, 1, 0.5)), decode_head=dict(in_index=2))


def pin_network(model_cfg, kind: str) -> None:
    """Set the network of encoder kind ``kind`` in ``model_cfg`` (a model config dict, changed in
    place) to the one its protocol was fixed with (:data:`VIT_NETWORK_AS_FIXED` for 'vit'; the
    ResNet group's file never changed)."""
    if kind == 'vit':
        for part, keys in VIT_NETWORK_AS_FIXED.items():
            model_cfg[part].update(copy.deepcopy(keys))


def encoder_kind() -> str:
    """'resnet' or 'vit': the kind the R pretraining recipe (with ``--pretraining`` /
    ``--encoder``) pretrains, which the calibration's network follows."""
    from deft_mmseg.demo.sim2real_pretraining import RECIPE
    return dict(RECIPE, **PRETRAINING)['kind']


def build_model(pretrained):
    """The tiny network of :func:`encoder_kind`, its encoder loaded from ``pretrained`` (for the
    ViT: every ``vit.*`` weight; the VFM wrapper's scales, the neck and the head keep their init).
    The ViT is built with ``freeze_vit=False``: which parts train is :func:`set_trainable`'s."""
    import torch
    from mmengine.logging import MMLogger
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    from deft_mmseg.demo.pretraining import _model_cfg
    from deft_mmseg.models.pretrained_parts import load_part, sub_part
    register_all_modules()
    kind = encoder_kind()
    cfg = copy.deepcopy(_model_cfg(NETWORK_FILES[kind]))
    if kind == 'vit':
        cfg['backbone']['freeze_vit'] = False
    pin_network(cfg, kind)
    cfg['decode_head'].update(HEAD)
    model = MODELS.build(cfg)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    state = torch.load(pretrained, map_location='cpu', weights_only=False)['state_dict']
    # the R-pretrained file holds the encoder only: for the ViT its trunk (``vit.*``), for the
    # ResNet the whole backbone; a file of another tiny network is refused, not half-loaded
    if kind == 'vit':
        load_part(model.backbone.vit, sub_part(state, 'vit.'), pretrained, 'the tiny ViT')
    else:
        load_part(model.backbone, state, pretrained, 'the tiny ResNet')
    return model


def logits_of(model, x):
    import torch.nn.functional as F
    out = model.decode_head(model.extract_feat(x))  # backbone, then the neck where there is one
    return F.interpolate(out, size=x.shape[-2:], mode='bilinear', align_corners=False)


def set_trainable(model, encoder: bool, decoder: bool):
    """The literal convention: requires_grad only; every module stays in train mode. The
    encoder is what R pretraining made (the ResNet backbone; the ViT trunk ``backbone.vit``),
    the decoder everything else (for the ViT: the wrapper's scales, the neck, the head)."""
    encoder_params = {
        id(p)
        for p in (model.backbone.vit if encoder_kind() == 'vit' else model.backbone).parameters()
    }
    for p in model.parameters():
        p.requires_grad_(encoder if id(p) in encoder_params else decoder)
    model.train()


def evaluate(model, images, labels, with_miou=True, predicted=None):
    """(mean CE loss, mIoU % over classes with a non-empty union, mmseg's IoUMetric rule).
    ``predicted``: a (19,) array the predicted pixels of each class are added to."""
    import torch
    import torch.nn.functional as F
    model.eval()
    inter, union = np.zeros(19), np.zeros(19)
    losses = []
    with torch.no_grad():
        for i in range(0, len(images), 50):
            x = to_tensor(images[i:i + 50])
            y = torch.from_numpy(labels[i:i + 50].astype(np.int64))
            out = logits_of(model, x)
            losses.append(float(F.cross_entropy(out, y, ignore_index=255)) * len(x))
            if with_miou:
                pred = out.argmax(1).numpy()
                if predicted is not None:
                    predicted += np.bincount(pred.ravel(), minlength=19)[:19]
                gt = labels[i:i + 50]
                for c in range(19):
                    p, g = pred == c, gt == c
                    inter[c] += (p & g).sum()
                    union[c] += (p | g).sum()
    model.train()
    miou = float(np.nanmean(np.where(union > 0, inter / np.maximum(union, 1), np.nan)) *
                 100) if with_miou else float('nan')
    return sum(losses) / len(images), miou


def train(model,
          data,
          pipeline,
          rng,
          iters,
          wd,
          trainable,
          eval_every=0,
          constant_lr=False,
          curves=None,
          targets=(),
          log=None,
          stop=None,
          lr=None):
    """``iters`` SGD steps on the source with the two-stage recipe's stage (fresh optimizer,
    poly decay unless ``constant_lr``); every ``eval_every`` steps append a
    :func:`curve_point` to ``curves``; stop early when ``stop(curves)`` is true after an
    evaluation."""
    import torch.nn.functional as F
    set_trainable(model, *trainable)
    lr = OPTIM['lr'] if lr is None else lr
    optim = build_optimizer(model, lr, wd)
    running = []
    images, labels = data['sim']
    for step in range(iters):
        if not constant_lr:
            for g in optim.param_groups:
                g['lr'] = lr * (1 - step / iters)**OPTIM['power']
        x, y = sample_batch(images, labels, rng, pipeline, OPTIM['batch'])
        loss = F.cross_entropy(logits_of(model, x), y, ignore_index=255)
        optim.zero_grad()
        loss.backward()
        optim.step()
        running.append(loss.item())
        if eval_every and (step + 1) % eval_every == 0:
            curves.append(curve_point(model, data, targets, step + 1, float(np.mean(running))))
            running = []
            if log:
                log(f'  step {step + 1}: src train {curves[-1][1]:.3f} src val '
                    f'{curves[-1][2]:.3f} targets {curves[-1][3]}')
            if stop is not None and stop(curves):
                break
    return model


def build_optimizer(model, lr, wd):
    """:data:`OPTIMIZER`'s optimizer over the trainable parameters of ``model``: SGD with OPTIM's
    momentum and weight decay ``wd`` on every parameter, or AdamW with ``wd`` on all but the
    norm layers' (mmengine's ``norm_decay_mult=0``, as the shipped VFM configs set it)."""
    import torch
    from torch.nn.modules.batchnorm import _BatchNorm
    params = [p for p in model.parameters() if p.requires_grad]
    if OPTIMIZER['type'] == 'SGD':
        return torch.optim.SGD(params, lr=lr, momentum=OPTIM['momentum'], weight_decay=wd)
    norm_types = (_BatchNorm, torch.nn.LayerNorm, torch.nn.GroupNorm)
    norm = {
        id(p)
        for m in model.modules() if isinstance(m, norm_types) for p in m.parameters(recurse=False)
    }
    groups = [
        dict(params=[p for p in params if id(p) not in norm], weight_decay=wd),
        dict(params=[p for p in params if id(p) in norm], weight_decay=0.0)
    ]
    return torch.optim.AdamW([g for g in groups if g['params']],
                             lr=lr,
                             betas=(0.9, 0.999),
                             eps=1e-8)


def curve_point(model, data, targets, step, train_loss):
    """(step, source train loss (mean since the last point; None before training), source-val
    loss, {target: loss}, {target: mIoU}) on the first ``CURVE_TARGET_IMAGES`` of each target
    (the mIoU from round r10 on; earlier records hold the first four)."""
    val_loss, _ = evaluate(model, *data['sim_val'], with_miou=False)
    scores = {
        t: evaluate(model, data[t][0][:CURVE_TARGET_IMAGES], data[t][1][:CURVE_TARGET_IMAGES])
        for t in targets
    }
    return (step, None if train_loss is None else round(train_loss, 4), round(val_loss, 4), {
        t: round(v[0], 4)
        for t, v in scores.items()
    }, {
        t: round(v[1], 2)
        for t, v in scores.items()
    })


def plateau_step(curve, window_points, rel_tol):
    """Rounds r1-r3's rule: the first step at which the loss improved by less than ``rel_tol``
    (relative) over the last ``window_points`` evaluation points (single points); None if it
    never did."""
    for k in range(window_points, len(curve)):
        before, now = curve[k - window_points][1], curve[k][1]
        if before - now < rel_tol * before:
            return curve[k][0]
    return None


def plateau_step_windowed(curve, window_points, rel_tol):
    """The first step at which the mean loss over the last ``window_points`` evaluation points is
    less than ``rel_tol`` (relative) below the mean over the ``window_points`` before; None if
    it never is. Means of windows, not single points: the source-val loss of a constant-lr probe
    is noisy (+-5 % from one point to the next), so a single-point rule fires on noise."""
    losses = [v for _, v in curve]
    for k in range(2 * window_points - 1, len(curve)):
        before = float(np.mean(losses[k - 2 * window_points + 1:k - window_points + 1]))
        now = float(np.mean(losses[k - window_points + 1:k + 1]))
        if before - now < rel_tol * before:
            return curve[k][0]
    return None


def warmup_by_doubling(val_loss_by_length, rel_tol=0.05):
    """The doubling rule proposed for the next round (not used yet): given the source-val loss at
    the end of the poly warm-up actually run for lengths W0, 2 W0, 4 W0 ... (``{W: loss}``),
    the first W whose doubling lowers that loss by less than ``rel_tol`` (relative); None while
    every measured doubling still helps more (measure the next length)."""
    for w in sorted(val_loss_by_length):
        if 2 * w in val_loss_by_length:
            before, after = val_loss_by_length[w], val_loss_by_length[2 * w]
            if before - after < rel_tol * before:
                return w
        else:
            return None
    return None


def decoupled_length(warmup, joint_plateau, probe=None):
    """D = max(multiple x W, the joint probe's plateau), the probe's cap ``decoupled_max``
    standing for the plateau where it never came (``joint_plateau`` None)."""
    p = probe or SCHEDULE_PROBE
    return max(p['multiple'] * warmup,
               p['decoupled_max'] if joint_plateau is None else joint_plateau)


def _plateau_of(curves):
    p = SCHEDULE_PROBE
    return plateau_step_windowed([(c[0], c[2]) for c in curves], p['window'] // p['eval_every'],
                                 p['rel_tol'])


def probe_schedule(data, pipeline, pretrained, seed, warm_file_of, log=print):
    """Warm-up and decoupled lengths from source data alone (constant-lr probes, each stopped
    as soon as its plateau rule fires): the decoder-only probe gives W; joint finetuning from
    the warm-up actually run (poly, W iterations; cached as the rows' warm-up,
    ``warm_file_of(W)``) gives D."""
    import torch
    p = SCHEDULE_PROBE
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 1])
    model = build_model(pretrained)
    curve = []
    train(
        model,
        data,
        pipeline,
        rng,
        p['warmup_max'],
        OPTIM['wd_warmup'], (False, True),
        eval_every=p['eval_every'],
        constant_lr=True,
        curves=curve,
        stop=lambda c: _plateau_of(c) is not None)
    src_val = [(c[0], c[2]) for c in curve]
    plateau = _plateau_of(curve)
    warmup = plateau or p['warmup_max']
    log(f'schedule probe: warm-up source-val loss {src_val}; plateau at {plateau}')
    model = warm_up(data, pipeline, pretrained, seed, warmup, warm_file_of(warmup))
    torch.manual_seed(seed + 1)
    rng = np.random.default_rng([seed, 4])
    curve2 = []
    train(
        model,
        data,
        pipeline,
        rng,
        p['decoupled_max'],
        OPTIM['wd_decoupled'], (True, True),
        eval_every=p['eval_every'],
        constant_lr=True,
        curves=curve2,
        stop=lambda c: _plateau_of(c) is not None,
        lr=decoupled_lr())
    src_val2 = [(c[0], c[2]) for c in curve2]
    joint_plateau = _plateau_of(curve2)
    decoupled = decoupled_length(warmup, joint_plateau)
    log(f'schedule probe: joint source-val loss {src_val2}; plateau at {joint_plateau}; '
        f'decoupled {decoupled}')
    return dict(
        warmup_iters=int(warmup),
        decoupled_iters=int(decoupled),
        warmup_plateau=plateau,
        warmup_curve=src_val,
        joint_curve=src_val2,
        joint_plateau=joint_plateau)


def warm_up(data, pipeline, pretrained, seed, iters, warm_file):
    """The decoder warm-up (frozen encoder, poly lr over ``iters``), cached in ``warm_file``."""
    import torch
    model = build_model(pretrained)
    if osp.exists(warm_file):
        model.load_state_dict(torch.load(warm_file, map_location='cpu', weights_only=False))
        return model
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 2])
    train(model, data, pipeline, rng, iters, OPTIM['wd_warmup'], (False, True))
    os.makedirs(osp.dirname(warm_file), exist_ok=True)
    torch.save(model.state_dict(), warm_file + '.tmp')
    os.replace(warm_file + '.tmp', warm_file)
    return model


ROWS = OrderedDict([('lpft', (True, True)), ('freeze-decoder', (True, False)),
                    ('freeze-encoder', (False, True))])


def run_rows(data, pipeline, pretrained, seed, schedule, names, warm_file, log=print):
    """The warm-up (cached in ``warm_file``), then each row of ``names`` from its state."""
    import torch

    from deft_mmseg.demo.sim2real_streets import REAL_TARGETS
    w, d = schedule['warmup_iters'], schedule['decoupled_iters']
    model = warm_up(data, pipeline, pretrained, seed, w, warm_file)
    warm_state = copy.deepcopy(model.state_dict())
    rows = {'warmup': _scores(model, data)}
    # the warmed-up model's point: where every row's curve starts
    rows['warmup']['curve_start'] = curve_point(model, data, list(REAL_TARGETS), 0, None)
    for name in names:
        model.load_state_dict(warm_state)
        torch.manual_seed(seed + 1)
        rng = np.random.default_rng([seed, 3])  # same data order for every row
        curves = []
        start = time.time()
        train(
            model,
            data,
            pipeline,
            rng,
            d,
            OPTIM['wd_decoupled'],
            ROWS[name],
            eval_every=max(50, d // CURVE_POINTS),
            curves=curves,
            targets=list(REAL_TARGETS),
            lr=decoupled_lr())
        rows[name] = dict(
            _scores(model, data), curves=curves, seconds=round(time.time() - start, 1))
        log(f'{name}: source-val {rows[name]["source_val_miou"]:.2f} targets '
            f'{rows[name]["target_miou"]} avg {rows[name]["target_avg"]:.2f} '
            f'({rows[name]["seconds"]:.0f} s)')
    return rows


def _scores(model, data):
    from deft_mmseg.demo.sim2real_streets import REAL_TARGETS
    src = evaluate(model, *data['sim_val'])
    tgt, classes = {}, {}
    for t in REAL_TARGETS:
        counts = np.zeros(19, dtype=np.int64)
        tgt[t] = round(evaluate(model, *data[t], predicted=counts)[1], 2)
        classes[t] = int((counts > 0).sum())
    return dict(
        source_val_miou=round(src[1], 2),
        source_val_loss=round(src[0], 4),
        target_miou=tgt,
        target_avg=round(float(np.mean(list(tgt.values()))), 2),
        target_predicted_classes=classes)


#: the ViT group's gate (docs/mini_dg_sim2real.md, the ViT plan's step 3, written before any ViT
#: run): the frozen trunk (freeze-encoder) and full finetuning (LP-FT's decoupled stage: the
#: calibration loop's full finetuning follows the warm-up) both reach this source-val mIoU, and
#: no row predicts a single class on any target
VIT_GATE = dict(source_val_min=40.0, rows=('freeze-encoder', 'lpft'))


def vit_gate(rows) -> dict:
    """The ViT group's gate on one calibration seed's ``rows`` (:data:`VIT_GATE`)."""
    source_val = {name: rows[name]['source_val_miou'] for name in VIT_GATE['rows']}
    one_class = sorted(
        name for name, row in rows.items()
        if name in ROWS and min(row.get('target_predicted_classes', {}).values(), default=2) <= 1)
    source_val_pass = all(v >= VIT_GATE['source_val_min'] for v in source_val.values())
    return dict(
        source_val=source_val,
        source_val_pass=source_val_pass,
        one_class_rows=one_class,
        passed=source_val_pass and not one_class)


def gates(rows):
    """The three premise gates on one calibration seed."""
    lp = rows['lpft']
    gap = lp['source_val_miou'] - lp['target_avg']
    curves = lp['curves']
    n = len(curves)
    mid, end = curves[n // 2 - 1], curves[-1]

    def tavg(point):
        return float(np.mean(list(point[3].values())))

    # window means: the k points around the middle vs the last k points; k = 3 on the 10-point
    # curves of rounds r1-r9, 5 on 20 points (round r10 on, written down before it ran)
    k = max(3, n // 4)
    first = max(0, n // 2 - (k + 1) // 2)
    mid_pts, end_pts = curves[first:first + k], curves[-k:]
    t_mid, t_end = np.mean([tavg(p) for p in mid_pts]), np.mean([tavg(p) for p in end_pts])
    s_mid, s_end = np.mean([p[1] for p in mid_pts]), np.mean([p[1] for p in end_pts])
    diff_c = rows['freeze-decoder']['target_avg'] - lp['target_avg']
    return dict(
        a_gap=round(gap, 2),
        a_pass=bool(gap >= GATES['gap']),
        b_target_loss_mid=round(float(t_mid), 4),
        b_target_loss_end=round(float(t_end), 4),
        b_source_loss_mid=round(float(s_mid), 4),
        b_source_loss_end=round(float(s_end), 4),
        b_pass=bool(t_end > t_mid and s_end < s_mid),
        c_freeze_decoder_minus_lpft=round(diff_c, 2),
        c_pass=bool(abs(diff_c) <= GATES['freeze_decoder_within']),
        mid_step=mid[0],
        end_step=end[0])


def settings_hash(obj):
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=list).encode()).hexdigest()[:12]


def prepare(overrides, log=print):
    """Settings, their hash, the pretrained encoder (made or cached), its meta, the data."""
    settings, tag, pretrained, pretraining = real_encoder(overrides, log)
    return settings, tag, pretrained, pretraining, load_data(settings)


def restore_recorded_encoder(path, record_dir, log=print) -> bool:
    """Copy ``record_dir/<file name of path>`` to ``path`` where ``path`` is missing (never over
    a file); True if copied. The file name holds the settings' and the recipe's hashes, so the
    copy is the encoder the recorded runs started from: fetched, as ImageNet weights are, not
    pretrained again (pretraining reproduces it only on the same kind of CPU and thread count)."""
    src = osp.join(record_dir, osp.basename(path))
    if osp.exists(path) or not osp.exists(src):
        return False
    import shutil
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    shutil.copyfile(src, path + '.tmp')
    os.replace(path + '.tmp', path)  # never a half-written file under the cached name
    log(f"pretrained sim2real encoder: {path} (the recorded runs' encoder, from {src})")
    return True


def real_encoder(overrides, log=print, pretraining=None, record_dir=None):
    """Settings, their hash, the R-pretrained encoder (made or cached under
    ``data/sim2real/pretrained/``, named by the settings' and the resolved recipe's hashes), its
    meta. ``pretraining``: overrides of the recipe (default :data:`PRETRAINING`, the calibration's
    ``--pretraining``). ``record_dir``: a folder of recorded encoders a missing file is copied
    from (:func:`restore_recorded_encoder`) before pretraining is considered. The calibration
    (:func:`prepare`) and the Runner rows (``benchmarks/mini_dg.py --protocol sim2real``, with the
    protocol's overrides and its recorded encoder) share it."""
    import torch

    from deft_mmseg.demo.sim2real_pretraining import RECIPE, ensure_real_encoder, patch_of
    from deft_mmseg.demo.sim2real_streets import GeneratorSettings
    settings = GeneratorSettings(**overrides)
    tag = settings_hash(dict(settings))
    changes = dict(PRETRAINING if pretraining is None else pretraining)
    recipe = dict(RECIPE, **changes)
    path = osp.join(REPO, 'data', 'sim2real', 'pretrained',
                    f'{ENCODER_STEMS[recipe["kind"]]}_real_{tag}_{settings_hash(recipe)}.pth')
    if record_dir:
        restore_recorded_encoder(path, record_dir, log)
    pretrained = ensure_real_encoder(path, settings=overrides, recipe=changes, log=log)
    meta = torch.load(pretrained, map_location='cpu', weights_only=False)['meta']
    pretraining = dict(
        task=recipe.get('task', 'categories'),
        steps=meta['steps'],
        held_out_pixel_accuracy=meta['held_out_pixel_accuracy'],
        target_accuracy=recipe['target_accuracy'],
        reached=meta['reached'],
        seconds=meta['seconds'],
        recipe_hash=settings_hash(recipe),
        lr_schedule=recipe.get('lr_schedule', 'constant'),
        class_weight_power=recipe.get('class_weight_power', 0),
        max_steps=recipe['max_steps'],
        fixed_steps=recipe.get('steps'),
        held_out=recipe['held_out'])
    if changes:  # (records from before round r17 have no such key: the 8x8 patch task)
        pretraining['patch'] = patch_of(recipe)
    return settings, tag, pretrained, pretraining


def cmd_pretrain(overrides, log=print):
    """Pretrain (or find cached) the R encoder of :data:`PRETRAINING` (``--encoder vit``:
    :data:`VIT_PRETRAINING`; ``--pretraining`` on top) with the generator settings
    ``overrides``; print where it is and how it stopped."""
    _, tag, path, meta = real_encoder(overrides, log)
    log(f'{encoder_kind()} encoder (settings {tag}): {path}')
    log(f"  {meta['steps']} steps, held-out macro patch recall {meta['held_out_pixel_accuracy']:.4f}"
        f" (target {meta['target_accuracy']}: {'reached' if meta['reached'] else 'NOT reached'}),"
        f" {meta['seconds']:.0f} s")
    return meta


def base_record(kind, round_name, seed, settings, tag, pretraining):
    import torch
    return dict(
        curve_target_images=CURVE_TARGET_IMAGES,
        curve_points=CURVE_POINTS,
        kind=kind,
        round=round_name,
        seed=seed,
        settings=dict(settings),
        settings_hash=tag,
        data=DATA,
        optim=OPTIM,
        head=HEAD,
        pretraining_overrides=PRETRAINING,
        pretraining=pretraining,
        optimizer=OPTIMIZER['type'],
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))


def warm_file_of(pretrained, seed, warmup):
    warm = {k: v for k, v in OPTIM.items() if k not in NOT_WARMUP_OPTIM}
    default = {k: v for k, v in DEFAULT_OPTIM.items() if k not in NOT_WARMUP_OPTIM}
    optim = '' if _same(warm, default) else f'_o{settings_hash(warm)}'
    data = '' if _same(DATA, DEFAULT_DATA) else f'_d{settings_hash(DATA)}'
    head = f'_h{settings_hash(HEAD)}' if HEAD else ''
    opt = '' if OPTIMIZER['type'] == 'SGD' else f'_{OPTIMIZER["type"]}'
    return osp.join(
        REPO, 'data', 'sim2real', 'work',
        f'warm_{osp.basename(pretrained)[:-4]}_s{seed}_w{warmup}{optim}{data}{head}{opt}.pth')


def _same(a, b):
    """Equal as the JSON record stores them (a tuple comes back as a list)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _of_this_run(record, tag):
    """Whether ``record`` was measured with these generator settings (``tag``), this optimizer
    recipe and these data sizes."""
    # records from before a key of OPTIM existed ran with its default
    return record['settings_hash'] == tag and _same(dict(
        DEFAULT_OPTIM, **record['optim']), OPTIM) and _same(record['data'], DATA) and _same(
            record.get('head', {}), HEAD) and _same(
                record.get('pretraining_overrides', {}), PRETRAINING) and record.get(
                    'optimizer', 'SGD') == OPTIMIZER['type']


def _changed(values, defaults):
    """The entries of ``values`` that differ from ``defaults`` (as the record stores them)."""
    return {k: v for k, v in values.items() if not _same(v, defaults.get(k))}


def cmd_sweep(seed, round_name, overrides, lengths, log=print):
    """The poly decoder-only warm-up actually run, at each length of ``lengths`` (each cached),
    scored on source-val and the targets; W by :func:`warmup_by_doubling` where the measured
    lengths decide it."""
    start = time.time()
    settings, tag, pretrained, pretraining, data = prepare(overrides, log)
    pipeline, aug = build_pipeline()
    sweep = {}
    for w in lengths:
        t0 = time.time()
        model = warm_up(data, pipeline, pretrained, seed, w, warm_file_of(pretrained, seed, w))
        row = sweep[str(w)] = dict(_scores(model, data), seconds=round(time.time() - t0, 1))
        log(f'warm-up {w}: source-val loss {row["source_val_loss"]:.4f} mIoU '
            f'{row["source_val_miou"]:.2f} targets {row["target_avg"]:.2f} ({row["seconds"]:.0f} s)'
            )
    by_doubling = warmup_by_doubling({int(w): v['source_val_loss'] for w, v in sweep.items()})
    log(f'doubling rule: W = {by_doubling}')
    record = dict(
        base_record('warmup_sweep', round_name, seed, settings, tag, pretraining),
        augmentation=aug,
        schedule=dict(warmup_iters=by_doubling, decoupled_iters=None),
        sweep=sweep,
        seconds=round(time.time() - start, 1))
    append_record(record)
    return record


def cmd_probe(seed, round_name, overrides, log=print):
    start = time.time()
    settings, tag, pretrained, pretraining, data = prepare(overrides, log)
    pipeline, names = build_pipeline()
    schedule = probe_schedule(data, pipeline, pretrained, seed,
                              lambda w: warm_file_of(pretrained, seed, w), log)
    record = dict(
        base_record('schedule', round_name, seed, settings, tag, pretraining),
        augmentation=names,
        probe=SCHEDULE_PROBE,
        schedule=schedule,
        seconds=round(time.time() - start, 1))
    append_record(record)
    return record


def cmd_rows(seed, round_name, overrides, schedule, names, log=print):
    start = time.time()
    settings, tag, pretrained, pretraining, data = prepare(overrides, log)
    pipeline, aug = build_pipeline()
    warm_file = warm_file_of(pretrained, seed, schedule['warmup_iters'])
    rows = run_rows(data, pipeline, pretrained, seed, schedule, names, warm_file, log)
    record = dict(
        base_record('rows', round_name, seed, settings, tag, pretraining),
        augmentation=aug,
        schedule=schedule,
        rows=rows,
        seconds=round(time.time() - start, 1))
    found = collect_rows(round_name, seed, tag)
    found.update(rows)
    if 'lpft' in found and 'freeze-decoder' in found:
        record['gates'] = gates(found)
        log(f'gates (round {round_name}, seed {seed}): {record["gates"]}')
    if encoder_kind() == 'vit' and all(name in found for name in VIT_GATE['rows']):
        record['vit_gate'] = vit_gate(found)
        log(f'ViT gate (round {round_name}, seed {seed}): {record["vit_gate"]}')
    append_record(record)
    return record


def collect_rows(round_name, seed, tag):
    """Rows measured earlier for the same round, seed, settings and optimizer."""
    found = {}
    for r in load_records():
        if r['kind'] == 'rows' and r['round'] == round_name and r['seed'] == seed and \
                _of_this_run(r, tag):
            found.update(r['rows'])
    return found


def probe_of(round_name, seed, overrides, records=None):
    """W and D of the latest schedule probe of ``round_name`` and ``seed`` with these generator
    settings; None if there is none."""
    from deft_mmseg.demo.sim2real_streets import GeneratorSettings
    tag = settings_hash(dict(GeneratorSettings(**overrides)))
    records = load_records() if records is None else records
    probes = [
        r for r in records if r['kind'] == 'schedule' and r['round'] == round_name
        and r['seed'] == seed and _of_this_run(r, tag)
    ]
    if not probes:
        return None
    s = probes[-1]['schedule']
    return dict(warmup_iters=s['warmup_iters'], decoupled_iters=s['decoupled_iters'])


def load_records():
    if not osp.exists(RESULTS):
        return []
    with open(RESULTS) as f:
        return json.load(f)['measurements']


def append_record(record):
    os.makedirs(osp.dirname(RESULTS), exist_ok=True)
    records = load_records()
    records.append(record)
    tmp = RESULTS + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(
            dict(
                description='Calibration of the sim2real mini DG protocol (issue 25), '
                'baselines only; every measurement, failures included.',
                measurements=records),
            f,
            indent=1)
    os.replace(tmp, RESULTS)


def summary_table(records=None):
    """Markdown: one line per measurement (probes and rows), gates where measured."""
    records = load_records() if records is None else records
    defaults = None
    from deft_mmseg.demo.sim2real_streets import GeneratorSettings
    defaults = dict(GeneratorSettings())
    lines = [
        '| round | seed | kind | settings (changed from the defaults) | pretraining acc '
        '(steps) | schedule W / D | row: source-val / target avg (day, overcast, dusk) | '
        'gates (a) gap, (b) target loss mid -> end, source loss mid -> end, '
        '(c) freeze-decoder - LP-FT |', '| --- | ---: | --- | --- | --- | --- | --- | --- |'
    ]
    for r in records:
        changed = _changed(r['settings'], defaults) or 'defaults'
        for name, values, default in (('optim', r['optim'], DEFAULT_OPTIM),
                                      ('data', r['data'], DEFAULT_DATA), ('head', r.get('head',
                                                                                        {}), {}),
                                      ('pretraining', r.get('pretraining_overrides', {}), {})):
            if _changed(values, default):
                changed = f'{changed}; {name} {_changed(values, default)}'
        pre = r['pretraining']
        note = f', {pre["lr_schedule"]} lr, class-weighted' if pre.get('class_weight_power') else ''
        sched = r['schedule']
        cells = []
        for name, row in r.get('rows', {}).items():
            t = row['target_miou']
            cells.append(f'{name}: {row["source_val_miou"]:.1f} / {row["target_avg"]:.1f} '
                         f'({", ".join(f"{v:.1f}" for v in t.values())})')
        g = r.get('gates')
        gate = '-' if not g else (
            f'(a) {g["a_gap"]:.1f} {"pass" if g["a_pass"] else "FAIL"}; '
            f'(b) {g["b_target_loss_mid"]:.3f} -> {g["b_target_loss_end"]:.3f}, '
            f'{g["b_source_loss_mid"]:.3f} -> {g["b_source_loss_end"]:.3f} '
            f'{"pass" if g["b_pass"] else "FAIL"}; '
            f'(c) {g["c_freeze_decoder_minus_lpft"]:+.1f} {"pass" if g["c_pass"] else "FAIL"}')
        lines.append(f'| {r["round"]} | {r["seed"]} | {r["kind"]} | {changed} | '
                     f'{pre.get("task", "categories")} {pre["held_out_pixel_accuracy"]:.3f} '
                     f'of {pre["target_accuracy"]} ({pre["steps"]} steps{note}) | '
                     f'{sched["warmup_iters"]} / {sched["decoupled_iters"]} | '
                     f'{"<br>".join(cells) or "-"} | {gate} |')
    return '\n'.join(lines)


def main(argv=None):
    global CURVE_TARGET_IMAGES, CURVE_POINTS
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('command', choices=['probe', 'sweep', 'rows', 'summary', 'pretrain'])
    parser.add_argument('--seed', type=int, default=100)
    parser.add_argument('--round', default='r1')
    parser.add_argument('--settings', default='{}', help='GeneratorSettings overrides (JSON)')
    parser.add_argument('--warmup', type=int, help='rows: warm-up iterations (from probe)')
    parser.add_argument('--decoupled', type=int, help='rows: decoupled iterations (from probe)')
    parser.add_argument(
        '--from-probe',
        action='store_true',
        help='rows: the schedule of the latest probe of this round, seed and settings')
    parser.add_argument(
        '--curve-images',
        type=int,
        help='rows: target images per target for the loss curves (default '
        f'{CURVE_TARGET_IMAGES}; diagnostics only: it does not change training)')
    parser.add_argument(
        '--curve-points',
        type=int,
        help=f'rows: evaluation points per curve (default {CURVE_POINTS}); gate (b) compares '
        'window means of max(3, points // 4) points')
    parser.add_argument('--rows', nargs='+', choices=list(ROWS), default=['lpft', 'freeze-decoder'])
    parser.add_argument(
        '--optim', default='{}', help=f'overrides of the optimizer recipe {DEFAULT_OPTIM} (JSON)')
    parser.add_argument(
        '--data',
        default='{}',
        help=f'overrides of the data sizes {DEFAULT_DATA} (JSON; the generator settings are '
        '--settings)')
    parser.add_argument(
        '--head',
        default='{}',
        help=f'overrides of the decode head {list(HEAD_KEYS)} (JSON, e.g. \'{{"channels": 64, '
        '"c1_channels": 16}\'; a calibration lever)')
    parser.add_argument(
        '--pretraining',
        default='{}',
        help=f'overrides of the R pretraining recipe {list(PRETRAINING_KEYS)} (JSON, e.g. '
        '\'{"patch": 16}\'; a calibration lever; its own encoder and warm-up files)')
    parser.add_argument(
        '--lengths', nargs='+', type=int, help='sweep: warm-up lengths, e.g. 2800 5600 11200')
    parser.add_argument(
        '--optimizer',
        choices=OPTIMIZERS,
        default='SGD',
        help='SGD (the ResNet group\'s) or AdamW (the VFM configs\' recipe; lr and weight decays '
        'from --optim)')
    parser.add_argument(
        '--encoder',
        choices=list(ENCODER_STEMS),
        default='resnet',
        help='the R encoder and its network (vit: the ViT group\'s pretraining recipe '
        f'{VIT_PRETRAINING}, the tiny ViT DeepLabv3+); `pretrain` with no --settings uses the '
        'fixed protocol\'s generator settings')
    args = parser.parse_args(argv)
    try:
        overrides = json.loads(args.settings)
        optim = json.loads(args.optim)
        data = json.loads(args.data)
        head = json.loads(args.head)
        pretraining = json.loads(args.pretraining)
    except json.JSONDecodeError as e:
        print(
            f'error: --settings / --optim / --data / --head / --pretraining is not JSON ({e}); pass e.g. '
            '\'{"palette_spread": 15}\' or \'{"lr": 0.04}\'',
            file=sys.stderr)
        return 2
    for option, given, known in (('--optim', optim, DEFAULT_OPTIM), ('--data', data, DEFAULT_DATA),
                                 ('--head', head, HEAD_KEYS), ('--pretraining', pretraining,
                                                               PRETRAINING_KEYS)):
        unknown = sorted(set(given) - set(known))
        if unknown:
            print(
                f'error: {option} has unknown keys {unknown}; it takes {sorted(known)}',
                file=sys.stderr)
            return 2
    OPTIM.update(optim)
    DATA.update(data)
    HEAD.update(head)
    OPTIMIZER['type'] = args.optimizer
    PRETRAINING.update(VIT_PRETRAINING if args.encoder == 'vit' else {})
    PRETRAINING.update(pretraining)
    if args.curve_images:
        CURVE_TARGET_IMAGES = args.curve_images
    if args.curve_points:
        CURVE_POINTS = args.curve_points
    if args.command == 'summary':
        print(summary_table())
    elif args.command == 'pretrain':
        cmd_pretrain(overrides if args.settings != '{}' else PROTOCOL['settings'])
    elif args.command == 'probe':
        cmd_probe(args.seed, args.round, overrides)
    elif args.command == 'sweep':
        if not args.lengths:
            print('error: sweep needs --lengths, e.g. --lengths 2800 5600 11200', file=sys.stderr)
            return 2
        cmd_sweep(args.seed, args.round, overrides, args.lengths)
    else:
        if args.from_probe:
            schedule = probe_of(args.round, args.seed, overrides)
            if schedule is None:
                print(
                    f'error: no schedule probe of round {args.round}, seed {args.seed} with these '
                    'settings in the record; run `probe` with them first',
                    file=sys.stderr)
                return 2
        elif not args.warmup or not args.decoupled:
            print(
                'error: rows needs --warmup and --decoupled (the schedule `probe` chose), '
                'or --from-probe',
                file=sys.stderr)
            return 2
        else:
            schedule = dict(warmup_iters=args.warmup, decoupled_iters=args.decoupled)
        cmd_rows(args.seed, args.round, overrides, schedule, args.rows)
    return 0


if __name__ == '__main__':
    sys.exit(main())
