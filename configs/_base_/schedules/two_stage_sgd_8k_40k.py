# Two stages in one run (DeFT paper, Sec. 4.1): SGD momentum 0.9, lr 1e-2; warm-up 8K iterations
# with weight decay 5e-3, then 40K iterations with weight decay 5e-4; poly(0.9) decay restarted
# for each stage. The warm-up length is set once, in train_cfg.warmup_iters: schedulers with
# stage='warmup'/'decoupled' get their begin/end from it. Used by DeFT (deft_sgd_8k_40k.py) and
# the LP-FT / freezing baselines (StagedEncoderDecoder). The optimizer state (SGD momentum) starts
# afresh at the switch: Alg. 1 and Alg. 2 of the DeFT paper are two separate training loops
# (docs/deft.md, "Optimizer state at the switch").
optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
param_scheduler = [
    dict(type='StagePolyLR', stage='warmup', power=0.9, eta_min=0.0),
    dict(type='StagePolyLR', stage='decoupled', power=0.9, eta_min=0.0),
    dict(type='StageConstantParamScheduler', param_name='weight_decay', value=5e-3, stage='warmup'),
    dict(
        type='StageConstantParamScheduler',
        param_name='weight_decay',
        value=5e-4,
        stage='decoupled'),
]
train_cfg = dict(
    type='TwoStageTrainLoop',
    warmup_iters=8000,
    decoupled_iters=40000,
    val_interval=4000,
    reset_optimizer_state=True)
# warm-up: the frozen encoder gets no gradient, so DDP must allow unused parameters. Buffers are
# not broadcast (mmengine's default): EMA/anchor tensors are updated identically on every rank.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True, broadcast_buffers=False)
