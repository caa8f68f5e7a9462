"""The service catalogue (what can be ordered, and its form) and the two ticket types an order makes.

A request (REQ) is one order; it holds one requested item (RITM) per catalogue item ordered, each with
its own answers, quantity and price at order time. Catalogue rows are configuration that tenant admins
edit in the desk settings; REQ and RITM rows are tickets, written only through ``tickets.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import AssignmentGroup
from service_requests import variables
from service_requests.icons import DEFAULT_ICON, ICONS
from service_requests.workflow import ITEM_OPEN, ITEM_WORKFLOW, REQUEST_OPEN, REQUEST_WORKFLOW
from tickets import markdown
from tickets.models import Ticket


class CatalogCategory(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    icon = models.CharField(max_length=20, choices=list(ICONS.items()), default=DEFAULT_ICON)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "catalogue categories"

    def __str__(self):
        return self.name


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    GROUPS = "groups", "Members of the named groups"
    DEPARTMENTS = "departments", "Requesters of the named departments"


class CatalogItem(models.Model):
    category = models.ForeignKey(CatalogCategory, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=150)
    icon = models.CharField(max_length=20, choices=list(ICONS.items()), default=DEFAULT_ICON)
    short_description = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, help_text="Markdown is supported.")
    description_html = models.TextField(blank=True, editable=False)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.EVERYONE,
                                help_text="Who may order it.")
    groups = models.ManyToManyField(AssignmentGroup, blank=True, related_name="+",
                                    help_text="With 'members of the named groups'.")
    departments = models.JSONField(default=list, blank=True,
                                   help_text="With 'requesters of the named departments': the departments' names.")
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cost_centre = models.CharField(max_length=50, blank=True)
    # The approvals an order of this item needs (approvals/); none: it goes straight to fulfilment.
    approval_chain = models.ForeignKey("approvals.ApprovalChainDefinition", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+",
                                       help_text="Empty: orders go straight to fulfilment.")
    delivery_target_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Expected delivery time, in business hours: a target, not a promise.")
    is_active = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["category__order", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="catalog_item_unique_name")]
        indexes = [models.Index(fields=["category", "order"], name="catalog_item_active_idx",
                                condition=Q(is_active=True))]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Derived, never typed: the description as sanitised HTML, whoever saves the row.
        self.description_html = markdown.render(self.description)
        if kwargs.get("update_fields") is not None and "description" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "description_html"}
        super().save(*args, **kwargs)

    def definitions(self) -> list[variables.Variable]:
        """The form's variable definitions (uses a prefetch of ``variables`` when there is one)."""
        return [variable.definition() for variable in self.variables.all()]

    def variables_schema(self) -> dict:
        """The JSON Schema (draft 2020-12) of the ``variables`` an order of this item sends."""
        return variables.json_schema(self.definitions(), title=self.name, description=self.short_description)


class CatalogVariable(models.Model):
    """One question of an item's form (service_requests.variables says what each attribute means)."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="variables")
    name = models.CharField(max_length=50, help_text="A stable key (API, conditions): lower-case, digits, _.")
    type = models.CharField(max_length=20, choices=list(variables.TYPES.items()))
    label = models.CharField(max_length=200)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=300, blank=True)
    default = models.JSONField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True, help_text="[[value, label], ...] for choices.")
    regex = models.CharField(max_length=300, blank=True)
    min_value = models.CharField(max_length=40, blank=True, help_text="A number, or a date (YYYY-MM-DD).")
    max_value = models.CharField(max_length=40, blank=True, help_text="A number, or a date (YYYY-MM-DD).")
    min_length = models.PositiveIntegerField(null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    show_when = models.JSONField(default=list, blank=True,
                                 help_text='[{"variable": name, "op": "eq|ne|in|is_set", "value": ...}]: all hold.')
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["item", "name"], name="catalog_variable_unique_name")]

    def __str__(self):
        return f"{self.item}: {self.label}"

    def definition(self) -> variables.Variable:
        return variables.Variable(
            name=self.name, type=self.type, label=self.label, required=self.required, help_text=self.help_text,
            default=self.default, choices=tuple(tuple(choice) for choice in self.choices or ()), regex=self.regex,
            min_value=self.min_value or None, max_value=self.max_value or None, min_length=self.min_length,
            max_length=self.max_length, order=self.order,
            show_when=tuple(variables.Condition(c.get("variable", ""), c.get("op", ""), c.get("value"))
                            for c in self.show_when or ()))


class FulfilmentTaskTemplate(models.Model):
    """A task generated when an item is approved: equal steps run in parallel, steps one after another."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="task_templates")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    assignment_group = models.ForeignKey(AssignmentGroup, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    step = models.PositiveSmallIntegerField(default=1)
    due_in_hours = models.PositiveIntegerField(null=True, blank=True, help_text="Due this many business hours "
                                                                                "after the task starts.")

    class Meta:
        ordering = ["step", "pk"]

    def __str__(self):
        return f"{self.item}: step {self.step}, {self.title}"


class ServiceRequest(Ticket):
    """An order from the catalogue (REQ): its items are the work; it closes when they all have."""

    NUMBER_PREFIX = "REQ"
    workflow = REQUEST_WORKFLOW
    EDITABLE_FIELDS = ("title", "description", "impact", "urgency", "category", "assignment_group", "assignee",
                       "channel")

    state = models.CharField(max_length=30, choices=REQUEST_WORKFLOW.state_choices(), default=REQUEST_WORKFLOW.initial)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "request"
        indexes = [
            models.Index(fields=["priority", "opened_at"], name="req_open_prio_idx", condition=Q(state__in=REQUEST_OPEN)),
            models.Index(fields=["assignment_group", "state", "priority", "opened_at"], name="req_group_state_idx"),
            models.Index(fields=["assignee", "state", "priority", "opened_at"], name="req_assignee_state_idx"),
        ]


class RequestedItem(Ticket):
    """One catalogue item ordered (RITM): the answers to its form, how many, at what price."""

    NUMBER_PREFIX = "RITM"
    workflow = ITEM_WORKFLOW
    EDITABLE_FIELDS = ("title", "description", "impact", "urgency", "category", "assignment_group", "assignee",
                       "channel")

    state = models.CharField(max_length=30, choices=ITEM_WORKFLOW.state_choices(), default=ITEM_WORKFLOW.initial)
    # Two ticket types in one app: Ticket's "watched_<app>" reverse name would clash with the request's.
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="watched_requested_items")
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="items")
    catalog_item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                     help_text="The item's price when it was ordered.")
    cost_centre = models.CharField(max_length=50, blank=True)
    # The cleaned answers (service_requests.variables.validate): {name: value}; an attachment as {"attachment_id", "filename"}.
    variables = models.JSONField(default=dict, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "requested item"
        indexes = [
            models.Index(fields=["priority", "opened_at"], name="ritm_open_prio_idx", condition=Q(state__in=ITEM_OPEN)),
            models.Index(fields=["assignment_group", "state", "priority", "opened_at"], name="ritm_group_state_idx"),
            models.Index(fields=["assignee", "state", "priority", "opened_at"], name="ritm_assignee_state_idx"),
        ]
