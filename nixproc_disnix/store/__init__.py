"""Nix 2.8's store-path and hashing primitives, pure and byte-compatible.

``hashing`` (encodings, hash parsing), ``paths`` (store paths), ``nar``
(archive serialisation), ``source`` (paths of local trees added to the
store), ``derivation``/``aterm`` (the ``.drv`` model and text),
``modulo`` (``hashDerivationModulo``) and ``instantiate`` (the store side
of ``derivationStrict``); ``store`` (our own store: valid paths, references,
locks), ``builder`` (building derivations into it) and ``profiles``
(generations of profile links into it, as ``nix-env`` keeps them).
"""
