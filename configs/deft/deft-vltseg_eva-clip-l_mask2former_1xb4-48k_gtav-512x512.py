# DeFT (DeFT paper) on VLTSeg: both pathways are VLTSeg models (the EVA02-CLIP-L/14 image tower as
# encoder, the language-guided Mask2Former head with its PTM loss as decoder), GTAV -> Cityscapes,
# BDD100K, Mapillary on the VLTSeg protocol (crop 512). The frozen text tower is built once and
# shared by the two heads (DualPathwaySegmentor.share_frozen_encoder_parts); the image towers are
# trained, so each pathway has its own. DeFT's stages (8K warm-up + 40K decoupled, beta 0.9999)
# with Mask2Former's AdamW recipe (backbone lr x0.1, gradient clipping 0.01). Our combination: the
# DeFT paper uses ResNets and MiT-B5 only.
_base_ = [
    '../_base_/models/vltseg_eva-clip-l_mask2former.py',
    '../_base_/datasets/protocol_rein_gtav_to_cbm.py', '../_base_/default_runtime.py',
    '../_base_/schedules/deft_adamw_mask2former.py'
]
model = dict(
    type='DualPathwaySegmentor',
    final_model='IV',
    # the VFM encoder in eval mode during the warm-up, as before
    # frozen_module_mode existed (the RobustNet-style 'train' default is the DeFT paper's
    # ResNet protocol)
    frozen_module_mode='eval')
