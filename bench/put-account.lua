-- PUT /api/Account/{id}: replace an existing Account (ids 2000001 .. 2000000+PUT_POOL) drawn at random.
-- wrk.format replaces wrk.headers (the session cookie from -H) when given a table: copy them.
local function headers(extra)
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end
local pool = tonumber(os.getenv("PUT_POOL") or "10000")
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) math.randomseed(os.time() * 1000 + (tid or 0)) end
function request()
  return wrk.format("PUT", "/api/Account/" .. tostring(2000000 + math.random(1, pool)),
    headers({["Content-Type"] = "application/json"}), '{"name": "Replaced account", "credit": 7.5, "enabled": true}')
end
