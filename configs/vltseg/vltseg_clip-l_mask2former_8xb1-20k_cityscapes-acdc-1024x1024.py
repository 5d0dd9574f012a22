# VLTSeg with OpenAI CLIP ViT-L/14 (VLTSeg paper, Cityscapes -> ACDC table, CLIP row): the
# Cityscapes -> ACDC recipe of the EVA-CLIP config (crop 1024, batch 8, 20K iterations) with the
# CLIP towers of _base_/models/vltseg_clip-l_mask2former.py.
_base_ = [
    './vltseg_eva-clip-l_mask2former_8xb1-20k_cityscapes-acdc-1024x1024.py',
    '../_base_/models/clip-l14_vit.py'
]
clip = 'checkpoints/vltseg_clip-l14_converted.pth'
model = dict(
    backbone=dict(
        vit=dict(_base_.clip_l14_vit, _delete_=True, img_size=1024),
        init_cfg=dict(checkpoint=clip)),
    decode_head=dict(
        text_encoder=dict(act_cfg=dict(type='QuickGELU')),
        pixel_norm_eps=1e-5,
        init_cfg=dict(checkpoint=clip)))
