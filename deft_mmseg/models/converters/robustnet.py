"""shachoi/RobustNet DeepLabv3+ ResNet checkpoints (``network/deepv3.py`` ``DeepV3Plus``:
``DeepR50V3PlusD`` with a 7x7 stem, ``DeepR101V3PlusD`` with a three-conv stem) -> an mmseg
``EncoderDecoder`` with mmseg's ``ResNet`` (``deep_stem=True, stem_channels=128`` for the
three-conv stem) and :class:`DeepLabV3PlusHead`
(``configs/_base_/models/deeplabv3plus_r50-d16_robustnet.py``).

RobustNet's ``layer0`` is ``Sequential(conv1, bn1, relu, maxpool)`` of a torchvision-style ResNet,
or ``Sequential(conv1, bn1, relu1, conv2, bn2, relu2, conv3, bn3, relu3, maxpool)`` of its
``ResNet3X3`` (``network/Resnet.py``), whose positions are those of mmseg's deep ``stem``;
``layer1``-``layer4`` keep torchvision's block names, so the trunk maps by prefix. The
auxiliary ``dsn`` head (PSPNet-style, training only) is dropped: the DeFT paper trains without it
(Sec. 4.1). Instance-whitening parameters (ISW/IRW/IBN variants) are not part of this network and
are refused.
"""
import re
from typing import Dict, List, Tuple

from torch import Tensor

from ...utils.errors import ConversionKeyError

#: (RobustNet prefix, our prefix): ConvModule holds ``conv`` and ``bn``
_HEAD = [
    (r'aspp\.img_conv\.0\.', 'decode_head.image_pool.1.conv.'),
    (r'aspp\.img_conv\.1\.', 'decode_head.image_pool.1.bn.'),
    (r'aspp\.features\.(\d+)\.0\.', r'decode_head.aspp_modules.\1.conv.'),
    (r'aspp\.features\.(\d+)\.1\.', r'decode_head.aspp_modules.\1.bn.'),
    (r'bot_aspp\.0\.', 'decode_head.bottleneck.conv.'),
    (r'bot_aspp\.1\.', 'decode_head.bottleneck.bn.'),
    (r'bot_fine\.0\.', 'decode_head.c1_bottleneck.conv.'),
    (r'bot_fine\.1\.', 'decode_head.c1_bottleneck.bn.'),
    (r'final1\.0\.', 'decode_head.fuse.0.conv.'),
    (r'final1\.1\.', 'decode_head.fuse.0.bn.'),
    (r'final1\.3\.', 'decode_head.fuse.1.conv.'),
    (r'final1\.4\.', 'decode_head.fuse.1.bn.'),
    (r'final2\.0\.', 'decode_head.conv_seg.'),
    (r'layer([1-4])\.', r'backbone.layer\1.'),
]
#: the stem: 7x7 (torchvision layout) or three 3x3 convs (RobustNet's ResNet3X3)
_STEM = [(r'layer0\.0\.', 'backbone.conv1.'), (r'layer0\.1\.', 'backbone.bn1.')]
_DEEP_STEM = [(rf'layer0\.{i}\.', f'backbone.stem.{i}.') for i in (0, 1, 3, 4, 6, 7)]
#: RobustNet's ImageNet ResNet3X3 trunk (``./pretrained/resnet101-imagenet.pth``) -> mmseg's
#: ``ResNet(deep_stem=True, stem_channels=128)`` keys (the classifier ``fc`` is dropped)
_TRUNK = [(r'conv1\.', 'stem.0.'), (r'bn1\.', 'stem.1.'), (r'conv2\.', 'stem.3.'),
          (r'bn2\.', 'stem.4.'), (r'conv3\.', 'stem.6.'), (r'bn3\.', 'stem.7.'),
          (r'(layer[1-4]\.)', r'\1')]
#: prefixes dropped on purpose: the auxiliary head
_DROPPED = ('dsn.', )


def convert_robustnet(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Map a RobustNet DeepLabv3+ state dict (optionally under ``state_dict`` / ``module.``, as
    its ``train.py`` saves it) to ``backbone.*`` / ``decode_head.*`` keys."""
    state = {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in _unwrap(state_dict).items()
    }
    deep = any(k.startswith('layer0.3.') for k in state)
    out, unknown = {}, []
    for key, value in state.items():
        if key.startswith(_DROPPED):
            continue
        for pattern, target in (_DEEP_STEM if deep else _STEM) + _HEAD:
            if re.match(pattern, key):
                out[re.sub('^' + pattern, target, key)] = value
                break
        else:
            unknown.append(key)
    if unknown or not out:
        raise ConversionKeyError(
            'not a RobustNet DeepLabv3+ ResNet checkpoint (e.g. DeepR50V3PlusD, '
            'DeepR101V3PlusD): ' +
            (f'unknown keys {unknown[:5]}' if unknown else 'no layer0/aspp/final keys'))
    return {k: v.detach().clone() for k, v in out.items()}


def convert_robustnet_trunk(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """RobustNet's ImageNet ``ResNet3X3`` trunk (``conv1``-``conv3``, ``bn1``-``bn3``,
    ``layer1``-``layer4``, ``fc``) -> keys of mmseg's ``ResNet(deep_stem=True,
    stem_channels=128)``, for the backbone's ``init_cfg`` (``fc`` dropped)."""
    out, unknown = {}, []
    for key, value in _unwrap(state_dict).items():
        key = key[len('module.'):] if key.startswith('module.') else key
        if key.startswith('fc.'):
            continue
        for pattern, target in _TRUNK:
            if re.match(pattern, key):
                out[re.sub('^' + pattern, target, key)] = value
                break
        else:
            unknown.append(key)
    if unknown or not any(k.startswith('stem.6.') for k in out):
        raise ConversionKeyError(
            "not RobustNet's ImageNet ResNet3X3 trunk (resnet101-imagenet.pth): " +
            (f'unknown keys {unknown[:5]}' if unknown else 'no conv3 (three-conv stem)'))
    return {k: v.detach().clone() for k, v in out.items()}


def _unwrap(checkpoint: dict) -> Dict[str, Tensor]:
    """RobustNet's ``train.py`` saves ``{'state_dict': ..., 'optimizer': ..., 'epoch': ...}``."""
    if isinstance(checkpoint.get('state_dict'), dict):
        return checkpoint['state_dict']
    return checkpoint


def dropped_keys(state_dict: Dict[str, Tensor]) -> List[str]:
    """The keys :func:`convert_robustnet` leaves out on purpose (the auxiliary head)."""
    keys: Tuple[str, ...] = tuple(_unwrap(state_dict))
    return [k for k in keys if k.replace('module.', '', 1).startswith(_DROPPED)]
