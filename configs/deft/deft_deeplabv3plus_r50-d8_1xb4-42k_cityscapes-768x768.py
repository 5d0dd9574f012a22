# DeFT, ResNet-50, Cityscapes -> BDD100K, SYNTHIA, GTAV (DeFT paper, Table 5: 53.12 / 28.87 /
# 48.72). Warm-up is 2K iterations for Cityscapes (Sec. 4.1); decoupled finetuning 40K.
# SYNTHIA as a target is scored on its 16 classes (SynthiaDataset metainfo, docs/datasets.md).
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/cityscapes_to_bsg_768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/deft_sgd_8k_40k.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV')
train_cfg = dict(warmup_iters=2000, decoupled_iters=40000)
