# Joint finetuning after a decoder warm-up (LP-FT): the DeFT paper Table 6 row 4, Table 2 (lr 1e-2),
# Table 3 "Joint Finetuning": 42.32 / 40.33 / 44.88. The DeFT recipe (8K warm-up with the encoder
# frozen, then 40K iterations, SGD lr 1e-2, per-stage poly and weight decay, full augmentation,
# no auxiliary head) with joint instead of decoupled finetuning in stage 2; the frozen encoder
# keeps batch statistics (RobustNet's freeze_weights) and the optimizer state starts afresh at the
# switch, with RobustNet's network and protocol, as the DeFT config. mmseg-native choices: the
# *_mmseg-native.py variant.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d16_robustnet.py',
    '../_base_/datasets/gtav_to_cbm_768_robustnet.py', '../_base_/default_runtime.py',
    '../_base_/schedules/two_stage_sgd_8k_40k.py'
]
model = dict(type='StagedEncoderDecoder', after_warmup='joint', frozen_module_mode='train')
