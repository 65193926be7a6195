"""What supervision does, whoever asks (an event, a supervisor, its watch), one module per concern: clocks opened,
closed and announced (deadlines), following the units (handling), extensions and urging, explanation meetings,
firing what falls due, the weekly bulletin. Each runs in the caller's unit of work, reads and writes through
``uow.store`` (``SupervisionStore``) and records the events it causes."""
