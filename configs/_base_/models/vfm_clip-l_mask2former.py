# A frozen CLIP ViT-L/14 (OpenAI) image encoder with Mask2Former (Rein paper Table 2, CLIP rows):
# mmpretrain's VisionTransformer with CLIP's pre-norm and QuickGELU; weights from
# tools/model_converters/clip.py (checkpoints/clip_vitl14_converted.pth).
_base_ = ['./vfm_dinov2-l_mask2former.py']
model = dict(
    backbone=dict(
        vit=dict(patch_size=14, img_size=512, pre_norm=True, layer_scale_init_value=0.0,
                 norm_cfg=dict(type='LN', eps=1e-5),
                 layer_cfgs=dict(act_cfg=dict(type='mmpretrain.QuickGELU'))),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/clip_vitl14_converted.pth')))
