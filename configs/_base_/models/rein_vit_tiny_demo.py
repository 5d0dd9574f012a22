# rein_dinov2-l_mask2former.py at a tiny size: the tiny ViT of vfm_vit_tiny_demo.py with Reins of
# 8 tokens (= 8 queries), rank 4.
_base_ = ['./vfm_vit_tiny_demo.py']
model = dict(
    backbone=dict(
        reins=dict(
            type='LoRAReins',
            token_length=8,
            embed_dims=32,
            num_layers=4,
            patch_size=8,
            link_token_to_query=True,
            lora_dim=4,
            query_dims=16)),
    decode_head=dict(type='ReinMask2FormerHead', replace_query_feat=True))
