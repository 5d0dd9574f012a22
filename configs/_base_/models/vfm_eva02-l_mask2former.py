# A frozen EVA02-L with Mask2Former (paper 002 Table 2, EVA02 rows): mmpretrain's ViTEVA02 (rotary
# embeddings, sub-LN, SwiGLU) with patch 16 at 512 and drop path 0.2 as the Rein release; weights:
# `tools/model_converters/vfm.py eva02 eva02_L_pt_m38m_p14.pt checkpoints/eva02_L_converted.pth
# --patch-size 16`.
_base_ = ['./vfm_dinov2-l_mask2former.py']
model = dict(
    backbone=dict(
        vit=dict(_delete_=True, type='mmpretrain.ViTEVA02', arch='l', sub_ln=True,
                 patch_size=16, img_size=512, drop_path_rate=0.2),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/eva02_L_converted.pth')))
