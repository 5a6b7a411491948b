"The OpenAI-compatible teacher against a real local server: `transformers serve` running the embedded model on 127.0.0.1, started here and stopped after."
import os, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

pytestmark = pytest.mark.xdist_group('teacher_server')     # one worker starts the server once

from curriculum_lab.models import embedded_model_dir
from curriculum_lab.arc import load_arc
from curriculum_lab.arc_programs import reference_programs
from curriculum_lab.arc_search import OpenAITeacher, request_question

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='module')
def server(tmp_path_factory):
    "A `transformers serve` process on a free loopback port, forced to the embedded model; killed (its whole group) after."
    model, port = str(embedded_model_dir()), _free_port()
    log = tmp_path_factory.mktemp('serve')/'serve.log'
    cmd = [str(Path(sys.executable).with_name('transformers')), 'serve', model, '--host', '127.0.0.1', '--port', str(port), '--device', 'cpu']
    with open(log, 'w') as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1'})
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None: pytest.fail(f'transformers serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}')
        try:
            with urllib.request.urlopen(url + '/health', timeout=2) as r:
                if r.status == 200: break
        except OSError: pass
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL); pytest.fail(f'transformers serve did not answer /health in 180 s:\n{log.read_text()[-3000:]}')
        time.sleep(0.5)
    yield {'base_url': url + '/v1', 'model': model, 'proc': proc}
    os.killpg(proc.pid, signal.SIGTERM)
    try: proc.wait(30)
    except subprocess.TimeoutExpired: os.killpg(proc.pid, signal.SIGKILL); proc.wait(30)
    with pytest.raises(ProcessLookupError): os.killpg(proc.pid, 0)          # nothing of the server's group is left running

def _requests():
    tasks, progs = load_arc('training'), reference_programs()
    return [{'task': tasks['00d62c1b'], 'program': progs['00d62c1b'], 'feedback': 'Example 1: right'},
            {'task': tasks['3c9b0459'], 'program': ''}]

def test_teacher_proposals_and_tokens(server):
    t = OpenAITeacher(base_url=server['base_url'], model=server['model'], temperature=0.0, max_tokens=24, concurrency=2, retries=0, timeout=120)
    reqs = _requests()
    props = t.propose(reqs, n=2)
    assert [len(p) for p in props] == [2, 2]
    flat = [p for ps in props for p in ps]
    assert all(p.error is None and p.text.strip() for p in flat), [p.error for p in flat]
    assert all(0 < p.completion_tokens <= 24 for p in flat)
    # the server counted the prompts the teacher sent: the edit prompt (task, program, feedback) is longer than the first-attempt one
    assert props[0][0].prompt_tokens > props[1][0].prompt_tokens > 100
    assert t.usage['completion_tokens'] == sum(p.completion_tokens for p in flat) and t.usage['proposals'] == 4 and t.usage['errors'] == 0
    assert '00d62c1b' not in request_question(reqs[0]) and 'Feedback:' in request_question(reqs[0])

def test_teacher_endpoint_errors_become_proposals(server):
    t = OpenAITeacher(base_url=server['base_url'], model='no-such-model', max_tokens=8, retries=0, timeout=60)
    props = t.propose(_requests()[:1], n=1)
    assert props[0][0].program is None and props[0][0].error.startswith(('BadRequestError', 'NotFoundError', 'InternalServerError'))
    assert t.usage['errors'] == 1
