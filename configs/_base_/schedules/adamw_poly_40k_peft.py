# The Rein release's schedule (Rein paper): AdamW lr 1e-4, weight decay 0.05, no decay on norms,
# queries, level embeddings, Rein tokens and scale; poly(0.9) over 40K iterations.
_embed = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys={
        'norm': dict(decay_mult=0.0),
        'query_embed': _embed,
        'level_embed': _embed,
        'learnable_tokens': _embed,
        'reins.scale': _embed,
    }, norm_decay_mult=0.0))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=40000,
                        by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
