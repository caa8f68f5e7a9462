"""What fulfilment announces on the ticket event bus (tickets.events).

``TASKS_DONE``: the last unfinished task of a parent has just finished (done or cancelled). Published
on the *parent*, inside the transaction of that task's transition, with the parent row locked, and
with ``data={"done": n, "cancelled": m}``; at most once per time the parent's tasks all finish.
A parent's process listens with ``tickets.events.subscribe_in_transaction(TASKS_DONE)`` to finish
its own ticket in the same transaction (a requested item is fulfilled). It is not published while
``fulfilment.services.cancel_open_tasks`` cancels a parent's tasks: the parent is being abandoned,
not fulfilled.
"""

TASKS_DONE = "tasks_done"
