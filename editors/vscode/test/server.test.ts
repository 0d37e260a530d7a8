import assert from "node:assert/strict";
import { test } from "node:test";
import { expand, type ResolveInput, resolveServerCommand } from "../src/server";

function input(overrides: Partial<ResolveInput> & { executables?: string[] } = {}): ResolveInput {
  const executables = new Set(overrides.executables ?? []);
  return {
    setting: "",
    args: [],
    interpreter: undefined,
    workspaceFolder: "/work/project",
    home: "/home/me",
    platform: "linux",
    env: { PATH: "/usr/local/bin:/usr/bin" },
    isExecutable: (file) => executables.has(file),
    ...overrides,
  };
}

test("default: dockerfix-lsp beside the selected Python interpreter comes first", () => {
  const result = resolveServerCommand(
    input({
      interpreter: ["/work/project/.venv/bin/python"],
      executables: ["/work/project/.venv/bin/dockerfix-lsp", "/usr/bin/dockerfix-lsp"],
    }),
  );
  assert.deepEqual(result, {
    command: "/work/project/.venv/bin/dockerfix-lsp",
    args: [],
    source: "python",
  });
});

test("default: PATH when the Python environment has no dockerfix-lsp (or there is none)", () => {
  for (const interpreter of [["/opt/python/bin/python3"], undefined]) {
    const result = resolveServerCommand(
      input({ interpreter, args: ["-v"], executables: ["/usr/bin/dockerfix-lsp"] }),
    );
    assert.deepEqual(result, { command: "/usr/bin/dockerfix-lsp", args: ["-v"], source: "path" });
  }
});

test("default: the first PATH entry that has it wins; empty entries are skipped", () => {
  const result = resolveServerCommand(
    input({
      env: { PATH: "::/opt/a:/opt/b" },
      executables: ["/opt/b/dockerfix-lsp", "/opt/a/dockerfix-lsp"],
    }),
  );
  assert.deepEqual(result, { command: "/opt/a/dockerfix-lsp", args: [], source: "path" });
});

test("not found anywhere: an error that says where it looked and what to do", () => {
  const result = resolveServerCommand(input({ interpreter: ["/usr/bin/python3"] }));
  assert.ok("error" in result);
  assert.match(result.error, /Python environment/);
  assert.match(result.error, /PATH/);
  assert.match(result.error, /dockerfix\.path/);
});

test("dockerfix.path wins over the Python environment and PATH, with dockerfix.args", () => {
  const result = resolveServerCommand(
    input({
      setting: "/opt/dockerfix/bin/dockerfix-lsp",
      args: ["--log-file", "/tmp/l"],
      interpreter: ["/work/project/.venv/bin/python"],
      executables: ["/opt/dockerfix/bin/dockerfix-lsp", "/work/project/.venv/bin/dockerfix-lsp"],
    }),
  );
  assert.deepEqual(result, {
    command: "/opt/dockerfix/bin/dockerfix-lsp",
    args: ["--log-file", "/tmp/l"],
    source: "setting",
  });
});

test("dockerfix.path: ~, ${userHome}, ${workspaceFolder} and relative paths", () => {
  const cases: [string, string][] = [
    ["~/.local/bin/dockerfix-lsp", "/home/me/.local/bin/dockerfix-lsp"],
    ["${userHome}/.local/bin/dockerfix-lsp", "/home/me/.local/bin/dockerfix-lsp"],
    ["${workspaceFolder}/.venv/bin/dockerfix-lsp", "/work/project/.venv/bin/dockerfix-lsp"],
    [".venv/bin/dockerfix-lsp", "/work/project/.venv/bin/dockerfix-lsp"],
    ["./tools/../.venv/bin/dockerfix-lsp", "/work/project/.venv/bin/dockerfix-lsp"],
  ];
  for (const [setting, expected] of cases) {
    const result = resolveServerCommand(input({ setting, executables: [expected] }));
    assert.deepEqual(result, { command: expected, args: [], source: "setting" }, setting);
  }
});

test("dockerfix.path: a bare name is looked up on PATH", () => {
  const result = resolveServerCommand(
    input({ setting: "my-dockerfix-lsp", executables: ["/usr/bin/my-dockerfix-lsp"] }),
  );
  assert.deepEqual(result, { command: "/usr/bin/my-dockerfix-lsp", args: [], source: "setting" });
  const missing = resolveServerCommand(input({ setting: "nope" }));
  assert.ok("error" in missing && missing.error.includes("nope"));
});

test("dockerfix.path that is not executable is an error, not a silent fallback", () => {
  const result = resolveServerCommand(
    input({ setting: "/missing/dockerfix-lsp", executables: ["/usr/bin/dockerfix-lsp"] }),
  );
  assert.ok("error" in result);
  assert.match(result.error, /\/missing\/dockerfix-lsp/);
});

test("Windows: Scripts\\ beside python.exe, PATHEXT on PATH", () => {
  const windows = {
    platform: "win32" as const,
    home: "C:\\Users\\me",
    workspaceFolder: "C:\\src\\project",
    env: { Path: "C:\\Tools;C:\\Python312\\Scripts", PATHEXT: ".COM;.EXE;.BAT" },
  };
  const venv = resolveServerCommand(
    input({
      ...windows,
      interpreter: ["C:\\src\\project\\.venv\\Scripts\\python.exe"],
      executables: ["C:\\src\\project\\.venv\\Scripts\\dockerfix-lsp.exe"],
    }),
  );
  assert.deepEqual(venv, {
    command: "C:\\src\\project\\.venv\\Scripts\\dockerfix-lsp.exe",
    args: [],
    source: "python",
  });
  const conda = resolveServerCommand(
    input({
      ...windows,
      interpreter: ["C:\\conda\\python.exe"],
      executables: ["C:\\conda\\Scripts\\dockerfix-lsp.exe"],
    }),
  );
  assert.deepEqual(conda, {
    command: "C:\\conda\\Scripts\\dockerfix-lsp.exe",
    args: [],
    source: "python",
  });
  const onPath = resolveServerCommand(
    input({ ...windows, executables: ["C:\\Python312\\Scripts\\dockerfix-lsp.exe"] }),
  );
  assert.deepEqual(onPath, {
    command: "C:\\Python312\\Scripts\\dockerfix-lsp.exe",
    args: [],
    source: "path",
  });
  const relative = resolveServerCommand(
    input({
      ...windows,
      setting: ".venv\\Scripts\\dockerfix-lsp.exe",
      executables: ["C:\\src\\project\\.venv\\Scripts\\dockerfix-lsp.exe"],
    }),
  );
  assert.deepEqual(relative, {
    command: "C:\\src\\project\\.venv\\Scripts\\dockerfix-lsp.exe",
    args: [],
    source: "setting",
  });
});

test("expand: ${env:NAME}; ${workspaceFolder} without a folder stays as written", () => {
  assert.equal(
    expand("${env:TOOLS}/dockerfix-lsp", input({ env: { TOOLS: "/opt/tools" } })),
    "/opt/tools/dockerfix-lsp",
  );
  assert.equal(
    expand("${workspaceFolder}/x", input({ workspaceFolder: undefined })),
    "${workspaceFolder}/x",
  );
});
