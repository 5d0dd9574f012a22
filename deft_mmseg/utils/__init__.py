from .distributed import prepare_cpu_distributed
from .user_errors import USER_ERRORS, run_with_user_errors

__all__ = ['USER_ERRORS', 'run_with_user_errors', 'prepare_cpu_distributed']
