"""Workers that run long jobs off the GUI thread and report through signals."""
