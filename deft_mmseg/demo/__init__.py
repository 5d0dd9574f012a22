from .demo_config import make_demo_config
from .synthetic_streets import DEMO_TARGET_DOMAINS, generate_demo_dataset, render_scene

__all__ = ['generate_demo_dataset', 'render_scene', 'DEMO_TARGET_DOMAINS', 'make_demo_config']
