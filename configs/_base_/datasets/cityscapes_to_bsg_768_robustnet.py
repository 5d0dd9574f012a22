# Cityscapes -> BDD100K, SYNTHIA, GTAV (DeFT paper, Table 5) with the protocol of the codebase the
# paper's baselines come from (shachoi/RobustNet scripts/train_r50os16_cty_base.sh): class-uniform
# sampling (0.5, tiles 1024) of Cityscapes train, the RobustNet train pipeline at the native
# 2048x1024 size, every target at its native size (datasets/__init__.py create_extra_val_loader).
_base_ = ['./dg_pipelines_768.py', './cityscapes.py', './bdd100k.py', './synthia.py', './gtav.py']
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='ClassUniformSampler', class_uniform_pct=0.5),
    dataset=dict(
        type='ClassUniformDataset',
        dataset=_base_.cityscapes_train,
        pipeline=_base_.robustnet_train_pipeline,
        tile_size=1024,
        centroid_file=_base_.cityscapes_root + '/class_centroids_tile1024_train.json'))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    datasets=dict(
        bdd100k=dict(_base_.bdd100k_val, pipeline=_base_.robustnet_test_pipeline),
        synthia=dict(_base_.synthia_val, pipeline=_base_.robustnet_test_pipeline),
        gtav=dict(_base_.gtav_val, pipeline=_base_.robustnet_test_pipeline)))
# `dataset` holds only the test pipeline, which mmseg's inference API (MMSegInferencer) reads;
# the multi-domain loops test every domain of `datasets`.
test_dataloader = dict(val_dataloader, dataset=dict(pipeline=_base_.robustnet_test_pipeline))
val_evaluator = dict(type='DGIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
val_cfg = dict(type='MultiDomainValLoop')
test_cfg = dict(type='MultiDomainTestLoop')
