# vfm_dinov2-l_deeplabv3plus.py at a tiny size (the tiny ViT of vfm_vit_tiny_demo.py, a 16-channel
# neck and head, random init) for the demo data on CPU.
_base_ = ['./vfm_dinov2-l_deeplabv3plus.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(
        vit=dict(
            arch=dict(
                _delete_=True, embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64),
            patch_size=8,
            img_size=64),
        out_indices=(0, 1, 2, 3),
        init_cfg=None),
    neck=dict(in_channels=[32, 32, 32, 32], out_channels=16),
    decode_head=dict(
        in_channels=16,
        channels=16,
        dilations=(1, 2, 3, 4),
        c1_in_channels=16,
        c1_channels=8,
        norm_cfg=norm_cfg),
    test_cfg=dict(_delete_=True, mode='whole'))
