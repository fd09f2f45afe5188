"""A STAND-IN for FreeBSD's daemon(8), for the options the generator uses: -p CHILD_PIDFILE, -o OUTPUT_FILE."""
import os, sys
args = sys.argv[1:]
pid_file = output = None
while args and args[0] in ("-p", "-o"):
    option, value = args[0], args[1]
    args = args[2:]
    if option == "-p": pid_file = value
    else: output = value
if os.fork() > 0:
    os._exit(0)
os.setsid()
if pid_file is not None:
    with open(pid_file, "w") as handle:
        handle.write(f"{os.getpid()}\n")
log = os.open(output or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0); os.dup2(log, 1); os.dup2(log, 2)
os.execv(args[0], args)
