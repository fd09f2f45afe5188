# Unless interactive = false: a shell and the usual tools for
# `docker exec -it <container> bash`, and root's .bashrc (a coloured prompt
# naming user, host and directory; coloured ls).
{ pkgs, common, input, result }:

result // pkgs.lib.optionalAttrs (input.interactive or true) {
  contents = result.contents or [] ++ (with pkgs; [
    bashInteractive coreutils diffutils findutils gnugrep gnused (glibc.bin or glibc) less utillinux procps shadow
  ]);

  extraCommands = result.extraCommands or "" + ''
    mkdir -p root
    cat > root/.bashrc <<'EOF'
    alias ls='ls --color=auto'

    if [ -n "$PS1" ] && [ "$TERM" != dumb ]; then
        # Red for root, green for anyone else.
        if [ "$UID" -eq 0 ]; then colour='1;31m'; else colour='1;32m'; fi
        PS1="\n\[\033[$colour\][\u@\h:\w]\\$\[\033[0m\] "
        case "$TERM" in
            xterm*) PS1="\[\033]0;\u@\h: \w\007\]$PS1" ;;
        esac
    fi
    EOF
  '';
}
