# Rein on a frozen CLIP ViT-L + Mask2Former (paper 002 Table 2, "CLIP (ViT-Large) Rein": 57.1 /
# 54.7 / 60.5; 2.99M trainable). Official recipe as rein_dinov2-l_mask2former_gtav.py.
_base_ = [
    '../_base_/models/vfm_clip-l_mask2former.py', '../_base_/datasets/gtav_to_cbm_512.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_poly_40k_peft.py'
]
model = dict(
    backbone=dict(reins=dict(type='LoRAReins', token_length=100, embed_dims=1024, num_layers=24,
                             patch_size=14, link_token_to_query=True, lora_dim=16)),
    decode_head=dict(type='ReinMask2FormerHead', replace_query_feat=True))
