"""Demo labels: a few subjects assessed and validated through the real services (assess, submit, two
reviews), at several levels. Runs on the current adopted version; without one it does nothing."""

from __future__ import annotations

from app.charter import assessments as svc
from app.charter.models import Answer, Label, SubjectKind
from app.core.errors import ServiceError

#: share of the applicable criteria answered "yes" by each applicant in turn (one "partly" follows them,
#: the rest "no"): from a full label to a modest one.
DEMO_SHARES = (1.0, 0.75, 0.5, 0.3)


def answers_for(n: int, share: float) -> list[Answer]:
    yes = round(n * share)
    return [Answer.YES] * yes + [Answer.PARTLY] * min(1, n - yes) + [Answer.NO] * max(0, n - yes - 1)


def label_demo_subjects(
    applicants: list[tuple[object, SubjectKind, int]], reviewers: tuple[object, object]
) -> list[Label]:
    """Each (member, kind, subject id) assesses its subject with the next of DEMO_SHARES; the two
    reviewers validate. Returns the labels granted (a subject that reaches no level gets none)."""
    if svc.current_version() is None:
        return []
    labels = []
    for (user, kind, subject_id), share in zip(applicants, DEMO_SHARES, strict=False):
        assessment = svc.open_assessment(user, kind, subject_id)
        criteria = svc.applicable_criteria(assessment.version, kind)
        inputs = {
            vc.criterion_id: svc.AnswerInput(answer=answer.value, text="Décrit sur notre site et dans nos statuts.")
            for vc, answer in zip(criteria, answers_for(len(criteria), share), strict=True)
        }
        svc.save_answers(user, assessment, inputs)
        try:
            svc.submit(user, assessment)
        except ServiceError:
            continue
        label = None
        for reviewer in reviewers:
            label = svc.review(reviewer, assessment, "validate", "Preuves vérifiées.")
        if label is not None:
            labels.append(label)
    return labels
