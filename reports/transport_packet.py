"""The driver's packet of a run, the substitute driver's version with turn notes, and the
emergency "who is on this bus" list, built from a run roster (app.services.transport.lists).

Each rider shows a photo (the initials when no photo is on file), grade and school, and only the
flags a driver may see: RELEASE TO ADULT, allergy alerts and emergency action plans. Health notes
never reach these pages: the database does not let the bus desk read them.
"""

from __future__ import annotations

from datetime import date

from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from reports.base import ACCENT, FONT, FONT_BOLD, MUTED, RULE, printed_on, render, styles

ALERT = colors.HexColor("#a3141b")  # dark red: 7.6:1 on white
PHOTO = 0.55 * inch


class PhotoBox(Flowable):
    """The rider's photo, or a frame with their initials so the driver still sees who to expect."""

    def __init__(self, name: str, image: bytes | None = None) -> None:
        super().__init__()
        self.name, self.image = name, image
        self.width = self.height = PHOTO

    def draw(self) -> None:
        c = self.canv
        if self.image:
            from io import BytesIO

            from reportlab.lib.utils import ImageReader

            try:
                c.drawImage(ImageReader(BytesIO(self.image)), 0, 0, PHOTO, PHOTO, preserveAspectRatio=True)
                return
            except Exception:  # not an image after all: the initials instead
                pass
        c.setFillColor(colors.HexColor("#e3e8ee"))
        c.setStrokeColor(RULE)
        c.rect(0, 0, PHOTO, PHOTO, fill=1)
        last, _, first = self.name.partition(", ")
        c.setFillColor(MUTED)
        c.setFont(FONT_BOLD, 13)
        c.drawCentredString(PHOTO / 2, PHOTO / 2 - 5, (first[:1] + last[:1]).upper())


def _flags(r, st) -> str:
    out = []
    if r.release_to_adult:
        out.append(f'<font color="{ALERT.hexval()}"><b>RELEASE TO DESIGNATED ADULT ONLY</b></font>')
    if r.alerts:
        out.append(f'<font color="{ALERT.hexval()}"><b>ALERT:</b> {r.alerts}</font>')
    if r.wheelchair:
        out.append("<b>Wheelchair position</b>")
    if r.equipment:
        out.append("Needs: " + ", ".join(r.equipment))
    if r.alternate_address:
        out.append(f"Today's address: {r.alternate_address}")
    if r.change_note:
        out.append(f"<b>On this bus today only:</b> {r.change_note}")
    return "<br/>".join(out)


def _time(t) -> str:
    return f"{t:%H:%M}" if t is not None else "—"


def _grid(data, widths, header: bool = True) -> Table:
    t = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    style = [("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 9.5), ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]
    if header:
        style += [("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT), ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD)]
    t.setStyle(TableStyle(style))
    return t


def _heading(roster, what: str, st) -> list:
    s = roster.run.summary
    bus = roster.run.bus
    schools = "; ".join(f"{x.name}: bell {_time(x.bell_time)}, bus {'arrives' if s.direction == 'to_school' else 'leaves'} "
                        f"{_time(x.school_time)}" for x in roster.run.schools)
    crew = f"Driver {s.driver or '—'}" + (f" · Aide {s.aide}" if s.aide else "")
    flagged = sum(1 for r in roster.riders if r.release_to_adult)
    alerts = sum(1 for r in roster.riders if r.alerts)
    return [
        Paragraph(f"{what} — {s.name}", styles()["title"]),
        Paragraph(f"{roster.day:%A, %B} {roster.day.day}, {roster.day:%Y} · Bus {bus.number if bus else '—'} · {crew}",
                  st["body"]),
        Paragraph(schools or "No school on this run yet.", st["small"]),
        Paragraph(f"<b>{len(roster.riders)} riders</b> · {flagged} released to a designated adult only · "
                  f"{alerts} with medical alerts · {len(roster.not_riding)} away today by a parent's note", st["body"]),
        Spacer(1, 8),
    ]


def _stops(roster, substitute: bool, st) -> list:
    story = [Paragraph("Stops in order", st["heading"])]
    for stop in roster.run.stops:
        here = roster.at_stop(stop.stop_id)
        head = [Paragraph(f"<b>{stop.sequence}. {stop.name}</b> — {_time(stop.planned_time)}"
                          f" · {len(here)} {'rider' if len(here) == 1 else 'riders'}", st["body"])]
        if substitute and stop.turn_notes:
            head.append(Paragraph(f"<b>Turn notes:</b> {stop.turn_notes}", st["cell"]))
        if stop.address:
            head.append(Paragraph(stop.address, st["small"]))
        rows = [[PhotoBox(r.name, r.photo), Paragraph(f"<b>{r.name}</b><br/>{r.grade or ''} · {r.school or ''}", st["cell"]),
                 Paragraph(_flags(r, st), st["cell"]) if (r.release_to_adult or r.alerts or r.wheelchair or r.equipment
                                                          or r.alternate_address or r.change_note) else ""]
                for r in here]
        # A stop's heading never ends a page alone; its riders may run on (wrapping a long stop
        # in KeepTogether makes reportlab lay it out again and again).
        story += [CondPageBreak(1.6 * inch)] + head
        story += ([_grid(rows, [0.7 * inch, 2.4 * inch, 3.9 * inch], header=False)] if rows else
                  [Paragraph("No riders at this stop today.", st["small"])])
        story.append(Spacer(1, 6))
    extra = [r for r in roster.riders if r.stop_sequence is None]
    if extra:
        story.append(Paragraph("Riders at a stop not on this run (check with the office)", st["heading"]))
        story.append(_grid([[PhotoBox(r.name, r.photo), Paragraph(f"<b>{r.name}</b> · {r.stop_name or ''}", st["cell"]),
                             Paragraph(_flags(r, st), st["cell"])] for r in extra],
                           [0.7 * inch, 2.4 * inch, 3.9 * inch], header=False))
    return story


def _action_plans(roster, st) -> list:
    if not roster.action_plans:
        return []
    story = [CondPageBreak(2 * inch), Paragraph("Emergency action plans", st["heading"])]
    for p in roster.action_plans:
        story.append(KeepTogether([
            Paragraph(f'<font color="{ALERT.hexval()}"><b>{p.student}</b> — {p.plan_type}: {p.condition}</font>',
                      st["body"]),
            Paragraph(f"<b>Signs:</b> {p.signs}", st["cell"]),
            Paragraph(f"<b>What to do:</b> {p.actions}", st["cell"]),
            Paragraph(f"<b>Emergency medication:</b> {p.medications}", st["cell"]) if p.medications else Spacer(1, 0),
            Spacer(1, 6)]))
    return story


def _alphabetical(riders, st, title: str) -> list:
    data = [[Paragraph(h, st["cell_bold"]) for h in ("Rider", "Grade", "Stop", "Time", "Flags")]]
    for r in riders:
        stop = f"{r.stop_sequence}. {r.stop_name}" if r.stop_sequence else (r.stop_name or "—")
        flags = _flags(r, st)
        # plain strings where nothing wraps: a Paragraph per cell is most of a packet's build time
        data.append([r.name[:30], r.grade or "", Paragraph(stop, st["cell"]), _time(r.planned_time),
                     Paragraph(flags, st["cell"]) if flags else ""])
    return [Paragraph(title, st["heading"]),
            _grid(data, [1.6 * inch, 0.95 * inch, 1.75 * inch, 0.55 * inch, 2.15 * inch])]


def build_packet(roster, *, substitute: bool = False, district: str = "Riverbend ISD",
                 today: date | None = None) -> bytes:
    """The driver's packet (substitute=True: with turn notes at each stop)."""
    st = styles()
    what = "Substitute driver's packet" if substitute else "Driver packet"
    story = _heading(roster, what, st) + _stops(roster, substitute, st) + _action_plans(roster, st)
    story += [PageBreak()] + _alphabetical(roster.alphabetical, st, "Alphabetical roster")
    if roster.not_riding:
        story += [Spacer(1, 8), Paragraph("Not riding today (parent's note)", st["heading"])]
        story += [Paragraph(f"{n.name} — usually at {n.stop_name or '—'}: {n.note}", st["cell"]) for n in roster.not_riding]
    s = roster.run.summary
    return render(story, title=f"{what} {s.name} {roster.day:%Y-%m-%d}", header=f"{district} · Transportation · {s.name}",
                  footer=printed_on(today or date.today()))


def build_emergency_list(roster, *, district: str = "Riverbend ISD", today: date | None = None) -> bytes:
    """Who is on this bus on this day, alphabetically, with the day's temporary changes."""
    st = styles()
    story = _heading(roster, "Who is on this bus", st)
    story += _alphabetical(roster.alphabetical, st, f"Riders on {roster.day:%m/%d/%Y} ({len(roster.riders)})")
    story += [Spacer(1, 8), Paragraph("Not on the bus today (parent's note)", st["heading"])]
    story += ([Paragraph(f"{n.name} — usually at {n.stop_name or '—'}: {n.note}", st["cell"]) for n in roster.not_riding]
              or [Paragraph("Everyone on the plan rides today.", st["small"])])
    s = roster.run.summary
    return render(story, title=f"Who is on {s.name} {roster.day:%Y-%m-%d}",
                  header=f"{district} · Transportation · emergency list", footer=printed_on(today or date.today()))
