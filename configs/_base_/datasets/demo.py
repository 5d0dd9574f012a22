# The embedded demo data (tools/make_demo_data.py): GTAV-layout source, three Cityscapes-layout
# targets that differ in palette, texture, lighting, fog and noise. 128x64 images.
demo_root = 'data/demo'
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='RandomResize', scale=(128, 64), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomGaussianBlur', prob=0.5, sigma_range=(0.15, 1.15)),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='PackSegInputs'),
]
_target = dict(
    type='CityscapesDataset',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='GTAVDataset', data_root=demo_root + '/gtav', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    datasets=dict(
        demo_real=dict(_target, data_root=demo_root + '/demo_real'),
        demo_fog=dict(_target, data_root=demo_root + '/demo_fog'),
        demo_night=dict(_target, data_root=demo_root + '/demo_night')))
# `dataset` holds only the test pipeline, which mmseg's inference API (MMSegInferencer) reads;
# the multi-domain loops test every domain of `datasets`.
test_dataloader = dict(val_dataloader, dataset=dict(pipeline=test_pipeline))
val_evaluator = dict(type='DGIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
val_cfg = dict(type='MultiDomainValLoop')
test_cfg = dict(type='MultiDomainTestLoop')
