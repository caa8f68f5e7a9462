# Models arrive with the IT asset management issue; tickets.models.Ticket is their base.
