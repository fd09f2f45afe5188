# Setup hook of makeWrapper: makeWrapper and wrapProgram, as in nixpkgs.
#
# The wrapper is a @shell@ script. Every value given here is written into it
# quoted (${value@Q}), so it reaches the program byte for byte and is never
# expanded when the wrapper runs; only --run adds shell code, on purpose.

assertExecutable() {
    local file="$1"
    if ! [[ -f "$file" && -x "$file" ]]; then
        echo "makeWrapper: '$file' is not an executable file" >&2
        return 1
    fi
}

_assertVarName() {
    if ! [[ "$1" =~ ^[a-zA-Z_][a-zA-Z0-9_]*$ ]]; then
        echo "makeWrapper: '$1' is not a valid variable name" >&2
        return 1
    fi
}

# makeWrapper EXECUTABLE WRAPPER [ARGS...]
#
#   --argv0 NAME             run EXECUTABLE with argv[0] NAME
#   --inherit-argv0          ... with the wrapper's own argv[0]
#   --set VAR VALUE          export VAR=VALUE
#   --set-default VAR VALUE  ... unless VAR is already set
#   --unset VAR              unset VAR
#   --prefix VAR SEP VALUE   put VALUE first in the SEP-separated list VAR
#   --suffix VAR SEP VALUE   put VALUE last in it
#   --chdir DIR              cd to DIR first
#   --run COMMAND            run shell code COMMAND first
#   --add-flags FLAGS        the whitespace-separated words of FLAGS before the caller's arguments
#   --add-flag FLAG          FLAG, one argument, before the caller's arguments
#   --append-flags FLAGS     the words of FLAGS after the caller's arguments
#   --append-flag FLAG       FLAG after the caller's arguments
makeWrapper() {
    local original="$1" wrapper="$2"
    shift 2
    assertExecutable "$original"
    local argv0="" var value separator word
    local -a before=() after=() words=() lines=()
    while (( "$#" > 0 )); do
        case "$1" in
            --set | --set-default)
                (( "$#" >= 3 )) || { echo "makeWrapper: $1 needs VAR and VALUE" >&2; return 1; }
                _assertVarName "$2"
                var="$2" value="${3@Q}"
                if [ "$1" = --set ]; then
                    lines+=("export $var=$value")
                else
                    lines+=("if [ -z \"\${$var+set}\" ]; then $var=$value; fi" "export $var")
                fi
                shift 3
                ;;
            --unset)
                (( "$#" >= 2 )) || { echo "makeWrapper: --unset needs VAR" >&2; return 1; }
                _assertVarName "$2"
                lines+=("unset $2")
                shift 2
                ;;
            --prefix | --suffix)
                (( "$#" >= 4 )) || { echo "makeWrapper: $1 needs VAR, SEP and VALUE" >&2; return 1; }
                _assertVarName "$2"
                var="$2" separator="${3@Q}" value="${4@Q}"
                if [ -n "$4" ]; then
                    if [ "$1" = --prefix ]; then
                        lines+=("if [ -n \"\${$var:-}\" ]; then $var=$value$separator\"\$$var\"; else $var=$value; fi")
                    else
                        lines+=("if [ -n \"\${$var:-}\" ]; then $var=\"\$$var\"$separator$value; else $var=$value; fi")
                    fi
                    lines+=("export $var")
                fi
                shift 4
                ;;
            --chdir)
                (( "$#" >= 2 )) || { echo "makeWrapper: --chdir needs DIR" >&2; return 1; }
                lines+=("cd -- ${2@Q}")
                shift 2
                ;;
            --run)
                (( "$#" >= 2 )) || { echo "makeWrapper: --run needs COMMAND" >&2; return 1; }
                lines+=("$2")
                shift 2
                ;;
            --add-flags | --append-flags)
                (( "$#" >= 2 )) || { echo "makeWrapper: $1 needs FLAGS" >&2; return 1; }
                _splitWords "$2" words
                for word in ${words[@]+"${words[@]}"}; do
                    if [ "$1" = --add-flags ]; then before+=("${word@Q}"); else after+=("${word@Q}"); fi
                done
                shift 2
                ;;
            --add-flag | --append-flag)
                (( "$#" >= 2 )) || { echo "makeWrapper: $1 needs FLAG" >&2; return 1; }
                if [ "$1" = --add-flag ]; then before+=("${2@Q}"); else after+=("${2@Q}"); fi
                shift 2
                ;;
            --argv0)
                (( "$#" >= 2 )) || { echo "makeWrapper: --argv0 needs NAME" >&2; return 1; }
                argv0="-a ${2@Q} "
                shift 2
                ;;
            --inherit-argv0)
                argv0='-a "$0" '
                shift
                ;;
            *)
                echo "makeWrapper: unknown argument '$1'" >&2
                return 1
                ;;
        esac
    done
    mkdir -p -- "$(dirname -- "$wrapper")"
    {
        printf '#! %s -e\n' "@shell@"
        if (( "${#lines[@]}" > 0 )); then printf '%s\n' "${lines[@]}"; fi
        printf 'exec %s%s' "$argv0" "${original@Q}"
        if (( "${#before[@]}" > 0 )); then printf ' %s' "${before[@]}"; fi
        printf ' "$@"'
        if (( "${#after[@]}" > 0 )); then printf ' %s' "${after[@]}"; fi
        printf '\n'
    } > "$wrapper"
    chmod +x -- "$wrapper"
}

# wrapProgram PROGRAM [ARGS...]: move PROGRAM to .PROGRAM-wrapped beside it
# and put a wrapper (makeWrapper's ARGS) in its place, keeping its argv[0].
wrapProgram() {
    local program="$1"
    shift
    assertExecutable "$program"
    local hidden
    hidden="$(dirname -- "$program")/.$(basename -- "$program")-wrapped"
    while [ -e "$hidden" ]; do
        hidden="${hidden}_"
    done
    mv -- "$program" "$hidden"
    makeWrapper "$(readlink -f -- "$hidden")" "$program" --inherit-argv0 "$@"
}
