"""nixproc-disnix: processes models deployed by any process manager, or by Disnix."""
