# Fully finetuned DINOv2-L + Mask2Former (Rein paper Table 2, "DINOv2 (Large) Full": 63.7 / 57.4 /
# 64.2; 304.20M trainable backbone parameters, ours 304,196,608). Rein's recipe.
_base_ = ['./frozen_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(backbone=dict(freeze_vit=False))
