# Models arrive with the Service level management issue; tickets.models.Ticket is their base.
