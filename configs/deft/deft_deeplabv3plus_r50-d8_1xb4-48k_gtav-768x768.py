# DeFT, DeepLabv3+ / ImageNet ResNet-50 (V1c), GTAV -> Cityscapes, BDD100K, Mapillary
# (DeFT paper, Table 4 "DeFT (Ours)" R50: 50.06 / 43.17 / 50.51, avg 47.91).
# Exact recipe of Sec. 4.1: batch 4; 8K warm-up (lr 1e-2, wd 5e-3) + 40K decoupled (lr 1e-2,
# wd 5e-4), SGD momentum 0.9, poly 0.9 per stage; crop 768, colour jitter, Gaussian blur, flip 0.5,
# scale 0.5-2.0; beta 0.9999; no auxiliary head. Final model d~1 o e~2 (Table 7, IV).
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/gtav_to_cbm_768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/deft_sgd_8k_40k.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV')
