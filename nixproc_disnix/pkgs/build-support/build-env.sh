# Builder of buildEnv and symlinkJoin (build-env.nix).
#
# Links the trees of the packages in $pkgsPath (lines "<priority> <path>",
# lowest priority first) into $out$extraPrefix, below each line of
# $pathsToLinkPath. Directories become real directories, anything else a
# symlink to the package's file. Where two packages provide one path, the
# lower priority number wins; at equal priorities identical files
# ($checkCollisionContents) are fine, and otherwise $collisions decides:
# error, warn (first wins) or first.
source "$stdenv/setup"

declare -A linkedFrom=() linkedPriority=()

# The package file $2 (priority $3) meets the one already linked at key $1.
collision() {
    local key="$1" new="$2" priority="$3"
    local old="${linkedFrom[$key]}"
    if (( linkedPriority[$key] < priority )); then
        return 0
    fi
    if [ -n "$checkCollisionContents" ] && [ -f "$old" ] && [ -f "$new" ] && cmp -s -- "$old" "$new"; then
        return 0
    fi
    case "$collisions" in
        error)
            echo "collision between \`$old' and \`$new'" >&2
            exit 1
            ;;
        warn)
            echo "warning: collision between \`$old' and \`$new'" >&2
            ;;
    esac
}

# Link $1 (a package's file or directory) at $out$extraPrefix$2, with priority $3.
linkTree() {
    local src="$1" rel="$2" priority="$3"
    local dst="$out$extraPrefix$rel" key="${2:-/}" entry
    if [ -n "${linkedFrom[$key]+set}" ]; then
        if [ "${linkedFrom[$key]}" = "$src" ]; then
            return 0
        fi
        if ! { [ -d "$src" ] && [ -d "$dst" ] && [ ! -L "$dst" ]; }; then
            collision "$key" "$src" "$priority"
            return 0
        fi
    else
        linkedFrom[$key]="$src"
        linkedPriority[$key]="$priority"
        if [ ! -d "$src" ]; then
            ln -s -- "$src" "$dst"
            return 0
        fi
        mkdir -p -- "$dst"
    fi
    for entry in "$src"/*; do
        linkTree "$entry" "$rel/${entry##*/}" "$priority"
    done
}

mapfile -t pathsToLink < "$pathsToLinkPath"
shopt -s dotglob nullglob
while read -r priority pkg; do
    if [ ! -d "$pkg" ]; then
        if [ -n "$ignoreSingleFileOutputs" ]; then
            continue
        fi
        echo "The store path $pkg is a file and can't be merged into an environment using pkgs.buildEnv!" >&2
        exit 1
    fi
    for path in "${pathsToLink[@]}"; do
        path="${path%/}"
        if [ -e "$pkg$path" ] || [ -L "$pkg$path" ]; then
            mkdir -p -- "$(dirname -- "$out$extraPrefix$path")"
            linkTree "$pkg$path" "$path" "$priority"
        fi
    done
done < "$pkgsPath"
shopt -u dotglob nullglob
mkdir -p -- "$out"

runHook postBuild
