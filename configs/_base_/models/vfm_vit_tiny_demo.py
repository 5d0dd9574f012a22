# vfm_dinov2-l_mask2former.py at a tiny size (ViT with 32 channels and 4 blocks, patch 8,
# 16-channel Mask2Former, random init) for the demo data on CPU.
_base_ = ['./vfm_dinov2-l_mask2former.py']
data_preprocessor = dict(size=(64, 64))
_attn = dict(embed_dims=16, num_heads=2)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        vit=dict(arch=dict(_delete_=True, embed_dims=32, num_layers=4, num_heads=2,
                           feedforward_channels=64),
                 patch_size=8, img_size=64),
        out_indices=(0, 1, 2, 3),
        init_cfg=None),
    decode_head=dict(
        in_channels=[32, 32, 32, 32], feat_channels=16, out_channels=16, num_queries=8,
        pixel_decoder=dict(
            norm_cfg=dict(type='GN', num_groups=4),
            encoder=dict(num_layers=1, layer_cfg=dict(
                self_attn_cfg=dict(_attn, num_points=2),
                ffn_cfg=dict(embed_dims=16, feedforward_channels=32))),
            positional_encoding=dict(num_feats=8)),
        positional_encoding=dict(num_feats=8),
        transformer_decoder=dict(num_layers=2, layer_cfg=dict(
            self_attn_cfg=_attn, cross_attn_cfg=_attn,
            ffn_cfg=dict(embed_dims=16, feedforward_channels=32))),
        train_cfg=dict(num_points=256)),
    test_cfg=dict(mode='whole'))
