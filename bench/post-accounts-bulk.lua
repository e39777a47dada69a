-- POST /api/Account with a JSON array of N Accounts (bulk create, api.md 12.1); N is the script's
-- argument (wrk ... -s bench/post-accounts-bulk.lua URL -- 100). The server makes the ids.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  local n = tonumber(args[1] or "100")
  local documents = {}
  for i = 1, n do
    documents[i] = '{"name": "Bench account ' .. i .. '", "credit": 12.5, "enabled": true}'
  end
  wrk.body = "[" .. table.concat(documents, ",") .. "]"
end

-- Built per request from wrk.method, wrk.headers (the session cookie included) and the body above.
function request()
  return wrk.format()
end
