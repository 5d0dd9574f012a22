# DeFT with ResNet-101 (V1c), GTAV -> C/B/M (DeFT paper, Table 4 R101: 52.14 / 45.16 / 53.15).
_base_ = ['./deeplabv3plus_r50_gtav.py']
model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
