"""Mask2Former head whose queries come from the Rein tokens (Rein paper, "link token to query")."""
from mmseg.registry import MODELS
from torch import nn

from .slide_mask2former_head import SlideMask2FormerHead


class _QueryHolder(nn.Module):
    """Stands in for mmdet's ``nn.Embedding`` query tables: ``weight`` is set per forward."""

    def __init__(self):
        super().__init__()
        self.weight = None


@MODELS.register_module()
class ReinMask2FormerHead(SlideMask2FormerHead):
    """:class:`SlideMask2FormerHead` (mmseg's ``Mask2FormerHead``) taking ``(features, queries)`` from a Rein backbone.

    The positional query embeddings are the Rein queries (``num_queries`` x ``feat_channels``)
    and, with ``replace_query_feat``, the query features are ``querys2feat(queries)``; the
    learned query tables of Mask2Former are removed. The rest is mmdet's Mask2Former forward,
    reused unchanged. Parameter names follow the official Rein release (``querys2feat``).
    """

    def __init__(self, replace_query_feat=True, **kwargs):
        super().__init__(**kwargs)
        feat_channels = kwargs['feat_channels']
        del self.query_embed
        self.query_embed = _QueryHolder()
        self.replace_query_feat = replace_query_feat
        if replace_query_feat:
            del self.query_feat
            self.query_feat = _QueryHolder()
            self.querys2feat = nn.Linear(feat_channels, feat_channels)

    def forward(self, x, batch_data_samples):
        feats, queries = x
        if queries.shape[0] != self.num_queries:
            raise ValueError(f'ReinMask2FormerHead: {queries.shape[0]} Rein tokens but '
                             f'num_queries={self.num_queries}; set them equal.')
        self.query_embed.weight = queries
        if self.replace_query_feat:
            self.query_feat.weight = self.querys2feat(queries)
        try:
            return super().forward(feats, batch_data_samples)
        finally:
            self.query_embed.weight = None
            if self.replace_query_feat:
                self.query_feat.weight = None
