# LP-FT joint finetuning with the diagnostics of the DeFT paper Fig. 1, 3 and 9: the distance of the
# model from its initialization (L2, MARS, operator norm; every 1000 iterations) and the CE loss
# on the Cityscapes validation set (every 1000 iterations, first 100 images). Compare with
# configs/deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768_diagnostics.py using tools/plot_curves.py.
_base_ = ['./lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
custom_hooks = [
    dict(type='ParamDistanceHook', interval=1000),
    dict(
        type='TargetLossHook',
        interval=1000,
        max_batches=100,
        dataloader=dict(
            batch_size=1,
            num_workers=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(_base_.cityscapes_val, pipeline=_base_.robustnet_test_pipeline))),
]
