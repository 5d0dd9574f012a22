# default_runtime.py for the short demo runs: frequent logs, no best-checkpoint tracking, local
# visualization only, fixed seed.
_base_ = ['./default_runtime.py']
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=150, save_best=None))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
