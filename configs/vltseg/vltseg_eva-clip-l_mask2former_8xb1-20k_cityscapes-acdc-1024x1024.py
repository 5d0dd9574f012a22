# VLTSeg (VLTSeg paper, Cityscapes -> ACDC table, EVA-CLIP row): crop 1024, batch 8 (8 GPUs x 1),
# 20K iterations, the VLTSeg recipe otherwise; ACDC all conditions and each (fog, night, rain,
# snow), BDD100K beside them; ACDC test through tools/test.py --format-only (docs/evaluation.md).
_base_ = [
    '../_base_/models/vltseg_eva-clip-l_mask2former.py',
    '../_base_/datasets/protocol_rein_cityscapes_to_acdc_1024.py', '../_base_/default_runtime.py',
    '../_base_/schedules/vltseg_adamw_poly_5k.py'
]
crop_size = (1024, 1024)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(vit=dict(img_size=1024)),
    test_cfg=dict(crop_size=crop_size, stride=(683, 683)))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=20000, by_epoch=False)]
train_cfg = dict(max_iters=20000, val_interval=4000)
train_dataloader = dict(batch_size=1)  # x 8 GPUs = 8
auto_scale_lr = dict(base_batch_size=8)
