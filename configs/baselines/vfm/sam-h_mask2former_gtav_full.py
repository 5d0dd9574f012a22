# Fully finetuned SAM (Huge) + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "SAM (Huge) Full":
# 57.6 / 51.7 / 61.5). Rein's recipe.
_base_ = ['./sam-h_mask2former_gtav_frozen.py']
model = dict(backbone=dict(freeze_vit=False))
