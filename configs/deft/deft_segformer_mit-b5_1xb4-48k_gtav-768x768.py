# DeFT with SegFormer / MiT-B5, GTAV -> Cityscapes, BDD100K, Mapillary (DeFT paper, Table 9:
# 57.16 / 49.32 / 59.99). DeFT's stages, beta 0.9999 and augmentations; SegFormer's optimizer
# recipe (see _base_/schedules/deft_adamw_segformer.py).
_base_ = [
    '../_base_/models/segformer_mit-b5.py', '../_base_/datasets/gtav_to_cbm_768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/deft_adamw_segformer.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV')
