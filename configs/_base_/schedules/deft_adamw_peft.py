# DeFT stages (8K warm-up + 40K decoupled, beta 0.9999) with the Rein release's optimizer recipe
# (AdamW lr 1e-4, weight decay 0.05, no decay on norms, queries, embeddings, Rein tokens and scale;
# see adamw_poly_40k_peft.py), poly(0.9) restarted per stage. Used for DeFT on VFM backbones (our
# combination; the DeFT paper uses ResNets and MiT-B5 only).
_base_ = ['./deft_sgd_8k_40k.py']
_embed = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8,
                   betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys={
        'norm': dict(decay_mult=0.0),
        'query_embed': _embed,
        'level_embed': _embed,
        'learnable_tokens': _embed,
        'reins.scale': _embed,
    }, norm_decay_mult=0.0))
param_scheduler = [
    dict(type='StagePolyLR', stage='warmup', power=0.9, eta_min=0.0),
    dict(type='StagePolyLR', stage='decoupled', power=0.9, eta_min=0.0),
]
