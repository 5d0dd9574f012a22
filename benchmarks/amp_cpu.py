"""Training-step time on the CPU: float32 against ``--amp`` (bfloat16 autocast,
``CPUBF16OptimWrapper``), same model, batch and optimizer, in the same run.

    python benchmarks/amp_cpu.py [--model tiny|r50|rein-tiny] [--size 256] [--batch 2] [--steps 5]

Prints the mean step time of each and the ratio bf16 / fp32 (below 1: ``--amp`` pays off here).
"""
import json
import time

from bench_utils import random_batch, step_parser
from deft_step import MODEL_FILES, _model_cfg


def step_time(model_name, size, batch, steps, bf16):
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import deft_mmseg  # noqa: F401
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(_model_cfg(model_name, 'EncoderDecoder', size)).train()
    wrapper = build_optim_wrapper(
        model,
        dict(
            type='CPUBF16OptimWrapper' if bf16 else 'OptimWrapper',
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4)))
    inputs, samples = random_batch(batch, size, torch.device('cpu'))
    times = []
    for i in range(steps + 2):  # two warm-up steps are not timed
        t0 = time.perf_counter()
        with wrapper.optim_context(model):
            losses = model.loss(inputs, samples)
        wrapper.update_params(sum(v for k, v in losses.items() if 'loss' in k))
        if i >= 2:
            times.append(time.perf_counter() - t0)
    return sum(times) / len(times)


def main():
    parser = step_parser(__doc__, MODEL_FILES)
    args = parser.parse_args()
    fp32 = step_time(args.model, args.size, args.batch, args.steps, bf16=False)
    bf16 = step_time(args.model, args.size, args.batch, args.steps, bf16=True)
    print(
        json.dumps(
            dict(
                model=args.model,
                size=args.size,
                batch=args.batch,
                fp32_step_s=round(fp32, 4),
                bf16_step_s=round(bf16, 4),
                bf16_over_fp32=round(bf16 / fp32, 3))))


if __name__ == '__main__':
    main()
