"""Deterministic generator of a tiny synthetic street-scene dataset with the 19 Cityscapes classes.

One source domain is written in the GTAV on-disk layout (raw label PNGs holding Cityscapes label ids,
converted to train ids by ``tools/dataset_converters/gtav.py`` exactly as for the real GTAV) and three
target domains in the Cityscapes layout. All domains share the same scene grammar (sky, buildings,
road, sidewalks, vegetation, poles with signs and lights, vehicles, people); they differ only in
appearance: colour palette, texture, lighting, fog and sensor noise. So a model has to rely on
shape and layout rather than on source colours to generalize, as in the real GTAV -> real setting.
"""
import os
import os.path as osp
from typing import Optional

import numpy as np
from PIL import Image

from ..datasets.label_maps import CITYSCAPES_ID_TO_TRAINID

TRAINID_TO_CITYSCAPES_ID = {v: k for k, v in CITYSCAPES_ID_TO_TRAINID.items()}

# Source-domain base colour (RGB) per train id: saturated "game engine" colours.
SOURCE_COLOURS = np.array(
    [
        [90, 90, 100],  # 0 road
        [200, 170, 200],  # 1 sidewalk
        [150, 80, 60],  # 2 building
        [170, 160, 120],  # 3 wall
        [200, 150, 150],  # 4 fence
        [120, 120, 120],  # 5 pole
        [250, 170, 30],  # 6 traffic light
        [220, 220, 0],  # 7 traffic sign
        [60, 160, 40],  # 8 vegetation
        [150, 220, 120],  # 9 terrain
        [80, 150, 240],  # 10 sky
        [220, 30, 60],  # 11 person
        [255, 40, 0],  # 12 rider
        [20, 20, 200],  # 13 car
        [10, 40, 90],  # 14 truck
        [10, 90, 120],  # 15 bus
        [10, 100, 80],  # 16 train
        [30, 10, 240],  # 17 motorcycle
        [140, 20, 40],  # 18 bicycle
    ],
    dtype=np.float32)

#: Appearance of each target domain: a colour transform of the source palette plus effects.
DEMO_TARGET_DOMAINS = {
    # muted, real-camera palette with a warm cast and stronger texture
    'demo_real':
    dict(saturation=0.55, gain=(1.05, 0.98, 0.9), texture=14.0, fog=0.0, light=1.0, noise=4.0),
    # overcast fog: contrast washed out towards grey
    'demo_fog':
    dict(saturation=0.7, gain=(1.0, 1.0, 1.0), texture=8.0, fog=0.55, light=1.0, noise=6.0),
    # night: dark, blue cast, strong sensor noise
    'demo_night':
    dict(saturation=0.8, gain=(0.8, 0.9, 1.25), texture=8.0, fog=0.0, light=0.4, noise=10.0),
}
SOURCE_DOMAIN = dict(
    saturation=1.0, gain=(1.0, 1.0, 1.0), texture=6.0, fog=0.0, light=1.0, noise=2.0)


def _rect(label, x0, y0, x1, y1, cls):
    h, w = label.shape
    x0, x1 = max(0, int(x0)), min(w, int(x1))
    y0, y1 = max(0, int(y0)), min(h, int(y1))
    if x1 > x0 and y1 > y0:
        label[y0:y1, x0:x1] = cls


#: The scene grammar's layout statistics (fractions of the image size); :func:`render_layout`'s
#: default. The sim2real protocol can draw its synthetic source from other values (issue 25).
LAYOUT_STATISTICS = dict(
    horizon=(0.38, 0.5),  # horizon height range
    building_top=(0.1, 0.7),  # building / vegetation tops, as a share of the horizon height
    road=(0.05, 0.5),  # road half-width at the horizon, and its growth towards the bottom
    object_scale=1.0)  # vehicles and pedestrians


def render_layout(rng, width, height, layout: Optional[dict] = None):
    """Draw one scene as a train-id label map of shape (height, width), dtype uint8, with the
    layout statistics ``layout`` (keys of :data:`LAYOUT_STATISTICS`; the random stream is the same
    whatever their values)."""
    stats = {**LAYOUT_STATISTICS, **(layout or {})}
    unknown = set(stats) - set(LAYOUT_STATISTICS)
    if unknown:
        raise ValueError(f'unknown layout statistics {sorted(unknown)}; known: '
                         f'{sorted(LAYOUT_STATISTICS)}')
    label = np.full((height, width), 10, dtype=np.uint8)  # sky everywhere first
    horizon = int(height * rng.uniform(*stats['horizon']))
    # buildings and vegetation behind the horizon
    x = 0
    while x < width:
        bw = int(rng.uniform(0.1, 0.25) * width)
        cls = 2 if rng.random() < 0.7 else 8
        top = int(horizon * rng.uniform(*stats['building_top']))
        _rect(label, x, top, x + bw, horizon, cls)
        x += bw
    # ground: terrain at the far sides, sidewalks, the road trapezoid in the middle
    label[horizon:] = 9
    ys = np.arange(horizon, height)
    t = (ys - horizon) / max(1, height - horizon)  # 0 at horizon, 1 at bottom
    centre = width * rng.uniform(0.4, 0.6)
    road_half = width * (stats['road'][0] + stats['road'][1] * t)
    walk_half = road_half + width * (0.03 + 0.2 * t)
    cols = np.arange(width)[None, :]
    dist = np.abs(cols - centre)
    label[horizon:][dist <= walk_half[:, None]] = 1
    label[horizon:][dist <= road_half[:, None]] = 0
    # a wall or fence strip along the far edge of one sidewalk
    if rng.random() < 0.7:
        cls = 3 if rng.random() < 0.5 else 4
        side = rng.choice([-1, 1])
        x0 = centre + side * width * 0.3
        _rect(label, min(x0, x0 + side * width * 0.2), horizon - height * 0.08,
              max(x0, x0 + side * width * 0.2), horizon + height * 0.03, cls)
    # poles carrying a traffic sign or a traffic light
    for _ in range(rng.integers(1, 4)):
        px = rng.uniform(0.05, 0.95) * width
        ptop = horizon - height * rng.uniform(0.15, 0.3)
        pbot = horizon + height * rng.uniform(0.05, 0.3)
        _rect(label, px, ptop, px + max(1, width * 0.012), pbot, 5)
        cls = 7 if rng.random() < 0.5 else 6
        bw, bh = (0.05, 0.06) if cls == 7 else (0.025, 0.08)
        _rect(label, px - width * bw / 2, ptop - height * bh, px + width * bw / 2, ptop, cls)
    # a train on the horizon now and then
    if rng.random() < 0.2:
        _rect(label, 0, horizon - height * 0.12, width * rng.uniform(0.3, 0.6), horizon, 16)
    # vehicles on the road, bigger when nearer (lower in the image)
    for _ in range(rng.integers(1, 5)):
        yb = horizon + (height - horizon) * rng.uniform(0.2, 1.0)
        scale = stats['object_scale'] * (yb - horizon) / max(1, height - horizon)
        cls = rng.choice([13, 13, 13, 14, 15, 17, 18])
        vw = width * scale * {13: 0.22, 14: 0.3, 15: 0.35, 17: 0.08, 18: 0.08}[cls]
        vh = height * scale * {13: 0.16, 14: 0.3, 15: 0.32, 17: 0.12, 18: 0.12}[cls]
        vx = centre + rng.uniform(-0.6, 0.6) * road_half[min(
            len(road_half) - 1,
            int(yb - horizon) - 1)]
        _rect(label, vx - vw / 2, yb - vh, vx + vw / 2, yb, cls)
        if cls in (17, 18) and rng.random() < 0.8:  # a rider on two wheels
            _rect(label, vx - vw / 4, yb - 2.2 * vh, vx + vw / 4, yb - 0.7 * vh, 12)
    # pedestrians on the sidewalks
    for _ in range(rng.integers(0, 4)):
        yb = horizon + (height - horizon) * rng.uniform(0.2, 1.0)
        scale = stats['object_scale'] * (yb - horizon) / max(1, height - horizon)
        side = rng.choice([-1, 1])
        idx = min(len(road_half) - 1, int(yb - horizon) - 1)
        px = centre + side * (road_half[idx] + 0.5 * (walk_half[idx] - road_half[idx]))
        pw, ph = width * scale * 0.04, height * scale * 0.3
        _rect(label, px - pw / 2, yb - ph, px + pw / 2, yb, 11)
    return label


def _class_textures(rng, height, width):
    """Per-class texture patterns in [-1, 1], shape (19, height, width)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    tex = np.zeros((19, height, width), dtype=np.float32)
    tex[2] = np.sign(np.sin(xx * 0.9) * np.sin(yy * 0.9))  # building windows
    tex[8] = np.sin(xx * 1.7 + np.sin(yy * 1.3) * 2.0)  # foliage
    tex[9] = np.sin(xx * 0.5 + yy * 1.1)
    tex[0] = np.where((xx.astype(int) % 8) < 4, 0.3, -0.3) * (yy > height * 0.6)  # markings
    tex[1] = np.sign(np.sin(xx * 1.2)) * 0.5  # paving
    tex[10] = (yy / height) * 2 - 1  # sky gradient
    tex[4] = np.sign(np.sin(xx * 2.5))
    tex[3] = np.sign(np.sin(yy * 1.5)) * 0.5
    phase = rng.uniform(0, 6.3)
    tex[13:19] = np.sin(xx * 0.3 + phase)[None] * 0.5
    return tex


def render_scene(label, domain, rng):
    """Render an RGB image (uint8, HxWx3) for a train-id label map in a domain's appearance.

    ``domain`` holds ``saturation``, ``gain`` (RGB), ``texture``, ``fog``, ``light``, ``noise``
    and optionally ``palette`` ((19, 3) base colours; default :data:`SOURCE_COLOURS`)."""
    height, width = label.shape
    # a domain may bring its own base colours (the pretraining corpus's random styles)
    palette = np.array(domain.get('palette', SOURCE_COLOURS), dtype=np.float32)
    grey = palette.mean(axis=1, keepdims=True)
    palette = grey + domain['saturation'] * (palette - grey)
    palette = palette * np.asarray(domain['gain'], dtype=np.float32)[None]
    # small per-image colour jitter, larger in the source (as in a game engine's variety)
    palette = palette + rng.normal(0, 6.0, size=palette.shape).astype(np.float32)
    img = palette[label]
    tex = _class_textures(rng, height, width)
    img += domain['texture'] * np.take_along_axis(tex, label[None].astype(np.int64), 0)[0][...,
                                                                                           None]
    # lighting: a vertical gradient times the domain's light level
    light = domain['light'] * (0.85 + 0.3 * np.linspace(1, 0, height))[:, None, None]
    img = img * light
    if domain['fog'] > 0:
        depth = np.clip(1.0 - np.abs(np.linspace(-1, 1, height))[:, None, None], 0, 1)
        alpha = domain['fog'] * (0.5 + 0.5 * depth)
        img = (1 - alpha) * img + alpha * 200.0
    img += rng.normal(0, domain['noise'], size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _write_png(path, array, palette_mode=False):
    os.makedirs(osp.dirname(path), exist_ok=True)
    if palette_mode:  # GTAV ships its labels as palette ('P') PNGs of Cityscapes label ids
        image = Image.frombytes('P', (array.shape[1], array.shape[0]),
                                np.ascontiguousarray(array, dtype=np.uint8).tobytes())
        image.putpalette([c for i in range(256) for c in (i, i, i)])
    else:
        image = Image.fromarray(array)
    image.save(path)


def generate_demo_dataset(root, num_source=48, num_target=12, size=(128, 64), seed=0, convert=True):
    """Write the demo dataset under ``root`` and return a dict of the domain folders.

    Layout (the real datasets' layouts, so ``GTAVDataset`` / ``CityscapesDataset`` read them):

    - ``root/gtav/images/00001.png`` and ``root/gtav/labels/00001.png`` (raw Cityscapes label ids,
      as in GTAV), plus ``labels/00001_labelTrainIds.png`` written by the GTAV converter.
    - ``root/<domain>/leftImg8bit/val/demo/demo_000000_000019_leftImg8bit.png`` and
      ``root/<domain>/gtFine/val/demo/demo_000000_000019_gtFine_labelTrainIds.png`` for each target
      domain in :data:`DEMO_TARGET_DOMAINS`.

    Args:
        root (str): output folder.
        num_source (int): number of source (GTAV-layout) images.
        num_target (int): number of images per target domain.
        size (tuple[int, int]): (width, height) of every image.
        seed (int): base seed; the output is a pure function of the arguments.
        convert (bool): run the GTAV label converter on the source labels.
    """
    width, height = size
    id_lut = np.zeros(256, dtype=np.uint8)
    for train_id, label_id in TRAINID_TO_CITYSCAPES_ID.items():
        id_lut[train_id] = label_id
    folders = {'gtav': osp.join(root, 'gtav')}
    for i in range(num_source):
        rng = np.random.default_rng([seed, 0, i])
        label = render_layout(rng, width, height)
        img = render_scene(label, SOURCE_DOMAIN, rng)
        name = f'{i + 1:05d}'
        _write_png(osp.join(root, 'gtav', 'images', name + '.png'), img)
        _write_png(
            osp.join(root, 'gtav', 'labels', name + '.png'), id_lut[label], palette_mode=True)
    for d, (domain_name, domain) in enumerate(sorted(DEMO_TARGET_DOMAINS.items())):
        base = osp.join(root, domain_name)
        folders[domain_name] = base
        for i in range(num_target):
            rng = np.random.default_rng([seed, d + 1, i])
            label = render_layout(rng, width, height)
            img = render_scene(label, domain, rng)
            stem = f'demo_{i:06d}_000019'
            _write_png(osp.join(base, 'leftImg8bit', 'val', 'demo', stem + '_leftImg8bit.png'), img)
            _write_png(
                osp.join(base, 'gtFine', 'val', 'demo', stem + '_gtFine_labelTrainIds.png'), label)
    if convert:
        from ..datasets.converters import convert_gtav_labels
        convert_gtav_labels(osp.join(root, 'gtav'), nproc=1)
    return folders
