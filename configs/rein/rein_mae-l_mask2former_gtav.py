# Rein on a frozen MAE ViT-L + Mask2Former, GTAV -> C/B/M (paper 002 Table 2, "MAE (Large) Rein":
# 55.0 / 49.3 / 58.6; 2.99M trainable).
_base_ = [
    '../_base_/models/vfm_mae-l_mask2former.py', '../_base_/datasets/gtav_to_cbm_512.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adamw_poly_40k_peft.py'
]
model = dict(
    backbone=dict(reins=dict(type='LoRAReins', token_length=100, embed_dims=1024, num_layers=24,
                             patch_size=16, link_token_to_query=True, lora_dim=16)),
    decode_head=dict(type='ReinMask2FormerHead', replace_query_feat=True))
