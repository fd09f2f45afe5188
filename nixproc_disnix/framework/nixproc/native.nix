# The Python side of this framework (nixproc_disnix/framework/bridge.py).
# nixproc provides this file's value itself; other evaluators cannot.
throw "nixproc/native.nix is provided by nixproc's evaluator; evaluate this framework with nixproc"
