# DeFT, ResNet-50, Cityscapes -> BDD100K, SYNTHIA, GTAV (DeFT paper, Table 5: 53.12 / 28.87 /
# 48.72). Warm-up is 2K iterations for Cityscapes (Sec. 4.1); decoupled finetuning 40K.
# SYNTHIA as a target is scored on its 16 classes (SynthiaDataset metainfo, docs/datasets.md).
# The paper's algorithm with RobustNet's network and Cityscapes protocol, as the GTAV config
# (deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py); mmseg-native choices: the
# *_mmseg-native.py variant.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d16_robustnet.py',
    '../_base_/datasets/cityscapes_to_bsg_768_robustnet.py', '../_base_/default_runtime.py',
    '../_base_/schedules/deft_sgd_8k_40k.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV', frozen_module_mode='train')
train_cfg = dict(warmup_iters=2000, decoupled_iters=40000)
