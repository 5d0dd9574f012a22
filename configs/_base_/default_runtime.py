# Runtime shared by every deft_mmseg config (mmseg's default_runtime plus the plugin import).
custom_imports = dict(imports=['deft_mmseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
tta_model = dict(type='SegTTAModel')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # no save_best: validation runs on the unseen target domains, and keeping the checkpoint that
    # scores best there is model selection on the test set. Every protocol reports the last
    # iteration's checkpoint, as the papers do (docs/evaluation.md, "Which checkpoint")
    # mmengine's CheckpointHook, written to a temporary name and renamed into place, old ones
    # removed after the new one is complete (docs/checkpoints.md, "Nothing a kill can lose")
    checkpoint=dict(
        type='AtomicCheckpointHook',
        by_epoch=False,
        interval=4000,
        max_keep_ckpts=3,
        save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    # deft_mmseg checks: checkpoints must fit the model, num_classes must fit the data, staged
    # segmentors need the loop that runs their stages
    checkpoint_match=dict(type='CheckpointMatchHook'),
    dataset_model_check=dict(type='DatasetModelCheckHook'),
    train_loop_check=dict(type='TrainLoopCheckHook'),
    # generator states and data-stream position in every checkpoint: --resume is bit-exact
    exact_resume=dict(type='ExactResumeHook'),
    # Ctrl-C / SIGTERM: finish the step, save a checkpoint, print the --resume command
    stop_signal=dict(type='StopSignalHook'))
