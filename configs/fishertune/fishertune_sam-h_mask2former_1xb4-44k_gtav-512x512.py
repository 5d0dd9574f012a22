# FisherTune on the SAM ViT-H image encoder + Mask2Former, GTAV -> Cityscapes / BDD100K / Mapillary
# (FisherTune paper Table 1: 60.9 / 54.4 / 63.9, 15.21M trainable parameters).
# Reading: Table 1 lists 15.21M trainable parameters for every VFM, SAM-H (632M) included, while 5 %
# of SAM-H would be 31.6M: we read 15.21M as a fixed budget (the ViT-Ls' 5 %) and set delta_max so
# that SAM-H tunes 15,209,830 of its 632,134,400 parameters (2.406 %), delta_min in the same 1:5
# ratio. fishertune_sam-h_mask2former_1xb4-44k_gtav-512x512_5pct-of-backbone.py is the other reading (31.6M).
_base_ = [
    '../_base_/models/fishertune_sam-h_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
budget, sam_h_params = 15_209_830, 632_134_400
model = dict(fishertune=dict(delta_min=budget / sam_h_params / 5, delta_max=budget / sam_h_params))
