# Tiny SegFormer and Mask2Former variants (few channels/layers) that train on the demo data on
# CPU; used by the `_demo` configs and the tests. `segformer_tiny` and `mask2former_tiny` are
# model dicts meant to be used as `model = dict(_delete_=True, **_base_.segformer_tiny)`.
_preprocessor = dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                     std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255,
                     size=(64, 64), test_cfg=dict(size_divisor=32))
segformer_tiny = dict(
    type='EncoderDecoder',
    data_preprocessor=_preprocessor,
    backbone=dict(type='MixVisionTransformer', in_channels=3, embed_dims=8, num_stages=4,
                  num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8], patch_sizes=[7, 3, 3, 3],
                  sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratio=2, qkv_bias=True,
                  drop_rate=0.0, attn_drop_rate=0.0, drop_path_rate=0.0),
    decode_head=dict(type='SegformerHead', in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3],
                     channels=32, dropout_ratio=0.1, num_classes=19,
                     norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
_m2f_classes = 19
mask2former_tiny = dict(
    type='EncoderDecoder',
    data_preprocessor=_preprocessor,
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8, num_stages=4,
                  out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN', requires_grad=True),
                  style='pytorch'),
    decode_head=dict(
        type='Mask2FormerHead', in_channels=[8, 16, 32, 64], strides=[4, 8, 16, 32],
        feat_channels=16, out_channels=16, num_classes=_m2f_classes, num_queries=8,
        num_transformer_feat_level=3, align_corners=False,
        pixel_decoder=dict(
            type='mmdet.MSDeformAttnPixelDecoder', num_outs=3,
            norm_cfg=dict(type='GN', num_groups=4), act_cfg=dict(type='ReLU'),
            encoder=dict(num_layers=1, layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=16, num_heads=2, num_levels=3, num_points=2,
                                   im2col_step=64, dropout=0.0, batch_first=True,
                                   norm_cfg=None, init_cfg=None),
                ffn_cfg=dict(embed_dims=16, feedforward_channels=32, num_fcs=2, ffn_drop=0.0,
                             act_cfg=dict(type='ReLU', inplace=True))), init_cfg=None),
            positional_encoding=dict(num_feats=8, normalize=True), init_cfg=None),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=8, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True, num_layers=2,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=16, num_heads=2, attn_drop=0.0, proj_drop=0.0,
                                   dropout_layer=None, batch_first=True),
                cross_attn_cfg=dict(embed_dims=16, num_heads=2, attn_drop=0.0, proj_drop=0.0,
                                    dropout_layer=None, batch_first=True),
                ffn_cfg=dict(embed_dims=16, feedforward_channels=32, num_fcs=2,
                             act_cfg=dict(type='ReLU', inplace=True), ffn_drop=0.0,
                             dropout_layer=None, add_identity=True)),
            init_cfg=None),
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0,
                      reduction='mean', class_weight=[1.0] * _m2f_classes + [0.1]),
        loss_mask=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                       loss_weight=5.0),
        loss_dice=dict(type='mmdet.DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
                       naive_dice=True, eps=1.0, loss_weight=5.0),
        train_cfg=dict(
            num_points=256, oversample_ratio=3.0, importance_sample_ratio=0.75,
            assigner=dict(type='mmdet.HungarianAssigner', match_costs=[
                dict(type='mmdet.ClassificationCost', weight=2.0),
                dict(type='mmdet.CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                dict(type='mmdet.DiceCost', weight=5.0, pred_act=True, eps=1.0)]),
            sampler=dict(type='mmdet.MaskPseudoSampler'))),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
