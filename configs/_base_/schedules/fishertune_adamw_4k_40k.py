# FisherTune's schedule (FisherTune paper, Alg. 1): decoder warm-up T1 = 4K iterations on the frozen VFM,
# DR-FIM estimation on T2 = 500 batches, then T3 = 40K tuning iterations (Rein's length, the
# baseline FisherTune compares with). T1 and T2 are our choices (the paper's appendix with them is
# not available; docs/fishertune.md). Optimizer: the Rein release's AdamW recipe
# (adamw_poly_40k_peft.py), poly(0.9) restarted per stage.
_base_ = ['./adamw_poly_40k_peft.py']
param_scheduler = [
    dict(type='StagePolyLR', stage='warmup', power=0.9, eta_min=0.0),
    dict(type='StagePolyLR', stage='tune', power=0.9, eta_min=0.0),
]
train_cfg = dict(
    _delete_=True,
    type='FisherTuneTrainLoop',
    warmup_iters=4000,
    estimate_iters=500,
    tune_iters=40000,
    val_interval=4000)
# warm-up: the candidate VFM weights get no gradient, so DDP must allow unused parameters.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
