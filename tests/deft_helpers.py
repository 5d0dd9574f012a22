"""Tiny models and batches for the DeFT unit tests."""
import copy

import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from deft_mmseg.testing import seg_batch
from repo_paths import config_path


def tiny_model_cfg(type_='DualPathwaySegmentor', **kwargs):
    cfg = Config.fromfile(config_path('_base_', 'models', 'deeplabv3plus_tiny_demo.py'))
    model = copy.deepcopy(cfg.model)
    model['type'] = type_
    model['data_preprocessor'] = None
    model.update(kwargs)
    return model


def build(cfg):
    torch.manual_seed(0)
    return MODELS.build(cfg)


def batch(n=2, size=32, seed=0, num_classes=19):
    """A random batch (``deft_mmseg.testing.seg_batch``, shared with the benchmarks)."""
    return seg_batch(n, size, seed=seed, num_classes=num_classes)


def total_loss(losses):
    return sum(v for k, v in losses.items() if 'loss' in k)


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def changed(a, b):
    return [k for k in a if a[k].is_floating_point() and not torch.equal(a[k], b[k])]


def reset_mmengine_state():
    """Forget mmengine's named singletons (loggers, visualizers, message hubs, default scopes:
    every ``ManagerMixin`` class, e.g. mmseg's ``SegLocalVisualizer`` keeps its own table), as
    ``mmengine.testing.RunnerTestCase.tearDown`` does for mmengine's own classes, so the next
    in-process Runner builds its own (a visualizer left by an earlier run would keep writing to
    that run's folder)."""
    import logging

    from mmengine.registry import init_default_scope
    from mmengine.utils import ManagerMixin
    logging.shutdown()
    pending = [ManagerMixin]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if '_instance_dict' in vars(cls):
            cls._instance_dict.clear()
    init_default_scope('mmseg')
