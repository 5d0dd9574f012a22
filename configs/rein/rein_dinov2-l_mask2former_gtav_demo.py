# rein_dinov2-l_mask2former_gtav.py on the embedded demo data: the same method and optimizer with a
# tiny ViT (random init) and 300 iterations.
_base_ = [
    '../_base_/models/rein_vit_tiny_demo.py', '../_base_/datasets/demo.py',
    '../_base_/default_runtime_demo.py', '../_base_/schedules/adamw_poly_40k_peft.py'
]
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=300,
                        by_epoch=False)]
train_cfg = dict(max_iters=300, val_interval=150)
