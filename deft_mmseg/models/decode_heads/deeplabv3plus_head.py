"""DeepLabv3+ decoder with plain convolutions, as in the codebase of the DeFT paper's baselines.

The DeFT paper trains "DeepLab v3+ with ImageNet pretrained ResNet" and compares with the methods
of shachoi/RobustNet, whose network is ``network/deepv3.py`` ``DeepV3Plus``. mmseg's
``DepthwiseSeparableASPPHead`` cannot express that decoder: its dilated ASPP branches and its two
fusion convolutions are depthwise-separable, its ASPP bottleneck is a 3x3 convolution, and it
concatenates the image-pooling branch elsewhere. This head is that decoder (module for module, so
:func:`~deft_mmseg.models.converters.convert_robustnet` maps a RobustNet state dict 1:1).
"""
from typing import List

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class DeepLabV3PlusHead(BaseDecodeHead):
    """DeepLabv3+ decoder of shachoi/RobustNet ``network/deepv3.py`` (``DeepV3Plus``).

    Inputs: ``[c1, c4]`` = the stride-4 feature of the first ResNet stage ``(N, C1, H/4, W/4)``
    and the last stage's ``(N, C4, H/os, W/os)`` (``in_index=[0, 3]``,
    ``input_transform='multiple_select'``). Steps, with RobustNet's module names:

    1. ASPP (``aspp``): image pooling -> 1x1 conv (``img_conv``), bilinearly upsampled
       (``align_corners``), then a 1x1 conv and three 3x3 convs with ``dilations`` (RobustNet:
       6, 12, 18 at output stride 16; doubled at 8) (``aspp.features``), concatenated in that order
       -> ``(N, 5 * channels, H/os, W/os)``;
    2. ``bottleneck`` 1x1 conv to ``channels`` (``bot_aspp``), upsampled to ``c1``'s size;
    3. ``c1_bottleneck`` 1x1 conv of ``c1`` to ``c1_channels`` = 48 (``bot_fine``);
    4. concatenation ``[c1_bottleneck, bottleneck]``, two 3x3 convs to ``channels`` (``final1``);
    5. ``conv_seg`` 1x1 conv with bias to the classes (``final2``) -> ``(N, K, H/4, W/4)``.

    Every conv has no bias and is followed by ``norm_cfg`` and ReLU. RobustNet has no dropout
    before the classifier (``dropout_ratio=0``) and upsamples with ``align_corners=True``
    (``network/mynn.py`` ``Upsample``), including the logits to the image size.

    Args:
        in_channels (list[int]): channels of ``c1`` and ``c4`` (ResNet-50: ``[256, 2048]``).
        dilations (tuple[int]): dilations of the three 3x3 ASPP branches.
        c1_channels (int): channels of ``c1`` after ``c1_bottleneck``.
        Others: as mmseg ``BaseDecodeHead``.
    """

    def __init__(self, dilations: tuple = (6, 12, 18), c1_channels: int = 48, **kwargs) -> None:
        kwargs.setdefault('input_transform', 'multiple_select')
        super().__init__(**kwargs)
        c1_in_channels, c4_in_channels = self.in_channels
        conv = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), ConvModule(c4_in_channels, self.channels, 1, **conv))
        self.aspp_modules = nn.ModuleList([ConvModule(c4_in_channels, self.channels, 1, **conv)] + [
            ConvModule(c4_in_channels, self.channels, 3, padding=d, dilation=d, **conv)
            for d in dilations
        ])
        self.bottleneck = ConvModule((len(dilations) + 2) * self.channels, self.channels, 1, **conv)
        self.c1_bottleneck = ConvModule(c1_in_channels, c1_channels, 1, **conv)
        self.fuse = nn.Sequential(
            ConvModule(c1_channels + self.channels, self.channels, 3, padding=1, **conv),
            ConvModule(self.channels, self.channels, 3, padding=1, **conv))

    def _forward_feature(self, inputs: List[Tensor]) -> Tensor:
        """``[c1, c4]`` -> the fused feature ``(N, channels, H/4, W/4)`` before ``conv_seg``."""
        c1, c4 = self._transform_inputs(inputs)
        pooled = resize(
            self.image_pool(c4),
            size=c4.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        aspp = torch.cat([pooled] + [m(c4) for m in self.aspp_modules], dim=1)
        up = resize(
            self.bottleneck(aspp),
            size=c1.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        return self.fuse(torch.cat([self.c1_bottleneck(c1), up], dim=1))

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """``[c1, c4]`` -> class scores ``(N, K, H/4, W/4)``."""
        return self.cls_seg(self._forward_feature(inputs))
