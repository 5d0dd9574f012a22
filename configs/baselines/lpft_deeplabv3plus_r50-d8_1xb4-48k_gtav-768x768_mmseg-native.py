# LP-FT with the mmseg-native choices (mmseg's DeepLabv3+ at output stride 8, mmseg pipelines,
# targets resized to fit 2048x1024, frozen encoder in eval mode, warm-up momentum carried over):
# compare with lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/gtav_to_cbm_768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/two_stage_sgd_8k_40k.py'
]
model = dict(type='StagedEncoderDecoder', after_warmup='joint', frozen_module_mode='eval')
train_cfg = dict(reset_optimizer_state=False)
