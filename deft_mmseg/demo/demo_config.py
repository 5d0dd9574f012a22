"""Turn any config of this repo into a short run on the embedded demo data (``--demo [ITERS]``).

The method-level settings stay as they are (segmentor type and its options, loss terms, hooks,
optimizer recipe, stages); the network is replaced by the tiny model of the same family
(DeepLabv3+, SegFormer, Mask2Former), the data by the demo data, and the schedule is shortened.
This is how the tests check that every config trains, and how a user can try a config on CPU.
It is the repository's one demo mechanism: ``tools/train.py CONFIG --demo`` is a 6-iteration
smoke run, ``--demo 1800`` a run long enough to learn something (:func:`demo_run_config`); the
other tools take ``--demo`` to build the same tiny network for its checkpoints.
"""
import copy
import os.path as osp
from typing import Optional

from mmengine.config import Config, ConfigDict

from ..utils.package_configs import config_root

CONFIG_ROOT = config_root()
TINY_MODELS = {
    'DepthwiseSeparableASPPHead': 'deeplabv3plus_tiny_demo.py',
    'DeepLabV3PlusHead': 'deeplabv3plus_robustnet_tiny_demo.py',
    'SegformerHead': 'segformer_tiny_demo.py',
    'SlideMask2FormerHead': 'mask2former_tiny_demo.py',
    'ReinMask2FormerHead': 'rein_vit_tiny_demo.py',
    'VLTSegMask2FormerHead': 'vltseg_vit_tiny_demo.py',
}
#: VFM backbones keep a (tiny) ViT whatever the head
TINY_VFM_MODELS = {
    'SlideMask2FormerHead': 'vfm_vit_tiny_demo.py',
    'ReinMask2FormerHead': 'rein_vit_tiny_demo.py',
    'DepthwiseSeparableASPPHead': 'vfm_vit_tiny_deeplabv3plus_demo.py',
    'SegformerHead': 'vfm_vit_tiny_segformer_demo.py',
    'VLTSegMask2FormerHead': 'vltseg_vit_tiny_demo.py',
}
#: EVA02 / EVA-CLIP trunks stay EVA02-layout (rope, released attention) at the tiny size
TINY_EVA02 = dict(
    type='mmpretrain.ViTEVA02',
    patch_size=8,
    img_size=64,
    sub_ln=True,
    norm_cfg=dict(type='LN', eps=1e-6),
    arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=86))
#: settings of a language-guided head that are the method's, not the network size's
VLTSEG_METHOD_KEYS = ('temperature', 'score_map_level', 'loss_ptm')
TEXT_METHOD_KEYS = ('vocabulary', 'dataset_name', 'prompt_names', 'templates', 'act_cfg')
#: two-stage loops and the key of their second stage's length
STAGED_LOOPS = {'TwoStageTrainLoop': 'decoupled_iters', 'FisherTuneTrainLoop': 'tune_iters'}
#: model keys that describe the network (replaced); all other keys are the method's (kept)
NETWORK_KEYS = ('backbone', 'neck', 'decode_head', 'auxiliary_head', 'data_preprocessor',
                'pretrained', 'init_cfg', 'train_cfg', 'test_cfg')
DATA_KEYS = (
    'train_dataloader',
    'val_dataloader',
    'test_dataloader',
    'val_evaluator',
    'test_evaluator',
    'val_cfg',
    'test_cfg',
    'crop_size',
    # read by mmseg's inference_model (a config's pipelines at its top level)
    'train_pipeline',
    'test_pipeline')
TINY_AUX_HEAD = dict(
    type='FCNHead',
    in_channels=64,
    in_index=2,
    channels=16,
    num_convs=1,
    concat_input=False,
    dropout_ratio=0.1,
    num_classes=19,
    norm_cfg=dict(type='BN', requires_grad=True),
    align_corners=False,
    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4))

#: the demo's training crop: every size of a config is scaled by DEMO_CROP / the config's crop
DEMO_CROP = 64
#: size-valued arguments of mmcv / mmseg transforms, scaled with the image (``RandomCrop``'s crop
#: becomes the demo crop through the same factor)
SIZE_KEYS = {
    'Resize': ('scale', ),
    'RandomResize': ('scale', ),
    'RandomChoiceResize': ('scales', 'max_size'),
    'ResizeShortestEdge': ('scale', 'max_size'),
    'RandomCrop': ('crop_size', ),
    'Pad': ('size', ),
    'CentroidRandomCrop': ('crop_size', ),
    'ResizeToHeightCenterCrop': ('height', 'crop_size')
}


def config_crop(cfg: Config) -> int:
    """The config's training crop (the longer side of ``model.data_preprocessor.size``, else of
    ``crop_size``), the length the demo's ``DEMO_CROP`` stands for."""
    size = cfg.model.get('data_preprocessor', {}).get('size') or cfg.get('crop_size')
    if not size:
        raise ValueError('--demo: the config sets neither model.data_preprocessor.size nor '
                         'crop_size; set one to its training crop')
    return max(size)


def scale_size(value, factor: float):
    """A transform's size argument (int, (w, h) pair, list of ints or of pairs) times ``factor``,
    rounded, at least 1; ``None`` and ``-1`` (mmcv's "keep this side") stay."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        scaled = [scale_size(v, factor) for v in value]
        return type(value)(scaled) if isinstance(value, tuple) else scaled
    if value == -1:
        return value
    return max(1, int(round(value * factor)))


def scale_pipeline(pipeline: list, factor: float) -> list:
    """The same transforms, in the same order, with every size argument of ``SIZE_KEYS`` times
    ``factor``."""
    scaled = []
    for transform in pipeline:
        transform = copy.deepcopy(transform)
        for key in SIZE_KEYS.get(str(transform.get('type', '')).split('.')[-1], ()):
            if key in transform:
                transform[key] = scale_size(transform[key], factor)
        scaled.append(transform)
    return scaled


def scale_test_cfg(test_cfg: dict, factor: float) -> dict:
    """The segmentor's ``test_cfg`` at the demo's size: the mode is kept; a sliding window and its
    stride are scaled with the image (512 / 341 on 1024x512 -> 64 / 43 on 128x64)."""
    test_cfg = copy.deepcopy(test_cfg) if test_cfg else ConfigDict(mode='whole')
    for key in ('crop_size', 'stride'):
        if key in test_cfg:
            test_cfg[key] = scale_size(test_cfg[key], factor)
    return test_cfg


def scale_data_preprocessor(preprocessor: dict, factor: float) -> dict:
    """The config's data preprocessor (normalization, padding values, test-time
    ``size_divisor``) with its training ``size`` at the demo's crop."""
    preprocessor = copy.deepcopy(preprocessor)
    if preprocessor.get('size'):
        preprocessor['size'] = scale_size(preprocessor['size'], factor)
    test_cfg = preprocessor.get('test_cfg')
    if test_cfg and test_cfg.get('size'):
        test_cfg['size'] = scale_size(test_cfg['size'], factor)
    return preprocessor


def domain_pipelines(cfg: Config, loader: str = 'val_dataloader') -> dict:
    """The test pipeline of each target domain of ``cfg[loader]``, by domain name, in the
    config's order (a single-dataset loader gives one domain, ``'target'``)."""
    loader_cfg = cfg.get(loader) or {}
    datasets = loader_cfg.get('datasets') or {'target': loader_cfg.get('dataset', {})}
    return {name: ds.get('pipeline') or cfg.get('test_pipeline') for name, ds in datasets.items()}


def demo_model_config(cfg: Config, factor: float, keep_protocol: bool = True) -> ConfigDict:
    """The model of ``cfg`` with the tiny network of its family (see :func:`make_demo_config`).

    ``factor`` scales the config's ``test_cfg`` window and the data preprocessor's size
    (``DEMO_CROP / config_crop(cfg)`` for ``--demo``; 1.0 keeps them at the config's real size).
    """
    head = cfg.model['decode_head']['type']
    if head not in TINY_MODELS:
        raise ValueError(f'--demo: no tiny model for decode head {head!r} '
                         f'(known: {list(TINY_MODELS)})')
    vfm = cfg.model['backbone']['type'] == 'VFMVisionTransformer'
    tiny_file = TINY_VFM_MODELS[head] if vfm else TINY_MODELS[head]
    tiny = Config.fromfile(osp.join(CONFIG_ROOT, '_base_', 'models', tiny_file)).model
    model = ConfigDict({k: v for k, v in cfg.model.items() if k not in NETWORK_KEYS})
    model.update({k: v for k, v in tiny.items() if k in NETWORK_KEYS and k != 'type'})
    if keep_protocol:
        model['test_cfg'] = scale_test_cfg(cfg.model.get('test_cfg'), factor)
        if cfg.model.get('data_preprocessor'):
            model['data_preprocessor'] = scale_data_preprocessor(cfg.model['data_preprocessor'],
                                                                 factor)
    if vfm and 'ViTEVA02' in str(cfg.model['backbone']['vit']['type']):
        model['backbone']['vit'] = copy.deepcopy(TINY_EVA02)
        for key in ('eva02_rope', 'eva02_attention'):
            if key in cfg.model['backbone']:
                model['backbone'][key] = copy.deepcopy(cfg.model['backbone'][key])
    if head == 'VLTSegMask2FormerHead':  # the method's text side and PTM loss, tiny towers
        source = cfg.model['decode_head']
        tiny_head = model['decode_head']
        tiny_head.update({k: copy.deepcopy(source[k]) for k in VLTSEG_METHOD_KEYS if k in source})
        text = source['text_encoder']
        tiny_head['text_encoder'] = dict(
            {
                k: v
                for k, v in tiny_head['text_encoder'].items()
                if k not in ('vocabulary', 'dataset_name')
            }, **{k: copy.deepcopy(text[k])
                  for k in TEXT_METHOD_KEYS if k in text})
    if vfm:  # keep the PEFT method / Reins, sized for the tiny ViT
        vit = model['backbone']['vit']['arch']
        size = dict(num_layers=vit['num_layers'], embed_dims=vit['embed_dims'])
        model['backbone']['freeze_vit'] = cfg.model['backbone'].get('freeze_vit', True)
        if cfg.model['backbone'].get('feature_perturbation') is not None:  # a method setting
            model['backbone']['feature_perturbation'] = copy.deepcopy(
                cfg.model['backbone']['feature_perturbation'])
        peft = cfg.model['backbone'].get('peft')
        if peft is not None:
            model['backbone']['peft'] = dict(peft, **size)
            if peft['type'] == 'ViTDeepPrompt':
                model['backbone']['peft']['num_tokens'] = 4
        reins = cfg.model['backbone'].get('reins')
        if reins is not None and not reins.get('link_token_to_query', True):
            model['backbone']['reins'] = dict(
                reins, token_length=4, lora_dim=4, patch_size=8, **size)
    if cfg.model.get('auxiliary_head') is not None:
        model['auxiliary_head'] = copy.deepcopy(TINY_AUX_HEAD)
    return model


def make_demo_config(cfg: Config,
                     warmup_iters: int = 2,
                     iters: int = 6,
                     demo_root: Optional[str] = None,
                     keep_protocol: bool = True,
                     factor: Optional[float] = None) -> Config:
    """Return a copy of ``cfg`` that trains ``iters`` iterations on the demo data.

    Replaced: the network (the tiny model of the config's family, method settings kept), the
    datasets (the demo's source and three targets) and the schedule's length. With
    ``keep_protocol`` (``--demo``), what is the config's own and not a matter of size is kept at
    the demo's size (every size times ``DEMO_CROP / config_crop(cfg)``): the inference mode
    (slide stays slide, window and stride scaled), the data preprocessor (normalization, padding,
    ``size_divisor``), the train pipeline and each target domain's test pipeline (the same
    transforms; the demo's i-th domain takes the config's i-th domain's pipeline).
    ``keep_protocol=False`` takes the demo's own whole-image inference and pipelines
    (``configs/_base_/datasets/demo.py``): the first miniature DG protocol was fixed with them.
    ``factor`` overrides the scale (1.0: the config's real sizes, on demo-layout data of real-size
    frames, as ``tests/test_integration/test_full_size_paths.py`` runs it).
    """
    cfg = copy.deepcopy(cfg)
    if factor is None:
        factor = DEMO_CROP / config_crop(cfg)
    cfg.model = demo_model_config(cfg, factor, keep_protocol)
    data = Config.fromfile(osp.join(CONFIG_ROOT, '_base_', 'datasets', 'demo.py'))
    if keep_protocol:
        train_pipeline = scale_pipeline(cfg.train_dataloader.dataset.pipeline, factor)
        targets = [scale_pipeline(p, factor) for p in domain_pipelines(cfg).values()]
        data.train_dataloader.dataset.pipeline = train_pipeline
        data.train_pipeline = train_pipeline
        for i, ds in enumerate(data.val_dataloader.datasets.values()):
            ds.pipeline = targets[i % len(targets)]
        data.test_pipeline = targets[0]
        data.test_dataloader = dict(data.val_dataloader, dataset=dict(pipeline=data.test_pipeline))
        data.crop_size = scale_size(cfg.get('crop_size', (DEMO_CROP, DEMO_CROP)), factor)
    for key in DATA_KEYS:
        cfg[key] = copy.deepcopy(data[key])
    if demo_root is not None:
        cfg.train_dataloader.dataset.data_root = osp.join(demo_root, 'gtav')
        for loader in (cfg.val_dataloader, cfg.test_dataloader):
            for name, ds in loader.datasets.items():
                ds.data_root = osp.join(demo_root, name)
    loop = cfg.train_cfg
    if loop.get('type') in STAGED_LOOPS:
        loop.warmup_iters = min(loop.warmup_iters, warmup_iters)
        loop.pop('max_iters', None)
        loop[STAGED_LOOPS[loop.type]] = iters - loop.warmup_iters
        if 'estimate_iters' in loop:
            loop.estimate_iters = min(loop.estimate_iters, 2)
    else:
        # schedulers keep their place in the run: begin/end scaled by iters / the config's length
        # (a warm-up over 10K of 40K iterations stays the first quarter)
        original = loop.get('max_iters') or iters
        loop.max_iters = iters
        for sched in (cfg.param_scheduler
                      if isinstance(cfg.param_scheduler, list) else [cfg.param_scheduler]):
            begin = min(iters - 1, int(sched.get('begin', 0)) * iters // original)
            if 'begin' in sched:
                sched['begin'] = begin
            if 'end' in sched:
                sched['end'] = max(
                    begin + 1, min(iters, -(-int(min(sched['end'], original)) * iters // original)))
    loop.val_interval = iters
    cfg.default_hooks.checkpoint.update(interval=iters, save_best=None)
    cfg.default_hooks.logger.interval = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    for hook in cfg.get('custom_hooks', []):
        if 'interval' in hook:
            hook['interval'] = max(1, iters // 3)
        if hook.get('type') == 'TargetLossHook':
            hook['dataloader'] = dict(
                cfg.val_dataloader,
                dataset=copy.deepcopy(next(iter(cfg.val_dataloader.datasets.values()))))
            hook['dataloader'].pop('datasets')
    cfg.randomness = dict(seed=0)
    cfg.env_cfg.cudnn_benchmark = False
    return cfg


#: ``--demo`` without a number: the smoke run of :func:`make_demo_config` (2 warm-up iterations)
SMOKE_ITERS = 6
#: warm-up share of a longer demo run (8K of 48K for DeFT; the mini DG benchmark uses the same)
DEMO_WARMUP_FRACTION = 6


def scaled_ema_beta(beta, decoupled_iters, demo_decoupled_iters):
    """The EMA rate that keeps the EMA horizon ``1 / (1 - beta)`` the same share of decoupled
    finetuning on a shorter run: ``1 - (1 - beta) * decoupled_iters / demo_decoupled_iters``
    (0.9999 over 40K iterations -> 0.9973 over 1,500; a 0.9999 EMA on a 1,500-iteration run
    would leave the generalization-carrying modules at their warm-up state). Floored at 0.5
    (a horizon of two steps) for runs far shorter than the horizon."""
    return max(0.5, 1.0 - (1.0 - beta) * decoupled_iters / demo_decoupled_iters)


def demo_run_config(cfg: Config,
                    iters: int = SMOKE_ITERS,
                    demo_root: Optional[str] = None) -> Config:
    """``--demo [ITERS]``: :func:`make_demo_config` for ``iters`` iterations.

    ``iters == SMOKE_ITERS`` is the smoke run (2 warm-up iterations, one log line per iteration).
    A longer run keeps the shape of the full schedule: warm-up 1/6 of it, FisherTune's estimate
    over ``iters // 15`` batches (at most the config's), the cross-EMA rate scaled by
    :func:`scaled_ema_beta`, a log line every ``iters // 30`` iterations, and a validation and
    checkpoint at each third. ``demo_root``: the demo data (default: ``data/demo`` of the
    working directory, as ``configs/_base_/datasets/demo.py`` says).
    """
    if iters == SMOKE_ITERS:
        return make_demo_config(cfg, demo_root=demo_root)
    loop = cfg.train_cfg
    stage2_key = STAGED_LOOPS.get(loop.get('type'))
    full_decoupled = loop.get(stage2_key) if stage2_key else None
    full_estimate = loop.get('estimate_iters')
    demo = make_demo_config(
        cfg, warmup_iters=max(1, iters // DEMO_WARMUP_FRACTION), iters=iters, demo_root=demo_root)
    if full_estimate is not None:
        demo.train_cfg.estimate_iters = min(full_estimate, max(2, iters // 15))
    for hook in demo.get('custom_hooks', []):
        if hook.get('type') == 'CrossEMAHook' and full_decoupled:
            hook['beta'] = scaled_ema_beta(
                hook.get('beta', 0.9999), full_decoupled, demo.train_cfg[stage2_key])
    interval = max(1, iters // 3)
    demo.train_cfg.val_interval = interval
    demo.default_hooks.checkpoint.interval = interval
    demo.default_hooks.logger.interval = max(1, iters // 30)
    return demo
