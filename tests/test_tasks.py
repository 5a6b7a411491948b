"The task library across processes and file formats: determinism, disjoint splits, scoring, GSM8K files."
import json, subprocess, sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from curriculum_lab.core import LabError
from curriculum_lab.tasks import FORMATS, get_task, list_tasks, load_task_dataset, save_task_dataset

ROOT = Path(__file__).resolve().parents[1]
GSM = ROOT.parent/'shared'/'data'/'gsm8k'
needs_gsm = pytest.mark.skipif(not (GSM/'train.jsonl').exists(), reason='GSM8K files not beside the project')

GENERATED = [('strings', dict(level=2)), ('strings', dict(level=[1, 2], definitions=True)),
             ('strings', dict(level=5, generator='paper', functions='all')),
             ('arithmetic', dict()), ('arithmetic', dict(tier=5, mul_tokens=True)),
             ('arithmetic', dict(source='reasoning_gym', rg_level=1)),
             ('word_problems', dict()), ('gsm_symbolic', dict())]

def test_all_tasks_registered():
    assert set(list_tasks()) >= {'strings', 'arithmetic', 'arithmetic_probes', 'word_problems', 'gsm8k', 'gsm_sbs', 'gsm_symbolic'}

def _rows(name, cfg, n, split, seed):
    return json.dumps(get_task(name, **cfg).make_dataset(n, split, seed).to_list(), sort_keys=True)

@pytest.mark.parametrize('name,cfg', GENERATED, ids=lambda x: str(x))
def test_same_rows_in_a_fresh_process(name, cfg):
    "Determinism does not depend on the process (no hash randomisation, no global RNG)."
    here = _rows(name, cfg, 25, 'train', 7)
    code = (f'import json; from curriculum_lab.tasks import get_task; '
            f'print(json.dumps(get_task({name!r}, **{cfg!r}).make_dataset(25, "train", 7).to_list(), sort_keys=True))')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env={'PYTHONHASHSEED': '123', 'PATH': ''})
    assert r.returncode == 0, r.stderr[-1500:]
    assert r.stdout.strip() == here

@pytest.mark.parametrize('name,cfg', GENERATED, ids=lambda x: str(x))
def test_splits_disjoint_and_references_score_one(name, cfg):
    for fmt in FORMATS:
        t = get_task(name, format=fmt, **cfg)
        train, test = t.make_dataset(150, 'train', 1), t.make_dataset(60, 'test', 2)
        assert not set(train['question']) & set(test['question'])
        for ex in list(train) + list(test):
            assert t.score(t.reference_completion(ex), ex) == 1.0, (fmt, ex['question'])
            assert ex['prompt'][0]['role'] == 'system' and ex['prompt'][1]['role'] == 'user'

def test_probes_fixed_and_complete():
    d = get_task('arithmetic_probes').make_dataset(None, 'test')
    assert len(d) == 281 and len(set(d['question'])) == 281
    t = get_task('arithmetic_probes', format='working_out')
    assert all(t.score(t.reference_completion(ex), ex) == 1.0 for ex in d)

@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.one_of(st.none(), st.binary(), st.integers(), st.lists(st.dictionaries(st.text(), st.text())),
                                        st.just('<SOLUTION>' * 1000), st.just('{"output": ' * 500)))
def test_score_reads_the_answer_each_format_writes(seed, junk):
    for name in ('arithmetic', 'strings'):
        for fmt in FORMATS:
            t = get_task(name, format=fmt)
            rows = t.make_dataset(8, 'test', seed).to_list()
            ex = rows[0]
            other = next((r for r in rows if r['answer'] != ex['answer']), None)
            ref = t.reference_completion(ex)
            assert (t.score(ref, ex), t.score(ref, ex, lenient=True)) == (1.0, 1.0), (name, fmt, ref)
            if other: assert t.score(t.reference_completion(other), ex, lenient=True) == 0.0, (name, fmt)
            assert t.score(junk, ex) == t.score(junk, ex, lenient=True) == 0.0
    # the right number outside the format's answer place: wrong strictly, right leniently
    t = get_task('arithmetic', format='working_out')
    ex = t.make_dataset(1, 'test', seed)[0]
    assert (t.score(f'The answer is {ex["answer"]}.', ex), t.score(f'The answer is {ex["answer"]}.', ex, lenient=True)) == (0.0, 1.0)

def test_save_load_roundtrip_and_corruption(tmp_path):
    t = get_task('strings', level=2, format='working_out')
    save_task_dataset(t, tmp_path/'d', n_train=30, n_test=10, seed=4)
    dd = load_task_dataset(tmp_path/'d', task='strings')
    assert dd['train'].to_list() == t.make_dataset(30, 'train', 4).to_list()
    (tmp_path/'d'/'train.parquet').write_bytes((tmp_path/'d'/'train.parquet').read_bytes()[:200])
    with pytest.raises(LabError, match='not valid Parquet'): load_task_dataset(tmp_path/'d')
    # a save that fails halfway leaves the previous dataset in place
    save_task_dataset(t, tmp_path/'e', n_train=5, n_test=2)
    with pytest.raises(LabError, match='ran out'):
        save_task_dataset(get_task('strings', functions=['sort_chars'], min_len=1, max_len=1), tmp_path/'e', n_train=100, n_test=1)
    assert len(load_task_dataset(tmp_path/'e')['train']) == 5

@pytest.mark.parametrize('bad,msg', [(dict(name='nope'), 'valid tasks are'), (dict(name='strings', level=0), 'level must be'),
                                     (dict(name='arithmetic', tier=9), 'tier must be'), (dict(name='strings', lvl=2), 'valid keys are'),
                                     (dict(name='strings', format='xml'), 'unknown format')])
def test_bad_config(bad, msg):
    with pytest.raises(LabError, match=msg): get_task(**bad)

def test_negative_n():
    with pytest.raises(LabError, match='non-negative'): get_task('strings').make_dataset(-3)

@needs_gsm
def test_gsm8k_from_jsonl_and_parquet(tmp_path):
    import pyarrow as pa, pyarrow.parquet as pq
    j = get_task('gsm8k', path=GSM)
    test = j.make_dataset(None, 'test')
    assert len(test) == 1319
    assert all(j.score(j.reference_completion(ex), ex) == 1.0 for ex in test)
    # the HF hub layout: main/test-00000-of-00001.parquet
    (tmp_path/'main').mkdir()
    rows = [json.loads(l) for l in (GSM/'test.jsonl').read_text().splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path/'main'/'test-00000-of-00001.parquet')
    p = get_task('gsm8k', path=tmp_path).make_dataset(None, 'test')
    assert p['answer'] == test['answer']

def test_gsm8k_missing_or_corrupt(tmp_path, monkeypatch):
    monkeypatch.setenv('HF_HOME', str(tmp_path/'hf'))
    with pytest.raises(LabError, match='never downloads'): get_task('gsm8k').make_dataset(1)
    (tmp_path/'test.parquet').write_bytes(b'not parquet')
    with pytest.raises(LabError, match='not a readable Parquet'): get_task('gsm8k', path=tmp_path/'test.parquet').make_dataset(1, 'test')
