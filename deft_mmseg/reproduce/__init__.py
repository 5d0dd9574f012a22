"""Reproduce a paper table with one command (tools/reproduce.py): the tables and their numbers
(``paper_tables.yaml``, :mod:`.tables`), the trainings and tests each row needs (:mod:`.runs`),
running them with progress (:mod:`.execute`, :mod:`.progress`) and the report (:mod:`.report`)."""
from .execute import reproduce_table
from .runs import RunOptions, plan_rows
from .tables import PaperTable, TableColumn, TableRow, get_table, load_paper_tables

__all__ = [
    'PaperTable', 'TableColumn', 'TableRow', 'RunOptions', 'get_table', 'load_paper_tables',
    'plan_rows', 'reproduce_table'
]
