"""A run's stops drawn from their latitude and longitude: numbered stops joined in order and the
schools served, on a plain background. No map tiles, no network: positions only, scaled to fit."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.services.transport.routes import RunDetail

INK, ROUTE, STOP, SCHOOL = QColor("#1b2733"), QColor("#1f3a5f"), QColor("#ffffff"), QColor("#8a1c1c")


class RunSchematic(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: RunDetail | None = None
        self.setMinimumSize(260, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Schematic of the run's stops")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def show_run(self, detail: RunDetail | None) -> None:
        self.detail = detail
        if detail is None:
            self.setAccessibleDescription("No run chosen.")
        else:
            order = ", ".join(f"{s.sequence} {s.name} {s.planned_time:%H:%M}" for s in detail.stops)
            self.setAccessibleDescription(f"{detail.summary.name}: {order}; schools "
                                          f"{', '.join(x.name for x in detail.schools)}")
        self.update()

    def points(self) -> tuple[list[tuple[str, QPointF]], list[tuple[str, QPointF]]]:
        """Stops and schools in widget coordinates (equirectangular, north up, scaled to fit)."""
        d = self.detail
        if d is None:
            return [], []
        stops = [(str(s.sequence), s.latitude, s.longitude) for s in d.stops if s.latitude is not None]
        schools = [(x.name, x.latitude, x.longitude) for x in d.schools if x.latitude is not None]
        every = stops + schools
        if not every:
            return [], []
        lat0 = sum(p[1] for p in every) / len(every)
        k = math.cos(math.radians(lat0))
        xs, ys = [p[2] * k for p in every], [p[1] for p in every]
        margin = 30
        w, h = self.width() - 2 * margin, self.height() - 2 * margin
        scale = min(w / max(max(xs) - min(xs), 1e-6), h / max(max(ys) - min(ys), 1e-6))
        ox = margin + (w - (max(xs) - min(xs)) * scale) / 2
        oy = margin + (h - (max(ys) - min(ys)) * scale) / 2

        def at(lat, lon) -> QPointF:
            return QPointF(ox + (lon * k - min(xs)) * scale, oy + (max(ys) - lat) * scale)
        return [(n, at(la, lo)) for n, la, lo in stops], [(n, at(la, lo)) for n, la, lo in schools]

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#f4f6f8"))
        stops, schools = self.points()
        if not stops and not schools:
            p.setPen(INK)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Choose a run to see its stops")
            return
        path = [pt for _n, pt in stops]
        if self.detail and self.detail.summary.direction == "to_school" and schools:
            path = path + [schools[0][1]]
        elif schools:
            path = [schools[0][1]] + path
        p.setPen(QPen(ROUTE, 2.5))
        for a, b in zip(path, path[1:]):
            p.drawLine(a, b)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        font.setBold(True)
        p.setFont(font)
        for n, pt in stops:
            p.setPen(QPen(ROUTE, 2))
            p.setBrush(STOP)
            p.drawEllipse(pt, 10, 10)
            p.setPen(INK)
            p.drawText(QRectF(pt.x() - 10, pt.y() - 10, 20, 20), Qt.AlignmentFlag.AlignCenter, n)
        for name, pt in schools:
            p.setPen(QPen(SCHOOL, 2))
            p.setBrush(SCHOOL)
            p.drawRect(QRectF(pt.x() - 7, pt.y() - 7, 14, 14))
            # the label on the side away from the stops, on a plate so a stop never hides it
            width = p.fontMetrics().horizontalAdvance(name) + 8
            right = not stops or pt.x() >= sum(q.x() for _n, q in stops) / len(stops)
            x = pt.x() + 10 if right else pt.x() - 10 - width
            x = min(max(x, 2), self.width() - width - 2)
            plate = QRectF(x, pt.y() + 9, width, p.fontMetrics().height() + 2)
            p.setPen(QPen(SCHOOL, 1))
            p.setBrush(QColor("#ffffff"))
            p.drawRect(plate)
            p.setPen(INK)
            p.drawText(plate, Qt.AlignmentFlag.AlignCenter, name)
        p.end()
