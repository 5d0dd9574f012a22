# AdaptFormer (bottleneck 64) on a frozen EVA02-L + Mask2Former, GTAV -> Cityscapes, BDD100K,
# Mapillary: the PEFT baseline of the Rein paper Table 5 and the FisherTune paper's Tables 1 and 5
# ("AdaptFormer", EVA02: 63.7 / 59.9 / 64.2, 3.17M trainable; here 3,171,840). Rein's recipe.
_base_ = ['./frozen_eva02-l_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(backbone=dict(peft=dict(type='ViTAdaptFormer', num_layers=24, embed_dims=1024)))
