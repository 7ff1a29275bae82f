-- smbta-probe's view into Wireshark's SMB2 dissector: one tab-separated line per SMB2 PDU.
-- tshark's own field output puts every PDU of a compound frame in one row, where a field
-- that only some PDUs carry cannot be told apart; here the dissected tree is walked in
-- order, so each PDU's fields stay with it. Loaded by smbta-probe as
--   tshark -X lua_script:smb2-pdus.lua [-X lua_script1:flush] ...
-- Columns (docs/probe.md): time src sport dst dport kind, then for kind P:
--   cmd response msg_id sesid status latency acct domain tree filename fid
--   read_length write_length write_count data_length create_action infolevel
--   delete_pending create_options access_mask attributes tid
--   ioctl_function resume_key copy_total
-- and for kind E (an encrypted message): its size in bytes and its session id (in clear).

local flush = ({...})[1] == "flush"

local COLUMNS = {
  "smb2.cmd", "smb2.flags.response", "smb2.msg_id", "smb2.sesid", "smb2.nt_status", "smb2.time",
  "smb2.acct", "smb2.domain", "smb2.tree", "smb2.filename", "smb2.fid",
  "smb2.read_length", "smb2.write_length", "smb2.write.count", "smb2.olb.length", "smb2.create.action",
  "smb2.file_info.infolevel", "smb2.disposition.delete_on_close", "smb.create_options", "smb.access_mask",
  "smb2.file_attribute", "smb2.tid",
  "smb2.ioctl.function", "smb2.fsctl.cchunk.resume_key", "smb2.fsctl.cchunk.total_written",
}
local COLUMN_OF = {}
for i, name in ipairs(COLUMNS) do COLUMN_OF[name] = i end

local function clean(s)
  return (tostring(s):gsub("[\\\t\r\n]", { ["\\"] = "\\\\", ["\t"] = "\\t", ["\r"] = "\\r", ["\n"] = "\\n" }))
end

local function value(fi)
  local ok, v = pcall(function() return fi.value end)
  if not ok or v == nil then return clean(fi.display or "") end
  if type(v) == "boolean" then return v and "1" or "0" end
  return clean(v)
end

local proto = Proto("smbta_pdus", "smbta probe: SMB2 PDUs")
-- Fields a postdissector reads must be asked for, or tshark leaves them undissected.
local primed = { Field.new("frame.time_epoch"), Field.new("smb2.protocol_id") }

function proto.dissector(tvb, pinfo, tree)
  if not primed[2]() then return end
  local head = { "", "", "", "", "" }
  local pdus, pdu = {}, nil
  for _, fi in ipairs({ all_field_infos() }) do
    local name = fi.name
    if name == "frame.time_epoch" then head[1] = tostring(fi.value)
    elseif name == "ip.src" or name == "ipv6.src" then head[2] = tostring(fi.value)
    elseif name == "tcp.srcport" then head[3] = tostring(fi.value)
    elseif name == "ip.dst" or name == "ipv6.dst" then head[4] = tostring(fi.value)
    elseif name == "tcp.dstport" then head[5] = tostring(fi.value)
    elseif name == "smb2.protocol_id" then
      pdu = { kind = "P", cols = {} }
      pdus[#pdus + 1] = pdu
    elseif name == "smb2.header.transform.msg_size" and pdu then
      pdu.kind = "E"
      pdu.size = tostring(fi.value)
    elseif pdu then
      local col = COLUMN_OF[name]
      -- The first value of a column in a PDU is its own (later ones sit in nested data).
      if col and pdu.cols[col] == nil then pdu.cols[col] = value(fi) end
    end
  end
  local prefix = table.concat(head, "\t")
  for _, p in ipairs(pdus) do
    if p.kind == "E" then
      io.write(prefix, "\tE\t", p.size or "0", "\t", p.cols[COLUMN_OF["smb2.sesid"]] or "", "\n")
    else
      local out = {}
      for i = 1, #COLUMNS do out[i] = p.cols[i] or "" end
      io.write(prefix, "\tP\t", table.concat(out, "\t"), "\n")
    end
  end
  if flush then io.stdout:flush() end
end

register_postdissector(proto, true)

-- SMB hosted directly on TCP on any port: a 4-byte header whose last 3 bytes are the PDU's
-- length (up to 16 MiB). Wireshark's NBSS dissector reads that 24-bit length only on port
-- 445; decoded as NBSS on another port it takes a 17-bit length and loses every message
-- over 128 KiB. smbta-probe decodes its other --smb-port ports with this one instead.
local direct = Proto("smbta_direct", "SMB over TCP, direct hosting, on any port")

local function pdu_length(tvb, pinfo, offset)
  return 4 + tvb(offset + 1, 3):uint()
end

local function one_pdu(tvb, pinfo, tree)
  -- As NBSS hands a session message on: to the SMB and SMB2 dissectors' heuristics.
  if tvb:len() > 4 then DissectorTable.try_heuristics("netbios", tvb(4):tvb(), pinfo, tree) end
  return tvb:len()
end

-- A PDU starts with a zero byte, its length, then an SMB protocol id (0xFE/0xFF/0xFD/0xFC "SMB").
local function starts_pdu(tvb)
  if tvb:len() < 8 then return true end -- too short to tell: let reassembly ask for more
  local id = tvb(5, 3):string()
  return tvb(0, 1):uint() == 0 and id == "SMB" and tvb(4, 1):uint() >= 0xFC
end

function direct.dissector(tvb, pinfo, tree)
  -- A segment that does not start a PDU (a retransmission cut elsewhere, a capture begun
  -- mid-message) is not ours: read as a header, its bytes would derail the whole stream.
  if not starts_pdu(tvb) then return 0 end
  dissect_tcp_pdus(tvb, tree, 4, pdu_length, one_pdu)
  return tvb:len()
end

-- So that `-d tcp.port==N,smbta_direct` may name it.
DissectorTable.get("tcp.port"):add_for_decode_as(direct)
