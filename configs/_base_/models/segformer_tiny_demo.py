# SegFormer of segformer_mit-b5.py at a tiny size (MiT with 8-64 channels, one layer per stage,
# random init) that trains on the demo data on CPU.
_base_ = ['./segformer_mit-b5.py']
data_preprocessor = dict(size=(64, 64))
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        embed_dims=8,
        num_layers=[1, 1, 1, 1],
        num_heads=[1, 2, 4, 8],
        mlp_ratio=2,
        drop_path_rate=0.0,
        init_cfg=None),
    decode_head=dict(
        in_channels=[8, 16, 32, 64], channels=32, norm_cfg=dict(type='BN', requires_grad=True)))
