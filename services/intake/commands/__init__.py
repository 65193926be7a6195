"""What intake does when asked, whatever the channel or event, one module per concern: reports (take one, link or
unlink a duplicate), the case as the resident reads it (classification, the units' steps), verdicts and call-backs,
contacts (reveals and numbers, audited), batch imports, upkeep. Each runs in the caller's unit of work, reads and
writes through ``uow.store`` (``IntakeStore``) and records the events it causes."""
