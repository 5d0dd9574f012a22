# DeFT with this project's earlier, mmseg-native choices where the paper is silent, to compare
# with the paper-protocol config deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py
# (docs/deft.md, "DeFT as the paper ran it"):
# - mmseg's DeepLabv3+ (ResNetV1c deep stem, open-mmlab weights, output stride 8, depthwise-
#   separable ASPP head with dropout), deeplabv3plus_r50-d8.py;
# - mmseg pipelines: GTAV resized to 1280x720 before scaling 0.5-2.0, RandomCrop with
#   cat_max_ratio 0.75, PhotoMetricDistortion, blur with probability 0.5; every target resized
#   to fit 2048x1024; no class-uniform sampling (gtav_to_cbm_768.py);
# - the frozen encoder in eval mode during the warm-up (ImageNet statistics kept), switched to
#   train mode at the stage switch; the decoder's warm-up momentum carried into stage 2.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/gtav_to_cbm_768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/deft_sgd_8k_40k.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV', frozen_module_mode='eval')
train_cfg = dict(reset_optimizer_state=False)
