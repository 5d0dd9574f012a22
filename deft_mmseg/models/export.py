"""Export DeFT's final model as a plain mmseg ``EncoderDecoder`` (checkpoint + config)."""
import copy
import os
import os.path as osp

import torch
from mmengine.config import Config

from ..datasets.checks import domain_dataset_cfgs
from .segmentors.two_stage import PLAIN_PARTS, TwoStageSegmentor

#: keys of the two-stage segmentors that plain EncoderDecoder does not take
_DEFT_MODEL_KEYS = ('final_model', 'distance_reg', 'after_warmup', 'fishertune',
                    'frozen_module_mode', 'checkpoint_gc_decoder', 'share_frozen_encoder_parts')


def plain_model_cfg(model_cfg):
    """The ``EncoderDecoder`` config equivalent to a DualPathwaySegmentor config (no pretrained
    loading: the weights come from the exported checkpoint)."""
    cfg = copy.deepcopy(dict(model_cfg))
    cfg['type'] = 'EncoderDecoder'
    for key in _DEFT_MODEL_KEYS + ('pretrained', 'init_cfg'):
        cfg.pop(key, None)
    cfg['backbone'] = {
        k: v
        for k, v in cfg['backbone'].items() if k not in ('init_cfg', 'pretrained')
    }
    cfg.pop('auxiliary_head', None)
    return cfg


def _plugin_types(cfg):
    """``type`` names in a (nested) config that only deft_mmseg registers."""
    from mmseg.registry import MODELS
    found = []
    if isinstance(cfg, dict):
        kind = cfg.get('type')
        if isinstance(kind, str):
            cls = MODELS.get(kind)
            if cls is not None and cls.__module__.startswith('deft_mmseg'):
                found.append(kind)
        for value in cfg.values():
            found += _plugin_types(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            found += _plugin_types(value)
    return found


def _plain_test_pipeline(cfg):
    datasets = domain_dataset_cfgs(cfg.get('test_dataloader') or {})
    first = next(iter(datasets.values()), {})
    pipeline = first.get('pipeline') or cfg.get('test_pipeline') or []
    return [t for t in pipeline if t.get('type') not in ('LoadAnnotations', 'CheckImageLabelPair')]


def export_final_model(cfg, model, out_dir, dataset_meta=None):
    """Write ``final_model.pth`` and ``final_model_config.py`` to ``out_dir``.

    The checkpoint holds only tensors (``state_dict``) and plain ``meta``, so vanilla mmseg under
    torch >= 2.6 loads it with weights-only safety. The config is a plain ``EncoderDecoder``; when
    a part of it is a deft_mmseg module (a VFM backbone, ``ReinMask2FormerHead``), it gets
    ``custom_imports=dict(imports=['deft_mmseg'])`` and needs the plugin installed; otherwise
    vanilla mmseg runs it without deft_mmseg.

    Returns:
        tuple[str, str]: the config and checkpoint paths.
    """
    os.makedirs(out_dir, exist_ok=True)
    if isinstance(model, TwoStageSegmentor):
        state = model.final_model_state_dict()
        description = model.describe_final_model()
    else:  # an EncoderDecoder (joint finetuning): its encoder and decoder as they are
        state = {
            k: v.detach().clone()
            for k, v in model.state_dict().items() if k.split('.')[0] in PLAIN_PARTS
        }
        description = type(model).__name__
    meta = dict(exported_from=description)
    if dataset_meta:
        meta['dataset_meta'] = dict(
            classes=list(dataset_meta['classes']),
            palette=[list(p) for p in dataset_meta['palette']])
    ckpt_path = osp.join(out_dir, 'final_model.pth')
    torch.save(dict(state_dict=state, meta=meta), ckpt_path)
    model_cfg = plain_model_cfg(cfg.model)
    pipeline = _plain_test_pipeline(cfg)
    # test_pipeline: read by mmseg's init_model/inference_model; test_dataloader.dataset.pipeline
    # and a SegLocalVisualizer: required by MMSegInferencer
    plain = dict(
        default_scope='mmseg',
        model=model_cfg,
        test_pipeline=pipeline,
        test_dataloader=dict(dataset=dict(pipeline=pipeline)),
        visualizer=dict(
            type='SegLocalVisualizer',
            name='visualizer',
            vis_backends=[dict(type='LocalVisBackend')]))
    if _plugin_types(model_cfg):  # e.g. VFMVisionTransformer: mmseg needs the plugin to build it
        plain['custom_imports'] = dict(imports=['deft_mmseg'], allow_failed_imports=False)
    plain = Config(plain)
    cfg_path = osp.join(out_dir, 'final_model_config.py')
    plain.dump(cfg_path)
    return cfg_path, ckpt_path
