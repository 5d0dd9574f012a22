# Rein on a frozen DINOv2-L (paper 002, official release defaults): LoRA Reins (token length 100,
# rank 16) after each of the 24 blocks, tokens linked to the 100 Mask2Former queries; features of
# blocks 7, 11, 15, 23 rescaled x4, x2, x1, x0.5. As in the official release the ViT runs with
# patch 16 at 512x512 (its converter resizes DINOv2's 14x14 patch embedding); weights:
# checkpoints/dinov2_vitl_converted.pth (model converters: a later step, see docs/vfm.md).
_base_ = ['./mask2former_r50.py']
data_preprocessor = dict(size=(512, 512))
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='VFMVisionTransformer',
        vit=dict(type='mmpretrain.VisionTransformer', arch='large', patch_size=16, img_size=512,
                 layer_scale_init_value=1e-5, drop_path_rate=0.0),
        out_indices=(7, 11, 15, 23),
        scales=(4, 2, 1, 0.5),
        freeze_vit=True,
        reins=dict(type='LoRAReins', token_length=100, embed_dims=1024, num_layers=24,
                   patch_size=16, link_token_to_query=True, lora_dim=16),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/dinov2_vitl_converted.pth')),
    decode_head=dict(type='ReinMask2FormerHead', replace_query_feat=True,
                     in_channels=[1024, 1024, 1024, 1024]),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
