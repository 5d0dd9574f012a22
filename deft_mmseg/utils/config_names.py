"""Config file names: the mmseg naming scheme, and the names the configs had before it.

On 2026-11-23 the configs took mmseg's naming scheme (``{method}_{model}_{N}xb{B}-{iters}_{source
dataset}-{crop}[_{variant}].py``, e.g. ``deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py``;
docs/configs.md). Paths users may have in scripts keep working: the tools load the new file
(:func:`resolve_config_path`) and print one line naming it; a ``_base_`` line in a user's own
config that names an old file gets a one-line error naming the new file
(:func:`renamed_base_error`), since mmengine resolves ``_base_`` before any tool code runs.
The ``*_demo.py`` configs were removed: ``--demo ITERS`` on the config itself replaces them
(same tiny network, so their checkpoints still load).
"""
import os.path as osp
import re

from .errors import ConfigNameError

#: old path under configs/ -> new path under configs/
RENAMED = {
    'baselines/deeplabv3plus_r50_gtav.py':
        'baselines/deeplabv3plus_r50-d8_1xb4-40k_gtav-768x768.py',
    'baselines/deeplabv3plus_r50_gtav_freeze-decoder.py':
        'baselines/freeze-decoder_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py',
    'baselines/deeplabv3plus_r50_gtav_freeze-encoder.py':
        'baselines/freeze-encoder_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py',
    'baselines/deeplabv3plus_r50_gtav_lpft.py':
        'baselines/lpft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py',
    'baselines/deeplabv3plus_r50_gtav_lpft_diagnostics.py':
        'baselines/lpft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_diagnostics.py',
    'baselines/deeplabv3plus_r50_gtav_lpft_distreg.py':
        'baselines/lpft-distreg_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py',
    'baselines/deeplabv3plus_r50_gtav_lpft_lr-1e-3.py':
        'baselines/lpft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_lr-1e-3.py',
    'baselines/deeplabv3plus_r50_gtav_lpft_lr-1e-4.py':
        'baselines/lpft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_lr-1e-4.py',
    'baselines/deeplabv3plus_r50_gtav_lpft_lr-3e-3.py':
        'baselines/lpft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_lr-3e-3.py',
    'baselines/deeplabv3plus_r50_gtav_noaux.py':
        'baselines/deeplabv3plus_r50-d8_1xb4-40k_gtav-768x768_noaux.py',
    'baselines/deeplabv3plus_r50_gtav_noaux_aug.py':
        'baselines/deeplabv3plus_r50-d8_1xb4-40k_gtav-768x768_noaux-aug.py',
    'baselines/vfm/clip-l_mask2former_gtav_frozen.py':
        'baselines/vfm/frozen_clip-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/clip-l_mask2former_gtav_full.py':
        'baselines/vfm/full_clip-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/clip-l_mask2former_gtav_lora-r8.py':
        'baselines/vfm/lora-r8_clip-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/clip-l_mask2former_gtav_vpt.py':
        'baselines/vfm/vpt_clip-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_cityscapes-adverse_frozen.py':
        'baselines/vfm/frozen_dinov2-l_mask2former_1xb4-40k_cityscapes-adverse-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_cityscapes-adverse_full.py':
        'baselines/vfm/full_dinov2-l_mask2former_1xb4-40k_cityscapes-adverse-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_cityscapes_frozen.py':
        'baselines/vfm/frozen_dinov2-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_cityscapes_full.py':
        'baselines/vfm/full_dinov2-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_gtav_adaptformer.py':
        'baselines/vfm/adaptformer_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_gtav_frozen.py':
        'baselines/vfm/frozen_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_gtav_full.py':
        'baselines/vfm/full_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_gtav_lora-r8.py':
        'baselines/vfm/lora-r8_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_gtav_lora.py':
        'baselines/vfm/lora_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/dinov2-l_mask2former_gtav_vpt.py':
        'baselines/vfm/vpt_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/eva02-l_mask2former_cityscapes_frozen.py':
        'baselines/vfm/frozen_eva02-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'baselines/vfm/eva02-l_mask2former_cityscapes_full.py':
        'baselines/vfm/full_eva02-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'baselines/vfm/eva02-l_mask2former_gtav_adaptformer.py':
        'baselines/vfm/adaptformer_eva02-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/eva02-l_mask2former_gtav_frozen.py':
        'baselines/vfm/frozen_eva02-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/eva02-l_mask2former_gtav_full.py':
        'baselines/vfm/full_eva02-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/eva02-l_mask2former_gtav_lora-r8.py':
        'baselines/vfm/lora-r8_eva02-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/mae-l_mask2former_gtav_frozen.py':
        'baselines/vfm/frozen_mae-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/mae-l_mask2former_gtav_full.py':
        'baselines/vfm/full_mae-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/mae-l_mask2former_gtav_lora-r8.py':
        'baselines/vfm/lora-r8_mae-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/mae-l_mask2former_gtav_vpt.py':
        'baselines/vfm/vpt_mae-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/sam-h_mask2former_gtav_frozen.py':
        'baselines/vfm/frozen_sam-h_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/sam-h_mask2former_gtav_full.py':
        'baselines/vfm/full_sam-h_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/sam-h_mask2former_gtav_lora-r8.py':
        'baselines/vfm/lora-r8_sam-h_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/vltseg-style_clip-l_mask2former_cityscapes.py':
        'baselines/vfm/vltseg-style_clip-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'baselines/vfm/vltseg-style_clip-l_mask2former_gtav.py':
        'baselines/vfm/vltseg-style_clip-l_mask2former_1xb4-40k_gtav-512x512.py',
    'baselines/vfm/vltseg-style_eva02-l_mask2former_cityscapes.py':
        'baselines/vfm/vltseg-style_eva02-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'baselines/vfm/vltseg-style_eva02-l_mask2former_gtav.py':
        'baselines/vfm/vltseg-style_eva02-l_mask2former_1xb4-40k_gtav-512x512.py',
    'deft/ablations/deeplabv3plus_r50_gtav_beta-0.99.py':
        'deft/ablations/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_beta-0.99.py',
    'deft/ablations/deeplabv3plus_r50_gtav_beta-0.999.py':
        'deft/ablations/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_beta-0.999.py',
    'deft/ablations/deeplabv3plus_r50_gtav_final-I.py':
        'deft/ablations/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_final-I.py',
    'deft/ablations/deeplabv3plus_r50_gtav_final-II.py':
        'deft/ablations/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_final-II.py',
    'deft/ablations/deeplabv3plus_r50_gtav_final-III.py':
        'deft/ablations/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_final-III.py',
    'deft/deeplabv3plus_r101_gtav.py':
        'deft/deft_deeplabv3plus_r101-d8_1xb4-48k_gtav-768x768.py',
    'deft/deeplabv3plus_r50_cityscapes.py':
        'deft/deft_deeplabv3plus_r50-d8_1xb4-42k_cityscapes-768x768.py',
    'deft/deeplabv3plus_r50_gtav.py':
        'deft/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py',
    'deft/deeplabv3plus_r50_gtav_diagnostics.py':
        'deft/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768_diagnostics.py',
    'deft/deeplabv3plus_r50_gtav_distreg.py':
        'deft/deft-distreg_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py',
    'deft/mask2former_r50_gtav.py':
        'deft/deft_mask2former_r50_1xb4-48k_gtav-768x768.py',
    'deft/rein_dinov2-l_mask2former_gtav.py':
        'deft/deft-rein_dinov2-l_mask2former_1xb4-48k_gtav-512x512.py',
    'deft/segformer_mit-b5_gtav.py':
        'deft/deft_segformer_mit-b5_1xb4-48k_gtav-768x768.py',
    'deft/vltseg_eva-clip-l_mask2former_gtav.py':
        'deft/deft-vltseg_eva-clip-l_mask2former_1xb4-48k_gtav-512x512.py',
    'fishertune/ablations/adaptformer_dinov2-l_mask2former_gtav_fp.py':
        'fishertune/ablations/adaptformer_dinov2-l_mask2former_1xb4-40k_gtav-512x512_fp.py',
    'fishertune/ablations/adaptformer_eva02-l_mask2former_gtav_fp.py':
        'fishertune/ablations/adaptformer_eva02-l_mask2former_1xb4-40k_gtav-512x512_fp.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_cityscapes_delta-fisher-5pct.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512_delta-fisher-5pct.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_cityscapes_drf-5pct.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512_drf-5pct.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_cityscapes_empirical-estimate.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512_empirical-estimate.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_cityscapes_fisher-5pct.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512_fisher-5pct.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_cityscapes_random-5pct.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512_random-5pct.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_cityscapes_random-k-5pct.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512_random-k-5pct.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_cityscapes_random-q-5pct.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512_random-q-5pct.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_cityscapes_random-v-5pct.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512_random-v-5pct.py',
    'fishertune/ablations/fishertune_dinov2-l_mask2former_gtav_fp.py':
        'fishertune/ablations/fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512_fp.py',
    'fishertune/ablations/fishertune_eva02-l_mask2former_cityscapes_delta-fisher-5pct.py':
        'fishertune/ablations/fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512_delta-fisher-5pct.py',
    'fishertune/ablations/fishertune_eva02-l_mask2former_cityscapes_drf-5pct.py':
        'fishertune/ablations/fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512_drf-5pct.py',
    'fishertune/ablations/fishertune_eva02-l_mask2former_cityscapes_fisher-5pct.py':
        'fishertune/ablations/fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512_fisher-5pct.py',
    'fishertune/ablations/fishertune_eva02-l_mask2former_cityscapes_random-5pct.py':
        'fishertune/ablations/fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512_random-5pct.py',
    'fishertune/ablations/fishertune_eva02-l_mask2former_cityscapes_random-k-5pct.py':
        'fishertune/ablations/fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512_random-k-5pct.py',
    'fishertune/ablations/fishertune_eva02-l_mask2former_cityscapes_random-q-5pct.py':
        'fishertune/ablations/fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512_random-q-5pct.py',
    'fishertune/ablations/fishertune_eva02-l_mask2former_cityscapes_random-v-5pct.py':
        'fishertune/ablations/fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512_random-v-5pct.py',
    'fishertune/ablations/fishertune_eva02-l_mask2former_gtav_fp.py':
        'fishertune/ablations/fishertune_eva02-l_mask2former_1xb4-44k_gtav-512x512_fp.py',
    'fishertune/ablations/rein_dinov2-l_mask2former_gtav_fp.py':
        'fishertune/ablations/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512_fp.py',
    'fishertune/ablations/rein_eva02-l_mask2former_gtav_fp.py':
        'fishertune/ablations/rein_eva02-l_mask2former_1xb4-40k_gtav-512x512_fp.py',
    'fishertune/ablations/vpt_dinov2-l_mask2former_gtav_fp.py':
        'fishertune/ablations/vpt_dinov2-l_mask2former_1xb4-40k_gtav-512x512_fp.py',
    'fishertune/fishertune_clip-l_mask2former_gtav.py':
        'fishertune/fishertune_clip-l_mask2former_1xb4-44k_gtav-512x512.py',
    'fishertune/fishertune_dinov2-l_deeplabv3plus_gtav.py':
        'fishertune/fishertune_dinov2-l_deeplabv3plus_1xb4-44k_gtav-512x512.py',
    'fishertune/fishertune_dinov2-l_mask2former_cityscapes-adverse.py':
        'fishertune/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-adverse-512x512.py',
    'fishertune/fishertune_dinov2-l_mask2former_cityscapes.py':
        'fishertune/fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512.py',
    'fishertune/fishertune_dinov2-l_mask2former_gtav.py':
        'fishertune/fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py',
    'fishertune/fishertune_dinov2-l_segformer_gtav.py':
        'fishertune/fishertune_dinov2-l_segformer_1xb4-44k_gtav-512x512.py',
    'fishertune/fishertune_eva02-l_mask2former_cityscapes.py':
        'fishertune/fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512.py',
    'fishertune/fishertune_eva02-l_mask2former_gtav.py':
        'fishertune/fishertune_eva02-l_mask2former_1xb4-44k_gtav-512x512.py',
    'fishertune/fishertune_mae-l_mask2former_gtav.py':
        'fishertune/fishertune_mae-l_mask2former_1xb4-44k_gtav-512x512.py',
    'fishertune/fishertune_sam-h_mask2former_gtav.py':
        'fishertune/fishertune_sam-h_mask2former_1xb4-44k_gtav-512x512.py',
    'fishertune/fishertune_sam-h_mask2former_gtav_5pct-of-backbone.py':
        'fishertune/fishertune_sam-h_mask2former_1xb4-44k_gtav-512x512_5pct-of-backbone.py',
    'rein/rein_clip-l_mask2former_cityscapes.py':
        'rein/rein_clip-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'rein/rein_clip-l_mask2former_gtav.py':
        'rein/rein_clip-l_mask2former_1xb4-40k_gtav-512x512.py',
    'rein/rein_dinov2-l_deeplabv3plus_gtav.py':
        'rein/rein_dinov2-l_deeplabv3plus_1xb4-40k_gtav-512x512.py',
    'rein/rein_dinov2-l_mask2former_cityscapes-acdc_1024.py':
        'rein/rein_dinov2-l_mask2former_4xb2-40k_cityscapes-acdc-1024x1024.py',
    'rein/rein_dinov2-l_mask2former_cityscapes-adverse.py':
        'rein/rein_dinov2-l_mask2former_1xb4-40k_cityscapes-adverse-512x512.py',
    'rein/rein_dinov2-l_mask2former_cityscapes.py':
        'rein/rein_dinov2-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'rein/rein_dinov2-l_mask2former_gtav.py':
        'rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    'rein/rein_dinov2-l_segformer_gtav.py':
        'rein/rein_dinov2-l_segformer_1xb4-40k_gtav-512x512.py',
    'rein/rein_eva02-l_mask2former_cityscapes.py':
        'rein/rein_eva02-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'rein/rein_eva02-l_mask2former_gtav.py':
        'rein/rein_eva02-l_mask2former_1xb4-40k_gtav-512x512.py',
    'rein/rein_mae-l_mask2former_cityscapes.py':
        'rein/rein_mae-l_mask2former_1xb4-40k_cityscapes-512x512.py',
    'rein/rein_mae-l_mask2former_gtav.py':
        'rein/rein_mae-l_mask2former_1xb4-40k_gtav-512x512.py',
    'rein/rein_sam-h_mask2former_cityscapes.py':
        'rein/rein_sam-h_mask2former_1xb4-40k_cityscapes-512x512.py',
    'rein/rein_sam-h_mask2former_gtav.py':
        'rein/rein_sam-h_mask2former_1xb4-40k_gtav-512x512.py',
}
#: removed demo config -> (the config it was the demo of, the iterations it ran)
REMOVED_DEMOS = {
    'baselines/deeplabv3plus_r50_gtav_demo.py':
        ('baselines/deeplabv3plus_r50-d8_1xb4-40k_gtav-768x768.py', 300),
    'deft/deeplabv3plus_r50_gtav_demo.py':
        ('deft/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py', 1800),
    'deft/mask2former_r50_gtav_demo.py':
        ('deft/deft_mask2former_r50_1xb4-48k_gtav-768x768.py', 300),
    'deft/rein_dinov2-l_mask2former_gtav_demo.py':
        ('deft/deft-rein_dinov2-l_mask2former_1xb4-48k_gtav-512x512.py', 300),
    'deft/segformer_mit-b5_gtav_demo.py':
        ('deft/deft_segformer_mit-b5_1xb4-48k_gtav-768x768.py', 300),
    'fishertune/fishertune_dinov2-l_mask2former_gtav_demo.py':
        ('fishertune/fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py', 300),
    'fishertune/fishertune_eva02-l_mask2former_gtav_demo.py':
        ('fishertune/fishertune_eva02-l_mask2former_1xb4-44k_gtav-512x512.py', 300),
    'rein/rein_dinov2-l_mask2former_gtav_demo.py':
        ('rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py', 300),
}
#: removed demos whose tiny network --demo does not rebuild (FFN 64 wide; --demo's EVA02 is 86)
DEMOS_WITH_OTHER_NETWORK = {'fishertune/fishertune_eva02-l_mask2former_gtav_demo.py'}


def _old_name_in(path):
    """The old config (a key of RENAMED / REMOVED_DEMOS) that ``path`` ends with, and the part of
    ``path`` before it (``configs/``, ``deft_mmseg::``, an install folder), or (None, None)."""
    norm = path.replace('\\', '/')
    for old in (*RENAMED, *REMOVED_DEMOS):
        if norm == old or norm.endswith(('/' + old, '::' + old)):
            return old, norm[:len(norm) - len(old)]
    return None, None


def resolve_config_path(path):
    """``(path to load, note or None)`` for a config path given to a tool.

    An existing file is loaded as it is. A path to a renamed config loads the new file (the note
    names it); a path to a removed ``*_demo.py`` raises :class:`ConfigNameError` with the
    command that replaces it."""
    if osp.isfile(path):
        return path, None
    old, prefix = _old_name_in(path)
    if old in RENAMED:
        new = prefix + RENAMED[old]
        return new, f'note: {path} is now named {new}; loading that.'
    if old in REMOVED_DEMOS:
        config, iters = REMOVED_DEMOS[old]
        checkpoints = ('its checkpoints do not load (its tiny EVA02 had another FFN width)'
                       if old in DEMOS_WITH_OTHER_NETWORK else
                       f'its checkpoints load with {prefix}{config} --demo (same tiny network)')
        raise ConfigNameError(
            f'{path} was removed: a demo is now the config itself with --demo; the run it made '
            f'is tools/train.py {prefix}{config} --demo {iters}; {checkpoints}')
    return path, None


def renamed_base_error(exc):
    """A :class:`ConfigNameError` for mmengine's "file does not exist" error ``exc`` when the
    missing file is an old config name (a ``_base_`` line of a user's config); else None."""
    found = re.search(r'["\']([^"\']+\.py)["\']', str(exc))
    old, prefix = _old_name_in(found.group(1)) if found else (None, None)
    if old is None:
        return None
    new = RENAMED[old] if old in RENAMED else f'{REMOVED_DEMOS[old][0]} (with --demo)'
    return ConfigNameError(f'a _base_ line names {old}, which was renamed: write {new} instead '
                           f'(docs/configs.md lists the new names)')
