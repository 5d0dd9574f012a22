# VLTSeg's recipe where the paper gives none (docs/vltseg.md, "Recipe"): the public
# reimplementation's AdamW lr 1e-4, weight decay 0.05, backbone lr x0.1, gradient clipping
# (Mask2Former's max-norm 0.01), poly(0.9); GTAV: 5K iterations at batch 16 (the configs: 8 GPUs x 2). The text
# tower is frozen (requires_grad False: no gradient, no update, no weight decay).
_base_ = ['./optim_adamw_peft.py']
optim_wrapper = dict(
    _base_.peft_adamw_optim_wrapper,
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            **_base_.peft_adamw_optim_wrapper['paramwise_cfg']['custom_keys'],
            'backbone':
            dict(lr_mult=0.1),
            'text_encoder':
            dict(lr_mult=0.0, decay_mult=0.0),
        }))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=5000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=5000, val_interval=1000)
auto_scale_lr = dict(enable=False, base_batch_size=16)
