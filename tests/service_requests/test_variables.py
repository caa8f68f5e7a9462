"""The one server-side validator of a catalogue item's form, and the checks of a definition."""

import pytest

from core.exceptions import ValidationFailed
from service_requests.variables import Condition, Variable, definition_errors, validate, validate_definitions

FORM = [
    Variable("reason", "textarea", "Reason", required=True, min_length=5, order=1),
    Variable("asset_tag", "text", "Asset tag", regex=r"^[A-Z]{2}\d{4}$", order=2),
    Variable("count", "number", "How many", min_value="1", max_value="10", order=3),
    Variable("start", "date", "Start date", min_value="2026-01-01", max_value="2026-12-31", order=4),
    Variable("os", "choice", "Operating system", choices=(("linux", "Linux"), ("windows", "Windows")), order=5),
    Variable("extras", "multi_choice", "Extras", choices=(("bag", "Bag"), ("mouse", "Mouse")), order=6),
    Variable("needs_monitor", "checkbox", "Needs a monitor", order=7),
    Variable("monitor_size", "number", "Monitor size", required=True, order=8,
             show_when=(Condition("needs_monitor", "eq", True),)),
    Variable("manager", "user", "Manager", order=9),
    Variable("photo", "attachment", "Photo", order=10),
]


def refusal(submitted, **kwargs) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        validate(FORM, submitted, **kwargs)
    return caught.value.fields


def test_a_complete_answer_is_cleaned():
    cleaned = validate(FORM, {"reason": "New starter", "asset_tag": "AB1234", "count": 2, "start": "2026-03-01",
                              "os": "linux", "extras": ["bag"], "needs_monitor": True, "monitor_size": 27,
                              "manager": "boss@example.test"})
    assert cleaned == {"reason": "New starter", "asset_tag": "AB1234", "count": 2, "start": "2026-03-01",
                       "os": "linux", "extras": ["bag"], "needs_monitor": True, "monitor_size": 27,
                       "manager": "boss@example.test"}


def test_missing_required_and_unset_checkbox():
    assert refusal({}) == {"variables.reason": ["This field is required."]}
    assert validate(FORM, {"reason": "Because"})["needs_monitor"] is False


@pytest.mark.parametrize("name, value, message", [
    ("reason", 12, "Enter text."),
    ("reason", "abc", "Enter at least 5 characters."),
    ("asset_tag", "ab12", "Enter a value in the expected format."),
    ("asset_tag", "AB1234\nXY", "Enter a single line (no line breaks)."),
    ("count", "3", "Enter a number."),
    ("count", True, "Enter a number."),
    ("count", 11, "Enter a number of at most 10."),
    ("count", 0, "Enter a number of at least 1."),
    ("start", "01/03/2026", "Enter a date as YYYY-MM-DD."),
    ("start", "2026-02-30", "Enter a date as YYYY-MM-DD."),
    ("start", "2025-12-31", "Enter a date on or after 2026-01-01."),
    ("os", "mac", "Choose one of: linux, windows."),
    ("extras", "bag", "Choose a list of options."),
    ("extras", ["bag", "bag"], "Choose each option once."),
    ("needs_monitor", "yes", "Give true or false."),
    ("manager", "nobody", "Give a user id or an email address."),
    ("manager", 0, "Give a user id or an email address."),
])
def test_wrong_values_name_the_variable(name, value, message):
    fields = refusal({"reason": "Because", name: value})
    assert message in fields[f"variables.{name}"][0]
    assert set(fields) == {f"variables.{name}"}


def test_values_outside_the_choices_are_listed():
    fields = refusal({"reason": "Because", "extras": ["bag", "sticker"]})
    assert fields == {"variables.extras": ["Not an option: sticker. Choose from: bag, mouse."]}


def test_hidden_variable_submitted_anyway_is_refused_not_dropped():
    assert refusal({"reason": "Because", "monitor_size": 27}) == {
        "variables.monitor_size": ["Not asked for with these answers: leave it out."]}
    assert refusal({"reason": "Because", "needs_monitor": False, "monitor_size": None})["variables.monitor_size"]


def test_shown_variable_becomes_required():
    assert refusal({"reason": "Because", "needs_monitor": True}) == {
        "variables.monitor_size": ["This field is required."]}


def test_unknown_variables_are_refused():
    assert refusal({"reason": "Because", "colour": "red"}) == {"variables.colour": ["Unknown variable."]}


def test_attachments_come_as_files_not_json():
    assert "upload the file" in refusal({"reason": "Because", "photo": "x.png"})["variables.photo"][0]
    upload = object()
    assert validate(FORM, {"reason": "Because"}, files={"photo": upload})["photo"] is upload
    assert refusal({"reason": "Because"}, files={"reason": upload}) == {
        "variables.reason": ["This variable takes no file."]}


def test_users_are_resolved_by_the_callers_lookup():
    def resolve(ref):
        return (7, None) if ref == "boss@example.test" else (None, "No such person.")

    assert validate(FORM, {"reason": "Because", "manager": "boss@example.test"}, resolve_user=resolve)["manager"] == 7
    assert refusal({"reason": "Because", "manager": "who@example.test"}, resolve_user=resolve) == {
        "variables.manager": ["No such person."]}


def test_variables_must_be_an_object():
    with pytest.raises(ValidationFailed) as caught:
        validate(FORM, ["reason"])
    assert "variables" in caught.value.fields


# -- definitions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("variable, attribute, message", [
    (Variable("x", "colour"), "type", "Unknown type"),
    (Variable("X y", "text"), "name", "lower-case"),
    (Variable("x", "choice"), "choices", "at least one option"),
    (Variable("x", "choice", choices=(("a", "A"), ("a", "Again"))), "choices", "unique"),
    (Variable("x", "text", choices=(("a", "A"),)), "choices", "Only choice"),
    (Variable("x", "text", regex="(unclosed"), "regex", "does not compile"),
    (Variable("x", "number", min_value="5", max_value="1"), "max_value", "below the minimum"),
    (Variable("x", "date", min_value="2026-05-01", max_value="2026-01-01"), "max_value", "below the minimum"),
    (Variable("x", "date", min_value="May"), "min_value", "YYYY-MM-DD"),
    (Variable("x", "number", min_value="lots"), "min_value", "Give a number"),
    (Variable("x", "text", min_length=9, max_length=3), "max_length", "below the minimum length"),
    (Variable("x", "number", default="ten"), "default", "Enter a number"),
    (Variable("x", "text", regex=r"^\d+$", default="abc"), "default", "expected format"),
    (Variable("x", "choice", choices=(("a", "A"),), default="b"), "default", "Choose one of"),
    (Variable("x", "text", show_when=(Condition("x", "is_set"),)), "show_when", "itself"),
    (Variable("x", "text", show_when=(Condition("ghost", "is_set"),)), "show_when", "No variable named 'ghost'"),
    (Variable("x", "text", show_when=(Condition("flag", "gt", 1),)), "show_when", "Unknown operator"),
    (Variable("x", "text", show_when=(Condition("flag", "eq", "yes"),)), "show_when", "compare with true or false"),
    (Variable("x", "text", show_when=(Condition("flag", "in", [True]),)), "show_when", "supports"),
])
def test_bad_definitions_are_refused(variable, attribute, message):
    others = [Variable("flag", "checkbox")]
    errors = definition_errors(variable, others)
    assert message in " ".join(errors.get(attribute, [])), errors


def test_a_cycle_of_conditions_is_refused():
    a = Variable("a", "text", show_when=(Condition("b", "is_set"),))
    b = Variable("b", "text", show_when=(Condition("c", "is_set"),))
    c = Variable("c", "text", show_when=(Condition("a", "is_set"),))
    with pytest.raises(ValidationFailed) as caught:
        validate_definitions([a, b, c])
    assert "go round in a circle: a -> b -> c -> a" in caught.value.fields["a.show_when"][0]


def test_the_rich_form_is_a_valid_definition():
    assert all(definition_errors(variable, FORM) == {} for variable in FORM)
    assert validate_definitions(FORM) is None  # raises ValidationFailed on any inconsistency
    broken = [*FORM, FORM[0]]  # the same check refuses the form once it is inconsistent
    with pytest.raises(ValidationFailed) as caught:
        validate_definitions(broken)
    assert caught.value.fields == {"reason.name": ["Two variables have this name."]}
