"""Network builders: they return modules on the CPU; whoever trains them picks the device."""
