# The OpenAI CLIP ViT-L/14 image tower as an mmpretrain VisionTransformer (pre-norm, no layer
# scale, LayerNorm eps 1e-5, QuickGELU, patch 14), for the VLTSeg CLIP configs:
# `vit=dict(_base_.clip_l14_vit, img_size=...)`. A variable only (no model): it can be a base
# beside a model file.
clip_l14_vit = dict(
    type='mmpretrain.VisionTransformer',
    arch='large',
    patch_size=14,
    img_size=512,
    pre_norm=True,
    layer_scale_init_value=0.0,
    drop_path_rate=0.2,
    norm_cfg=dict(type='LN', eps=1e-5),
    layer_cfgs=dict(act_cfg=dict(type='mmpretrain.QuickGELU')))
