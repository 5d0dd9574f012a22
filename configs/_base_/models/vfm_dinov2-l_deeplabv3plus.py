# The frozen DINOv2-L of vfm_dinov2-l_mask2former.py (+ optional Reins) with a DeepLabv3+ head
# through mmseg's MultiLevelNeck: the four ViT levels (strides 4, 8, 16, 32 after the backbone's
# rescaling) reduced to 256 channels; the ASPP head reads the stride-16 level, its low-level
# branch the stride-4 level.
_base_ = ['./vfm_dinov2-l_mask2former.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(test_cfg=None),
    neck=dict(
        type='MultiLevelNeck',
        in_channels=[1024, 1024, 1024, 1024],
        out_channels=256,
        scales=[1, 1, 1, 1]),
    decode_head=dict(
        _delete_=True,
        type='DepthwiseSeparableASPPHead',
        in_channels=256,
        in_index=2,
        channels=256,
        dilations=(1, 6, 12, 18),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
