# Models arrive with the Change and release management issue; tickets.models.Ticket is their base.
