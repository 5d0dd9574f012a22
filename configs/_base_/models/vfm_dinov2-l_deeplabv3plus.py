# The frozen DINOv2-L of vfm_dinov2-l_mask2former.py (+ optional Reins) with a DeepLabv3+ head
# through mmseg's MultiLevelNeck: the four ViT levels (blocks 7, 11, 15, 23) reduced to 256
# channels. The ASPP head reads the last block (level 3) at stride 16, DeepLabv3+'s output stride
# of the ResNet configs (r50-d16, ASPP dilations 1, 6, 12, 18), so that every block reaches the
# output; its low-level branch reads block 7 at stride 4. (Until 2026-12-07 the head read level 2,
# block 15: blocks 16-23 and their Reins never trained; docs/vfm.md "The DeepLabv3+ VFM head reads
# the last block".)
_base_ = ['./vfm_dinov2-l_mask2former.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(test_cfg=None),
    backbone=dict(scales=(4, 2, 1, 1)),
    neck=dict(
        type='MultiLevelNeck',
        in_channels=[1024, 1024, 1024, 1024],
        out_channels=256,
        scales=[1, 1, 1, 1]),
    decode_head=dict(
        _delete_=True,
        type='DepthwiseSeparableASPPHead',
        in_channels=256,
        in_index=3,
        channels=256,
        dilations=(1, 6, 12, 18),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
