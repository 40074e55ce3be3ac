"""opsbot's composition root: the one place that names the capabilities and hands them to the kernel."""
