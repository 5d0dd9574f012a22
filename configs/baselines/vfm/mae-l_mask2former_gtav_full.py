# Fully finetuned MAE ViT-L + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "MAE (Large) Full":
# 53.7 / 50.8 / 58.1). Rein's recipe.
_base_ = ['./mae-l_mask2former_gtav_frozen.py']
model = dict(backbone=dict(freeze_vit=False))
