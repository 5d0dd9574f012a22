# FisherTune on MAE ViT-L/16 with Mask2Former (FisherTune paper Table 1): the model of
# vfm_mae-l_mask2former.py, trainable, with the settings of fishertune_method.py.
_base_ = ['./vfm_mae-l_mask2former.py', './fishertune_method.py']
model = {{_base_.fishertune_model}}
