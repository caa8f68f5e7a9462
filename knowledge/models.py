# Models arrive with the Knowledge management issue; tickets.models.Ticket is their base.
