# The DeFT paper, Table 6 row 3: without the auxiliary head, with the full augmentation (colour jitter,
# Gaussian blur, flip, scale, crop), no warm-up: 40.77 / 37.87 / 43.39. RobustNet's network and
# protocol, as the DeFT config.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d16_robustnet.py',
    '../_base_/datasets/gtav_to_cbm_768_robustnet.py', '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_40k.py'
]
