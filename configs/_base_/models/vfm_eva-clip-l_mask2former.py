# The EVA02-CLIP-L/14 image tower (EVA-CLIP release) with a plain Mask2Former: mmpretrain's
# ViTEVA02 with the released attention (q/v biases, the attention sub-LN inner_attn_ln) and rotary
# embedding (pre-training grid 16), LayerNorm eps 1e-6, patch 14 (corner padding at 512: a 37x37
# grid). Frozen unless a config sets freeze_vit=False. Weights (the image tower of the one-file
# VLTSeg conversion, keys under backbone.):
#   python tools/model_converters/vfm.py vltseg-eva-clip EVA02_CLIP_L_psz14_s4B.pt \
#       checkpoints/vltseg_eva-clip-l14_converted.pth
_base_ = ['./vfm_dinov2-l_mask2former.py']
vltseg_checkpoint = 'checkpoints/vltseg_eva-clip-l14_converted.pth'
model = dict(
    backbone=dict(
        vit=dict(
            _delete_=True,
            type='mmpretrain.ViTEVA02',
            arch='l',
            sub_ln=True,
            patch_size=14,
            img_size=512,
            drop_path_rate=0.2,
            norm_cfg=dict(type='LN', eps=1e-6)),
        eva02_rope=dict(pt_grid=16),
        eva02_attention=dict(inner_attn_ln=True),
        init_cfg=dict(type='Pretrained', checkpoint=vltseg_checkpoint, prefix='backbone.')))
