# The task ticket type arrives with issue 10; tickets.models.Ticket is its base.
