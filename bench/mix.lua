-- 80 % GET /items/N, 20 % POST /items: the request mix of bench/proxy.py.
local counter = 0
local body = '{"title": "Buy groceries", "description": "milk, eggs"}'

request = function()
  counter = counter + 1
  if counter % 5 == 0 then
    return wrk.format("POST", "/items", {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/items/" .. (counter % 1000))
end
