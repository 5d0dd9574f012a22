# Rein on a frozen DINOv2 (Large) + Mask2Former, Cityscapes -> ACDC (val; all conditions and each) and
# BDD100K (the setting of the Rein paper Table 3, which reports the ACDC test server).
_base_ = [
    '../_base_/models/rein_dinov2-l_mask2former.py',
    '../_base_/datasets/cityscapes_to_acdc_bdd_512.py', '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k_peft.py'
]
