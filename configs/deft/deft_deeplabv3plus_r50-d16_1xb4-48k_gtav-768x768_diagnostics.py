# DeFT with the diagnostics of the DeFT paper Fig. 1, 3 and 9, measured on the final model d~1 o e~2:
# distance from initialization (L2, MARS, operator norm) and the Cityscapes CE loss, every 1000
# iterations. Compare with configs/baselines/
# lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768_diagnostics.py.
_base_ = ['./deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
custom_hooks = [
    dict(type='CrossEMAHook', beta=0.9999, buffer_update='forward'),
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
