"""Vietnam's administrative units, both schemes and the legacy → 2025 mapping, loaded from the
`vietnamadminunits` package (MIT). Its version is recorded in README; packages disagree on
about a hundred 2025 codes, so we use this one only."""
from __future__ import annotations

import json
from importlib import metadata, resources

from vietnamadminunits.database import get_data

SOURCE = f"vietnamadminunits {metadata.version('vietnamadminunits')}"
PROVINCE, DISTRICT, COMMUNE = 1, 2, 3


def load_admin_units(AdminUnit, AdminUnitMapping) -> dict[str, int]:  # noqa: N803 - model classes
    """Insert every unit of both schemes and the mapping. Idempotent: returns the counts.

    Takes the model classes so that a data migration can pass historical models.
    """
    if AdminUnit.objects.filter(scheme="2025", level=COMMUNE).exists():
        return {"skipped": 1}
    current = get_data(table="admin_units")
    legacy = get_data(table="admin_units_legacy")

    def unit(scheme, level, code, name, short, kind, parent, lat, lon):
        return AdminUnit(scheme=scheme, level=level, code=code, name=name, short_name=short,
                         unit_type=kind, parent=parent, latitude=lat, longitude=lon)

    provinces_2025 = _bulk(AdminUnit, {
        r["provinceCode"]: unit("2025", PROVINCE, r["provinceCode"], r["province"], r["provinceShort"], "",
                                None, r["provinceLat"], r["provinceLon"]) for r in current})
    communes_2025 = _bulk(AdminUnit, {
        r["wardCode"]: unit("2025", COMMUNE, r["wardCode"], r["ward"], r["wardShort"], r["wardType"],
                            provinces_2025[r["provinceCode"]], r["wardLat"], r["wardLon"]) for r in current})
    provinces_old = _bulk(AdminUnit, {
        r["provinceCode"]: unit("legacy", PROVINCE, r["provinceCode"], r["province"], r["provinceShort"], "",
                                None, r["provinceLat"], r["provinceLon"]) for r in legacy})
    districts_old = _bulk(AdminUnit, {
        r["districtCode"]: unit("legacy", DISTRICT, r["districtCode"], r["district"], r["districtShort"],
                                r["districtType"], provinces_old[r["provinceCode"]], r["districtLat"], r["districtLon"])
        for r in legacy})
    communes_old = _bulk(AdminUnit, {
        r["wardCode"]: unit("legacy", COMMUNE, r["wardCode"], r["ward"], r["wardShort"], r["wardType"],
                            districts_old[r["districtCode"]], r["wardLat"], r["wardLon"])
        for r in legacy if r["wardCode"]})

    new_by_key = {(r["provinceKey"], r["wardKey"]): communes_2025[r["wardCode"]] for r in reversed(current)}
    old_by_key = {f'{r["provinceKey"]}_{r["districtKey"]}_{r["wardKey"]}': communes_old[r["wardCode"]]
                  for r in legacy if r["wardCode"]}
    mappings = {}
    for new_key, old_key, is_default in _mapping_pairs():
        new, old = new_by_key.get(new_key), old_by_key.get(old_key)
        if new and old:
            mappings.setdefault((old.pk, new.pk), AdminUnitMapping(legacy=old, current=new, is_default=is_default))
    AdminUnitMapping.objects.bulk_create(mappings.values(), batch_size=2000)
    return {"provinces": len(provinces_2025), "communes": len(communes_2025), "legacy_provinces": len(provinces_old),
            "legacy_districts": len(districts_old), "legacy_communes": len(communes_old), "mappings": len(mappings)}


def _bulk(model, objects: dict) -> dict:
    """bulk_create and return the same dict with saved objects (primary keys set)."""
    created = model.objects.bulk_create(list(objects.values()), batch_size=2000)
    if created and created[0].pk is None:  # backends that do not return ids
        saved = {(o.scheme, o.level, o.code): o for o in model.objects.filter(scheme=created[0].scheme, level=created[0].level)}
        return {k: saved[(o.scheme, o.level, o.code)] for k, o in objects.items()}
    return objects


def _mapping_pairs():
    """Yield ((new province key, new ward key), legacy ward key, is_default) from the package's converter data."""
    data = json.loads(resources.files("vietnamadminunits").joinpath("data/converter_2025.json").read_text("utf-8"))
    for province_key, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            for old_key in old_keys:
                yield (province_key, ward_key), old_key, True
    for province_key, old_wards in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, new_wards in old_wards.items():
            for ward in new_wards:
                yield (province_key, ward["newWardKey"]), old_key, bool(ward["isDefaultNewWard"])
