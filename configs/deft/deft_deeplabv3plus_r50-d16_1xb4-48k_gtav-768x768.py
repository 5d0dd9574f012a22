# DeFT, DeepLabv3+ / ImageNet ResNet-50, GTAV -> Cityscapes, BDD100K, Mapillary
# (DeFT paper, Table 4 "DeFT (Ours)" R50: 50.06 / 43.17 / 50.51, avg 47.91).
# The literal algorithm and the protocol of the codebase the paper's baselines come from
# (shachoi/RobustNet), docs/deft.md "DeFT as the paper ran it":
# - Sec. 4.1: batch 4; 8K warm-up (lr 1e-2, wd 5e-3) + 40K decoupled (lr 1e-2, wd 5e-4), SGD
#   momentum 0.9, poly 0.9 per stage; crop 768, colour jitter, Gaussian blur, flip 0.5, scale
#   0.5-2.0; beta 0.9999; no auxiliary head. Final model d~1 o e~2 (Table 7, IV);
# - Alg. 1 line 5 freezing_weights(e) = RobustNet's freeze_weights: the frozen encoder keeps
#   batch statistics (frozen_module_mode='train'); Alg. 1 and 2 are separate loops: a fresh
#   optimizer state at the switch (reset_optimizer_state, schedules/two_stage_sgd_8k_40k.py);
# - RobustNet's DeepR50V3PlusD (torchvision ResNet-50, output stride 16) and its data protocol
#   (class-uniform sampling, native-size scaling and evaluation).
# "r50-d16": output stride 16, mmseg's naming (the mmseg-native variant is r50-d8).
# mmseg's network and pipelines with eval-mode freezing: the *_mmseg-native.py variant.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d16_robustnet.py',
    '../_base_/datasets/gtav_to_cbm_768_robustnet.py', '../_base_/default_runtime.py',
    '../_base_/schedules/deft_sgd_8k_40k.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV', frozen_module_mode='train')
