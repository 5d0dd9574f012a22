"""mmseg's Mask2Former head, with sliding-window inference that works (mmseg issue 3666).

mmseg 1.2.2's ``EncoderDecoder.slide_inference`` writes each window's shape into the image meta
``img_shape`` and expects the head to return logits of that shape; its ``Mask2FormerHead.predict``
upsamples the mask predictions to ``pad_shape`` instead, which the data preprocessor sets to the
whole padded image (``test_cfg=dict(size_divisor=32)``). Every window then comes back at the
whole image's size and the sum into the stitched logits fails (``RuntimeError: The size of tensor
a (128) must match the size of tensor b (192)``). Upstream issue open-mmlab/mmsegmentation#3666;
its fix (pull request 3752) is not merged in any release.
"""
from typing import List, Tuple

from mmseg.models.decode_heads import Mask2FormerHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType
from torch import Tensor


@MODELS.register_module()
class SlideMask2FormerHead(Mask2FormerHead):
    """mmseg's ``Mask2FormerHead`` whose ``predict`` returns each sliding window at its own size.

    In slide mode (``test_cfg.mode == 'slide'``) the masks of a window are upsampled to the
    window's shape (``img_shape``, set by ``slide_inference``); the window was cut from the padded
    image and holds no padding of its own. In whole mode nothing changes: the masks are upsampled to
    ``pad_shape`` and mmseg's ``postprocess_result`` crops the padding, as in mmseg.

    Used by every Mask2Former-family head of this repository (``ReinMask2FormerHead``,
    ``VLTSegMask2FormerHead`` subclass it); the configs name it instead of ``Mask2FormerHead``.
    """

    def predict(self, x: Tuple[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType) -> Tensor:
        """(B, C, H, W) logits; ``(H, W)`` is the window's shape in slide mode, else
        ``pad_shape``."""
        if test_cfg.get('mode', 'whole') == 'slide':
            batch_img_metas = [dict(meta, pad_shape=meta['img_shape']) for meta in batch_img_metas]
        return super().predict(x, batch_img_metas, test_cfg)
