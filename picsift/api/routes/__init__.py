"""HTTP routes. Each handler parses the request, hands one job to the worker pool, formats."""
