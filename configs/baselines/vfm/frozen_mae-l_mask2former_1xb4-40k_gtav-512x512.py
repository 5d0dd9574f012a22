# Frozen MAE ViT-L + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "MAE (Large) Freeze": 43.3 /
# 37.8 / 48.0). Rein's recipe.
_base_ = [
    '../../_base_/models/vfm_mae-l_mask2former.py',
    '../../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_poly_40k_peft.py'
]
