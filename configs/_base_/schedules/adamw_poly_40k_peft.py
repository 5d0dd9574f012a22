# The Rein release's schedule (Rein paper): its AdamW recipe (optim_adamw_peft.py), poly(0.9) over
# 40K iterations.
_base_ = ['./optim_adamw_peft.py']
optim_wrapper = _base_.peft_adamw_optim_wrapper
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=40000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
