tryvox-sim serve --port 0 > tvx-sim.env &                 # in the background; it prints its export lines once ready
sim=$!
for i in $(seq 100); do [ "$(wc -l < tvx-sim.env)" -ge 4 ] && break; sleep 0.1; done   # wait for them, 10 s at most
. ./tvx-sim.env                                           # TVX_BASE_URL, TVX_AUTH_ID, TVX_API_TOKEN, TVX_CALL_UUID
curl -s -w '\n' -X POST "$TVX_BASE_URL/v1/voice/accounts/$TVX_AUTH_ID/calls/$TVX_CALL_UUID/speak" \
  -H "Authorization: Bearer $TVX_API_TOKEN" -H "Content-Type: application/json" -d '{"text": "Hello"}'
curl -s -w '\n' "$TVX_BASE_URL/_sim/calls/$TVX_CALL_UUID/events"   # the call's timeline
kill $sim                                                 # stop it when you are done
