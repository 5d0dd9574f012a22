# Cityscapes -> BDD100K, SYNTHIA, GTAV (DeFT paper, Table 5).
_base_ = ['./dg_pipelines_768.py', './cityscapes.py', './bdd100k.py', './synthia.py', './gtav.py']
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _base_.cityscapes_train,
        pipeline=[
            p if p['type'] != 'RandomResize' else dict(p, scale=(2048, 1024))
            for p in _base_.train_pipeline
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    datasets=dict(
        bdd100k=dict(_base_.bdd100k_val, pipeline=_base_.test_pipeline),
        synthia=dict(_base_.synthia_val, pipeline=_base_.test_pipeline),
        gtav=dict(_base_.gtav_val, pipeline=_base_.test_pipeline)))
# `dataset` holds only the test pipeline, which mmseg's inference API (MMSegInferencer) reads;
# the multi-domain loops test every domain of `datasets`.
test_dataloader = dict(val_dataloader, dataset=dict(pipeline=_base_.test_pipeline))
val_evaluator = dict(type='DGIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
val_cfg = dict(type='MultiDomainValLoop')
test_cfg = dict(type='MultiDomainTestLoop')
