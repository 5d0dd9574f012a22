# FisherTune on DINOv2-L + Mask2Former, GTAV -> Cityscapes / BDD100K / Mapillary (FisherTune paper Table 1:
# 68.2 / 63.3 / 68.0, 15.21M trainable VFM parameters).
_base_ = [
    '../_base_/models/fishertune_dinov2-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
