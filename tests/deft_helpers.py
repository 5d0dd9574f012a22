"""Tiny models and batches for the DeFT unit tests."""
import copy

import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from conftest import config_path


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
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, size, size, generator=g)
    samples = []
    for _ in range(n):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, size, size), generator=g))
        s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size),
                            ori_shape=(size, size)))
        samples.append(s)
    return inputs, samples


def total_loss(losses):
    return sum(v for k, v in losses.items() if 'loss' in k)


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def changed(a, b):
    return [k for k in a if a[k].is_floating_point() and not torch.equal(a[k], b[k])]
