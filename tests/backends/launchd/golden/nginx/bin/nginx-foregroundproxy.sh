#! /bin/bash -e

mkdir -p /var/nginx/logs

exec /nix/store/11111111111111111111111111111111-nixproc-chainload-user/bin/nixproc-chainload-user nginx /nix/store/33333333333333333333333333333333-nginx-1.24.0/bin/nginx "$@"
