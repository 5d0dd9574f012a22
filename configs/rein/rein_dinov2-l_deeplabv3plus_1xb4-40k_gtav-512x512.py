# Rein on a frozen DINOv2-L with a deeplabv3plus head (through MultiLevelNeck), GTAV -> C/B/M: the Rein
# layers without the query link (a deeplabv3plus head has no queries). Rein's recipe.
_base_ = [
    '../_base_/models/rein_dinov2-l_deeplabv3plus.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k_peft.py'
]
# DDP (several GPUs): the DeepLabv3+ head reads two of MultiLevelNeck's four levels (in_index 2, and
# level 0 for its low-level branch); the neck's layers of levels 1 and 3 get no gradient, which
# DDP refuses unless told to look for unused parameters (the Mask2Former configs use every level)
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
