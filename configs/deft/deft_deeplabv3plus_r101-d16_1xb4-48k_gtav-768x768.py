# DeFT with ResNet-101, GTAV -> C/B/M (DeFT paper, Table 4 R101: 52.14 / 45.16 / 53.15): the R50
# config (paper algorithm and protocol) with RobustNet's ResNet-101 (network/deepv3.py
# DeepR101V3PlusD, output stride 16): its ResNet3X3 trunk has a three-conv stem (64, 64, 128
# channels; network/Resnet.py) = mmseg's ResNet(deep_stem=True, stem_channels=128), with the
# ImageNet weights RobustNet loads from ./pretrained/resnet101-imagenet.pth (distributed with
# RobustNet, not by torchvision or OpenMMLab): convert them once with
#   python tools/model_converters/robustnet.py --trunk resnet101-imagenet.pth \
#       pretrain/robustnet_resnet101-imagenet_converted.pth
_base_ = ['./deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
model = dict(
    backbone=dict(
        depth=101,
        deep_stem=True,
        stem_channels=128,
        init_cfg=dict(
            type='Pretrained', checkpoint='pretrain/robustnet_resnet101-imagenet_converted.pth')))
