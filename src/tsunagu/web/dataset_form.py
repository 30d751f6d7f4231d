"""The staff dataset form (new and edit): reading it into action input, the choices it offers
(更新頻度, 対象地域, 標準データセット), and what it shows again after a failed submit.

Everything typed is kept as typed on an error: dates stay in the 和暦 someone wrote, areas stay
as the text entered, so nothing has to be typed twice.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from tsunagu.catalog.metadata import spatial
from tsunagu.quality.standards import list_standards

# Form fields whose errors show next to an input (by the input's id), in the page's order; other
# errors (extras, resources, pii …) show only in the summary at the top.
FIELD_IDS = {
    "title": "f-title",
    "name": "f-name",
    "owner_org": "f-org",
    "notes": "f-notes",
    "license_id": "f-license",
    "frequency": "f-frequency",
    "spatial_codes": "f-area-1",
    "spatial": "f-spatial",
    "temporal_start": "f-temporal-start",
    "temporal_end": "f-temporal-end",
    "contact_name": "f-contact-name",
    "contact_email": "f-contact-email",
    "contact_phone": "f-contact-phone",
    "standard_id": "f-standard",
    "tags": "f-tags",
    "groups": "f-groups",
}


def _text(form: FormData, key: str) -> str:
    return str(form.get(key) or "").strip()


def package_data(form: FormData, *, editing: bool) -> dict[str, Any]:
    """The form as package_create/patch input. ``spatial_areas`` keeps the area entries as
    typed (for showing them again); ``spatial_codes`` holds what they resolve to, and an entry
    that names no place goes through as typed so the action reports it. A new dataset with no
    area gets its organisation's (the action's default); on an edit, no area means none."""
    areas = [str(v).strip() for v in form.getlist("spatial_area") if str(v).strip()]
    data: dict[str, Any] = {
        "name": _text(form, "name"),
        "title": _text(form, "title"),
        "notes": str(form.get("notes") or ""),
        "owner_org": _text(form, "owner_org"),
        "license_id": _text(form, "license_id"),
        "frequency": _text(form, "frequency"),
        "spatial": _text(form, "spatial"),
        "spatial_areas": areas,
        "temporal_start": _text(form, "temporal_start"),
        "temporal_end": _text(form, "temporal_end"),
        "contact_name": _text(form, "contact_name"),
        "contact_email": _text(form, "contact_email"),
        "contact_phone": _text(form, "contact_phone"),
        "standard_id": _text(form, "standard_id"),
        "tag_string": _text(form, "tag_string"),
        "groups": [{"name": g} for g in form.getlist("groups")],
        "private": form.get("private") == "on",
    }
    if areas or editing:
        data["spatial_codes"] = [spatial.code_for_text(a) or a for a in areas]
    return data


def action_input(data: dict[str, Any]) -> dict[str, Any]:
    """What the action gets: the form's own bookkeeping left out, and an emptied name (an edit
    keeps the dataset's name; a new dataset gets a suggestion before this)."""
    return {k: v for k, v in data.items() if k != "spatial_areas" and not (k == "name" and not v)}


def area_entry(code: str) -> str:
    found = spatial.place(code)
    return f"{found.label} {code}" if found else code


def form_meta(orgs: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """Choices and prepared values for staff/_dataset_fields.html."""
    prefixes = {str(o["local_gov_code"])[:2] for o in orgs if o.get("local_gov_code")}
    areas = spatial.places_in(prefixes) if prefixes else []
    # Every prefecture too, for datasets about a wider area; codes of any place can be typed.
    listed = {p.code for p in areas}
    areas += [p for p in spatial.prefectures() if p.code not in listed]
    if "spatial_areas" in values:
        entries = list(values["spatial_areas"])
    else:
        entries = [area_entry(c) for c in values.get("spatial_codes") or []]
    return {
        "areas": [(area_entry(p.code), p.label) for p in areas],
        "area_entries": entries,
        "standards": [(s.id, f"{s.number} {s.title}") for s in list_standards()],
        "field_ids": FIELD_IDS,
    }
