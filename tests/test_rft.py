"RFT rollouts: a rollout killed midway resumes to the same rollout.parquet as an uninterrupted run."
import signal, subprocess, sys, textwrap
from pathlib import Path

import pyarrow.parquet as pq

from curriculum_lab.core import read_json
from curriculum_lab.rft import PARTS, ROLLOUT_FILE, rollout

ROOT = Path(__file__).resolve().parents[1]
KW = dict(n=12, k=3, max_new_tokens=8, chunk_prompts=2, task_config={'tier': [1, 2]}, progress=False)

KILLED = textwrap.dedent('''
    import os, signal, sys
    import curriculum_lab.rft as rft
    write, done = rft._write_parquet, []
    def write_then_die(table, path):   # SIGKILL right after the third chunk's part is on disk
        write(table, path); done.append(path)
        if len(done) == 3: os.kill(os.getpid(), signal.SIGKILL)
    rft._write_parquet = write_then_die
    rft.rollout('tiny', 'arithmetic', output_dir=sys.argv[1], **%r)
''' % KW)

def test_killed_rollout_resumes_to_the_same_file(tmp_path):
    out = tmp_path/'killed'
    p = subprocess.run([sys.executable, '-c', KILLED, str(out)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert sorted(f.name for f in (out/PARTS).glob('part-*.parquet')) == [f'part-0000{i}.parquet' for i in range(3)]
    assert not (out/ROLLOUT_FILE).exists() and not list((out/PARTS).glob('.*tmp*'))
    resumed = rollout('tiny', 'arithmetic', output_dir=out, **KW)
    straight = rollout('tiny', 'arithmetic', output_dir=tmp_path/'straight', **KW)
    a, b = (pq.read_table(d/ROLLOUT_FILE).to_pylist() for d in (out, tmp_path/'straight'))
    assert len(a) == 36 and sorted((r['index'], r['sample']) for r in a) == [(i, s) for i in range(12) for s in range(3)]
    assert a == b
    assert {k: v for k, v in resumed.items() if k != 'file'} == {k: v for k, v in straight.items() if k != 'file'}
    assert read_json(out/'rollout.json')['params']['k'] == 3 and not (out/PARTS).exists()
