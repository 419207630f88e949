"""The staff console for rewards (/staff/rewards/), one module per use case: campaigns with
their budget figures and mint requests, tasks, the review queues and claims with their evidence.
Each page needs a staff role and a session that passed TOTP (accounts.permissions.staff_page);
the services check the roles again and their refusals are shown on the field they name, or as a
message."""
