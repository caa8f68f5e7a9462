# Models arrive with the Configuration management (CMDB) issue; tickets.models.Ticket is their base.
