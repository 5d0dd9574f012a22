# A frozen DINOv2-L (+ optional Reins) with SegFormer's all-MLP head through mmseg's
# MultiLevelNeck (four levels reduced to 256 channels). The head reads all four levels as a
# pyramid: strides 4, 8, 16, 32 (the Mask2Former base's scales, which the DeepLabv3+ base changes).
_base_ = ['./vfm_dinov2-l_deeplabv3plus.py']
model = dict(
    backbone=dict(scales=(4, 2, 1, 0.5)),
    decode_head=dict(
        _delete_=True,
        type='SegformerHead',
        in_channels=[256, 256, 256, 256],
        in_index=[0, 1, 2, 3],
        channels=256,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=_base_.norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
