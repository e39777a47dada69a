-- POST /api/Account: an entity without secret fields; the server makes the id.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name": "Bench account", "credit": 12.5, "enabled": true}'
