# Pipelines of the DeFT paper (Sec. 4.1): colour jitter, Gaussian blur, flip 0.5, scale 0.5-2.0, crop 768.
# Scales are relative to 1280x720 (GTAV's 1914x1052 frames resized as in DAFormer-style pipelines).
crop_size = (768, 768)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='RandomResize', scale=(1280, 720), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),  # colour jittering
    dict(type='RandomGaussianBlur', prob=0.5, sigma_range=(0.15, 1.15)),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='PackSegInputs'),
]

# The protocol of the codebase the DeFT paper's baselines come from (shachoi/RobustNet: its
# scripts/train_r50os16_gtav_base.sh, datasets/__init__.py, transforms/), which the paper's text
# leaves unsaid; used by gtav_to_cbm_768_robustnet.py (docs/deft.md, "Protocol"):
# - random scaling 0.5-2.0 of the frame's native size (GTAV 1914x1052), PIL bicubic
#   (joint_transforms.RandomSizeAndCrop), then a 768 crop that pads small images and contains
#   the class-uniform centroid when there is one (joint_transforms.RandomCrop);
# - horizontal flip 0.5; colour jitter ColorJitter(0.4, 0.4, 0.4, 0.1) with probability 0.5
#   (--color_aug 0.5: torchvision's, mmpretrain's port of it); Gaussian blur always, sigma
#   0.15 + U[0, 1) * 1.15 (--gblur: transforms.RandomGaussianBlur);
# - no cat_max_ratio re-draw of crops (mmseg's RandomCrop option, not RobustNet's).
robustnet_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='RandomRescale', ratio_range=(0.5, 2.0)),
    dict(type='CentroidRandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        prob=0.5,
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ]),
    dict(type='RandomGaussianBlur', prob=1.0, sigma_range=(0.15, 1.30)),
    dict(type='PackSegInputs'),
]
# RobustNet evaluates Cityscapes, BDD100K, GTAV and SYNTHIA at their native size
# (datasets/__init__.py create_extra_val_loader: no resize) ...
robustnet_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='PackSegInputs'),
]
# ... and Mapillary at height 1536 (datasets/__init__.py:182-186: ResizeHeight(1536)); the
# prediction is scored at the label's own resolution, as mmseg scores every resize.
robustnet_mapillary_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeToHeightCenterCrop', height=1536, crop_size=None),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='PackSegInputs'),
]
# RobustNet also centre-crops image and label to 1536x1536 (CenterCropPad(1536), label padding 0
# there) and scores that window at that size: this pipeline, in the
# *_mapillary-center-crop.py config (docs/deft.md: why it is not the default).
robustnet_mapillary_center_crop_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='ResizeToHeightCenterCrop', height=1536, crop_size=1536, seg_pad_val=0),
    dict(type='PackSegInputs'),
]
