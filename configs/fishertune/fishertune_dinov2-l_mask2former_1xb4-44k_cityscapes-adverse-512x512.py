# FisherTune on DINOv2-L + Mask2Former, Cityscapes -> Foggy Zurich / Foggy Driving / Dark Zurich /
# Nighttime Driving / ACDC-Rain / ACDC-Snow (FisherTune paper Table 3, "Ours": 56.9 / 60.0 / 66.6 /
# 53.2 / 78.6 / 82.2, mean 66.3).
_base_ = [
    '../_base_/models/fishertune_dinov2-l_mask2former.py',
    '../_base_/datasets/cityscapes_to_adverse_512.py', '../_base_/default_runtime.py',
    '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
