# Rein on a frozen DINOv2-L + Mask2Former, Cityscapes -> ACDC (per condition and all) and BDD100K
# (paper 002 Table 3 setting; the paper reports the ACDC *test* server: use the val split here).
_base_ = [
    '../_base_/models/rein_dinov2-l_mask2former.py',
    '../_base_/datasets/cityscapes_to_acdc_bdd_512.py', '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k_peft.py'
]
