-- Lua 5.4's pattern matching written in Lua, for the sandbox. The native matcher (lstrlib.c) runs in C, where the
-- budget hook cannot reach: a pattern such as ('a?'):rep(28) .. ('a'):rep(28) backtracks 2^28 times inside one call.
-- The sandbox estimates each call's worst case first (worst_case below); a call whose worst case is small runs
-- natively, any other runs here, where every step is a Lua instruction that the instruction and time budgets count.
-- Semantics and error messages follow lstrlib.c of Lua 5.4.
local byte, sub, char, rep = string.byte, string.sub, string.char, string.rep
local native_find = string.find
local tostring, type, error, select, tointeger = tostring, type, error, select, math.tointeger
local concat = table.concat
local pcall, tonumber, huge = pcall, tonumber, math.huge

local L_ESC = 37 -- %
local SPECIALS = "^$*+?.([%-"
local MAXCAPTURES = 32
local MAXCCALLS = 200
local CAP_UNFINISHED, CAP_POSITION = -1, -2

local B_DOT, B_OPEN, B_CLOSE, B_DOLLAR, B_CARET = 46, 40, 41, 36, 94
local B_LBRACKET, B_RBRACKET, B_DASH = 91, 93, 45
local B_STAR, B_PLUS, B_QUESTION = 42, 43, 63

local function in_range(c, lo, hi) return c >= lo and c <= hi end

local function match_class(c, cl)
  local lower = cl >= 65 and cl <= 90 and cl + 32 or cl
  local res
  if lower == 97 then res = in_range(c, 65, 90) or in_range(c, 97, 122) -- a
  elseif lower == 99 then res = c < 32 or c == 127 -- c
  elseif lower == 100 then res = in_range(c, 48, 57) -- d
  elseif lower == 103 then res = in_range(c, 33, 126) -- g
  elseif lower == 108 then res = in_range(c, 97, 122) -- l
  elseif lower == 112 then -- p
    res = in_range(c, 33, 47) or in_range(c, 58, 64) or in_range(c, 91, 96) or in_range(c, 123, 126)
  elseif lower == 115 then res = c == 32 or in_range(c, 9, 13) -- s
  elseif lower == 117 then res = in_range(c, 65, 90) -- u
  elseif lower == 119 then res = in_range(c, 48, 57) or in_range(c, 65, 90) or in_range(c, 97, 122) -- w
  elseif lower == 120 then res = in_range(c, 48, 57) or in_range(c, 65, 70) or in_range(c, 97, 102) -- x
  else return cl == c
  end
  if cl >= 65 and cl <= 90 then return not res end
  return res
end

-- p is the position of '[', ec the position of the closing ']'.
local function match_bracket_class(ms, c, p, ec)
  local pat = ms.pat
  local sig = true
  if byte(pat, p + 1) == B_CARET then
    sig = false
    p = p + 1
  end
  p = p + 1
  while p < ec do
    local pc = byte(pat, p)
    if pc == L_ESC then
      p = p + 1
      if match_class(c, byte(pat, p)) then return sig end
    elseif byte(pat, p + 1) == B_DASH and p + 2 < ec then
      if byte(pat, p) <= c and c <= byte(pat, p + 2) then return sig end
      p = p + 2
    elseif pc == c then
      return sig
    end
    p = p + 1
  end
  return not sig
end

local function class_end(ms, p)
  local pat, plen = ms.pat, ms.plen
  local c = byte(pat, p)
  p = p + 1
  if c == L_ESC then
    if p > plen then error("malformed pattern (ends with '%')", 0) end
    return p + 1
  elseif c == B_LBRACKET then
    if byte(pat, p) == B_CARET then p = p + 1 end
    repeat
      if p > plen then error("malformed pattern (missing ']')", 0) end
      local cc = byte(pat, p)
      p = p + 1
      if cc == L_ESC and p <= plen then p = p + 1 end
    until byte(pat, p) == B_RBRACKET
    return p + 1
  end
  return p
end

local function single_match(ms, s, p, ep)
  if s > ms.slen then return false end
  local c = byte(ms.src, s)
  local pc = byte(ms.pat, p)
  if pc == B_DOT then return true
  elseif pc == L_ESC then return match_class(c, byte(ms.pat, p + 1))
  elseif pc == B_LBRACKET then return match_bracket_class(ms, c, p, ep - 1)
  end
  return pc == c
end

local match

local function max_expand(ms, s, p, ep)
  local i = 0
  while single_match(ms, s + i, p, ep) do i = i + 1 end
  while i >= 0 do
    local res = match(ms, s + i, ep + 1)
    if res then return res end
    i = i - 1
  end
  return nil
end

local function min_expand(ms, s, p, ep)
  while true do
    local res = match(ms, s, ep + 1)
    if res then return res
    elseif single_match(ms, s, p, ep) then s = s + 1
    else return nil
    end
  end
end

local function start_capture(ms, s, p, what)
  local level = ms.level
  if level >= MAXCAPTURES then error("too many captures", 0) end
  ms.cinit[level + 1] = s
  ms.clen[level + 1] = what
  ms.level = level + 1
  local res = match(ms, s, p)
  if res == nil then ms.level = ms.level - 1 end
  return res
end

local function end_capture(ms, s, p)
  local l
  for level = ms.level, 1, -1 do
    if ms.clen[level] == CAP_UNFINISHED then l = level break end
  end
  if l == nil then error("invalid pattern capture", 0) end
  ms.clen[l] = s - ms.cinit[l]
  local res = match(ms, s, p)
  if res == nil then ms.clen[l] = CAP_UNFINISHED end
  return res
end

local function match_balance(ms, s, p)
  if p >= ms.plen then error("malformed pattern (missing arguments to '%b')", 0) end
  if s > ms.slen or byte(ms.src, s) ~= byte(ms.pat, p) then return nil end
  local b, e = byte(ms.pat, p), byte(ms.pat, p + 1)
  local cont = 1
  s = s + 1
  while s <= ms.slen do
    local c = byte(ms.src, s)
    if c == e then
      cont = cont - 1
      if cont == 0 then return s + 1 end
    elseif c == b then
      cont = cont + 1
    end
    s = s + 1
  end
  return nil
end

local function match_capture(ms, s, l)
  l = l - 48 -- '0'
  if l < 1 or l > ms.level or ms.clen[l] == CAP_UNFINISHED then
    error("invalid capture index %" .. (l) .. " in pattern", 0)
  end
  local len = ms.clen[l]
  if len >= 0 and ms.slen - s + 1 >= len and sub(ms.src, ms.cinit[l], ms.cinit[l] + len - 1) == sub(ms.src, s, s + len - 1) then
    return s + len
  end
  return nil
end

-- Returns the position just past the match, or nil.
match = function(ms, s, p)
  ms.depth = ms.depth - 1
  if ms.depth == 0 then error("pattern too complex", 0) end
  local pat, plen = ms.pat, ms.plen
  while true do
    if p > plen then break end
    local pc = byte(pat, p)
    local dflt = false
    if pc == B_OPEN then
      if byte(pat, p + 1) == B_CLOSE then
        s = start_capture(ms, s, p + 2, CAP_POSITION)
      else
        s = start_capture(ms, s, p + 1, CAP_UNFINISHED)
      end
      break
    elseif pc == B_CLOSE then
      s = end_capture(ms, s, p + 1)
      break
    elseif pc == B_DOLLAR and p == plen then
      if s ~= ms.slen + 1 then s = nil end
      break
    elseif pc == L_ESC then
      local nc = byte(pat, p + 1)
      if nc == 98 then -- b
        s = match_balance(ms, s, p + 2)
        if s == nil then break end
        p = p + 4
      elseif nc == 102 then -- f
        p = p + 2
        if byte(pat, p) ~= B_LBRACKET then error("missing '[' after '%f' in pattern", 0) end
        local ep = class_end(ms, p)
        local previous = s == 1 and 0 or byte(ms.src, s - 1)
        local current = byte(ms.src, s) or 0
        if not match_bracket_class(ms, previous, p, ep - 1) and match_bracket_class(ms, current, p, ep - 1) then
          p = ep
        else
          s = nil
          break
        end
      elseif nc ~= nil and nc >= 48 and nc <= 57 then
        s = match_capture(ms, s, nc)
        if s == nil then break end
        p = p + 2
      else
        dflt = true
      end
    else
      dflt = true
    end
    if dflt then
      local ep = class_end(ms, p)
      local epc = byte(pat, ep)
      if not single_match(ms, s, p, ep) then
        if epc == B_STAR or epc == B_QUESTION or epc == B_DASH then
          p = ep + 1
        else
          s = nil
          break
        end
      elseif epc == B_QUESTION then
        local res = match(ms, s + 1, ep + 1)
        if res then
          s = res
          break
        end
        p = ep + 1
      elseif epc == B_PLUS then
        s = max_expand(ms, s + 1, p, ep)
        break
      elseif epc == B_STAR then
        s = max_expand(ms, s, p, ep)
        break
      elseif epc == B_DASH then
        s = min_expand(ms, s, p, ep)
        break
      else
        s = s + 1
        p = ep
      end
    end
  end
  ms.depth = ms.depth + 1
  return s
end

local function state(src, pat, from)
  return { src = src, slen = #src, pat = pat, plen = #pat, level = 0, depth = MAXCCALLS, cinit = {}, clen = {}, from = from or 1 }
end

local function reset(ms)
  ms.level = 0
  ms.depth = MAXCCALLS
end

-- The i-th capture (1-based), or the whole match s..e-1 when there are none and i == 1.
local function get_capture(ms, i, s, e)
  if i > ms.level then
    if i ~= 1 then error("invalid capture index %" .. i, 0) end
    return sub(ms.src, s, e - 1)
  end
  local l = ms.clen[i]
  if l == CAP_UNFINISHED then error("unfinished capture", 0) end
  if l == CAP_POSITION then return ms.cinit[i] end
  return sub(ms.src, ms.cinit[i], ms.cinit[i] + l - 1)
end

local function captures(ms, s, e, whole)
  local n = (ms.level == 0 and whole) and 1 or ms.level
  local out = {}
  for i = 1, n do out[i] = get_capture(ms, i, s, e) end
  return out, n
end

local unpack = table.unpack

local function posrelat(pos, len)
  if pos > 0 then return pos
  elseif pos == 0 then return 1
  elseif pos < -len then return 1
  end
  return len + pos + 1
end

local function check_integer(v, n, fname, default)
  if v == nil then return default end
  local i = tointeger(v)
  if i == nil then
    if type(v) == "string" then i = tointeger(tonumber(v)) end
    if i == nil then
      error("bad argument #" .. n .. " to '" .. fname .. "' (number has no integer representation)", 0)
    end
  end
  return i
end

local function check_string(v, n, fname)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  error("bad argument #" .. n .. " to '" .. fname .. "' (string expected, got " .. (v == nil and "no value" or t) .. ")", 0)
end

local function find_aux(is_find, s, p, init, plain)
  local fname = is_find and "find" or "match"
  s = check_string(s, 1, fname)
  p = check_string(p, 2, fname)
  local ls = #s
  init = posrelat(check_integer(init, 3, fname, 1), ls)
  if init > ls + 1 then return nil end
  if is_find and (plain or not native_find(p, "[%^%$%*%+%?%.%(%[%%%-]")) then
    -- Plain search: the native one is linear in practice; its worst case is charged by the caller.
    return native_find(s, p, init, true)
  end
  local ms = state(s, p)
  local anchor = byte(p, 1) == B_CARET
  local pstart = anchor and 2 or 1
  local s1 = init
  repeat
    reset(ms)
    local e = match(ms, s1, pstart)
    if e then
      if is_find then
        local caps, n = captures(ms, nil, 0, false)
        return s1, e - 1, unpack(caps, 1, n)
      end
      local caps, n = captures(ms, s1, e, true)
      return unpack(caps, 1, n)
    end
    s1 = s1 + 1
  until s1 > ls + 1 or anchor
  return nil
end

local M = {}

function M.find(s, p, init, plain) return find_aux(true, s, p, init, plain) end

function M.match(s, p, init) return find_aux(false, s, p, init, false) end

function M.gmatch(s, p, init)
  s = check_string(s, 1, "gmatch")
  p = check_string(p, 2, "gmatch")
  local ls = #s
  init = posrelat(check_integer(init, 3, "gmatch", 1), ls)
  if init > ls + 1 then init = ls + 2 end
  local ms = state(s, p)
  local src, lastmatch = init, nil
  return function()
    while src <= ls + 1 do
      reset(ms)
      local e = match(ms, src, 1)
      if e ~= nil and e ~= lastmatch then
        local start = src
        src, lastmatch = e, e
        local caps, n = captures(ms, start, e, true)
        return unpack(caps, 1, n)
      end
      src = src + 1
    end
    return nil
  end
end

local function add_value(ms, b, s, e, repl, tr)
  local value
  if tr == "function" then
    local caps, n = captures(ms, s, e, true)
    value = repl(unpack(caps, 1, n))
  elseif tr == "table" then
    value = repl[get_capture(ms, 1, s, e)]
  else
    local parts, i, l = {}, 1, #repl
    while i <= l do
      local c = byte(repl, i)
      if c == L_ESC then
        i = i + 1
        local d = byte(repl, i)
        if d == L_ESC then
          parts[#parts + 1] = "%"
        elseif d ~= nil and d >= 48 and d <= 57 then
          if d == 48 then
            parts[#parts + 1] = sub(ms.src, s, e - 1)
          else
            local v = get_capture(ms, d - 48, s, e)
            parts[#parts + 1] = tostring(v)
          end
        else
          error("invalid use of '%' in replacement string", 0)
        end
      else
        local j = native_find(repl, "%", i, true) or (l + 1)
        parts[#parts + 1] = sub(repl, i, j - 1)
        i = j - 1
      end
      i = i + 1
    end
    b[#b + 1] = concat(parts)
    return
  end
  if not value then
    b[#b + 1] = sub(ms.src, s, e - 1)
  elseif type(value) == "string" or type(value) == "number" then
    b[#b + 1] = tostring(value)
  else
    error("invalid replacement value (a " .. type(value) .. ")", 0)
  end
end

function M.gsub(s, p, repl, max_n)
  s = check_string(s, 1, "gsub")
  p = check_string(p, 2, "gsub")
  local tr = type(repl)
  if tr == "number" then
    repl, tr = tostring(repl), "string"
  elseif tr ~= "string" and tr ~= "table" and tr ~= "function" then
    error("bad argument #3 to 'gsub' (string/function/table expected, got " .. (repl == nil and "nil" or tr) .. ")", 0)
  end
  local ls = #s
  max_n = check_integer(max_n, 4, "gsub", ls + 1)
  local anchor = byte(p, 1) == B_CARET
  local pstart = anchor and 2 or 1
  local ms = state(s, p)
  local b, n, src, lastmatch = {}, 0, 1, nil
  while n < max_n do
    reset(ms)
    local e = match(ms, src, pstart)
    if e ~= nil and e ~= lastmatch then
      n = n + 1
      add_value(ms, b, src, e, repl, tr)
      src, lastmatch = e, e
    elseif src <= ls then
      b[#b + 1] = sub(s, src, src)
      src = src + 1
    else
      break
    end
    if anchor then break end
  end
  if src <= ls then b[#b + 1] = sub(s, src) end
  return concat(b), n
end

-- A pattern's shape for the estimate: its items' kinds from first to last, and whether it is anchored; nil when it is
-- malformed. Shapes are cached per pattern text (a script matches the same few patterns many times).
local KIND_CAPTURE, KIND_ONE, KIND_END, KIND_SCAN, KIND_OPTIONAL, KIND_MANY = 0, 1, 2, 3, 4, 5
local shapes, shape_count = {}, 0

local function shape_of(p)
  local cached = shapes[p]
  if cached ~= nil then return cached end
  local ms = { pat = p, plen = #p }
  local kinds = {}
  local pos, anchored = 1, false
  if byte(p, 1) == B_CARET then
    anchored = true
    pos = 2
  end
  local ok = pcall(function()
    while pos <= ms.plen do
      local pc = byte(p, pos)
      local nc = byte(p, pos + 1) or 0
      if pc == B_OPEN or pc == B_CLOSE then
        kinds[#kinds + 1] = KIND_CAPTURE
        pos = pos + ((pc == B_OPEN and nc == B_CLOSE) and 2 or 1)
      elseif pc == B_DOLLAR and pos == ms.plen then
        kinds[#kinds + 1] = KIND_END
        pos = pos + 1
      elseif pc == L_ESC and nc == 98 then -- %b
        kinds[#kinds + 1] = KIND_SCAN
        pos = pos + 4
      elseif pc == L_ESC and nc == 102 then -- %f
        pos = class_end(ms, pos + 2)
        kinds[#kinds + 1] = KIND_ONE
      elseif pc == L_ESC and nc >= 48 and nc <= 57 then -- back reference
        kinds[#kinds + 1] = KIND_SCAN
        pos = pos + 2
      else
        local ep = class_end(ms, pos)
        local q = byte(p, ep)
        if q == B_STAR or q == B_PLUS or q == B_DASH then
          kinds[#kinds + 1] = KIND_MANY
          pos = ep + 1
        elseif q == B_QUESTION then
          kinds[#kinds + 1] = KIND_OPTIONAL
          pos = ep + 1
        else
          kinds[#kinds + 1] = KIND_ONE
          pos = ep
        end
      end
    end
  end)
  if not ok then return false end
  local shape = { kinds = kinds, anchored = anchored }
  if shape_count >= 256 then
    shapes, shape_count = {}, 0
  end
  shapes[p] = shape
  shape_count = shape_count + 1
  return shape
end

-- The worst number of steps the native matcher may take for pattern p on a subject of n bytes (each start position
-- included unless anchored), or math.huge. A quantified item followed by something that can fail may retry the rest
-- of the pattern at every length it can take; one followed by nothing that can fail never backtracks.
function M.worst_case(p, n, anchored)
  if type(p) ~= "string" then return 0 end
  local shape = shape_of(p)
  -- Malformed (or stopped by a budget while being read): the Lua matcher raises the pattern's error (or the hook the
  -- budget's) where natively nothing would be checked.
  if not shape then return huge end
  anchored = anchored or shape.anchored
  local kinds = shape.kinds
  local cost, can_fail = 1, false
  for i = #kinds, 1, -1 do
    local kind = kinds[i]
    if kind == KIND_ONE or kind == KIND_END then
      cost = cost + 1
      can_fail = true
    elseif kind == KIND_SCAN then
      cost = cost + n
      can_fail = true
    elseif kind == KIND_OPTIONAL then
      cost = can_fail and (1 + 2 * cost) or (cost + 1)
      can_fail = true
    elseif kind == KIND_MANY then
      cost = can_fail and (n + (n + 1) * cost) or (2 * n + cost)
    end
    if cost > 1e15 then return huge end
  end
  -- Unanchored, every start may fail after its worst case; a pattern that cannot fail after its first item costs
  -- only the scan.
  if anchored then return cost end
  return can_fail and cost * (n + 1) or cost + n
end

return M
