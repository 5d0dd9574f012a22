# FisherTune on CLIP ViT-L/14 + Mask2Former, GTAV -> Cityscapes / BDD100K / Mapillary (FisherTune
# paper Table 1: 59.2 / 57.5 / 61.0; 5 % of 304,317,440 = 15,215,872 VFM parameters, the table's
# 15.21M up to rounding).
_base_ = [
    '../_base_/models/fishertune_clip-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
