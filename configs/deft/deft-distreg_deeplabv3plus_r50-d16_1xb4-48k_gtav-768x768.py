# The DeFT paper, Table 3, "DeFT + Distance Regularization" (51.09 / 43.46 / 51.58): Eq. 3 on the usual
# components e1 and d2, anchored when decoupled finetuning starts (alpha: see docs/baselines.md).
_base_ = ['./deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
model = dict(distance_reg=dict(type='ParamDistanceRegularizer', alpha=1e-3))
