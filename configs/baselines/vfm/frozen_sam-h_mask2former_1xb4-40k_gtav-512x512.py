# Frozen SAM (Huge) + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "SAM (Huge) Freeze": 57.0 / 47.1 / 58.4).
_base_ = [
    '../../_base_/models/vfm_sam-h_mask2former.py',
    '../../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_poly_40k_peft.py'
]
