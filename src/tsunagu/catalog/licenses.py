"""Licences offered to publishers, as CKAN's license_list reports them."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class License:
    id: str
    title: str
    url: str
    od_conformance: str = "approved"
    osd_conformance: str = "not reviewed"
    status: str = "active"
    maintainer: str = ""
    family: str = ""

    @property
    def is_open(self) -> bool:
        return self.od_conformance == "approved"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "is_okd_compliant": self.is_open, "is_osi_compliant": False}


LICENSES: tuple[License, ...] = (
    License(
        "cc-by-4.0",
        "クリエイティブ・コモンズ 表示 4.0 国際 (CC BY 4.0)",
        "https://creativecommons.org/licenses/by/4.0/deed.ja",
    ),
    License(
        "pdl-1.0",
        "公共データ利用規約 (第1.0版) (PDL1.0)",
        "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
    ),
    License(
        "cc0-1.0",
        "クリエイティブ・コモンズ CC0 1.0 (パブリックドメイン)",
        "https://creativecommons.org/publicdomain/zero/1.0/deed.ja",
    ),
    License(
        "cc-by-sa-4.0",
        "クリエイティブ・コモンズ 表示-継承 4.0 国際 (CC BY-SA 4.0)",
        "https://creativecommons.org/licenses/by-sa/4.0/deed.ja",
    ),
    License(
        "odc-by",
        "Open Data Commons Attribution License (ODC-BY)",
        "https://opendatacommons.org/licenses/by/",
    ),
    License("other-open", "その他のオープンなライセンス (Other open)", ""),
    License(
        "other-closed",
        "その他の非オープンなライセンス (Other, not open)",
        "",
        od_conformance="not reviewed",
    ),
    License(
        "notspecified",
        "ライセンス未指定 (License not specified)",
        "",
        od_conformance="not reviewed",
    ),
)

# Identifiers other CKAN catalogs use for the same licences, accepted on input.
ALIASES = {
    "cc-by": "cc-by-4.0",
    "CC-BY-4.0": "cc-by-4.0",
    "cc-zero": "cc0-1.0",
    "CC0-1.0": "cc0-1.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "PDL-1.0": "pdl-1.0",
}

_BY_ID = {lic.id: lic for lic in LICENSES}


def get_license(license_id: str) -> License | None:
    return _BY_ID.get(ALIASES.get(license_id, license_id))
