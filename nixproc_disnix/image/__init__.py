"""Docker images built by our own builder, as nixpkgs' ``dockerTools.buildImage`` builds them with Nix.

``tree`` (the files of a layer and their deterministic tar), ``archive``
(the docker-archive ``docker load`` reads), ``host_closure`` (what host
files a ``--pkgs host`` package needs at run time: link targets, shared
libraries, interpreters), ``accounts`` (``/etc/passwd`` and friends for the
image), ``init_state`` (its state directories, made at build time),
``tools`` (our console scripts as packages, for images that redeploy),
``store_registration`` (our store's database for what an image holds),
``build`` (the ``builtin:nixproc-docker-image`` builder tying them together)
and ``process_image`` (the image a docker process's output holds).
"""
