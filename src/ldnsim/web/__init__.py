"""HTTP interfaces: the CDS Hooks service for LDN (``ldnsim serve``)."""
