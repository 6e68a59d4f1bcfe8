"""Every policy's hand-derived cases (data/<policy>.cases.yaml) hold."""

from __future__ import annotations

import pytest

from kechuang.incentives.cases import case_files, load_cases, run_case
from kechuang.incentives.model import policy_files

CASES = [(f.name, i, c, pol) for f in case_files() for pol, cs in [load_cases(f)] for i, c in enumerate(cs)]


def test_every_policy_has_cases():
    stems = {f.name.removesuffix(".yaml") for f in policy_files()}
    with_cases = {f.name.removesuffix(".cases.yaml") for f in case_files()}
    # versions of one policy may share a file of cases (Nanjing 2018/2019)
    missing = {s for s in stems - with_cases if not any(s.rsplit("-", 1)[0] == w.rsplit("-", 1)[0] for w in with_cases)}
    assert not missing


@pytest.mark.parametrize("file, n, case, policy", CASES, ids=[f"{c[0]}#{c[1]}" for c in CASES])
def test_case(file, n, case, policy):
    problems = run_case(case, policy)
    assert not problems, f"{file} 第 {n + 1} 例“{case['name']}”:\n" + "\n".join(problems)
