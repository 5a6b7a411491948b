"RFT rollouts and traces: a run killed midway resumes to the same file as an uninterrupted run."
import json, signal, subprocess, sys, textwrap
from pathlib import Path

import pyarrow.parquet as pq

from curriculum_lab.core import read_json
from curriculum_lab.rft import PARTS, ROLLOUT_FILE, TRACE_STATS, generate_traces, rollout, stats_path

ROOT = Path(__file__).resolve().parents[1]
KW = dict(n=12, k=3, max_new_tokens=8, chunk_prompts=2, task_config={'tier': [1, 2]}, progress=False)

KILL = textwrap.dedent('''
    import os, signal, sys
    import curriculum_lab.rft as rft
    real, done = rft.{write}, []
    def write_then_die(*args):         # SIGKILL right after the {n}th part is on disk
        real(*args); done.append(args)
        if len(done) == {n}: os.kill(os.getpid(), signal.SIGKILL)
    rft.{write} = write_then_die
''')

KILLED = KILL.format(write='_write_parquet', n=3) + f"rft.rollout('tiny', 'arithmetic', output_dir=sys.argv[1], **{KW!r})"

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

TRACES_KW = dict(max_attempts=2, batch_size=2, max_new_tokens=8, task_config={'tier': [1, 2]}, format='gsm', progress=False)

KILLED_TRACES = KILL.format(write='write_text', n=2) + f"rft.generate_traces('tiny', 'arithmetic', 6, output_file=sys.argv[1], **{TRACES_KW!r})"

def test_killed_traces_resume_to_the_same_file(tmp_path):
    "generate_traces killed after 2 of 3 batches: the resumed file has every problem once, as an uninterrupted run, with its stats."
    out = tmp_path/'killed'/'traces.jsonl'
    p = subprocess.run([sys.executable, '-c', KILLED_TRACES, str(out)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    parts = out.with_name(f'.{out.name}.parts')
    assert sorted(f.name for f in parts.glob('part-*.jsonl')) == ['part-00000.jsonl', 'part-00001.jsonl'] and not out.exists()
    resumed = generate_traces('tiny', 'arithmetic', 6, output_file=out, **TRACES_KW)
    straight = generate_traces('tiny', 'arithmetic', 6, output_file=tmp_path/'straight.jsonl', **TRACES_KW)
    assert out.read_text() == (tmp_path/'straight.jsonl').read_text()
    assert [json.loads(l)['index'] for l in out.read_text().splitlines()] == list(range(6))
    assert {k: resumed[k] for k in TRACE_STATS} == {k: straight[k] for k in TRACE_STATS} and resumed['total_samples'] == 6
    assert read_json(stats_path(out)) == resumed and not parts.exists()
