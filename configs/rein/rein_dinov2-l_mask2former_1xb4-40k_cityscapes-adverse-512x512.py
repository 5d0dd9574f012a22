# Rein on a frozen DINOv2-L + Mask2Former, Cityscapes -> the six adverse-weather targets of the
# FisherTune paper's Table 3 ("REIN": 55.5 / 58.2 / 64.3 / 50.3 / 78.2 / 79.5, mean 64.3).
_base_ = [
    '../_base_/models/rein_dinov2-l_mask2former.py',
    '../_base_/datasets/cityscapes_to_adverse_512.py', '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k_peft.py'
]
