# VLTSeg-style transfer (VLTSeg paper): full finetuning of CLIP ViT-L/14 with a Mask2Former head,
# Cityscapes -> ACDC, BDD100K. VLTSeg's language-guided head and pixel-text matching loss are not part of this
# config; it is the CLIP-type full-finetuning baseline VLTSeg builds on. Rein's recipe (AdamW lr
# 1e-4, weight decay 0.05, 40K iterations, crop 512) with the backbone at lr x0.1, as usual for
# full finetuning of ViT encoders under Mask2Former.
_base_ = [
    '../../_base_/models/vfm_clip-l_mask2former.py',
    '../../_base_/datasets/cityscapes_to_acdc_bdd_512.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/adamw_poly_40k_peft.py'
]
model = dict(backbone=dict(freeze_vit=False))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone.vit': dict(lr_mult=0.1)}))
