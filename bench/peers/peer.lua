-- LuaSocket's side of the benchmarks: the same modes and arguments as
-- bench/c/peer.c (rr, sink, source), written as a LuaSocket user would.
local socket = require("socket")
local mode = arg[1]
local CHUNK = 65536

local function report(ops, bytes, seconds, cpu, extra)
  io.write(string.format('{"ops":%d,"bytes":%d,"seconds":%.6f,"cpu":%.6f%s}\n', ops, bytes, seconds, cpu, extra or ""))
  io.flush()
end

local function connect(transport, target)
  local s
  if transport == "unix" then
    s = assert(require("socket.unix").stream())
    assert(s:connect(target))
  else
    s = assert(socket.tcp())
    assert(s:connect("127.0.0.1", tonumber(target)))
    s:setoption("tcp-nodelay", true)
  end
  return s
end

local function rr(transport, target, seconds, size)
  local n = tonumber(size)
  local out = string.rep("a", n)
  local s
  if transport == "udp" then
    s = assert(socket.udp())
    assert(s:setpeername("127.0.0.1", tonumber(target)))
  else
    s = connect(transport, target)
  end
  local rtts = {}
  local c0, t0 = os.clock(), socket.gettime()
  local t, stop = t0, t0 + tonumber(seconds)
  while t < stop do
    assert(s:send(out))
    assert(s:receive(n))
    local t1 = socket.gettime()
    rtts[#rtts + 1] = (t1 - t) * 1e6
    t = t1
  end
  local cpu = os.clock() - c0
  table.sort(rtts)
  local count = #rtts
  report(count, count * n, t - t0, cpu, string.format(',"p50":%.2f,"p99":%.2f', rtts[count // 2 + 1], rtts[math.floor(count * 0.99) + 1]))
end

local function sink(transport, target, seconds)
  local s = connect(transport, target)
  assert(s:receive(CHUNK))
  local bytes, reads = 0, 0
  local c0, t0 = os.clock(), socket.gettime()
  local t, stop = t0, t0 + tonumber(seconds)
  while t < stop do
    local data, err, partial = s:receive(CHUNK)
    data = data or partial
    if #data > 0 then bytes = bytes + #data; reads = reads + 1 end
    if err then break end
    if reads % 16 == 0 then t = socket.gettime() end
  end
  report(reads, bytes, socket.gettime() - t0, os.clock() - c0)
  s:close()
end

local function source(transport, path, size)
  local l
  if transport == "unix" then
    os.remove(path)
    l = assert(require("socket.unix").stream())
    assert(l:bind(path))
    assert(l:listen())
    print("ready " .. path)
  else
    l = assert(socket.bind("127.0.0.1", 0))
    local _, port = l:getsockname()
    print("ready " .. port)
  end
  io.flush()
  local s = assert(l:accept())
  l:close()
  local buf = string.rep("\0", tonumber(size))
  local bytes, writes = 0, 0
  local c0, t0 = os.clock(), socket.gettime()
  while true do
    local sent = s:send(buf)
    if not sent then break end
    bytes = bytes + #buf
    writes = writes + 1
  end
  report(writes, bytes, socket.gettime() - t0, os.clock() - c0)
end

local modes = { rr = rr, sink = sink, source = source }
if not modes[mode] then
  io.stderr:write("peer.lua: unknown mode (see bench/c/peer.c)\n")
  os.exit(2)
end
modes[mode](table.unpack(arg, 2))
