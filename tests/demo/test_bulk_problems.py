"""The bulk problem seeder (bench/run.py's problems): rows the workflow, the API and the queue accept."""

from django.db.models import Count

from demo.seeding import bulk_seed_problems
from problems import services as problem_services
from problems.models import Problem, ResolutionCode, RootCauseCategory
from problems.workflow import OPEN, WORKFLOW
from tests.api.helpers import api_client
from tests.factories import make_problem
from tickets import markdown
from tickets.models import DEFAULT_PRIORITY_MATRIX, PriorityMatrixEntry, TimelineEntry, ticket_type_label

N = 200


def test_seeds_n_problems_with_unique_numbers_and_a_created_entry_each(tenant):
    report = bulk_seed_problems(tenant, N)

    assert report.inserted == N
    numbers = list(Problem.objects.values_list("number", flat=True))
    assert len(set(numbers)) == N
    assert all(number.startswith("PRB") and len(number) == 10 for number in numbers)
    created = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CREATED, ticket_type=ticket_type_label(Problem))
    assert created.count() == N
    assert set(created.values_list("ticket_id", flat=True)) == set(Problem.objects.values_list("pk", flat=True))


def test_a_problem_created_after_seeding_gets_a_fresh_number(tenant, agent):
    bulk_seed_problems(tenant, N)
    seeded = set(Problem.objects.values_list("number", flat=True))

    created = make_problem(by=agent)

    assert created.number not in seeded and created.number > max(seeded)


def test_seeded_problems_follow_the_workflow(tenant):
    bulk_seed_problems(tenant, N)
    matrix = dict(DEFAULT_PRIORITY_MATRIX)
    matrix.update({(e.impact, e.urgency): e.priority for e in PriorityMatrixEntry.objects.all()})
    states = dict(Problem.objects.values_list("state").annotate(n=Count("id")))

    assert set(states) <= set(WORKFLOW.states)
    assert {"root_cause_analysis", "closed"} <= set(states)
    assert 0 < sum(states.get(state, 0) for state in OPEN) < N * 0.4
    for problem in Problem.objects.select_related("assignee", "assignment_group", "requester", "created_by"):
        assert problem.version == 1 and problem.first_response_at is None
        assert problem.priority == matrix[(problem.impact, problem.urgency)]
        assert problem.description_html == markdown.render(problem.description)
        assert problem.requester == problem.created_by and problem.requester.is_agent
        assert problem.affected_service and problem.assignment_group is not None
        if problem.state == "new":
            assert problem.assignee_id is None
        else:
            assert problem.assignee.is_agent
            assert problem.assignment_group.members.filter(pk=problem.assignee_id).exists()
        if problem.state in {"fix_in_progress", "resolved", "closed"}:  # start_fix requires the root cause
            assert problem.root_cause
        if problem.root_cause_category:
            assert problem.root_cause_category in RootCauseCategory.values
        if problem.state in OPEN:
            assert problem.resolved_at is None and problem.closed_at is None and not problem.resolution_code
        if problem.state in {"resolved", "closed"}:
            assert problem.resolution_code in ResolutionCode.values and problem.resolution_notes
            assert problem.opened_at <= problem.resolved_at <= problem.updated_at
        if problem.state == "closed":
            assert problem.resolved_at <= problem.closed_at
        if problem.state == "resolved":
            assert problem.closed_at is None
        if problem.state == "cancelled":
            assert problem.cancel_reason and problem.closed_at and problem.resolved_at is None
            assert problem.known_error_published_at is None
        if problem.is_known_error:
            assert problem.workaround and problem.opened_at <= problem.known_error_published_at <= problem.updated_at


def test_seeded_problems_can_be_worked_on_through_the_services(tenant, agent):
    bulk_seed_problems(tenant, N)
    fixing = Problem.objects.filter(state="fix_in_progress").first()
    resolved = Problem.objects.filter(state="resolved").first() or Problem.objects.filter(state="closed").first()

    if fixing is not None:
        done = problem_services.transition_problem(fixing, "resolve", by=agent, fields={
            "resolution_code": "fixed", "resolution_notes": "Fixed."})
        assert done.state == "resolved" and done.version == 2
    if resolved.state == "resolved":
        assert problem_services.transition_problem(resolved, "close", by=agent).state == "closed"
    else:
        published = Problem.objects.filter(known_error_published_at__isnull=False).first()
        assert problem_services.retire_known_error(published, by=agent).known_error_published_at is None


def test_seeded_problems_are_served_by_the_api_and_the_queue(tenant, agent, make_client):
    bulk_seed_problems(tenant, N)
    busiest = (Problem.objects.filter(state="root_cause_analysis").values("assignment_group")
               .annotate(n=Count("id")).order_by("-n").first())
    api = api_client(tenant, agent)

    page = api.get(f"/api/v1/problems/?state=root_cause_analysis&assignment_group={busiest['assignment_group']}"
                   "&page_size=50")
    assert page.status_code == 200
    assert len(page.json()["results"]) == min(50, busiest["n"])
    for number in Problem.objects.order_by("?").values_list("number", flat=True)[:5]:
        detail = api.get(f"/api/v1/problems/{number}/")
        assert detail.status_code == 200 and detail.json()["number"] == number
    queue = make_client(tenant, agent).get("/desk/problems/")
    assert queue.status_code == 200
    first_in_queue = Problem.objects.filter(state__in=OPEN).order_by("priority", "opened_at").first()
    assert first_in_queue.number in queue.content.decode()


def test_reseeding_tops_up_to_n_and_never_beyond(tenant, agent):
    make_problem(by=agent)

    first = bulk_seed_problems(tenant, N)
    again = bulk_seed_problems(tenant, N)
    more = bulk_seed_problems(tenant, N + 50)

    assert (first.existing, first.inserted) == (1, N - 1)
    assert (again.existing, again.inserted) == (N, 0)
    assert (more.existing, more.inserted) == (N, 50)
    assert Problem.objects.values("number").distinct().count() == N + 50
