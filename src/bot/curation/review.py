"""The review queue: passages a guild's members reported with 👎, and moderators' dismissals.

A report is a 👎 (``feedback``, vote -1) on an answer logged in the guild (``interactions``) that
names the passage the member was looking at. A dismissal is only an audit entry ("review.dismiss"):
it closes the reports made until then, so a dismissed passage comes back when someone reports it
again afterwards, and undoing the dismissal (``audit.undo``) reopens the old reports. No table of
its own is needed, and the audit log stays the single record of what moderators decided.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.curation.audit import CurationError, undoable
from bot.curation.passages import PassageOverrides, PassageText
from bot.curation.repository import GuildRepository
from bot.curation.verdicts import SET as VERDICT_SET
from bot.curation.verdicts import claim_key
from bot.errors import EssaybotError
from bot.store.models import VERDICT_REASONS, AuditRow, EssayRow, FeedbackRow, InteractionRow, PassageRow
from bot.textnorm import normalize

DISMISS = "review.dismiss"
NO_REASON = "none"
MAX_QUESTIONS = 3


@dataclass(frozen=True)
class ReviewItem(PassageText):
    """One reported passage with its open reports."""

    passage_id: str
    reports: int
    reasons: tuple[tuple[str, int], ...]  # (reason, count), most frequent first; NO_REASON when none given
    last_report_at: datetime
    questions: tuple[str, ...]  # the latest questions whose answers were reported: member text, unescaped
    override: tuple[str | None, str] | None  # this guild's (speaker, role) override, if any

    @property
    def main_reason(self) -> str:
        """The most frequent reason."""
        return self.reasons[0][0]


@dataclass(frozen=True)
class VerdictReport:
    """A question whose verdict members reported, with its open 👎 reports about the verdict.

    Reports on the same claim (the same question with other quotes, case or spacing) are one entry.
    A moderators' verdict ruling on that claim closes the reports made before it.
    """

    claim: str  # folded, as rulings are keyed (``curation.verdicts.claim_key``)
    question: str  # the latest wording members asked it in: member text, unescaped
    reports: int
    reasons: tuple[tuple[str, int], ...]  # (reason, count), most frequent first
    which: tuple[str, ...]  # the members' words for "an essay does say this", newest first
    passage_ids: tuple[str, ...]  # the passages the reported answers were showing
    last_report_at: datetime


@dataclass(frozen=True)
class _Report:
    passage_id: str
    reason: str
    at: datetime
    question: str | None


class ReviewQueue(GuildRepository[str]):
    """One guild's review queue."""

    def dismissed_at(self) -> dict[str, datetime]:
        """The time of each passage's latest dismissal that was not undone."""
        rows = self.session.execute(
            select(AuditRow.target, AuditRow.created_at).where(
                AuditRow.guild_id == self.guild_id,
                AuditRow.action == DISMISS,
                AuditRow.undone_at.is_(None),
            )
        )
        latest: dict[str, datetime] = {}
        for target, at in rows:
            if target not in latest or at > latest[target]:
                latest[target] = at
        return latest

    def _reports(self, passage_id: str | None = None) -> list[_Report]:
        query = (
            select(FeedbackRow.passage_id, FeedbackRow.reason, FeedbackRow.updated_at, InteractionRow.options)
            .join(InteractionRow, FeedbackRow.interaction_id == InteractionRow.id)
            .where(
                InteractionRow.guild_id == self.guild_id,
                FeedbackRow.vote < 0,
                FeedbackRow.passage_id.is_not(None),
                # Reports about the verdict are grouped by question instead (``verdict_reports``).
                FeedbackRow.reason.is_(None) | FeedbackRow.reason.not_in(VERDICT_REASONS),
            )
        )
        if passage_id is not None:
            query = query.where(FeedbackRow.passage_id == passage_id)
        dismissed = self.dismissed_at()
        out = []
        for pid, reason, at, options in self.session.execute(query):
            closed = dismissed.get(pid)
            if closed is not None and at <= closed:
                continue  # made before the passage was dismissed
            out.append(_Report(pid, reason or NO_REASON, at, _question(options)))
        return out

    def open_reports(self, passage_id: str) -> int:
        """How many 👎 reports on a passage are open (made since its last dismissal)."""
        return len(self._reports(passage_id))

    def items(self, passage_id: str | None = None) -> list[ReviewItem]:
        """The queue: reported passages this guild does not hide, most reported first.

        With ``passage_id``, only that passage's entry (none when it has no open reports or is hidden).
        """
        by_passage: dict[str, list[_Report]] = {}
        for report in self._reports(passage_id):
            by_passage.setdefault(report.passage_id, []).append(report)
        overrides = PassageOverrides(self.session, self.guild_id)
        hidden = overrides.hidden_ids()
        items = []
        for pid, reports in by_passage.items():
            passage = self.session.get(PassageRow, pid)
            if pid in hidden or passage is None:
                continue  # hidden already, or gone from the corpus
            essay = self.session.get(EssayRow, passage.essay_id)
            assert essay is not None  # passages cascade with their essay
            override = overrides.get(pid)
            reports.sort(key=lambda r: r.at, reverse=True)
            counts = Counter(r.reason for r in reports)
            questions: list[str] = []
            for r in reports:
                if r.question and r.question not in questions:
                    questions.append(r.question)
            items.append(
                ReviewItem(
                    passage_id=pid,
                    essay_id=essay.id,
                    title=essay.title,
                    authors=tuple(essay.authors),
                    text=passage.text,
                    reports=len(reports),
                    reasons=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                    last_report_at=reports[0].at,
                    questions=tuple(questions[:MAX_QUESTIONS]),
                    override=(override.speaker, override.role)
                    if override is not None and override.role is not None
                    else None,
                )
            )
        items.sort(key=lambda i: (-i.reports, -i.last_report_at.timestamp(), i.passage_id))
        return items

    def contents(self) -> tuple[list[ReviewItem], list[VerdictReport]]:
        """The reported passages (``items``) and the verdict reports (``verdict_reports``) together."""
        return self.items(), self.verdict_reports()

    def verdict_reports(self) -> list[VerdictReport]:
        """Questions whose verdict members reported, most reported first; ruled-on reports left out."""
        ruled: dict[str, datetime] = {}
        rulings = self.session.execute(
            select(AuditRow.after, AuditRow.created_at).where(
                AuditRow.guild_id == self.guild_id,
                AuditRow.action == VERDICT_SET,
                AuditRow.undone_at.is_(None),
            )
        )
        for after, at in rulings:
            claim = (after or {}).get("claim")
            if isinstance(claim, str) and (claim not in ruled or at > ruled[claim]):
                ruled[claim] = at
        query = (
            select(
                FeedbackRow.reason,
                FeedbackRow.detail,
                FeedbackRow.passage_id,
                FeedbackRow.updated_at,
                InteractionRow.options,
            )
            .join(InteractionRow, FeedbackRow.interaction_id == InteractionRow.id)
            .where(
                InteractionRow.guild_id == self.guild_id,
                FeedbackRow.vote < 0,
                FeedbackRow.reason.in_(VERDICT_REASONS),
            )
            .order_by(FeedbackRow.updated_at.desc(), FeedbackRow.id.desc())
        )
        groups: dict[str, list[tuple[str, str | None, str | None, datetime, str]]] = {}
        for reason, detail, passage_id, at, options in self.session.execute(query):
            question = _question(options)
            if question is None:
                continue
            claim = _claim(question)
            closed = ruled.get(claim)
            if closed is not None and at <= closed:
                continue  # the moderators ruled on this question since
            groups.setdefault(claim, []).append((reason, detail, passage_id, at, question))
        out = []
        for claim, reports in groups.items():
            counts = Counter(r[0] for r in reports)
            which = [r[1] for r in reports if r[1]]
            out.append(
                VerdictReport(
                    claim=claim,
                    question=reports[0][4],
                    reports=len(reports),
                    reasons=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                    which=tuple(dict.fromkeys(which))[:MAX_QUESTIONS],
                    passage_ids=tuple(dict.fromkeys(r[2] for r in reports if r[2])),
                    last_report_at=reports[0][3],
                )
            )
        out.sort(key=lambda v: (-v.reports, -v.last_report_at.timestamp(), v.claim))
        return out

    def dismiss(self, passage_id: str, *, actor: str, now: datetime | None = None) -> AuditRow:
        """Close a passage's open reports; it returns to the queue only with new 👎 reports."""
        reports = self._reports(passage_id)
        if not reports:
            raise CurationError("That passage has no open 👎 reports to dismiss.")
        counts = Counter(r.reason for r in reports)
        before = {"reports": len(reports), "reasons": dict(counts)}
        return self._audit(
            DISMISS, passage_id, actor=actor, before=before, after={"dismissed": True}, now=now
        )


def by_reason(items: list[ReviewItem]) -> list[tuple[str, int]]:
    """Reports per reason over the whole queue, most frequent first."""
    totals: Counter[str] = Counter()
    for item in items:
        totals.update(dict(item.reasons))
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


def _question(options: Any) -> str | None:
    if not isinstance(options, dict):
        return None
    value = options.get("query") or options.get("topic")
    return value if isinstance(value, str) and value.strip() else None


def _claim(question: str) -> str:
    """The folded claim of a logged question; its folded words when it no longer parses."""
    try:
        return claim_key(question)
    except EssaybotError:
        return normalize(question)


@undoable(DISMISS)
def _undismiss(session: Session, row: AuditRow, actor: str) -> None:
    # The dismissal is the audit entry itself: once ``audit.undo`` marks it undone, the reports it
    # closed count again. Nothing else to restore.
    if row.guild_id is None:
        raise CurationError(f"Audit entry #{row.id} has no server.")
