# Builder of substitute and substituteAll (substitute.nix): with $substitutions
# (substitute's arguments, shell-quoted) apply those, else every @name@.
source "$stdenv/setup"
runHook preInstall
target="$out"
if [ -n "${dir:-}" ]; then
    target="$out/$dir/$name"
    mkdir -p "$out/$dir"
fi
if [ -n "${substitutions+set}" ]; then
    eval "substitutionArgs=($substitutions)"
    substitute "$src" "$target" ${substitutionArgs[@]+"${substitutionArgs[@]}"}
else
    substituteAll "$src" "$target"
fi
if [ -n "${isExecutable:-}" ]; then
    chmod +x "$target"
fi
runHook postInstall
