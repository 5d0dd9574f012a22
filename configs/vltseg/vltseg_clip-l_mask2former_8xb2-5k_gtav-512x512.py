# VLTSeg with OpenAI CLIP ViT-L/14 (VLTSeg paper, GTA5 -> real table, CLIP row): the recipe of
# vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512.py with the CLIP towers.
_base_ = [
    '../_base_/models/vltseg_clip-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/vltseg_adamw_poly_5k.py'
]
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16
