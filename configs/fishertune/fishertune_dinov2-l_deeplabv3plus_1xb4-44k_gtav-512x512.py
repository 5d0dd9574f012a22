# FisherTune on DINOv2-L with a DeepLabv3+ head (through MultiLevelNeck), GTAV -> C/B/M: the
# method of fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py with another decoder (our combination).
_base_ = [
    '../_base_/models/vfm_dinov2-l_deeplabv3plus.py', '../_base_/models/fishertune_method.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
model = {{_base_.fishertune_model}}
