"""Generator of the second miniature DG protocol: a synthetic source and a "real" family (issue 25).

The first protocol (:mod:`.synthetic_streets`) renders its targets as photometric transforms of the
source palette, so moving toward the source moves toward the targets. This generator models the
papers' geometry instead (DeFT paper, Sec. 1 and Fig. 1: an ImageNet-pretrained encoder, a synthetic
GTAV source, real targets):

- **Scene layout**: every domain draws its label maps with the same scene grammar
  (:func:`.synthetic_streets.render_layout`): same classes, geometry and class shapes.
- **Real family R** (:func:`sample_real_style`, :func:`render_real`): a distribution of appearance
  styles. Palettes scatter around rough per-class colour tendencies (:data:`CLASS_TENDENCY`);
  textures are smooth multi-octave value-noise fields and soft window blocks; shading is a smooth
  illumination field times a light level, with haze and a colour temperature; the camera adds
  blur (soft edges), vignetting, sensor noise and JPEG compression. The pretraining corpus samples
  the whole of R (:data:`REAL_RANGES`).
- **Targets**: three boxes of R's camera/condition parameters (:data:`REAL_TARGETS`) that are
  pairwise disjoint in *every* parameter (light, haze, noise, blur, vignetting, JPEG quality,
  colour temperature), palettes drawn from R's palette distribution.
- **Synthetic source S** (:func:`render_synthetic`): its own renderer, "game engine" style: the
  class tendencies pushed to saturation and quantized, flat shading (one colour per class per
  image), its own crisp piecewise-constant textures (sharp window grids, lane markings, paving),
  sharp edges, no noise, no blur, no vignetting, no compression.

The width of the S-to-R gap is set by :class:`GeneratorSettings` (what the calibration of
docs/mini_dg_sim2real.md changes when a premise gate fails; the methods are never changed).
Everything is a pure function of (settings, seed, index): ``np.random.default_rng([seed, d, i])``.
"""
import io
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
from PIL import Image

from .synthetic_streets import TRAINID_TO_CITYSCAPES_ID, _write_png, render_layout

#: rough per-class colour tendency (RGB) shared by S and R: what a person would name the colour of
#: each class (grey road, green vegetation, blue sky ...). S and R differ around it.
CLASS_TENDENCY = np.array(
    [
        [85, 85, 90],  # 0 road
        [150, 140, 135],  # 1 sidewalk
        [135, 110, 100],  # 2 building
        [150, 145, 125],  # 3 wall
        [140, 125, 105],  # 4 fence
        [110, 110, 115],  # 5 pole
        [70, 70, 60],  # 6 traffic light
        [200, 175, 50],  # 7 traffic sign
        [70, 115, 50],  # 8 vegetation
        [135, 140, 85],  # 9 terrain
        [150, 180, 215],  # 10 sky
        [130, 60, 70],  # 11 person
        [155, 70, 50],  # 12 rider
        [70, 80, 125],  # 13 car
        [115, 115, 125],  # 14 truck
        [150, 130, 65],  # 15 bus
        [100, 110, 125],  # 16 train
        [85, 60, 125],  # 17 motorcycle
        [125, 55, 65],  # 18 bicycle
    ],
    dtype=np.float32)

#: R's camera / condition parameters: (low, high) of the whole family (the pretraining corpus)
REAL_RANGES = dict(
    light=(0.45, 1.2),
    haze=(0.0, 0.5),
    noise=(2.0, 12.0),
    blur=(0.3, 1.3),
    vignette=(0.0, 0.5),
    jpeg=(20.0, 90.0),
    warmth=(-0.1, 0.1))
#: the three targets: boxes of R, pairwise disjoint in every parameter (tested)
REAL_TARGETS = {
    'real_day':
    dict(
        light=(1.0, 1.2),
        haze=(0.0, 0.1),
        noise=(2.0, 5.0),
        blur=(0.3, 0.6),
        vignette=(0.0, 0.15),
        jpeg=(70.0, 90.0),
        warmth=(0.03, 0.1)),
    'real_overcast':
    dict(
        light=(0.75, 0.95),
        haze=(0.3, 0.5),
        noise=(5.5, 8.0),
        blur=(0.7, 1.0),
        vignette=(0.17, 0.3),
        jpeg=(45.0, 65.0),
        warmth=(-0.02, 0.02)),
    'real_dusk':
    dict(
        light=(0.45, 0.7),
        haze=(0.12, 0.28),
        noise=(8.5, 12.0),
        blur=(1.05, 1.3),
        vignette=(0.32, 0.5),
        jpeg=(20.0, 40.0),
        warmth=(-0.1, -0.04)),
}
SOURCE_NAME = 'sim'


class GeneratorSettings(dict):
    """The knobs of the S-to-R gap (a plain dict, so it goes into JSON and the protocol hash).

    - ``palette_spread``: std of R's per-style, per-class colour offset from the tendency;
    - ``palette_jitter``: std of the per-image colour jitter (both renderers);
    - ``real_texture``: (low, high) amplitude of R's value-noise textures;
    - ``real_shade``: (low, high) amplitude of R's smooth illumination field;
    - ``real_saturation``: (low, high) saturation of R around the grey of each colour;
    - ``sim_saturation``: saturation of S's palette (> 1: the game engine's vivid colours);
    - ``sim_quantize``: S's colour quantization step (flat, posterized colours);
    - ``sim_texture``: amplitude of S's crisp textures;
    - ``sim_layout`` (optional): S's own layout statistics (keys of
      :data:`.synthetic_streets.LAYOUT_STATISTICS`); R keeps the default ones. An optional
      setting enters the dict (and so the settings hash) only when given.
    - ``sim_palette_swap`` (optional): pairs ``[a, b]`` of train ids whose colour tendencies S
      exchanges before its saturation and quantization (a source whose colours contradict R's
      for those classes, as a game's art direction can); R keeps :data:`CLASS_TENDENCY`.
    """

    DEFAULTS = dict(
        palette_spread=22.0,
        palette_jitter=8.0,
        real_texture=(8.0, 26.0),
        real_shade=(0.05, 0.3),
        real_saturation=(0.55, 1.0),
        sim_saturation=1.6,
        sim_quantize=24.0,
        sim_texture=14.0)

    OPTIONAL = ('sim_layout', 'sim_palette_swap')

    def __init__(self, **overrides):
        unknown = set(overrides) - set(self.DEFAULTS) - set(self.OPTIONAL)
        if unknown:
            raise ValueError(f'unknown generator settings {sorted(unknown)}; '
                             f'known: {sorted(self.DEFAULTS) + list(self.OPTIONAL)}')
        super().__init__({**self.DEFAULTS, **overrides})


def _smooth_field(rng, height, width, cell):
    """A smooth random field in about [-1, 1] (value noise: a coarse Gaussian grid, bicubic)."""
    gh, gw = max(2, height // cell + 2), max(2, width // cell + 2)
    coarse = rng.normal(0, 1, size=(gh, gw)).astype(np.float32)
    field = cv2.resize(coarse, (width + 2 * cell, height + 2 * cell), interpolation=cv2.INTER_CUBIC)
    return np.clip(field[cell:cell + height, cell:cell + width], -2.5, 2.5) / 1.5


def sample_real_style(rng,
                      ranges: Optional[Dict[str, Tuple[float, float]]] = None,
                      settings: Optional[GeneratorSettings] = None) -> dict:
    """One appearance style of R: camera/condition parameters uniform in ``ranges`` (default
    :data:`REAL_RANGES`, a target's box for a target), a palette scattered around
    :data:`CLASS_TENDENCY`, texture and shading amplitudes."""
    settings = settings or GeneratorSettings()
    ranges = ranges or REAL_RANGES
    style = {k: float(rng.uniform(*ranges[k])) for k in REAL_RANGES}
    style['palette'] = (CLASS_TENDENCY +
                        rng.normal(0, settings['palette_spread'], size=(19, 3))).astype(np.float32)
    style['saturation'] = float(rng.uniform(*settings['real_saturation']))
    style['texture'] = float(rng.uniform(*settings['real_texture']))
    style['shade'] = float(rng.uniform(*settings['real_shade']))
    style['window_period'] = int(rng.integers(5, 10))
    return style


def render_real(label: np.ndarray,
                style: dict,
                rng,
                settings: Optional[GeneratorSettings] = None) -> np.ndarray:
    """An R image (uint8 RGB, H x W x 3) of the train-id ``label`` map in ``style``."""
    settings = settings or GeneratorSettings()
    height, width = label.shape
    palette = style['palette']
    grey = palette.mean(axis=1, keepdims=True)
    palette = grey + style['saturation'] * (palette - grey)
    palette = palette + rng.normal(0, settings['palette_jitter'], size=palette.shape)
    img = palette.astype(np.float32)[label]
    # textures: value noise at a class-dependent scale (fine for foliage and terrain, coarse for
    # road and sky), soft window blocks on buildings
    fine = _smooth_field(rng, height, width, 2)
    mid = _smooth_field(rng, height, width, 5)
    coarse = _smooth_field(rng, height, width, 12)
    scale = np.full(19, 0.5, dtype=np.float32)
    scale[[8, 9]] = 1.0
    scale[[10]] = 0.3
    tex = np.where(np.isin(label, [8, 9, 4]), fine, np.where(np.isin(label, [0, 10]), coarse, mid))
    tex = tex * scale[label]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    p = style['window_period']
    windows = ((xx % p) < p / 2) & ((yy % p) < p / 2)
    windows = cv2.GaussianBlur(windows.astype(np.float32), (0, 0), 0.7)
    tex = tex - 1.2 * windows * (label == 2)
    img += style['texture'] * tex[..., None]
    # shading: light level, a smooth illumination field, a vertical sky-to-ground gradient
    light = style['light'] * (1.0 + style['shade'] * _smooth_field(rng, height, width, 16))
    light = light * (0.9 + 0.2 * np.linspace(1, 0, height, dtype=np.float32))[:, None]
    img = img * light[..., None]
    # colour temperature (warm: more red, less blue)
    w = style['warmth']
    img = img * np.array([1 + w, 1.0, 1 - w], dtype=np.float32)
    if style['haze'] > 0:
        depth = np.clip(1.0 - np.abs(np.linspace(-1, 1, height, dtype=np.float32)), 0, 1)
        alpha = style['haze'] * (0.4 + 0.6 * depth)[:, None, None]
        img = (1 - alpha) * img + alpha * 190.0 * style['light']
    # camera: lens blur (soft edges), vignetting, sensor noise, JPEG compression
    img = cv2.GaussianBlur(img, (0, 0), style['blur'])
    r2 = ((xx - width / 2) / (width / 2))**2 + ((yy - height / 2) / (height / 2))**2
    img = img * (1 - style['vignette'] * r2 / 2)[..., None]
    img = img + rng.normal(0, style['noise'], size=img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format='JPEG', quality=int(round(style['jpeg'])))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert('RGB'))


def sim_palette(settings: Optional[GeneratorSettings] = None) -> np.ndarray:
    """S's base palette (19, 3): the class tendencies (with the pairs of ``sim_palette_swap``
    exchanged) pushed to saturation and quantized."""
    settings = settings or GeneratorSettings()
    tendency = CLASS_TENDENCY.copy()
    for a, b in settings.get('sim_palette_swap', ()):
        if not (0 <= a < 19 and 0 <= b < 19) or a == b:
            raise ValueError(f'sim_palette_swap pair {[a, b]} is not two different train ids '
                             'in 0-18')
        tendency[[a, b]] = tendency[[b, a]]
    grey = tendency.mean(axis=1, keepdims=True)
    vivid = np.clip(grey + settings['sim_saturation'] * (tendency - grey), 0, 255)
    q = settings['sim_quantize']
    return (np.round(vivid / q) * q).clip(0, 255).astype(np.float32)


def _sim_textures(height, width, offset):
    """S's own crisp, piecewise-constant textures in {-1, 0, 1} per class, (19, H, W)."""
    yy, xx = np.mgrid[0:height, 0:width]
    xx = xx + offset
    tex = np.zeros((19, height, width), dtype=np.float32)
    tex[2] = -(((xx % 8) < 4) & ((yy % 8) < 4)).astype(np.float32)  # window grid
    tex[0] = np.where(((xx % 12) < 6) & (yy > height * 0.7), 1.0, 0.0)  # lane markings
    tex[1] = np.where(((xx // 4 + yy // 4) % 2) == 0, 0.5, -0.5)  # paving checker
    tex[8] = np.where((xx // 3) % 2 == 0, 1.0, -1.0)  # foliage stripes
    tex[9] = np.where((yy // 3) % 2 == 0, 0.5, -0.5)
    tex[4] = np.where((xx % 4) < 1, 1.0, 0.0)  # fence posts
    tex[13:19] = np.where(yy % 6 < 2, 0.6, 0.0)[None]  # vehicle windows band
    return tex


def render_synthetic(label: np.ndarray,
                     rng,
                     settings: Optional[GeneratorSettings] = None) -> np.ndarray:
    """An S image (uint8 RGB, H x W x 3): flat per-class colours, crisp textures, sharp edges, no
    camera effects."""
    settings = settings or GeneratorSettings()
    height, width = label.shape
    palette = sim_palette(settings) + np.round(
        rng.normal(0, settings['palette_jitter'], size=(19, 3)))
    img = palette[label]
    tex = _sim_textures(height, width, int(rng.integers(0, 12)))
    img = img + settings['sim_texture'] * np.take_along_axis(tex, label[None].astype(np.int64),
                                                             0)[0][..., None]
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


#: domain index of each split in the seed sequence ``[seed, DOMAIN_INDEX[split], i]``
DOMAIN_INDEX = {
    'sim': 1,
    'sim_val': 2,
    'real_day': 3,
    'real_overcast': 4,
    'real_dusk': 5,
    'real_corpus': 6,
    'real_corpus_val': 7
}


def render_split(split: str,
                 num: int,
                 size=(128, 64),
                 seed: int = 0,
                 settings: Optional[GeneratorSettings] = None):
    """``num`` images of ``split`` (``'sim'``, ``'sim_val'``, a target of :data:`REAL_TARGETS`,
    ``'real_corpus'`` / ``'real_corpus_val'`` for pretraining): ``(images (N, H, W, 3) uint8,
    labels (N, H, W) uint8 train ids, styles (list of dicts; None for S))``."""
    if split not in DOMAIN_INDEX:
        raise ValueError(f'unknown split {split!r}; known: {sorted(DOMAIN_INDEX)}')
    settings = settings or GeneratorSettings()
    width, height = size
    images = np.empty((num, height, width, 3), dtype=np.uint8)
    labels = np.empty((num, height, width), dtype=np.uint8)
    styles = []
    for i in range(num):
        rng = np.random.default_rng([seed, DOMAIN_INDEX[split], i])
        is_sim = split.startswith('sim')
        labels[i] = render_layout(rng, width, height,
                                  settings.get('sim_layout') if is_sim else None)
        if is_sim:
            images[i] = render_synthetic(labels[i], rng, settings)
            styles.append(None)
        else:
            style = sample_real_style(rng, REAL_TARGETS.get(split), settings)
            images[i] = render_real(labels[i], style, rng, settings)
            styles.append({k: v for k, v in style.items() if k != 'palette'})
    return images, labels, styles


def generate_sim2real_dataset(root: str,
                              num_source: int = 400,
                              num_source_val: int = 100,
                              num_target: int = 200,
                              size=(128, 64),
                              seed: int = 0,
                              settings: Optional[GeneratorSettings] = None,
                              convert: bool = True) -> Dict[str, str]:
    """Write the protocol's data under ``root`` in the real datasets' layouts (as
    :func:`.synthetic_streets.generate_demo_dataset`): ``root/sim/`` and ``root/sim_val/`` in
    the GTAV layout, ``root/<target>/`` in the Cityscapes layout for each of
    :data:`REAL_TARGETS`. Returns the folders by name."""
    id_lut = np.zeros(256, dtype=np.uint8)
    for train_id, label_id in TRAINID_TO_CITYSCAPES_ID.items():
        id_lut[train_id] = label_id
    folders = {}
    for split, num in (('sim', num_source), ('sim_val', num_source_val)):
        images, labels, _ = render_split(split, num, size, seed, settings)
        base = folders[split] = osp.join(root, split)
        for i, (img, label) in enumerate(zip(images, labels)):
            name = f'{i + 1:05d}'
            _write_png(osp.join(base, 'images', name + '.png'), img)
            _write_png(osp.join(base, 'labels', name + '.png'), id_lut[label], palette_mode=True)
        if convert:
            from ..datasets.converters import convert_gtav_labels
            convert_gtav_labels(base, nproc=1)
    for target in REAL_TARGETS:
        images, labels, _ = render_split(target, num_target, size, seed, settings)
        base = folders[target] = osp.join(root, target)
        for i, (img, label) in enumerate(zip(images, labels)):
            stem = f'{target}_{i:06d}_000019'
            _write_png(osp.join(base, 'leftImg8bit', 'val', target, stem + '_leftImg8bit.png'), img)
            _write_png(
                osp.join(base, 'gtFine', 'val', target, stem + '_gtFine_labelTrainIds.png'), label)
    os.makedirs(root, exist_ok=True)
    return folders
