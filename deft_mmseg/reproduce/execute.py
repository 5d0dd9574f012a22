"""Run a paper table: each row's training, then its test, row after row, and the report.

The tools run as subprocesses (tools/train.py and tools/test.py, or tools/dist_*.sh with
``--gpus``, or tools/slurm_*.sh with ``--launcher slurm``), exactly as the printed commands say.
Their whole output goes to ``<run>/logs/<stage>.log``; the terminal gets one progress line per
``progress_interval`` seconds. Finished rows are reused; a stopped training continues with
``--resume``; the report (``<root>/<table>.md`` / ``.json``) is rewritten after every stage.
"""
import collections
import json
import os
import os.path as osp
import signal
import subprocess
from typing import Callable, Dict, List, Optional

from ..utils.errors import ReproduceError
from ..utils.package_configs import tools_root
from .progress import StageProgress, format_duration
from .report import format_markdown, table_report
from .runs import (TEST_RESULTS_FILE, RowPlan, RunOptions, Stage, display_command, plan_rows,
                   write_record)
from .tables import PaperTable

#: a failed stage shows this many of its last output lines
TAIL_LINES = 15


def report_paths(table: PaperTable, options: RunOptions) -> tuple:
    base = osp.join(options.work_root, table.name.replace('/', '_'))
    return base + '.md', base + '.json'


def write_report(table: PaperTable, plans: List[RowPlan], failed: Dict[str, str]) -> Dict:
    report = table_report(table, plans, failed)
    md_path, json_path = report_paths(table, plans[0].options)
    os.makedirs(osp.dirname(md_path) or '.', exist_ok=True)
    for path, text in ((md_path, format_markdown(report)), (json_path,
                                                            json.dumps(report, indent=2) + '\n')):
        with open(path + '.tmp', 'w') as f:
            f.write(text)
        os.replace(path + '.tmp', path)
    return report


def run_stage(stage: Stage, progress: StageProgress) -> tuple:
    """Run one tool call, its output into ``stage.log`` and the progress reporter; returns
    (exit status, the last output lines)."""
    os.makedirs(osp.dirname(stage.log), exist_ok=True)
    env = dict(os.environ, **stage.env, PYTHONUNBUFFERED='1')
    tail = collections.deque(maxlen=TAIL_LINES)
    with open(stage.log, 'a') as log:
        log.write(f'$ {display_command(stage.argv, stage.env)}\n')
        log.flush()
        proc = subprocess.Popen(
            stage.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
            bufsize=1,
            errors='replace')
        try:
            for line in proc.stdout:
                log.write(line)
                tail.append(line.rstrip('\n'))
                progress.feed(line)
        except KeyboardInterrupt:  # Ctrl-C (the child got it too) or SIGTERM (tools/reproduce.py)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=120)  # let it stop before we report
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        return proc.wait(), list(tail)


def user_error_line(tail: List[str]) -> Optional[str]:
    """The ``error: ...`` line a tool prints (exit status 2) for a mistake in its input."""
    for line in reversed(tail):
        if line.startswith('error: '):
            return line[len('error: '):]
    return None


def ensure_demo_data(options: RunOptions, printer: Callable[[str], None]) -> None:
    """``--demo``: the configs read ``data/demo`` of the current directory; make it there once
    (tools/make_demo_data.py, which returns at once when it is complete)."""
    proc = subprocess.run(
        [options.python, osp.join(tools_root(), 'make_demo_data.py'), 'data/demo'],
        capture_output=True,
        text=True)
    if proc.returncode != 0:
        raise ReproduceError(f'tools/make_demo_data.py data/demo failed: '
                             f'{(proc.stderr.strip().splitlines() or ["?"])[-1]}')
    printer(proc.stdout.strip())


def describe_plan(table: PaperTable, plans: List[RowPlan]) -> List[str]:
    """Header lines: the table, its rows, their trainings and where they are."""
    options = plans[0].options
    trainings = {p.run_dir for p in plans}
    done = sum(p.status() == 'done' for p in plans)
    lines = [
        f'{table.name}: {table.paper_name} paper, {table.table}: {table.title}',
        f'  {len(plans)} row(s), {len(trainings)} training(s); {done} row(s) already '
        f'finished; work dir {options.work_root}'
    ]
    if options.demo_iters is not None:
        lines.append(f'  demo run: tiny networks, demo data, {options.demo_iters} iterations '
                     f'per training (numbers are the demo\'s, not the paper\'s setting)')
    seen = set()
    for plan in plans:
        for note in [plan.recipe_note()] + [
                f'note: {d} holds a run of another version of {plan.row.config} (a different '
                f'config hash); it is kept, and this one runs in {plan.run_dir}'
                for d in plan.earlier_runs
        ]:
            if note and note not in seen:
                seen.add(note)
                lines.append(note)
    return lines


def dry_run(table: PaperTable, plans: List[RowPlan], printer: Callable[[str], None]) -> None:
    """Print every command of the table, as it would run now (finished stages as comments)."""
    for line in describe_plan(table, plans):
        printer(line)
    printed = set()
    for plan in plans:
        printer(f'# row {plan.row.id} ({plan.row.label}): {plan.status()}')
        for stage in plan.stages():
            command = display_command(stage.argv, stage.env)
            if command in printed:
                printer(f'#   {stage.kind}: the same as above')
                continue
            printed.add(command)
            printer(('# done: ' if stage.done else '') + command)


class TableRun:
    """The state of one call: the plans, the rows that failed (and why), where output goes."""

    def __init__(self, table: PaperTable, plans: List[RowPlan], progress_interval: float,
                 printer: Callable[[str], None]):
        self.table, self.plans = table, plans
        self.progress_interval, self.printer = progress_interval, printer
        self.failed: Dict[str, str] = {}  # row id -> why
        self.failed_runs: Dict[str, str] = {}  # training folder -> why (rows sharing it skip)

    def report(self) -> Dict:
        return write_report(self.table, self.plans, self.failed)

    def run_row(self, i: int, plan: RowPlan) -> None:
        name = f'[{self.table.name}] row {i}/{len(self.plans)} {plan.row.id}'
        if plan.tested():
            self.printer(f'{name}: finished earlier ({plan.results_file()})')
            return
        if plan.run_dir in self.failed_runs:
            self.failed[plan.row.id] = self.failed_runs[plan.run_dir]
            self.printer(f'{name}: skipped, its training failed '
                         f'({self.failed_runs[plan.run_dir]})')
            return
        for stage in plan.stages():
            if stage.done:
                self.printer(f'{name}: {stage.kind} finished earlier')
            elif not self.run_stage(name, plan, stage):
                return

    def run_stage(self, name: str, plan: RowPlan, stage: Stage) -> bool:
        """Run one stage of a row; False when it failed (the row is marked)."""
        write_record(plan, [stage])
        resumed = ' (resumed)' if stage.kind == 'train' and '--resume' in stage.argv else ''
        self.printer(f'{name}: {stage.kind}{resumed}: {display_command(stage.argv, stage.env)}')
        progress = StageProgress(f'{name}: {stage.kind}', self.printer, self.progress_interval)
        try:
            status, tail = run_stage(stage, progress)
        except KeyboardInterrupt:
            self.printer(f'{name}: stopped in {stage.kind} ({plan.iterations_done()}/'
                         f'{plan.loaded.total_iters} it saved). Run the same command again to '
                         f'continue (finished rows are kept, the training resumes from its last '
                         f'checkpoint).')
            self.report()
            raise
        finished = plan.trained() if stage.kind == 'train' else plan.tested()
        if status == 0 and finished:
            summary = ''
            if stage.kind == 'test':
                cells = table_report(self.table, [plan])['rows'][0]['cells']
                summary = ', ' + ', '.join(f'{c["column"]} {c["ours"]:.2f}'
                                           for c in cells if c['ours'] is not None)
            self.printer(f'{name}: {stage.kind} done in '
                         f'{format_duration(progress.elapsed())}{summary}')
            self.report()
            return True
        error = user_error_line(tail)
        if status == 2 and error:  # the next rows would stop on the same input
            self.report()
            raise ReproduceError(f'row {plan.row.id}, {stage.kind}: {error} (log: {stage.log})')
        missing = 'the last checkpoint' if stage.kind == 'train' else TEST_RESULTS_FILE
        why = f'exit status {status}' if status else f'the tool ended without {missing}'
        self.failed[plan.row.id] = f'{stage.kind}: {why}, log {stage.log}'
        if stage.kind == 'train':
            self.failed_runs[plan.run_dir] = self.failed[plan.row.id]
        self.printer(f'{name}: {stage.kind} FAILED ({why}); its last output lines:')
        for line in tail:
            self.printer(f'    {line}')
        self.printer(f'    (whole output: {stage.log})')
        self.report()
        return False


def reproduce_table(table: PaperTable,
                    row_ids: Optional[List[str]],
                    options: RunOptions,
                    dry: bool = False,
                    progress_interval: float = 30.0,
                    printer: Callable[[str], None] = print) -> Optional[Dict]:
    """Run (or, with ``dry``, print) every selected row of ``table``; returns the JSON report
    (``None`` for a dry run). A stage that fails on the user's input (a tool's ``error:`` line)
    stops the table with a :class:`ReproduceError`; any other failure marks its row failed and
    the next row runs."""
    plans = plan_rows(table, table.select_rows(row_ids), options)
    if dry:
        dry_run(table, plans, printer)
        return None
    for line in describe_plan(table, plans):
        printer(line)
    if options.demo_iters is not None:
        ensure_demo_data(options, printer)
    run = TableRun(table, plans, progress_interval, printer)
    for i, plan in enumerate(plans, 1):
        run.run_row(i, plan)
    report = run.report()
    md_path, json_path = report_paths(table, options)
    printer('')
    printer(format_markdown(report, runs=False).rstrip('\n'))
    printer('')
    printer(f'report: {md_path} and {json_path}')
    return report
