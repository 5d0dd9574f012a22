# DeFT with ResNet-101 (V1c), GTAV -> C/B/M (DeFT paper, Table 4 R101: 52.14 / 45.16 / 53.15).
_base_ = ['./deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py']
model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
