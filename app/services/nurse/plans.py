"""A student's health record as the nurse opens it (every opening logged with its reason), emergency
action plans (also what teachers, cashiers and bus staff may read), self-carry authorizations and
the emergency card ("911 card")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from app.domain.health_reference import health_condition, health_related
from app.errors import UserError
from app.services.nurse.common import StudentBrief, required, student_brief
from app.services.record_views import log_view

PLAN_TYPES = {"allergy": "Allergy", "asthma": "Asthma", "diabetes": "Diabetes", "seizure": "Seizure", "other": "Other"}
DEVICES = {"inhaler": "Inhaler", "epinephrine": "Epinephrine auto-injector", "insulin": "Insulin", "other": "Other"}


@dataclass(frozen=True)
class Plan:
    plan_id: int
    student_usi: int
    plan_type: str
    condition: str
    signs: str
    actions: str
    medications: str | None
    physician: str | None
    physician_phone: str | None
    effective_on: date
    review_on: date | None

    @property
    def type_label(self) -> str:
        return PLAN_TYPES.get(self.plan_type, self.plan_type)


_PLAN = ("SELECT plan_id, student_usi, plan_type, condition, signs, actions, medications, physician, physician_phone, "
         "effective_on, review_on FROM health.emergency_action_plans")


def action_plans(conn: Connection, student_usi: int) -> list[Plan]:
    """The student's active plans. Readable by the staff with the student (row-level security decides who)."""
    return [Plan(*r) for r in conn.execute(text(_PLAN + " WHERE student_usi = :u AND is_active ORDER BY plan_type"),
                                           {"u": student_usi})]


@dataclass(frozen=True)
class PlanForm:
    student_usi: int
    plan_type: str
    condition: str
    signs: str
    actions: str
    medications: str = ""
    physician: str = ""
    physician_phone: str = ""
    effective_on: date | None = None
    review_on: date | None = None
    plan_id: int | None = None


def save_plan(conn: Connection, f: PlanForm, *, today: date) -> int:
    if f.plan_type not in PLAN_TYPES:
        raise UserError(f"\"{f.plan_type}\" is not a plan type; pick allergy, asthma, diabetes, seizure or other.")
    values = {"u": f.student_usi, "t": f.plan_type, "c": required(f.condition, "Condition"),
              "s": required(f.signs, "Signs of an emergency"), "a": required(f.actions, "What to do"),
              "m": f.medications.strip() or None, "p": f.physician.strip() or None,
              "pp": f.physician_phone.strip() or None, "e": f.effective_on or today, "r": f.review_on, "id": f.plan_id}
    if f.review_on is not None and f.review_on <= values["e"]:
        raise UserError("The review date is not after the plan's date; enter a later review date.")
    student_brief(conn, f.student_usi, today)
    if f.plan_id is not None:
        done = conn.execute(text(
            "UPDATE health.emergency_action_plans SET plan_type = :t, condition = :c, signs = :s, actions = :a, "
            "medications = :m, physician = :p, physician_phone = :pp, effective_on = :e, review_on = :r, "
            "updated_at = now() WHERE plan_id = :id AND student_usi = :u RETURNING plan_id"), values).scalar()
        if done is None:
            raise UserError("That plan is not one of this student's; reopen the student.")
        return done
    return conn.execute(text(
        "INSERT INTO health.emergency_action_plans (student_usi, plan_type, condition, signs, actions, medications, "
        "physician, physician_phone, effective_on, review_on) VALUES (:u, :t, :c, :s, :a, :m, :p, :pp, :e, :r) "
        "RETURNING plan_id"), values).scalar()


# -- self-carry -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SelfCarry:
    authorization_id: int
    student_usi: int
    medication_name: str
    device: str
    prescriber: str
    prescriber_signed_on: date
    parent_signed_on: date
    competency_shown_on: date | None
    expires_on: date
    revoked_on: date | None

    def in_force(self, day: date) -> bool:
        return (self.revoked_on is None or self.revoked_on > day) and self.expires_on >= day \
            and self.competency_shown_on is not None


@dataclass(frozen=True)
class SelfCarryForm:
    student_usi: int
    medication_name: str
    device: str
    prescriber: str
    prescriber_signed_on: date | None
    parent_signed_on: date | None
    expires_on: date | None
    competency_shown_on: date | None = None
    medication_id: int | None = None


def authorize_self_carry(conn: Connection, f: SelfCarryForm, *, today: date) -> int:
    if f.device not in DEVICES:
        raise UserError(f"\"{f.device}\" is not a self-carry device; pick inhaler, epinephrine, insulin or other.")
    if f.prescriber_signed_on is None or f.parent_signed_on is None:
        raise UserError("Self-carry needs both the prescriber's and the parent's signature; enter both dates.")
    if f.expires_on is None:
        raise UserError("Enter the date the authorization expires (usually the last day of the school year).")
    if f.expires_on < today:
        raise UserError(f"That authorization expired on {f.expires_on:%B %d, %Y}; ask the family for a new, signed "
                        "one before the student carries it.")
    if f.prescriber_signed_on > today or f.parent_signed_on > today:
        raise UserError("A signature date is in the future; enter the dates the forms were signed.")
    if f.competency_shown_on is not None and f.competency_shown_on > today:
        raise UserError("The competency date is in the future; enter the day the student showed you.")
    student_brief(conn, f.student_usi, today)
    return conn.execute(text(
        "INSERT INTO health.self_carry_authorizations (student_usi, medication_id, medication_name, device, prescriber, "
        "prescriber_signed_on, parent_signed_on, competency_shown_on, competency_checked_by, expires_on) VALUES "
        "(:u, :m, :n, :d, :p, :ps, :pa, :c, CASE WHEN CAST(:c AS date) IS NOT NULL THEN compliance.my_staff_usi() END, "
        ":e) RETURNING authorization_id"),
        {"u": f.student_usi, "m": f.medication_id, "n": required(f.medication_name, "Medication"), "d": f.device,
         "p": required(f.prescriber, "Prescriber"), "ps": f.prescriber_signed_on, "pa": f.parent_signed_on,
         "c": f.competency_shown_on, "e": f.expires_on}).scalar()


def record_competency(conn: Connection, authorization_id: int, *, today: date) -> None:
    a = _self_carry(conn, authorization_id)
    if a.expires_on < today:
        raise UserError(f"The self-carry authorization for {a.medication_name} expired on {a.expires_on:%B %d, %Y}; "
                        "a new signed authorization is needed first.")
    conn.execute(text("UPDATE health.self_carry_authorizations SET competency_shown_on = :d, "
                      "competency_checked_by = compliance.my_staff_usi() WHERE authorization_id = :a"),
                 {"d": today, "a": authorization_id})


def _self_carry(conn: Connection, authorization_id: int) -> SelfCarry:
    r = conn.execute(text(
        "SELECT authorization_id, student_usi, medication_name, device, prescriber, prescriber_signed_on, "
        "parent_signed_on, competency_shown_on, expires_on, revoked_on FROM health.self_carry_authorizations "
        "WHERE authorization_id = :a"), {"a": authorization_id}).first()
    if r is None:
        raise UserError("That self-carry authorization is not one of your students'; pick it from the list.")
    return SelfCarry(*r)


def self_carry(conn: Connection, student_usi: int) -> list[SelfCarry]:
    return [SelfCarry(*r) for r in conn.execute(text(
        "SELECT authorization_id, student_usi, medication_name, device, prescriber, prescriber_signed_on, "
        "parent_signed_on, competency_shown_on, expires_on, revoked_on FROM health.self_carry_authorizations "
        "WHERE student_usi = :u ORDER BY expires_on DESC"), {"u": student_usi})]


# -- the whole record, opened with a reason --------------------------------------------------------------
@dataclass(frozen=True)
class Allergy:
    allergen: str
    allergy_type: str | None
    severity: str | None
    reaction: str | None
    treatment: str | None


@dataclass(frozen=True)
class Contact:
    name: str
    relation: str | None
    phone: str | None
    primary: bool


@dataclass(frozen=True)
class HealthRecord:
    student: StudentBrief
    birth_date: date | None
    allergies: tuple[Allergy, ...]
    plans: tuple[Plan, ...]
    conditions: tuple[str, ...]  # health records of type condition/physical, newest first
    accommodations: tuple[str, ...]  # health-related IEP/504 accommodations (read-only here)
    self_carry: tuple[SelfCarry, ...]
    contacts: tuple[Contact, ...]
    health_plans: tuple[str, ...] = ()  # 504 plans / IEPs written for a health condition

    @property
    def alert_conditions(self) -> tuple[str, ...]:
        """What a paramedic must know, from every source on file: allergies, the action plans' conditions,
        health conditions behind a 504 plan or IEP (the 911 card's list), each once."""
        out, seen = [], set()
        items = [f"{a.allergen} allergy" + (f" ({a.severity.lower()})" if a.severity else "")
                 + (f": {a.reaction}" if a.reaction else "") for a in self.allergies]
        items += [f"{p.type_label}: {p.condition}" for p in self.plans] + list(self.health_plans)
        for item in items:
            key = item.split(":")[0].split("(")[0].strip().lower().removesuffix(" allergy")
            if key not in seen:
                seen.add(key)
                out.append(item)
        return tuple(out)


def open_health_record(conn: Connection, student_usi: int, reason: str, *, today: date) -> HealthRecord:
    """The nurse opens a student's health record: the view is logged with its reason first."""
    student = student_brief(conn, student_usi, today)
    log_view(conn, student_usi, "health", reason)
    return _record(conn, student, today)


def reread_health_record(conn: Connection, student_usi: int, *, today: date) -> HealthRecord:
    """The record the nurse has open, read again after she changed it (that opening was logged)."""
    return _record(conn, student_brief(conn, student_usi, today), today)


def _record(conn: Connection, student: StudentBrief, today: date) -> HealthRecord:
    u = {"u": student.student_usi}
    birth = conn.execute(text("SELECT birthdate FROM edfi.student WHERE studentusi = :u"), u).scalar()
    allergies = tuple(Allergy(*r) for r in conn.execute(text(
        "SELECT allergen_name, allergy_type, severity, reaction, treatment_plan FROM health.allergies "
        "WHERE student_usi = :u AND is_active ORDER BY severity = 'Severe' DESC, allergen_name"), u))
    conditions = tuple(f"{r[0]:%m/%d/%Y} {r[1]}: {r[2] or ''}".strip() for r in conn.execute(text(
        "SELECT record_date, record_type, notes FROM health.student_health_records WHERE student_usi = :u "
        "ORDER BY record_date DESC LIMIT 20"), u))
    accommodations, health_plans = _health_accommodations(conn, student.student_usi)
    return HealthRecord(student, birth, allergies, tuple(action_plans(conn, student.student_usi)), conditions,
                        accommodations, tuple(self_carry(conn, student.student_usi)),
                        tuple(contacts(conn, student.student_usi)), health_plans)


_ACCOMMODATIONS = """
SELECT a.plan_type, a.accommodation_type, a.accommodation_description, a.setting,
       CASE a.plan_type WHEN '504' THEN (SELECT p.disability_type FROM specialed.plan_504 p
                                          WHERE p.plan_504_id = a.plan_id AND p.exit_date IS NULL)
                        ELSE (SELECT i.primary_disability FROM specialed.iep i
                               WHERE i.iep_id = a.plan_id AND i.exit_date IS NULL) END
  FROM specialed.accommodations a WHERE a.student_usi = :u AND a.is_active ORDER BY 1, 2"""


def _health_accommodations(conn: Connection, student_usi: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Only the IEP/504 accommodations that concern health (resources/nurse/health_accommodations.json),
    and the health conditions the plans are written for; the rest of the plan is not the nurse's."""
    if not _may_read(conn, "specialed.accommodations"):
        return (), ()
    shown, conditions = [], []
    for plan, kind, description, setting, condition in conn.execute(text(_ACCOMMODATIONS), {"u": student_usi}):
        if health_related(kind, description, setting, condition):
            shown.append(f"{plan} {kind or ''}: {description}".replace(" :", ":"))
        if health_condition(condition) and f"{condition} ({plan} plan)" not in conditions:
            conditions.append(f"{condition} ({plan} plan)")
    return tuple(shown), tuple(conditions)


def contacts(conn: Connection, student_usi: int) -> list[Contact]:
    return [Contact(*r) for r in conn.execute(text(
        "SELECT c.firstname || ' ' || c.lastsurname, d.codevalue, (SELECT t.telephonenumber FROM edfi.contacttelephone t "
        "WHERE t.contactusi = c.contactusi ORDER BY t.orderofpriority NULLS LAST LIMIT 1), "
        "coalesce(a.primarycontactstatus, false) FROM edfi.studentcontactassociation a JOIN edfi.contact c "
        "ON c.contactusi = a.contactusi LEFT JOIN edfi.descriptor d ON d.descriptorid = a.relationdescriptorid "
        "WHERE a.studentusi = :u ORDER BY a.primarycontactstatus DESC NULLS LAST, a.contactpriority NULLS LAST LIMIT 4"),
        {"u": student_usi})]


def _may_read(conn: Connection, table: str) -> bool:
    return bool(conn.execute(text("SELECT has_table_privilege(:t, 'SELECT')"), {"t": table}).scalar())
