"""The evaluation protocols as configs: what each one trains on and at which sizes it tests."""
import os
import os.path as osp

import numpy as np
from mmengine.config import Config
from mmseg.registry import DATASETS
from PIL import Image

from repo_paths import config_path


def gtav_tree(root, n=3, listed=1):
    os.makedirs(osp.join(root, 'images'))
    os.makedirs(osp.join(root, 'labels'))
    for i in range(n):
        Image.fromarray(np.zeros((4, 8, 3),
                                 np.uint8)).save(osp.join(root, 'images', f'{i:05d}.png'))
        Image.fromarray(np.zeros(
            (4, 8), np.uint8)).save(osp.join(root, 'labels', f'{i:05d}_labelTrainIds.png'))
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write(''.join(f'{i:05d}\n' for i in range(listed)))


def test_rein_protocol_trains_on_every_gtav_image_and_tests_at_the_release_sizes(tmp_path):
    gtav_tree(str(tmp_path / 'gtav'))
    split = Config.fromfile(config_path('_base_', 'datasets', 'gtav_to_cbm_512.py'))
    rein = Config.fromfile(config_path('_base_', 'datasets', 'protocol_rein_gtav_to_cbm.py'))
    sizes = {}
    for name, cfg in (('split', split), ('rein', rein)):
        ds_cfg = dict(
            cfg.train_dataloader.dataset,
            data_root=str(tmp_path / 'gtav'),
            pipeline=[],
            lazy_init=False)
        sizes[name] = len(DATASETS.build(ds_cfg))
    assert sizes == {'split': 1, 'rein': 3}  # train.txt lists one of the three images

    def resize(cfg, domain):
        return [
            t['scale'] for t in cfg.test_dataloader.datasets[domain].pipeline
            if t['type'] == 'Resize'
        ]

    assert resize(rein, 'bdd100k') == [(1280, 720)] and resize(split, 'bdd100k') == [(1024, 512)]
    assert resize(rein, 'cityscapes') == resize(rein, 'mapillary') == [(1024, 512)]
    assert rein.test_dataloader.datasets.mapillary.data_prefix == dict(
        img_path='validation/images_half', seg_map_path='validation/labels_cs19_half')


def test_rein_and_fishertune_gtav_configs_use_the_rein_protocol():
    for family in ('rein', 'fishertune'):
        names = [n for n in os.listdir(config_path(family)) if '_gtav-' in n]
        assert len(names) >= 6, family
        for name in names:
            cfg = Config.fromfile(config_path(family, name))
            assert cfg.train_dataloader.dataset.get('ann_file') == '', name
            assert cfg.test_dataloader.datasets.mapillary.data_prefix.img_path == \
                'validation/images_half', name


def test_rein_cityscapes_to_acdc_1024_protocol():
    cfg = Config.fromfile(
        config_path('rein', 'rein_dinov2-l_mask2former_4xb2-40k_cityscapes-acdc-1024x1024.py'))
    sizes = {
        d: [t['scale'] for t in ds.pipeline if t['type'] == 'Resize']
        for d, ds in cfg.test_dataloader.datasets.items()
    }
    assert sizes == {
        'acdc': [(1920, 1080)],
        'acdc_fog': [(1920, 1080)],
        'acdc_night': [(1920, 1080)],
        'acdc_rain': [(1920, 1080)],
        'acdc_snow': [(1920, 1080)],
        'bdd100k': [(1280, 720)]
    }
    crop = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'RandomCrop']
    assert crop[0]['crop_size'] == (1024, 1024) == cfg.model.data_preprocessor.size
    assert cfg.model.test_cfg.crop_size == (1024, 1024) and cfg.model.test_cfg.stride == (683, 683)
    assert cfg.model.backbone.vit.img_size == 1024
