#!/bin/sh
# The kiosk session: Chromium full screen on the till's page, started by the desktop's
# autostart (see labwc-autostart). Waits for the till, then keeps the browser running.
URL="${TILLY_URL:-http://127.0.0.1:8700/}"
until curl -fsS -o /dev/null "${URL}api/display"; do sleep 1; done
while true; do
  chromium --kiosk --noerrdialogs --disable-infobars --no-first-run \
    --disable-session-crashed-bubble --disable-features=Translate \
    --check-for-update-interval=31536000 --overscroll-history-navigation=0 \
    --disable-pinch "$URL"
  sleep 2
done
