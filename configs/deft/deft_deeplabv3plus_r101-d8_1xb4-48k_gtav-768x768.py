# DeFT with ResNet-101, GTAV -> C/B/M (DeFT paper, Table 4 R101: 52.14 / 45.16 / 53.15): the R50
# config (paper algorithm and protocol) with torchvision's ImageNet ResNet-101 in the same
# torchvision-layout DeepLabv3+ (output stride 16). RobustNet's own DeepR101V3PlusD has a
# three-conv stem with weights of its ./pretrained/resnet101-imagenet.pth, distributed by neither
# torchvision nor OpenMMLab (docs/deft.md, "The network").
_base_ = ['./deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py']
model = dict(backbone=dict(
    depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
