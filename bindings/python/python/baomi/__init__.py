"""baomi: pre-publication secrecy review (保密审查) of Chinese government drafts.

    >>> import baomi
    >>> report = baomi.Scanner().scan("本件机密★5年")
    >>> report.verdict
    'withhold'
    >>> report.findings[0].matched
    '机密★5年'

Reports are those of ``baomi scan --format json``; ``Report.to_json()``
returns exactly that JSON (schema: docs/report.schema.json).
"""

from ._baomi import (  # noqa: F401
    Finding,
    Location,
    Report,
    RulesError,
    Scanner,
    __version__,
    review_file,
)

__all__ = ["Scanner", "Report", "Finding", "Location", "RulesError", "review_file", "__version__"]
