from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = "Problem management"

    def ready(self):
        from problems.extension import KnownErrorExtension
        from problems.ticket_type import PROBLEM_TYPE
        from tickets import extensions, types

        types.register(PROBLEM_TYPE)
        # The known-error card on the pages of the types that opt in (incidents).
        extensions.register(KnownErrorExtension())
