"""The interface a parameter-efficient finetuning (PEFT) method implements for
``VFMVisionTransformer``: how one frozen ViT block is run."""
from torch import nn


class BlockPEFT(nn.Module):
    """Base of the PEFT methods applied block by block to an mmpretrain ViT.

    ``attach(vit)`` is called once after the ViT is built (e.g. to register hooks, so the ViT's
    own parameter names, and thus pretrained checkpoints, stay unchanged); ``block(layer, x, i,
    num_extra, hw)`` runs block ``i`` on tokens ``x`` (B, num_extra + N, C) and returns the same
    shape (``hw``: the patch grid, given to EVA02 blocks for their rotary embedding, else None).
    ``families`` lists the ViT families (``VFMVisionTransformer.family``) a method supports; a
    method that rewrites the block lists those whose block layout it knows.
    """

    families = ('vit', 'eva02', 'sam')

    def attach(self, vit):
        pass

    def block(self, layer, x, index, num_extra, hw=None):
        return layer(x) if hw is None else layer(x, hw)
