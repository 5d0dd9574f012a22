"""How long ``tools/train.py --resume`` takes to train its first iteration, against the iteration
it resumes at: with the seeded data stream (default) and with mmengine's replay
(``default_hooks.exact_resume.seeded_data=False``, every batch before the checkpoint is loaded).

    python benchmarks/resume_time.py [--at 20 2000] [--out DIR]

A one-iteration run of the demo baseline (DeepLabv3+, generated 128x64 images, the demo pipeline:
resize, crop, flip, photometric distortion, num_workers=0) writes ``iter_1.pth``; its copy is
set to iteration N (``meta.iter`` and the stream position in ``rng_state``) and resumed to train
iteration N+1. Prints one JSON line per (N, mode): ``to_first_batch``, the seconds from the start
of the resumed loop to its first batch (mmengine's ``data_time`` of that iteration: it includes
the replay or the seek and the loading of the first batch), and ``process``, the wall time of
the whole resumed process (interpreter start, model build, checkpoint load and save included).
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'baselines', 'deeplabv3plus_r50-d16_1xb4-40k_gtav-768x768.py')
TRAIN = osp.join(REPO, 'tools', 'train.py')


def train(work_dir, cwd, *options, resume=False):
    cmd = [
        sys.executable, TRAIN, CONFIG, '--demo', '--work-dir', work_dir,
        *(['--resume'] if resume else []), '--cfg-options', 'randomness.seed=0',
        'train_cfg.val_interval=100000', *options
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return time.perf_counter() - t0


def checkpoint_at(src, dst_dir, iteration, seeded):
    """``src`` as if written at ``iteration`` by a run with or without the seeded stream (the
    resume reads meta.iter and the stream position and continues the checkpoint's kind of
    stream; weights and optimizer are whatever they are)."""
    import torch
    ckpt = torch.load(src, weights_only=False)
    ckpt['meta']['iter'] = iteration
    ckpt['rng_state']['data_batches'] = iteration
    ckpt['rng_state']['seeded_stream'] = seeded
    os.makedirs(dst_dir, exist_ok=True)
    path = osp.join(dst_dir, f'iter_{iteration}.pth')
    torch.save(ckpt, path)
    with open(osp.join(dst_dir, 'last_checkpoint'), 'w') as f:
        f.write(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--at', type=int, nargs='+', default=[20, 2000])
    parser.add_argument('--out', help='folder for the runs (default: a temporary one)')
    args = parser.parse_args(argv)
    from deft_mmseg.demo import generate_demo_dataset
    root = args.out or tempfile.mkdtemp(prefix='resume_time_')
    os.makedirs(osp.join(root, 'data'), exist_ok=True)
    if not osp.isdir(osp.join(root, 'data', 'demo')):
        generate_demo_dataset(osp.join(root, 'data', 'demo'), num_source=24, num_target=2)
    first = osp.join(root, 'first')
    if not osp.isfile(osp.join(first, 'iter_1.pth')):
        train(first, root, 'train_cfg.max_iters=1', 'default_hooks.checkpoint.interval=1')
    for at in args.at:
        for mode, options in (('seeded stream', []),
                              ('replay', ['default_hooks.exact_resume.seeded_data=False'])):
            work = osp.join(root, f'at{at}_{mode.replace(" ", "_")}')
            shutil.rmtree(work, ignore_errors=True)
            checkpoint_at(osp.join(first, 'iter_1.pth'), work, at, seeded=not options)
            seconds = train(
                work,
                root,
                f'train_cfg.max_iters={at + 1}',
                f'default_hooks.checkpoint.interval={at + 1}',
                *options,
                resume=True)
            scalars = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))[0]
            first_iter = json.loads(open(scalars).readline())
            print(
                json.dumps(
                    dict(
                        resume_at=at,
                        mode=mode,
                        to_first_batch=round(first_iter['data_time'], 3),
                        process=round(seconds, 2))),
                flush=True)


if __name__ == '__main__':
    main()
