"""A student's a la carte line names an a la carte item at its price, or is listed for the manager (security
review of session 7, cafperf LOW 2)

A sale line of kind 'item' (a la carte) was checked only for its amounts: a cashier with psql could ring a
paid student's lunch as an 'item' line naming the lunch at $0.00 (no claim, nothing on the manager's list).
Now, for a student's sale (trigger `check_item_line`, after each such ledger line is written):

- a line naming a meal (`menu_items.category = 'meal'`) is refused: a student's meal is rung up as a meal,
  claimed and priced by the student's eligibility (an adult's meal stays an 'item' line: no student);
- a line naming an a la carte item at another price than the item's, or naming no item, is kept and listed
  on the manager's "Prices to check" (`cafeteria.price_flags`; an offline register's older price shows there
  too, never refused).

Revision ID: 0061
Revises: 0060
Create Date: 2026-12-04
"""
from alembic import op

revision = "0061"
down_revision = "0060"
branch_labels = None
depends_on = None

SQL = r"""
CREATE OR REPLACE FUNCTION cafeteria.flag_meal_line(p_line bigint, p_eligibility text, p_due numeric) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO cafeteria.price_flags (transaction_id, sale_uuid, school_id, student_usi, service_date, meal_service,
                                       line_eligibility, student_eligibility, line_price, due_price)
    SELECT t.transaction_id, t.sale_uuid, t.school_id, t.student_usi, s.service_date, coalesce(s.meal_service, ''),
           t.eligibility, p_eligibility, t.price, p_due
      FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
     WHERE t.transaction_id = p_line
    ON CONFLICT (transaction_id) DO NOTHING;
END;
$$;

CREATE FUNCTION cafeteria.check_item_line() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    i record;
BEGIN
    SELECT m.category, m.a_la_carte_price INTO i FROM cafeteria.menu_items m WHERE m.item_id = NEW.item_id;
    IF FOUND AND i.category = 'meal' THEN
        RAISE EXCEPTION 'a student''s meal is rung up as a meal, not as an a la carte item' USING ERRCODE = '23514';
    END IF;
    IF NOT FOUND OR NEW.price IS DISTINCT FROM i.a_la_carte_price THEN
        PERFORM cafeteria.flag_meal_line(NEW.transaction_id,
                                         cafeteria.student_meal_eligibility(NEW.student_usi, NEW.transaction_date),
                                         i.a_la_carte_price);
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION cafeteria.check_item_line() FROM PUBLIC;
CREATE TRIGGER check_item_line AFTER INSERT ON cafeteria.meal_transactions FOR EACH ROW
    WHEN (NEW.entry_kind = 'item' AND NEW.student_usi IS NOT NULL AND NEW.sale_uuid IS NOT NULL)
    EXECUTE FUNCTION cafeteria.check_item_line();
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    op.execute("DROP TRIGGER check_item_line ON cafeteria.meal_transactions; DROP FUNCTION cafeteria.check_item_line();")
    op.execute("""
CREATE OR REPLACE FUNCTION cafeteria.flag_meal_line(p_line bigint, p_eligibility text, p_due numeric) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO cafeteria.price_flags (transaction_id, sale_uuid, school_id, student_usi, service_date, meal_service,
                                       line_eligibility, student_eligibility, line_price, due_price)
    SELECT t.transaction_id, t.sale_uuid, t.school_id, t.student_usi, s.service_date, s.meal_service, t.eligibility,
           p_eligibility, t.price, p_due
      FROM cafeteria.meal_transactions t JOIN cafeteria.sales s ON s.sale_uuid = t.sale_uuid
     WHERE t.transaction_id = p_line
    ON CONFLICT (transaction_id) DO NOTHING;
END;
$$;
""")
