"""Class-uniform sampling (RobustNet ``datasets/uniform.py``) and the RobustNet train/eval
transforms, on label maps written here whose centroids and crops are worked out by hand."""
import collections

import mmcv
import numpy as np
import pytest

from deft_mmseg.datasets import ClassUniformDataset, ClassUniformSampler
from deft_mmseg.datasets.class_uniform import tile_centroids
from deft_mmseg.datasets.transforms import (CentroidRandomCrop, RandomRescale,
                                            ResizeToHeightCenterCrop)

IGNORE = 255
H, W, TILE = 8, 13, 4  # 2 x 3 whole tiles; column 12 lies outside every tile


def _labels():
    """Four label maps and, by hand, their tile centroids ``(image, x, y)`` per class."""
    labels = [np.full((H, W), IGNORE, np.uint8) for _ in range(4)]
    labels[0][0:2, 0:4] = 0  # tile (0, 0): x mean 1.5 -> 1, y mean 0.5 -> 0
    labels[0][5:8, 9:11] = 1  # tile (1, 2): x mean 9.5 -> 9, y mean 6 -> 6
    labels[1][2:4, 2:6] = 0  # tiles (0, 0) and (0, 1): (2, 2) and (4, 2)
    labels[2][:, :12] = 2  # six whole tiles: (x0 + 1, y0 + 1) each
    labels[3][:, 12] = 1  # outside the tiles: no centroid
    expected = {
        0: [(0, 1, 0), (1, 2, 2), (1, 4, 2)],
        1: [(0, 9, 6)],
        2: [(2, 1, 1), (2, 5, 1), (2, 9, 1), (2, 1, 5), (2, 5, 5), (2, 9, 5)]
    }
    return labels, expected


@pytest.fixture
def dataset(tmp_path):
    labels, _ = _labels()
    (tmp_path / 'img').mkdir()
    (tmp_path / 'ann').mkdir()
    for i, label in enumerate(labels):
        mmcv.imwrite(np.full((H, W, 3), 40 * i, np.uint8), str(tmp_path / 'img' / f'{i}.png'))
        mmcv.imwrite(label, str(tmp_path / 'ann' / f'{i}.png'))
    return dict(
        type='BaseSegDataset',
        data_root=str(tmp_path),
        data_prefix=dict(img_path='img', seg_map_path='ann'),
        img_suffix='.png',
        seg_map_suffix='.png',
        metainfo=dict(classes=('a', 'b', 'c')))


PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CentroidRandomCrop', crop_size=4),
    dict(type='PackSegInputs')
]


def test_tile_centroids_are_the_hand_computed_ones(dataset, tmp_path):
    labels, expected = _labels()
    for i, label in enumerate(labels):
        got = tile_centroids(label, 3, TILE)
        want = {c: [(x, y) for j, x, y in v if j == i] for c, v in expected.items()}
        assert got == {c: v for c, v in want.items() if v}
    wrapped = ClassUniformDataset(
        dataset,
        PIPELINE,
        tile_size=TILE,
        centroid_file=str(tmp_path / 'centroids.json'),
        num_workers=2)
    assert wrapped.num_images == 4 and len(wrapped) == 4 + 10
    assert [(i, x, y) for c, i, x, y in wrapped.centroids] == \
        expected[0] + expected[1] + expected[2]
    assert wrapped.class_ranges == {0: (4, 7), 1: (7, 8), 2: (8, 14)}
    # the cache is read back (and refused for another tile size)
    again = ClassUniformDataset(
        dataset, PIPELINE, tile_size=TILE, centroid_file=str(tmp_path / 'centroids.json'))
    assert again.centroids == wrapped.centroids
    with pytest.raises(ValueError, match='another dataset or tile size'):
        ClassUniformDataset(
            dataset, PIPELINE, tile_size=2, centroid_file=str(tmp_path / 'centroids.json'))


def test_centroid_samples_crop_around_their_centroid(dataset):
    """Class 1's only centroid, x 9, y 6 of image 0 (class 1 in columns 9-10, rows 5-7): the
    window's left edge is drawn from [9 - 4, 9] = [5, 9] (RobustNet's randint bounds, both
    included), so 4 of 5 windows hold class 1 (x1 = 5 stops at column 8)."""
    wrapped = ClassUniformDataset(dataset, PIPELINE, tile_size=TILE)
    np.random.seed(0)
    hits = 0
    for _ in range(100):
        gt = wrapped[7]['data_samples'].gt_sem_seg.data[0]
        assert gt.shape == (4, 4)
        hits += int((gt == 1).any())
    assert 65 <= hits <= 95
    plain = wrapped[3]['data_samples'].gt_sem_seg.data  # an image index: a plain random crop
    assert plain.shape == (1, 4, 4)


def test_sampler_epochs_have_robustnets_composition(dataset):
    """N = 4 images, C = 3 classes: with pct 1.0, int(4 * 1.0 / 3) = 1 centroid of each class and
    4 - 3 = 1 random image per epoch; with pct 0.5, int(4 * 0.5 / 3) = 0: images only."""
    wrapped = ClassUniformDataset(dataset, PIPELINE, tile_size=TILE)
    sampler = ClassUniformSampler(wrapped, class_uniform_pct=1.0, seed=0)
    assert len(sampler) == 4
    stream = iter(sampler)
    epochs = [[next(stream) for _ in range(4)] for _ in range(600)]
    counts = collections.Counter()
    for epoch in epochs:
        kinds = [
            'img' if i < 4 else next(
                str(c) for c, (s, e) in wrapped.class_ranges.items() if s <= i < e) for i in epoch
        ]
        assert sorted(kinds) == ['0', '1', '2', 'img']
        counts.update(epoch)
    # within a class, each centroid is drawn alike: class 2 has 6 (100 expected each)
    assert all(60 < counts[i] < 140 for i in range(8, 14))
    assert counts[7] == 600  # class 1 has one centroid: in every epoch
    assert sum(counts[i] for i in range(4)) == 600
    images_only = ClassUniformSampler(wrapped, class_uniform_pct=0.5, seed=0)
    stream = iter(images_only)
    first = [next(stream) for _ in range(8)]
    assert sorted(first[:4]) == [0, 1, 2, 3] and sorted(first[4:]) == [0, 1, 2, 3]


def test_sampler_shards_one_stream_over_ranks(dataset):
    wrapped = ClassUniformDataset(dataset, PIPELINE, tile_size=TILE)
    whole = ClassUniformSampler(wrapped, class_uniform_pct=1.0, seed=3)
    stream = iter(whole)
    reference = [next(stream) for _ in range(12)]
    for rank in range(2):
        part = ClassUniformSampler(wrapped, class_uniform_pct=1.0, seed=3)
        part.rank, part.world_size = rank, 2
        stream = iter(part)
        assert [next(stream) for _ in range(6)] == reference[rank::2]


def _results(h, w, centroid=None):
    """An image whose channels 0 and 1 hold each pixel's x and y."""
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.arange(w)[None, :]
    img[..., 1] = np.arange(h)[:, None]
    label = np.zeros((h, w), np.uint8)
    return dict(
        img=img, gt_seg_map=label, seg_fields=['gt_seg_map'], img_shape=(h, w), centroid=centroid)


def test_centroid_random_crop_pads_and_contains_the_centroid():
    crop = CentroidRandomCrop(crop_size=8)
    np.random.seed(1)
    corners = set()
    for _ in range(200):  # (30, 40) image, centroid x 33, y 2
        out = crop(_results(30, 40, centroid=(33, 2)))
        assert out['img'].shape == (8, 8, 3)
        corners.add((int(out['img'][0, 0, 1]), int(out['img'][0, 0, 0])))  # (y1, x1)
    # x1 from randint(33 - 8, 33) clipped to 40 - 8 = 32; y1 from randint(2 - 8, 2) clipped to 0
    assert {x for _, x in corners} == set(range(25, 33))
    assert {y for y, _ in corners} == {0, 1, 2}
    # a (5, 6) image: padded by (8 - 5) // 2 + 1 = 2 rows and (8 - 6) // 2 + 1 = 2 columns on
    # each side -> (9, 10), labels padded with 255
    out = crop(_results(5, 6))
    assert out['img'].shape == (8, 8, 3)
    assert (out['gt_seg_map'] == 255).sum() == 8 * 8 - 5 * 6


def test_random_rescale_scales_image_label_and_centroid():
    np.random.seed(0)
    ratio = np.random.uniform(0.5, 2.0)
    np.random.seed(0)
    out = RandomRescale(ratio_range=(0.5, 2.0))(_results(30, 40, centroid=(33, 2)))
    assert out['img'].shape[:2] == out['gt_seg_map'].shape == (int(30 * ratio), int(40 * ratio))
    assert out['centroid'] == (int(33 * ratio), int(2 * ratio))


def test_mapillary_eval_resize_is_robustnets_arithmetic():
    # landscape (100, 200) -> height 50, width int(200 / 100 * 50) = 100 -> columns 25..74
    res = _results(100, 200)
    res['gt_seg_map'][:] = 3
    res['ori_shape'] = (100, 200)
    out = ResizeToHeightCenterCrop(height=50, crop_size=50, seg_pad_val=0)(res)
    assert out['img'].shape[:2] == out['ori_shape'] == (50, 50)
    assert (out['gt_seg_map'] == 3).all()
    # portrait (200, 100) -> (50, 25); padded by 50 - 25 = 25 on both sides; the window starts at
    # round((25 - 50) / 2) = -12 of the padded row: 12 filled + 25 padded + 13 image columns
    res = _results(200, 100)
    res['gt_seg_map'][:] = 3
    out = ResizeToHeightCenterCrop(height=50, crop_size=50, seg_pad_val=0)(res)
    label = out['gt_seg_map']
    assert label.shape == (50, 50)
    assert (label[:, :37] == 0).all() and (label[:, 37:] == 3).all()
    out = ResizeToHeightCenterCrop(height=50, crop_size=50, seg_pad_val=255)(_results(200, 100))
    assert (out['gt_seg_map'][:, :37] == 255).all()


def test_shipped_protocol_builds_and_draws_class_uniform_batches(tmp_path):
    """The paper protocol's train dataloader as configured (ClassUniformDataset, its sampler, the
    RobustNet pipeline with mmpretrain's ColorJitter) on a GTAV-layout tree, sizes shrunk 12x."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from deft_mmseg.demo.demo_config import scale_pipeline
    from repo_paths import config_path
    init_default_scope('mmseg')
    root = tmp_path / 'gtav'
    (root / 'images').mkdir(parents=True)
    (root / 'labels').mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        mmcv.imwrite(
            rng.integers(0, 255, (88, 160, 3), dtype=np.uint8),
            str(root / 'images' / f'{i:05d}.png'))
        label = np.full((88, 160), 255, np.uint8)
        label[:, :80] = i % 3  # classes 0-2 only: the other classes have no centroid
        mmcv.imwrite(label, str(root / 'labels' / f'{i:05d}_labelTrainIds.png'))
    (root / 'train.txt').write_text(''.join(f'{i:05d}\n' for i in range(6)))
    cfg = Config.fromfile(config_path('_base_', 'datasets', 'gtav_to_cbm_768_robustnet.py'))
    loader = cfg.train_dataloader
    loader.update(num_workers=0, persistent_workers=False)
    loader.dataset.update(
        tile_size=1024 // 12,
        num_workers=1,
        centroid_file=str(root / 'centroids.json'),
        pipeline=scale_pipeline(loader.dataset.pipeline, 1 / 12))
    loader.dataset.dataset.data_root = str(root)
    dataloader = Runner.build_dataloader(loader, seed=0)
    assert type(dataloader.dataset).__name__ == 'ClassUniformDataset'
    assert dataloader.dataset.class_ranges[0] == (6, 8)  # images 0 and 3, one tile each
    batch = next(iter(dataloader))
    assert len(batch['inputs']) == 4
    assert all(x.shape[-2:] == (64, 64) for x in batch['inputs'])
    assert (root / 'centroids.json').is_file()


def test_mapillary_resize_before_the_labels_keeps_them_at_their_resolution():
    res = _results(300, 400)
    res.update(seg_fields=[], ori_shape=(300, 400))
    del res['gt_seg_map']
    out = ResizeToHeightCenterCrop(height=150, crop_size=None)(res)
    assert out['img'].shape[:2] == (150, 200) and out['ori_shape'] == (300, 400)
