"""The operator's view: workers, queues, backlogs, imports and request rates in one status."""
