"""DO2xx: how RUNs make layers (joining RUN chains). The joining machinery is ``optimizer.shell.join``."""
