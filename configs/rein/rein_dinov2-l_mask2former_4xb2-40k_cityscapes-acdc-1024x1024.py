# Rein on a frozen DINOv2 (Large) + Mask2Former, Cityscapes -> ACDC in the Rein release's 1024
# setting (its rein_dinov2_mask2former_1024x1024_bs4x2.py; the Rein paper's ACDC results): crop
# 1024 (ViT at 1024, the converted file's position embedding is interpolated on load), sliding
# windows 1024 with stride 683, AdamW lr 6e-5 with a linear warm-up over 10K iterations then
# poly(0.9) to 40K, batch 2 per GPU on 4 GPUs. rein_dinov2-l_mask2former_1xb4-40k_cityscapes-512x512.py is the
# 512 setting.
_base_ = [
    '../_base_/models/rein_dinov2-l_mask2former.py',
    '../_base_/datasets/protocol_rein_cityscapes_to_acdc_1024.py', '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k_peft.py'
]
crop_size = (1024, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(vit=dict(img_size=1024)),
    test_cfg=dict(crop_size=crop_size, stride=(683, 683)))
optim_wrapper = dict(optimizer=dict(lr=6e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=10000),
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=10000, end=40000, by_epoch=False),
]
