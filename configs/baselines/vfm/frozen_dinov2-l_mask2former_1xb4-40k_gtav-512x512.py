# Frozen DINOv2-L + Mask2Former, GTAV -> Cityscapes, BDD100K, Mapillary (Rein paper Table 2,
# "DINOv2 (Large) Freeze": 63.3 / 56.1 / 63.9; 0.00M trainable backbone parameters). Rein's recipe.
_base_ = [
    '../../_base_/models/vfm_dinov2-l_mask2former.py',
    '../../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_poly_40k_peft.py'
]
