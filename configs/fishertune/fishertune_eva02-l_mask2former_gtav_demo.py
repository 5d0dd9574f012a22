# fishertune_eva02-l_mask2former_gtav.py on the embedded demo data: a tiny EVA02 (mmpretrain
# ViTEVA02: the released rotary embedding, sub-LN, SwiGLU; random init) under the tiny Mask2Former.
_base_ = ['./fishertune_dinov2-l_mask2former_gtav_demo.py']
model = dict(backbone=dict(vit=dict(
    _delete_=True, type='mmpretrain.ViTEVA02', sub_ln=True, patch_size=8, img_size=64,
    norm_cfg=dict(type='LN', eps=1e-6),
    arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64)),
    eva02_rope=dict(pt_grid=16)))
