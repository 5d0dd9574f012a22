# fishertune_dinov2-l_mask2former_gtav.py on the embedded demo data: the same method with a tiny ViT
# (random init): 100 warm-up iterations, DR-FIM estimated on 20 batches, 200 tuning iterations.
# The optimizer recipe is the same but with lr 1e-3 instead of 1e-4: from a random init the tiny
# model learns nothing visible in 300 iterations at 1e-4 (avg mIoU 0.05 vs 10.4 at 1e-3).
_base_ = [
    '../_base_/models/fishertune_vit_tiny_demo.py', '../_base_/datasets/demo.py',
    '../_base_/default_runtime_demo.py', '../_base_/schedules/fishertune_adamw_4k_40k.py'
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(warmup_iters=100, estimate_iters=20, tune_iters=200, val_interval=150)
