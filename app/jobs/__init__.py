"""Background work: the arq worker and the in-process runners it schedules."""
