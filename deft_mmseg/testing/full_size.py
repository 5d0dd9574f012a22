"""A config's full-size paths with a tiny network: its own pipelines on frames of each dataset's
real size, its own data preprocessor and ``test_cfg`` at its real test input size.

``--demo`` shrinks the images with the network (``deft_mmseg.demo.make_demo_config``); these helpers
keep every size of the config and shrink only the network's widths and depths, so the paths a
full-size run takes (sliding windows at image borders, patch and position grids at the real input
size, test-time resizing of each target domain) run on a CPU in seconds.
"""
import copy
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
from mmengine.config import Config, ConfigDict
from PIL import Image

from ..demo.demo_config import demo_model_config, domain_pipelines

#: (width, height) of a frame of each dataset as distributed (Mapillary val varies: a 4:3 frame of
#: its most common size; ``images_half`` is tools/dataset_converters/mapillary.py --scale 0.5)
REAL_FRAME_SIZES = {
    'gtav': (1914, 1052),
    'synthia': (1280, 760),
    'cityscapes': (2048, 1024),
    'bdd100k': (1280, 720),
    'mapillary': (4032, 3024),
    'mapillary_half': (2016, 1512),
    'acdc': (1920, 1080),
    'foggy_zurich': (1920, 1080),
    'foggy_driving': (1920, 1080),
    'dark_zurich': (1920, 1080),
    'night_driving': (1920, 1080),
}
SOURCE_DATASETS = {
    'GTAVDataset': 'gtav',
    'SynthiaDataset': 'synthia',
    'CityscapesDataset': 'cityscapes'
}
#: ViT sizes of the tiny full-size network: the config's ViT type, patch, image size and options.
#: 12 blocks, so that the blocks hold most of the trunk's weights as in a real ViT (with 4 blocks of
#: width 32 the patch and position embeddings of patch 16 at 512 outweigh them, and FisherTune's
#: 5 %-of-the-backbone ablations cannot be drawn from one projection group)
TINY_VIT_ARCH = dict(embed_dims=32, num_layers=12, num_heads=2, feedforward_channels=64)


def domain_frame_size(name: str, dataset: dict) -> Tuple[int, int]:
    """(width, height) of a real frame of target domain ``name`` (``acdc_fog`` -> ACDC)."""
    if name.startswith('mapillary'):
        half = 'half' in str(dataset.get('data_prefix', {}).get('img_path', ''))
        return REAL_FRAME_SIZES['mapillary_half' if half else 'mapillary']
    for key in sorted(REAL_FRAME_SIZES, key=len, reverse=True):
        if name.startswith(key):
            return REAL_FRAME_SIZES[key]
    raise KeyError(f'no real frame size for target domain {name!r}')


def source_frame_size(cfg: Config) -> Tuple[int, int]:
    """(width, height) of a real frame of the config's source dataset (inside a wrapper such as
    ``ClassUniformDataset``)."""
    dataset = cfg.train_dataloader.dataset
    while dataset.type not in SOURCE_DATASETS and 'dataset' in dataset:
        dataset = dataset.dataset
    return REAL_FRAME_SIZES[SOURCE_DATASETS[dataset.type]]


def write_frame(folder: str,
                size: Tuple[int, int],
                num_classes: int = 19,
                seed: int = 0) -> Tuple[str, str]:
    """An RGB frame (smooth colour ramps with a random offset: a noise frame of 4032x3024 takes
    seconds to compress) and a label map of ``size`` (w, h) with ``num_classes`` classes in
    vertical bands and an ignore band; returns (image path, label path)."""
    os.makedirs(folder, exist_ok=True)
    w, h = size
    rng = np.random.default_rng(seed)
    ramp_y, ramp_x = np.meshgrid(
        np.linspace(0, 255, h, dtype=np.float32),
        np.linspace(0, 255, w, dtype=np.float32),
        indexing='ij')
    offset = rng.integers(0, 64, 3)
    img = np.stack([ramp_x + offset[0], ramp_y + offset[1], (ramp_x + ramp_y) / 2 + offset[2]],
                   axis=-1) % 256
    img = img.astype(np.uint8)
    label = (np.arange(w)[None, :].repeat(h, 0) * num_classes // w).astype(np.uint8)
    label[:h // 10] = 255
    img_path = osp.join(folder, f'frame_{w}x{h}.png')
    seg_path = osp.join(folder, f'frame_{w}x{h}_label.png')
    Image.fromarray(img).save(img_path)
    Image.fromarray(label).save(seg_path)
    return img_path, seg_path


def run_pipeline(pipeline: List[dict], img_path: str, seg_path: str) -> dict:
    """The packed sample (``inputs`` (3, H, W) uint8, ``data_samples``) of ``pipeline`` on one
    frame, as a dataset of mmseg hands it over."""
    from mmcv.transforms import Compose
    from mmseg.registry import TRANSFORMS
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    transforms = Compose([TRANSFORMS.build(copy.deepcopy(t)) for t in pipeline])
    return transforms(
        dict(
            img_path=img_path,
            seg_map_path=seg_path,
            reduce_zero_label=False,
            seg_fields=[],
            sample_idx=0))


def full_size_model_config(cfg: Config) -> ConfigDict:
    """The model of ``cfg`` with a tiny network and every size of the config: its data
    preprocessor and ``test_cfg`` unscaled, and for a VFM its ViT type, patch size, image size
    and options (position grid, rotary grid, SAM's windows) with only the widths and depth of
    ``TINY_VIT_ARCH``."""
    model = demo_model_config(cfg, factor=1.0)
    backbone = cfg.model['backbone']
    if backbone['type'] == 'VFMVisionTransformer':
        vit = {
            k: copy.deepcopy(v)
            for k, v in backbone['vit'].items() if k not in ('init_cfg', 'pretrained', 'arch')
        }
        arch = dict(TINY_VIT_ARCH)
        if 'ViTSAM' in vit['type']:
            arch['global_attn_indexes'] = [2, 5, 8, 11]
        vit['arch'] = arch
        model['backbone']['vit'] = vit
        for key in ('reins', 'peft'):  # one PEFT layer per block, initialized for the patch
            if model['backbone'].get(key):
                model['backbone'][key]['num_layers'] = arch['num_layers']
                if 'patch_size' in model['backbone'][key]:
                    model['backbone'][key]['patch_size'] = vit.get('patch_size', 16)
    return model


def domain_test_pipelines(cfg: Config) -> Dict[str, List[dict]]:
    """Each target domain's test pipeline (of ``test_dataloader``), by domain name."""
    return domain_pipelines(cfg, 'test_dataloader')
