# FisherTune on EVA02-L + Mask2Former, Cityscapes -> BDD100K / ACDC (FisherTune paper Table 2: 65.8 / 72.9).
_base_ = [
    '../_base_/models/fishertune_eva02-l_mask2former.py',
    '../_base_/datasets/cityscapes_to_acdc_bdd_512.py', '../_base_/default_runtime.py',
    '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
