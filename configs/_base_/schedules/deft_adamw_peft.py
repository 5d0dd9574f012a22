# DeFT stages (8K warm-up + 40K decoupled, beta 0.9999) with the Rein release's optimizer recipe
# (optim_adamw_peft.py), poly(0.9) restarted per stage. Used for DeFT on VFM backbones (our
# combination; the DeFT paper uses ResNets and MiT-B5 only).
_base_ = ['./deft_sgd_8k_40k.py', './optim_adamw_peft.py']
optim_wrapper = dict(_base_.peft_adamw_optim_wrapper, _delete_=True)
param_scheduler = [
    dict(type='StagePolyLR', stage='warmup', power=0.9, eta_min=0.0),
    dict(type='StagePolyLR', stage='decoupled', power=0.9, eta_min=0.0),
]
