# GTAV -> Cityscapes, BDD100K, Mapillary with the protocol of the codebase the DeFT paper's
# baselines come from (shachoi/RobustNet scripts/train_r50os16_gtav_base.sh), where the paper is
# silent (docs/deft.md, "Protocol"):
# - class-uniform sampling: half of each epoch are crops around class centroids of 1024 tiles
#   (--class_uniform_pct 0.5 --class_uniform_tile 1024; datasets/uniform.py); the centroids are
#   computed once and cached in data/gtav/class_centroids_tile1024_train.json;
# - the RobustNet train pipeline at the native GTAV size (dg_pipelines_768.py);
# - Cityscapes and BDD100K evaluated at their native size, Mapillary at height 1536 cropped to
#   1536x1536;
# - batch 4 on one GPU as the DeFT paper states (Sec. 4.1; RobustNet's scripts: 4 per GPU on 4).
# The GTAV split is GTAVDataset's train.txt (split.mat, 12,403 frames); RobustNet's
# split_data/gtav_split_train.txt lists 12,388 of them.
_base_ = ['./gtav_to_cbm_768.py']  # the same domains and loops; the RobustNet pipelines
robustnet_targets = dict(
    cityscapes=dict(pipeline=_base_.robustnet_test_pipeline),
    bdd100k=dict(pipeline=_base_.robustnet_test_pipeline),
    mapillary=dict(pipeline=_base_.robustnet_mapillary_test_pipeline))
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassUniformSampler', class_uniform_pct=0.5),
    dataset=dict(
        _delete_=True,
        type='ClassUniformDataset',
        dataset=_base_.gtav_train,
        pipeline=_base_.robustnet_train_pipeline,
        tile_size=1024,
        centroid_file=_base_.gtav_root + '/class_centroids_tile1024_train.json'))
val_dataloader = dict(datasets=robustnet_targets)
test_dataloader = dict(
    datasets=robustnet_targets, dataset=dict(pipeline=_base_.robustnet_test_pipeline))
