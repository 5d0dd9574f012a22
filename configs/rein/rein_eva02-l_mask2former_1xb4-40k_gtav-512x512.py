# Rein on a frozen EVA02 (Large) + Mask2Former, GTAV -> Cityscapes, BDD100K, Mapillary (Rein paper
# Table 2, "EVA02 (Large) Rein": 65.3 / 60.5 / 64.9; 2.99M trainable backbone parameters). The release's recipe:
# crop 512, batch 4, AdamW lr 1e-4, weight decay 0.05, 40K iterations, poly 0.9.
_base_ = [
    '../_base_/models/rein_eva02-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k_peft.py'
]
