# SegFormer: MiT-B5 encoder + all-MLP decoder, from mmseg's own SegFormer base (MiT-B0 there): the
# B5 depths and widths, the 768-channel decoder of the SegFormer paper's B5, crop 768.
# ImageNet weights: convert the official mit_b5.pth with mmseg's
# tools/model_converters/mit2mmseg.py into pretrain/mit_b5_mmseg.pth.
_base_ = ['mmseg::_base_/models/segformer_mit-b0.py']
data_preprocessor = dict(_base_.data_preprocessor, size=(768, 768))
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        embed_dims=64,
        num_layers=[3, 6, 40, 3],
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/mit_b5_mmseg.pth')),
    decode_head=dict(in_channels=[64, 128, 320, 512], channels=768))
