"""The published JSON Schema of an item's form says what the server validator does: same accept / refuse."""

from datetime import date

from hypothesis import HealthCheck, given, settings, strategies as st
from jsonschema import Draft202012Validator

from core.exceptions import ValidationFailed
from service_requests.variables import (OPS_BY_TYPE, Condition, Variable, is_shown, json_schema, validate,
                                        validate_definitions)

RICH = [
    Variable("reason", "textarea", "Reason", required=True, min_length=3, max_length=40, help_text="Why", order=1),
    Variable("asset_tag", "text", "Asset tag", regex=r"^[A-Z]{2}\d{2}$", order=2),
    Variable("nickname", "text", "Nickname", max_length=8, order=3),
    Variable("count", "number", "How many", min_value="1", max_value="10", order=4),
    Variable("start", "date", "Start date", min_value="2026-01-15", max_value="2026-11-20", order=5),
    Variable("os", "choice", "Operating system", choices=(("linux", "Linux"), ("windows", "Windows")), order=6),
    Variable("extras", "multi_choice", "Extras", required=True, choices=(("bag", "Bag"), ("mouse", "Mouse")), order=7),
    Variable("needs_monitor", "checkbox", "Needs a monitor", default=False, order=8),
    Variable("monitor_size", "number", "Monitor size", required=True, order=9,
             show_when=(Condition("needs_monitor", "eq", True),)),
    Variable("distro", "choice", "Distribution", choices=(("debian", "Debian"), ("fedora", "Fedora")), order=10,
             show_when=(Condition("os", "in", ["linux"]),)),
    Variable("licence_ok", "checkbox", "I have a licence", required=True, order=11,
             show_when=(Condition("os", "ne", "linux"), Condition("count", "is_set"))),
    Variable("mouse_hand", "choice", "Mouse for", choices=(("left", "Left"), ("right", "Right")), order=12,
             show_when=(Condition("extras", "in", ["mouse"]),)),
    Variable("manager", "user", "Manager", order=13),
    Variable("photo", "attachment", "Photo", order=14),
    Variable("agreed", "checkbox", "Agreed", order=15, show_when=(Condition("start", "is_set"),)),
]
SCHEMA = json_schema(RICH, title="Laptop")
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 40) | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=2),
    max_leaves=4)
dates = st.dates(date(2025, 12, 1), date(2027, 1, 31)).map(date.isoformat)
# Mostly valid answers (edges included), so that both accepting and refusing are exercised.
plausible = {
    "reason": st.text(min_size=2, max_size=41),
    "asset_tag": st.sampled_from(["AB12", "XY99", "CD34", "ab12", "AB123", "AB12\n"]),
    "nickname": st.text(max_size=9),
    "count": st.integers(0, 11) | st.integers(1, 10) | st.floats(0.5, 10.5, allow_nan=False),
    "start": dates | st.dates(date(2026, 1, 15), date(2026, 11, 20)).map(date.isoformat)
    | st.sampled_from(["2026-02-30", "2026-1-05", "20260301"]),
    "os": st.sampled_from(["linux", "windows", "linux", "windows", "mac"]),
    "extras": st.lists(st.sampled_from(["bag", "mouse"]), min_size=1, max_size=2, unique=True)
    | st.lists(st.sampled_from(["bag", "mouse", "cable"]), max_size=2),
    "needs_monitor": st.booleans(),
    "monitor_size": st.integers(15, 40),
    "distro": st.sampled_from(["debian", "fedora", "debian", "arch"]),
    "licence_ok": st.booleans() | st.just(True),
    "mouse_hand": st.sampled_from(["left", "right"]),
    "manager": st.integers(0, 3) | st.sampled_from(["boss@example.test", "boss", "a@b", 2.0, 1]),
    "photo": st.just("photo.png"),
    "agreed": st.booleans(),
}
OPTIONAL = [name for name in plausible if name not in ("reason", "extras")]
answers = st.fixed_dictionaries({"reason": plausible["reason"], "extras": plausible["extras"]},
                                optional={name: plausible[name] for name in OPTIONAL if name != "photo"})
# Then, now and again, one answer replaced by any JSON value (or an unknown variable added, or one removed).
corruptions = st.none() | st.none() | st.tuples(st.sampled_from([*plausible, "unknown"]), json_values | st.just(KeyError))


@st.composite
def submissions(draw):
    submitted = dict(draw(answers))
    # Mostly, leave out what the answers hide and fill in what they make required, as a form would.
    for variable in RICH:
        if variable.show_when and draw(st.integers(0, 4)):
            if not is_shown(variable, submitted):
                submitted.pop(variable.name, None)
            elif variable.required and variable.name not in submitted:
                submitted[variable.name] = draw(plausible[variable.name])
    corruption = draw(corruptions)
    if corruption is not None:
        name, value = corruption
        if value is KeyError:
            submitted.pop(name, None)
        else:
            submitted[name] = value
    return submitted


def server_accepts(submitted) -> bool:
    try:
        validate(RICH, submitted)
    except ValidationFailed:
        return False
    return True


def test_the_schema_is_a_valid_draft_2020_12_schema():
    validate_definitions(RICH)
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["additionalProperties"] is False
    assert SCHEMA["required"] == ["reason", "extras"]
    assert SCHEMA["properties"]["start"]["anyOf"][1]["format"] == "date"
    assert SCHEMA["properties"]["reason"]["title"] == "Reason" and SCHEMA["properties"]["reason"]["description"] == "Why"
    assert SCHEMA["properties"]["os"]["anyOf"][1]["oneOf"][0] == {"const": "linux", "title": "Linux"}
    monitor = next(rule for rule in SCHEMA["allOf"] if rule["then"] == {"required": ["monitor_size"]})
    assert monitor["else"] == {"not": {"required": ["monitor_size"]}}


def test_examples_agree():
    good = {"reason": "New starter", "extras": ["mouse"], "mouse_hand": "left", "needs_monitor": True,
            "monitor_size": 27, "start": "2026-01-15", "os": "linux", "distro": "debian"}
    assert server_accepts(good) and VALIDATOR.is_valid(good)
    without_distro = {k: v for k, v in good.items() if k != "distro"}
    for bad in ({**good, "monitor_size": None}, {**good, "needs_monitor": False}, {**good, "start": "2026-11-21"},
                {**good, "os": "windows"}, {**without_distro, "os": "windows", "count": 2},
                {**good, "photo": "x.png"}, {**good, "nickname": "two\nlines"}):
        assert not server_accepts(bad) and not VALIDATOR.is_valid(bad), bad
    # Shown once the other OS is chosen and a count given: the licence box must then be ticked.
    licensed = {**without_distro, "os": "windows", "count": 2, "licence_ok": True}
    assert server_accepts(licensed) and VALIDATOR.is_valid(licensed)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_server_and_schema_agree_on_random_submissions(submitted):
    assert server_accepts(submitted) == VALIDATOR.is_valid(submitted), (
        submitted, [error.message for error in VALIDATOR.iter_errors(submitted)])


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({"reason": st.text(min_size=3, max_size=40), "extras": st.just(["bag"])},
                             optional={"start": dates, "count": st.integers(-1, 12), "os": st.sampled_from(["linux", "windows"])}))
def test_they_agree_near_the_bounds(submitted):
    assert server_accepts(submitted) == VALIDATOR.is_valid(submitted), submitted


# -- random forms ----------------------------------------------------------------------------------

KINDS = ["text", "textarea", "number", "date", "choice", "multi_choice", "checkbox", "user"]
OPTIONS = (("a", "A"), ("b", "B"), ("c", "C"))
VALUES_OF = {
    "text": st.sampled_from(["", "x", "abc", "abcdef", "a\nb", "AB12"]),
    "textarea": st.sampled_from(["", "x", "abc", "line\nbreak", "abcdefgh"]),
    "number": st.integers(-2, 12) | st.sampled_from([0.5, 5.0, "5"]),
    "date": st.dates(date(2025, 12, 25), date(2026, 1, 10)).map(date.isoformat) | st.just("2026-02-30"),
    "choice": st.sampled_from(["a", "b", "c", "z", ""]),
    "multi_choice": st.lists(st.sampled_from(["a", "b", "c", "z"]), max_size=3),
    "checkbox": st.booleans(),
    "user": st.sampled_from([1, 0, "x@y", "nobody", 2.0]),
}


@st.composite
def variable_of(draw, index, earlier):
    kind = draw(st.sampled_from(KINDS))
    fields = {"required": draw(st.booleans()), "order": index}
    if kind in ("choice", "multi_choice"):
        fields["choices"] = OPTIONS
    if kind in ("text", "textarea"):
        fields["min_length"] = draw(st.none() | st.integers(0, 3))
        fields["max_length"] = draw(st.none() | st.integers(4, 6))
        fields["regex"] = draw(st.sampled_from(["", "^[a-z]+$", "b"]))
    if kind == "number":
        fields["min_value"] = draw(st.none() | st.sampled_from(["0", "1.5"]))
        fields["max_value"] = draw(st.none() | st.sampled_from(["5", "10"]))
    if kind == "date":
        fields["min_value"] = draw(st.none() | st.just("2025-12-31"))
        fields["max_value"] = draw(st.none() | st.just("2026-01-05"))
    conditions = []
    usable = [v for v in earlier if v.type in ("text", "number", "choice", "multi_choice", "checkbox", "date")]
    if usable and draw(st.booleans()):
        controller = draw(st.sampled_from(usable))
        op = draw(st.sampled_from(sorted(OPS_BY_TYPE[controller.type])))
        value = None
        if op in ("eq", "ne"):
            value = {"text": "abc", "number": 5, "choice": "a", "checkbox": True, "date": "2026-01-01"}[controller.type]
        elif op == "in":
            value = {"text": ["abc", "x"], "number": [1, 5], "choice": ["a", "b"], "multi_choice": ["a"]}[
                controller.type]
        conditions.append(Condition(controller.name, op, value))
    return Variable(f"v{index}", kind, f"Question {index}", show_when=tuple(conditions), **fields)


@st.composite
def form_and_answers(draw):
    form = []
    for index in range(draw(st.integers(1, 5))):
        form.append(draw(variable_of(index, form)))
    answers = {}
    for variable in form:
        if draw(st.integers(0, 2)):
            answers[variable.name] = draw(VALUES_OF[variable.type] | st.none())
    if not draw(st.integers(0, 5)):
        answers[draw(st.sampled_from(["other", "v9"]))] = draw(json_values)
    return form, answers


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_and_answers())
def test_server_and_schema_agree_on_random_forms(case):
    form, answers = case
    validate_definitions(form)  # the strategy makes only forms a tenant admin could save
    schema = json_schema(form)
    Draft202012Validator.check_schema(schema)
    try:
        validate(form, answers)
        accepted = True
    except ValidationFailed:
        accepted = False
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert accepted == validator.is_valid(answers), (form, answers, [e.message for e in validator.iter_errors(answers)])
