// The sandbox, in Lua. Runs once, trusted, with the full standard library; it
// keeps private references to what it needs and then removes every dangerous
// global. Record code only ever sees `safe` (through a fresh per-evaluation
// environment table), never _G: no io, os, require, package, load, loadstring,
// dofile, loadfile, debug, coroutine, collectgarbage, string.dump.
//
// Host functions (defined by host-functions.ts as globals named __h_<name>)
// are copied into `safe` under their PowerDNS names; helpers named __h__<name>
// stay private to this file.
//
// __eval(code, vars...) is the one entry point the runtime calls. It returns
//   true, readmask, result...      (result strings, in order)
//   false, message
// where readmask records which client/query variables the code read directly.
export const SANDBOX_LUA = String.raw`
local ABORT, OOM, CODE_CACHE_BYTES = ...
local rawpcall, rawxpcall, rawerror, load, setmetatable, getmetatable = pcall, xpcall, error, load, setmetatable, getmetatable
local type, tostring, tonumber, pairs, ipairs, select, next = type, tostring, tonumber, pairs, ipairs, select, next
local setupvalue, srep, sgsub, tunpack = debug.setupvalue, string.rep, string.gsub, table.unpack
local MAX_STRING = 1024 * 1024

-- library tables are shared by every evaluation: expose read-only views
local function readonly(t, name)
  return setmetatable({}, { __index = t, __metatable = false,
    __newindex = function() rawerror(name .. ' is read-only', 2) end })
end

-- string.rep is the cheapest memory bomb: bound it before the allocator has to
string.rep = function(s, n, sep)
  n = tonumber(n) or 0
  local len = (#tostring(s) + (sep and #tostring(sep) or 0)) * n
  if len > MAX_STRING then rawerror('string.rep result too large (' .. ('%.0f'):format(len) .. ' bytes, limit ' .. MAX_STRING .. ')', 2) end
  return srep(s, n, sep)
end
string.dump = nil
-- Lua patterns have no backtracking limit; long chains of quantifiers can take
-- exponential time inside one C call where the instruction hook cannot fire.
local function checkpattern(p)
  if type(p) == 'string' then
    local _, q = sgsub(p, '[%*%+%-%?]', '')
    if q > 6 then rawerror('pattern too complex (more than 6 quantifiers)', 3) end
  end
end
for _, fname in ipairs({ 'find', 'match', 'gmatch', 'gsub' }) do
  local f = string[fname]
  string[fname] = function(s, p, ...) checkpattern(p) return f(s, p, ...) end
end
getmetatable('').__metatable = false
-- the generator is shared by every evaluation: no record may fix another's sequence
math.randomseed = nil

-- an error raised by the instruction hook or the allocator must not be caught by the script
local function guard(ok, ...)
  if not ok then
    local e = ...
    if e == ABORT or e == OOM then rawerror(e, 0) end
  end
  return ok, ...
end

local safe = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, select = select,
  tonumber = tonumber, tostring = tostring, type = type, unpack = table.unpack,
  rawequal = rawequal, rawget = rawget, rawlen = rawlen, -- no rawset: it would write through the read-only views
  -- No __gc: a finalizer runs whenever the collector gets to it, i.e. during some
  -- later evaluation of another record, which would pay for (and be blamed for) it.
  setmetatable = function(t, mt)
    if type(mt) == 'table' and rawget(mt, '__gc') ~= nil then rawerror('__gc metamethods are not allowed in LUA records', 2) end
    return setmetatable(t, mt)
  end,
  getmetatable = getmetatable,
  string = readonly(string, 'string'), table = readonly(table, 'table'),
  math = readonly(math, 'math'), utf8 = readonly(utf8, 'utf8'),
  pcall = function(f, ...) return guard(rawpcall(f, ...)) end,
  xpcall = function(f, h, ...) return guard(rawxpcall(f, h, ...)) end,
}

-- PowerDNS object types, the subset record code uses. Every evaluation shares
-- the method tables, so instances see them only through read-only views (with
-- CA.__index = CA, newCA(x).__index was the method table itself, and a record
-- of one zone could rewrite toString for every other zone).
local function class(methods, meta)
  meta.__index = readonly(methods, 'object methods')
  meta.__metatable = false
  return meta
end

local CA = {}
function CA:toString() return self.addr end
function CA:toStringWithPort() if self.addr:find(':', 1, true) then return '[' .. self.addr .. ']:' .. self.port end return self.addr .. ':' .. self.port end
function CA:getPort() return self.port end
function CA:isIPv4() return not self.addr:find(':', 1, true) end
function CA:isIPv6() return self.addr:find(':', 1, true) ~= nil end
function CA:isMappedIPv4() return self.addr:lower():find('^::ffff:') ~= nil end
local CA_META = class(CA, { __tostring = function(a) return a.addr end, __eq = function(a, b) return a.addr == b.addr end })
local function newCA(addr, port)
  local n = __h__normalize(addr)
  if not n then rawerror('not an IP address: ' .. tostring(addr), 2) end
  return setmetatable({ addr = n, port = tonumber(port) or 0 }, CA_META)
end

local NM = {}
function NM:toString() return self.text end
function NM:getNetwork() return newCA(self.network) end
function NM:getBits() return self.bits end
function NM:isIPv4() return not self.network:find(':', 1, true) end
function NM:isIPv6() return self.network:find(':', 1, true) ~= nil end
function NM:match(a) return __h__inmasks(type(a) == 'table' and a.addr or tostring(a), { self.text }) end
local NM_META = class(NM, { __tostring = function(m) return m.text end })
local function newNetmask(text)
  local network, bits = __h__netmask(text)
  if not network then rawerror('not a netmask: ' .. tostring(text), 2) end
  return setmetatable({ network = network, bits = bits, text = network .. '/' .. bits }, NM_META)
end

local NMG = {}
function NMG:addMask(m) self.masks[#self.masks + 1] = tostring(m) end
function NMG:addMasks(t) for _, m in ipairs(t) do self:addMask(m) end end
function NMG:match(a) return __h__inmasks(type(a) == 'table' and a.addr or tostring(a), self.masks) end
local NMG_META = class(NMG, {})
local function newNMG(list)
  local g = setmetatable({ masks = {} }, NMG_META)
  if type(list) == 'table' then g:addMasks(list) end
  return g
end

local DN = {}
function DN:toString() return self.name end
function DN:toStringNoDot() return (self.name:gsub('%.$', '')) end
function DN:getRawLabels() local t = {} for l in self.name:gmatch('[^.]+') do t[#t + 1] = l end return t end
function DN:countLabels() return #self:getRawLabels() end
function DN:isPartOf(o)
  local a, b = self.name:lower(), (type(o) == 'table' and o.name or tostring(o)):lower()
  if b:sub(-1) ~= '.' then b = b .. '.' end
  return b == '.' or a == b or a:sub(-(#b + 1)) == '.' .. b
end
function DN:equal(o) return self.name:lower() == (type(o) == 'table' and o.name or tostring(o)):lower() end
local DN_META = class(DN, { __tostring = function(d) return d.name end, __eq = function(a, b) return a.name:lower() == b.name:lower() end })
local function newDN(name)
  name = tostring(name)
  if name:sub(-1) ~= '.' then name = name .. '.' end
  return setmetatable({ name = name }, DN_META)
end

safe.newCA, safe.newNetmask, safe.newNMG, safe.newDN = newCA, newNetmask, newNMG, newDN

-- client and query variables: created lazily, and every read is recorded
local cur = {}
local readmask = 0
local BITS = { who = 1, localwho = 1, bestwho = 2, ecswho = 2, qname = 4, dnssecOK = 8, tcp = 8, ednsPKTSize = 8 }
local MAKE = {
  who = function(v) return newCA(v, 0) end, localwho = function(v) return newCA(v, 53) end,
  bestwho = function(v) return newCA(v, 0) end,
  ecswho = function(v) return v and newNetmask(v) or nil end,
  qname = newDN, zone = newDN,
}
local built = {}
local envmeta = { __metatable = false, __index = function(_, k)
  local bit = BITS[k]
  if bit then readmask = readmask | bit end
  local make = MAKE[k]
  if make then
    local b = built[k]
    if b == nil then
      local raw = cur[k]
      if raw == nil then return nil end
      b = make(raw)
      built[k] = b
    end
    return b
  end
  local v = cur[k]
  if v ~= nil then return v end
  return safe[k]
end }

local curenv
safe.include = function(name)
  for _, code in ipairs(__h__include(tostring(name))) do
    local f, err = load(code, '=include ' .. tostring(name), 't', curenv)
    if not f then rawerror('include ' .. tostring(name) .. ': ' .. err, 2) end
    f()
  end
end

-- Compiled chunks, bounded by bytes in two generations (a record found in the
-- old one moves to the young one; when the young one is full it becomes the
-- old one): many large records rotate through it, they never fill the VM.
-- A chunk costs about twice its source (the key and the proto's constants).
local young, old, youngBytes = {}, {}, 0
local function compile(code)
  local f = young[code]
  if f then return f end
  f = old[code]
  if not f then
    local src = code:sub(1, 1) == ';' and code:sub(2) or ('return ' .. code)
    local err
    f, err = load(src, '=lua-record', 't', {})
    if not f then return nil, err end
  end
  local cost = 2 * #code + 200
  if youngBytes + cost > CODE_CACHE_BYTES / 2 then young, old, youngBytes = {}, young, 0 end
  if cost <= CODE_CACHE_BYTES / 2 then young[code] = f youngBytes = youngBytes + cost end
  return f
end

local function scalar(v)
  local t = type(v)
  if t == 'string' or t == 'number' then return tostring(v) end
  if t == 'table' then local m = getmetatable(v) if m and m.__tostring then return tostring(v) end end
  return nil
end

local function collect(ok, res)
  if not ok then return false, tostring(res) end
  local one = scalar(res)
  if one then return true, readmask, one end
  local t = type(res)
  if res == nil then return true, readmask end
  if t == 'table' then
    local out = {}
    for i, v in ipairs(res) do
      out[i] = scalar(v)
      if not out[i] then return false, 'result entry ' .. i .. ' is a ' .. type(v) .. ', not a string' end
    end
    return true, readmask, tunpack(out)
  end
  return false, 'LUA record returned a ' .. t .. ', expected a string or a table of strings'
end

function __eval(code, qname, zone, who, localwho, ecswho, bestwho, dnssecOK, tcp, ednsPKTSize)
  local f, err = compile(code)
  if not f then return false, 'syntax error: ' .. err end
  cur = { qname = qname, zone = zone, who = who, localwho = localwho, ecswho = ecswho or nil,
          bestwho = bestwho, dnssecOK = dnssecOK, tcp = tcp, ednsPKTSize = ednsPKTSize }
  built = {}
  readmask = 0
  curenv = setmetatable({}, envmeta)
  setupvalue(f, 1, curenv)
  return collect(rawpcall(f))
end

-- move host functions into the sandbox under their PowerDNS names
for k, v in pairs(_G) do
  if type(k) == 'string' and k:sub(1, 4) == '__h_' and k:sub(5, 5) ~= '_' then safe[k:sub(5)] = v end
end
-- filterForward(address, nmg[, fallback]) works on NMG objects
local hff = safe.filterForward
safe.filterForward = function(address, nmg, fallback)
  local masks = type(nmg) == 'table' and nmg.masks or nmg
  return hff(address, masks, fallback)
end
-- GeoIPQueryAttribute for geoiplookup(address, attr)
safe.GeoIPQueryAttribute = readonly({ ASn = 0, City = 1, Continent = 2, Country = 3, Country2 = 4, Name = 5, Region = 6, Location = 7 }, 'GeoIPQueryAttribute')
safe.pdnslog = function() end

-- nothing dangerous stays reachable, even for the trusted helpers above
local gc = collectgarbage
-- the worker calls this when the state holds more than it should between evaluations
function __collect() gc('collect') end
for _, k in ipairs({ 'io', 'os', 'require', 'package', 'dofile', 'loadfile', 'loadstring', 'load', 'debug', 'coroutine', 'collectgarbage' }) do _G[k] = nil end
gc('collect')
`;
