# FisherTune on CLIP ViT-L/14 (OpenAI) with Mask2Former (FisherTune paper Table 1): the model of
# vfm_clip-l_mask2former.py, trainable, with the settings of fishertune_method.py.
_base_ = ['./vfm_clip-l_mask2former.py', './fishertune_method.py']
model = {{_base_.fishertune_model}}
