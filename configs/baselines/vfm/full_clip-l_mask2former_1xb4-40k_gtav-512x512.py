# Fully finetuned CLIP ViT-L + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "CLIP (ViT-Large)
# Full": 51.3 / 47.6 / 54.3; 304.15M trainable). Rein's recipe.
_base_ = ['./frozen_clip-l_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(backbone=dict(freeze_vit=False))
