# fishertune_dinov2-l_mask2former.py at the tiny size of vfm_vit_tiny_demo.py (random init), for the
# demo data on CPU.
_base_ = ['./vfm_vit_tiny_demo.py', './fishertune_method.py']
model = {{_base_.fishertune_model}}
