# Cityscapes -> ACDC as the Rein release runs it for its ACDC results (its configs/_base_/datasets/
# dg_citys2acdc_1024x1024.py with the train pipeline of rein_dinov2_mask2former_1024x1024_bs4x2.py):
# - source: Cityscapes train, shortest edge 512-2048 (max 4096), crop 1024, flip, colour jitter;
#   batch 2 per GPU (the release: 4 GPUs, 8 images per step);
# - ACDC (all conditions and each) resized to fit 1920x1080; BDD100K at 1280x720;
# - the ACDC test split goes to the server: tools/test.py --format-only with
#   --cfg-options test_dataloader.datasets.<domain>.data_prefix.img_path=rgb_anon/<cond>/test.
_base_ = ['./cityscapes_to_acdc_bdd_512.py']
crop_size = (1024, 1024)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(
        type='RandomChoiceResize',
        scales=[int(1024 * x * 0.1) for x in range(5, 21)],
        resize_type='ResizeShortestEdge',
        max_size=4096),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
acdc_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1920, 1080), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='PackSegInputs'),
]
bdd100k_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1280, 720), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    datasets=dict(
        acdc=dict(pipeline=acdc_test_pipeline),
        acdc_fog=dict(pipeline=acdc_test_pipeline),
        acdc_night=dict(pipeline=acdc_test_pipeline),
        acdc_rain=dict(pipeline=acdc_test_pipeline),
        acdc_snow=dict(pipeline=acdc_test_pipeline),
        bdd100k=dict(pipeline=bdd100k_test_pipeline)))
# `dataset` holds only the test pipeline, which mmseg's inference API (MMSegInferencer) reads;
# the multi-domain loops test every domain of `datasets`.
test_dataloader = dict(val_dataloader, dataset=dict(pipeline=acdc_test_pipeline))
