"""tools/plot_curves.py on scalar logs written like mmengine's LocalVisBackend."""
import json
import os

import numpy as np
import plot_curves
import pytest
from PIL import Image

from deft_mmseg.utils.curves import load_curves, plot_runs
from deft_mmseg.utils.errors import CurveError


def _run(tmp_path, name, values):
    vis = tmp_path / name / '20261121_000000' / 'vis_data'
    os.makedirs(vis)
    with open(vis / 'scalars.json', 'w') as f:
        for step, v in enumerate(values, 1):
            f.write(json.dumps({'loss': 2.0 / step, 'lr': 0.01, 'step': step}) + '\n')
            if step % 2 == 0:
                f.write(json.dumps({'dist_l2/encoder': v, 'step': step}) + '\n')
    return str(tmp_path / name)


def test_overlaid_plots_and_values(tmp_path, capsys):
    joint = _run(tmp_path, 'joint', [1.0, 2.0, 3.0, 4.0])
    deft = _run(tmp_path, 'deft', [0.5, 0.6, 0.7, 0.8])
    assert load_curves(deft)['dist_l2/encoder'] == [(2, 0.6), (4, 0.8)]
    out = str(tmp_path / 'plots')
    plot_curves.main([joint, deft, '--out', out, '--labels', 'joint', 'DeFT'])
    files = capsys.readouterr().out.split()
    assert sorted(os.path.basename(f) for f in files) == ['dist_l2_encoder.png', 'loss.png']
    image = np.asarray(Image.open(files[0]).convert('RGB'))
    assert image.shape[0] > 100 and image.std() > 10  # a real drawing, not a blank canvas
    with pytest.raises(CurveError, match=r"keys \['nope'\]"):
        plot_runs([joint], out, keys=['nope'])
    with pytest.raises(SystemExit):
        plot_curves.main([str(tmp_path / 'missing')])
