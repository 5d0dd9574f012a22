# DeFT stages (8K warm-up + 40K decoupled) with Mask2Former's optimizer recipe (mmseg's
# mask2former configs): AdamW lr 1e-4, weight decay 0.05, backbone lr x0.1, no decay on queries,
# level embeddings and norms, gradient clipping 0.01, poly(0.9) restarted per stage.
_base_ = ['./deft_sgd_8k_40k.py']
optim_wrapper = dict(
    # DeFT's frozen copies: one log line, not one warning per tensor
    constructor='FrozenParamsOptimWrapperConstructor',
    optimizer=dict(
        _delete_=True, type='AdamW', lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05),
    clip_grad=dict(_delete_=True, max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1, decay_mult=1.0),
            'query_embed': dict(lr_mult=1.0, decay_mult=0.0),
            'query_feat': dict(lr_mult=1.0, decay_mult=0.0),
            'level_embed': dict(lr_mult=1.0, decay_mult=0.0),
        },
        norm_decay_mult=0.0))
param_scheduler = [
    dict(type='StagePolyLR', stage='warmup', power=0.9, eta_min=0.0),
    dict(type='StagePolyLR', stage='decoupled', power=0.9, eta_min=0.0),
]
