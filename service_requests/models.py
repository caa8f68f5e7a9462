# Models arrive with the Service requests and catalogue issue; tickets.models.Ticket is their base.
