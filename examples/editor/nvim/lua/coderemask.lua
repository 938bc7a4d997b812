-- coderemask for Neovim (0.7+): fix or complete the function under the cursor.
--
-- Talks to `coderemask editor` (the JSON-lines protocol in examples/editor/PROTOCOL.md), started
-- once and kept running so the model loads once. The buffer's text is sent as it is (unsaved
-- edits included); the answer is shown as a diff, and the function is replaced only when you
-- accept, as one undoable change. The file on disk is never written by this plugin.

local M = {}

M.config = {
  cmd = { "coderemask", "editor" }, -- add "--model", "path/or/hub-id" to use another model
  budget = nil,                      -- e.g. { max_rounds = 8, max_nfe = 512, timeout = 300 }
  -- confirm(diff_lines, on_answer): show the diff and call on_answer(true) to apply it.
  confirm = nil,
}

local job, next_id, pending, partial = nil, 0, {}, ""

local function notify(msg, level)
  vim.schedule(function() vim.notify("coderemask: " .. msg, level or vim.log.levels.INFO) end)
end

local function default_confirm(diff_lines, on_answer)
  vim.cmd("new")
  local scratch = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(scratch, 0, -1, false, diff_lines)
  vim.bo[scratch].buftype, vim.bo[scratch].bufhidden, vim.bo[scratch].filetype = "nofile", "wipe", "diff"
  vim.ui.select({ "apply", "discard" }, { prompt = "coderemask: apply this change?" }, function(choice)
    if vim.api.nvim_buf_is_valid(scratch) then vim.api.nvim_buf_delete(scratch, { force = true }) end
    on_answer(choice == "apply")
  end)
end

local function apply(request, result)
  local buf = request.buf
  if not vim.api.nvim_buf_is_valid(buf) then return end
  if vim.api.nvim_buf_get_changedtick(buf) ~= request.tick then
    notify("the buffer changed while coderemask worked; not applied (run it again)", vim.log.levels.WARN)
    return
  end
  local new_lines = vim.split(result.text, "\n", { plain = true })
  if new_lines[#new_lines] == "" then table.remove(new_lines) end
  local r = result.range
  -- the range is whole lines here: the function starts at column 0 of its first line
  vim.api.nvim_buf_set_lines(buf, r.start.line, r["end"].line, false, new_lines)
  notify(result.summary)
end

local function on_response(obj)
  local request = pending[obj.id]
  if not request then return end
  if obj.event == "progress" then
    local tests = obj.tests_total ~= vim.NIL and obj.tests_total and
        string.format(", tests %d/%d", obj.tests_passed, obj.tests_total) or ""
    notify(string.format("round %d: %s%s", obj.round, obj.parses and "parses" or "does not parse", tests))
    return
  end
  pending[obj.id] = nil
  if obj.event == "error" then
    notify(obj.code .. ": " .. obj.message, vim.log.levels.ERROR)
  elseif obj.status ~= "solved" then
    notify(obj.summary, vim.log.levels.WARN)
  else
    local confirm = M.config.confirm or default_confirm
    confirm(vim.split(obj.diff, "\n", { plain = true }), function(yes)
      if yes then apply(request, obj) else notify("discarded") end
    end)
  end
end

local function on_stdout(_, data)
  -- data: lines split at "\n"; the first continues the previous chunk, the last is partial
  data[1] = partial .. data[1]
  partial = table.remove(data)
  for _, line in ipairs(data) do
    if line ~= "" then
      local ok, obj = pcall(vim.json.decode, line)
      if ok then vim.schedule(function() on_response(obj) end) end
    end
  end
end

local function ensure_job()
  if job and vim.fn.jobwait({ job }, 0)[1] == -1 then return job end
  partial = ""
  job = vim.fn.jobstart(M.config.cmd, {
    on_stdout = on_stdout,
    on_stderr = function() end,
    on_exit = function(_, code)
      job = nil
      if code ~= 0 then notify("`coderemask editor` exited with code " .. code, vim.log.levels.ERROR) end
    end,
  })
  if job <= 0 then
    job = nil
    notify("cannot start " .. table.concat(M.config.cmd, " ") .. " (is coderemask installed?)", vim.log.levels.ERROR)
  end
  return job
end

function M.run(mode)
  local buf = vim.api.nvim_get_current_buf()
  local id_job = ensure_job()
  if not id_job then return end
  next_id = next_id + 1
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
  local request = {
    id = next_id, mode = mode, file = vim.api.nvim_buf_get_name(buf), text = text,
    line = vim.api.nvim_win_get_cursor(0)[1], budget = M.config.budget,
  }
  pending[next_id] = { buf = buf, tick = vim.api.nvim_buf_get_changedtick(buf) }
  vim.fn.chansend(id_job, vim.json.encode(request) .. "\n")
  notify(mode .. " started")
  return next_id
end

function M.pending_count()
  local n = 0
  for _ in pairs(pending) do n = n + 1 end
  return n
end

function M.setup(opts)
  M.config = vim.tbl_extend("force", M.config, opts or {})
  vim.api.nvim_create_user_command("CoderemaskFix", function() M.run("fix") end, {})
  vim.api.nvim_create_user_command("CoderemaskComplete", function() M.run("complete") end, {})
end

return M
