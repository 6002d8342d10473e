"""The body map drawn as SVG from region codes: a picker on the intake, filled in on review.

Front view shows the patient's right on the viewer's left; the back view the other way round.
Shapes are kept simple on purpose: they locate a region, they are not anatomy."""
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..clinical import body_regions
from ..clinical.body_regions import regions

# (code without side, views, kind, x, y, w or r, h): x is measured towards the patient's left
# from the midline; sided regions are mirrored.
SHAPES = (
    ("head_front", "F", "ellipse", 0, 32, 22, 26),
    ("head_back", "B", "ellipse", 0, 32, 22, 26),
    ("temple", "F", "circle", 19, 26, 6, 0),
    ("jaw", "F", "ellipse", 11, 53, 9, 6),
    ("neck", "FB", "rect", -10, 60, 20, 14),
    ("shoulder_girdle", "FB", "rect", 12, 74, 34, 14),
    ("chest", "F", "rect", -30, 90, 60, 42),
    ("abdomen", "F", "rect", -28, 134, 56, 42),
    ("upper_back", "B", "rect", -30, 90, 60, 46),
    ("lower_back", "B", "rect", -28, 138, 56, 38),
    ("upper_arm", "FB", "rect", 36, 90, 14, 58),
    ("elbow", "FB", "circle", 44, 156, 8, 0),
    ("lower_arm", "FB", "rect", 40, 166, 13, 48),
    ("hand_wrist", "FB", "ellipse", 48, 228, 8, 13),
    ("hip", "FB", "rect", 4, 178, 26, 26),
    ("upper_leg", "FB", "rect", 5, 206, 23, 64),
    ("knee", "F", "circle", 16, 282, 10, 0),
    ("lower_leg", "FB", "rect", 7, 294, 18, 64),
    ("foot_ankle", "FB", "ellipse", 16, 372, 12, 10),
)
VIEWS = (("F", "Front", 110), ("B", "Back", 330))


def _shape(kind, x, y, a, b, cls, code, label):
    title = f"<title>{escape(label)}</title>"
    attrs = f'class="{cls}" data-region="{code}"'
    if kind == "rect":
        return f'<rect {attrs} x="{x}" y="{y}" width="{a}" height="{b}" rx="5">{title}</rect>'
    if kind == "circle":
        return f'<circle {attrs} cx="{x}" cy="{y}" r="{a}">{title}</circle>'
    return f'<ellipse {attrs} cx="{x}" cy="{y}" rx="{a}" ry="{b}">{title}</ellipse>'


def _view(view: str, selected: set, bases=None, patient: bool = False) -> list[str]:
    """One view's region shapes around its midline (only `bases`, when given), each titled in
    the patient's words on the patient's pages (`patient`)."""
    table, parts = regions(), []
    name = body_regions.patient_label if patient else body_regions.label
    for base, views, kind, x, y, a, b in SHAPES:
        if view not in views or (bases is not None and base not in bases):
            continue
        sided = [(base, 0)] if base in table else [(f"{base}_l", 1), (f"{base}_r", -1)]
        for code, sign in sided:
            if code not in table:
                continue
            mirror = sign * (1 if view == "F" else -1)
            if kind == "rect":
                sx = x if sign == 0 else (x if mirror > 0 else -x - a)
            else:
                sx = x if sign == 0 else x * mirror
            cls = "region on" if code in selected else "region"
            parts.append(_shape(kind, sx, y, a, b, cls, code, name(code)))
    return parts


def _labelled_view(view: str, name: str, centre: int, selected: set,
                   patient: bool = False) -> list[str]:
    """One view placed at `centre`, named below and marked with the patient's own left and right
    (the group is left open for the caller's extras)."""
    # Where the patient's own left and right are in this view.
    left_x = 62 if view == "F" else -62
    return [f'<g transform="translate({centre},14)"><text class="view" x="0" y="402" '
            f'text-anchor="middle">{name}</text>',
            f'<text class="side" x="{left_x}" y="20" text-anchor="middle">L</text>'
            f'<text class="side" x="{-left_x}" y="20" text-anchor="middle">R</text>',
            *_view(view, selected, patient=patient)]


def render(selected=(), caption: str = "Body map", patient: bool = False) -> Markup:
    """Both views with the selected regions filled in, as a labelled image (review pages; the
    patient's own in their words: `patient`)."""
    selected = set(selected)
    parts = []
    for view, name, centre in VIEWS:
        parts.extend(_labelled_view(view, name, centre, selected, patient))
        parts.append("</g>")
    role = f'role="img" aria-label="{escape(caption)}"'
    # Every piece of text in the drawing went through escape() above.
    svg = f'<svg class="bodymap" viewBox="0 0 440 425" {role}>{"".join(parts)}</svg>'
    return Markup(svg)  # noqa: S704


# The picker on the intake: most regions are too small to tap on a phone's whole-body drawing
# (temples 9 px at 360 px wide), so the patient taps an area of a view first, then the regions in
# that area drawn large (each at least 24 px at 360 px wide; the browser test measures them).
# (key, name in each view, region bases, tap-target outline as an SVG path, detail viewBox);
# x is measured from the midline as in SHAPES.
ZONES = (
    ("head", {"F": "face and neck", "B": "head and neck"},
     {"head_front", "head_back", "temple", "jaw", "neck"}, "M-30 2H30V74H-30Z", "-34 0 68 78"),
    ("upper", {"F": "shoulders, chest, belly and arms", "B": "shoulders, back and arms"},
     {"shoulder_girdle", "chest", "abdomen", "upper_back", "lower_back", "upper_arm", "elbow",
      "lower_arm", "hand_wrist"},
     "M-64 74H64V248H34V178H-34V248H-64Z", "-62 72 124 176"),
    ("legs", {"F": "hips and legs", "B": "hips and legs"},
     {"hip", "upper_leg", "knee", "lower_leg", "foot_ankle"},
     "M-33 178H33V392H-33Z", "-34 174 68 216"),
)
PICKER_CENTRES = {"F": 105, "B": 255}  # the overview's two views, cropped close (360 wide)


@dataclass(frozen=True)
class Zone:
    key: str      # "F-head": the view and the area
    title: str    # "Front: head and neck"
    svg: Markup   # the area's regions drawn large


def picker(selected=()) -> tuple[Markup, list[Zone]]:
    """The overview (both views, an outline to tap on each area) and each area's detail."""
    selected = set(selected)
    parts, zones = [], []
    for view, name, _ in VIEWS:
        centre = PICKER_CENTRES[view]
        parts.extend(_labelled_view(view, name, centre, selected, patient=True))
        for key, area, bases, outline, box in ZONES:
            zone = Zone(f"{view}-{key}", f"{name}: {area[view]}", Markup(  # noqa: S704
                f'<svg class="bodymap zoomed" viewBox="{box}" aria-hidden="true">'
                f'{"".join(_view(view, selected, bases, patient=True))}</svg>'))
            zones.append(zone)
            parts.append(f'<path class="zone" d="{outline}" data-zone="{zone.key}">'
                         f'<title>{escape(zone.title)}</title></path>')
        parts.append("</g>")
    # Every piece of text in the drawing went through escape().
    overview = Markup(  # noqa: S704
        f'<svg class="bodymap overview" viewBox="30 0 300 425" aria-hidden="true">'
        f'{"".join(parts)}</svg>')
    return overview, zones
