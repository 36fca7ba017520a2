"""The cafeteria manager's menu screens (issue 9): the site's menu items (code, name, register key,
meal or a la carte, price, allergen and diet tags), which meal services run on a day and which items
each offers, and the site's settings (when the register shows a balance, the alternate meal).

Keyboard only: arrows choose a row and fill the form below it, Tab walks the form, Alt+S saves;
no button is the default, so a stray Enter in a field saves nothing it should not. A form changed
and not saved is guarded: choosing another row, another service or leaving the desk asks first
(ui/unsaved.py). The database refuses what is not the manager's; the registers take the change
with their next snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.cafeteria_menus import MenuItemDraft, clean_item
from app.domain.cafeteria_rules import SERVICE_NAMES, SERVICES
from app.domain.pos_entry import money
from app.domain.typed_input import parse_date, show_date
from app.errors import UserError
from ui.dialogs import confirm
from ui.ops import OpFailed, run_op, spawn
from ui.screens.cafeteria import backend as B
from ui.table_model import DtoTableModel
from ui.unsaved import CANCEL, SAVE, ask_save_discard_cancel
from ui.widgets import checked, checklist, combo, fill, fill_checklist, form, line, set_checked, table

FAILED = object()
DISPLAYS = (("always", "Always"), ("on_request", "On request (the cashier presses Show balance)"),
            ("never", "Never"))


def _button(text: str, name: str) -> QPushButton:
    b = QPushButton(text)
    b.setAccessibleName(name)
    b.setAutoDefault(False)
    b.setDefault(False)
    return b


def _key(n: int | None) -> str:
    return f"F{n}" if n else ""


class MenuItemsModel(DtoTableModel):
    HEADERS = ("Key", "Code", "Name", "Kind", "Service", "A la carte price", "Allergens", "Diet", "On sale")
    COL_KEY, COL_CODE, COL_NAME, COL_KIND, COL_SERVICE, COL_PRICE, COL_ALLERGENS, COL_DIET, COL_ACTIVE = range(9)

    def cell(self, r, column: int) -> str:
        return [_key(r.fkey), r.code, r.name, "Meal" if r.category == "meal" else "A la carte",
                SERVICE_NAMES.get(r.meal_service or "", "Every service"),
                money(r.price) if r.price is not None else "", ", ".join(r.allergens), ", ".join(r.diet_flags),
                "Yes" if r.is_active else "No"][column]


class _Section(QWidget):
    """One of the manager's menu tabs: its calls report refusals on the manager's message line."""

    what = "changes"

    def __init__(self, port: Callable[[], B.CafeteriaPort], say: Callable[[str], None]) -> None:
        super().__init__()
        self.port = port
        self.say = say
        self.dialog = None
        self.baseline: tuple = ()

    async def _call(self, fn, *args, disable=()) -> object:
        try:
            out = await run_op(fn, *args, disable=disable)
        except OpFailed as err:
            self.say(err.message)
            return FAILED
        return out

    # -- the unsaved-work guard (ui/unsaved.py) ---------------------------------------------------------
    def values(self) -> tuple:
        raise NotImplementedError

    def mark_saved(self) -> None:
        self.baseline = self.values()

    def unsaved_work(self) -> str | None:
        return f"Unsaved {self.what}" if self.baseline and self.values() != self.baseline else None

    def discard_unsaved(self) -> None:
        raise NotImplementedError

    async def save_unsaved(self) -> bool:
        raise NotImplementedError

    def may_move_on(self) -> bool:
        """Before the form shows something else: ask about unsaved changes. False: stay."""
        what = self.unsaved_work()
        if not what:
            return True
        answer = ask_save_discard_cancel(self, what)
        if answer == CANCEL:
            return False
        if answer == SAVE:
            spawn(self.save_unsaved())
            return False  # the save shows its result; the manager moves on after it
        self.discard_unsaved()
        return True


# -- menu items ---------------------------------------------------------------------------------------
class MenuItemsTab(_Section):
    def __init__(self, port, say) -> None:
        super().__init__(port, say)
        self.setAccessibleName("Menu items")
        self.model = MenuItemsModel(self)
        self.list = table("Menu items of this site", self.model)
        self.code = line("Item code", "PLU or barcode, e.g. L600")
        self.name = line("Item name", "what the register's key shows")
        self.category = combo("Kind of item")
        fill(self.category, ["Reimbursable meal", "A la carte"], data=["meal", "a_la_carte"])
        self.service = combo("Meal service the item is sold at")
        fill(self.service, ["Every service"] + [SERVICE_NAMES[s] for s in SERVICES], data=[None, *SERVICES])
        self.price = line("A la carte price", "e.g. 1.25 (empty for a meal: the price groups price it)")
        self.allergens = line("Allergens", "comma separated, as the nurse records them: Milk, Peanuts")
        self.diet = line("Diet tags", "comma separated: pork, meat")
        self.fkey = combo("Register key")
        fill(self.fkey, ["None (next free key)"] + [f"F{n}" for n in range(1, 13)], data=[None, *range(1, 13)])
        self.new_button = _button("&New item", "Start a new menu item")
        self.save_button = _button("&Save item", "Save this menu item")
        self.retire_button = _button("Take off the men&u…", "Take this item off the menu")
        self.editing: int | None = None
        self._showing = False
        self.what = "changes to this menu item"
        box = QGroupBox("Item")
        grid = QGridLayout(box)  # two fields a row: the list above keeps room for a whole service's items
        pairs = (("&Code", self.code, "Nam&e", self.name), ("&Kind", self.category, "Ser&vice", self.service),
                 ("A la carte &price", self.price, "Register ke&y", self.fkey),
                 ("&Allergens", self.allergens, "&Diet tags", self.diet))
        for n, (l1, w1, l2, w2) in enumerate(pairs):
            for c, (text_, w) in enumerate(((l1, w1), (l2, w2))):
                label = QLabel(text_)
                label.setBuddy(w)  # Alt + the underlined letter goes to the field
                grid.addWidget(label, n, 2 * c)
                grid.addWidget(w, n, 2 * c + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 2)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.retire_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        v = QVBoxLayout(self)
        v.addWidget(self.list, 1)
        v.addWidget(box)
        v.addLayout(buttons)
        self.list.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.new_button.clicked.connect(self.new_item)
        self.save_button.clicked.connect(lambda: spawn(self.save()))
        self.retire_button.clicked.connect(lambda: spawn(self.retire()))
        self.mark_saved()

    def values(self) -> tuple:
        return (self.code.text().strip(), self.name.text().strip(), self.category.currentData(),
                self.service.currentData(), self.price.text().strip(), self.allergens.text().strip(),
                self.diet.text().strip(), self.fkey.currentData())

    async def load(self, select: int | None = None) -> int:
        rows = await self._call(self.port().menu_items)
        if rows is FAILED:
            return 0
        self._showing = True
        try:
            self.model.set_rows(rows)
            at = next((n for n, r in enumerate(rows) if r.item_id == select), None)
            if at is not None:
                self.list.selectRow(at)
        finally:
            self._showing = False
        if at is not None:
            self.show_item(rows[at])
        return len(rows)

    def _row_chosen(self, current, previous) -> None:
        if self._showing:
            return
        row = self.model.row(current.row())
        if row is None or row.item_id == self.editing:
            return
        if not self.may_move_on():
            self._showing = True
            self.list.setCurrentIndex(previous)  # stay on the item being changed
            self._showing = False
            return
        self.show_item(row)

    def show_item(self, r) -> None:
        self.editing = r.item_id
        self.code.setText(r.code)
        self.name.setText(r.name)
        self.category.setCurrentIndex(0 if r.category == "meal" else 1)
        self.service.setCurrentIndex(0 if r.meal_service is None else 1 + SERVICES.index(r.meal_service))
        self.price.setText(f"{r.price:.2f}" if r.price is not None else "")
        self.allergens.setText(", ".join(r.allergens))
        self.diet.setText(", ".join(r.diet_flags))
        self.fkey.setCurrentIndex(r.fkey or 0)
        self.retire_button.setEnabled(r.is_active)
        self.mark_saved()

    def new_item(self) -> None:
        if not self.may_move_on():
            return
        self.editing = None
        self._showing = True
        self.list.clearSelection()
        self._showing = False
        for w in (self.code, self.name, self.price, self.allergens, self.diet):
            w.clear()
        self.category.setCurrentIndex(1)
        self.service.setCurrentIndex(0)
        self.fkey.setCurrentIndex(0)
        self.mark_saved()
        self.code.setFocus()
        self.say("Type the new item, then Save item (Alt+S).")

    def draft(self) -> MenuItemDraft:
        code, name, category, service, price, allergens, diet, fkey = self.values()
        return MenuItemDraft(self.editing, code, name, category, service, price or None, allergens, diet, fkey)

    async def save(self) -> bool:
        d = self.draft()
        try:
            clean_item(d)  # the same sentence as the service's, without a round trip
        except UserError as err:
            self.say(err.message)
            return False
        item_id = await self._call(self.port().save_menu_item, d, disable=(self.save_button,))
        if item_id is FAILED:
            return False
        self.editing = item_id
        self.mark_saved()
        await self.load(select=item_id)
        self.say(f"{d.name.strip()} is saved; the registers show it with their next snapshot.")
        return True

    async def save_unsaved(self) -> bool:
        return await self.save()

    def discard_unsaved(self) -> None:
        row = next((r for r in self.model.rows if r.item_id == self.editing), None)
        if row is not None:
            self.show_item(row)
        else:
            self.editing = None
            for w in (self.code, self.name, self.price, self.allergens, self.diet):
                w.clear()
            self.mark_saved()

    async def retire(self) -> bool:
        row = next((r for r in self.model.rows if r.item_id == self.editing), None)
        if row is None or not row.is_active:
            self.say("Choose an item on sale in the list first.")
            return False
        if not await confirm(self, "Take off the menu",
                             f"Take {row.name} off the menu? The registers stop offering it; past sales keep its "
                             "name.", "Take it off"):
            return False
        if await self._call(self.port().retire_menu_item, row.item_id, disable=(self.retire_button,)) is FAILED:
            return False
        await self.load(select=row.item_id)
        self.say(f"{row.name} is off the menu.")
        return True


# -- meal services of a day -----------------------------------------------------------------------------
class MealServicesTab(_Section):
    def __init__(self, port, say, today: Callable[[], date]) -> None:
        super().__init__(port, say)
        self.setAccessibleName("Meal services")
        self.what = "changes to this meal service"
        self.day = line("Day of the meal services", "MM/DD/YYYY", show_date(today()))
        self.day.setMaximumWidth(120)
        self.show_button = _button("S&how", "Show the meal services of this day")
        self.service = combo("Meal service")
        fill(self.service, [SERVICE_NAMES[s] for s in SERVICES], data=list(SERVICES))
        self.runs = QCheckBox("This service &runs that day")
        self.runs.setAccessibleName("This service runs that day")
        self.starts = line("Service starts at", "e.g. 10:30")
        self.ends = line("Service ends at", "e.g. 13:30")
        for w in (self.starts, self.ends):
            w.setMaximumWidth(120)
        self.items = checklist("Items this service offers (Space ticks)", [])
        self.save_button = _button("&Save meal service", "Save this meal service")
        self.copy_button = _button("Cop&y this week to the next", "Copy this week's meal services to the next week")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.days: list = []  # ServiceDay rows of the day shown
        self.menu: list = []  # the site's menu items
        self.codes: list[str] = []  # the checklist's codes, in its order
        self.shown_day: date | None = None
        self._last_service = 0
        self._asked = 0
        top = QHBoxLayout()
        for w in (QLabel("Day"), self.day, self.show_button, QLabel("Service"), self.service):
            top.addWidget(w)
        top.addStretch(1)
        box = QGroupBox("Service")
        form(box, [(None, self.runs), ("Starts", self.starts), ("Ends", self.ends), ("Items offered", self.items)])
        v = QVBoxLayout(self)
        v.addLayout(top)
        v.addWidget(self.summary)
        v.addWidget(box, 1)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addStretch(1)
        row.addWidget(self.copy_button)
        v.addLayout(row)
        self.copy_button.clicked.connect(lambda: spawn(self.copy_week()))
        self.day.returnPressed.connect(lambda: spawn(self.load()))
        self.show_button.clicked.connect(lambda: spawn(self.load()))
        self.service.currentIndexChanged.connect(self._service_chosen)
        self.save_button.clicked.connect(lambda: spawn(self.save()))
        self.mark_saved()

    def values(self) -> tuple:
        return (self.runs.isChecked(), self.starts.text().strip(), self.ends.text().strip(), checked(self.items))

    def _parse_day(self) -> date | None:
        try:
            return parse_date(self.day.text(), "Day")
        except UserError as err:
            self.say(err.message)
            return None

    async def load(self) -> int:
        day = self._parse_day()
        if day is None or not self.may_move_on():
            return 0
        self._asked += 1
        mine = self._asked  # a later Show (another day typed) wins over this one still under way
        days = await self._call(self.port().meal_services, day)
        if days is FAILED:
            return 0
        menu = await self._call(self.port().menu_items)
        if menu is FAILED or mine != self._asked:
            return 0
        self.days, self.menu, self.shown_day = days, [m for m in menu if m.is_active], day
        running = [SERVICE_NAMES[d.service] for d in days if d.runs]
        self.summary.setText(f"{show_date(day)}: " + (", ".join(running) + " run." if running else
                                                       "no meal service runs."))
        self.show_service()
        return len(running)

    def _service_chosen(self, index: int) -> None:
        if index == self._last_service:
            return
        if not self.may_move_on():
            self.service.blockSignals(True)
            self.service.setCurrentIndex(self._last_service)
            self.service.blockSignals(False)
            return
        self.show_service()

    def show_service(self) -> None:
        self._last_service = self.service.currentIndex()
        key = self.service.currentData()
        d = next((x for x in self.days if x.service == key), None)
        offered = [m for m in self.menu if m.meal_service in (None, key)]
        self.codes = [m.code for m in offered]
        fill_checklist(self.items, [f"{_key(m.fkey) or '—'}  {m.name} ({m.code})" for m in offered])
        runs = bool(d and d.runs)
        self.runs.setChecked(runs)
        self.starts.setText(d.starts_at.strftime("%H:%M") if runs and d.starts_at else "")
        self.ends.setText(d.ends_at.strftime("%H:%M") if runs and d.ends_at else "")
        wanted = set(d.item_codes) if runs and d.item_codes else set(self.codes) if runs else set()
        set_checked(self.items, [self.items.item(n).text() for n, c in enumerate(self.codes) if c in wanted])
        self.mark_saved()

    async def save(self) -> bool:
        if self.shown_day is None:
            self.say("Show a day's meal services first (type the day, then Enter).")
            return False
        runs, starts, ends, ticked = self.values()
        texts = [self.items.item(n).text() for n in range(self.items.count())]
        codes = tuple(self.codes[texts.index(t)] for t in ticked)
        if runs and not codes:
            self.say("Tick at least one item this service offers, or untick \"This service runs that day\".")
            return False
        key = self.service.currentData()
        if await self._call(self.port().save_meal_service, self.shown_day, key, runs, starts, ends, codes,
                            disable=(self.save_button,)) is FAILED:
            return False
        self.mark_saved()
        name = SERVICE_NAMES[key]
        self.say(f"{name} on {show_date(self.shown_day)} is saved" + (f" with {len(codes)} items." if runs else
                                                                       ": it does not run that day."))
        await self.load()
        return True

    async def save_unsaved(self) -> bool:
        return await self.save()

    def discard_unsaved(self) -> None:
        self.show_service()

    async def copy_week(self) -> bool:
        """Plan next week from the week of the day shown: one confirmation (Cancel is the default), one
        transaction; refused with one sentence when next week already has meal services (never merged)."""
        day = self._parse_day()
        if day is None or not self.may_move_on():
            return False
        src = day - timedelta(days=day.weekday())
        dst = src + timedelta(days=7)
        if not await confirm(self, "Copy a week of meal services",
                             f"Copy every meal service of the week of {show_date(src)} (which run, their hours and "
                             f"items) to the week of {show_date(dst)}? Nothing is copied if that week already has "
                             "meal services.", "Copy"):
            return False
        n = await self._call(self.port().copy_meal_week, src, dst, disable=(self.copy_button,))
        if n is FAILED:
            return False
        self.day.setText(show_date(dst))
        await self.load()
        self.say(f"{n} meal service{'s' if n != 1 else ''} of the week of {show_date(src)} copied to the week of "
                 f"{show_date(dst)}.")
        return True


# -- the site's settings ----------------------------------------------------------------------------------
class SiteSettingsTab(_Section):
    def __init__(self, port, say) -> None:
        super().__init__(port, say)
        self.setAccessibleName("Site settings")
        self.what = "changes to the site's settings"
        self.display = combo("When the register shows a student's balance")
        fill(self.display, [t for _, t in DISPLAYS], data=[k for k, _ in DISPLAYS])
        self.alternate = combo("Alternate meal past the charge limit")
        self.cep = QLabel("")
        self.cep.setWordWrap(True)
        for w in (self.display, self.alternate):
            w.setMaximumWidth(460)
        self.save_button = _button("&Save settings", "Save the site's settings")
        box = QGroupBox("This site's register")
        form(box, [("Show the balance", self.display), ("Alternate meal", self.alternate), (None, self.cep)])
        v = QVBoxLayout(self)
        v.addWidget(box)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addStretch(1)
        v.addLayout(row)
        v.addStretch(1)
        self.save_button.clicked.connect(lambda: spawn(self.save()))
        self.loaded: B.SiteSettings | None = None
        self.mark_saved()

    def values(self) -> tuple:
        return (self.display.currentData(), self.alternate.currentData())

    async def load(self) -> bool:
        s = await self._call(self.port().site_settings)
        menu = await self._call(self.port().menu_items) if s is not FAILED else FAILED
        if menu is FAILED:
            return False
        meals = [m for m in menu if m.is_active and m.category == "meal"]
        fill(self.alternate, ["None: a supervisor decides"] + [m.name for m in meals],
             data=[None] + [m.item_id for m in meals])
        self.loaded = s
        self.discard_unsaved()
        self.cep.setText("Community Eligibility site: reimbursable meals are free for every student." if s.cep else
                         "Meals are priced by each student's price group; the screen never shows the group.")
        return True

    def discard_unsaved(self) -> None:
        s = self.loaded
        if s is None:
            return
        self.display.setCurrentIndex(max(0, self.display.findData(s.balance_display)))
        self.alternate.setCurrentIndex(max(0, self.alternate.findData(s.alternate_item_id)))
        self.mark_saved()

    async def save(self) -> bool:
        display, alternate = self.values()
        if await self._call(self.port().save_site_settings, display, alternate, disable=(self.save_button,)) \
                is FAILED:
            return False
        self.mark_saved()
        self.say("The site's settings are saved; the registers use them with their next snapshot.")
        return await self.load()

    async def save_unsaved(self) -> bool:
        return await self.save()

