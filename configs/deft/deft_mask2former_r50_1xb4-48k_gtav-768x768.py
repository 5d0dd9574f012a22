# DeFT with Mask2Former / ResNet-50, GTAV -> Cityscapes, BDD100K, Mapillary. DeFT's stages,
# beta 0.9999 and augmentations; Mask2Former's optimizer recipe
# (see _base_/schedules/deft_adamw_mask2former.py).
_base_ = [
    '../_base_/models/mask2former_r50.py', '../_base_/datasets/gtav_to_cbm_768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/deft_adamw_mask2former.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV')
