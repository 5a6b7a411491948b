import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')

def pytest_configure(config):
    "Under pytest-xdist (`make pytest` runs two workers) each worker, and every process it starts, gets its own share of the cores: two processes each running torch on both cores slow each other far more than 2x."
    config.addinivalue_line('markers', 'xdist_group(name): tests that share a module fixture run in one worker')
    worker, n = os.environ.get('PYTEST_XDIST_WORKER'), int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    if worker and n > 1 and hasattr(os, 'sched_setaffinity'):
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) >= n: os.sched_setaffinity(0, cores[int(worker.removeprefix('gw')) % n::n])

@pytest.fixture
def root() -> Path:
    "The project's top folder."
    return ROOT

def run_py(code: str, env: dict | None = None, timeout: int = 600, **kw):
    "Run python code in a fresh interpreter of this venv; returns the CompletedProcess."
    import subprocess
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=ROOT, **kw)

def failure_text(stderr: str, n: int = 3000) -> str:
    "What a failed subprocess said: the first traceback (often a kernel's own, long before the end) and the last `n` characters."
    first = stderr.find('Traceback (most recent call last)')
    head = stderr[first:first + 2000] + '\n[...]\n' if 0 <= first < len(stderr) - n else ''
    return head + stderr[-n:]

# The longest tests (measured: `make pytest` prints the slowest), started first: with two workers, a 4-minute smoke
# started last leaves the other worker idle for minutes at the end.
LONGEST_FIRST = ('test_every_shipped_spec_runs_with_smoke', 'test_docs.py', 'test_repeats_over_seeds', 'test_embedded_model_on_arithmetic',
                 'test_cache_survives_a_killed_conversion', 'test_teacher_proposals_and_tokens', 'test_two_runs_then_resume',
                 'test_three_stage_curriculum_through_papermill')

def pytest_collection_modifyitems(config, items):
    "Reorder (stably) so that the tests in LONGEST_FIRST start before the others."
    items.sort(key=lambda it: next((i for i, k in enumerate(LONGEST_FIRST) if k in it.nodeid), len(LONGEST_FIRST)))
