"""Times of day: "9:30", "9時30分", "午後1時半", "1:30 PM"."""

from __future__ import annotations

import datetime as dt
import re

from tsunagu.datastore.ingest.halfwidth import _prep
from tsunagu.datastore.ingest.messages import _show
from tsunagu.datastore.ingest.missing import _missing_text, is_missing
from tsunagu.datastore.ingest.model import Cell

# "9:30", "09:30:00.5", "9時", "9時30分", "9時半", "9時30分15秒", with 午前/午後 or AM/PM.
_TIME_CORE = (
    r"(?:(?P<ap>午前|午後|(?i:am|pm))\s*)?"
    r"(?:(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<sec>[0-9]{2})(?:\.(?P<us>[0-9]{1,6}))?)?"
    r"|(?P<jh>[0-9]{1,2})\s*時\s*(?:(?P<half>半)"
    r"|(?P<jmi>[0-9]{1,2})\s*分(?:\s*(?P<jsec>[0-9]{1,2})\s*秒)?)?)"
    r"(?:\s*(?P<ap2>(?i:am|pm|a\.m\.|p\.m\.)))?"
)
_TIME_RE = re.compile(_TIME_CORE)
_TIME_EXAMPLES = "例: 9:30、09:30:00、9時30分、午後1時30分"


def _time_from_match(m: re.Match[str], cell: Cell) -> dt.time:
    g = m.group
    if (h := g("h")) is not None:
        hour, minute, second = int(h), int(g("mi")), int(g("sec") or 0)
        micro = int(us.ljust(6, "0")) if (us := g("us")) else 0
    else:
        hour, second, micro = int(g("jh")), int(g("jsec") or 0), 0
        minute = 30 if g("half") else int(g("jmi") or 0)
    ap, ap2 = g("ap"), g("ap2")
    if ap and ap2:
        raise ValueError(f"{_show(cell)} は午前・午後が二重に書かれています")
    marker = (ap or ap2 or "").lower().replace(".", "")
    if marker in ("午前", "午後"):
        # 午前12時 / 午後12時 mean noon or midnight depending on who wrote them.
        if hour > 11:
            raise ValueError(
                f"{_show(cell)} は時刻としてあいまいです（午前・午後は0〜11時で、または24時間制で書いてください）"
            )
        if marker == "午後":
            hour += 12
    elif marker:  # am / pm: the English clock, 12 AM = 0:00 and 12 PM = 12:00
        if not 1 <= hour <= 12:
            raise ValueError(f"{_show(cell)} は時刻の範囲外です（AM・PMは1〜12時）")
        hour = hour % 12 + (12 if marker == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{_show(cell)} は時刻の範囲外です（0:00〜23:59:59 で書いてください）")
    return dt.time(hour, minute, second, micro)


def parse_time(cell: Cell) -> dt.time | None:
    """A time of day: "9:00", "09:00:00", "９：００", "9時", "9時30分", "9時半", "午前9時",
    "午後1時30分" (13:30), "1:30 PM". "24:00" and later are rejected, as are 午前/午後 12時
    (ambiguous). time cells pass through; datetime cells are rejected.
    """
    if type(cell) is dt.time:
        return cell
    if isinstance(cell, str):
        s = _prep(cell)
        if _missing_text(s):
            return None
        m = _TIME_RE.fullmatch(s)
        if m is None:
            raise ValueError(f"{_show(cell)} は時刻として読めません（{_TIME_EXAMPLES}）")
        return _time_from_match(m, cell)
    if cell is None or is_missing(cell):
        return None
    if isinstance(cell, dt.time):
        return cell
    raise ValueError(f"{_show(cell)} は時刻として読めません（{_TIME_EXAMPLES}）")
