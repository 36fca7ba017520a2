"""Ed-Fi 5.2 people: students, staff, contacts, their education-organization associations and cohorts.

Column types, keys and references follow the Ed-Fi 5.2 ODS (edfi52_core_columns.csv); comments are
the design document's. See docs/schema-deviations.md for where the two differ.
"""

from sqlalchemy import Index, func

from app.db.dsl import CK, FK, IX, UQ, C, table  # noqa: F401

student = table(
    "edfi", "student", None,
    C("studentusi", "SERIAL"),
    C("birthcity", "VARCHAR(30)"),
    C("birthcountrydescriptorid", "INT"),
    C("birthdate", "DATE", nn=True),
    C("birthinternationalprovince", "VARCHAR(150)"),
    C("birthsexdescriptorid", "INT"),
    C("birthstateabbreviationdescriptorid", "INT"),
    C("citizenshipstatusdescriptorid", "INT"),
    C("dateenteredus", "DATE"),
    C("firstname", "VARCHAR(75)", nn=True),
    C("generationcodesuffix", "VARCHAR(10)"),
    C("lastsurname", "VARCHAR(75)", nn=True),
    C("maidenname", "VARCHAR(75)"),
    C("middlename", "VARCHAR(75)"),
    C("multiplebirthstatus", "BOOLEAN"),
    C("personaltitleprefix", "VARCHAR(30)"),
    C("personid", "VARCHAR(32)"),
    C("preferredfirstname", "VARCHAR(75)"),
    C("preferredlastsurname", "VARCHAR(75)"),
    C("sourcesystemdescriptorid", "INT"),
    C("studentuniqueid", "VARCHAR(32)", nn=True),
    C("metadata", "JSONB", comment="Local extension: district-defined attributes (indexed by idx_student_metadata_gin)"),
    FK(("birthcountrydescriptorid",), "edfi.countrydescriptor", ("countrydescriptorid",)),
    FK(("birthsexdescriptorid",), "edfi.sexdescriptor", ("sexdescriptorid",)),
    FK(("birthstateabbreviationdescriptorid",), "edfi.stateabbreviationdescriptor", ("stateabbreviationdescriptorid",)),
    FK(("citizenshipstatusdescriptorid",), "edfi.citizenshipstatusdescriptor", ("citizenshipstatusdescriptorid",)),
    FK(("personid", "sourcesystemdescriptorid",), "edfi.person", ("personid", "sourcesystemdescriptorid",)),
    pk=("studentusi",),
    kind="root",
)

studentschoolassociation = table(
    "edfi", "studentschoolassociation", None,
    C("entrydate", "DATE"),
    C("schoolid", "BIGINT"),
    C("studentusi", "INT"),
    C("calendarcode", "VARCHAR(60)"),
    C("classofschoolyear", "SMALLINT"),
    C("educationorganizationid", "BIGINT"),
    C("employedwhileenrolled", "BOOLEAN"),
    C("enrollmenttypedescriptorid", "INT"),
    C("entrygradeleveldescriptorid", "INT", nn=True),
    C("entrygradelevelreasondescriptorid", "INT"),
    C("entrytypedescriptorid", "INT"),
    C("exitwithdrawdate", "DATE"),
    C("exitwithdrawtypedescriptorid", "INT"),
    C("fulltimeequivalency", "DECIMAL(5, 4)"),
    C("graduationplantypedescriptorid", "INT"),
    C("graduationschoolyear", "SMALLINT"),
    C("nextyeargradeleveldescriptorid", "INT"),
    C("nextyearschoolid", "BIGINT"),
    C("primaryschool", "BOOLEAN"),
    C("repeatgradeindicator", "BOOLEAN"),
    C("residencystatusdescriptorid", "INT"),
    C("schoolchoice", "BOOLEAN"),
    C("schoolchoicebasisdescriptorid", "INT"),
    C("schoolchoicetransfer", "BOOLEAN"),
    C("schoolyear", "SMALLINT"),
    C("termcompletionindicator", "BOOLEAN"),
    FK(("schoolid", "calendarcode", "schoolyear",), "edfi.calendar", ("schoolid", "calendarcode", "schoolyear",)),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("nextyearschoolid",), "edfi.school", ("schoolid",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("classofschoolyear",), "edfi.schoolyeartype", ("schoolyear",)),
    FK(("schoolyear",), "edfi.schoolyeartype", ("schoolyear",)),
    FK(("educationorganizationid", "graduationplantypedescriptorid", "graduationschoolyear",), "edfi.graduationplan", ("educationorganizationid", "graduationplantypedescriptorid", "graduationschoolyear",)),
    FK(("enrollmenttypedescriptorid",), "edfi.enrollmenttypedescriptor", ("enrollmenttypedescriptorid",)),
    FK(("entrygradeleveldescriptorid",), "edfi.gradeleveldescriptor", ("gradeleveldescriptorid",)),
    FK(("nextyeargradeleveldescriptorid",), "edfi.gradeleveldescriptor", ("gradeleveldescriptorid",)),
    FK(("entrygradelevelreasondescriptorid",), "edfi.entrygradelevelreasondescriptor", ("entrygradelevelreasondescriptorid",)),
    FK(("entrytypedescriptorid",), "edfi.entrytypedescriptor", ("entrytypedescriptorid",)),
    FK(("exitwithdrawtypedescriptorid",), "edfi.exitwithdrawtypedescriptor", ("exitwithdrawtypedescriptorid",)),
    FK(("residencystatusdescriptorid",), "edfi.residencystatusdescriptor", ("residencystatusdescriptorid",)),
    FK(("schoolchoicebasisdescriptorid",), "edfi.schoolchoicebasisdescriptor", ("schoolchoicebasisdescriptorid",)),
    pk=("entrydate", "schoolid", "studentusi",),
    kind="root",
)

contact = table(
    "edfi", "contact", None,
    C("contactusi", "SERIAL"),
    C("contactuniqueid", "VARCHAR(32)", nn=True),
    C("firstname", "VARCHAR(75)", nn=True),
    C("genderidentity", "VARCHAR(60)"),
    C("generationcodesuffix", "VARCHAR(10)"),
    C("highestcompletedlevelofeducationdescriptorid", "INT"),
    C("lastsurname", "VARCHAR(75)", nn=True),
    C("loginid", "VARCHAR(60)"),
    C("maidenname", "VARCHAR(75)"),
    C("middlename", "VARCHAR(75)"),
    C("personaltitleprefix", "VARCHAR(30)"),
    C("personid", "VARCHAR(32)"),
    C("preferredfirstname", "VARCHAR(75)"),
    C("preferredlastsurname", "VARCHAR(75)"),
    C("sexdescriptorid", "INT"),
    C("sourcesystemdescriptorid", "INT"),
    FK(("highestcompletedlevelofeducationdescriptorid",), "edfi.levelofeducationdescriptor", ("levelofeducationdescriptorid",)),
    FK(("personid", "sourcesystemdescriptorid",), "edfi.person", ("personid", "sourcesystemdescriptorid",)),
    FK(("sexdescriptorid",), "edfi.sexdescriptor", ("sexdescriptorid",)),
    pk=("contactusi",),
    kind="root",
)

contactaddress = table(
    "edfi", "contactaddress", None,
    C("contactusi", "INT"),
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
    FK(("contactusi",), "edfi.contact", ("contactusi",)),
    FK(("addresstypedescriptorid",), "edfi.addresstypedescriptor", ("addresstypedescriptorid",)),
    FK(("stateabbreviationdescriptorid",), "edfi.stateabbreviationdescriptor", ("stateabbreviationdescriptorid",)),
    FK(("localedescriptorid",), "edfi.localedescriptor", ("localedescriptorid",)),
    pk=("contactusi", "addresstypedescriptorid", "city", "postalcode", "stateabbreviationdescriptorid", "streetnumbername",),
    kind="child",
)

contactelectronicmail = table(
    "edfi", "contactelectronicmail", None,
    C("contactusi", "INT"),
    C("electronicmailaddress", "VARCHAR(128)"),
    C("electronicmailtypedescriptorid", "INT"),
    C("donotpublishindicator", "BOOLEAN"),
    C("primaryemailaddressindicator", "BOOLEAN"),
    FK(("contactusi",), "edfi.contact", ("contactusi",)),
    FK(("electronicmailtypedescriptorid",), "edfi.electronicmailtypedescriptor", ("electronicmailtypedescriptorid",)),
    pk=("contactusi", "electronicmailaddress", "electronicmailtypedescriptorid",),
    kind="child",
)

contacttelephone = table(
    "edfi", "contacttelephone", None,
    C("contactusi", "INT"),
    C("telephonenumber", "VARCHAR(24)"),
    C("telephonenumbertypedescriptorid", "INT"),
    C("donotpublishindicator", "BOOLEAN"),
    C("orderofpriority", "INT"),
    C("textmessagecapabilityindicator", "BOOLEAN"),
    FK(("contactusi",), "edfi.contact", ("contactusi",)),
    FK(("telephonenumbertypedescriptorid",), "edfi.telephonenumbertypedescriptor", ("telephonenumbertypedescriptorid",)),
    pk=("contactusi", "telephonenumber", "telephonenumbertypedescriptorid",),
    kind="child",
)

studentcontactassociation = table(
    "edfi", "studentcontactassociation", None,
    C("contactusi", "INT"),
    C("studentusi", "INT"),
    C("contactpriority", "INT"),
    C("contactrestrictions", "VARCHAR(250)"),
    C("emergencycontactstatus", "BOOLEAN"),
    C("legalguardian", "BOOLEAN"),
    C("liveswith", "BOOLEAN"),
    C("primarycontactstatus", "BOOLEAN"),
    C("relationdescriptorid", "INT"),
    FK(("contactusi",), "edfi.contact", ("contactusi",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("relationdescriptorid",), "edfi.relationdescriptor", ("relationdescriptorid",)),
    pk=("contactusi", "studentusi",),
    kind="root",
)

staff = table(
    "edfi", "staff", "Staff: All school personnel",
    C("staffusi", "SERIAL", comment="Unique Staff Identifier (system-generated)"),
    C("birthdate", "DATE", comment="For age verification"),
    C("citizenshipstatusdescriptorid", "INT"),
    C("firstname", "VARCHAR(75)", nn=True, comment="Legal first name"),
    C("genderidentity", "VARCHAR(60)"),
    C("generationcodesuffix", "VARCHAR(10)", comment="Jr., Sr., III, etc."),
    C("highestcompletedlevelofeducationdescriptorid", "INT", comment="Bachelor's, Master's, Doctorate"),
    C("highlyqualifiedteacher", "BOOLEAN"),
    C("hispaniclatinoethnicity", "BOOLEAN", comment="Ethnicity indicator"),
    C("lastsurname", "VARCHAR(75)", nn=True, comment="Last name"),
    C("loginid", "VARCHAR(60)", comment="System login username"),
    C("maidenname", "VARCHAR(75)", comment="Previous last name if applicable"),
    C("middlename", "VARCHAR(75)", comment="Middle name or initial"),
    C("personaltitleprefix", "VARCHAR(30)", comment="Mr., Mrs., Dr., etc."),
    C("personid", "VARCHAR(32)"),
    C("preferredfirstname", "VARCHAR(75)"),
    C("preferredlastsurname", "VARCHAR(75)"),
    C("sexdescriptorid", "INT"),
    C("sourcesystemdescriptorid", "INT"),
    C("staffuniqueid", "VARCHAR(32)", nn=True, comment="Human-readable staff ID"),
    C("yearsofpriorprofessionalexperience", "DECIMAL(5, 2)", comment="Total professional experience"),
    C("yearsofpriorteachingexperience", "DECIMAL(5, 2)", comment="Teaching-specific experience"),
    FK(("citizenshipstatusdescriptorid",), "edfi.citizenshipstatusdescriptor", ("citizenshipstatusdescriptorid",)),
    FK(("highestcompletedlevelofeducationdescriptorid",), "edfi.levelofeducationdescriptor", ("levelofeducationdescriptorid",)),
    FK(("personid", "sourcesystemdescriptorid",), "edfi.person", ("personid", "sourcesystemdescriptorid",)),
    FK(("sexdescriptorid",), "edfi.sexdescriptor", ("sexdescriptorid",)),
    pk=("staffusi",),
    kind="root",
)

studenteducationorganizationassociation = table(
    "edfi", "studenteducationorganizationassociation", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
    C("barriertointernetaccessinresidencedescriptorid", "INT"),
    C("genderidentity", "VARCHAR(60)"),
    C("hispaniclatinoethnicity", "BOOLEAN"),
    C("internetaccessinresidence", "BOOLEAN"),
    C("internetaccesstypeinresidencedescriptorid", "INT"),
    C("internetperformanceinresidencedescriptorid", "INT"),
    C("limitedenglishproficiencydescriptorid", "INT"),
    C("loginid", "VARCHAR(60)"),
    C("primarylearningdeviceaccessdescriptorid", "INT"),
    C("primarylearningdeviceawayfromschooldescriptorid", "INT"),
    C("primarylearningdeviceproviderdescriptorid", "INT"),
    C("profilethumbnail", "VARCHAR(255)"),
    C("sexdescriptorid", "INT"),
    C("supportermilitaryconnectiondescriptorid", "INT"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("barriertointernetaccessinresidencedescriptorid",), "edfi.barriertointernetaccessinresidencedescriptor", ("barriertointernetaccessinresidencedescriptorid",)),
    FK(("internetaccesstypeinresidencedescriptorid",), "edfi.internetaccesstypeinresidencedescriptor", ("internetaccesstypeinresidencedescriptorid",)),
    FK(("internetperformanceinresidencedescriptorid",), "edfi.internetperformanceinresidencedescriptor", ("internetperformanceinresidencedescriptorid",)),
    FK(("limitedenglishproficiencydescriptorid",), "edfi.limitedenglishproficiencydescriptor", ("limitedenglishproficiencydescriptorid",)),
    FK(("primarylearningdeviceaccessdescriptorid",), "edfi.primarylearningdeviceaccessdescriptor", ("primarylearningdeviceaccessdescriptorid",)),
    FK(("primarylearningdeviceawayfromschooldescriptorid",), "edfi.primarylearningdeviceawayfromschooldescriptor", ("primarylearningdeviceawayfromschooldescriptorid",)),
    FK(("primarylearningdeviceproviderdescriptorid",), "edfi.primarylearningdeviceproviderdescriptor", ("primarylearningdeviceproviderdescriptorid",)),
    FK(("sexdescriptorid",), "edfi.sexdescriptor", ("sexdescriptorid",)),
    FK(("supportermilitaryconnectiondescriptorid",), "edfi.supportermilitaryconnectiondescriptor", ("supportermilitaryconnectiondescriptorid",)),
    pk=("educationorganizationid", "studentusi",),
    kind="root",
)

studenteducationorganizationassociationrace = table(
    "edfi", "studenteducationorganizationassociationrace", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
    C("racedescriptorid", "INT"),
    FK(("educationorganizationid", "studentusi",), "edfi.studenteducationorganizationassociation", ("educationorganizationid", "studentusi",)),
    FK(("racedescriptorid",), "edfi.racedescriptor", ("racedescriptorid",)),
    pk=("educationorganizationid", "studentusi", "racedescriptorid",),
    kind="child",
)

studenteducationorganizationassociationaddress = table(
    "edfi", "studenteducationorganizationassociationaddress", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
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
    FK(("educationorganizationid", "studentusi",), "edfi.studenteducationorganizationassociation", ("educationorganizationid", "studentusi",)),
    FK(("addresstypedescriptorid",), "edfi.addresstypedescriptor", ("addresstypedescriptorid",)),
    FK(("stateabbreviationdescriptorid",), "edfi.stateabbreviationdescriptor", ("stateabbreviationdescriptorid",)),
    FK(("localedescriptorid",), "edfi.localedescriptor", ("localedescriptorid",)),
    pk=("educationorganizationid", "studentusi", "addresstypedescriptorid", "city", "postalcode", "stateabbreviationdescriptorid", "streetnumbername",),
    kind="child",
)

studenteducationorganizationassociationelectronicmail = table(
    "edfi", "studenteducationorganizationassociationelectronicmail", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
    C("electronicmailaddress", "VARCHAR(128)"),
    C("electronicmailtypedescriptorid", "INT"),
    C("donotpublishindicator", "BOOLEAN"),
    C("primaryemailaddressindicator", "BOOLEAN"),
    FK(("educationorganizationid", "studentusi",), "edfi.studenteducationorganizationassociation", ("educationorganizationid", "studentusi",)),
    FK(("electronicmailtypedescriptorid",), "edfi.electronicmailtypedescriptor", ("electronicmailtypedescriptorid",)),
    pk=("educationorganizationid", "studentusi", "electronicmailaddress", "electronicmailtypedescriptorid",),
    kind="child",
)

studenteducationorganizationassociationtelephone = table(
    "edfi", "studenteducationorganizationassociationtelephone", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
    C("telephonenumber", "VARCHAR(24)"),
    C("telephonenumbertypedescriptorid", "INT"),
    C("donotpublishindicator", "BOOLEAN"),
    C("orderofpriority", "INT"),
    C("textmessagecapabilityindicator", "BOOLEAN"),
    FK(("educationorganizationid", "studentusi",), "edfi.studenteducationorganizationassociation", ("educationorganizationid", "studentusi",)),
    FK(("telephonenumbertypedescriptorid",), "edfi.telephonenumbertypedescriptor", ("telephonenumbertypedescriptorid",)),
    pk=("educationorganizationid", "studentusi", "telephonenumber", "telephonenumbertypedescriptorid",),
    kind="child",
)

studenteducationorganizationassociationlanguage = table(
    "edfi", "studenteducationorganizationassociationlanguage", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
    C("languagedescriptorid", "INT"),
    FK(("educationorganizationid", "studentusi",), "edfi.studenteducationorganizationassociation", ("educationorganizationid", "studentusi",)),
    FK(("languagedescriptorid",), "edfi.languagedescriptor", ("languagedescriptorid",)),
    pk=("educationorganizationid", "studentusi", "languagedescriptorid",),
    kind="child",
)

studenteducationorganizationassociationlanguageuse = table(
    "edfi", "studenteducationorganizationassociationlanguageuse", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
    C("languagedescriptorid", "INT"),
    C("languageusedescriptorid", "INT"),
    FK(("educationorganizationid", "studentusi", "languagedescriptorid",), "edfi.studenteducationorganizationassociationlanguage", ("educationorganizationid", "studentusi", "languagedescriptorid",)),
    FK(("languageusedescriptorid",), "edfi.languageusedescriptor", ("languageusedescriptorid",)),
    pk=("educationorganizationid", "studentusi", "languagedescriptorid", "languageusedescriptorid",),
    kind="child",
)

studenteducationorganizationassociationdisability = table(
    "edfi", "studenteducationorganizationassociationdisability", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
    C("disabilitydescriptorid", "INT"),
    C("disabilitydeterminationsourcetypedescriptorid", "INT"),
    C("disabilitydiagnosis", "VARCHAR(80)"),
    C("orderofdisability", "INT"),
    FK(("educationorganizationid", "studentusi",), "edfi.studenteducationorganizationassociation", ("educationorganizationid", "studentusi",)),
    FK(("disabilitydescriptorid",), "edfi.disabilitydescriptor", ("disabilitydescriptorid",)),
    FK(("disabilitydeterminationsourcetypedescriptorid",), "edfi.disabilitydeterminationsourcetypedescriptor", ("disabilitydeterminationsourcetypedescriptorid",)),
    pk=("educationorganizationid", "studentusi", "disabilitydescriptorid",),
    kind="child",
)

studenteducationorganizationassociationdisabilitydesignation = table(
    "edfi", "studenteducationorganizationassociationdisabilitydesignation", None,
    C("educationorganizationid", "BIGINT"),
    C("studentusi", "INT"),
    C("disabilitydescriptorid", "INT"),
    C("disabilitydesignationdescriptorid", "INT"),
    FK(("educationorganizationid", "studentusi", "disabilitydescriptorid",), "edfi.studenteducationorganizationassociationdisability", ("educationorganizationid", "studentusi", "disabilitydescriptorid",)),
    FK(("disabilitydesignationdescriptorid",), "edfi.disabilitydesignationdescriptor", ("disabilitydesignationdescriptorid",)),
    pk=("educationorganizationid", "studentusi", "disabilitydescriptorid", "disabilitydesignationdescriptorid",),
    kind="child",
)

staffschoolassociation = table(
    "edfi", "staffschoolassociation", "Staff School Association: Links staff to schools",
    C("staffusi", "INTEGER", nn=True, comment="Staff member"),
    C("schoolid", "BIGINT", nn=True, comment="School they work at"),
    C("programassignmentdescriptorid", "INTEGER", nn=True, comment="Role at school (teacher, admin, support)"),
    C("schoolyear", "SMALLINT", comment="Academic year of assignment"),
    FK(("staffusi",), "edfi.staff", ("staffusi",)),
    FK(("schoolid",), "edfi.school", ("schoolid",)),
    FK(("programassignmentdescriptorid",), "edfi.programassignmentdescriptor", ("programassignmentdescriptorid",)),
    pk=("staffusi", "schoolid", "programassignmentdescriptorid",),
    kind="root",
)

staffleave = table(
    "edfi", "staffleave", "Staff Leave: Track absences and leave",
    C("staffusi", "INTEGER", nn=True, comment="Staff member"),
    C("staffleaveeventcategorydescriptorid", "INTEGER", nn=True, comment="Sick, personal, professional"),
    C("begindate", "DATE", nn=True, comment="Leave start date"),
    C("enddate", "DATE", comment="Leave end date"),
    C("reason", "VARCHAR(1024)", comment="Detailed reason if provided"),
    C("substituteassigned", "BOOLEAN", comment="Whether substitute was assigned"),
    FK(("staffusi",), "edfi.staff", ("staffusi",)),
    FK(("staffleaveeventcategorydescriptorid",), "edfi.staffleaveeventcategorydescriptor", ("staffleaveeventcategorydescriptorid",)),
    pk=("staffusi", "staffleaveeventcategorydescriptorid", "begindate",),
    kind="root",
)

cohort = table(
    "edfi", "cohort", "Cohort: Groups of students tracked together",
    C("cohortidentifier", "VARCHAR(36)", nn=True, comment="Unique cohort ID"),
    C("educationorganizationid", "BIGINT", nn=True, comment="Organization managing cohort"),
    C("cohortdescription", "VARCHAR(1024)", comment="What this cohort tracks"),
    C("cohorttypedescriptorid", "INTEGER", nn=True, comment="Academic, attendance, discipline"),
    C("cohortscopedescriptorid", "INTEGER", comment="District, school, classroom"),
    C("academicsubjectdescriptorid", "INTEGER", comment="Subject-specific cohorts"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("cohorttypedescriptorid",), "edfi.cohorttypedescriptor", ("cohorttypedescriptorid",)),
    FK(("cohortscopedescriptorid",), "edfi.cohortscopedescriptor", ("cohortscopedescriptorid",)),
    FK(("academicsubjectdescriptorid",), "edfi.academicsubjectdescriptor", ("academicsubjectdescriptorid",)),
    pk=("cohortidentifier", "educationorganizationid",),
    kind="root",
)

studentcohortassociation = table(
    "edfi", "studentcohortassociation", "Student Cohort Association: Students in cohorts",
    C("studentusi", "INTEGER", nn=True, comment="Student"),
    C("cohortidentifier", "VARCHAR(36)", nn=True, comment="Cohort"),
    C("educationorganizationid", "BIGINT", nn=True, comment="Organization"),
    C("begindate", "DATE", nn=True, comment="When student joined"),
    C("enddate", "DATE", comment="When student left"),
    FK(("studentusi",), "edfi.student", ("studentusi",)),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    pk=("studentusi", "cohortidentifier", "educationorganizationid", "begindate",),
    kind="root",
)

cohortprogram = table(
    "edfi", "cohortprogram", "Cohort Program: Programs associated with cohorts",
    C("cohortidentifier", "VARCHAR(36)", nn=True, comment="Cohort"),
    C("educationorganizationid", "BIGINT", nn=True, comment="Cohort organization"),
    C("programeducationorganizationid", "BIGINT", nn=True, comment="Program organization"),
    C("programname", "VARCHAR(60)", nn=True, comment="Program name"),
    C("programtypedescriptorid", "INTEGER", nn=True, comment="Type of program"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("programtypedescriptorid",), "edfi.programtypedescriptor", ("programtypedescriptorid",)),
    pk=("cohortidentifier", "educationorganizationid", "programeducationorganizationid", "programname", "programtypedescriptorid",),
    kind="root",
)


staffeducationorganizationassignmentassociation = table(
    "edfi", "staffeducationorganizationassignmentassociation",
    "A staff member's position at an education organization (classification and title)",
    C("begindate", "DATE", nn=True),
    C("educationorganizationid", "BIGINT", nn=True),
    C("staffclassificationdescriptorid", "INT", nn=True),
    C("staffusi", "INT", nn=True),
    C("enddate", "DATE"),
    C("orderofassignment", "INT"),
    C("positiontitle", "VARCHAR(100)", comment="e.g. Front office clerk, Nurse, Teacher"),
    FK(("educationorganizationid",), "edfi.educationorganization", ("educationorganizationid",)),
    FK(("staffclassificationdescriptorid",), "edfi.staffclassificationdescriptor", ("staffclassificationdescriptorid",)),
    FK(("staffusi",), "edfi.staff", ("staffusi",)),
    pk=("begindate", "educationorganizationid", "staffclassificationdescriptorid", "staffusi"),
    kind="root",
)

# Design document section 14 (student look-up), plus prefix indexes for type-ahead search.
# The embedded PostgreSQL (pgserver) ships without contrib, so pg_trgm is not available
# everywhere; left-anchored, case-folded btree indexes serve "starts with" look-ups on
# first name, last name and student id instead.
Index("idx_student_unique_id", student.c.studentuniqueid, unique=True)
Index("ux_student_id", student.c.id, unique=True)  # a registration form's request id (migration 0007)
Index("idx_student_name", student.c.lastsurname, student.c.firstname)
Index("idx_student_metadata_gin", student.c.metadata, postgresql_using="gin",
      postgresql_where=student.c.metadata.isnot(None))
# Keyed by compliance.name_key() (lower(), marked LEAKPROOF by migration 0007) so that a name
# look-up can use them under row-level security; app/services/student_search.py queries them.
_name_key = func.compliance.name_key
Index("ix_student_lastsurname_key", _name_key(student.c.lastsurname).label("key_lastsurname"),
      postgresql_ops={"key_lastsurname": "text_pattern_ops"})
Index("ix_student_firstname_key", _name_key(student.c.firstname).label("key_firstname"),
      postgresql_ops={"key_firstname": "text_pattern_ops"})
Index("ix_student_uniqueid_key", _name_key(student.c.studentuniqueid).label("key_studentuniqueid"),
      postgresql_ops={"key_studentuniqueid": "text_pattern_ops"})
Index("ix_student_birthdate", student.c.birthdate)
Index("idx_ssa_student", studentschoolassociation.c.studentusi)
# compliance.my_school_ids() finds the signed-in staff member's assignments by staffusi (migration 0037)
Index("ix_staffedorgassignment_staffusi", staffeducationorganizationassignmentassociation.c.staffusi)
Index("idx_ssa_school", studentschoolassociation.c.schoolid)
Index("idx_ssa_active", studentschoolassociation.c.schoolid, studentschoolassociation.c.schoolyear,
      postgresql_where=studentschoolassociation.c.exitwithdrawdate.is_(None))
Index("ux_staff_staffuniqueid", staff.c.staffuniqueid, unique=True)
# Look-ups by student or teacher that the Ed-Fi keys (which lead with other columns) cannot serve:
# a student's contacts, a teacher's sections (row-level security), a login's staff record.
Index("ix_studentcontactassociation_studentusi", studentcontactassociation.c.studentusi)
Index("ix_staff_loginid", staff.c.loginid)
Index("ux_contact_contactuniqueid", contact.c.contactuniqueid, unique=True)
