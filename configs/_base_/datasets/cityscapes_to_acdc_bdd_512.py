# Cityscapes -> ACDC (val, all conditions and each one) and BDD100K with the Rein release's
# pipelines (crop 512; targets resized to 1024x512, sliding-window inference from the model).
_base_ = ['./cityscapes.py', './acdc.py', './bdd100k.py']
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomChoiceResize', scales=[int(512 * x * 0.1) for x in range(5, 21)],
         resize_type='ResizeShortestEdge', max_size=2048),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
_acdc = dict(_base_.acdc_val, pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=4, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(_base_.cityscapes_train, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    datasets=dict(
        acdc=_acdc,
        acdc_fog=dict(_acdc, conditions='fog'),
        acdc_night=dict(_acdc, conditions='night'),
        acdc_rain=dict(_acdc, conditions='rain'),
        acdc_snow=dict(_acdc, conditions='snow'),
        bdd100k=dict(_base_.bdd100k_val, pipeline=test_pipeline)))
test_dataloader = val_dataloader
val_evaluator = dict(type='DGIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
val_cfg = dict(type='MultiDomainValLoop')
test_cfg = dict(type='MultiDomainTestLoop')
