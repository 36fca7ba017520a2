"""The CDC's CDSi supporting data (resources/cdsi/*.xml) read into frozen dataclasses.

The XML is shipped as data, never turned into code: a new CDC release is a file swap. Read once per
process (`supporting_data()`), a few hundred milliseconds.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path

from app.domain.cdsi.dates import EARLIEST, LATEST, parse_yyyymmdd


def cvx_code(text: str | None) -> str:
    """CVX codes compare as numbers: '03' and '3' are the same vaccine."""
    text = (text or "").strip()
    return str(int(text)) if text.isdigit() else text


def _cvx_list(text: str | None) -> frozenset[str]:
    return frozenset(cvx_code(part) for part in (text or "").split(";") if part.strip())


def _t(node: ET.Element | None, tag: str) -> str:
    if node is None:
        return ""
    return (node.findtext(tag) or "").strip()


@dataclass(frozen=True)
class AgeRule:
    abs_min: str
    min: str
    earliest_rec: str
    latest_rec: str
    max: str
    effective: date
    cessation: date


@dataclass(frozen=True)
class IntervalRule:
    from_previous: bool
    from_target_dose: int | None
    from_most_recent: frozenset[str]
    from_observation: str
    abs_min: str
    min: str
    earliest_rec: str
    latest_rec: str
    priority_override: bool
    effective: date
    cessation: date


@dataclass(frozen=True)
class VaccineRule:
    """A preferable or allowable vaccine of a target dose (trade name/MVX/volume only when preferable)."""
    vaccine_type: str
    cvx: str
    begin_age: str
    end_age: str
    mvx: str = ""
    volume: str = ""
    forecast_vaccine_type: bool = False


@dataclass(frozen=True)
class SkipCondition:
    condition_type: str          # age / interval / vaccine count by age / vaccine count by date / completed series
    start_date: date
    end_date: date
    begin_age: str
    end_age: str
    interval: str
    dose_count: int
    dose_type: str               # total / valid
    dose_count_logic: str        # greater than / equal to / less than
    vaccine_types: frozenset[str]
    series_groups: tuple[str, ...]


@dataclass(frozen=True)
class SkipSet:
    description: str
    effective: date
    cessation: date
    condition_logic: str         # and / or / ''
    conditions: tuple[SkipCondition, ...]


@dataclass(frozen=True)
class ConditionalSkip:
    context: str                 # evaluation / forecast / both
    set_logic: str               # and / or / n/a
    sets: tuple[SkipSet, ...]


@dataclass(frozen=True)
class SeriesDose:
    number: int
    ages: tuple[AgeRule, ...]
    intervals: tuple[IntervalRule, ...]
    allowable_intervals: tuple[IntervalRule, ...]
    preferable: tuple[VaccineRule, ...]
    allowable: tuple[VaccineRule, ...]
    inadvertent: frozenset[str]
    skips: tuple[ConditionalSkip, ...]
    recurring: bool
    season_start: date | None
    season_end: date | None


@dataclass(frozen=True)
class Indication:
    code: str
    begin_age: str
    end_age: str


@dataclass(frozen=True)
class Series:
    name: str
    antigen: str
    vaccine_group: str
    series_type: str             # Standard / Risk
    equivalent_groups: tuple[str, ...]
    genders: frozenset[str]      # empty: any
    default: bool
    product_path: bool
    group: str
    priority: str
    preference: int
    min_age_to_start: str
    max_age_to_start: str
    indications: tuple[Indication, ...]
    doses: tuple[SeriesDose, ...]


@dataclass(frozen=True)
class Contraindication:
    code: str
    title: str
    cvx: frozenset[str]          # empty: the whole antigen
    begin_age: str
    end_age: str


@dataclass(frozen=True)
class Antigen:
    name: str
    series: tuple[Series, ...]
    immunity_codes: frozenset[str]
    immunity_birth_date: date | None
    contraindications: tuple[Contraindication, ...]


@dataclass(frozen=True)
class LiveVirusConflict:
    previous: frozenset[str]
    current: frozenset[str]
    begin: str
    min_end: str
    end: str


@dataclass(frozen=True)
class Association:
    antigen: str
    begin_age: str
    end_age: str


@dataclass(frozen=True)
class SupportingData:
    antigens: dict[str, Antigen]
    vaccine_groups: dict[str, tuple[str, ...]]           # group -> antigens
    administer_full_group: dict[str, bool]
    cvx_antigens: dict[str, tuple[Association, ...]]
    cvx_names: dict[str, str]
    live_virus: tuple[LiveVirusConflict, ...]
    observations: dict[str, str] = field(default_factory=dict)

    @cached_property
    def _conflicts_by_current(self) -> dict[str, tuple[LiveVirusConflict, ...]]:
        index: dict[str, list[LiveVirusConflict]] = {}
        for conflict in self.live_virus:
            for code in conflict.current:
                index.setdefault(code, []).append(conflict)
        return {code: tuple(found) for code, found in index.items()}

    def conflicts_for(self, current_cvx: str) -> tuple[LiveVirusConflict, ...]:
        """The live-virus conflicts a dose of this vaccine is subject to (an index: evaluated per dose)."""
        return self._conflicts_by_current.get(current_cvx, ())

    def group_of_antigen(self, antigen: str) -> str:
        for group, antigens in self.vaccine_groups.items():
            if antigen in antigens:
                return group
        return antigen


def _age(node: ET.Element) -> AgeRule:
    return AgeRule(_t(node, "absMinAge"), _t(node, "minAge"), _t(node, "earliestRecAge"),
                   _t(node, "latestRecAge"), _t(node, "maxAge"),
                   parse_yyyymmdd(_t(node, "effectiveDate"), EARLIEST),
                   parse_yyyymmdd(_t(node, "cessationDate"), LATEST))


def _interval(node: ET.Element) -> IntervalRule:
    target = _t(node, "fromTargetDose")
    obs = node.find("fromRelevantObs")
    return IntervalRule(
        from_previous=_t(node, "fromPrevious").upper() == "Y",
        from_target_dose=int(target) if target.isdigit() else None,
        from_most_recent=_cvx_list(_t(node, "fromMostRecent")),
        from_observation=_t(obs, "code"),
        abs_min=_t(node, "absMinInt"), min=_t(node, "minInt"),
        earliest_rec=_t(node, "earliestRecInt"), latest_rec=_t(node, "latestRecInt"),
        priority_override=_t(node, "intervalPriority").lower() == "override",
        effective=parse_yyyymmdd(_t(node, "effectiveDate"), EARLIEST),
        cessation=parse_yyyymmdd(_t(node, "cessationDate"), LATEST))


def _is_empty_interval(rule: IntervalRule) -> bool:
    return not (rule.from_previous or rule.from_target_dose or rule.from_most_recent or rule.from_observation)


def _vaccine(node: ET.Element, preferable: bool) -> VaccineRule:
    return VaccineRule(_t(node, "vaccineType"), cvx_code(_t(node, "cvx")), _t(node, "beginAge"),
                       _t(node, "endAge"), mvx=_t(node, "mvx") if preferable else "",
                       volume=_t(node, "volume") if preferable else "",
                       forecast_vaccine_type=_t(node, "forecastVaccineType").upper() == "Y")


def _skip(node: ET.Element) -> ConditionalSkip:
    sets = []
    for s in node.findall("set"):
        conditions = []
        for c in s.findall("condition"):
            count = _t(c, "doseCount")
            conditions.append(SkipCondition(
                condition_type=_t(c, "conditionType").lower(),
                start_date=parse_yyyymmdd(_t(c, "startDate"), EARLIEST),
                end_date=parse_yyyymmdd(_t(c, "endDate"), LATEST),
                begin_age=_t(c, "beginAge"), end_age=_t(c, "endAge"), interval=_t(c, "interval"),
                dose_count=int(count) if count.isdigit() else 0,
                dose_type=_t(c, "doseType").lower(), dose_count_logic=_t(c, "doseCountLogic").lower(),
                vaccine_types=_cvx_list(_t(c, "vaccineTypes")),
                series_groups=tuple(p.strip() for p in _t(c, "seriesGroups").split(";") if p.strip())))
        sets.append(SkipSet(_t(s, "setDescription"), parse_yyyymmdd(_t(s, "effectiveDate"), EARLIEST),
                            parse_yyyymmdd(_t(s, "cessationDate"), LATEST), _t(s, "conditionLogic").lower(),
                            tuple(conditions)))
    return ConditionalSkip(_t(node, "context").lower(), _t(node, "setLogic").lower(), tuple(sets))


def _dose(node: ET.Element) -> SeriesDose:
    number = int("".join(ch for ch in _t(node, "doseNumber") if ch.isdigit()) or 0)
    intervals = tuple(r for r in (_interval(n) for n in node.findall("interval")) if not _is_empty_interval(r))
    allowable = tuple(r for r in (_interval(n) for n in node.findall("allowableInterval"))
                      if not _is_empty_interval(r))
    season = node.find("seasonalRecommendation")
    s_start, s_end = _t(season, "startDate"), _t(season, "endDate")
    return SeriesDose(
        number=number,
        ages=tuple(_age(n) for n in node.findall("age")),
        intervals=intervals, allowable_intervals=allowable,
        preferable=tuple(_vaccine(n, True) for n in node.findall("preferableVaccine") if _t(n, "cvx")),
        allowable=tuple(_vaccine(n, False) for n in node.findall("allowableVaccine") if _t(n, "cvx")),
        inadvertent=frozenset(cvx_code(_t(n, "cvx")) for n in node.findall("inadvertentVaccine") if _t(n, "cvx")),
        skips=tuple(_skip(n) for n in node.findall("conditionalSkip") if n.find("set") is not None),
        recurring=_t(node, "recurringDose").lower() == "yes",
        season_start=parse_yyyymmdd(s_start, EARLIEST) if s_start else None,
        season_end=parse_yyyymmdd(s_end, LATEST) if s_end else None)


def _series(node: ET.Element) -> Series:
    sel = node.find("selectSeries")
    indications = []
    for ind in node.findall("indication"):
        code = _t(ind.find("observationCode"), "code")
        if code:
            indications.append(Indication(code, _t(ind, "beginAge"), _t(ind, "endAge")))
    pref = _t(sel, "seriesPreference")
    return Series(
        name=_t(node, "seriesName"), antigen=_t(node, "targetDisease"), vaccine_group=_t(node, "vaccineGroup"),
        series_type=_t(node, "seriesType"),
        equivalent_groups=tuple(p.strip() for p in _t(node, "equivalentSeriesGroups").split(";") if p.strip()),
        genders=frozenset(g.text.strip() for g in node.findall("requiredGender") if g.text and g.text.strip()),
        default=_t(sel, "defaultSeries").lower() == "yes", product_path=_t(sel, "productPath").lower() == "yes",
        group=_t(sel, "seriesGroup"), priority=_t(sel, "seriesPriority") or "Z",
        preference=int(pref) if pref.isdigit() else 99,
        min_age_to_start=_t(sel, "minAgeToStart"), max_age_to_start=_t(sel, "maxAgeToStart"),
        indications=tuple(indications), doses=tuple(_dose(n) for n in node.findall("seriesDose")))


def _antigen(root: ET.Element) -> Antigen:
    series = tuple(_series(n) for n in root.findall("series"))
    immunity = root.find("immunity")
    codes = frozenset(_t(n, "guidelineCode") for n in immunity.findall("clinicalHistory")) if immunity is not None else frozenset()
    birth = None
    if immunity is not None and immunity.find("dateOfBirth") is not None:
        text = _t(immunity.find("dateOfBirth"), "immunityBirthDate")
        birth = parse_yyyymmdd(text, EARLIEST) if text else None
    contra = []
    cnode = root.find("contraindications")
    if cnode is not None:
        for c in cnode.findall("vaccineGroup/contraindication"):
            contra.append(Contraindication(_t(c, "observationCode"), _t(c, "observationTitle"), frozenset(),
                                           _t(c, "beginAge"), _t(c, "endAge")))
        for c in cnode.findall("vaccine/contraindication"):
            cvx = frozenset(cvx_code(_t(v, "cvx")) for v in c.findall("contraindicatedVaccine"))
            contra.append(Contraindication(_t(c, "observationCode"), _t(c, "observationTitle"), cvx, "", ""))
    return Antigen(series[0].antigen if series else "", series, codes, birth, tuple(contra))


def load(directory: Path | None = None) -> SupportingData:
    """Read every antigen file and the schedule file of `directory` (default: resources/cdsi)."""
    base = Path(directory) if directory else Path(str(files("resources.cdsi")))
    antigens: dict[str, Antigen] = {}
    for path in sorted(base.glob("antigen_*.xml")):
        antigen = _antigen(ET.parse(path).getroot())
        if antigen.name:
            antigens[antigen.name] = antigen
    root = ET.parse(base / "schedule.xml").getroot()
    conflicts = tuple(
        LiveVirusConflict(_cvx_list(_t(n.find("previous"), "cvx")), _cvx_list(_t(n.find("current"), "cvx")),
                          _t(n, "conflictBeginInterval"), _t(n, "minConflictEndInterval"), _t(n, "conflictEndInterval"))
        for n in root.findall("liveVirusConflicts/liveVirusConflict"))
    groups = {_t(n, "name"): tuple((a.text or "").strip() for a in n.findall("antigen"))
              for n in root.findall("vaccineGroupToAntigenMap/vaccineGroupMap")}
    full = {_t(n, "name"): _t(n, "administerFullVaccineGroup").lower() == "yes"
            for n in root.findall("vaccineGroups/vaccineGroup")}
    cvx_antigens: dict[str, tuple[Association, ...]] = {}
    cvx_names: dict[str, str] = {}
    for n in root.findall("cvxToAntigenMap/cvxMap"):
        code = cvx_code(_t(n, "cvx"))
        cvx_names[code] = _t(n, "shortDescription")
        cvx_antigens[code] = tuple(Association(_t(a, "antigen"), _t(a, "associationBeginAge"),
                                               _t(a, "associationEndAge")) for a in n.findall("association"))
    observations = {_t(n, "observationCode"): _t(n, "observationTitle") for n in root.findall("observations/observation")}
    return SupportingData(antigens, groups, full, cvx_antigens, cvx_names, conflicts, observations)


@lru_cache(maxsize=1)
def supporting_data() -> SupportingData:
    """The shipped supporting data, read once per process."""
    return load()
