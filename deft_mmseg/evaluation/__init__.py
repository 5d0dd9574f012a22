from .dg_iou_metric import DGIoUMetric
from .multi_domain_summary import format_domain_table, summarize_domains

__all__ = ['DGIoUMetric', 'summarize_domains', 'format_domain_table']
