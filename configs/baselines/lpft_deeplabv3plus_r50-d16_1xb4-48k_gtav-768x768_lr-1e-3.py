# The DeFT paper, Table 2: joint finetuning after the warm-up with learning rate 1e-3 (the warm-up
# keeps lr 1e-2): StagePolyLR of the second stage starts from factor 0.1 x 1e-2.
_base_ = ['./lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
param_scheduler = [
    dict(type='StagePolyLR', stage='warmup', power=0.9, eta_min=0.0),
    dict(type='StagePolyLR', stage='decoupled', power=0.9, eta_min=0.0, factor=0.1),
    dict(type='StageConstantParamScheduler', param_name='weight_decay', value=5e-3, stage='warmup'),
    dict(
        type='StageConstantParamScheduler',
        param_name='weight_decay',
        value=5e-4,
        stage='decoupled'),
]
