"""The sim2real comparison's picture, and the re-test of the final models it shows (issue 25).

For each real target: one image, its ground truth and the predictions of LP-FT's and DeFT's final
models of one seed, beside the encoders' L2 distance from their weights at the start of decoupled
finetuning (the DeFT paper's Fig. 3 quantity, mean over the seeds that have it). The final models
are the ones ``benchmarks/mini_dg.py --protocol sim2real`` exports after each run
(``OUT/<method>/seed<k>/final_model/``: a plain mmseg ``EncoderDecoder`` config and checkpoint,
``deft_mmseg.models.export``), loaded with mmseg's ``init_model`` and run with
``inference_model``, as a user of the exported files would.

:func:`retest` runs those files on every image of every target and scores them with the
evaluator of the run's config (``DGIoUMetric``, mmseg's ``IoUMetric``): the numbers the run
recorded come back from the same weights, or the demo says they do not.
"""
import contextlib
import glob
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np

#: the folder (under a run's work dir) ``benchmarks/mini_dg.py`` exports the final model into
FINAL_MODEL_DIR = 'final_model'


def target_files(data_root: str, target: str) -> List[Tuple[str, str]]:
    """``(image, label)`` paths of a target written by ``generate_sim2real_dataset`` (Cityscapes
    layout, train ids), sorted by name."""
    images = sorted(
        glob.glob(osp.join(data_root, target, 'leftImg8bit', 'val', '*', '*_leftImg8bit.png')))
    if not images:
        raise FileNotFoundError(f'no images of target {target!r} under {data_root}')
    return [(img, img.replace(f'{osp.sep}leftImg8bit{osp.sep}',
                              f'{osp.sep}gtFine{osp.sep}').replace('_leftImg8bit.png',
                                                                   '_gtFine_labelTrainIds.png'))
            for img in images]


def load_final_model(run_dir: str):
    """The exported final model of a run (``run_dir/final_model``), on the CPU, by mmseg's
    ``init_model`` (deft_mmseg's check refuses a checkpoint that does not fit its config)."""
    from mmseg.apis import init_model
    folder = osp.join(run_dir, FINAL_MODEL_DIR)
    cfg, ckpt = osp.join(folder, 'final_model_config.py'), osp.join(folder, 'final_model.pth')
    for path in (cfg, ckpt):
        if not osp.exists(path):
            raise FileNotFoundError(f'{path} is missing: the run exports it after training '
                                    '(benchmarks/mini_dg.py --protocol sim2real)')
    return init_model(cfg, ckpt, device='cpu')


def predict(model, image: str) -> np.ndarray:
    """The predicted train-id map (H, W) of one image file, at the image's size."""
    from mmseg.apis import inference_model
    return inference_model(model, image).pred_sem_seg.data[0].cpu().numpy()


def read_label(path: str) -> np.ndarray:
    """A train-id label map (H, W), as mmseg's ``LoadAnnotations`` reads it (unchanged)."""
    import mmcv
    return mmcv.imread(path, flag='unchanged', backend='pillow')


def retest(model, data_root: str, targets: Sequence[str], evaluator_cfg: dict,
           classes: Sequence[str]) -> Dict[str, float]:
    """mIoU (%) of ``model`` on every image of each target, by ``evaluator_cfg`` (the run's
    ``test_evaluator``: its metric type and settings) over the 19 ``classes``."""
    import copy

    import torch
    from mmseg.registry import METRICS
    out = {}
    for target in targets:
        cfg = copy.deepcopy(dict(evaluator_cfg))
        cfg.pop('format_only', None)
        metric = METRICS.build(cfg)
        metric.dataset_meta = dict(classes=tuple(classes))
        metric.process({}, [
            dict(
                pred_sem_seg=dict(data=torch.from_numpy(predict(model, image))[None]),
                gt_sem_seg=dict(data=torch.from_numpy(read_label(label).astype(np.int64))[None]),
                seg_map_path=label) for image, label in target_files(data_root, target)
        ])
        with _quiet_logger():  # the metric's per-class table, once per target: not wanted here
            out[target] = float(metric.compute_metrics(metric.results)['mIoU'])
    return out


@contextlib.contextmanager
def _quiet_logger():
    """mmengine's current logger at WARNING while the block runs."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')
    try:
        yield
    finally:
        logger.setLevel(level)


def _colour(label: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """(H, W) train ids -> (H, W, 3) uint8; ignored (255) black."""
    rgb = np.zeros(label.shape + (3, ), np.uint8)
    known = label < len(palette)
    rgb[known] = palette[label[known]]
    return rgb


def draw(examples: Sequence[Tuple[str, str, str]],
         predictions: Dict[str, Sequence[np.ndarray]],
         curves: Dict[str, Sequence[Tuple[int, float]]],
         palette: Sequence[Sequence[int]],
         path: str,
         title: str = '') -> str:
    """One row per target: image, ground truth, then each method's prediction (``predictions``:
    method label -> one map per example), and the distance curves (method label -> (step, L2))
    in a panel beside them. ``examples``: ``(target, image path, label path)``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import mmcv
    palette = np.asarray(palette, np.uint8)
    cols = 2 + len(predictions)
    fig = plt.figure(figsize=(2.6 * cols + 5, 1.6 * len(examples) + 1.2))
    grid = fig.add_gridspec(len(examples), cols + 2)
    for row, (target, image, label) in enumerate(examples):
        panels = [('image', mmcv.imread(image, channel_order='rgb')),
                  ('ground truth', _colour(read_label(label), palette))]
        panels += [(name, _colour(maps[row], palette)) for name, maps in predictions.items()]
        for col, (name, picture) in enumerate(panels):
            ax = fig.add_subplot(grid[row, col])
            ax.imshow(picture, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(name, fontsize=9)
            if col == 0:
                ax.set_ylabel(target, fontsize=9)
    ax = fig.add_subplot(grid[:, cols:])
    for name, curve in curves.items():
        if curve:
            ax.plot([s for s, _ in curve], [v for _, v in curve], label=name)
    ax.set_xlabel('iteration')
    ax.set_ylabel('L2 distance of the encoder\nfrom the start of decoupled finetuning')
    ax.set_title('Fig. 3-style distance', fontsize=9)
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def mean_curve(runs: Sequence[dict], key: str = 'dist_l2/encoder') -> List[Tuple[int, float]]:
    """The mean over runs of a recorded distance curve (``result['curves'][key]``), truncated
    to the shortest."""
    curves = [r['curves'][key] for r in runs if r.get('curves', {}).get(key)]
    if not curves:
        return []
    n = min(len(c) for c in curves)
    return [(curves[0][i][0], float(np.mean([c[i][1] for c in curves]))) for i in range(n)]
