# Fully finetuned EVA02-L + Mask2Former, Cityscapes -> ACDC / BDD100K: the "Full" rows of the
# FisherTune paper's Table 2 (304.20M trainable).
_base_ = ['./frozen_eva02-l_mask2former_1xb4-40k_cityscapes-512x512.py']
model = dict(backbone=dict(freeze_vit=False))
