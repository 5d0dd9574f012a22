"""Refuse a sensitivity file (:mod:`.artifact_format`) that was estimated for another network,
before its scores select weights to tune."""
import math

from ...utils.errors import SensitivityConfigError


def check_artifact_matches(artifact: dict, meta: dict, path: str) -> None:
    """Refuse a sensitivity file estimated for another network (names, shapes)."""
    theirs = artifact['meta']
    if theirs.get('backbone') != meta['backbone']:
        raise SensitivityConfigError(
            f"{path} was estimated for a {theirs.get('backbone')} backbone, this model has a "
            f"{meta['backbone']}: estimate again (drop load_sensitivity from train_cfg).")
    missing = [n for n in meta['shapes'] if n not in theirs['shapes']]
    if missing:
        raise SensitivityConfigError(
            f'{path} has no estimate for {len(missing)} parameters this model may tune (e.g. '
            f'{missing[0]}); it was estimated for other FisherTune groups or another network.')
    wrong = [n for n, s in meta['shapes'].items() if list(theirs['shapes'][n]) != list(s)]
    if wrong:
        raise SensitivityConfigError(
            f'{path}: {wrong[0]} has shape {theirs["shapes"][wrong[0]]} there but '
            f'{meta["shapes"][wrong[0]]} in this model (another ViT size?).')
    if not math.isfinite(theirs.get('domain_weight', 0.0)):
        raise SensitivityConfigError(f'{path}: non-finite domain weight')
