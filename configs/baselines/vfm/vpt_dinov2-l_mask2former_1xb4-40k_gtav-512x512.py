# VPT-deep (150 prompts per block) on a frozen DINOv2-L + Mask2Former, GTAV -> Cityscapes, BDD100K, Mapillary: the PEFT
# baseline of the Rein paper Table 5 (there on EVA02-L: 3.69M trainable parameters; the same count
# here). Rein's recipe.
_base_ = ['./frozen_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(backbone=dict(peft=dict(type='ViTDeepPrompt', num_layers=24, embed_dims=1024)))
