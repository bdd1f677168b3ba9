"""Till hardware: one interface per device, one backend per file, simulated backends."""
