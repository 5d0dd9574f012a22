# A frozen SAM ViT-H image encoder with Mask2Former (Rein paper Table 2, SAM rows): mmpretrain's
# ViTSAM (windowed attention, global blocks 7/15/23/31, no class token) at 512; weights:
# `tools/model_converters/vfm.py sam sam_vit_h_4b8939.pth checkpoints/sam_vit_h_converted.pth`.
_base_ = ['./vfm_dinov2-l_mask2former.py']
model = dict(
    backbone=dict(
        vit=dict(
            _delete_=True,
            type='mmpretrain.ViTSAM',
            arch='huge',
            patch_size=16,
            img_size=512,
            window_size=14),
        out_indices=(7, 15, 23, 31),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/sam_vit_h_converted.pth')),
    decode_head=dict(in_channels=[1280, 1280, 1280, 1280]))
