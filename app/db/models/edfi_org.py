"""Ed-Fi 5.2 education organizations, school years, calendars, sessions, grading periods and bell schedules.

Column types, keys and references follow the Ed-Fi 5.2 ODS (edfi52_core_columns.csv); comments are
the design document's. See docs/schema-deviations.md for where the two differ.
"""

from app.db.dsl import CK, FK, IX, UQ, C, table  # noqa: F401

school = table(
    "edfi", "school", None,
    C("schoolid", "BIGINT"),
    C("administrativefundingcontroldescriptorid", "INT"),
    C("charterapprovalagencytypedescriptorid", "INT"),
    C("charterapprovalschoolyear", "SMALLINT"),
    C("charterstatusdescriptorid", "INT"),
    C("internetaccessdescriptorid", "INT"),
    C("localeducationagencyid", "BIGINT"),
    C("magnetspecialprogramemphasisschooldescriptorid", "INT"),
    C("schooltypedescriptorid", "INT"),
    C("titleipartaschooldesignationdescriptorid", "INT"),
    FK(("schoolid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("administrativefundingcontroldescriptorid",), "edfi.administrativefundingcontroldescriptor", ("administrativefundingcontroldescriptorid",)),
    FK(("charterapprovalagencytypedescriptorid",), "edfi.charterapprovalagencytypedescriptor", ("charterapprovalagencytypedescriptorid",)),
    FK(("charterapprovalschoolyear",), "edfi.schoolyeartype", ("schoolyear",)),
    FK(("charterstatusdescriptorid",), "edfi.charterstatusdescriptor", ("charterstatusdescriptorid",)),
    FK(("internetaccessdescriptorid",), "edfi.internetaccessdescriptor", ("internetaccessdescriptorid",)),
    FK(("localeducationagencyid",), "edfi.localeducationagency", ("localeducationagencyid",)),
    FK(("magnetspecialprogramemphasisschooldescriptorid",), "edfi.magnetspecialprogramemphasisschooldescriptor", ("magnetspecialprogramemphasisschooldescriptorid",)),
    FK(("schooltypedescriptorid",), "edfi.schooltypedescriptor", ("schooltypedescriptorid",)),
    FK(("titleipartaschooldesignationdescriptorid",), "edfi.titleipartaschooldesignationdescriptor", ("titleipartaschooldesignationdescriptorid",)),
    pk=("schoolid",),
    kind="plain",
)

educationorganization = table(
    "edfi", "educationorganization", None,
    C("educationorganizationid", "BIGINT"),
    C("nameofinstitution", "VARCHAR(75)", nn=True),
    C("operationalstatusdescriptorid", "INT"),
    C("shortnameofinstitution", "VARCHAR(75)"),
    C("website", "VARCHAR(255)"),
    FK(("operationalstatusdescriptorid",), "edfi.operationalstatusdescriptor", ("operationalstatusdescriptorid",)),
    pk=("educationorganizationid",),
    kind="root",
)

localeducationagency = table(
    "edfi", "localeducationagency", None,
    C("localeducationagencyid", "BIGINT"),
    C("charterstatusdescriptorid", "INT"),
    C("educationservicecenterid", "BIGINT"),
    C("localeducationagencycategorydescriptorid", "INT", nn=True),
    C("parentlocaleducationagencyid", "BIGINT"),
    C("stateeducationagencyid", "BIGINT"),
    FK(("localeducationagencyid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("charterstatusdescriptorid",), "edfi.charterstatusdescriptor", ("charterstatusdescriptorid",)),
    FK(("educationservicecenterid",), "edfi.educationservicecenter", ("educationservicecenterid",)),
    FK(("localeducationagencycategorydescriptorid",), "edfi.localeducationagencycategorydescriptor", ("localeducationagencycategorydescriptorid",)),
    FK(("parentlocaleducationagencyid",), "edfi.localeducationagency", ("localeducationagencyid",)),
    FK(("stateeducationagencyid",), "edfi.stateeducationagency", ("stateeducationagencyid",)),
    pk=("localeducationagencyid",),
    kind="plain",
)

session = table(
    "edfi", "session", "Session: Academic terms",
    C("schoolid", "BIGINT", comment="School"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("sessionname", "VARCHAR(60)", comment="\"Fall 2025\", \"Spring 2026\""),
    C("begindate", "DATE", nn=True, comment="Term start"),
    C("enddate", "DATE", nn=True, comment="Term end"),
    C("termdescriptorid", "INT", nn=True, comment="Semester, trimester, quarter"),
    C("totalinstructionaldays", "INT", nn=True, comment="Teaching days in term"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("schoolyear",), "edfi.schoolyeartype", ("schoolyear",)),
    FK(("termdescriptorid",), "edfi.termdescriptor", ("termdescriptorid",)),
    pk=("schoolid", "schoolyear", "sessionname",),
    kind="root",
)

calendar = table(
    "edfi", "calendar", "Calendar: School year calendars",
    C("calendarcode", "VARCHAR(60)", comment="Unique calendar identifier"),
    C("schoolid", "BIGINT", comment="School using this calendar"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("calendartypedescriptorid", "INT", nn=True, comment="Student, staff, supplemental"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("schoolyear",), "edfi.schoolyeartype", ("schoolyear",)),
    FK(("calendartypedescriptorid",), "edfi.calendartypedescriptor", ("calendartypedescriptorid",)),
    pk=("calendarcode", "schoolid", "schoolyear",),
    kind="root",
)

calendardate = table(
    "edfi", "calendardate", "Calendar Date: Individual school days",
    C("calendarcode", "VARCHAR(60)", comment="School calendar identifier"),
    C("date", "DATE", comment="The actual date"),
    C("schoolid", "BIGINT", comment="Which school"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    FK(("calendarcode", "schoolid", "schoolyear",), "edfi.calendar", ("calendarcode", "schoolid", "schoolyear",)),
    pk=("calendarcode", "date", "schoolid", "schoolyear",),
    kind="root",
)

calendardatecalendarevent = table(
    "edfi", "calendardatecalendarevent", "Calendar Date Calendar Event: What happens on each date",
    C("calendarcode", "VARCHAR(60)", comment="Calendar reference"),
    C("date", "DATE", comment="Date reference"),
    C("schoolid", "BIGINT", comment="School reference"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("calendareventdescriptorid", "INT", comment="Holiday, teacher workday, etc."),
    FK(("calendarcode", "date", "schoolid", "schoolyear",), "edfi.calendardate", ("calendarcode", "date", "schoolid", "schoolyear",)),
    FK(("calendareventdescriptorid",), "edfi.calendareventdescriptor", ("calendareventdescriptorid",)),
    pk=("calendarcode", "date", "schoolid", "schoolyear", "calendareventdescriptorid",),
    kind="child",
)

gradingperiod = table(
    "edfi", "gradingperiod", "Grading Period: Marking periods",
    C("gradingperioddescriptorid", "INT", comment="Quarter, semester, trimester"),
    C("gradingperiodname", "VARCHAR(60)"),
    C("schoolid", "BIGINT", comment="School"),
    C("schoolyear", "SMALLINT", comment="Academic year"),
    C("begindate", "DATE", nn=True, comment="Period start"),
    C("enddate", "DATE", nn=True, comment="Period end"),
    C("periodsequence", "INT", comment="Order (1st, 2nd, etc.)"),
    C("totalinstructionaldays", "INT", nn=True, comment="Teaching days in period"),
    FK(("gradingperioddescriptorid",), "edfi.gradingperioddescriptor", ("gradingperioddescriptorid",)),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("schoolyear",), "edfi.schoolyeartype", ("schoolyear",)),
    pk=("gradingperioddescriptorid", "gradingperiodname", "schoolid", "schoolyear",),
    kind="root",
)

sessiongradingperiod = table(
    "edfi", "sessiongradingperiod", None,
    C("schoolid", "BIGINT"),
    C("schoolyear", "SMALLINT"),
    C("sessionname", "VARCHAR(60)"),
    C("gradingperioddescriptorid", "INT"),
    C("gradingperiodname", "VARCHAR(60)"),
    FK(("schoolid", "schoolyear", "gradingperioddescriptorid", "gradingperiodname",), "edfi.gradingperiod", ("schoolid", "schoolyear", "gradingperioddescriptorid", "gradingperiodname",)),
    FK(("schoolid", "schoolyear", "sessionname",), "edfi.session", ("schoolid", "schoolyear", "sessionname",)),
    pk=("schoolid", "schoolyear", "sessionname", "gradingperioddescriptorid", "gradingperiodname",),
    kind="child",
)

schoolgradelevel = table(
    "edfi", "schoolgradelevel", None,
    C("schoolid", "BIGINT"),
    C("gradeleveldescriptorid", "INT"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("gradeleveldescriptorid",), "edfi.gradeleveldescriptor", ("gradeleveldescriptorid",)),
    pk=("schoolid", "gradeleveldescriptorid",),
    kind="child",
)

schoolcategory = table(
    "edfi", "schoolcategory", None,
    C("schoolid", "BIGINT"),
    C("schoolcategorydescriptorid", "INT"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("schoolcategorydescriptorid",), "edfi.schoolcategorydescriptor", ("schoolcategorydescriptorid",)),
    pk=("schoolid", "schoolcategorydescriptorid",),
    kind="child",
)

educationorganizationcategory = table(
    "edfi", "educationorganizationcategory", None,
    C("educationorganizationid", "BIGINT"),
    C("educationorganizationcategorydescriptorid", "INT"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("educationorganizationcategorydescriptorid",), "edfi.educationorganizationcategorydescriptor", ("educationorganizationcategorydescriptorid",)),
    pk=("educationorganizationid", "educationorganizationcategorydescriptorid",),
    kind="child",
)

educationorganizationaddress = table(
    "edfi", "educationorganizationaddress", None,
    C("educationorganizationid", "BIGINT"),
    C("addresstypedescriptorid", "INT"),
    C("city", "VARCHAR(30)"),
    C("postalcode", "VARCHAR(17)"),
    C("stateabbreviationdescriptorid", "INT"),
    C("streetnumbername", "VARCHAR(150)"),
    C("apartmentroomsuitenumber", "VARCHAR(50)"),
    C("buildingsitenumber", "VARCHAR(20)"),
    C("congressionaldistrict", "VARCHAR(30)"),
    C("countyfipscode", "VARCHAR(5)"),
    C("donotpublishindicator", "BOOLEAN"),
    C("latitude", "VARCHAR(20)"),
    C("localedescriptorid", "INT"),
    C("longitude", "VARCHAR(20)"),
    C("nameofcounty", "VARCHAR(30)"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("addresstypedescriptorid",), "edfi.addresstypedescriptor", ("addresstypedescriptorid",)),
    FK(("stateabbreviationdescriptorid",), "edfi.stateabbreviationdescriptor", ("stateabbreviationdescriptorid",)),
    FK(("localedescriptorid",), "edfi.localedescriptor", ("localedescriptorid",)),
    pk=("educationorganizationid", "addresstypedescriptorid", "city", "postalcode", "stateabbreviationdescriptorid", "streetnumbername",),
    kind="child",
)

classperiod = table(
    "edfi", "classperiod", "Class Period: Individual periods in schedule",
    C("classperiodname", "VARCHAR(60)", comment="\"1st Period\", \"Block A\""),
    C("schoolid", "BIGINT", comment="School"),
    C("officialattendanceperiod", "BOOLEAN", comment="Used for daily attendance?"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    pk=("classperiodname", "schoolid",),
    kind="root",
)

schoolyeartype = table(
    "edfi", "schoolyeartype", None,
    C("schoolyear", "SMALLINT"),
    C("schoolyeardescription", "VARCHAR(50)", nn=True),
    C("currentschoolyear", "BOOLEAN", nn=True),
    pk=("schoolyear",),
    kind="root",
)

person = table(
    "edfi", "person", None,
    C("personid", "VARCHAR(32)"),
    C("sourcesystemdescriptorid", "INT"),
    FK(("sourcesystemdescriptorid",), "edfi.sourcesystemdescriptor", ("sourcesystemdescriptorid",)),
    pk=("personid", "sourcesystemdescriptorid",),
    kind="root",
)

bellschedule = table(
    "edfi", "bellschedule", "Bell Schedule: Daily class schedules",
    C("bellschedulename", "VARCHAR(60)", nn=True, comment="\"Regular\", \"Early Release\""),
    C("schoolid", "BIGINT", nn=True, comment="School"),
    C("alternatedayname", "VARCHAR(20)", comment="\"A Day\", \"B Day\""),
    C("starttime", "TIME", comment="School start time"),
    C("endtime", "TIME", comment="School end time"),
    C("totalinstructionaltime", "INTEGER", comment="Total minutes of instruction"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    pk=("bellschedulename", "schoolid",),
    kind="root",
)


location = table(
    "edfi", "location", "A classroom or other room where sections meet",
    C("classroomidentificationcode", "VARCHAR(60)", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("maximumnumberofseats", "INT"),
    C("optimalnumberofseats", "INT"),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    pk=("classroomidentificationcode", "schoolid"),
    kind="root",
)

bellscheduleclassperiod = table(
    "edfi", "bellscheduleclassperiod", "The class periods that make up a bell schedule",
    C("bellschedulename", "VARCHAR(60)", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("classperiodname", "VARCHAR(60)", nn=True),
    FK(("bellschedulename", "schoolid"), "edfi.bellschedule", ("bellschedulename", "schoolid"), ondelete="CASCADE"),
    FK(("classperiodname", "schoolid"), "edfi.classperiod", ("classperiodname", "schoolid")),
    pk=("bellschedulename", "classperiodname", "schoolid"),
    kind="child",
)

classperiodmeetingtime = table(
    "edfi", "classperiodmeetingtime", "When a class period starts and ends",
    C("classperiodname", "VARCHAR(60)", nn=True),
    C("schoolid", "BIGINT", nn=True),
    C("starttime", "TIME", nn=True),
    C("endtime", "TIME", nn=True),
    FK(("classperiodname", "schoolid"), "edfi.classperiod", ("classperiodname", "schoolid"), ondelete="CASCADE"),
    pk=("classperiodname", "endtime", "schoolid", "starttime"),
    kind="child",
)

stateeducationagency = table(
    "edfi", "stateeducationagency", "A state education agency (subtype of EducationOrganization)",
    C("stateeducationagencyid", "BIGINT", nn=True),
    FK(("stateeducationagencyid",), "edfi.educationorganization", ("educationorganizationid",), ondelete="CASCADE"),
    pk=("stateeducationagencyid",),
)

educationservicecenter = table(
    "edfi", "educationservicecenter", "A regional education service center (subtype of EducationOrganization)",
    C("educationservicecenterid", "BIGINT", nn=True),
    C("stateeducationagencyid", "BIGINT"),
    FK(("educationservicecenterid",), "edfi.educationorganization", ("educationorganizationid",), ondelete="CASCADE"),
    FK(("stateeducationagencyid",), "edfi.stateeducationagency", ("stateeducationagencyid",)),
    pk=("educationservicecenterid",),
)

graduationplan = table(
    "edfi", "graduationplan", "A graduation plan of an education organization (credits required)",
    C("educationorganizationid", "BIGINT", nn=True),
    C("graduationplantypedescriptorid", "INT", nn=True),
    C("graduationschoolyear", "SMALLINT", nn=True),
    C("individualplan", "BOOLEAN"),
    C("totalrequiredcreditconversion", "DECIMAL(9, 2)"),
    C("totalrequiredcredits", "DECIMAL(9, 3)", nn=True),
    C("totalrequiredcredittypedescriptorid", "INT"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("graduationplantypedescriptorid",), "edfi.graduationplantypedescriptor", ("graduationplantypedescriptorid",)),
    FK(("graduationschoolyear",), "edfi.schoolyeartype", ("schoolyear",)),
    FK(("totalrequiredcredittypedescriptorid",), "edfi.credittypedescriptor", ("credittypedescriptorid",)),
    pk=("educationorganizationid", "graduationplantypedescriptorid", "graduationschoolyear"),
    kind="root",
)
