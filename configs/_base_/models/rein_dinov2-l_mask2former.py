# Rein on a frozen DINOv2-L (Rein paper, official release defaults): LoRA Reins (token length 100,
# rank 16) after each of the 24 blocks, tokens linked to the 100 Mask2Former queries.
_base_ = ['./vfm_dinov2-l_mask2former.py']
model = dict(
    backbone=dict(
        reins=dict(
            type='LoRAReins',
            token_length=100,
            embed_dims=1024,
            num_layers=24,
            patch_size=16,
            link_token_to_query=True,
            lora_dim=16)),
    decode_head=dict(type='ReinMask2FormerHead', replace_query_feat=True))
