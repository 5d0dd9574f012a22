# Fully finetuned MAE ViT-L + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "MAE (Large) Full":
# 53.7 / 50.8 / 58.1). Rein's recipe.
_base_ = ['./frozen_mae-l_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(backbone=dict(freeze_vit=False))
