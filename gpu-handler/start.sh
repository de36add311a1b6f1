#!/usr/bin/env bash
# ComfyUI on the port COMFY_HOST names, then the handler (which waits for ComfyUI to answer).
set -euo pipefail
port="${COMFY_HOST##*:}"
python -u /comfyui/main.py --listen 127.0.0.1 --port "${port}" --disable-auto-launch --disable-metadata &
exec python -u /easel/handler.py
