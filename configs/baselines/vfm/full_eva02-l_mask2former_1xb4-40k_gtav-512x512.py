# Fully finetuned EVA02 (Large) + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "EVA02 (Large) Full":
# 62.1 / 56.2 / 64.6). Rein's recipe.
_base_ = ['./frozen_eva02-l_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(backbone=dict(freeze_vit=False))
