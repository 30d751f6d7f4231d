"""The personal-data (個人情報) guard: scan a resource before it becomes public.

`scan_file` reads a resource (every sheet of a workbook) and `scan_rows` scans rows already
read; both return a PiiResult whose error findings block publishing. Every value shown in a
finding is masked (090-****-5678, ya***@gmail.com, 1234 **** 9012, 山**), so the report itself
never repeats the personal data it found. Rule ids and severities: messages.RULES.
"""

from tsunagu.quality.pii.messages import RULES
from tsunagu.quality.pii.scan import PiiResult, scan_file, scan_rows

__all__ = ["RULES", "PiiResult", "scan_file", "scan_rows"]
