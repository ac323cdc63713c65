"""The code-suggestion model: a scikit-learn estimator, pure (no store, no files).

How a suggestion is made, and why (numbers in ``bench/README.md``); each part has its own module:

* **Features** (``suggest_features``, ``suggest_evidence``): what a human coder looks at, as a
  ``FeatureUnion`` of scikit-learn transformers over a :class:`SegmentBatch`: ``TfidfVectorizer`` over
  the turn's and the question's lemmas (negation marked, "NOT_check"), the turn and question embeddings,
  the element-wise max of sentence embeddings, and codebook evidence (each sentence's best match to a
  code's examples and definition, keywords found, the question's similarity to each definition). The turn's
  own TF-IDF block counts twice (``TURN_WORDS_WEIGHT``): the answer's words carry a code.
* **Few-shot** (a code with at least ``min_positives`` labelled turns, once the coded turns span
  ``min_interviews`` interviews; with one coded interview the codebook alone decides): per code, a
  ``LogisticRegression(class_weight="balanced")`` on the turns whose label for that code is known. Not a
  ``OneVsRestClassifier``: which turns are known differs by code (a rejected suggestion is a negative for
  its code only), and one decision must refit one code.
* **How far the classifiers lean on the codebook** (``suggest_evidence_weight``, ``evidence_weight``): each fit
  tries the codebook-evidence block of the features at weight 1.0 and 0.5 and keeps the fit whose blended,
  calibrated probabilities have the lower out-of-fold log-loss; a whole account is scored by a second fit at
  ``account_evidence_weight`` (1.0), since a statement is unlike the coded turns.
* **Zero-shot** (``suggest_zero_shot``, a code nobody has applied yet): how far the turn stands out for
  the code among all turns, squashed to (0, 1) around ``zero_shot_z``. *Not* calibrated by itself.
* **Calibration** (``suggest_calibration``, ``calibrate=True``): both scores pass through a logistic map
  pooled over codes and fitted on coded turns only (learnt scores: out-of-fold, inner folds over the coded
  interviews), so one threshold decides both. A trained code keeps the codebook as a prior
  (``prior_strength`` k pseudo-turns): its learnt and codebook scores are combined with weights n / (n + k)
  and k / (n + k) for n coded turns by a third map (``BlendMap``), fitted on the same out-of-fold scores, so
  the combination is calibrated too; the codebook keeps a say at any n where those scores show it adds to the
  learnt one. Before anything is coded, zero-shot scores stay uncalibrated and are cut
  at 0.5.
* **Long answers** (``suggest_passages``): a turn longer than a passage is also read in windows of a
  passage's sentences; each code's scores are the best of the turn's and its windows', before the calibration
  maps (fitted on scores taken the same way). A passage is as long as the median coded turn, at least three
  sentences (``passages_follow_coded_turns``), once the coded turns span ``min_interviews`` interviews;
  ``passage_sentences`` before. A long turn that is a whole account (a statement: its document's only turn,
  after no topical question; ``SegmentBatch.accounts``) is also read sentence by sentence (``statement_sentences``).
* **Questions** (``suggest_questions``, ``ignore_content_free_questions``): a question that names no topic
  ("Can you tell me about it?") is read as no question, so that the answer alone carries its codes.
* **Unfamiliar interviews** (``suggest_novelty``, ``unfamiliar_veto``): in an uncoded interview less like
  the coded ones than any coded interview is like the others, the codebook's own suggestion of a code stands
  unless the code's classifier scores the turn below ``unfamiliar_veto`` (the maps, fitted on the coded
  interviews, are too cautious on another author's wording).
* **The codebook's pick** (``codebook_pick_floor``): where the codebook alone would suggest a code for a turn
  (its best code, raw score >= 0.5), the suggestion is made from a lower probability, ``codebook_pick_floor``,
  rising to ``threshold`` as the code's coded turns n accumulate, with the codebook prior's weight:
  ``(n * threshold + k * floor) / (n + k)``. Why: with few coded turns the codebook-score map, pooled over
  codes, sends many of the codebook's right picks just under the threshold.
* **Decisions** (``suggest_policy``): probability >= ``threshold``; at most ``max_per_group`` codes of one
  group (from the codebook) and ``max_codes`` per turn, once per passage of a long turn; turns under two
  words get no confident suggestion.
* **Explanations** (``suggest_explain``): sentence, closest codebook example, keywords, nearest coded turns.

Use :class:`CodeSuggester` with a :class:`SegmentBatch` and :class:`CodebookPrototypes`;
``toolkit.suggest.suggestions`` builds those from a store.
"""

from __future__ import annotations

import copy as copying
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.decomposition import KernelPCA
from sklearn.linear_model import LogisticRegression

from toolkit.errors import ConfigError
from toolkit.suggest.calibration import BlendMap, CodebookMap, SigmoidMap, inner_folds
from toolkit.suggest.carry import CarryMap, previous_probabilities
from toolkit.suggest.data import CodebookPrototypes, SegmentBatch
from toolkit.suggest.evidence import code_evidence
from toolkit.suggest.evidence_weight import EVIDENCE_WEIGHTS, blended_log_loss
from toolkit.suggest.explain import Explainer
from toolkit.suggest.features import feature_weights, make_features, row_space
from toolkit.suggest.novelty import keep_codebook_suggestions, kept_share, unfamiliar_rows
from toolkit.suggest.passages import Passages, passage_counts, passage_size, passages
from toolkit.suggest.policy import DecisionPolicy
from toolkit.suggest.questions import without_content_free_questions
from toolkit.suggest.threads import one_blas_thread
from toolkit.suggest.zero_shot import ZeroShotScorer

__all__ = [
    "UNLABELLED",
    "CodeSuggester",
    "CodebookPrototypes",
    "SegmentBatch",
    "SuggestConfig",
]

UNLABELLED = -1
_MIN_WORDS = 2
_SHORT_CAP = 0.2
_CARRY_SHOWN = 0.5  # log-odds the answer before adds to a suggestion before its explanation says so
# self-training (``self_training``): only codes with fewer coded turns than this borrow uncoded ones, and an uncoded
# turn counts as not having a code under this probability (screened on the sample and development corpora,
# bench/README.md, twenty-fifth session)
SELF_TRAINING_BELOW = 10
SELF_TRAINING_NEGATIVE = 0.05
# ... and only while fewer interviews than this are coded: the start of a project, where it helped (after 2 / 4 / 8
# coded interviews); with 25 coded it cost the sample's leave-one-interview-out (twenty-sixth session)
SELF_TRAINING_INTERVIEWS = 10


@dataclass(frozen=True)
class SuggestConfig:
    """Settings of the suggestion model, validated on creation (the CLI and ``suggest`` pass these)."""

    C: float = 5.0
    threshold: float = 0.4
    max_codes: int = 3
    min_positives: int = 3
    zero_shot_z: float = 2.0
    zero_shot_slope: float = 2.0
    zero_shot_max_codes: int = 1
    mapped_zero_shot_max_codes: int = 2
    zero_shot_cut: float = 0.5
    max_iter: int = 500
    neighbours: int = 2
    seed: int = 0
    prior_strength: float = 2.0
    example_weight: float = 1.0
    min_labelled_turns: int = 50
    calibrate: bool = True
    calibration_folds: int = 4
    min_interviews: int = 2
    answer_only_weight: float = 1.0
    passage_sentences: int = 4
    passages_follow_coded_turns: bool = True
    statement_sentences: bool = True
    ignore_content_free_questions: bool = True
    unfamiliar_veto: float = 0.2
    codebook_pick_floor: float = 0.3
    evidence_weight: float = 0.0
    account_evidence_weight: float = 1.0
    carry_over: bool = True
    self_training: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"the threshold is a probability strictly between 0 and 1, not {self.threshold}")
        if not 0.0 < self.zero_shot_cut < 1.0:
            raise ConfigError(f"zero_shot_cut is strictly between 0 and 1, not {self.zero_shot_cut}")
        if self.C <= 0 or self.max_codes < 1 or self.min_positives < 1 or self.min_interviews < 1:
            raise ConfigError("C must be > 0, max_codes, min_positives and min_interviews >= 1")
        if self.prior_strength < 0:
            raise ConfigError(f"prior_strength is a number of pseudo-turns >= 0, not {self.prior_strength}")
        if self.answer_only_weight < 0:
            raise ConfigError(f"answer_only_weight is a row weight >= 0, not {self.answer_only_weight}")
        if self.passage_sentences < 0:
            raise ConfigError(f"passage_sentences is a number of sentences >= 0 (0: off), not {self.passage_sentences}")
        if not 0.0 <= self.unfamiliar_veto < 1.0:
            raise ConfigError(f"unfamiliar_veto is a classifier score in [0, 1) (0: off), not {self.unfamiliar_veto}")
        if not 0.0 <= self.codebook_pick_floor < 1.0:
            raise ConfigError(
                f"codebook_pick_floor is a probability in [0, 1) (0: off), not {self.codebook_pick_floor}"
            )
        if self.evidence_weight < 0 or self.account_evidence_weight <= 0:
            raise ConfigError(
                "evidence_weight (0: chosen in the inner folds) and account_evidence_weight scale a block of "
                f"features: >= 0 and > 0, not {self.evidence_weight} and {self.account_evidence_weight}"
            )
        if not 0.0 <= self.self_training < 1.0:
            raise ConfigError(f"self_training is a probability in [0, 1) (0: off), not {self.self_training}")


def _rate(counts: np.ndarray) -> float | None:
    """(hits + 1) / (n + 2) for counts (n, hits): a share that one or two cases cannot set to 0 or 1."""
    n, hits = int(counts[0]), int(counts[1])
    return (hits + 1) / (n + 2) if n else None


def _turn_best(probs: np.ndarray) -> np.ndarray:
    """1 where the code has the turn's highest codebook-only score (those scores rank best within a turn)."""
    return (probs >= probs.max(axis=1, keepdims=True)).astype(np.float64)


class CodeSuggester(BaseEstimator):
    """Suggest codes for respondent turns; ``fit`` learns from labels, ``predict_proba`` scores.

    Labels are a matrix (turns x codes) of 1 (coded), 0 (not coded, or a rejected suggestion) and
    ``UNLABELLED`` (-1, nobody looked). Codes with too few positives fall back to zero-shot. The
    parameters are those of :class:`SuggestConfig` (checked by ``fit``, which raises ``ConfigError``);
    ``prototypes`` is the embedded codebook, fixed like a vectorizer's ``vocabulary``.

    Not a ``Pipeline`` end to end: ``fit`` also learns from unlabelled turns (the zero-shot reference
    statistics), a code's training rows depend on its labels, and decisions and explanations need every
    code of a turn at once.

    Example:
        >>> model = CodeSuggester(prototypes, C=5.0).fit(batch, labels)  # doctest: +SKIP
        >>> model.predict(batch)[:2]  # doctest: +SKIP
    """

    def __init__(
        self,
        prototypes: CodebookPrototypes | None = None,
        *,
        C: float = 5.0,
        threshold: float = 0.4,
        max_codes: int = 3,
        min_positives: int = 3,
        zero_shot_z: float = 2.0,
        zero_shot_slope: float = 2.0,
        zero_shot_max_codes: int = 1,
        mapped_zero_shot_max_codes: int = 2,
        zero_shot_cut: float = 0.5,
        max_iter: int = 500,
        neighbours: int = 2,
        seed: int = 0,
        prior_strength: float = 2.0,
        example_weight: float = 1.0,
        min_labelled_turns: int = 50,
        calibrate: bool = True,
        calibration_folds: int = 4,
        min_interviews: int = 2,
        answer_only_weight: float = 1.0,
        passage_sentences: int = 4,
        passages_follow_coded_turns: bool = True,
        statement_sentences: bool = True,
        ignore_content_free_questions: bool = True,
        unfamiliar_veto: float = 0.2,
        codebook_pick_floor: float = 0.3,
        evidence_weight: float = 0.0,
        account_evidence_weight: float = 1.0,
        carry_over: bool = True,
        self_training: float = 0.9,
    ) -> None:
        self.prototypes = prototypes
        self.C = C
        self.threshold = threshold
        self.max_codes = max_codes
        self.min_positives = min_positives
        self.zero_shot_z = zero_shot_z
        self.zero_shot_slope = zero_shot_slope
        self.zero_shot_max_codes = zero_shot_max_codes
        self.mapped_zero_shot_max_codes = mapped_zero_shot_max_codes
        self.zero_shot_cut = zero_shot_cut
        self.max_iter = max_iter
        self.neighbours = neighbours
        self.seed = seed
        self.prior_strength = prior_strength
        self.example_weight = example_weight
        self.min_labelled_turns = min_labelled_turns
        self.calibrate = calibrate
        self.calibration_folds = calibration_folds
        self.min_interviews = min_interviews
        self.answer_only_weight = answer_only_weight
        self.passage_sentences = passage_sentences
        self.passages_follow_coded_turns = passages_follow_coded_turns
        self.statement_sentences = statement_sentences
        self.ignore_content_free_questions = ignore_content_free_questions
        self.unfamiliar_veto = unfamiliar_veto
        self.codebook_pick_floor = codebook_pick_floor
        self.evidence_weight = evidence_weight
        self.account_evidence_weight = account_evidence_weight
        self.carry_over = carry_over
        self.self_training = self_training

    @classmethod
    def from_config(cls, prototypes: CodebookPrototypes, config: SuggestConfig | None = None) -> CodeSuggester:
        """A suggester with the settings of ``config`` (default settings without one)."""
        return cls(prototypes, **asdict(config or SuggestConfig()))

    @property
    def config(self) -> SuggestConfig:
        """The current parameters as a validated :class:`SuggestConfig` (raises ``ConfigError``)."""
        params = self.get_params(deep=False)
        params.pop("prototypes")
        return SuggestConfig(**params)

    # ------------------------------------------------------------------ learning
    @one_blas_thread
    def fit(self, batch: SegmentBatch, labels: np.ndarray, groups: Sequence[object] | None = None) -> CodeSuggester:
        """Learn from labelled rows; all rows (labelled or not) set the zero-shot reference statistics.

        With ``self_training`` (a probability; 0 is off) and fewer than ``SELF_TRAINING_INTERVIEWS`` coded
        interviews (``groups`` needed), the fitted model then takes the uncoded turns it is sure of as coded for
        the codes with fewer than ``SELF_TRAINING_BELOW`` coded turns (1 where a code's probability is at least
        ``self_training``, 0 under ``SELF_TRAINING_NEGATIVE``; only turns whose best code reaches
        ``self_training``) and is fitted again on the coded and those turns, which then count as coded everywhere
        but in the unfamiliar-interview rule, the statements' model, the codebook's record and the review card
        (``coded_labels_`` keeps the people's labels, :meth:`people_labels`). Why: after two coded interviews
        few-shot fell under the codebook alone (development corpus 0.667 against 0.677); with it, 0.712. It is for
        the start of a project: with 25 coded interviews it cost the sample's leave-one-interview-out 0.850 ->
        0.847, so from 10 coded interviews on the model fits once, as without it (``bench/README.md``,
        twenty-fifth and twenty-sixth sessions).
        """
        labels = np.asarray(labels)
        self.coded_labels_: np.ndarray | None = None  # set below only where turns were borrowed
        self._fit_labels(batch, labels, groups)
        pseudo = self._self_training_labels(batch, labels)
        if pseudo is not None:
            self.coded_labels_ = labels.copy()  # before the second fit, so that the state it keeps holds it
            self._fit_labels(batch, pseudo, groups)
        return self

    def _self_training_labels(self, batch: SegmentBatch, labels: np.ndarray) -> np.ndarray | None:
        """``labels`` with the uncoded turns the fitted model is sure of (:meth:`fit`), or None if none or off."""
        level = float(self.self_training)
        self.self_trained_turns_ = 0
        uncoded = ~(labels != UNLABELLED).any(axis=1)
        groups = getattr(self, "groups_", None)
        if level <= 0 or groups is None or not self.trained_.any() or not uncoded.any():
            return None  # without groups the coded interviews cannot be counted
        if len(np.unique(groups[~uncoded])) >= SELF_TRAINING_INTERVIEWS:
            return None
        probs = self.predict_proba(batch)
        sure = np.where(uncoded & (probs.max(axis=1) >= level))[0]
        block = np.full((len(sure), labels.shape[1]), UNLABELLED, dtype=labels.dtype)
        block[probs[sure] >= level] = 1
        block[probs[sure] < SELF_TRAINING_NEGATIVE] = 0
        block[:, self.positives_ >= SELF_TRAINING_BELOW] = UNLABELLED  # enough coded turns: nothing borrowed
        keep = (block != UNLABELLED).any(axis=1)
        if not keep.any():
            return None
        pseudo = labels.copy()
        pseudo[sure[keep]] = block[keep]
        self.self_trained_turns_ = int(keep.sum())
        return pseudo

    def _fit_labels(self, batch: SegmentBatch, labels: np.ndarray, groups: Sequence[object] | None) -> None:
        """:meth:`fit` on one set of labels.

        The TF-IDF vocabularies are learnt from the labelled turns (all turns when none is labelled); the
        features of the whole batch are kept so that scoring it again, and refitting after a review
        decision, costs no feature work. ``groups`` (each row's interview) splits the inner folds of the
        calibration maps; without it, contiguous blocks of rows are used.
        """
        config = self.config
        prototypes = self._prototypes()
        batch = self._read_questions(batch)
        labels = np.asarray(labels)
        n_codes = len(prototypes.code_ids)
        if labels.shape != (len(batch), n_codes):
            raise ValueError(f"labels must have shape {(len(batch), n_codes)}, got {labels.shape}")
        self.zero_shot_ = ZeroShotScorer(z=config.zero_shot_z, slope=config.zero_shot_slope).fit(
            code_evidence(batch, prototypes)
        )
        self.n_rows_ = len(batch)
        work, labels = self._with_examples(batch, labels)
        labelled = np.where((labels != UNLABELLED).any(axis=1))[0]
        fit_rows = labelled if len(labelled) else np.arange(len(work))
        self.labels_ = labels.copy()
        self.groups_ = None if groups is None else np.asarray(groups)
        # the vocabularies from each labelled turn once (its answer-only copy would double its counts)
        self.features_ = make_features(prototypes).fit(work.subset(fit_rows[fit_rows < self.copies_start_]))
        # the fitted turns' passages, transformed once: scoring and the maps' out-of-fold scores use them; sized
        # by the coded turns once they span min_interviews interviews (as anything learnt from them)
        coded = np.where((labels[: len(batch)] != UNLABELLED).any(axis=1))[0]
        sized = self.passages_follow_coded_turns and len(coded) > 0 and self._validated()
        self.passage_size_ = (
            passage_size([len(batch.sentence_vecs[i]) for i in coded], int(self.passage_sentences))
            if sized
            else int(self.passage_sentences)
        )
        self.passages_ = passages(batch, self.passage_size_, self.statement_sentences)
        self.unfamiliar_cache_: tuple[bytes, np.ndarray] | None = None  # a new fit measures familiarity again
        self.batch_ = batch
        self.account_twin_: CodeSuggester | None = None  # made when accounts are first scored
        self.account_state_: dict[str, object] | None = None
        weights = (float(self.evidence_weight),) if self.evidence_weight > 0 else EVIDENCE_WEIGHTS
        if len(weights) > 1 and not (len(coded) and self._validated()):
            weights = (max(weights),)  # nothing learnt can be scored out of fold: one fit, at the full weight
        # (out-of-fold loss, weight, fitted state), the full weight first: it wins ties and stands where none is scored
        fits: list[tuple[float, float, dict[str, object]]] = []
        unscored = False
        for weight in sorted(weights, reverse=True):
            self._fit_at_weight(work, fit_rows, weight)
            loss = blended_log_loss(self._blend_map(float(self.prior_strength)), getattr(self, "oof_", None))
            unscored = unscored or loss is None
            state = {name: value for name, value in self.__dict__.items() if name.endswith("_")}
            fits.append((0.0 if loss is None else loss, weight, state))
        _, self.evidence_weight_, state = fits[0] if unscored else min(fits, key=lambda fit: fit[0])
        if state is not fits[-1][2]:  # the last fit left its own state behind
            self.__dict__.update(state)
        self.features_.set_params(transformer_weights=feature_weights(self.evidence_weight_))
        if batch.accounts is not None and any(batch.accounts) and self.evidence_weight_ != self.account_evidence_weight:
            # the fit at the accounts' weight, if the selection made one, becomes their model without a refit
            self.account_state_ = next((st for _, w, st in fits if w == self.account_evidence_weight), None)

    def _fit_at_weight(self, work: SegmentBatch, fit_rows: np.ndarray, weight: float) -> None:
        """Everything learnt from the labels, with the codebook-evidence features scaled by ``weight``.

        Why a weight: see :mod:`.evidence_weight`; ``fit`` tries each candidate and keeps the one whose
        calibrated probabilities had the lowest out-of-fold log-loss on the coded interviews.
        """
        n_codes = len(self._prototypes().code_ids)
        self.row_space_, self.X_ = self._classifier_input(work, fit_rows, weight)
        self.evidence_weight_ = weight
        self.XP_ = None if self.passages_ is None else self._transform(self.passages_.batch)
        self.estimators_: list[LogisticRegression | None] = [None] * n_codes
        self.trained_ = np.zeros(n_codes, dtype=bool)
        self.positives_ = np.zeros(n_codes, dtype=np.int64)
        self._fit_codes(range(n_codes))
        self._fit_maps()

    def _classifier_input(
        self, work: SegmentBatch, fit_rows: np.ndarray, weight: float
    ) -> tuple[KernelPCA | None, np.ndarray | sp.csr_matrix]:
        """The row-space rotation (or None) and the classifiers' input for every row, at one evidence weight."""
        self.features_.set_params(transformer_weights=feature_weights(weight))
        views = sp.csr_matrix(self.features_.transform(work))
        rotation = row_space(views.shape[1], len(fit_rows))
        if rotation is None:
            return None, views
        rotation.fit(views[fit_rows].toarray())  # dense: the Gram product is BLAS, not sparse x sparse
        return rotation, rotation.transform(views)

    def _fit_maps(self) -> None:
        """With ``calibrate``, the two probability maps, from the coded turns only (see ``calibration``).

        Learnt scores: each trained code's classifier refitted on inner folds of the coded interviews (those
        of the codebook-score map, whose out-of-fold shift they index; the codebook's examples always train),
        its scores on the held-out fold pooled over codes. Codebook scores: label-free, so mapped directly on
        the coded turns. Without coded turns, no map (zero-shot stays uncalibrated). ``refit_codes`` refits the
        cheap codebook-score map and keeps the learnt one (inner folds are too slow for a live decision; it
        changes slowly).
        """
        self.few_shot_map_: SigmoidMap | None = None
        self.zero_shot_map_: CodebookMap | None = None
        self.zero_raw_: np.ndarray | None = None
        self.oof_: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.blend_maps_: dict[float, BlendMap | None] = {}
        self.carry_maps_: dict[float, CarryMap | None] = {}
        self.oof_cells_: tuple[np.ndarray, np.ndarray] | None = None
        self.kept_precision_: float | None = None
        if not self.calibrate:
            return
        self.zero_raw_ = self._zero_raw(self.batch_, self.passages_)
        self._fit_zero_map()
        real = np.where((self.labels_[: self.n_rows_] != UNLABELLED).any(axis=1))[0]
        trained = np.where(self.trained_)[0]
        record = getattr(self, "codebook_record_", None)
        # (suggested, coded) of the codebook's suggestions an unfamiliar interview keeps: a code without a
        # classifier keeps every one (its record); a trained code those its out-of-fold score does not veto. On the
        # people's decisions only, as the record (self-training's borrowed turns are the model's own guesses)
        kept = np.zeros(2, dtype=np.int64) if record is None else record[~self.trained_].sum(axis=0)
        self.kept_precision_ = _rate(kept)
        folds = self.inner_folds_  # the codebook map's folds: its out-of-fold shift is indexed by them
        if not len(trained) or not folds:
            return
        examples = np.arange(self.n_rows_, self.copies_start_)
        decided = self.people_labels() != UNLABELLED
        scores, truth, zero_mapped, counts, cells, cell_codes = [], [], [], [], [], []
        zmap = self.zero_shot_map_
        best = _turn_best(self.zero_raw_)
        fires = self._codebook_fires(self.zero_raw_)
        for train, held in folds:
            for j in trained:
                column = self.labels_[:, j]
                rows = np.concatenate([real[train], examples, self._copies(real[train])])
                rows = rows[column[rows] != UNLABELLED]
                y = column[rows] == 1
                test = real[held][column[real[held]] != UNLABELLED]
                if not len(test) or y.all() or not y.any():
                    continue
                model = LogisticRegression(
                    C=self.C, class_weight="balanced", max_iter=self.max_iter, random_state=self.seed
                )
                model.fit(self.X_[rows], y, sample_weight=self.sample_weight_[rows])
                scores.append(self._best_of_passages(model, test))
                truth.append(column[test] == 1)
                standing = fires[test, j] & (scores[-1] >= self.unfamiliar_veto) & decided[test, j]  # kept
                kept += (int(standing.sum()), int((standing & truth[-1]).sum()))
                zt = self.zero_raw_[test, j]
                # the codebook map's per-code shift as it was out of fold (the same inner folds)
                held_known = held[column[real[held]] != UNLABELLED]
                zero_mapped.append(
                    zt if zmap is None else zmap.transform(zt, best[test, j], shift=zmap.oof_shift_[held_known, j])
                )
                counts.append(np.full(len(test), float((y & (rows < self.n_rows_)).sum())))
                cells.append(held_known)  # where these pairs sit among the coded turns (for the carry map)
                cell_codes.append(np.full(len(test), j, dtype=np.int64))
        self.kept_precision_ = _rate(kept)
        if scores:
            fmap = SigmoidMap().fit(np.concatenate(scores), np.concatenate(truth))
            self.few_shot_map_ = fmap if fmap.fitted_ else None
            pairs = [np.concatenate(a) for a in (scores, zero_mapped, counts, truth)]
            self.oof_ = (pairs[0], pairs[1], pairs[2], pairs[3])
            self.oof_cells_ = (np.concatenate(cells), np.concatenate(cell_codes))

    def _blend_map(self, k: float) -> BlendMap | None:
        """The learnt-plus-codebook map for prior strength ``k``, fitted once per k on the out-of-fold pairs."""
        oof = getattr(self, "oof_", None)
        if k == 0 or oof is None:
            return None
        if k not in self.blend_maps_:
            scores, zero, counts, truth = oof
            bmap = BlendMap(k).fit(scores, zero, counts, truth)
            self.blend_maps_[k] = bmap if bmap.fitted_ else None
        return self.blend_maps_[k]

    def _carry_map(self, k: float) -> CarryMap | None:
        """How far a code carries from the answer before (:mod:`.carry`), fitted once per k on the coded turns.

        Fitted on what the model said of each coded turn out of fold: the blend map's probabilities of the
        inner folds' learnt scores where a code is trained, the codebook-score map's (with its out-of-fold
        shift) elsewhere. None without ``carry_over``, without a codebook-score map, or where a trained code
        has no blend map (its probability is then not the one the carry map would be fitted on).
        """
        maps = getattr(self, "carry_maps_", None)
        zmap = getattr(self, "zero_shot_map_", None)
        if not self.carry_over or maps is None or zmap is None or self.zero_raw_ is None:
            return None
        if k not in maps:
            maps[k] = None
            real = np.where((self.labels_[: self.n_rows_] != UNLABELLED).any(axis=1))[0]
            zero = self.zero_raw_[real]
            probs = zmap.transform(zero, _turn_best(zero), shift=zmap.oof_shift_)
            bmap, oof, cells = self._blend_map(k), getattr(self, "oof_", None), getattr(self, "oof_cells_", None)
            if self.trained_.any() and (bmap is None or oof is None or cells is None):
                return None
            if bmap is not None and oof is not None and cells is not None:
                probs[cells[0], cells[1]] = bmap.transform(oof[0], oof[1], oof[2])
            position = np.full(self.n_rows_, -1, dtype=np.int64)
            position[real] = np.arange(len(real))
            before = self.batch_.previous_rows()[real]
            previous = np.where(before >= 0, position[np.maximum(before, 0)], -1)
            labels = self.labels_[real]
            carry = CarryMap().fit(probs, previous, labels == 1, labels != UNLABELLED)
            maps[k] = carry if carry.fitted_ else None
        return maps[k]

    def _with_examples(self, batch: SegmentBatch, labels: np.ndarray) -> tuple[SegmentBatch, np.ndarray]:
        """The training rows: the turns, then the codebook's examples, then the answers without their questions.

        Only once some turn is coded (otherwise the model is zero-shot). With ``example_weight`` > 0 the
        codebook's examples join as coded turns. With ``answer_only_weight`` > 0 every turn joins a second time
        with no interviewer question before it and the same labels (rows ``copies_start_`` on), so that the
        answer's own words must carry a code: trained on questions alone, a model scoring answers with other
        questions, or none, lost recall (sample corpus, ``bench/README.md``). The joined batch is memoised on
        ``batch`` so that the folds of a cross-validation share its label-independent features.
        """
        prototypes = self._prototypes()
        n_rows = len(batch)
        self.copies_start_ = n_rows
        if not (labels != UNLABELLED).any():
            self.sample_weight_ = np.ones(n_rows)
            return batch, labels
        with_examples, with_copies = self.example_weight > 0, self.answer_only_weight > 0
        key = ("training_rows", id(prototypes), with_examples, with_copies)
        cached = batch.cache.get(key)
        if cached is None or cached[0] is not prototypes:
            work = batch.concat(prototypes.example_batch()) if with_examples else batch
            cached = (prototypes, work.concat(batch.without_questions()) if with_copies else work)
            batch.cache[key] = cached
        parts, weights = [labels], [np.ones(n_rows)]
        if with_examples:
            example_labels = prototypes.example_labels()
            parts.append(example_labels)
            weights.append(np.full(len(example_labels), self.example_weight))
        self.copies_start_ = n_rows + (len(parts[1]) if with_examples else 0)
        if with_copies:
            parts.append(labels)
            weights.append(np.full(n_rows, self.answer_only_weight))
        self.sample_weight_ = np.concatenate(weights)
        return cached[1], np.vstack(parts)

    def _copies(self, rows: np.ndarray) -> np.ndarray:
        """The answer-only copies of turns ``rows`` (none without ``answer_only_weight``)."""
        if self.copies_start_ >= len(self.labels_):
            return np.zeros(0, dtype=np.int64)
        return self.copies_start_ + np.asarray(rows, dtype=np.int64)

    @one_blas_thread
    def refit_classifiers(self) -> CodeSuggester:
        """Refit every code's classifier on the features of the last ``fit`` (after ``set_params(C=...)``).

        Nested selection tries several C on one inner fold; the features do not depend on C, so only the
        small per-code fits (and the calibration maps, which depend on C) are repeated.
        """
        self._fit_codes(range(len(self._prototypes().code_ids)))
        self._fit_maps()
        self.account_twin_ = self.account_state_ = None  # fitted again, with these settings, when accounts are scored
        return self

    def _transform(self, batch: SegmentBatch) -> np.ndarray | sp.csr_matrix:
        """The classifiers' input for a new batch: the feature union, then the row-space rotation if any."""
        views = sp.csr_matrix(self.features_.transform(batch))
        return views if self.row_space_ is None else self.row_space_.transform(views)

    def _prototypes(self) -> CodebookPrototypes:
        if self.prototypes is None:
            raise ConfigError("CodeSuggester needs the codebook's prototypes")
        return self.prototypes

    def _validated(self) -> bool:
        """Whether the coded turns span ``min_interviews`` interviews (always true without ``groups``).

        With coded turns from one interview only, nothing learnt from them can be checked on an interview
        the model did not see, and on the sample corpus a model learnt from one interview was worse than the
        codebook alone: until then no code is trained and no map is fitted (the codebook alone, as before
        anything was coded).
        """
        groups = getattr(self, "groups_", None)
        if groups is None:
            return True
        coded = (self.labels_[: self.n_rows_] != UNLABELLED).any(axis=1)
        return len(np.unique(groups[coded])) >= self.min_interviews

    def _fit_codes(self, columns: Sequence[int] | range) -> None:
        """Fit the listed codes; codes with too few positives (or no negatives) stay zero-shot."""
        validated = self._validated()
        for j in columns:
            rows, y, enough = self._trainable(j, validated)
            coded = int(y[rows < self.n_rows_].sum())
            self.trained_[j] = bool(enough)
            self.positives_[j] = coded
            self.estimators_[j] = (
                LogisticRegression(
                    C=self.C, class_weight="balanced", max_iter=self.max_iter, random_state=self.seed
                ).fit(self.X_[rows], y, sample_weight=self.sample_weight_[rows])
                if enough
                else None
            )

    def _trainable(self, j: int, validated: bool | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
        """Code j's training rows, their labels, and whether it gets a classifier.

        Trained once people coded it often enough, or (when the codebook's examples are training rows) once
        enough turns are coded for the examples to be contrasted with real negatives and at least one of them
        holds the code. Why that one: with none, the classifier learns the codebook's examples against the coded
        interviews' talk, not the code, and marks the code absent from interviews where it is not (sample
        corpus after two coded interviews without in-person recruitment: F1 0.00 against the codebook's 0.93 in
        one order; ``bench/README.md``, twenty-seventh session).
        """
        column = self.labels_[:, j]
        rows = np.where(column != UNLABELLED)[0]
        y = column[rows] == 1
        real = rows < self.n_rows_
        examples_suffice = self.example_weight > 0 and int(real.sum()) >= self.min_labelled_turns and y[real].any()
        enough = (
            (self._validated() if validated is None else validated)
            and (int(y[real].sum()) >= self.min_positives or examples_suffice)
            and bool((~y).any())
            and bool(y.any())
        )
        return rows, y, bool(enough)

    def _fit_zero_map(self) -> None:
        """The codebook-score map, on every (coded turn, code) pair with a known label: cheap, so refit live.

        Also ``codebook_record_`` (codes x 2): on how many coded turns the codebook alone would suggest each
        code, and on how many of those people applied it (what the map's per-code shift is made of; the
        review card shows it). Both count the people's decisions only, never self-training's borrowed turns.
        """
        self.zero_shot_map_ = None
        self.codebook_record_: np.ndarray | None = None
        self.inner_folds_: list[tuple[np.ndarray, np.ndarray]] = []
        real = np.where((self.labels_[: self.n_rows_] != UNLABELLED).any(axis=1))[0]
        if not self.calibrate or not len(real) or self.zero_raw_ is None or not self._validated():
            return
        zero, labels = self.zero_raw_[real], self.labels_[real]
        best = _turn_best(zero)
        groups = getattr(self, "groups_", None)
        self.inner_folds_ = inner_folds(None if groups is None else groups[real], len(real), self.calibration_folds)
        fires = self._codebook_fires(zero)
        decided = self.people_labels()[real] != UNLABELLED
        zmap = CodebookMap().fit(zero, labels == 1, labels != UNLABELLED, best, fires, self.inner_folds_, decided)
        self.zero_shot_map_ = zmap if zmap.fitted_ else None
        self.codebook_record_ = zmap.record_

    @one_blas_thread
    def refit_codes(self, updates: Sequence[tuple[int, int, int]]) -> CodeSuggester:
        """Apply (row, code index, label) updates from review decisions and refit only those codes.

        The vocabulary and features of the last ``fit`` are reused, so one decision costs one small fit.
        """
        touched = set()
        people = getattr(self, "coded_labels_", None)
        for row, j, label in updates:
            self.labels_[row, j] = label
            if people is not None:
                people[row, j] = label
            for copy in self._copies(np.array([row])):
                self.labels_[copy, j] = label
            touched.add(j)
        self._fit_codes(sorted(touched))
        if getattr(self, "zero_raw_", None) is not None:
            self._fit_zero_map()
        twin = getattr(self, "account_twin_", None)
        if twin is not None:
            twin.refit_codes(updates)
        self.account_state_ = None  # learnt before these decisions: the twin, if needed, is fitted afresh
        return self

    @property
    def carry_weight_(self) -> float | None:
        """How far a code carries into a follow-up answer (:mod:`.carry`); None where nothing carries."""
        carry = self._carry_map(float(self.prior_strength))
        return None if carry is None else carry.weight_

    @property
    def few_shot_codes_(self) -> list[str]:
        """Codes scored by a trained classifier (the others are zero-shot)."""
        return [c for c, trained in zip(self._prototypes().code_ids, self.trained_, strict=True) if trained]

    @property
    def calibrated_(self) -> np.ndarray:
        """Per code, whether its probability is calibrated: what every explanation says, so it must be true.

        A trained code's learnt probability is calibrated once its map could be fitted (coded turns from at
        least two interviews; with ``calibrate=False``, the older claim that the bench measured it), and
        blended with the codebook score only if that is mapped too. A codebook-only code is calibrated once
        the codebook-score map could be fitted on coded turns.
        """
        zero_ok = getattr(self, "zero_shot_map_", None) is not None
        learnt_ok = getattr(self, "few_shot_map_", None) is not None or not self.calibrate
        return np.where(self.trained_, learnt_ok and (zero_ok or float(self.prior_strength) == 0), zero_ok)

    # ------------------------------------------------------------------ scoring
    @one_blas_thread
    def predict_proba(self, batch: SegmentBatch) -> np.ndarray:
        """Probabilities (turns x codes) in [0, 1].

        With ``prior_strength`` k > 0 the codebook stays evidence after codings arrive, a prior that the data
        outweighs as it accumulates (so two or three coded turns cannot wipe out the codebook): a trained
        code's learnt and codebook logits are weighted n / (n + k) and k / (n + k) for n coded turns and
        combined by the blend map fitted on out-of-fold scores; without that map (``calibrate=False``, or
        coded turns from one interview) the probability is ``(n * p_learnt + k * p_codebook) / (n + k)``.

        A turn longer than a passage (:meth:`passage_sentences_now`) is also scored passage by passage (windows
        of that many sentences, :mod:`toolkit.suggest.passages`), as a coder finds a code in one paragraph of a long
        answer: each code's codebook and learnt scores are the highest of the turn's and its passages', taken
        before the calibration maps, which are fitted on scores taken the same way (so the best of several
        passages is calibrated as such, not read as one turn's score).

        In an interview unlike the coded ones (:mod:`.novelty`) the codebook's kept suggestions are given at
        least the share of such suggestions people applied on the coded turns (:meth:`kept_share`), not the
        threshold; decisions still rank them at the threshold (:meth:`predict_proba_and_ranks`).
        """
        return self.predict_proba_and_ranks(batch)[0]

    @one_blas_thread
    def predict_proba_and_ranks(self, batch: SegmentBatch) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (:meth:`predict_proba`) and what decisions rank them by (pass both to :meth:`decide`).

        Where nothing is kept, both are the same array (read-only use: copy before changing it).

        They differ where an unfamiliar interview keeps the codebook's suggestion: its probability is at least
        the share of such suggestions coded on the coded turns (:meth:`kept_share`), its rank the threshold
        (unless the model scores it higher). Why two: shown at that share the kept suggestions are calibrated
        where the threshold is not (development corpus trained on the sample, sixteenth session: 0.41 shown at
        the threshold, 0.60 coded), but ranked at it they outranked the model's own suggestions within a turn's
        limits and micro-F1 fell from 0.714 to 0.700 (``bench/README.md``). And where the codebook's pick is at
        or above its code's floor (:meth:`codebook_pick_floors`): ranked at the threshold, shown at its own
        probability.
        """
        batch = self._read_questions(batch)
        found = passages(batch, self.passage_sentences_now(), self.statement_sentences)
        fitted = batch is self.batch_
        kept = getattr(self, "zero_raw_", None)  # the fitted batch's, kept by the maps' fit
        probs = kept.copy() if fitted and kept is not None else self._zero_raw(batch, found)
        zmap, fmap = getattr(self, "zero_shot_map_", None), getattr(self, "few_shot_map_", None)
        raw_codebook = probs.copy()  # the codebook alone would suggest from these (the unfamiliar-interview rule)
        if zmap is not None:
            probs = zmap.transform(probs, _turn_best(probs))
        learnt_raw = np.full(probs.shape, np.nan)
        if self.trained_.any():
            X = self.X_[: self.n_rows_] if fitted else self._transform(batch)
            XP = None if found is None else (self.XP_ if fitted else self._transform(found.batch))
            k = float(self.prior_strength)
            bmap = self._blend_map(k) if zmap is not None else None  # one map for every trained code
            for j in np.where(self.trained_)[0]:
                estimator = self.estimators_[j]
                assert estimator is not None  # trained_ says so
                learnt = estimator.predict_proba(X)[:, 1]
                if found is not None and XP is not None:
                    np.maximum.at(learnt, found.owner, estimator.predict_proba(XP)[:, 1])
                learnt_raw[:, j] = learnt
                if bmap is not None:
                    probs[:, j] = bmap.transform(learnt, probs[:, j], float(self.positives_[j]))
                    continue
                if fmap is not None:
                    learnt = fmap.transform(learnt)
                n = float(self.positives_[j])
                probs[:, j] = learnt if k == 0 else (n * learnt + k * probs[:, j]) / (n + k)
        carry = self._carry_map(float(self.prior_strength))
        if carry is not None:  # a follow-up answer keeps the topic of the answer before it
            probs = carry.transform(probs, batch.previous_rows())
        fires = self._codebook_fires(raw_codebook)  # what the codebook alone would suggest: kept, or picked
        if fitted and self.unfamiliar_rule_applies():
            rows = self.unfamiliar_turns()
            level = max(self.threshold, self.kept_share() or 0.0)
            ranks = keep_codebook_suggestions(probs, fires, learnt_raw, rows, self.unfamiliar_veto, self.threshold)
            probs = keep_codebook_suggestions(probs, fires, learnt_raw, rows, self.unfamiliar_veto, level)
        else:
            ranks = None  # nothing kept: decisions rank by the probabilities themselves
        floors = self.codebook_pick_floors() if zmap is not None else None
        if floors is not None:
            picked = fires & (probs >= floors[None, :])
            ranks = (probs if ranks is None else ranks).copy()
            ranks[picked] = np.maximum(ranks[picked], self.threshold)
        short = np.array([len(t.split()) < _MIN_WORDS for t in batch.texts], dtype=bool)

        def finished(values: np.ndarray) -> np.ndarray:
            values[short] = np.minimum(values[short], _SHORT_CAP)
            return np.clip(values, 0.0, 1.0)

        probs = finished(probs)
        ranks = probs if ranks is None else finished(ranks)
        twin = self._account_twin(batch)
        if twin is not None:  # whole accounts: scored by the model that leans on the codebook as much as ever
            accounts = np.asarray(batch.accounts, dtype=bool)
            twin_probs, twin_ranks = twin.predict_proba_and_ranks(batch)
            probs, ranks = probs.copy(), ranks.copy()
            probs[accounts], ranks[accounts] = twin_probs[accounts], twin_ranks[accounts]
        return probs, ranks

    def _account_twin(self, batch: SegmentBatch) -> CodeSuggester | None:
        """The model refitted with ``account_evidence_weight``, for the batch's whole accounts (None: not needed).

        Why two: the coded turns are interview turns. Where a fit chooses to lean less on the codebook's evidence
        (weight 0.5), it fits interviews better (leave-one-interview-out, sample corpus 0.841 -> 0.852,
        development corpus 0.768 -> 0.796), but a single published statement is not like a coded turn, and
        there the codebook's evidence carries most codes (published statements 0.794 -> 0.746 at 0.5;
        ``bench/README.md``, twenty-second and twenty-third sessions). Fitted on the same turns and labels, the
        first time a batch with accounts is scored: from the selection's own fit at that weight where ``fit`` saw
        accounts (no second fit), otherwise fitted then; a review decision refits both. The twin never
        self-trains and, where the model did, is fitted on the people's codings: the dense statements fell 0.805
        -> 0.794 when it self-trained too, and stay at 0.805 so (``bench/README.md``, twenty-fifth session).
        """
        if (
            batch.accounts is None
            or not any(batch.accounts)
            or self.account_evidence_weight == getattr(self, "evidence_weight_", self.account_evidence_weight)
            or not self.trained_.any()
        ):
            return None
        twin = getattr(self, "account_twin_", None)
        if twin is None:
            # statements are scored from the people's codings alone: no self-training, and not the state of a
            # self-trained fit
            params = {**self.get_params(deep=False), "evidence_weight": self.account_evidence_weight}
            params["self_training"] = 0.0
            self_trained = getattr(self, "coded_labels_", None) is not None
            state = None if self_trained else getattr(self, "account_state_", None)
            twin = type(self)(**params)
            if state is None:
                groups = None if self.groups_ is None else list(self.groups_)
                twin.fit(self.batch_, self.people_labels(), groups)
            else:  # the selection's own fit at this weight: its state, with labels and feature weights of its own
                twin.__dict__.update(state)
                twin.labels_ = self.labels_.copy()
                twin.features_ = copying.copy(self.features_).set_params(
                    transformer_weights=feature_weights(self.account_evidence_weight)
                )
            self.account_twin_, self.account_state_ = twin, None
        return twin

    def codebook_pick_floors(self) -> np.ndarray | None:
        """Per code: the probability from which the codebook's own pick for a turn is suggested; None if off.

        ``(n * threshold + k * codebook_pick_floor) / (n + k)`` for the code's n coded turns and the codebook
        prior's k (``prior_strength``) pseudo-turns: the codebook's pick keeps the say the prior gives it. Why:
        with two to eight coded interviews the codebook-score map, pooled over codes and fitted on a few dozen
        turns, sends many of the codebook's right picks under the threshold (development corpus after two coded
        interviews: 71-86 of 98-101 kept in three of five orders). Chosen there and on the sample corpus (curve
        after 2 / 4 / 8: 0.644 / 0.682 / 0.708 -> 0.654 / 0.690 / 0.711 and 0.704 / 0.731 / 0.775 -> 0.696 / 0.729 /
        0.783; leave-one-interview-out unchanged on both), then scored once on the held-out corpus: after two
        coded interviews 0.662 -> 0.687 (``bench/README.md``, eighteenth session).
        """
        floor, k = float(self.codebook_pick_floor), float(self.prior_strength)
        if floor <= 0 or k <= 0 or floor >= self.threshold:
            return None
        n = np.asarray(self.positives_, dtype=np.float64)
        return (n * self.threshold + k * floor) / (n + k)

    def _codebook_fires(self, raw: np.ndarray) -> np.ndarray:
        """What the codebook alone would suggest from its raw scores: the turn's best code, at ``zero_shot_cut``."""
        return (raw >= self.zero_shot_cut) & (_turn_best(raw) > 0)

    def kept_share(self) -> float | None:
        """The probability a codebook suggestion kept in an unfamiliar interview is shown at (None: not measured).

        Between the codebook's plain record on the coded turns (``codebook_record_``, every code) and the share of
        those the out-of-fold veto keeps (``kept_precision_``): :func:`toolkit.suggest.novelty.kept_share`.
        """
        record = getattr(self, "codebook_record_", None)
        plain = None if record is None else _rate(np.asarray(record).sum(axis=0))
        return kept_share(plain, getattr(self, "kept_precision_", None))

    def unfamiliar_rule_applies(self) -> bool:
        """Whether unfamiliar interviews keep the codebook's suggestions: a veto is set and the maps are fitted."""
        return self.unfamiliar_veto > 0 and getattr(self, "zero_shot_map_", None) is not None

    def unfamiliar_turns(self) -> np.ndarray:
        """Rows of the fitted batch in uncoded interviews unlike the coded ones (:mod:`.novelty`); needs groups."""
        groups = getattr(self, "groups_", None)
        if groups is None:
            return np.zeros(self.n_rows_, dtype=bool)
        coded = (self.people_labels() != UNLABELLED).any(axis=1)  # self-training's turns are not coded for this rule
        key = np.packbits(coded).tobytes()  # scoring and explaining the same state measure it once
        cached = getattr(self, "unfamiliar_cache_", None)
        if cached is None or cached[0] != key:
            cached = (key, unfamiliar_rows(self.batch_.turn_vecs, groups[: self.n_rows_], coded))
            self.unfamiliar_cache_ = cached
        return cached[1]

    def people_labels(self) -> np.ndarray:
        """The fitted turns' labels as people coded them: self-training's borrowed turns are the model's guesses."""
        people = getattr(self, "coded_labels_", None)
        return self.labels_[: self.n_rows_] if people is None else people

    def _zero_raw(self, batch: SegmentBatch, found: Passages | None) -> np.ndarray:
        """Codebook-only scores (uncalibrated), each code's best of the turn and its passages."""
        raw = self.zero_shot_.predict_proba(code_evidence(batch, self._prototypes()))
        if found is not None:
            np.maximum.at(
                raw, found.owner, self.zero_shot_.predict_proba(code_evidence(found.batch, self._prototypes()))
            )
        return raw

    def _best_of_passages(self, model: LogisticRegression, rows: np.ndarray) -> np.ndarray:
        """A classifier's scores of rows of the fitted batch, each the best of the turn's and its passages'."""
        scores = model.predict_proba(self.X_[rows])[:, 1]
        found, XP = getattr(self, "passages_", None), getattr(self, "XP_", None)
        if found is None or XP is None:
            return scores
        mine = np.isin(found.owner, rows)
        if mine.any():
            position = {int(row): i for i, row in enumerate(rows)}
            at = np.array([position[int(row)] for row in found.owner[mine]], dtype=np.int64)
            np.maximum.at(scores, at, model.predict_proba(XP[mine])[:, 1])
        return scores

    def _read_questions(self, batch: SegmentBatch) -> SegmentBatch:
        """The batch as the model reads it: content-free questions as absent (:mod:`toolkit.suggest.questions`)."""
        return without_content_free_questions(batch) if self.ignore_content_free_questions else batch

    def passage_sentences_now(self) -> int:
        """Sentences per passage: the fitted size (the median coded turn's, at least 3), or ``passage_sentences``.

        Before ``fit``, before the coded turns span ``min_interviews`` interviews, and with
        ``passages_follow_coded_turns`` off: the setting. 0 means no passages.
        """
        return int(getattr(self, "passage_size_", self.passage_sentences))

    def passage_counts(self, batch: SegmentBatch) -> np.ndarray:
        """Per turn, how many passages it holds (1 unless longer than :meth:`passage_sentences_now`).

        Pass it to :meth:`decide` with the batch's probabilities (``predict`` does); a fitted model's count
        follows its fitted passage size, so decide with the model that scored the turns.
        """
        return passage_counts(batch, self.passage_sentences_now(), self.statement_sentences)

    def decide(
        self, probs: np.ndarray, passages: np.ndarray | None = None, ranks: np.ndarray | None = None
    ) -> np.ndarray:
        """Boolean matrix of suggested codes: threshold, then the per-group and per-turn limits.

        ``passages`` (from :meth:`passage_counts`, row-aligned with ``probs``): a long turn carries each limit
        once per passage; without it every turn counts as one. ``ranks`` (from :meth:`predict_proba_and_ranks`)
        orders a turn's codes for the limits; without it, ``probs`` do.

        Before ``fit`` every code counts as few-shot (as for cross-validated probabilities). A codebook-only
        score without its map is not a probability, so the threshold does not apply to it: it is cut at
        ``zero_shot_cut`` (0.5, the squash's midpoint, where the turn stands ``zero_shot_z`` above the
        others), and at most
        ``zero_shot_max_codes`` such codes per turn (``mapped_zero_shot_max_codes`` once mapped).
        """
        prototypes = self._prototypes()
        trained = getattr(self, "trained_", None)
        threshold: float | np.ndarray = self.threshold
        mapped = getattr(self, "zero_shot_map_", None) is not None
        if trained is not None and not mapped:
            threshold = np.where(trained, self.threshold, self.zero_shot_cut)
        policy = DecisionPolicy(
            prototypes.groups,
            prototypes.max_per_group,
            threshold=threshold,
            max_codes=self.max_codes,
            zero_shot_max_codes=self.mapped_zero_shot_max_codes if mapped else self.zero_shot_max_codes,
            excludes=prototypes.excludes,
        )
        return policy.decide(probs if ranks is None else ranks, getattr(self, "trained_", None), passages)

    def predict(self, batch: SegmentBatch) -> np.ndarray:
        """Boolean matrix of suggested codes."""
        probs, ranks = self.predict_proba_and_ranks(batch)
        return self.decide(probs, self.passage_counts(batch), ranks)

    # ------------------------------------------------------------------ explanation
    def _after_topic(self, batch: SegmentBatch, probs: np.ndarray) -> np.ndarray | None:
        """Per (turn, code): the answer before's probability where carrying it raised this one's (else NaN).

        Read from the probabilities shown (the answer before's card), as the reviewer sees them; a lift of at
        least ``_CARRY_SHOWN`` log-odds is named in the explanation.
        """
        carry = self._carry_map(float(self.prior_strength))
        if carry is None:
            return None
        previous = batch.previous_rows()
        raised = carry.lift(probs, previous) >= _CARRY_SHOWN
        return np.where(raised, previous_probabilities(probs, previous), np.nan)

    @one_blas_thread
    def explain(
        self,
        batch: SegmentBatch,
        probs: np.ndarray | None = None,
        unfamiliar: np.ndarray | None = None,
        ranks: np.ndarray | None = None,
    ) -> list[dict[int, dict[str, object]]]:
        """For each turn, for each suggested code index: a one-glance reason (see :class:`Explainer`).

        ``unfamiliar`` (bool per row of ``batch``): which turns lie in an interview unlike the coded ones, for a
        ``batch`` that is part of the fitted one, scored through it (:meth:`unfamiliar_turns`, sliced); for the
        fitted batch itself it is found here. ``ranks``: as for :meth:`decide`, with ``probs``.
        """
        if probs is None:
            probs, ranks = self.predict_proba_and_ranks(batch)
        batch = self._read_questions(batch)
        explainer = Explainer(self._prototypes(), neighbours=self.neighbours)
        if not self.unfamiliar_rule_applies():
            unfamiliar = None  # the rule did not apply, so no explanation may say it did
        elif unfamiliar is None and batch is self.batch_:
            unfamiliar = self.unfamiliar_turns()
        picks = None
        if ranks is not None:  # ranked above their probability: the codebook's pick (or an unfamiliar interview's)
            picks = (ranks > probs) & (probs < self.threshold)
            if unfamiliar is not None:
                picks &= ~np.asarray(unfamiliar, dtype=bool)[:, None]
        return explainer.explain(
            batch,
            self.decide(probs, self.passage_counts(batch), ranks),
            code_evidence(batch, self._prototypes()),
            self.trained_,
            coded_vecs=self.batch_.turn_vecs,
            calibrated=self.calibrated_,
            labels=self.people_labels(),
            probs=probs,
            codebook_record=getattr(self, "codebook_record_", None),  # none without the calibration maps
            unfamiliar=unfamiliar,
            codebook_picks=picks,
            after_topic=self._after_topic(batch, probs),
        )
