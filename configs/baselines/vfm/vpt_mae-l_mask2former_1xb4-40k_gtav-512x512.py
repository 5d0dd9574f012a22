# VPT (deep prompts, 150 per block) on a frozen MAE ViT-L/16 + Mask2Former, GTAV -> C/B/M: the VPT row of
# the FisherTune paper's Table 1 (3.69M trainable). Rein's recipe.
_base_ = ['./frozen_mae-l_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(backbone=dict(peft=dict(type='ViTDeepPrompt', num_layers=24, embed_dims=1024)))
