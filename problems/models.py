# Models arrive with the Problem management issue; tickets.models.Ticket is their base.
