"""What a OneRoster 1.2 CSV package may hold (CSV Binding 1.2.1), and how 1.1 files map to it.

Each file's columns in order, with a type code and whether a value is required:
  id       a sourcedId-style identifier (1-255 of [0-9A-Za-z./@_-])
  ref:F    an identifier of a record of file F (in the package or the database)
  refs:F   a comma-separated list of such identifiers
  str      free text          date / datetime / year / bool / int / dec   the binding's formats
  enum:E   one value of enumeration E (ENUMS)      grades   CEDS grade codes, comma-separated
  list     comma-separated text                    userids  {type:id},...    ssv  {lhs:rhs},...
"""

from __future__ import annotations

from dataclasses import dataclass

COMMON = (("sourcedId", "id", True), ("status", "status", False), ("dateLastModified", "datetime", False))


@dataclass(frozen=True)
class FileSpec:
    name: str  # the file's name without .csv, as the manifest's file.<name>
    table: str  # oneroster.<table>
    columns: tuple[tuple[str, str, bool], ...]  # (header, type, required)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.columns)


def _spec(name: str, table: str, *cols: tuple[str, str, bool]) -> FileSpec:
    return FileSpec(name, table, COMMON + cols)


def c(name: str, kind: str = "str", req: bool = False) -> tuple[str, str, bool]:
    return (name, kind, req)


FILES_12: dict[str, FileSpec] = {s.name: s for s in (
    _spec("academicSessions", "academic_sessions", c("title", req=True), c("type", "enum:sessionType", True),
          c("startDate", "date", True), c("endDate", "date", True), c("parentSourcedId", "ref:academicSessions"),
          c("schoolYear", "year", True)),
    _spec("orgs", "orgs", c("name", req=True), c("type", "enum:orgType", True), c("identifier"),
          c("parentSourcedId", "ref:orgs")),
    _spec("courses", "courses", c("schoolYearSourcedId", "ref:academicSessions"), c("title", req=True),
          c("courseCode"), c("grades", "grades"), c("orgSourcedId", "ref:orgs", True), c("subjects", "list"),
          c("subjectCodes", "list")),
    _spec("classes", "classes", c("title", req=True), c("grades", "grades"), c("courseSourcedId", "ref:courses", True),
          c("classCode"), c("classType", "enum:classType", True), c("location"), c("schoolSourcedId", "ref:orgs", True),
          c("termSourcedIds", "refs:academicSessions", True), c("subjects", "list"), c("subjectCodes", "list"),
          c("periods", "list")),
    _spec("users", "users", c("enabledUser", "bool", True), c("username", req=True), c("userIds", "userids"),
          c("givenName", req=True), c("familyName", req=True), c("middleName"), c("identifier"), c("email"),
          c("sms"), c("phone"), c("agentSourcedIds", "refs:users"), c("grades", "grades"), c("password"),
          c("userMasterIdentifier"), c("preferredGivenName"), c("preferredMiddleName"), c("preferredFamilyName"),
          c("primaryOrgSourcedId", "ref:orgs"), c("pronouns")),
    _spec("roles", "roles", c("userSourcedId", "ref:users", True), c("roleType", "enum:roleType", True),
          c("role", "enum:role", True), c("beginDate", "date"), c("endDate", "date"),
          c("orgSourcedId", "ref:orgs", True), c("userProfileSourcedId", "ref:userProfiles")),
    _spec("enrollments", "enrollments", c("classSourcedId", "ref:classes", True), c("schoolSourcedId", "ref:orgs", True),
          c("userSourcedId", "ref:users", True), c("role", "enum:enrollmentRole", True), c("primary", "bool"),
          c("beginDate", "date"), c("endDate", "date")),
    _spec("demographics", "demographics", c("birthDate", "date"), c("sex", "enum:sex"),
          c("americanIndianOrAlaskaNative", "bool"), c("asian", "bool"), c("blackOrAfricanAmerican", "bool"),
          c("nativeHawaiianOrOtherPacificIslander", "bool"), c("white", "bool"),
          c("demographicRaceTwoOrMoreRaces", "bool"), c("hispanicOrLatinoEthnicity", "bool"),
          c("countryOfBirthCode"), c("stateOfBirthAbbreviation"), c("cityOfBirth"), c("publicSchoolResidenceStatus")),
    _spec("userProfiles", "user_profiles", c("userSourcedId", "ref:users", True), c("profileType", req=True),
          c("vendorId", req=True), c("applicationId"), c("description"), c("credentialType", req=True),
          c("username", req=True), c("password")),
    _spec("categories", "categories", c("title", req=True), c("weight", "int")),
    _spec("lineItems", "line_items", c("title", req=True), c("description"), c("assignDate", "date", True),
          c("dueDate", "date", True), c("classSourcedId", "ref:classes", True),
          c("categorySourcedId", "ref:categories", True), c("academicSessionSourcedId", "ref:academicSessions", True),
          c("resultValueMin", "dec"), c("resultValueMax", "dec"), c("schoolSourcedId", "ref:orgs", True)),
    _spec("results", "results", c("lineItemSourcedId", "ref:lineItems", True), c("studentSourcedId", "ref:users", True),
          c("scoreStatus", "enum:scoreStatus", True), c("score", "dec"), c("scoreDate", "date", True), c("comment"),
          c("textScore"), c("classSourcedId", "ref:classes"), c("inProgress", "bool"), c("incomplete", "bool"),
          c("late", "bool"), c("missing", "bool")),
    _spec("scoreScales", "score_scales", c("title", req=True), c("type", req=True), c("orgSourcedId", "ref:orgs", True),
          c("courseSourcedId", "ref:courses", True), c("classSourcedId", "ref:classes", True),
          c("scoreScaleValue", "ssv", True)),
    _spec("lineItemLearningObjectiveIds", "line_item_learning_objective_ids",
          c("lineItemSourcedId", "ref:lineItems", True), c("source", "enum:loSource", True),
          c("learningObjectiveId", req=True)),
    _spec("resultLearningObjectiveIds", "result_learning_objective_ids", c("resultSourcedId", "ref:results", True),
          c("source", "enum:loSource", True), c("learningObjectiveId", req=True), c("score", "dec"), c("textScore")),
    _spec("lineItemScoreScales", "line_item_score_scales", c("title"), c("lineItemSourcedId", "ref:lineItems", True),
          c("scoreScaleSourcedId", "ref:scoreScales", True)),
    _spec("resultScoreScales", "result_score_scales", c("title"), c("resultSourcedId", "ref:results", True),
          c("scoreScaleSourcedId", "ref:scoreScales", True)),
    _spec("resources", "resources", c("vendorResourceId", req=True), c("title"), c("roles", "list"),
          c("importance", "enum:importance"), c("vendorId"), c("applicationId")),
    _spec("classResources", "class_resources", c("title"), c("classSourcedId", "ref:classes", True),
          c("resourceSourcedId", "ref:resources", True)),
    _spec("courseResources", "course_resources", c("title"), c("courseSourcedId", "ref:courses", True),
          c("resourceSourcedId", "ref:resources", True)),
    _spec("userResources", "user_resources", c("userSourcedId", "ref:users", True), c("orgSourcedId", "ref:orgs"),
          c("classSourcedId", "ref:classes"), c("resourceSourcedId", "ref:resources", True)),
)}

# OneRoster 1.1: 13 files; users carry orgSourcedIds and role (1.2 moved them to roles.csv),
# lineItems name gradingPeriodSourcedId, results and categories are shorter.
FILES_11: dict[str, FileSpec] = {n: FILES_12[n] for n in (
    "academicSessions", "orgs", "courses", "classes", "demographics", "resources", "classResources",
    "courseResources")}
FILES_11.update({s.name: s for s in (
    _spec("users", "users", c("enabledUser", "bool", True), c("orgSourcedIds", "refs:orgs", True),
          c("role", "enum:role11", True), c("username", req=True), c("userIds", "userids"), c("givenName", req=True),
          c("familyName", req=True), c("middleName"), c("identifier"), c("email"), c("sms"), c("phone"),
          c("agentSourcedIds", "refs:users"), c("grades", "grades"), c("password")),
    _spec("enrollments", "enrollments", c("classSourcedId", "ref:classes", True), c("schoolSourcedId", "ref:orgs", True),
          c("userSourcedId", "ref:users", True), c("role", "enum:enrollmentRole11", True), c("primary", "bool"),
          c("beginDate", "date"), c("endDate", "date")),
    _spec("categories", "categories", c("title", req=True)),
    _spec("lineItems", "line_items", c("title", req=True), c("description"), c("assignDate", "date", True),
          c("dueDate", "date", True), c("classSourcedId", "ref:classes", True),
          c("categorySourcedId", "ref:categories", True), c("gradingPeriodSourcedId", "ref:academicSessions", True),
          c("resultValueMin", "dec"), c("resultValueMax", "dec")),
    _spec("results", "results", c("lineItemSourcedId", "ref:lineItems", True), c("studentSourcedId", "ref:users", True),
          c("scoreStatus", "enum:scoreStatus", True), c("score", "dec"), c("scoreDate", "date", True), c("comment")),
)})

# Load order: every file after the files it references (the tables' foreign keys).
LOAD_ORDER = ("orgs", "academicSessions", "categories", "courses", "classes", "users", "userProfiles", "roles",
              "demographics", "enrollments", "resources", "lineItems", "results", "scoreScales",
              "lineItemLearningObjectiveIds", "resultLearningObjectiveIds", "lineItemScoreScales",
              "resultScoreScales", "classResources", "courseResources", "userResources")
assert set(LOAD_ORDER) == set(FILES_12)

ENUMS: dict[str, tuple[tuple[str, ...], bool]] = {  # name -> (values, ext: allowed)
    "sessionType": (("gradingPeriod", "semester", "schoolYear", "term"), True),
    "orgType": (("department", "school", "district", "local", "state", "national"), True),
    "classType": (("homeroom", "scheduled"), True),
    "roleType": (("primary", "secondary"), False),
    "role": (("aide", "counselor", "districtAdministrator", "guardian", "parent", "principal", "proctor", "relative",
              "siteAdministrator", "student", "systemAdministrator", "teacher"), False),
    "role11": (("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"), False),
    "enrollmentRole": (("administrator", "proctor", "student", "teacher"), False),
    "enrollmentRole11": (("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"),
                         False),
    "sex": (("male", "female", "unspecified", "other"), False),
    "scoreStatus": (("exempt", "fully graded", "not submitted", "partially graded", "submitted"), False),
    "loSource": (("case", "unknown"), False),
    "importance": (("primary", "secondary"), False),
}

GRADES = frozenset(("IT", "PR", "PK", "TK", "KG", *(f"{g:02d}" for g in range(1, 14)), "PS", "UG", "Other"))
STATUSES = ("active", "tobedeleted")
MODES = ("absent", "bulk", "delta")


def files_for(version: str) -> dict[str, FileSpec]:
    return FILES_11 if version == "1.1" else FILES_12


def db_column(header: str) -> str:
    """camelCase header -> snake_case column; the one the tables name differently."""
    if header == "primary":
        return "primary_enrollment"
    out = []
    for ch in header:
        out.append("_" + ch.lower() if ch.isupper() else ch)
    return "".join(out)
