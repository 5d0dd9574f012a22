# VLTSeg with OpenAI CLIP ViT-L/14 (VLTSeg paper, CLIP rows): the image tower (clip-l14_vit.py),
# fully finetuned, and the frozen CLIP text tower (QuickGELU). Weights:
#   python tools/model_converters/vfm.py vltseg-clip ViT-L-14.pt \
#       checkpoints/vltseg_clip-l14_converted.pth
_base_ = ['./vltseg_eva-clip-l_mask2former.py', './clip-l14_vit.py']
vltseg_checkpoint = 'checkpoints/vltseg_clip-l14_converted.pth'
model = dict(
    backbone=dict(
        vit=dict(_base_.clip_l14_vit, _delete_=True), init_cfg=dict(checkpoint=vltseg_checkpoint)),
    decode_head=dict(
        text_encoder=dict(act_cfg=dict(type='QuickGELU')),
        pixel_norm_eps=1e-5,
        init_cfg=dict(checkpoint=vltseg_checkpoint)))
