# FisherTune on EVA02-L + Mask2Former, GTAV -> Cityscapes / BDD100K / Mapillary (FisherTune paper Table 1:
# 65.8 / 61.5 / 66.0).
_base_ = [
    '../_base_/models/fishertune_eva02-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
