# DeFT stages (8K warm-up + 40K decoupled) with SegFormer's optimizer recipe: AdamW lr 6e-5,
# weight decay 0.01, decode-head lr x10, no decay on norms and positional blocks, linear (poly 1)
# decay restarted per stage. The DeFT paper gives no optimizer for MiT-B5 (Table 9): our choice.
_base_ = ['./deft_sgd_8k_40k.py']
optim_wrapper = dict(
    # DeFT's frozen copies: one log line, not one warning per tensor
    constructor='FrozenParamsOptimWrapperConstructor',
    optimizer=dict(_delete_=True, type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'pos_block': dict(decay_mult=0.0),
            'norm': dict(decay_mult=0.0),
            'decode_head': dict(lr_mult=10.0)
        }))
param_scheduler = [
    dict(type='StagePolyLR', stage='warmup', power=1.0, eta_min=0.0),
    dict(type='StagePolyLR', stage='decoupled', power=1.0, eta_min=0.0),
]
