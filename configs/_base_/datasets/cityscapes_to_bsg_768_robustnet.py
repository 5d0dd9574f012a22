# Cityscapes -> BDD100K, SYNTHIA, GTAV (DeFT paper, Table 5) with the protocol of the codebase the
# paper's baselines come from (shachoi/RobustNet scripts/train_r50os16_cty_base.sh): class-uniform
# sampling (0.5, tiles 1024) of Cityscapes train, the RobustNet train pipeline at the native
# 2048x1024 size, every target at its native size (datasets/__init__.py create_extra_val_loader).
_base_ = ['./cityscapes_to_bsg_768.py']  # the same domains and loops; the RobustNet pipelines
robustnet_targets = dict(
    bdd100k=dict(pipeline=_base_.robustnet_test_pipeline),
    synthia=dict(pipeline=_base_.robustnet_test_pipeline),
    gtav=dict(pipeline=_base_.robustnet_test_pipeline))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassUniformSampler', class_uniform_pct=0.5),
    dataset=dict(
        _delete_=True,
        type='ClassUniformDataset',
        dataset=_base_.cityscapes_train,
        pipeline=_base_.robustnet_train_pipeline,
        tile_size=1024,
        centroid_file=_base_.cityscapes_root + '/class_centroids_tile1024_train.json'))
val_dataloader = dict(datasets=robustnet_targets)
test_dataloader = dict(
    datasets=robustnet_targets, dataset=dict(pipeline=_base_.robustnet_test_pipeline))
