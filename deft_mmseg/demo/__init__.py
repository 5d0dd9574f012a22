from .demo_config import SMOKE_ITERS, demo_run_config, make_demo_config
from .demo_data import DEMO_DATA_ENV, locate_demo_data
from .sim2real_streets import REAL_TARGETS, generate_sim2real_dataset
from .synthetic_streets import DEMO_TARGET_DOMAINS, generate_demo_dataset, render_scene

__all__ = [
    'generate_demo_dataset', 'render_scene', 'DEMO_TARGET_DOMAINS', 'make_demo_config',
    'demo_run_config', 'SMOKE_ITERS', 'DEMO_DATA_ENV', 'locate_demo_data',
    'generate_sim2real_dataset', 'REAL_TARGETS'
]
