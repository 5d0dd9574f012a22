# Mask2Former of mask2former_r50.py at a tiny size (ResNet-18 at 1/8 width, 16-channel pixel and
# transformer decoders with one/two layers, 8 queries, random init) for the demo data on CPU.
_base_ = ['./mask2former_r50.py']
data_preprocessor = dict(size=(64, 64))
_attn = dict(embed_dims=16, num_heads=2)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        depth=18,
        base_channels=8,
        stem_channels=8,
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None),
    decode_head=dict(
        in_channels=[8, 16, 32, 64],
        feat_channels=16,
        out_channels=16,
        num_queries=8,
        pixel_decoder=dict(
            norm_cfg=dict(type='GN', num_groups=4),
            encoder=dict(
                num_layers=1,
                layer_cfg=dict(
                    self_attn_cfg=dict(_attn, num_points=2),
                    ffn_cfg=dict(embed_dims=16, feedforward_channels=32))),
            positional_encoding=dict(num_feats=8)),
        positional_encoding=dict(num_feats=8),
        transformer_decoder=dict(
            num_layers=2,
            layer_cfg=dict(
                self_attn_cfg=_attn,
                cross_attn_cfg=_attn,
                ffn_cfg=dict(embed_dims=16, feedforward_channels=32))),
        train_cfg=dict(num_points=256)))
