# LoRA (rank 8 on q and v) on a frozen CLIP ViT-L/14 + Mask2Former, GTAV -> Cityscapes, BDD100K, Mapillary:
# the LoRA row of the FisherTune paper's Table 1 (0.79M trainable = rank 8 on a ViT-L's q and v;
# the Rein paper's LoRA, clip-l_mask2former_gtav_lora.py where present, uses rank 12 = 1.18M).
_base_ = ['./frozen_clip-l_mask2former_1xb4-40k_gtav-512x512.py']
model = dict(
    backbone=dict(peft=dict(type='ViTLoRA', num_layers=24, embed_dims=1024, rank=8, alpha=8.0)))
