"""Dataset classes on generated files in the real layouts, and their errors on bad input."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmseg.registry import DATASETS
from PIL import Image

from deft_mmseg.datasets import (ACDCDataset, DatasetConfigError, DatasetSampleError,
                                 GTAVDataset, MapillaryCS19Dataset, SynthiaDataset,
                                 check_dataset_cfg, check_num_classes)
from deft_mmseg.evaluation.dg_iou_metric import LabelRangeError

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')]


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
    city = DATASETS.build(dict(type='CityscapesDataset', data_root=osp.join(demo_root, 'demo_fog'),
                               data_prefix=dict(img_path='leftImg8bit/val',
                                                seg_map_path='gtFine/val'), pipeline=PIPELINE))
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
        check_dataset_cfg(dict(type='GTAVDataset', data_root=str(tmp_path / 'g'),
                               ann_file='train.txt'), 'train_dataloader.dataset')


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
    img = {d: np.asarray(Image.open(osp.join(
        a[d], 'leftImg8bit/val/demo/demo_000000_000019_leftImg8bit.png'))).astype(float)
        for d in ('demo_real', 'demo_fog', 'demo_night')}
    assert img['demo_night'].mean() < img['demo_real'].mean() - 30
    assert img['demo_fog'].std() < img['demo_real'].std()
    shutil.rmtree(tmp_path / 'a')
