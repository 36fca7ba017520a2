"""The student at the register: photo, name, grade, balance (per the site's policy), allergy and
diet alerts in red, and how many of the student's sales have not reached the server yet.

The same card for every student: nothing on it tells free, reduced or paid apart."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.cafeteria_rules import is_low_balance
from app.domain.pos_entry import money
from ui.screens.cafeteria.backend import BALANCE_ALWAYS, BALANCE_ON_REQUEST, StudentCard
from ui.text import plural

PHOTO_W, PHOTO_H = 100, 120
INK, LOW = "#1b2733", "#7a4a00"  # LOW: the profile's low-balance badge colour, 7.5:1 on white


def initials(name: str) -> str:
    return "".join(p[0] for p in name.split()[:2] if p).upper()


def photo_label(photo: bytes | None, name: str, w: int = PHOTO_W, h: int = PHOTO_H, label: QLabel | None = None) -> QLabel:
    """The student's photo, or their initials on grey when there is none."""
    label = label or QLabel()
    label.setObjectName("photo")
    label.setFixedSize(w, h)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    pix = QPixmap()
    if photo and pix.loadFromData(photo):
        label.setPixmap(pix.scaled(w, h, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation))
        label.setAccessibleName(f"Photo of {name}")
    else:
        label.setPixmap(QPixmap())
        label.setText(initials(name) if name else "")
        label.setStyleSheet("font-size: 28pt; color: #4a5763; background: #e3e8ee;")
        label.setAccessibleName(f"No photo of {name}" if name else "No student")
    return label


def balance_words(amount, threshold) -> str:
    """"Balance $3.10", and "  ·  low, under $5.00" after it when it is under the district's low-balance line."""
    return f"Balance {money(amount)}" + (f"  ·  low, under {money(threshold)}" if is_low_balance(amount, threshold)
                                         else "")


class StudentCardView(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("studentCard")
        self.setAccessibleName("Student card")
        self.setStyleSheet("QFrame#studentCard { background: #ffffff; border: 1px solid #c9d1da; border-radius: 8px; }")
        self.card: StudentCard | None = None
        self.photo = photo_label(None, "")
        self.name = QLabel("Scan a card, or type a student id")
        self.name.setObjectName("cardName")
        self.name.setStyleSheet("font-size: 18pt; font-weight: 600; color: #1b2733;")
        self.name.setAccessibleName("Student name")
        self.name.setWordWrap(True)
        self.grade = QLabel("")
        self.grade.setAccessibleName("Grade")
        self.grade.setStyleSheet("font-size: 12pt; color: #33414e;")
        self.balance = QLabel("")
        self.balance.setAccessibleName("Balance")
        self.balance.setStyleSheet("font-size: 15pt; color: #1b2733;")
        self.show_balance = QPushButton("Show &balance")
        self.show_balance.setAccessibleName("Show the balance")
        self.show_balance.setVisible(False)
        self.unsynced = QLabel("")
        self.unsynced.setAccessibleName("Sales not yet synced")
        self.unsynced.setStyleSheet("color: #7a4b00;")
        self.alerts = QLabel("")
        self.alerts.setObjectName("cardAlerts")
        self.alerts.setAccessibleName("Allergy and diet alerts")
        self.alerts.setWordWrap(True)
        self.alerts.setStyleSheet("background: #9b1c1c; color: #ffffff; font-size: 13pt; font-weight: 600; "
                                  "padding: 6px 10px; border-radius: 4px;")
        self.alerts.setVisible(False)
        grid = QGridLayout(self)
        grid.setContentsMargins(12, 12, 12, 12)
        grid.addWidget(self.photo, 0, 0, 4, 1, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        for w in (self.name, self.grade, self.balance, self.show_balance, self.unsynced):
            text.addWidget(w, 0, Qt.AlignmentFlag.AlignLeft)
        text.addStretch(1)
        grid.addLayout(text, 0, 1, 4, 1)
        grid.addWidget(self.alerts, 4, 0, 1, 2)
        grid.setColumnStretch(1, 1)

    def show_card(self, card: StudentCard | None, balance_display: str) -> None:
        self.card = card
        if card is None:
            photo_label(None, "", label=self.photo)
            self.name.setText("Scan a card, or type a student id")
            for w in (self.grade, self.unsynced):
                w.setText("")
            self._show_balance(None)  # (and the last student's "low" goes with it, for a screen reader too)
            self.alerts.setVisible(False)
            self.show_balance.setVisible(False)
            return
        photo_label(card.photo, card.name, label=self.photo)
        self.name.setText(card.name)
        grade = f"Grade {card.grade}" if card.grade and card.grade[0].isdigit() else card.grade
        self.grade.setText(grade + (f" · visiting from {card.visiting_school}" if card.visiting_school else ""))
        self._show_balance(card.balance if balance_display == BALANCE_ALWAYS else None)
        self.show_balance.setVisible(balance_display == BALANCE_ON_REQUEST)
        self.unsynced.setText(f"{plural(card.unsynced_sales, 'sale')} not yet synced" if card.unsynced_sales else "")
        self.alerts.setText("⚠  " + " · ".join(a.label for a in card.alerts))
        self.alerts.setVisible(bool(card.alerts))

    def reveal_balance(self, amount) -> None:
        self._show_balance(amount)
        self.show_balance.setVisible(False)

    def _show_balance(self, amount) -> None:
        """The balance, and under the district's low-balance line the word "low" too (not the colour alone), so
        the cashier can remind the student to bring money; nothing is said when the balance is not shown."""
        threshold = self.card.low_balance_threshold if self.card is not None else None
        low = is_low_balance(amount, threshold)
        self.balance.setText("" if amount is None else balance_words(amount, threshold))
        self.balance.setStyleSheet(f"font-size: 15pt; color: {LOW if low else INK};" + (" font-weight: 600;" if low
                                                                                         else ""))
        self.balance.setAccessibleName("Balance, low" if low else "Balance")
