"""Where the configs (and tools) shipped with deft_mmseg are, wherever it is installed.

mmseg's convention (its setup.py ``add_mim_extension``): the package carries ``<package>/.mim/
configs`` (and ``.mim/tools``), so ``mmseg::_base_/...`` works from any directory. Here
``deft_mmseg/.mim/configs`` and ``.mim/tools`` are symlinks to the repository's ``configs/`` and
``tools/`` in a source checkout, and real folders inside a wheel (setup.py copies them).
"""
import os.path as osp

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCOPE = 'deft_mmseg'


def config_root():
    """The folder holding ``_base_/``, ``deft/``, ``rein/``, ... (``deft_mmseg::`` resolves here)."""
    return osp.join(PACKAGE_DIR, '.mim', 'configs')


def tools_root():
    """The folder holding ``train.py``, ``test.py``, ... (``python <tools_root>/train.py ...``)."""
    return osp.join(PACKAGE_DIR, '.mim', 'tools')


def register_config_scope():
    """Let ``_base_ = ['deft_mmseg::deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']``
    resolve: mmengine only accepts ``<module>::`` for modules in its ``MODULE2PACKAGE`` table (then reads
    ``<installed package>/.mim/configs/<path>``).

    A config is parsed before its ``custom_imports`` run, so ``deft_mmseg`` must have been
    imported by then: this repo's tools import it first; in a user's own training script,
    ``import deft_mmseg`` before ``Config.fromfile`` (docs/install.md)."""
    from mmengine.config.utils import MODULE2PACKAGE

    # The table maps to a *distribution* name, whose location mmengine takes from pkg_resources;
    # for an editable install that is site-packages, which holds no deft_mmseg/. A module name
    # with no distribution of its own makes mmengine fall back to importlib's find_spec, which
    # finds the package where Python imports it from, however it was installed.
    MODULE2PACKAGE.setdefault(SCOPE, f'{SCOPE}.registry')
