# fishertune_dinov2-l_mask2former_gtav.py on the embedded demo data: the same method and optimizer
# with a tiny ViT (random init): 100 warm-up iterations, DR-FIM estimated on 20 batches, 200 tuning
# iterations.
_base_ = [
    '../_base_/models/fishertune_vit_tiny_demo.py', '../_base_/datasets/demo.py',
    '../_base_/default_runtime_demo.py', '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
train_cfg = dict(warmup_iters=100, estimate_iters=20, tune_iters=200, val_interval=150)
