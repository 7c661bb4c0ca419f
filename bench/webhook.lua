-- wrk script: every request is a distinct signed LINE webhook body read from BENCH_BODIES
-- (one "signature<TAB>body" per line); threads take disjoint strides so no body is sent twice.
local bodies, signatures = {}, {}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BENCH_BODIES")
  for line in io.lines(path) do
    local tab = string.find(line, "\t", 1, true)
    table.insert(signatures, string.sub(line, 1, tab - 1))
    table.insert(bodies, string.sub(line, tab + 1))
  end
  stride = tonumber(os.getenv("BENCH_THREADS"))
end

function request()
  local index = (thread_id + counter * stride) % #bodies + 1
  counter = counter + 1
  return wrk.format("POST", "/callback",
    {["Content-Type"] = "application/json", ["X-Line-Signature"] = signatures[index]}, bodies[index])
end
