#! /bin/bash -e

mkdir -p /var/nginx/logs

exec /nix/store/33333333333333333333333333333333-nginx-1.24.0/bin/nginx "$@"
