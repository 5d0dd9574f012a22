# vltseg_eva-clip-l_mask2former.py at a tiny size for the demo data on CPU: the tiny ViT of
# vfm_vit_tiny_demo.py (--demo gives EVA02 / EVA-CLIP configs an EVA02-layout tiny ViT with their
# released attention and rotary embedding) under the language-guided tiny Mask2Former with a
# 2-layer, 32-channel text tower (CLIP's tokenizer and vocabulary), all randomly initialized.
_base_ = ['./vfm_vit_tiny_demo.py']
model = dict(
    backbone=dict(freeze_vit=False),
    decode_head=dict(
        type='VLTSegMask2FormerHead',
        text_encoder=dict(
            type='ClassTextEncoder',
            dataset_name='cityscapes',
            embed_dims=32,
            num_heads=2,
            num_layers=2,
            output_dims=32,
            act_cfg=dict(type='GELU'))))
