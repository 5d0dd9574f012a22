# Ablation: the EVA02-CLIP-L/14 image tower and recipe of
# vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512.py with a plain Mask2Former head (a linear
# classifier, no text tower, no PTM loss): the simple-finetuning reading of the VLTSeg paper's
# final version. Weights: the same converted file (its backbone.* part).
_base_ = [
    '../_base_/models/vfm_eva-clip-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/vltseg_adamw_poly_5k.py'
]
model = dict(backbone=dict(freeze_vit=False))
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16
