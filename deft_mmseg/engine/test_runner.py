"""A test run that keeps everything of its own in its own folder of the work dir."""
import os.path as osp

from mmengine.runner import Runner
from mmseg.registry import RUNNERS


@RUNNERS.register_module()
class PerRunTestRunner(Runner):
    """mmengine's ``Runner`` for testing: it writes the config of this test into the run's own
    folder ``WORK_DIR/<timestamp>/`` (next to its log and ``MultiDomainTestLoop``'s
    ``test_results.json``) instead of ``WORK_DIR/<config name>.py``.

    mmengine dumps every runner's config to ``WORK_DIR/<config name>.py`` when the runner is
    built (``Runner.dump_config``, mmengine 0.10.7), and mmseg's tools/test.py and ours default
    to the training run's work dir: a test wrote its own config (``load_from``, test settings)
    over the one the training run dumped, the one record of how its checkpoints were made.
    ``tools/test.py`` uses this runner. It is registered in mmseg's ``RUNNERS`` for a test script
    that builds ``cfg.runner_type`` from it (mmseg's tools/train.py does; mmseg 1.2.2's
    tools/test.py always builds mmengine's ``Runner``: give it a work dir of its own).
    """

    def dump_config(self) -> None:
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self.timestamp}.py'
        self.cfg.dump(osp.join(self.log_dir, name))
