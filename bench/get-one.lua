-- GET /api/User/{id} with ids drawn uniformly from the loaded range (ids are 1000001 .. 1000000+USERS).
local users = tonumber(os.getenv("USERS") or "100000")
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) math.randomseed(os.time() * 1000 + (tid or 0)) end
function request()
  return wrk.format("GET", "/api/User/" .. tostring(1000000 + math.random(1, users)))
end
