-- POST /api/User: the password is hashed with bcrypt by the server. Usernames and emails are unique
-- (unique indexes), so every request carries a fresh one: run tag, thread, counter.
-- wrk.format replaces wrk.headers (the session cookie from -H) when given a table: copy them.
local function headers(extra)
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
local n = 0
function init(args) math.randomseed(os.time() * 1000 + (tid or 0)); tag = tostring(math.random(1, 1000000000)) end
function request()
  n = n + 1
  local u = "b" .. tag .. "_" .. tid .. "_" .. n
  local body = '{"username": "' .. u .. '", "email": "' .. u .. '@example.com", "password": "bench-password-1",'
    .. ' "firstName": "Bench", "lastName": "Writer", "isAccountOwner": false, "accountId": "acc-1", "roleId": "role-1"}'
  return wrk.format("POST", "/api/User", headers({["Content-Type"] = "application/json"}), body)
end
