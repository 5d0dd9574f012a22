"""Label converters for the source/target datasets (CLI wrappers in ``tools/dataset_converters/``).

Each converter reads a dataset in its official on-disk layout and writes train-id label maps (19
Cityscapes classes, 255 = ignore) next to it, in the layout the dataset classes of this plugin read.
"""
import glob
import os
import os.path as osp
from multiprocessing import Pool

import numpy as np
from PIL import Image

from ..utils.errors import ConversionError
from .label_maps import (CITYSCAPES_ID_TO_TRAINID, MAPILLARY_V12_ID_TO_TRAINID,
                         SYNTHIA_ID_TO_TRAINID, lookup_table)

TRAINID_SUFFIX = '_labelTrainIds.png'


def _map(args):
    fn, src, dst, extra = args
    return fn(src, dst, **extra)


def _run(fn, jobs, nproc):
    if nproc > 1 and len(jobs) > 1:
        with Pool(nproc) as pool:
            return pool.map(_map, [(fn, s, d, e) for s, d, e in jobs])
    return [fn(s, d, **e) for s, d, e in jobs]


def _require_dir(path, what, hint):
    if not osp.isdir(path):
        raise ConversionError(f'{what} not found: {path!r}. {hint}')


def _read_id_png(path):
    """Read a single-channel label PNG ('P', 'L' or 'I;16' mode) as an integer array."""
    try:
        image = Image.open(path)
        image.load()
    except Exception as e:  # corrupt or not an image
        raise ConversionError(f'cannot read label file {path!r}: {e}. Re-extract it from the '
                              f'dataset archive.') from e
    if image.mode not in ('P', 'L', 'I;16', 'I'):
        raise ConversionError(
            f'label file {path!r} has mode {image.mode!r}; expected a single-channel id map '
            f'(palette or grey PNG). Colour-coded labels are not supported: use the label-id PNGs '
            f'of the official release.')
    return np.asarray(image)


def _convert_id_png(src, dst, lut):
    ids = _read_id_png(src).astype(np.int64)
    if ids.max(initial=0) >= len(lut):
        raise ConversionError(f'{src!r} holds label id {ids.max()} outside the known id range '
                              f'0..{len(lut) - 1}')
    Image.fromarray(lut[ids]).save(dst)
    return ids.shape


def convert_gtav_labels(root, nproc=1, split_mat=None):
    """Convert GTAV label PNGs (Cityscapes label ids) to ``<stem>_labelTrainIds.png``.

    Layout: ``root/images/00001.png`` and ``root/labels/00001.png``. When ``split_mat`` (the
    release's ``split.mat`` with ``trainIds``/``valIds``/``testIds``) is given, ``train.txt``,
    ``val.txt`` and ``test.txt`` listing image stems are written to ``root``.

    Returns:
        dict: ``converted`` (count) and ``size_mismatch`` (stems whose image and label sizes differ,
        a known defect of a few GTAV frames; they are listed so they can be excluded).
    """
    image_dir, label_dir = osp.join(root, 'images'), osp.join(root, 'labels')
    hint = 'Expected the GTAV layout root/images/*.png and root/labels/*.png.'
    _require_dir(image_dir, 'GTAV image folder', hint)
    _require_dir(label_dir, 'GTAV label folder', hint)
    labels = sorted(
        f for f in glob.glob(osp.join(label_dir, '*.png')) if not f.endswith(TRAINID_SUFFIX))
    if not labels:
        raise ConversionError(f'no label PNGs in {label_dir!r}. {hint}')
    lut = lookup_table(CITYSCAPES_ID_TO_TRAINID)
    jobs = [(f, f[:-len('.png')] + TRAINID_SUFFIX, dict(lut=lut)) for f in labels]
    shapes = _run(_convert_id_png, jobs, nproc)
    mismatched = []
    for label_file, shape in zip(labels, shapes):
        stem = osp.basename(label_file)[:-len('.png')]
        img_file = osp.join(image_dir, stem + '.png')
        if not osp.exists(img_file):
            raise ConversionError(f'label {label_file!r} has no image {img_file!r}')
        with Image.open(img_file) as im:
            if (im.height, im.width) != tuple(shape):
                mismatched.append(stem)
    if split_mat is not None:
        write_gtav_splits(root, split_mat)
    return dict(converted=len(labels), size_mismatch=mismatched)


def write_gtav_splits(root, split_mat):
    """Write ``train.txt``/``val.txt``/``test.txt`` (zero-padded stems) from GTAV's split.mat."""
    from scipy.io import loadmat
    mat = loadmat(split_mat)
    for key, name in (('trainIds', 'train'), ('valIds', 'val'), ('testIds', 'test')):
        if key not in mat:
            raise ConversionError(f'{split_mat!r} has no {key!r}; is it the GTAV split.mat?')
        ids = np.asarray(mat[key]).reshape(-1)
        with open(osp.join(root, f'{name}.txt'), 'w') as f:
            f.writelines(f'{int(i):05d}\n' for i in ids)


def _convert_synthia_png(src, dst, lut):
    import cv2
    raw = cv2.imread(src, cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise ConversionError(f'cannot read SYNTHIA label {src!r}; re-extract it.')
    # SYNTHIA stores the class id in the R channel of a 16-bit PNG; cv2 reads BGR.
    ids = (raw[..., 2] if raw.ndim == 3 else raw).astype(np.int64)
    if ids.max(initial=0) >= len(lut):
        raise ConversionError(f'{src!r} holds class id {ids.max()} unknown to SYNTHIA')
    Image.fromarray(lut[ids]).save(dst)
    return ids.shape


def convert_synthia_labels(root, nproc=1):
    """Convert SYNTHIA-RAND-CITYSCAPES labels to ``GT/LABELS/<stem>_labelTrainIds.png``.

    Layout: ``root/RGB/0000000.png`` and ``root/GT/LABELS/0000000.png`` (16-bit, class in R).
    """
    hint = 'Expected the SYNTHIA-RAND-CITYSCAPES layout root/RGB/*.png and root/GT/LABELS/*.png.'
    _require_dir(osp.join(root, 'RGB'), 'SYNTHIA image folder', hint)
    label_dir = osp.join(root, 'GT', 'LABELS')
    _require_dir(label_dir, 'SYNTHIA label folder', hint)
    labels = sorted(
        f for f in glob.glob(osp.join(label_dir, '*.png')) if not f.endswith(TRAINID_SUFFIX))
    if not labels:
        raise ConversionError(f'no label PNGs in {label_dir!r}. {hint}')
    lut = lookup_table(SYNTHIA_ID_TO_TRAINID, size=65536)
    jobs = [(f, f[:-len('.png')] + TRAINID_SUFFIX, dict(lut=lut)) for f in labels]
    _run(_convert_synthia_png, jobs, nproc)
    return dict(converted=len(labels))


def _short_side_size(width, height, short_side):
    scale = short_side / min(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _scaled_size(width, height, scale):
    return max(1, round(width * scale)), max(1, round(height * scale))


def _convert_mapillary_pair(src,
                            dst,
                            lut,
                            image_src=None,
                            image_dst=None,
                            short_side=None,
                            scale=None):
    ids = _read_id_png(src).astype(np.int64)
    if ids.max(initial=0) >= 66:
        raise ConversionError(f'{src!r} holds id {ids.max()}: not a Mapillary v1.2 label '
                              f'(66 classes). For the v2.0 release pass --labels-dir '
                              f'<split>/v1.2/labels.')
    label = Image.fromarray(lut[ids])
    if short_side or scale:
        size = (
            _short_side_size(label.width, label.height, short_side) if short_side else _scaled_size(
                label.width, label.height, scale))
        label = label.resize(size, Image.NEAREST)
        with Image.open(image_src) as im:
            im.convert('RGB').resize(size, Image.BILINEAR).save(image_dst, quality=95)
    label.save(dst)
    return ids.shape


def convert_mapillary_labels(root,
                             split='validation',
                             labels_dir=None,
                             short_side=None,
                             nproc=1,
                             scale=None):
    """Map Mapillary Vistas v1.2 labels (66 classes) to the 19 Cityscapes train ids.

    Layout: ``root/<split>/images/*.jpg`` and ``root/<split>/labels/*.png`` (v1.2 release) or
    ``root/<split>/v1.2/labels/*.png`` (v2.0 release, found automatically). Writes
    ``root/<split>/labels_cs19/*.png``; with ``short_side`` the images and labels are resized so
    their shorter side is ``short_side`` (bilinear / nearest) and written to
    ``<split>/images_short<N>/`` and ``<split>/labels_cs19_short<N>/``; with ``scale`` (e.g. 0.5,
    the half-resolution copy the Rein release evaluates on) both sides are multiplied by it and
    written to ``<split>/images_half/``, ``<split>/labels_cs19_half/`` (``_x<scale>`` for others).

    Returns:
        dict: ``converted`` (count), ``img_path`` and ``seg_map_path`` (the ``data_prefix`` to give
        ``MapillaryCS19Dataset``).
    """
    hint = ('Expected the Mapillary Vistas layout root/<split>/images/*.jpg with '
            'root/<split>/labels/*.png (v1.2) or root/<split>/v1.2/labels/*.png (v2.0).')
    image_dir = osp.join(root, split, 'images')
    _require_dir(image_dir, 'Mapillary image folder', hint)
    if labels_dir is None:
        v2 = osp.join(root, split, 'v1.2', 'labels')
        labels_dir = v2 if osp.isdir(v2) else osp.join(root, split, 'labels')
    elif not osp.isabs(labels_dir):
        labels_dir = osp.join(root, labels_dir)
    _require_dir(labels_dir, 'Mapillary label folder', hint)
    labels = sorted(glob.glob(osp.join(labels_dir, '*.png')))
    if not labels:
        raise ConversionError(f'no label PNGs in {labels_dir!r}. {hint}')
    if short_side and scale:
        raise ConversionError('give either short_side or scale, not both.')
    if scale is not None and not 0 < scale < 1:
        raise ConversionError(f'scale={scale}: give a factor in (0, 1), e.g. 0.5.')
    suffix = (f'_short{short_side}' if short_side else
              ('_half' if scale == 0.5 else f'_x{scale:g}') if scale else '')
    resized = bool(short_side or scale)
    img_rel = osp.join(split, f'images{suffix}') if resized else osp.join(split, 'images')
    seg_rel = osp.join(split, f'labels_cs19{suffix}')
    os.makedirs(osp.join(root, seg_rel), exist_ok=True)
    if resized:
        os.makedirs(osp.join(root, img_rel), exist_ok=True)
    lut = lookup_table(MAPILLARY_V12_ID_TO_TRAINID)
    jobs = []
    for f in labels:
        stem = osp.basename(f)[:-len('.png')]
        image_src = osp.join(image_dir, stem + '.jpg')
        if not osp.exists(image_src):
            raise ConversionError(f'label {f!r} has no image {image_src!r}')
        extra = dict(lut=lut)
        if resized:
            extra.update(
                image_src=image_src,
                short_side=short_side,
                scale=scale,
                image_dst=osp.join(root, img_rel, stem + '.jpg'))
        jobs.append((f, osp.join(root, seg_rel, stem + '.png'), extra))
    _run(_convert_mapillary_pair, jobs, nproc)
    return dict(converted=len(labels), img_path=img_rel, seg_map_path=seg_rel)
