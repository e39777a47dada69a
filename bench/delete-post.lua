-- DELETE+POST pairs on Account: odd requests DELETE a preloaded Account never touched before
-- (ids 10000000 + n, n from DELETE_START upwards, threads interleaved), even requests POST a new one.
-- Every DELETE hits a row and the table size stays put.
-- wrk.format replaces wrk.headers (the session cookie from -H) when given a table: copy them.
local function headers(extra)
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end
local start = tonumber(os.getenv("DELETE_START") or "0")
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
local k, n = 0, 0
function init(args) threads = tonumber(os.getenv("WRK_THREADS") or "2") end
function request()
  n = n + 1
  if n % 2 == 1 then
    local id = 10000000 + start + (tid - 1) + threads * k
    k = k + 1
    return wrk.format("DELETE", "/api/Account/" .. tostring(id), headers())
  end
  return wrk.format("POST", "/api/Account", headers({["Content-Type"] = "application/json"}),
    '{"name": "Bench account", "credit": 12.5, "enabled": true}')
end
