# Rein on a frozen DINOv2-L with a DeepLabv3+ head through MultiLevelNeck
# (vfm_dinov2-l_deeplabv3plus.py): the Rein release's LoRA Reins (token length 100, rank 16) after
# each of the 24 blocks, without the query link (a DeepLabv3+ head has no queries).
_base_ = ['./vfm_dinov2-l_deeplabv3plus.py']
model = dict(
    backbone=dict(
        reins=dict(
            type='LoRAReins',
            token_length=100,
            embed_dims=1024,
            num_layers=24,
            patch_size=16,
            link_token_to_query=False,
            lora_dim=16)))
