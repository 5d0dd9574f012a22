"""FisherTune's sensitivity file (``work_dir/fishertune_sensitivity.pth``): written by the
estimation stage of ``FisherTuneTrainLoop`` and read back on resume or with
``train_cfg.load_sensitivity``; it lives with the loop that uses it."""
import json
import os.path as osp
from typing import Sequence

import torch

from ..models.fishertune.artifact_format import (ARTIFACT_FILE, ARTIFACT_FORMAT, ARTIFACT_VERSION,
                                                 SUMMARY_FILE)
from ..models.fishertune.sensitivity_summary import block_group_summary
from ..utils.checkpoint_loading import load_local_checkpoint
from ..utils.errors import CheckpointSecurityError, SensitivityConfigError

__all__ = ['ARTIFACT_FILE', 'save_artifact', 'load_artifact', 'load_summary']


def save_artifact(artifact: dict, work_dir: str) -> str:
    """Write the artifact (tensors and plain values only: loads with ``weights_only=True``) and a
    small JSON summary (per block and group means of F, Delta F and DR-FIM, and the stability
    figure of the estimate). Returns the path."""
    path = osp.join(work_dir, ARTIFACT_FILE)
    torch.save(artifact, path)
    summary = block_group_summary(artifact)
    summary['stability'] = artifact['meta'].get('stability')
    with open(osp.join(work_dir, SUMMARY_FILE), 'w') as f:
        json.dump(summary, f, indent=1)
    return path


def load_artifact(path: str) -> dict:
    """Load a sensitivity artifact; clear errors for a missing or foreign file."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'FisherTune sensitivity file {path} does not exist. It is written by the estimation '
            f'stage of a FisherTune run (work_dir/{ARTIFACT_FILE}); drop load_sensitivity from '
            f'train_cfg to estimate again.')
    try:  # weights-only, with the allow-list of mmengine checkpoints (a wrong file is named)
        artifact = load_local_checkpoint(path, map_location='cpu')
    except CheckpointSecurityError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
        raise SensitivityConfigError(f'FisherTune sensitivity file {path} cannot be read '
                                     f'({type(exc).__name__}: {exc}).') from exc
    if not isinstance(artifact, dict) or artifact.get('format') != ARTIFACT_FORMAT:
        raise SensitivityConfigError(f'{path} is not a FisherTune sensitivity file (it has no '
                                     f"format '{ARTIFACT_FORMAT}'); is it a model checkpoint?")
    if artifact.get('version') != ARTIFACT_VERSION:
        raise SensitivityConfigError(f'{path}: sensitivity file version {artifact.get("version")}, '
                                     f'this deft_mmseg reads version {ARTIFACT_VERSION}.')
    return artifact


def load_summary(path: str,
                 scores: Sequence[str] = ('fisher', 'delta_fisher', 'drf'),
                 formula: str = 'printed') -> dict:
    """Per (group, block) means from a ``fishertune_sensitivity.pth`` or its
    ``fishertune_sensitivity_summary.json`` (which holds the three default scores)."""
    if path.endswith('.json'):
        with open(path) as f:
            return json.load(f)
    return block_group_summary(load_artifact(path), scores, formula)
