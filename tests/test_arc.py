"ARC data and programs: loading, the reference solvers in the sandbox, difficulty metrics."
import json
from curriculum_lab.arc import load_arc, difficulty_metrics, write_difficulty_json, plot_task
from curriculum_lab.arc_programs import verify_reference_solvers, reference_programs, run_solvers

def test_reference_solvers_solve_95_percent_in_the_sandbox():
    solved = verify_reference_solvers(refresh=True)
    assert len(solved) == 400
    assert sum(solved.values()) >= 380, sum(solved.values())

def test_difficulty_json_with_program_lengths(tmp_path):
    tasks = dict(list(load_arc('training').items())[:30])
    progs = reference_programs()
    m = difficulty_metrics(tasks, program_lines={t: progs[t].count('\n') for t in tasks if t in progs},
                           solve_rates={t: 1.0 for t in tasks})
    write_difficulty_json(tmp_path/'d.json', m)
    data = json.loads((tmp_path/'d.json').read_text())
    assert len(data) == 30 and all(v['program_lines'] for v in data.values())
    pso = [v['pso'] for v in data.values()]
    assert pso == sorted(pso)

def test_viewer_saves_png(tmp_path):
    t = load_arc('evaluation')[next(iter(load_arc('evaluation')))]
    fig = plot_task(t, predictions=[None] * len(t['test']))
    fig.savefig(tmp_path/'t.png')
    assert (tmp_path/'t.png').stat().st_size > 1000

def test_wrong_and_malicious_programs():
    r = run_solvers(['def solve(I):\n    return 5', 'def solve(I):\n    while True: pass',
                     'def solve(I):\n    return __import__("os").listdir("/")'], [[((1,),)]] * 3, timeout=2)
    assert r[0]['outputs'] == [None] and 'returned int' in r[0]['errors'][0]
    assert not r[1]['ok'] and 'Timeout' in r[1]['error']
    assert r[2]['outputs'] == [None] and 'ImportError' in r[2]['errors'][0]
