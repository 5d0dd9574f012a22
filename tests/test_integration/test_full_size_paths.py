"""The paths a full-size run takes, for every config, with tiny networks (no training).

``--demo`` shrinks images with the network; a config that only fails at its real sizes (mmseg issue
3666: every Mask2Former config with sliding windows crashed at its first full-size evaluation)
passes it. Here every size is the config's own and only the network is tiny
(``deft_mmseg.testing.full_size``):

1. each config's train pipeline on a frame of its source dataset's real size, and each target
   domain's test pipeline on a frame of that domain's real size (the shapes the protocols document,
   docs/evaluation.md);
2. each config's data preprocessor and ``test_cfg`` (sliding windows included) on the output of (1),
   one ``test_step`` of the tiny network of its family: a label map of the frame's size.

The default run checks one config per head family and inference mode; ``slow`` every config.
"""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from deft_mmseg.testing.full_size import (domain_frame_size, domain_test_pipelines,
                                          full_size_model_config, run_pipeline, source_frame_size,
                                          write_frame)
from repo_paths import CONFIGS, config_path

_CONFIGS = {}


def _config(name):
    if name not in _CONFIGS:
        _CONFIGS[name] = Config.fromfile(config_path(name))
    return _CONFIGS[name]


#: the default run: one target domain of one config per head family and inference mode (whole
#: DeepLabv3+ on BDD100K at its 1280x720, whole Mask2Former on padded Cityscapes,
#: Rein's sliding 512 windows on BDD100K's 1280x720 with windows flush at the borders); ``slow``
#: runs every domain of every config (ACDC at 1920x1080 with 1024 windows, EVA-CLIP's patch 14 and
#: rotary grid, SAM's windowed attention, Mapillary's 4032x3024 frames, ...)
REPRESENTATIVE = {
    'deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py': 'bdd100k',
    'deft/deft_mask2former_r50_1xb4-48k_gtav-768x768.py': 'cityscapes',
    'rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py': 'bdd100k',
}
PARAMS = ([pytest.param(c, d, id=f'{c}:{d}') for c, d in REPRESENTATIVE.items()] +
          [pytest.param(c, None, marks=pytest.mark.slow, id=c) for c in CONFIGS])


def test_representative_configs_exist():
    assert set(REPRESENTATIVE) <= set(CONFIGS)


def _fits(shape, box):
    """mmcv's keep-ratio ``Resize(scale=box)`` written out: the frame is scaled by
    min(long side of box / long side, short side of box / short side), rounded to the pixel."""
    (h, w), (bw, bh) = shape, box
    factor = min(max(bw, bh) / max(h, w), min(bw, bh) / min(h, w))
    return int(h * factor + 0.5), int(w * factor + 0.5)


@pytest.fixture(scope='module')
def frames(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp('frames'))
    cache = {}

    def frame(size):
        if size not in cache:
            cache[size] = write_frame(folder, size)
        return cache[size]

    return frame


def _check_source(cfg, frames):
    """The train pipeline on a real source frame, then the preprocessor in training mode."""
    from mmseg.registry import MODELS
    sample = run_pipeline(cfg.train_dataloader.dataset.pipeline, *frames(source_frame_size(cfg)))
    crop = cfg.model.data_preprocessor.size
    h, w = sample['inputs'].shape[-2:]
    assert h <= crop[0] and w <= crop[1], (h, w, crop)
    assert sample['data_samples'].gt_sem_seg.data.shape[-2:] == (h, w)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    batch = preprocessor(
        dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]), training=True)
    assert tuple(batch['inputs'].shape[-2:]) == tuple(crop)


def _check_domain(cfg, model, domain, frames):
    """A target domain's test pipeline on a real frame, then one ``test_step``."""
    w, h = domain_frame_size(domain, cfg.test_dataloader.datasets[domain])
    pipeline = domain_test_pipelines(cfg)[domain]
    sample = run_pipeline(pipeline, *frames((w, h)))
    resized = [t['scale'] for t in pipeline if t['type'] == 'Resize']
    to_height = [t for t in pipeline if t['type'] == 'ResizeToHeightCenterCrop']
    expected = _fits((h, w), resized[0]) if resized else (h, w)
    scored = (h, w)
    if to_height:  # RobustNet's Mapillary sizes: height H, width int(w / h * H)
        height, crop = to_height[0]['height'], to_height[0].get('crop_size')
        expected = (crop, crop) if crop else (height, int(w / h * height))
        # the centre crop transforms image and label alike: metrics at that size
        scored = (crop, crop) if crop else scored
    assert tuple(sample['inputs'].shape[-2:]) == expected, domain
    # otherwise the label map stays at the frame's size: metrics at the dataset's label resolution
    assert sample['data_samples'].gt_sem_seg.data.shape[-2:] == scored, domain
    with torch.no_grad():
        (pred, ) = model.test_step(
            dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]))
    assert pred.pred_sem_seg.data.shape[-2:] == scored, domain
    assert pred.seg_logits.data.shape[0] == 19, domain


@pytest.mark.parametrize('name,domain', PARAMS)
def test_full_size_paths(frames, name, domain):
    """The source path and the test path of ``domain`` (None: of every target domain)."""
    from mmseg.registry import MODELS
    cfg = _config(name)
    torch.manual_seed(0)
    _check_source(cfg, frames)
    model = MODELS.build(full_size_model_config(cfg)).eval()
    for target in [domain] if domain else domain_test_pipelines(cfg):
        _check_domain(cfg, model, target, frames)


# the protocols' test input sizes, computed by hand from docs/evaluation.md ("Protocols")
PROTOCOL_SIZES = {
    # DeFT paper as RobustNet runs it: Cityscapes and BDD100K at their own size, Mapillary at
    # height 1536
    'deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py': {
        'cityscapes': (1024, 2048),
        'bdd100k': (720, 1280),
        'mapillary': (1536, 2048)
    },
    # ... and its variant with RobustNet's Mapillary centre crop
    'deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768_mapillary-center-crop.py': {
        'mapillary': (1536, 1536)
    },
    # mmseg-native: every target resized to fit 2048x1024
    'deft/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_mmseg-native.py': {
        'cityscapes': (1024, 2048),
        'bdd100k': (1024, 1820),
        'mapillary': (1024, 1365)
    },
    # Rein release: Cityscapes and Mapillary's half copy to fit 1024x512, BDD100K at 1280x720
    'rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py': {
        'cityscapes': (512, 1024),
        'bdd100k': (720, 1280),
        'mapillary': (512, 683)
    },
    # Rein release, Cityscapes -> ACDC at 1024: ACDC to fit 1920x1080
    'rein/rein_dinov2-l_mask2former_4xb2-40k_cityscapes-acdc-1024x1024.py': {
        'acdc': (1080, 1920),
        'bdd100k': (720, 1280)
    },
}


@pytest.mark.parametrize('name', sorted(PROTOCOL_SIZES))
def test_protocol_test_sizes_by_hand(frames, name):
    cfg = _config(name)
    for domain, expected in PROTOCOL_SIZES[name].items():
        size = domain_frame_size(domain, cfg.test_dataloader.datasets[domain])
        sample = run_pipeline(domain_test_pipelines(cfg)[domain], *frames(size))
        assert tuple(sample['inputs'].shape[-2:]) == expected, domain


#: one config per head family and inference mode
FAMILY_RUNS = [
    'deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py',  # DeepLabv3+, whole
    'deft/deft_segformer_mit-b5_1xb4-48k_gtav-768x768.py',  # SegFormer, whole
    'deft/deft_mask2former_r50_1xb4-48k_gtav-768x768.py',  # Mask2Former, whole
    'rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',  # Rein Mask2Former, slide
    'vltseg/vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512.py',  # VLTSeg, slide, patch 14
]


@pytest.fixture(scope='module')
def real_size_demo_root(tmp_path_factory):
    """The demo's layout (GTAV-layout source, Cityscapes-layout targets) with frames of GTAV's
    real size."""
    from deft_mmseg.demo import generate_demo_dataset
    root = str(tmp_path_factory.mktemp('real_size_demo'))
    generate_demo_dataset(root, size=(1914, 1052), num_source=2, num_target=1)
    return root


@pytest.mark.slow
@pytest.mark.parametrize('name', FAMILY_RUNS)
def test_short_real_size_run_with_validation(real_size_demo_root, tmp_path, name):
    """Two training iterations at the config's crop and a validation at the real size, through
    mmengine's Runner: the config's own pipelines, preprocessor, test_cfg and segmentor."""
    from mmengine.runner import Runner

    from deft_mmseg.demo import make_demo_config
    cfg = _config(name)
    run = make_demo_config(cfg, warmup_iters=1, iters=2, demo_root=real_size_demo_root, factor=1.0)
    run.model = full_size_model_config(cfg)
    run.train_dataloader.batch_size = 2
    run.work_dir = str(tmp_path)
    Runner.from_cfg(run).train()
    results = json.load(open(osp.join(str(tmp_path), 'multi_domain_results.json')))
    assert set(results) == {'demo_real', 'demo_fog', 'demo_night', 'avg'}
