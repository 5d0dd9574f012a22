# FisherTune on MAE + Mask2Former, GTAV -> Cityscapes / BDD100K / Mapillary (FisherTune paper
# Table 1, "MAE (Huge)": 56.6 / 51.9 / 59.7). The table says Huge but lists 304.20M parameters for
# full finetuning, a ViT-L's count (ViT-H: 632M), and the Rein paper it takes its baseline rows from
# uses MAE-L: we use MAE ViT-L/16 (5 % = 15,207,373 = 15.21M).
_base_ = [
    '../_base_/models/fishertune_mae-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
