"""Dataset classes on generated files in the real layouts, and their errors on bad input."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmseg.registry import DATASETS
from PIL import Image

from deft_mmseg.datasets import (ACDCDataset, GTAVDataset, MapillaryCS19Dataset, SynthiaDataset,
                                 check_dataset_cfg, check_num_classes)
from deft_mmseg.utils.errors import DatasetConfigError, DatasetSampleError, LabelRangeError

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]


def _write(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def test_gtav_and_cityscapes_layouts_of_the_demo(demo_root):
    ds = GTAVDataset(data_root=osp.join(demo_root, 'gtav'), pipeline=PIPELINE)
    assert len(ds) == 12 and len(ds.metainfo['classes']) == 19
    sample = ds[0]
    gt = sample['data_samples'].gt_sem_seg.data
    assert gt.shape == (1, 64, 128)
    assert set(np.unique(gt.numpy())) <= set(range(19)) | {255}
    city = DATASETS.build(
        dict(
            type='CityscapesDataset',
            data_root=osp.join(demo_root, 'demo_fog'),
            data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
            pipeline=PIPELINE))
    assert len(city) == 4


def test_synthia_mapillary_acdc_layouts(tmp_path):
    img = np.zeros((4, 6, 3), np.uint8)
    lab = np.full((4, 6), 2, np.uint8)
    _write(str(tmp_path / 'synthia/RGB/0000001.png'), img)
    _write(str(tmp_path / 'synthia/GT/LABELS/0000001_labelTrainIds.png'), lab)
    syn = SynthiaDataset(data_root=str(tmp_path / 'synthia'), pipeline=PIPELINE)
    assert len(syn) == 1 and len(syn.metainfo['eval_class_ids']) == 16
    assert not {9, 14, 16} & set(syn.metainfo['eval_class_ids'])
    _write(str(tmp_path / 'map/validation/images/k1.jpg'), img)
    _write(str(tmp_path / 'map/validation/labels_cs19/k1.png'), lab)
    assert len(MapillaryCS19Dataset(data_root=str(tmp_path / 'map'), pipeline=PIPELINE)) == 1
    for cond in ('fog', 'night', 'rain', 'snow'):
        for i in range(2):
            stem = f'GOPR0{i}_frame_00000{i}'
            _write(str(tmp_path / f'acdc/rgb_anon/{cond}/val/GOPR0{i}/{stem}_rgb_anon.png'), img)
            _write(str(tmp_path / f'acdc/gt/{cond}/val/GOPR0{i}/{stem}_gt_labelTrainIds.png'), lab)
    assert len(ACDCDataset(data_root=str(tmp_path / 'acdc'), pipeline=PIPELINE)) == 8
    night = ACDCDataset(data_root=str(tmp_path / 'acdc'), conditions='night', pipeline=PIPELINE)
    assert len(night) == 2 and all('/night/' in d['img_path'] for d in night.data_list)
    with pytest.raises(DatasetConfigError, match='unknown conditions'):
        ACDCDataset(data_root=str(tmp_path / 'acdc'), conditions='hail', pipeline=PIPELINE)


def test_missing_data_root_and_split(tmp_path):
    with pytest.raises(DatasetConfigError, match='data_root .* does not exist'):
        GTAVDataset(data_root=str(tmp_path / 'nowhere'), pipeline=PIPELINE)
    os.makedirs(tmp_path / 'g' / 'images')
    with pytest.raises(DatasetConfigError, match='seg_map_path'):
        GTAVDataset(data_root=str(tmp_path / 'g'), pipeline=PIPELINE)
    with pytest.raises(DatasetConfigError, match='ann_file'):
        check_dataset_cfg(
            dict(type='GTAVDataset', data_root=str(tmp_path / 'g'), ann_file='train.txt'),
            'train_dataloader.dataset')


def test_images_without_labels(tmp_path):
    root = tmp_path / 'g'
    _write(str(root / 'images/00001.png'), np.zeros((2, 2, 3), np.uint8))
    _write(str(root / 'images/00002.png'), np.zeros((2, 2, 3), np.uint8))
    _write(str(root / 'labels/00001_labelTrainIds.png'), np.zeros((2, 2), np.uint8))
    with pytest.raises(DatasetConfigError, match=r'1 of 2 images have no label.*00002'):
        GTAVDataset(data_root=str(root), pipeline=PIPELINE)
    ds = GTAVDataset(data_root=str(root), pipeline=PIPELINE, allow_missing_labels=True)
    assert len(ds) == 1


def test_label_ids_outside_classes_and_corrupt_image(tmp_path):
    root = tmp_path / 'g'
    _write(str(root / 'images/00001.png'), np.zeros((2, 2, 3), np.uint8))
    _write(str(root / 'labels/00001_labelTrainIds.png'), np.array([[0, 33], [1, 255]], np.uint8))
    ds = GTAVDataset(data_root=str(root), pipeline=PIPELINE)
    with pytest.raises(LabelRangeError, match=r'00001_labelTrainIds.png.*\[33\].*converters'):
        ds[0]
    (root / 'images/00001.png').write_bytes(b'not a png at all')
    with pytest.raises(DatasetSampleError, match=r'00001.png.*corrupt'):
        ds[0]


def test_unknown_dataset_type_and_num_classes_mismatch():
    with pytest.raises(DatasetConfigError, match="unknown dataset type 'GTA5Dataset'"):
        check_dataset_cfg(dict(type='GTA5Dataset', data_root='.'), 'train_dataloader.dataset')

    class Model:
        num_classes = 16

    with pytest.raises(DatasetConfigError, match='num_classes=16 .* 19 classes'):
        check_num_classes(Model(), GTAVDataset.METAINFO, 'train_dataloader.dataset')
    Model.num_classes = 19
    check_num_classes(Model(), GTAVDataset.METAINFO)


def test_demo_generator_is_deterministic(tmp_path):
    from deft_mmseg.demo import generate_demo_dataset
    a = generate_demo_dataset(str(tmp_path / 'a'), num_source=2, num_target=1, seed=3)
    b = generate_demo_dataset(str(tmp_path / 'b'), num_source=2, num_target=1, seed=3)
    for key in a:
        for dirpath, _, files in os.walk(a[key]):
            for f in files:
                other = osp.join(b[key], osp.relpath(osp.join(dirpath, f), a[key]))
                assert open(osp.join(dirpath, f), 'rb').read() == open(other, 'rb').read()
    # target domains differ in appearance, not in the class grammar
    img = {
        d:
        np.asarray(
            Image.open(osp.join(
                a[d], 'leftImg8bit/val/demo/demo_000000_000019_leftImg8bit.png'))).astype(float)
        for d in ('demo_real', 'demo_fog', 'demo_night')
    }
    assert img['demo_night'].mean() < img['demo_real'].mean() - 30
    assert img['demo_fog'].std() < img['demo_real'].std()
    shutil.rmtree(tmp_path / 'a')


def _adverse_weather_releases(root):
    """The four Table 3 test sets in their release layouts, two (Foggy Driving: 2 + 1) images
    each, labels holding a class id that names the file (so pairing errors show)."""
    img = np.zeros((4, 6, 3), np.uint8)
    lists = ([], [])
    for i, seq in enumerate(('GOPR0475', 'GOPR0478')):
        frame = f'1508039851_start_01m00s_00035{i}'
        _write(f'{root}/foggy_zurich/RGB/{seq}/{frame}.png', img)
        _write(f'{root}/foggy_zurich/gt_labelTrainIds/testv2/{frame}.png',
               np.full((4, 6), 3 + i, np.uint8))
        _write(f'{root}/foggy_zurich/RGB/{seq}/unlabelled_{i}.png', img)  # not in the lists
        lists[0].append(f'RGB/{seq}/{frame}.png')
        lists[1].append(f'gt_labelTrainIds/testv2/{frame}.png')
    os.makedirs(f'{root}/foggy_zurich/lists_file_names')
    for name, entries in zip(('RGB', 'gt_labelTrainIds'), lists):
        with open(f'{root}/foggy_zurich/lists_file_names/{name}_testv2_filenames.txt', 'w') as f:
            f.write('\n'.join(entries) + '\n')
    for part, split, count in (('gtFine', 'test', 2), ('gtCoarse', 'test_extra', 1)):
        for i in range(count):
            stem = f'{split}_scene_{i}'
            _write(f'{root}/foggy_driving/leftImg8bit/{split}/public/{stem}_leftImg8bit.png', img)
            _write(f'{root}/foggy_driving/{part}/{split}/public/{stem}_{part}_labelTrainIds.png',
                   np.full((4, 6), 1, np.uint8))
    for i in range(2):
        stem = f'GOPR0356_frame_00000{i}'
        _write(f'{root}/dark_zurich/rgb_anon/val/night/GOPR0356/{stem}_rgb_anon.png', img)
        _write(f'{root}/dark_zurich/gt/val/night/GOPR0356/{stem}_gt_labelTrainIds.png',
               np.full((4, 6), 2, np.uint8))
        stem = f'{i:04d}'
        _write(f'{root}/nighttime_driving/leftImg8bit/test/night/{stem}_leftImg8bit.png', img)
        _write(
            f'{root}/nighttime_driving/gtCoarse_daytime_trainvaltest/test/night/'
            f'{stem}_gtCoarse_labelTrainIds.png', np.full((4, 6), 2, np.uint8))


def test_adverse_weather_test_sets_in_their_release_layouts(tmp_path, monkeypatch):
    """The configs of the FisherTune paper's Table 3 find every labelled image of the four
    adverse-weather releases (and nothing else), each with its own label."""
    from mmengine.config import Config

    from repo_paths import config_path
    _adverse_weather_releases(str(tmp_path / 'data'))
    monkeypatch.chdir(tmp_path)  # the configs' default roots are data/<name>
    cfg = Config.fromfile(config_path('_base_', 'datasets', 'adverse_weather.py'))
    counts = {}
    for key in ('foggy_zurich_val', 'foggy_driving_val', 'dark_zurich_val', 'night_driving_val'):
        ds = DATASETS.build(dict(cfg[key], pipeline=PIPELINE))
        counts[key] = len(ds)
        for i in range(len(ds)):
            sample = ds[i]
            assert sample['data_samples'].gt_sem_seg.data.shape == (1, 4, 6)
    assert counts == dict(
        foggy_zurich_val=2, foggy_driving_val=3, dark_zurich_val=2, night_driving_val=2)
    zurich = DATASETS.build(dict(cfg.foggy_zurich_val, pipeline=PIPELINE))
    labels = [int(zurich[i]['data_samples'].gt_sem_seg.data.max()) for i in range(2)]
    assert labels == [3, 4]  # paired line by line
    fine = DATASETS.build(dict(cfg.foggy_driving_val, annotations='fine', pipeline=PIPELINE))
    assert len(fine) == 2 and all('gtFine' in d['seg_map_path'] for d in fine.data_list)
    # the protocol config names all six targets
    protocol = Config.fromfile(config_path('_base_', 'datasets', 'cityscapes_to_adverse_512.py'))
    assert list(protocol.val_dataloader.datasets) == [
        'foggy_zurich', 'foggy_driving', 'dark_zurich', 'night_driving', 'acdc_rain', 'acdc_snow'
    ]


def test_adverse_weather_bad_layouts(tmp_path):
    from deft_mmseg.datasets import FoggyDrivingDataset, FoggyZurichDataset
    root = str(tmp_path / 'data')
    _adverse_weather_releases(root)
    os.remove(f'{root}/foggy_zurich/lists_file_names/RGB_testv2_filenames.txt')
    with pytest.raises(DatasetConfigError, match='RGB_testv2_filenames.txt'):
        FoggyZurichDataset(data_root=f'{root}/foggy_zurich', pipeline=PIPELINE)
    with open(f'{root}/foggy_zurich/lists_file_names/RGB_testv2_filenames.txt', 'w') as f:
        f.write('RGB/GOPR0475/missing.png\n')
    with pytest.raises(DatasetConfigError, match='pair line by line'):
        FoggyZurichDataset(data_root=f'{root}/foggy_zurich', pipeline=PIPELINE)
    with pytest.raises(DatasetConfigError, match="annotations='dense'"):
        FoggyDrivingDataset(
            data_root=f'{root}/foggy_driving', annotations='dense', pipeline=PIPELINE)
    shutil.rmtree(f'{root}/foggy_driving/gtCoarse')
    with pytest.raises(DatasetConfigError, match='gtCoarse'):
        FoggyDrivingDataset(data_root=f'{root}/foggy_driving', pipeline=PIPELINE)
