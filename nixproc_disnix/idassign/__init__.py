"""dydisnix id-assign: stable unique ids (uids, gids, ports) for the services of a model.

Pure core (:func:`assign_ids` over the models of ``nixproc_disnix.model.ids``)
plus :func:`write_atomically` for the shell that writes ``--output-file``.
"""
from nixproc_disnix.idassign.assign import assign_ids
from nixproc_disnix.idassign.invalidate import remove_invalid_ids
from nixproc_disnix.idassign.output import write_atomically
from nixproc_disnix.idassign.pool import IdPool

__all__ = ["IdPool", "assign_ids", "remove_invalid_ids", "write_atomically"]
