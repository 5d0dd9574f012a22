# Fully finetuned EVA02-L + Mask2Former, Cityscapes -> ACDC / BDD100K: the "Full" rows of the
# FisherTune paper's Table 2 (304.20M trainable).
_base_ = ['./eva02-l_mask2former_cityscapes_frozen.py']
model = dict(backbone=dict(freeze_vit=False))
