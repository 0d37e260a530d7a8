-- dockerfix for Neovim: runs `dockerfix-lsp` on the built-in LSP client.
--
--   require("dockerfix").setup({
--     cmd = { "dockerfix-lsp" },      -- default: dockerfix-lsp on PATH, else in $VIRTUAL_ENV
--     settings = { select = { "DF" }, ignore = {}, unsafeFixes = false },
--     fix_on_save = false,            -- apply source.fixAll.dockerfix before each write
--   })
--
-- Works on Neovim 0.7 (Debian 12's package) and on current releases: every API that changed
-- since 0.7 is feature-detected below.

local M = {}

M.name = "dockerfix"
M.fix_all_kind = "source.fixAll.dockerfix"

local defaults = {
  -- The server command (a list). nil: `dockerfix-lsp` found on PATH or in $VIRTUAL_ENV/bin.
  cmd = nil,
  filetypes = { "dockerfile" },
  -- The workspace root is the nearest folder holding one of these (else the file's folder).
  root_markers = { "dockerfix.toml", ".dockerfix.toml", "pyproject.toml", ".git" },
  -- The server's `dockerfix` settings: select, ignore, unsafeFixes, syntaxDirective.
  settings = {},
  -- Start the server for every buffer of `filetypes`.
  autostart = true,
  -- Apply source.fixAll.dockerfix before each write.
  fix_on_save = false,
  -- How long :DockerfixFixAll (and fix on save) waits for the server, in milliseconds.
  timeout_ms = 5000,
  -- Passed through to the LSP client.
  on_attach = nil,
  capabilities = nil,
}

M.config = vim.deepcopy(defaults)

local uv = vim.uv or vim.loop
local has_011 = vim.fn.has("nvim-0.11") == 1

local function notify(message, level)
  vim.notify("dockerfix: " .. message, level or vim.log.levels.INFO)
end

-- Client methods became `client:method(...)` in 0.11 (the `client.method(...)` form is
-- deprecated there); 0.7 to 0.10 only know `client.method(...)`.
local function call(client, method, ...)
  if has_011 then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function is_active(client)
  if has_011 then
    return not client:is_stopped()
  end
  return not client.is_stopped()
end

--- The dockerfix clients attached to `bufnr` (0 or nil: the current buffer).
function M.clients(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local found = {}
  if vim.lsp.get_clients then -- 0.10+
    for _, client in ipairs(vim.lsp.get_clients({ bufnr = bufnr, name = M.name })) do
      table.insert(found, client)
    end
    return found
  end
  for _, client in ipairs(vim.lsp.get_active_clients()) do
    if client.name == M.name and vim.lsp.buf_is_attached(bufnr, client.id) then
      table.insert(found, client)
    end
  end
  return found
end

--- The server command: `config.cmd` if given, else `dockerfix-lsp` on PATH or in the active
--- virtualenv. nil if none is executable.
function M.server_cmd()
  if M.config.cmd then
    return M.config.cmd
  end
  if vim.fn.executable("dockerfix-lsp") == 1 then
    return { "dockerfix-lsp" }
  end
  local venv = vim.env.VIRTUAL_ENV
  if venv and venv ~= "" then
    local candidate = venv .. "/bin/dockerfix-lsp"
    if vim.fn.executable(candidate) == 1 then
      return { candidate }
    end
  end
  return nil
end

local function find_root(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local start = dir
  while dir and dir ~= "" do
    for _, marker in ipairs(M.config.root_markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return start
end

-- An empty Lua table is sent as a JSON list: the settings must go out as an object.
local function as_object(tbl)
  local copy = vim.deepcopy(tbl or {})
  if next(copy) == nil then
    return vim.empty_dict()
  end
  return copy
end

--- The client configuration for a buffer whose file lives under `root_dir`.
function M.client_config(root_dir)
  local settings = as_object(M.config.settings)
  return {
    name = M.name,
    cmd = M.server_cmd(),
    root_dir = root_dir,
    settings = { dockerfix = settings },
    init_options = { settings = settings },
    capabilities = M.config.capabilities,
    on_attach = M.config.on_attach,
  }
end

local started = {} -- 0.7: root_dir -> client id (vim.lsp.start does this itself on 0.8+)
local warned_missing = false

--- Starts (or reuses) the server for `bufnr` and attaches it. Returns the client id.
function M.start(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local config = M.client_config(find_root(path))
  if not config.cmd then
    if not warned_missing then
      warned_missing = true
      notify(
        "`dockerfix-lsp` not found: install dockerfix in this environment or set `cmd` in "
          .. "require('dockerfix').setup{}",
        vim.log.levels.WARN
      )
    end
    return nil
  end
  if vim.lsp.start then -- 0.8+
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = started[config.root_dir]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or not is_active(client) then
    id = vim.lsp.start_client(config)
    if not id then
      return nil
    end
    started[config.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

local function request(client, method, params, bufnr)
  local response, err = call(client, "request_sync", method, params, M.config.timeout_ms, bufnr)
  if not response then
    return nil, method .. ": " .. tostring(err or "no response")
  end
  if response.err then
    return nil, method .. ": " .. tostring(response.err.message or vim.inspect(response.err))
  end
  return response.result
end

local function wanted(action)
  local kind = action.kind
  return type(kind) == "string"
    and (kind == M.fix_all_kind or kind:sub(1, #M.fix_all_kind + 1) == M.fix_all_kind .. ".")
end

local function apply_action(client, action, bufnr)
  local provider = client.server_capabilities and client.server_capabilities.codeActionProvider
  if
    not action.edit
    and type(action.command) ~= "table"
    and type(provider) == "table"
    and provider.resolveProvider
  then
    local resolved, err = request(client, "codeAction/resolve", action, bufnr)
    if err then
      return err
    end
    action = resolved or action
  end
  if action.edit then
    -- 0.7 takes (edit, offset_encoding) and warns without the encoding; 0.11 requires it.
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding or "utf-16")
  end
  if type(action.command) == "table" then
    local _, err = request(client, "workspace/executeCommand", action.command, bufnr)
    return err
  end
  return nil
end

--- Applies `source.fixAll.dockerfix` to `bufnr` (0 or nil: the current buffer), synchronously.
--- Returns true if the server answered (whether or not anything changed).
function M.fix_all(bufnr, opts)
  opts = opts or {}
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  local clients = M.clients(bufnr)
  if #clients == 0 then
    if not opts.silent then
      notify("no dockerfix server is attached to this buffer", vim.log.levels.WARN)
    end
    return false
  end
  local ok = true
  for _, client in ipairs(clients) do
    local last = vim.api.nvim_buf_line_count(bufnr)
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      range = {
        start = { line = 0, character = 0 },
        ["end"] = { line = last, character = 0 },
      },
      context = { diagnostics = {}, only = { M.fix_all_kind } },
    }
    local actions, err = request(client, "textDocument/codeAction", params, bufnr)
    for _, action in ipairs(actions or {}) do
      if not err and wanted(action) then
        err = apply_action(client, action, bufnr)
      end
    end
    if err then
      ok = false
      notify(err, vim.log.levels.ERROR)
    end
  end
  return ok
end

local function define_commands()
  vim.api.nvim_create_user_command("DockerfixFixAll", function()
    M.fix_all(0)
  end, { desc = "dockerfix: apply every safe fix (source.fixAll.dockerfix)" })
end

function M.setup(opts)
  -- Each option replaces its default whole (a list given is not merged index by index).
  M.config = vim.tbl_extend("force", vim.deepcopy(defaults), vim.deepcopy(opts or {}))
  warned_missing = false
  define_commands()

  local group = vim.api.nvim_create_augroup("dockerfix", { clear = true })
  if M.config.autostart then
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = M.config.filetypes,
      callback = function(args)
        M.start(args.buf)
      end,
    })
    -- Buffers that were already open when setup() ran.
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if
        vim.api.nvim_buf_is_loaded(bufnr)
        and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype)
      then
        M.start(bufnr)
      end
    end
  end
  if M.config.fix_on_save then
    vim.api.nvim_create_autocmd("BufWritePre", {
      group = group,
      callback = function(args)
        if #M.clients(args.buf) > 0 then
          M.fix_all(args.buf, { silent = true })
        end
      end,
    })
  end
end

return M
