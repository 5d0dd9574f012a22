# vfm_dinov2-l_mask2former.py at a tiny size: a ViT with 32 channels and 4 blocks (patch 8, random
# init) under the tiny Mask2Former of mask2former_tiny_demo.py, for the demo data on CPU.
_base_ = ['./mask2former_tiny_demo.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='VFMVisionTransformer',
        vit=dict(
            type='mmpretrain.VisionTransformer',
            patch_size=8,
            img_size=64,
            arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64)),
        out_indices=(0, 1, 2, 3),
        scales=(4, 2, 1, 0.5),
        freeze_vit=True),
    decode_head=dict(in_channels=[32, 32, 32, 32]))
