# FisherTune on DINOv2-L with Mask2Former (FisherTune paper Tables 1-4): the model of
# vfm_dinov2-l_mask2former.py, trainable, with the settings of fishertune_method.py.
_base_ = ['./vfm_dinov2-l_mask2former.py', './fishertune_method.py']
model = {{_base_.fishertune_model}}
