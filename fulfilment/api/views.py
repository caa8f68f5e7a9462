from fulfilment.api.serializers import TaskCreateSerializer, TaskSerializer, TaskUpdateSerializer
from fulfilment.filters import TaskFilter
from fulfilment.models import Task
from tickets.api.base import TicketViewSet


class TaskViewSet(TicketViewSet):
    """Fulfilment tasks by number (TASK0001001), each the child of another ticket (``parent``)."""

    model = Task
    serializer_class = TaskSerializer
    create_serializer_class = TaskCreateSerializer
    update_serializer_class = TaskUpdateSerializer
    filterset_class = TaskFilter

    def create_ticket(self, data):
        self.require_agent("Only agents can add tasks.")
        return super().create_ticket(data)
