"""The RobustNet-layout DeepLabv3+ (mmseg ``ResNet`` + ``DeepLabV3PlusHead``) against the network
of shachoi/RobustNet, re-created here at tiny width from ``network/deepv3.py`` (``DeepV3Plus``,
trunk 'resnet-50', variant 'D16', skip 'm1', no whitening), ``network/Resnet.py``
(``Bottleneck``, ``ResNet._make_layer``) and ``network/mynn.py`` (``Upsample``: bilinear,
``align_corners=True``): its module names, shapes and forward. A state dict of that network goes
through ``convert_robustnet``, loads strictly, and gives the same logits."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.registry import MODELS

from deft_mmseg.models.converters import convert_robustnet
from deft_mmseg.models.converters.robustnet import dropped_keys
from deft_mmseg.utils.errors import ConversionKeyError
from repo_paths import config_path


def _upsample(x, size):  # network/mynn.py Upsample
    return F.interpolate(x, size=size, mode='bilinear', align_corners=True)


class Bottleneck(nn.Module):  # network/Resnet.py Bottleneck (iw=0)
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


def _make_layer(inplanes, planes, blocks, stride):  # network/Resnet.py ResNet._make_layer
    downsample = None
    if stride != 1 or inplanes != planes * 4:
        downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes * 4, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(planes * 4))
    layers = [Bottleneck(inplanes, planes, stride, downsample)]
    layers += [Bottleneck(planes * 4, planes) for _ in range(1, blocks)]
    return nn.Sequential(*layers)


class ASPP(nn.Module):  # network/deepv3.py _AtrousSpatialPyramidPoolingModule, os 16

    def __init__(self, in_dim, reduction_dim, rates=(6, 12, 18)):
        super().__init__()
        self.features = nn.ModuleList([
            nn.Sequential(
                nn.Conv2d(in_dim, reduction_dim, 1, bias=False), nn.BatchNorm2d(reduction_dim),
                nn.ReLU(inplace=True))
        ] + [
            nn.Sequential(
                nn.Conv2d(in_dim, reduction_dim, 3, dilation=r, padding=r, bias=False),
                nn.BatchNorm2d(reduction_dim), nn.ReLU(inplace=True)) for r in rates
        ])
        self.img_pooling = nn.AdaptiveAvgPool2d(1)
        # the release writes 256 = reduction_dim here
        self.img_conv = nn.Sequential(
            nn.Conv2d(in_dim, reduction_dim, 1, bias=False), nn.BatchNorm2d(reduction_dim),
            nn.ReLU(inplace=True))

    def forward(self, x):
        out = _upsample(self.img_conv(self.img_pooling(x)), x.shape[2:])
        for f in self.features:
            out = torch.cat((out, f(x)), 1)
        return out


class DeepV3Plus(nn.Module):
    """``DeepV3Plus(trunk='resnet-50', variant='D16')`` at width ``w`` (64 in the release) and
    ASPP width ``a`` (256), with the auxiliary ``dsn`` head of training."""

    def __init__(self, num_classes, w=8, a=16, blocks=(3, 4, 6, 3), deep_stem=False):
        super().__init__()
        if deep_stem:  # trunk 'resnet-101': network/Resnet.py ResNet3X3 (64, 64, 128 at w=64)
            self.layer0 = nn.Sequential(
                nn.Conv2d(3, w, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w),
                nn.ReLU(inplace=True), nn.Conv2d(w, w, 3, stride=1, padding=1, bias=False),
                nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                nn.Conv2d(w, 2 * w, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(2 * w),
                nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        else:
            self.layer0 = nn.Sequential(
                nn.Conv2d(3, w, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(w),
                nn.ReLU(inplace=True), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.layer1 = _make_layer(2 * w if deep_stem else w, w, blocks[0], 1)
        self.layer2 = _make_layer(4 * w, 2 * w, blocks[1], 2)
        self.layer3 = _make_layer(8 * w, 4 * w, blocks[2], 2)
        self.layer4 = _make_layer(16 * w, 8 * w, blocks[3], 2)
        for n, m in self.layer4.named_modules():  # variant 'D16'
            if 'conv2' in n:
                m.dilation, m.padding, m.stride = (2, 2), (2, 2), (1, 1)
            elif 'downsample.0' in n:
                m.stride = (1, 1)
        self.aspp = ASPP(32 * w, a)
        self.bot_fine = nn.Sequential(
            nn.Conv2d(4 * w, 48, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU(inplace=True))
        self.bot_aspp = nn.Sequential(
            nn.Conv2d(5 * a, a, 1, bias=False), nn.BatchNorm2d(a), nn.ReLU(inplace=True))
        self.final1 = nn.Sequential(
            nn.Conv2d(48 + a, a, 3, padding=1, bias=False), nn.BatchNorm2d(a),
            nn.ReLU(inplace=True), nn.Conv2d(a, a, 3, padding=1, bias=False), nn.BatchNorm2d(a),
            nn.ReLU(inplace=True))
        self.final2 = nn.Sequential(nn.Conv2d(a, num_classes, 1, bias=True))
        self.dsn = nn.Sequential(
            nn.Conv2d(16 * w, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Dropout2d(0.1), nn.Conv2d(32, num_classes, 1, bias=True))

    def forward(self, x):  # eval branch of DeepV3Plus.forward
        size = x.shape[2:]
        x = self.layer0(x)
        low_level = x = self.layer1(x)
        x = self.layer4(self.layer3(self.layer2(x)))
        dec0_up = _upsample(self.bot_aspp(self.aspp(x)), low_level.shape[2:])
        dec1 = self.final1(torch.cat([self.bot_fine(low_level), dec0_up], 1))
        return _upsample(self.final2(dec1), size)


def _ours(w=8, a=16, config=None):
    if config is None:
        cfg = Config.fromfile(config_path('_base_', 'models', 'deeplabv3plus_r50-d16_robustnet.py'))
    else:
        cfg = Config.fromfile(config_path(config))
    cfg = copy.deepcopy(cfg.model)
    cfg.data_preprocessor = None
    cfg.pop('pretrained', None)
    cfg.type = 'EncoderDecoder'
    for key in ('final_model', 'frozen_module_mode'):
        cfg.pop(key, None)
    norm = dict(type='BN', requires_grad=True)
    deep = cfg.backbone.get('deep_stem', False)
    cfg.backbone.update(
        stem_channels=2 * w if deep else w, base_channels=w, norm_cfg=norm, init_cfg=None, depth=50)
    cfg.decode_head.update(in_channels=[4 * w, 32 * w], channels=a, norm_cfg=norm)
    return MODELS.build(cfg)


def _randomize(module, seed):
    """Random weights and BN statistics, so every tensor matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                t.copy_(
                    torch.rand(t.shape, generator=g) * 0.5 +
                    0.5 if 'running_var' in name else torch.randn(t.shape, generator=g) * 0.1)


def test_robustnet_checkpoint_converts_loads_strictly_and_gives_the_same_logits():
    release = DeepV3Plus(num_classes=19).eval()
    _randomize(release, 0)
    checkpoint = dict(
        state_dict={
            f'module.{k}': v
            for k, v in release.state_dict().items()
        }, epoch=3)  # as RobustNet's train.py saves it (DDP 'module.' prefix)
    ours = _ours().eval()
    state = convert_robustnet(checkpoint)
    ours.load_state_dict(state, strict=True)
    assert dropped_keys(checkpoint) and all('dsn' in k for k in dropped_keys(checkpoint))
    x = torch.randn(2, 3, 65, 81)
    with torch.no_grad():
        want = release(x)
        got = ours.encode_decode(x, [dict(img_shape=(65, 81))] * 2)
    assert got.shape == want.shape == (2, 19, 65, 81)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    # output stride 16 and the layout: the last stage is 1/16 of the input, dilated by 2
    feats = ours.extract_feat(torch.randn(1, 3, 64, 64))
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 4]
    assert ours.backbone.layer4[0].conv2.dilation == (2, 2)


def test_other_checkpoints_are_refused():
    with pytest.raises(ConversionKeyError, match='unknown keys'):
        convert_robustnet({
            'module.layer0.0.weight': torch.zeros(1),
            'module.cov_matrix_layer.0.weight': torch.zeros(1)
        })
    with pytest.raises(ConversionKeyError, match='no layer0'):
        convert_robustnet({})


def test_converter_tool(tmp_path, capsys):
    """tools/model_converters/robustnet.py: in-process conversion and refusals (one line, exit
    2), nothing overwritten; the fresh-shell contract once."""
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    from e2e_helpers import error_line_in_process, one_error_line, run_tool, run_tool_in_process
    release = DeepV3Plus(num_classes=19)
    src, dst = str(tmp_path / 'r50os16.pth'), str(tmp_path / 'out' / 'converted.pth')
    torch.save(dict(state_dict={f'module.{k}': v for k, v in release.state_dict().items()}), src)
    assert run_tool_in_process('model_converters/robustnet.py', src, dst) == 0
    assert 'auxiliary-head tensors dsn.* left out' in capsys.readouterr().out
    state = load_local_checkpoint(dst)['state_dict']
    _ours().load_state_dict(state, strict=True)
    line = error_line_in_process(capsys, 'model_converters/robustnet.py', src, dst)
    assert 'exists' in line  # nothing is overwritten
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'encoder.weight': torch.zeros(1)}), other)
    line = error_line_in_process(capsys, 'model_converters/robustnet.py', other,
                                 str(tmp_path / 'x.pth'))
    assert 'not a RobustNet DeepLabv3+' in line
    line = one_error_line(
        run_tool('model_converters/robustnet.py', str(tmp_path / 'missing.pth'),
                 str(tmp_path / 'y.pth')))
    assert 'does not exist' in line


def test_robustnet_r101_three_conv_stem_converts_and_gives_the_same_logits():
    """DeepR101V3PlusD's ResNet3X3 stem (conv1-conv3, 64-64-128 at full width) maps onto the R101
    config's ResNet(deep_stem=True, stem_channels=128), network and ImageNet trunk file alike
    (depth 50 here: the stem and the block layout are what is checked)."""
    from deft_mmseg.models.converters import convert_robustnet_trunk
    release = DeepV3Plus(num_classes=19, deep_stem=True).eval()
    _randomize(release, 1)
    ours = _ours(config='deft/deft_deeplabv3plus_r101-d16_1xb4-48k_gtav-768x768.py').eval()
    ours.load_state_dict(convert_robustnet(release.state_dict()), strict=True)
    x = torch.randn(1, 3, 64, 72)
    with torch.no_grad():
        torch.testing.assert_close(
            ours.encode_decode(x, [dict(img_shape=(64, 72))]), release(x), rtol=1e-4, atol=1e-5)
    # the ImageNet trunk file: ResNet3X3's own names (conv1..3, bn1..3, layer*, fc)
    names = {'0': 'conv1', '1': 'bn1', '3': 'conv2', '4': 'bn2', '6': 'conv3', '7': 'bn3'}
    trunk = {}
    for key, value in release.state_dict().items():
        parts = key.split('.')
        if parts[0] == 'layer0':
            trunk['.'.join([names[parts[1]]] + parts[2:])] = value
        elif parts[0].startswith('layer'):
            trunk[key] = value
    trunk['fc.weight'] = torch.zeros(10, 4)
    fresh = _ours(config='deft/deft_deeplabv3plus_r101-d16_1xb4-48k_gtav-768x768.py')
    fresh.backbone.load_state_dict(convert_robustnet_trunk(trunk), strict=True)
    for key, value in ours.backbone.state_dict().items():
        assert torch.equal(fresh.backbone.state_dict()[key], value), key
