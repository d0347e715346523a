"""Reviews: CX governance's verdict on logged decisions, and the action they would have taken
(which ``nextbest eval import-reviews`` turns into regression scenarios)."""

from agent.reviews.models import ErasedReview, LoggedReview, ReviewIn, ReviewRecordV1, Verdict

__all__ = ["ErasedReview", "LoggedReview", "ReviewIn", "ReviewRecordV1", "Verdict"]
