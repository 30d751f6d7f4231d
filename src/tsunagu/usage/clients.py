"""Who is asking, told from the User-Agent alone: a browser, a program (API use) or a bot.

Only the class is kept; the User-Agent itself, like the address, is never stored.

* **bot** (not counted): no User-Agent at all, a name on the crawler list below, or a
  browser-like User-Agent carrying a ``+http…`` link (crawlers name their info page that way;
  browsers never do). Search engines, link previews, archivers, SEO and AI crawlers, uptime
  monitors and scanners.
* **browser**: a User-Agent starting ``Mozilla/`` or ``Opera/`` that is not a bot — a person.
* **program** (counted as API use): everything else that names itself — ckanapi, curl, wget,
  python-requests, R, QGIS, Excel's Power Query, scripts with their own name — and every call
  to the Action API whatever it says it is (a browser calling the API is a page's script).

The crawler list is kept here, in lower case, as substrings; add names as they show up in the
access log (docs/operations.md, 利用状況の集計).
"""

from __future__ import annotations

from typing import Literal

Client = Literal["browser", "program"]

# Substrings of crawler User-Agents (lower case). Generic words first, then names whose
# User-Agent carries none of them.
CRAWLERS: tuple[str, ...] = (
    "bot/",
    "bot;",
    "bot)",
    "_bot",
    "-bot",
    "crawler",
    "crawling",
    "spider",
    "scraper",
    "slurp",
    "googlebot",
    "bingbot",
    "adsbot",
    "mediapartners-google",
    "google-inspectiontool",
    "google-extended",
    "googleother",
    "storebot-google",
    "apis-google",
    "feedfetcher",
    "baiduspider",
    "yandex",
    "duckduckbot",
    "duckassistbot",
    "applebot",
    "amazonbot",
    "petalbot",
    "bytespider",
    "seznambot",
    "yeti/",  # Naver
    "daumoa",
    "exabot",
    "qwantify",
    "mojeek",
    "ia_archiver",
    "archive.org_bot",
    "heritrix",
    "ccbot",
    "gptbot",
    "chatgpt-user",
    "oai-searchbot",
    "claudebot",
    "claude-web",
    "anthropic-ai",
    "perplexitybot",
    "cohere-ai",
    "meta-externalagent",
    "meta-externalfetcher",
    "facebookexternalhit",
    "facebookcatalog",
    "twitterbot",
    "linkedinbot",
    "slackbot",
    "discordbot",
    "telegrambot",
    "whatsapp",
    "skypeuripreview",
    "embedly",
    "iframely",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "dotbot",
    "blexbot",
    "dataforseobot",
    "serpstatbot",
    "screaming frog",
    "sitebulb",
    "headlesschrome",
    "phantomjs",
    "lighthouse",
    "chrome-lighthouse",
    "pagespeed",
    "gtmetrix",
    "uptimerobot",
    "pingdom",
    "statuscake",
    "site24x7",
    "freshping",
    "betteruptime",
    "check_http",
    "nagios",
    "zabbix",
    "monitoring",
    "w3c_validator",
    "w3c-checklink",
    "validator.nu",
    "linkchecker",
    "zgrab",
    "masscan",
    "nmap",
    "nuclei",
    "nikto",
    "sqlmap",
    "censysinspect",
    "expanse",
    "scrapy",
    "httrack",
)

_BROWSER_PREFIXES = ("mozilla/", "opera/")


# What each User-Agent seen lately is, by its hash (salted per process by Python), so the
# crawler list is gone through once per kind of client rather than once per request. Only
# hashes are kept, never the User-Agents; emptied when full.
_SEEN: dict[int, Client | None] = {}
_SEEN_MAX = 2048


def classify(user_agent: str | None, *, api: bool = False) -> Client | None:
    """``browser`` or ``program`` for a request to count, None for a bot (not counted).
    ``api``: the request is an Action API call, which is program use unless it is a bot."""
    key = hash(user_agent)
    try:
        kind = _SEEN[key]
    except KeyError:
        kind = _kind(user_agent)
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        _SEEN[key] = kind
    if kind is None:
        return None
    return "program" if api or kind == "program" else "browser"


def _kind(user_agent: str | None) -> Client | None:
    agent = (user_agent or "").strip().lower()
    if not agent:
        return None
    for name in CRAWLERS:  # a plain loop: this runs on every counted request
        if name in agent:
            return None
    browser_like = agent.startswith(_BROWSER_PREFIXES)
    if browser_like and "+http" in agent:
        return None
    return "browser" if browser_like else "program"
