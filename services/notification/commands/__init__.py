"""What notification does when an event arrives: who is told what (notices), and what partners hear (partners).
Each runs in the caller's unit of work and reads and writes through ``uow.store`` (``NotificationStore``), which
writes a whole consumer batch in one statement per kind of row."""
