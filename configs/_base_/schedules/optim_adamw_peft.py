# The Rein release's optimizer (Rein paper): AdamW lr 1e-4, weight decay 0.05, no decay on norms,
# queries, level embeddings, Rein tokens and scale. One block for every schedule that uses it
# (adamw_poly_40k_peft.py, deft_adamw_peft.py, and through the first fishertune_adamw_4k_40k.py).
_embed = dict(lr_mult=1.0, decay_mult=0.0)
peft_adamw_optim_wrapper = dict(
    type='OptimWrapper',
    # the frozen trunk's tensors are reported in one line, not one warning each
    constructor='FrozenParamsOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        custom_keys={
            'norm': dict(decay_mult=0.0),
            'query_embed': _embed,
            'level_embed': _embed,
            'learnable_tokens': _embed,
            'reins.scale': _embed,
        },
        norm_decay_mult=0.0))
