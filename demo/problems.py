"""Demo problem management: a problem explaining three VPN incidents, published as a known error."""

from problems import links
from problems import services as problem_services


def populate(*, admin, agent, requester, group, category) -> None:
    """``category``: the incidents' category, so new VPN incidents show the workaround too."""
    from incidents import services as incident_services
    from incidents.models import Incident

    incidents = list(Incident.objects.filter(category=category, state__in=["new", "in_progress", "on_hold"])
                     .order_by("opened_at")[:3])
    while len(incidents) < 3:
        incidents.append(incident_services.create_incident(
            by=requester, requester=requester, title="VPN disconnects every hour", category=category,
            description="The VPN client drops the tunnel about once an hour and asks for my password again.",
            channel="portal", impact=3, urgency=2, assignment_group=group))
    problem = problem_services.create_problem(
        by=agent, requester=agent, title="VPN tunnels drop after the gateway certificate rollover",
        description="Several users lose the VPN tunnel since the gateway certificate was renewed.",
        channel="phone", impact=2, urgency=2, category=category, assignment_group=group, assignee=agent,
        affected_service="Remote access (VPN)")
    for incident in incidents:
        links.link(problem, incident, by=agent)
    problem = problem_services.transition_problem(problem, "analyse", by=agent)
    problem = problem_services.ticket_services.update_ticket(problem, by=agent, changes={
        "rca_notes": "1. Why do tunnels drop? The client rejects the gateway's certificate on rekey.\n"
                     "2. Why? The client profile pins the old intermediate certificate.\n"
                     "3. Why? Profiles are only refreshed on reinstall.",
        "workaround": "Ask the user to re-import the VPN profile: Settings > Profiles > Import, "
                      "then reconnect. The tunnel then stays up.",
    })
    problem = problem_services.transition_problem(problem, "start_fix", by=agent, fields={
        "root_cause": "Client profiles pin the old intermediate certificate of the VPN gateway.",
        "root_cause_category": "configuration"})
    problem_services.publish_known_error(problem, by=admin)
