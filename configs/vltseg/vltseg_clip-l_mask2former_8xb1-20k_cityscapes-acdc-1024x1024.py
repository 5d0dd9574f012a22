# VLTSeg with OpenAI CLIP ViT-L/14 (VLTSeg paper, Cityscapes -> ACDC table, CLIP row): the
# Cityscapes -> ACDC recipe of the EVA-CLIP config (crop 1024, batch 8, 20K iterations) with the
# CLIP towers (_base_/models/vltseg_clip-l_mask2former.py).
_base_ = ['./vltseg_eva-clip-l_mask2former_8xb1-20k_cityscapes-acdc-1024x1024.py']
clip = 'checkpoints/vltseg_clip-l14_converted.pth'
model = dict(
    backbone=dict(
        vit=dict(_delete_=True, type='mmpretrain.VisionTransformer', arch='large',
                 patch_size=14, img_size=1024, pre_norm=True, layer_scale_init_value=0.0,
                 drop_path_rate=0.2, norm_cfg=dict(type='LN', eps=1e-5),
                 layer_cfgs=dict(act_cfg=dict(type='mmpretrain.QuickGELU'))),
        init_cfg=dict(checkpoint=clip)),
    decode_head=dict(
        text_encoder=dict(act_cfg=dict(type='QuickGELU')),
        pixel_norm_eps=1e-5,
        init_cfg=dict(checkpoint=clip)))
