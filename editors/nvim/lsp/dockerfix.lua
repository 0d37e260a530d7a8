-- Neovim 0.11+: with editors/nvim on 'runtimepath', `vim.lsp.enable("dockerfix")` starts
-- dockerfix-lsp from this config (extend it with `vim.lsp.config("dockerfix", {...})`).
-- Fix all: vim.lsp.buf.code_action({ context = { only = { "source.fixAll.dockerfix" } }, apply = true })
-- For Neovim 0.7 to 0.10, use require("dockerfix").setup{} instead.
return {
  cmd = { "dockerfix-lsp" },
  filetypes = { "dockerfile" },
  root_markers = { "dockerfix.toml", ".dockerfix.toml", "pyproject.toml", ".git" },
}
