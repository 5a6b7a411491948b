import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')

@pytest.fixture
def root() -> Path:
    "The project's top folder."
    return ROOT

def run_py(code: str, env: dict | None = None, timeout: int = 600, **kw):
    "Run python code in a fresh interpreter of this venv; returns the CompletedProcess."
    import subprocess
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=ROOT, **kw)
