"""Who is counted how, from the User-Agent: browsers as page views, programs as API use, bots
not at all."""

from __future__ import annotations

import pytest

from tsunagu.usage.clients import classify

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    # A phone whose model name holds "bot": still a person.
    "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Opera/9.80 (Windows NT 6.1) Presto/2.12.388 Version/12.18",
]
PROGRAMS = [
    "ckanapi/4.7 (+https://github.com/ckan/ckanapi)",
    "python-requests/2.32.3",
    "curl/8.5.0",
    "Wget/1.21.4",
    "Python-urllib/3.11",
    "python-httpx/0.27.0",
    "Go-http-client/2.0",
    "R (4.4.1 x86_64-pc-linux-gnu x86_64 linux-gnu)",
    "QGIS/33800/Windows 11 Version 2009",
    "Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)",
    "PostmanRuntime/7.42.0",
    "my-city-dashboard/1.0",
]
BOTS = [
    "",
    "   ",
    None,
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
    "+claudebot@anthropic.com)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "Scrapy/2.11.2 (+https://scrapy.org)",
    "Mozilla/5.0 (compatible; a-new-crawler/0.1; +https://example.org/about-our-crawler)",
    "Mozilla/5.0 (compatible; SomeService/1.0; +https://example.org/info)",
]


@pytest.mark.parametrize("agent", BROWSERS)
def test_browsers_are_people(agent: str) -> None:
    assert classify(agent) == "browser"
    # The same browser calling the Action API (a page's script) is API use.
    assert classify(agent, api=True) == "program"


@pytest.mark.parametrize("agent", PROGRAMS)
def test_programs_are_api_use(agent: str) -> None:
    assert classify(agent) == "program"
    assert classify(agent, api=True) == "program"


@pytest.mark.parametrize("agent", BOTS)
def test_bots_and_requests_without_a_user_agent_are_not_counted(agent: str | None) -> None:
    assert classify(agent) is None
    assert classify(agent, api=True) is None
