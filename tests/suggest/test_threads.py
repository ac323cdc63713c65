"""The model's linear algebra runs on one BLAS thread (two pools of busy threads thrash on a small machine)."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

from toolkit.suggest.estimator import CodeSuggester
from toolkit.suggest.threads import one_blas_thread

from .test_selection import GROUPS, TWICE
from .test_suggest import labels_for, make_batch, make_prototypes


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_one_blas_thread_inside_and_the_callers_limits_after():
    with threadpool_limits(limits=2, user_api="blas"):
        assert one_blas_thread(blas_threads)() == {1}
        assert blas_threads() == {2}


def test_every_classifier_fit_of_a_fit_and_a_refit_sees_one_blas_thread(monkeypatch):
    seen: list[set[int]] = []
    original = LogisticRegression.fit

    def spying_fit(self, *args, **kwargs):
        seen.append(blas_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LogisticRegression, "fit", spying_fit)
    batch, protos = make_batch(TWICE), make_prototypes()
    labels = labels_for(TWICE, protos.code_ids)
    with threadpool_limits(limits=2, user_api="blas"):
        model = CodeSuggester(protos).fit(batch, labels, GROUPS)
        fitted = len(seen)
        model.refit_codes([(0, 0, 1)])
        assert blas_threads() == {2}
    assert fitted and len(seen) > fitted
    assert all(threads == {1} for threads in seen)
