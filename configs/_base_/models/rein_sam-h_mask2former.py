# Rein (LoRA Reins: token length 100, rank 16, tokens linked to the 100 Mask2Former queries) on the
# frozen trunk of vfm_sam-h_mask2former.py, as in the Rein release.
_base_ = ['./vfm_sam-h_mask2former.py']
model = dict(
    backbone=dict(
        reins=dict(
            type='LoRAReins',
            token_length=100,
            embed_dims=1280,
            num_layers=32,
            patch_size=16,
            link_token_to_query=True,
            lora_dim=16)),
    decode_head=dict(type='ReinMask2FormerHead', replace_query_feat=True))
