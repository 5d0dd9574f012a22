"""How the tools read the config a user names: the file itself, or its ``--demo [ITERS]`` run."""
import ast
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

from ..demo.demo_config import demo_run_config
from ..demo.demo_data import locate_demo_data, missing_demo_data_error
from ..utils.errors import ConfigSyntaxError


def load_config(path: str, demo_iters: Optional[int] = None, demo_data: bool = True) -> Config:
    """``Config.fromfile(path)``, turned into its demo run (:func:`demo_run_config`) when
    ``demo_iters`` (the value of ``--demo``) is given, on the demo data found from any working
    directory (:func:`~deft_mmseg.demo.demo_data.locate_demo_data`).

    Args:
        demo_data (bool): the tool reads the demo data (train, test, check_dataset): without it,
            a one-line :class:`DatasetConfigError` says how to make it. Tools that only build the
            model (infer, export) pass False.

    A config (or ``_base_`` file) that is not valid Python raises
    :class:`~deft_mmseg.utils.errors.ConfigSyntaxError` naming file and line.
    """
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as exc:  # mmengine names the file '<unknown>'
        raise config_syntax_error(path, exc) from None
    if demo_iters is None:
        return cfg
    root = locate_demo_data()
    if root is None and demo_data:
        raise missing_demo_data_error()
    return demo_run_config(cfg, demo_iters, demo_root=root)


def _base_files(tree: ast.Module, path: str) -> List[str]:
    """The local ``_base_`` files a parsed config names (``pkg::`` configs are left out)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                return []
            bases = [bases] if isinstance(bases, str) else list(bases)
            return [osp.normpath(osp.join(osp.dirname(path), b)) for b in bases if '::' not in b]
    return []


def find_syntax_error(path: str, seen: Optional[set] = None):
    """``(file, SyntaxError)`` for the first file of ``path`` and its ``_base_`` chain that is not
    valid Python, or ``None``."""
    seen = set() if seen is None else seen
    if path in seen or not osp.isfile(path):
        return None
    seen.add(path)
    with open(path, encoding='utf-8') as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return path, exc
    for base in _base_files(tree, path):
        found = find_syntax_error(base, seen)
        if found:
            return found
    return None


def config_syntax_error(path: str, exc: SyntaxError) -> ConfigSyntaxError:
    """One line for a config that is not valid Python: the file (the config or one of its
    ``_base_`` files), the line, what Python says and the line's text."""
    found = find_syntax_error(path)
    where, err = found if found else (path, exc)
    text = f": {err.text.strip()!r}" if err.text and err.text.strip() else ''
    return ConfigSyntaxError(f'config {where} line {err.lineno}: {err.msg}{text}. Fix that line '
                             f'(the config is Python).')


#: the hooks mmengine's ``Runner.register_default_hooks`` knows by name (mmengine 0.10.7,
#: ``runner/runner.py``): only these may be ``None`` when the runner is built
MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger', 'param_scheduler',
                          'checkpoint')


def drop_disabled_hooks(cfg) -> None:
    """``default_hooks.<name>=None`` turns a default hook off, the mmengine way, for this plugin's
    default hooks too (``exact_resume``, ``checkpoint_match``, ...). mmengine accepts ``None`` only
    for its own names and asserts on any other; those entries are removed here instead."""
    hooks = cfg.get('default_hooks') or {}
    for name in [n for n, hook in hooks.items() if hook is None]:
        if name not in MMENGINE_DEFAULT_HOOKS:
            del hooks[name]
