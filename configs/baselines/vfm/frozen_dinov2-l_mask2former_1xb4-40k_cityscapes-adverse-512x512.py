# Frozen DINOv2-L + Mask2Former, Cityscapes -> the six adverse-weather targets of the FisherTune
# paper's Table 3 ("Freeze": 50.3 / 43.7 / 54.3 / 40.8 / 66.1 / 71.7, mean 54.5). Rein's recipe.
_base_ = [
    '../../_base_/models/vfm_dinov2-l_mask2former.py',
    '../../_base_/datasets/cityscapes_to_adverse_512.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_poly_40k_peft.py'
]
