# Frozen DINOv2-L + Mask2Former, Cityscapes -> ACDC (val; all conditions and each) and BDD100K: the
# "Freeze" rows of the FisherTune paper's Table 2. Rein's recipe.
_base_ = [
    '../../_base_/models/vfm_dinov2-l_mask2former.py',
    '../../_base_/datasets/cityscapes_to_acdc_bdd_512.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_poly_40k_peft.py'
]
