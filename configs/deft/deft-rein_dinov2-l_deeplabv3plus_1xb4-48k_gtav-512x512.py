# DeFT on Rein / frozen DINOv2-L with a DeepLabv3+ head (through MultiLevelNeck), GTAV -> C/B/M:
# deft-rein_dinov2-l_mask2former_1xb4-48k_gtav-512x512.py with the network of
# rein_dinov2-l_deeplabv3plus_1xb4-40k_gtav-512x512.py (our combination). The two pathways share
# one frozen ViT trunk; the Rein layers are the encoder, the neck (randomly initialized) and the
# head the decoder (DualPathwaySegmentor's default neck_part='decoder': they warm up together).
# DeFT's stages and beta with the Rein optimizer recipe (_base_/schedules/deft_adamw_peft.py).
_base_ = [
    '../_base_/models/rein_dinov2-l_deeplabv3plus.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/deft_adamw_peft.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV', neck_part='decoder')
