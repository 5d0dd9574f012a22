# Rein on a frozen CLIP (ViT-Large) + Mask2Former, GTAV -> Cityscapes, BDD100K, Mapillary (Rein paper
# Table 2, "CLIP (ViT-Large) Rein": 57.1 / 54.7 / 60.5; 2.99M trainable backbone parameters). The release's recipe:
# crop 512, batch 4, AdamW lr 1e-4, weight decay 0.05, 40K iterations, poly 0.9.
_base_ = [
    '../_base_/models/rein_clip-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k_peft.py'
]
