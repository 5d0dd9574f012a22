# Fully finetuned SAM (Huge) + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "SAM (Huge) Full":
# 57.6 / 51.7 / 61.5). Rein's recipe.
_base_ = ['./frozen_sam-h_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(backbone=dict(freeze_vit=False))
