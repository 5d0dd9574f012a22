# Rein on a frozen CLIP ViT-L + Mask2Former, Cityscapes -> ACDC and BDD100K.
_base_ = [
    '../_base_/models/vfm_clip-l_mask2former.py',
    '../_base_/datasets/cityscapes_to_acdc_bdd_512.py', '../_base_/default_runtime.py',
    '../_base_/schedules/adamw_poly_40k_peft.py'
]
model = dict(
    backbone=dict(reins=dict(type='LoRAReins', token_length=100, embed_dims=1024, num_layers=24,
                             patch_size=14, link_token_to_query=True, lora_dim=16)),
    decode_head=dict(type='ReinMask2FormerHead', replace_query_feat=True))
