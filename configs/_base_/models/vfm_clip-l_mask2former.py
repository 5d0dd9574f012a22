# A frozen CLIP ViT-L/14 (OpenAI) image encoder with Mask2Former (Rein paper Table 2, CLIP rows):
# the CLIP image tower of clip-l14_vit.py (shared with VLTSeg's CLIP configs) without drop path,
# as the Rein release runs its frozen VFMs; weights from tools/model_converters/clip.py
# (checkpoints/clip_vitl14_converted.pth).
_base_ = ['./vfm_dinov2-l_mask2former.py', './clip-l14_vit.py']
model = dict(
    backbone=dict(
        vit=dict(_base_.clip_l14_vit, _delete_=True, drop_path_rate=0.0),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/clip_vitl14_converted.pth')))
