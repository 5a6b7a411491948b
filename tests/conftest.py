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
