# Frozen CLIP ViT-L + Mask2Former (Rein paper Table 2, "CLIP (ViT-Large) Freeze": 53.7 / 48.7 /
# 55.0). Rein's recipe.
_base_ = [
    '../../_base_/models/vfm_clip-l_mask2former.py',
    '../../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_poly_40k_peft.py'
]
