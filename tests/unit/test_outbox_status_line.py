"""The one line `school-office-admin status` prints about the outbox reads right for IT."""

from app.cli import describe_outbox
from app.sync.outbox import OutboxSummary


def test_the_status_line_counts_ages_and_dead_letters():
    assert describe_outbox(OutboxSummary(0, 0, None)) == "DynamoDB outbox: 0 records waiting."
    assert describe_outbox(OutboxSummary(1, 0, 12.0)) == "DynamoDB outbox: 1 record waiting (oldest under a minute)."
    assert describe_outbox(OutboxSummary(42, 1, 3700.0)) == (
        "DynamoDB outbox: 42 records waiting (oldest 61 minutes); 1 record set aside after DynamoDB refused it "
        "(dead letter).")
    assert describe_outbox(OutboxSummary(5, 3, 90_000.0)) == (
        "DynamoDB outbox: 5 records waiting (oldest 25 hours); 3 records set aside after DynamoDB refused them "
        "(dead letters).")
