# Frozen EVA02 (Large) + Mask2Former, GTAV -> C/B/M (Rein paper Table 2, "EVA02 (Large) Freeze": 56.5 / 53.6 / 58.6).
_base_ = [
    '../../_base_/models/vfm_eva02-l_mask2former.py',
    '../../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_poly_40k_peft.py'
]
