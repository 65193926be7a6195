"""What dispatch does, whoever asks (a unit, a dispatcher, an event, its watch, an admin), one module per concern:
a case's handling (cases), the unit directory and the routing rules (directory). Each runs in the caller's unit of
work, reads and writes through ``uow.store`` (``DispatchStore``) and records the events it causes."""
