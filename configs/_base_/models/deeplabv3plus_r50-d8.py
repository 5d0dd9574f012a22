# mmseg's DeepLabv3+ with an ImageNet ResNet-50 (V1c), output stride 8, at crop 768, without its
# auxiliary FCN head (the DeFT paper trains without the auxiliary loss, Sec. 4.1). The head stays
# available as `auxiliary_fcn_head` for the baselines that keep it.
_base_ = ['mmseg::_base_/models/deeplabv3plus_r50-d8.py']
auxiliary_fcn_head = _base_.model.auxiliary_head
data_preprocessor = dict(_base_.data_preprocessor, size=(768, 768))
model = dict(data_preprocessor=data_preprocessor, auxiliary_head=None)
