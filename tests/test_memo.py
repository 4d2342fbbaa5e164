"""analyses.memo: an analysis computed once for the same parameters and inputs objects."""

from __future__ import annotations

from evaluation.analyses.memo import remembered


def test_remembered_returns_the_last_result_for_the_same_objects_only() -> None:
    calls: list[tuple[object, object]] = []

    @remembered
    def analysis(params: dict, inputs: list) -> list:
        calls.append((params, inputs))
        return [len(inputs)]

    params, inputs = {"area": "Rotherham"}, [1, 2, 3]
    first = analysis(params, inputs)
    assert analysis(params, inputs) is first and len(calls) == 1
    equal_but_other = [1, 2, 3]  # equal values, another object: computed again
    assert analysis(params, equal_but_other) == [3] and len(calls) == 2
    assert analysis(params, inputs) is not first and len(calls) == 3  # only the last pair is kept
