# A frozen DINOv2-L with Mask2Former (Rein paper Table 2 "Freeze"; set
# model.backbone.freeze_vit=False for "Full"). The ViT runs with patch 16 at 512x512 as in the Rein
# release; weights from tools/model_converters/dinov2.py (checkpoints/dinov2_vitl_converted.pth).
_base_ = ['./mask2former_r50.py']
data_preprocessor = dict(size=(512, 512))
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='VFMVisionTransformer',
        vit=dict(
            type='mmpretrain.VisionTransformer',
            arch='large',
            patch_size=16,
            img_size=512,
            layer_scale_init_value=1e-5,
            drop_path_rate=0.0),
        out_indices=(7, 11, 15, 23),
        scales=(4, 2, 1, 0.5),
        freeze_vit=True,
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/dinov2_vitl_converted.pth')),
    decode_head=dict(in_channels=[1024, 1024, 1024, 1024]),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
