"""2 Hour Learning integration: AI learning sessions, mastery progress, daily targets, MAP results."""

from app.db.dsl import CK, FK, IX, UQ, C, table  # noqa: F401

ai_learning_sessions = table(
    "two_hour_learning", "ai_learning_sessions", "AI Learning Sessions: Track 2-hour daily learning",
    C("session_id", "BIGSERIAL", comment="Unique session identifier"),
    C("student_id", "VARCHAR(255)", nn=True, comment="Student reference"),
    C("subject_id", "VARCHAR(100)", nn=True, comment="Subject being studied"),
    C("session_date", "DATE", nn=True, comment="Date of session"),
    C("start_time", "TIMESTAMP", nn=True, comment="Session start"),
    C("end_time", "TIMESTAMP", comment="Session end"),
    C("total_minutes", "INTEGER", comment="Total time spent"),
    C("target_achieved", "BOOLEAN", default="FALSE", comment="Met 2-hour target?"),
    C("mastery_percentage", "DECIMAL(5,2)", comment="Mastery level achieved"),
    C("accuracy_percentage", "DECIMAL(5,2)", comment="Accuracy during session"),
    C("lesson_count", "INTEGER", comment="Lessons completed"),
    C("ai_tutor_type", "VARCHAR(50)", comment="Which AI tutor used"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("session_id",),
)

mastery_progress = table(
    "two_hour_learning", "mastery_progress", "Learning Mastery Progress: Track skill mastery",
    C("progress_id", "BIGSERIAL", comment="Unique progress ID"),
    C("student_id", "VARCHAR(255)", nn=True, comment="Student"),
    C("subject_id", "VARCHAR(100)", nn=True, comment="Subject area"),
    C("skill_id", "VARCHAR(200)", nn=True, comment="Specific skill"),
    C("current_level", "INTEGER", comment="Current mastery level (1-10)"),
    C("target_level", "INTEGER", comment="Goal level"),
    C("mastery_date", "TIMESTAMP", comment="When mastered"),
    C("attempts_count", "INTEGER", default="0", comment="Practice attempts"),
    C("time_spent_minutes", "INTEGER", default="0", comment="Total practice time"),
    C("last_assessment_score", "DECIMAL(5,2)", comment="Most recent score"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    C("updated_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("progress_id",),
)

daily_targets = table(
    "two_hour_learning", "daily_targets", "Daily Learning Targets: 2-hour goals",
    C("target_id", "BIGSERIAL", comment="Unique target ID"),
    C("student_id", "VARCHAR(255)", nn=True, comment="Student"),
    C("target_date", "DATE", nn=True, comment="Date for target"),
    C("subject_id", "VARCHAR(100)", nn=True, comment="Subject to practice"),
    C("target_minutes", "INTEGER", nn=True, default="25", comment="Minutes goal (per subject)"),
    C("target_lessons", "INTEGER", nn=True, comment="Lessons to complete"),
    C("target_accuracy", "DECIMAL(5,2)", nn=True, default="80.0", comment="Accuracy goal"),
    C("actual_minutes", "INTEGER", comment="Minutes achieved"),
    C("actual_lessons", "INTEGER", comment="Lessons completed"),
    C("actual_accuracy", "DECIMAL(5,2)", comment="Accuracy achieved"),
    C("completed", "BOOLEAN", default="FALSE", comment="Target met?"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("target_id",),
)

personalization_profiles = table(
    "two_hour_learning", "personalization_profiles", "AI Personalization Profiles: Learning preferences",
    C("profile_id", "SERIAL", comment="Unique profile ID"),
    C("student_id", "VARCHAR(255)", nn=True, unique=True, comment="One per student"),
    C("learning_style", "VARCHAR(50)", comment="Visual, auditory, kinesthetic"),
    C("preferred_difficulty_progression", "VARCHAR(20)", comment="Gradual, moderate, aggressive"),
    C("optimal_session_length_minutes", "INTEGER", comment="Best session duration"),
    C("motivational_preferences", "JSONB", comment="Gamification preferences"),
    C("engagement_patterns", "JSONB", comment="When most engaged"),
    C("knowledge_gaps", "JSONB", comment="Identified weak areas"),
    C("last_updated", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("profile_id",),
)

map_test_results = table(
    "two_hour_learning", "map_test_results", "MAP Test Integration: NWEA MAP results",
    C("test_id", "BIGSERIAL", comment="Unique test ID"),
    C("student_id", "VARCHAR(255)", nn=True, comment="Student"),
    C("subject", "VARCHAR(50)", nn=True, comment="Math, Reading, Science"),
    C("test_date", "DATE", nn=True, comment="When tested"),
    C("rit_score", "INTEGER", nn=True, comment="RIT scale score"),
    C("percentile", "INTEGER", comment="National percentile"),
    C("growth_projection", "INTEGER", comment="Expected growth"),
    C("instructional_areas", "JSONB", comment="Areas needing focus"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    pk=("test_id",),
)

life_skills_activities = table(
    "two_hour_learning", "life_skills_activities", "Life Skills Activities: Beyond academics",
    C("activity_id", "BIGSERIAL", comment="Unique activity ID"),
    C("student_id", "VARCHAR(255)", nn=True, comment="Student"),
    C("activity_type", "VARCHAR(100)", nn=True, comment="Coding, music, sports"),
    C("activity_date", "DATE", nn=True, comment="When completed"),
    C("duration_minutes", "INTEGER", nn=True, comment="Time spent"),
    C("skill_category", "VARCHAR(50)", comment="Technical, creative, physical"),
    C("instructor_id", "VARCHAR(255)", comment="Who supervised"),
    C("progress_notes", "TEXT", comment="Qualitative feedback"),
    C("competency_rating", "INTEGER", comment="Skill level"),
    C("created_at", "TIMESTAMP", default="CURRENT_TIMESTAMP"),
    CK("competency_rating BETWEEN 1 AND 5", "competency_rating_range"),
    pk=("activity_id",),
)
