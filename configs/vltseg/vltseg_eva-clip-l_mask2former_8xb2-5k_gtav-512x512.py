# VLTSeg (VLTSeg paper): EVA02-CLIP-L/14 finetuned with the language-guided Mask2Former head and
# the pixel-text matching loss, GTAV -> Cityscapes, BDD100K, Mapillary (the paper's GTA5 -> real
# table, EVA-CLIP row). Crop 512, batch 16, 5K iterations (docs/vltseg.md, "Recipe").
_base_ = [
    '../_base_/models/vltseg_eva-clip-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/vltseg_adamw_poly_5k.py'
]
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16
