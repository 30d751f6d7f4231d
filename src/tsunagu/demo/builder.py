"""Small helpers that turn generator functions into DemoResource / DemoDataset values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from tsunagu.catalog.metadata.frequency import normalise as normalise_frequency
from tsunagu.demo.common import DEMO_NOTE
from tsunagu.demo.model import DemoDataset, DemoResource
from tsunagu.quality.standards import get_standard

EXTENSIONS = {"CSV": "csv", "XLSX": "xlsx", "JSON": "json", "GeoJSON": "geojson", "PDF": "pdf"}
FORMAT_LABELS = {"CSV": "CSV", "XLSX": "Excel", "JSON": "JSON", "GeoJSON": "GeoJSON", "PDF": "PDF"}
ENCODING_LABELS = {"utf-8-sig": "UTF-8（BOM付き）", "cp932": "Shift_JIS"}

ISSUED = "2025-04-01"
EMAIL_DOMAIN = "tsunagu.example"  # reserved TLD: demo addresses can never reach anyone


@dataclass(frozen=True)
class Spec:
    """A resource still to be bound to its arguments (e.g. the municipality slug)."""

    format: str
    function: Callable[..., bytes]
    encoding: str | None = None
    options: tuple[tuple[str, object], ...] = ()
    suffix: str = ""  # appended to the file stem when a dataset has two files of one format


def csv(function: Callable[..., bytes], encoding: str = "utf-8-sig", **options: object) -> Spec:
    return Spec("CSV", function, encoding, tuple(sorted(options.items())))


def xlsx(function: Callable[..., bytes], **options: object) -> Spec:
    return Spec("XLSX", function, None, tuple(sorted(options.items())))


def other(fmt: str, function: Callable[..., bytes], suffix: str = "") -> Spec:
    return Spec(fmt, function, None, (), suffix)


def bind(spec: Spec, *args: object) -> Callable[[], bytes]:
    kwargs = dict(spec.options)
    if spec.encoding:
        kwargs["encoding"] = spec.encoding
    return partial(spec.function, *args, **kwargs)


def make_resource(
    spec: Spec, *, stem: str, title: str, args: Sequence[object] = ()
) -> DemoResource:
    if spec.format == "CSV":
        detail = f"文字コード：{ENCODING_LABELS[spec.encoding or 'utf-8-sig']}"
    elif spec.format == "XLSX":
        detail = "Microsoft Excel形式"
    elif spec.format == "PDF":
        detail = "閲覧用の概要資料"
    else:
        detail = (
            "座標系：世界測地系（JGD2011）、経度・緯度の順" if spec.format == "GeoJSON" else "UTF-8"
        )
    return DemoResource(
        name=f"{title}（{FORMAT_LABELS[spec.format]}）",
        description=f"{title}。{detail}。",
        format=spec.format,
        filename=f"{stem}{spec.suffix}.{EXTENSIONS[spec.format]}",
        content=bind(spec, *args),
    )


def notes(lead: str, specs: Sequence[Spec], standard: str | None = None) -> str:
    """2-5 lines of Markdown: what it is, which standard, encoding caveats, demo disclaimer."""
    lines = [lead]
    if standard:
        lines.append(
            f"デジタル庁「自治体標準オープンデータセット」の**{standard}**に準拠しています。"
        )
    if any(s.encoding == "cp932" for s in specs):
        lines.append("- CSVファイルの文字コードはShift_JISです。")
    lines.append("")
    lines.append(DEMO_NOTE)
    return "\n".join(lines)


def extras(specs: Sequence[Spec], standard: str | None, **more: str) -> dict[str, str]:
    result = {"issued": ISSUED, "language": "ja"}
    if standard:
        result["conforms_to"] = f"自治体標準オープンデータセット {standard}"
    encodings = sorted({ENCODING_LABELS[s.encoding] for s in specs if s.encoding})
    if encodings:
        result["character_encoding"] = "、".join(encodings)
    result.update(more)
    return result


def dataset(
    *,
    name: str,
    title: str,
    lead: str,
    organization: str,
    stem: str,
    specs: Sequence[Spec],
    args: Sequence[object] = (),
    groups: tuple[str, ...],
    tags: tuple[str, ...],
    frequency: str,
    spatial: str,
    author: str,
    maintainer: str,
    standard: str | None = None,
    license_id: str = "cc-by-4.0",
    temporal: tuple[str | None, str | None] = (None, None),
    private: bool = False,
) -> DemoDataset:
    return DemoDataset(
        name=name,
        title=title,
        notes=notes(lead, specs, standard),
        organization=organization,
        groups=groups,
        tags=tags,
        license_id=license_id,
        # Written as people say it (年1回, 随時 …) and stored as the controlled code.
        frequency=normalise_frequency(frequency),
        spatial=spatial,
        temporal_start=temporal[0],
        temporal_end=temporal[1],
        author=author,
        maintainer_email=f"{maintainer}@{EMAIL_DOMAIN}",
        private=private,
        resources=tuple(make_resource(s, stem=stem, title=title, args=args) for s in specs),
        extras=extras(specs, standard),
        standard_id=get_standard(standard).id if standard else "",
    )
