"""How a task hangs under its parent: one link kind on the shared ticket links.

"TASK0001001 task of RITM0001001", read from the parent as "has task". The parent may be any type;
only tasks stand on the source side. Tasks get their parent only from ``fulfilment.services``
(which also records it on the task's row), so the kind is ``managed``: the links card does not offer
it and the links service refuses to make or remove one by hand; the link and the row never disagree.
"""

from tickets.links import kinds

TASK_OF = kinds.register(kinds.LinkKind(
    "task_of", "task of", "has task", source_types={"fulfilment.task"},
    managed="A task belongs to the ticket it was added to: add tasks with that ticket's Add task form, "
            "and cancel a task rather than removing its link."))
