"""One typed settings object, read from the environment (``TSUNAGU_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TSUNAGU_{name}", default)


SEARCH_BACKENDS = ("embedded", "postgresql")
# The Argon2id parameters of each TSUNAGU_PASSWORD_HASH_COST ({} is argon2-cffi's defaults):
# accounts/passwords.py makes its hashers from these, so the costs one may choose and the
# hashers there are always the same (why these costs: see there).
PASSWORD_HASH_COSTS: dict[str, dict[str, int]] = {
    "standard": {},
    "minimum": {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1},
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", "./data")))
    database_url: str = ""
    site_url: str = "http://127.0.0.1:5000"
    site_title: str = "つなぐ オープンデータカタログ"
    max_upload_bytes: int = 100 * 1024 * 1024
    secret_key: str = ""
    api_version: int = 3
    # Linked resources are fetched for ingest; private and loopback addresses only when allowed.
    ingest_allow_private_urls: bool = False
    ingest_max_bytes: int = 500 * 1024 * 1024
    ingest_workers: int = 1
    # A datastore table written through the API gets its short-word postings rebuilt
    # once no write has reached it for this long (datastore/postings_jobs.py).
    datastore_postings_quiet_seconds: float = 30.0
    sql_time_limit: float = 10.0
    sql_row_limit: int = 32_000
    # Many files at once (workspace/batch): files in one batch (a zip's entries count), their
    # total size once unzipped, and how much a zip entry may grow when unzipped (zip bombs).
    batch_max_files: int = 200
    batch_max_bytes: int = 1024 * 1024 * 1024
    batch_zip_max_ratio: int = 100
    # Map base tiles (GSI 地理院タイル); empty for a blank base, e.g. on a closed network.
    map_tiles: str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
    # Outgoing mail (password reset, invitations, digests). No host: mail cannot be sent.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    # "starttls", "ssl" or "" (plain, e.g. a relay on the same host).
    smtp_security: str = ""
    mail_from: str = "noreply@localhost"
    reset_token_hours: int = 2
    invite_token_days: int = 7
    # Abuse limits: requests a minute per client address (0 turns a limit off).
    api_rate_limit: int = 600
    sql_rate_limit: int = 60
    login_max_failures: int = 5
    # Per client address, higher: municipal staff often share one outgoing address (a city
    # hall's proxy, the prefecture's 自治体情報セキュリティクラウド). 0 turns it off.
    login_address_max_failures: int = 50
    login_window_seconds: int = 900
    login_block_seconds: int = 900
    # Password-reset requests (the "forgot password" form) counted like failed sign-ins, per
    # name or address typed and per client address, in the same window; 0 turns a limit off.
    reset_max_requests: int = 3
    reset_address_max_requests: int = 20
    # What the public posts (community/): new data requests and 活用事例 per client address
    # (or per signed-in non-staff user) an hour, and supports of data requests an hour; staff
    # are not counted. 0 turns a limit off.
    community_max_posts: int = 10
    community_max_supports: int = 60
    # A 活用事例 image (PNG, JPEG or WebP) at most this many bytes.
    showcase_max_image_bytes: int = 5 * 1024 * 1024
    # Portal sessions (server-side records): ended after this long without a request, and this
    # long after signing in whatever happens (ASVS 3.3.2 level 2: 30 minutes idle, 12 h at most).
    session_idle_seconds: int = 1800
    session_lifetime_seconds: int = 8 * 3600
    # Argon2id parameters for new password hashes: "standard" or "minimum" (OWASP's minimum,
    # about a seventh of the CPU; accounts/passwords.py).
    password_hash_cost: str = "standard"
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed.
    trusted_proxies: tuple[str, ...] = ()
    # "text" or "json" (one JSON object a line, for log collectors).
    log_format: str = "text"
    # Harvesting other catalogs (harvest/): private, loopback and link-local addresses are
    # refused unless listed here (addresses or networks, e.g. a closed municipal network).
    harvest_private_networks: tuple[str, ...] = ()
    harvest_timeout: float = 30.0  # seconds per request
    harvest_max_response_bytes: int = 50 * 1024 * 1024
    harvest_max_record_bytes: int = 5 * 1024 * 1024
    harvest_max_resources: int = 1000  # per dataset
    harvest_max_records: int = 100_000  # per job
    harvest_job_max_seconds: int = 6 * 3600
    harvest_workers: int = 1  # harvest job threads in this process (0: none, e.g. web-only)
    harvest_schedule_seconds: float = 30.0  # how often due sources are looked for
    # The licence the catalog's own metadata are offered under in the DCAT export (a licence id
    # of license_list): 公共データ利用規約 (PDL1.0) by default, the terms public bodies use.
    dcat_catalog_license: str = "pdl-1.0"
    # How often each app process checks that today's metric snapshot is stored (metrics/job.py;
    # seconds, 0: never, e.g. when cron runs `tsunagu metrics snapshot` instead).
    metrics_snapshot_seconds: float = 300.0
    # Usage analytics (usage/): page views and downloads per day, counted at request time. Off
    # only to measure what counting costs (benchmarks/analytics.py).
    usage_analytics: bool = True
    # 災害モード (disaster/): switched on automatically when a process answers at least this many
    # requests a second, averaged over the window (0: never automatically); it stays on while
    # the rate is at least off_ratio × that, and goes off after calm_seconds below it.
    disaster_auto_rps: float = 0.0
    disaster_auto_window_seconds: int = 30
    disaster_auto_off_ratio: float = 0.5
    disaster_auto_calm_seconds: int = 900
    # The 避難場所 pages served from memory; off only to measure what that saves
    # (benchmarks/map.py).
    disaster_page_cache: bool = True
    # Where the catalog search lives: "embedded" (an index in each process, the default) or
    # "postgresql" (one index in the PostgreSQL database, shared by every process and host).
    search_backend: str = "embedded"

    def __post_init__(self) -> None:
        if self.password_hash_cost not in PASSWORD_HASH_COSTS:
            raise ValueError(
                f"TSUNAGU_PASSWORD_HASH_COST は {' / '.join(PASSWORD_HASH_COSTS)} のどちらかです"
                f" (unknown password hash cost: {self.password_hash_cost!r})"
            )
        if self.search_backend not in SEARCH_BACKENDS:
            raise ValueError(
                f"TSUNAGU_SEARCH_BACKEND は {' / '.join(SEARCH_BACKENDS)} のどれかです"
                f" (unknown search backend: {self.search_backend!r})"
            )
        if self.search_backend == "postgresql" and not self.effective_database_url.startswith(
            "postgresql"
        ):
            raise ValueError(
                "TSUNAGU_SEARCH_BACKEND=postgresql には PostgreSQL のデータベース"
                "（TSUNAGU_DATABASE_URL=postgresql+psycopg://…）が必要です。SQLite では"
                " embedded を使ってください (the postgresql search backend needs a PostgreSQL"
                " database; use embedded with SQLite)"
            )

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        data_dir = Path(_env("DATA_DIR", "./data"))
        values: dict[str, object] = {
            "data_dir": data_dir,
            "database_url": _env("DATABASE_URL", ""),
            "site_url": _env("SITE_URL", "http://127.0.0.1:5000").rstrip("/"),
            "site_title": _env("SITE_TITLE", "つなぐ オープンデータカタログ"),
            "max_upload_bytes": int(_env("MAX_UPLOAD_BYTES", str(100 * 1024 * 1024))),
            "secret_key": _env("SECRET_KEY", ""),
            "ingest_allow_private_urls": _env("INGEST_ALLOW_PRIVATE_URLS", "") in ("1", "true"),
            "ingest_max_bytes": int(_env("INGEST_MAX_BYTES", str(500 * 1024 * 1024))),
            "ingest_workers": int(_env("INGEST_WORKERS", "1")),
            "datastore_postings_quiet_seconds": float(
                _env("DATASTORE_POSTINGS_QUIET_SECONDS", "30")
            ),
            "sql_time_limit": float(_env("SQL_TIME_LIMIT", "10")),
            "sql_row_limit": int(_env("SQL_ROW_LIMIT", "32000")),
            "batch_max_files": int(_env("BATCH_MAX_FILES", "200")),
            "batch_max_bytes": int(_env("BATCH_MAX_BYTES", str(1024 * 1024 * 1024))),
            "batch_zip_max_ratio": int(_env("BATCH_ZIP_MAX_RATIO", "100")),
            "map_tiles": _env(
                "MAP_TILES", "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
            ),
            "smtp_host": _env("SMTP_HOST", ""),
            "smtp_port": int(_env("SMTP_PORT", "25")),
            "smtp_user": _env("SMTP_USER", ""),
            "smtp_password": _env("SMTP_PASSWORD", ""),
            "smtp_security": _env("SMTP_SECURITY", "").lower(),
            "mail_from": _env("MAIL_FROM", "noreply@localhost"),
            "reset_token_hours": int(_env("RESET_TOKEN_HOURS", "2")),
            "invite_token_days": int(_env("INVITE_TOKEN_DAYS", "7")),
            "api_rate_limit": int(_env("API_RATE_LIMIT", "600")),
            "sql_rate_limit": int(_env("SQL_RATE_LIMIT", "60")),
            "login_max_failures": int(_env("LOGIN_MAX_FAILURES", "5")),
            "login_address_max_failures": int(_env("LOGIN_ADDRESS_MAX_FAILURES", "50")),
            "login_window_seconds": int(_env("LOGIN_WINDOW_SECONDS", "900")),
            "login_block_seconds": int(_env("LOGIN_BLOCK_SECONDS", "900")),
            "reset_max_requests": int(_env("RESET_MAX_REQUESTS", "3")),
            "reset_address_max_requests": int(_env("RESET_ADDRESS_MAX_REQUESTS", "20")),
            "community_max_posts": int(_env("COMMUNITY_MAX_POSTS", "10")),
            "community_max_supports": int(_env("COMMUNITY_MAX_SUPPORTS", "60")),
            "showcase_max_image_bytes": int(_env("SHOWCASE_MAX_IMAGE_BYTES", str(5 * 1024 * 1024))),
            "session_idle_seconds": int(_env("SESSION_IDLE_SECONDS", "1800")),
            "session_lifetime_seconds": int(_env("SESSION_LIFETIME_SECONDS", str(8 * 3600))),
            "password_hash_cost": _env("PASSWORD_HASH_COST", "standard").strip().lower(),
            "trusted_proxies": tuple(
                p.strip() for p in _env("TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            "log_format": _env("LOG_FORMAT", "text").lower(),
            "harvest_private_networks": tuple(
                p.strip() for p in _env("HARVEST_PRIVATE_NETWORKS", "").split(",") if p.strip()
            ),
            "harvest_timeout": float(_env("HARVEST_TIMEOUT", "30")),
            "harvest_max_response_bytes": int(
                _env("HARVEST_MAX_RESPONSE_BYTES", str(50 * 1024 * 1024))
            ),
            "harvest_max_record_bytes": int(_env("HARVEST_MAX_RECORD_BYTES", str(5 * 1024 * 1024))),
            "harvest_max_resources": int(_env("HARVEST_MAX_RESOURCES", "1000")),
            "harvest_max_records": int(_env("HARVEST_MAX_RECORDS", "100000")),
            "harvest_job_max_seconds": int(_env("HARVEST_JOB_MAX_SECONDS", str(6 * 3600))),
            "harvest_workers": int(_env("HARVEST_WORKERS", "1")),
            "harvest_schedule_seconds": float(_env("HARVEST_SCHEDULE_SECONDS", "30")),
            "dcat_catalog_license": _env("DCAT_CATALOG_LICENSE", "pdl-1.0"),
            "metrics_snapshot_seconds": float(_env("METRICS_SNAPSHOT_SECONDS", "300")),
            "usage_analytics": _env("USAGE_ANALYTICS", "1").lower() not in ("0", "false", "no"),
            "disaster_auto_rps": float(_env("DISASTER_AUTO_RPS", "0")),
            "disaster_auto_window_seconds": int(_env("DISASTER_AUTO_WINDOW_SECONDS", "30")),
            "disaster_auto_off_ratio": float(_env("DISASTER_AUTO_OFF_RATIO", "0.5")),
            "disaster_auto_calm_seconds": int(_env("DISASTER_AUTO_CALM_SECONDS", "900")),
            "disaster_page_cache": _env("DISASTER_PAGE_CACHE", "1").lower()
            not in ("0", "false", "no"),
            "search_backend": _env("SEARCH_BACKEND", "embedded").strip().lower(),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def effective_database_url(self) -> str:
        # The embedded default: one SQLite file beside the uploaded files.
        return self.database_url or f"sqlite:///{(self.data_dir / 'tsunagu.db').resolve()}"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "files"
