# rein_dinov2-l_mask2former_gtav.py on the embedded demo data: tiny ViT (random init), 100 warm-up +
# 200 decoupled iterations, beta 0.99 (see deeplabv3plus_r50_gtav_demo.py).
_base_ = [
    '../_base_/models/rein_vit_tiny_demo.py', '../_base_/datasets/demo.py',
    '../_base_/default_runtime_demo.py', '../_base_/schedules/deft_adamw_peft.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV')
train_cfg = dict(warmup_iters=100, decoupled_iters=200, val_interval=150)
custom_hooks = [dict(type='CrossEMAHook', beta=0.99, buffer_update='forward')]
