# A frozen MAE ViT-L/16 with Mask2Former (Rein paper Table 2, MAE rows). MAE's timm-style keys are
# DINOv2's without layer scale: convert with `tools/model_converters/vfm.py dinov2
# mae_pretrain_vit_large.pth checkpoints/mae_vitl_converted.pth`.
_base_ = ['./vfm_dinov2-l_mask2former.py']
model = dict(
    backbone=dict(
        vit=dict(patch_size=16, layer_scale_init_value=0.0),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/mae_vitl_converted.pth')))
