"""Cafeteria: an a la carte line is classified 'A la carte', never 'Deposit'

The point of sale wrote `meal_type` 'Deposit' on an a la carte ('item') line sold outside a meal
service (and the service's name inside one), and 'Deposit' on every void, refund or NSF line whatever
it reversed, so a reader of the ledger's classification took a la carte sales for deposits. Now:

- a BEFORE INSERT trigger classifies the lines whose label the writers cannot know: an item line is
  'A la carte'; a void, refund or NSF line takes the class of the line it reverses ('A la carte' for
  an item, the meal service for a meal, 'Deposit' for a deposit). Meal and deposit lines are not
  touched (the trigger's WHEN skips them: the register's sale path pays nothing for it);
- CHECK constraints: an item line is 'A la carte', a deposit line is 'Deposit';
- the lines already written are relabelled once, here, by the schema owner: only the label changes
  (never an amount, balance or link), with the append-only trigger paused inside this migration's
  transaction; the statement-level audit trigger records the UPDATE.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-03
"""
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

A_LA_CARTE = "A la carte"

SQL = r"""
CREATE FUNCTION cafeteria.classify_line() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    o record;
BEGIN
    IF NEW.entry_kind = 'item' THEN
        NEW.meal_type := 'A la carte';
    ELSIF NEW.reverses_transaction_id IS NOT NULL THEN
        SELECT t.entry_kind, t.meal_type INTO o FROM cafeteria.meal_transactions t
         WHERE t.transaction_id = NEW.reverses_transaction_id;
        IF FOUND THEN
            NEW.meal_type := CASE WHEN o.entry_kind = 'item' THEN 'A la carte' ELSE o.meal_type END;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION cafeteria.classify_line() FROM PUBLIC;
CREATE TRIGGER classify_line BEFORE INSERT ON cafeteria.meal_transactions
    FOR EACH ROW WHEN (NEW.sale_uuid IS NOT NULL AND NEW.entry_kind IN ('item', 'void', 'refund', 'nsf'))
    EXECUTE FUNCTION cafeteria.classify_line();

ALTER TABLE cafeteria.meal_transactions DISABLE TRIGGER append_only;
UPDATE cafeteria.meal_transactions SET meal_type = 'A la carte'
 WHERE entry_kind = 'item' AND meal_type IS DISTINCT FROM 'A la carte';
UPDATE cafeteria.meal_transactions r
   SET meal_type = CASE WHEN o.entry_kind = 'item' THEN 'A la carte' ELSE o.meal_type END
  FROM cafeteria.meal_transactions o
 WHERE o.transaction_id = r.reverses_transaction_id AND r.entry_kind IN ('void', 'refund', 'nsf')
   AND r.meal_type IS DISTINCT FROM CASE WHEN o.entry_kind = 'item' THEN 'A la carte' ELSE o.meal_type END;
ALTER TABLE cafeteria.meal_transactions ENABLE TRIGGER append_only;

ALTER TABLE cafeteria.meal_transactions ADD CONSTRAINT ck_meal_transactions_item_is_a_la_carte
    CHECK (entry_kind IS DISTINCT FROM 'item' OR meal_type = 'A la carte');
ALTER TABLE cafeteria.meal_transactions ADD CONSTRAINT ck_meal_transactions_deposit_is_a_deposit
    CHECK (entry_kind IS DISTINCT FROM 'deposit' OR meal_type = 'Deposit');
"""


def upgrade() -> None:
    op.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("0044 relabels ledger lines (append-only); restore a backup instead")
