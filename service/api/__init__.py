"""HTTP controllers, wire schemas and the error table of the Interlock API."""
