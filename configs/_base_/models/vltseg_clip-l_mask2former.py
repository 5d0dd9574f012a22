# VLTSeg with OpenAI CLIP ViT-L/14 (VLTSeg paper, CLIP rows): the image tower (pre-norm,
# QuickGELU, patch 14), fully finetuned, and the frozen CLIP text tower (QuickGELU). Weights:
#   python tools/model_converters/vfm.py vltseg-clip ViT-L-14.pt \
#       checkpoints/vltseg_clip-l14_converted.pth
_base_ = ['./vltseg_eva-clip-l_mask2former.py']
vltseg_checkpoint = 'checkpoints/vltseg_clip-l14_converted.pth'
model = dict(
    backbone=dict(
        vit=dict(_delete_=True, type='mmpretrain.VisionTransformer', arch='large',
                 patch_size=14, img_size=512, pre_norm=True, layer_scale_init_value=0.0,
                 drop_path_rate=0.2, norm_cfg=dict(type='LN', eps=1e-5),
                 layer_cfgs=dict(act_cfg=dict(type='mmpretrain.QuickGELU'))),
        init_cfg=dict(checkpoint=vltseg_checkpoint)),
    decode_head=dict(
        text_encoder=dict(act_cfg=dict(type='QuickGELU')),
        pixel_norm_eps=1e-5,
        init_cfg=dict(checkpoint=vltseg_checkpoint)))
