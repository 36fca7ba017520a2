"""Cafeteria menus kept by each site's manager: menu items per school with their register key

Menu items, a la carte prices, the site's meal services (which run, which items they offer) and its
settings (balance display, alternate meal) were demo data nobody could change from the desk. Each
menu item now belongs to a school (`school_id`; NULL keeps an item district-wide, changed by
administrators only) and may name its register key (`fkey`, F1-F12). Row-level security lets a
cafeteria manager change only their own schools' items (meal services and site settings were
already scoped so); cashiers read their schools' items and change none. Every change to the menus,
prices, policies, services and settings is audited.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

MINE = "((SELECT compliance.my_school_ids())::bigint[])"
AUDITED = ("menu_items", "meal_services", "site_settings", "meal_prices", "charge_policies", "district_settings")

POLICIES_SQL = f"""
ALTER TABLE cafeteria.menu_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY administrators ON cafeteria.menu_items FOR ALL TO so_admin USING (true) WITH CHECK (true);
CREATE POLICY site_reads ON cafeteria.menu_items FOR SELECT TO so_cashier
    USING (school_id IS NULL OR school_id = ANY {MINE});
CREATE POLICY own_schools ON cafeteria.menu_items FOR ALL TO so_cafeteria_manager
    USING (school_id = ANY {MINE}) WITH CHECK (school_id = ANY {MINE});
""" + "".join(f"SELECT compliance.attach_audit('cafeteria.{t}');\n" for t in AUDITED)


def upgrade() -> None:
    op.add_column("menu_items", sa.Column("school_id", sa.BigInteger(), nullable=True,
                                          comment="The site whose manager keeps this item; NULL: a district item "
                                                  "(administrators)"), schema="cafeteria")
    op.add_column("menu_items", sa.Column("fkey", sa.SmallInteger(), nullable=True,
                                          comment="Its key on the register (F1-F12) in the services it is sold at; "
                                                  "NULL: next free"), schema="cafeteria")
    op.create_foreign_key(op.f("fk_menu_items_school_id_school"), "menu_items", "school", ["school_id"], ["schoolid"],
                          source_schema="cafeteria", referent_schema="edfi")
    op.drop_constraint("uq_menu_items_code", "menu_items", schema="cafeteria")
    op.create_unique_constraint(op.f("uq_menu_items_school_id_code"), "menu_items", ["school_id", "code"],
                                schema="cafeteria")
    op.create_check_constraint(op.f("ck_menu_items_fkey_range"), "menu_items", "fkey IS NULL OR fkey BETWEEN 1 AND 12",
                               schema="cafeteria")
    op.execute(POLICIES_SQL)


def downgrade() -> None:
    op.execute("DROP POLICY administrators ON cafeteria.menu_items; DROP POLICY site_reads ON cafeteria.menu_items; "
               "DROP POLICY own_schools ON cafeteria.menu_items; "
               "ALTER TABLE cafeteria.menu_items DISABLE ROW LEVEL SECURITY;")
    for t in AUDITED:
        op.execute(f"DROP TRIGGER IF EXISTS audit_row ON cafeteria.{t}")
    op.drop_constraint(op.f("ck_menu_items_fkey_range"), "menu_items", schema="cafeteria")
    op.drop_constraint(op.f("uq_menu_items_school_id_code"), "menu_items", schema="cafeteria")
    op.create_unique_constraint("uq_menu_items_code", "menu_items", ["code"], schema="cafeteria")
    op.drop_constraint(op.f("fk_menu_items_school_id_school"), "menu_items", schema="cafeteria")
    op.drop_column("menu_items", "fkey", schema="cafeteria")
    op.drop_column("menu_items", "school_id", schema="cafeteria")
