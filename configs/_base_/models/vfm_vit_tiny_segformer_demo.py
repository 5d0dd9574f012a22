# vfm_dinov2-l_segformer.py at a tiny size: the tiny ViT and 16-channel neck of
# vfm_vit_tiny_deeplabv3plus_demo.py with a 16-channel SegFormer head, for the demo data on CPU;
# its four levels a pyramid (scales 4, 2, 1, 0.5) as vfm_dinov2-l_segformer.py's.
_base_ = ['./vfm_vit_tiny_deeplabv3plus_demo.py']
model = dict(
    backbone=dict(scales=(4, 2, 1, 0.5)),
    decode_head=dict(
        _delete_=True,
        type='SegformerHead',
        in_channels=[16, 16, 16, 16],
        in_index=[0, 1, 2, 3],
        channels=16,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=_base_.norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
