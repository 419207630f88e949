"""The rewards API, one module per use case (campaigns, tasks, claims, review), each with its
routes; rewards.api.urls joins them under /api/v1/."""
