"""What all backend generators share: §2.4 rules (``util``), mode choice (``mode``),
overrides (``overrides``) and dysnomia-support credentials (``credentials``)."""
