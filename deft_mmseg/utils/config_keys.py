"""Refuse mistyped config keys before anything is built.

mmengine passes every key of a ``dict(type=...)`` to the class, so ``model.finalmodel=IV`` or
``train_cfg.warmup_iter=10`` fails deep in the build with ``TypeError: __init__() got an
unexpected keyword argument`` (or, for an untyped dict, is silently ignored). This module reads the
constructor signatures instead and names the nearest valid key.
"""
import difflib
import inspect

from mmengine.registry import DefaultScope

from .errors import ConfigKeyError

#: keys every typed config dict may hold (mmengine's, not the class's)
REGISTRY_KEYS = {'type', '_scope_', '_delete_', 'priority'}


def _registries():
    from mmseg import registry as r
    return [
        r.MODELS, r.LOOPS, r.HOOKS, r.DATASETS, r.TRANSFORMS, r.METRICS, r.PARAM_SCHEDULERS,
        r.OPTIM_WRAPPERS, r.OPTIMIZERS, r.VISUALIZERS, r.VISBACKENDS, r.DATA_SAMPLERS, r.EVALUATOR,
        r.LOG_PROCESSORS, r.TASK_UTILS
    ]


def resolve_type(type_name):
    """The class a config ``type`` names in mmseg's scope (or ``None``)."""
    if isinstance(type_name, type):
        return type_name
    if not isinstance(type_name, str):
        return None
    for registry in _registries():
        try:
            with DefaultScope.overwrite_default_scope('mmseg'):
                cls = registry.get(type_name)
        except Exception:  # noqa: BLE001  (an unimportable scope is "unknown")
            cls = None
        if cls is not None:
            return cls
    return None


def accepted_keys(cls):
    """The keyword arguments ``cls(...)`` takes, following ``**kwargs`` up the class hierarchy;
    ``None`` when that cannot be known (a constructor that passes ``**kwargs`` to a class outside
    the hierarchy, or takes ``*args``)."""
    if not inspect.isclass(cls):
        return None
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        if klass is object:
            return None
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        open_kwargs = False
        for p in params:
            if p.kind == p.VAR_KEYWORD:
                open_kwargs = True
            elif p.kind == p.VAR_POSITIONAL:
                return None
            elif p.name != 'self':
                names.add(p.name)
        if not open_kwargs:
            return names
    return None


def _unknown(cfg_dict, where):
    cls = resolve_type(cfg_dict.get('type'))
    keys = accepted_keys(cls) if cls is not None else None
    if keys is None:
        return None
    for key in cfg_dict:
        if key in REGISTRY_KEYS or key in keys:
            continue
        near = difflib.get_close_matches(key, sorted(keys), n=1, cutoff=0.6)
        hint = (f'did you mean {where}.{near[0]}?'
                if near else f'valid keys: {", ".join(sorted(keys))}.')
        return ConfigKeyError(f'{where}.{key}: {cls.__name__} takes no argument {key!r}; {hint}')
    return None


def _typed_dicts(obj, where=''):
    if isinstance(obj, dict):
        if 'type' in obj:
            yield where, obj
        for key, value in obj.items():
            yield from _typed_dicts(value, f'{where}.{key}' if where else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _typed_dicts(value, f'{where}.{i}')


def check_config_keys(cfg, option_keys=(), plugin_prefix='deft_mmseg'):
    """Raise :class:`ConfigKeyError` for a key its module does not take.

    Checked: every typed dict whose class is one of this plugin's (anywhere in ``cfg``), and the
    dict each of ``option_keys`` (``--cfg-options`` keys, ``a.b.c``) lands in, whatever its class.
    Dicts whose class is unknown or whose constructor accepts open ``**kwargs`` are not judged.
    """
    cfg = cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg
    for where, typed in _typed_dicts(cfg):
        cls = resolve_type(typed.get('type'))
        if cls is not None and cls.__module__.startswith(plugin_prefix):
            error = _unknown(typed, where)
            if error is not None:
                raise error
    for option in option_keys:
        parts = option.split('.')
        parent, where = cfg, []
        for part in parts[:-1]:
            if isinstance(parent, (list, tuple)) and part.isdigit() and int(part) < len(parent):
                parent = parent[int(part)]
            elif isinstance(parent, dict) and part in parent:
                parent = parent[part]
            else:
                parent = None
                break
            where.append(part)
        if isinstance(parent, dict) and 'type' in parent and where:
            error = _unknown(parent, '.'.join(where))
            if error is not None:
                raise error
