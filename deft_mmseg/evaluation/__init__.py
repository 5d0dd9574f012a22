from .dg_iou_metric import DGIoUMetric
from .multi_domain_summary import summarize_domains, format_domain_table

__all__ = ['DGIoUMetric', 'summarize_domains', 'format_domain_table']
