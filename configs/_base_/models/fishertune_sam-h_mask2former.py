# FisherTune on the SAM ViT-H image encoder with Mask2Former (FisherTune paper Table 1): the model of
# vfm_sam-h_mask2former.py, trainable, with the settings of fishertune_method.py.
_base_ = ['./vfm_sam-h_mask2former.py', './fishertune_method.py']
model = {{_base_.fishertune_model}}
