# Fully finetuned DINOv2-L + Mask2Former, Cityscapes -> the six adverse-weather targets of the
# FisherTune paper's Table 3 ("Full": 50.4 / 55.3 / 62.7 / 47.7 / 75.2 / 76.8, mean 61.3).
_base_ = ['./frozen_dinov2-l_mask2former_1xb4-40k_cityscapes-adverse-512x512.py']
model = dict(backbone=dict(freeze_vit=False))
