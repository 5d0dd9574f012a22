# DeFT, Cityscapes -> BDD100K, SYNTHIA, GTAV with the mmseg-native choices (mmseg's DeepLabv3+ at
# output stride 8, mmseg pipelines, targets resized to fit 2048x1024, eval-mode freezing, momentum
# carried over): compare with deft_deeplabv3plus_r50-d16_1xb4-42k_cityscapes-768x768.py.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/cityscapes_to_bsg_768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/deft_sgd_8k_40k.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV', frozen_module_mode='eval')
train_cfg = dict(warmup_iters=2000, decoupled_iters=40000, reset_optimizer_state=False)
