# DeFT on Rein / frozen DINOv2-L with Mask2Former, GTAV -> Cityscapes, BDD100K, Mapillary. The two
# pathways share one frozen ViT trunk (its weights exist once in memory); only the Rein layers
# (encoder) and the Mask2Former head (decoder) are usual/generalized components. DeFT's stages
# and beta with the Rein optimizer recipe (_base_/schedules/deft_adamw_peft.py).
_base_ = [
    '../_base_/models/rein_dinov2-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/deft_adamw_peft.py'
]
# d~1 (the GC Mask2Former head) is recomputed in the backward pass instead of keeping its
# activations: peak memory within 1.1x of plain Rein training (docs/vfm.md).
model = dict(
    type='DualPathwaySegmentor',
    final_model='IV',
    checkpoint_gc_decoder=True,
    # the VFM encoder in eval mode during the warm-up, as before
    # frozen_module_mode existed (the RobustNet-style 'train' default is the DeFT paper's
    # ResNet protocol)
    frozen_module_mode='eval')
