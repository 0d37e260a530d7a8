// Where the dockerfix-lsp executable is: the `dockerfix.path` setting, else the Python
// environment selected in the Python extension, else PATH. Pure (file checks are injected),
// so node's test runner covers it.

import * as path from "node:path";

/** The server's executable name, without the Windows extension. */
export const SERVER_NAME = "dockerfix-lsp";

export type Source = "setting" | "python" | "path";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from (shown in the output channel). */
  source: Source;
}

export interface ResolveInput {
  /** `dockerfix.path` (empty: look for dockerfix-lsp). */
  setting: string;
  /** `dockerfix.args`. */
  args: readonly string[];
  /** The selected Python interpreter (its command line, e.g. ["/p/.venv/bin/python"]). */
  interpreter?: readonly string[] | undefined;
  /** The first workspace folder's path, if any. */
  workspaceFolder?: string | undefined;
  home: string;
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  /** True if `file` is a file this process may execute. */
  isExecutable: (file: string) => boolean;
}

export type Resolution = ServerCommand | { error: string };

function pathModule(platform: NodeJS.Platform): path.PlatformPath {
  return platform === "win32" ? path.win32 : path.posix;
}

/** Expands `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}` in a setting. */
export function expand(value: string, input: ResolveInput): string {
  let out = value.trim();
  if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
    out = input.home + out.slice(1);
  }
  return out.replace(
    /\$\{(userHome|workspaceFolder|env:([^}]+))\}/g,
    (whole, name: string, env?: string) => {
      if (name === "userHome") {
        return input.home;
      }
      if (name === "workspaceFolder") {
        return input.workspaceFolder ?? whole;
      }
      return (env !== undefined ? input.env[env] : undefined) ?? "";
    },
  );
}

/** The names an executable may have on this platform (PATHEXT on Windows). */
function executableNames(name: string, input: ResolveInput): string[] {
  if (input.platform !== "win32" || path.win32.extname(name) !== "") {
    return [name];
  }
  const exts = (input.env["PATHEXT"] ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((e) => e !== "");
  return exts.map((ext) => name + ext.toLowerCase());
}

/** `name` looked up in the PATH directories. */
export function findOnPath(name: string, input: ResolveInput): string | undefined {
  const p = pathModule(input.platform);
  const pathVar = input.env["PATH"] ?? input.env["Path"] ?? "";
  const separator = input.platform === "win32" ? ";" : ":";
  for (const dir of pathVar.split(separator)) {
    if (dir === "") {
      continue;
    }
    for (const candidate of executableNames(name, input)) {
      const file = p.join(dir, candidate);
      if (input.isExecutable(file)) {
        return file;
      }
    }
  }
  return undefined;
}

/** dockerfix-lsp installed beside the interpreter (a venv's bin/ or Scripts\, a conda root's Scripts\). */
export function findInPythonEnvironment(input: ResolveInput): string | undefined {
  const python = input.interpreter?.[0];
  if (!python) {
    return undefined;
  }
  const p = pathModule(input.platform);
  const bin = p.dirname(python);
  const dirs = input.platform === "win32" ? [bin, p.join(bin, "Scripts")] : [bin];
  for (const dir of dirs) {
    for (const candidate of executableNames(SERVER_NAME, input)) {
      const file = p.join(dir, candidate);
      if (input.isExecutable(file)) {
        return file;
      }
    }
  }
  return undefined;
}

/** The command that starts dockerfix-lsp, or why there is none. */
export function resolveServerCommand(input: ResolveInput): Resolution {
  const args = [...input.args];
  const setting = expand(input.setting, input);
  if (setting !== "") {
    const p = pathModule(input.platform);
    if (!setting.includes("/") && !setting.includes("\\")) {
      // A bare name: look it up on PATH like a shell would.
      const found = findOnPath(setting, input);
      return found
        ? { command: found, args, source: "setting" }
        : { error: `dockerfix.path: \`${setting}\` was not found on PATH` };
    }
    const file = p.isAbsolute(setting)
      ? setting
      : p.resolve(input.workspaceFolder ?? input.home, setting);
    return input.isExecutable(file)
      ? { command: file, args, source: "setting" }
      : { error: `dockerfix.path: \`${file}\` is not an executable file` };
  }
  const inPython = findInPythonEnvironment(input);
  if (inPython) {
    return { command: inPython, args, source: "python" };
  }
  const onPath = findOnPath(SERVER_NAME, input);
  if (onPath) {
    return { command: onPath, args, source: "path" };
  }
  return {
    error:
      `\`${SERVER_NAME}\` was found neither in the selected Python environment nor on PATH: ` +
      "install dockerfix there (`pip install dockerfix`) or set `dockerfix.path`",
  };
}
