# A frozen EVA02-L with Mask2Former (Rein paper Table 2, EVA02 rows): mmpretrain's ViTEVA02 (sub-LN,
# SwiGLU) with the released EVA-02 rotary embedding and LayerNorm eps 1e-6 (deft_mmseg's), with
# patch 16 at 512 and drop path 0.2 as the Rein release; weights:
# `tools/model_converters/vfm.py eva02 eva02_L_pt_m38m_p14.pt checkpoints/eva02_L_converted.pth
# --patch-size 16`.
_base_ = ['./vfm_dinov2-l_mask2former.py']
model = dict(
    backbone=dict(
        vit=dict(
            _delete_=True,
            type='mmpretrain.ViTEVA02',
            arch='l',
            sub_ln=True,
            patch_size=16,
            img_size=512,
            drop_path_rate=0.2,
            norm_cfg=dict(type='LN', eps=1e-6)),  # the release's LayerNorm eps
        # the release's rotary embedding (pre-training grid 224/14 = 16), not mmpretrain's
        eva02_rope=dict(pt_grid=16),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/eva02_L_converted.pth')))
