# VLTSeg (VLTSeg paper, Sec. 3): the EVA02-CLIP-L/14 image tower of vfm_eva-clip-l_mask2former.py,
# fully finetuned, under the language-guided Mask2Former head with the frozen EVA02-CLIP text
# tower. One file holds all pretrained weights (image tower, text tower, image projection):
#   python tools/model_converters/vfm.py vltseg-eva-clip EVA02_CLIP_L_psz14_s4B.pt \
#       checkpoints/vltseg_eva-clip-l14_converted.pth
# Choices where the paper is silent (prompts, tau, PTM weight and score-map level): docs/vltseg.md.
_base_ = ['./vfm_eva-clip-l_mask2former.py']
model = dict(
    backbone=dict(freeze_vit=False),  # the whole image encoder is finetuned (backbone lr x0.1)
    decode_head=dict(
        type='VLTSegMask2FormerHead',
        text_encoder=dict(
            type='ClassTextEncoder',
            dataset_name='cityscapes',
            templates=['a photo of a {}.'],
            # EVA02-CLIP-L/14 text tower: width 768, 12 heads, 12 layers, plain GELU
            embed_dims=768,
            num_heads=12,
            num_layers=12,
            output_dims=768,
            act_cfg=dict(type='GELU')),
        temperature=0.07,
        score_map_level=-1,
        pixel_norm_eps=1e-6,
        loss_ptm=dict(
            type='mmseg.CrossEntropyLoss',
            loss_weight=0.4,
            avg_non_ignore=True,
            loss_name='loss_ptm'),
        # the text tower and the pixel projection (strict; see VLTSegMask2FormerHead.init_weights)
        init_cfg=dict(
            type='Pretrained', checkpoint=_base_.vltseg_checkpoint, prefix='decode_head.')))
