# GTAV -> Cityscapes, BDD100K, Mapillary with the pipelines of the Rein release (Rein paper):
# random shortest-edge resize 256-1024 (max 2048), crop 512, flip, colour jitter; targets resized
# to 1024x512 (Cityscapes-sized) and inferred with 512x512 sliding windows (model test_cfg).
_base_ = ['./gtav_to_cbm_768.py']
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(
        type='RandomChoiceResize',
        scales=[int(512 * x * 0.1) for x in range(5, 21)],
        resize_type='ResizeShortestEdge',
        max_size=2048),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    datasets=dict(
        cityscapes=dict(pipeline=test_pipeline),
        bdd100k=dict(pipeline=test_pipeline),
        mapillary=dict(pipeline=test_pipeline)))
# `dataset` holds only the test pipeline, which mmseg's inference API (MMSegInferencer) reads;
# the multi-domain loops test every domain of `datasets`.
test_dataloader = dict(val_dataloader, dataset=dict(pipeline=test_pipeline))
