// dockerfix for VS Code: starts dockerfix-lsp for Dockerfiles through vscode-languageclient.

import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { type ServerCommand, resolveServerCommand } from "./server";
import {
  RESTART_KEYS,
  SECTION,
  configurationResult,
  didChangeConfigurationParams,
  initializationOptions,
  type SettingsReader,
} from "./settings";

/** The server's workspace command: fix-all on the document whose URI is its argument. */
export const APPLY_FIX_ALL = "dockerfix.applyFixAll";

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel | vscode.OutputChannel | undefined;
let starting: Promise<void> = Promise.resolve();

function reader(scope?: vscode.ConfigurationScope | null): SettingsReader {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return (key) => config.get(key);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, process.platform === "win32" ? fs.constants.F_OK : fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The interpreter selected in the Python extension (ms-python.python), if it is installed. */
async function selectedInterpreter(resource?: vscode.Uri): Promise<string[] | undefined> {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) {
    return undefined;
  }
  try {
    const api = (python.isActive ? python.exports : await python.activate()) as PythonApi;
    const environments = api?.environments;
    if (environments?.getActiveEnvironmentPath) {
      const active = environments.getActiveEnvironmentPath(resource);
      const resolved = await environments.resolveEnvironment?.(active);
      const executable = resolved?.executable?.uri?.fsPath ?? active?.path;
      if (executable) {
        return [executable];
      }
    }
    const command = api?.settings?.getExecutionDetails?.(resource)?.execCommand;
    return command && command.length > 0 ? command : undefined;
  } catch (error) {
    log(`could not ask the Python extension for its interpreter: ${String(error)}`);
    return undefined;
  }
}

/** The parts of the Python extension's API used here (it ships no types on npm we rely on). */
interface PythonApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment?(
      environment: { path: string } | undefined,
    ): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

function log(message: string): void {
  output?.appendLine(message);
}

async function serverCommand(): Promise<ServerCommand | undefined> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folder = vscode.workspace.workspaceFolders?.[0];
  // In an untrusted workspace, only the user's own path/args count (see package.json).
  const trusted = vscode.workspace.isTrusted;
  const setting = trusted
    ? config.get<string>("path", "")
    : (config.inspect<string>("path")?.globalValue ?? "");
  const args = trusted
    ? config.get<string[]>("args", [])
    : (config.inspect<string[]>("args")?.globalValue ?? []);
  const resolution = resolveServerCommand({
    setting: typeof setting === "string" ? setting : "",
    args: Array.isArray(args) ? args.filter((a): a is string => typeof a === "string") : [],
    interpreter: setting ? undefined : await selectedInterpreter(folder?.uri),
    workspaceFolder: folder?.uri.fsPath,
    home: os.homedir(),
    platform: process.platform,
    env: process.env,
    isExecutable,
  });
  if ("error" in resolution) {
    log(resolution.error);
    void vscode.window
      .showErrorMessage(`dockerfix: ${resolution.error}.`, "Open Settings", "Show Output")
      .then((choice) => {
        if (choice === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", "dockerfix.path");
        } else if (choice === "Show Output") {
          output?.show();
        }
      });
    return undefined;
  }
  log(`starting ${resolution.command} ${resolution.args.join(" ")} (from ${resolution.source})`);
  return resolution;
}

async function start(): Promise<void> {
  const command = await serverCommand();
  if (!command) {
    return;
  }
  const serverOptions: ServerOptions = {
    command: command.command,
    args: command.args,
    transport: TransportKind.stdio,
    options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir() },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "dockerfile" },
      { scheme: "untitled", language: "dockerfile" },
    ],
    outputChannel: output as vscode.OutputChannel,
    initializationOptions: initializationOptions(reader()),
    middleware: {
      workspace: {
        // Answer the server's `dockerfix` section with its settings only (not path/args/trace).
        configuration: async (params, token, next) => {
          const ours = configurationResult(params.items, (scopeUri) =>
            reader(scopeUri ? vscode.Uri.parse(scopeUri) : null),
          );
          if (ours.every((value) => value !== undefined)) {
            return ours;
          }
          const theirs = await next(params, token);
          if (!Array.isArray(theirs)) {
            return theirs;
          }
          return ours.map((value, index) => (value === undefined ? theirs[index] : value));
        },
        // The server registers for `dockerfix` changes; send it its settings only, cleaned.
        didChangeConfiguration: async (sections, next) => {
          if (sections === undefined) {
            return next(sections); // `{settings: null}`: the server asks for what it needs
          }
          await created.sendNotification(
            DidChangeConfigurationNotification.type,
            didChangeConfigurationParams(reader()),
          );
        },
      },
    },
  };
  const created = new LanguageClient(SECTION, "dockerfix", serverOptions, clientOptions);
  client = created;
  try {
    await created.start();
  } catch (error) {
    log(`dockerfix-lsp failed to start: ${String(error)}`);
    void vscode.window.showErrorMessage(
      "dockerfix: the language server failed to start; see the output.",
    );
  }
}

async function stop(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop();
    } catch (error) {
      log(`stopping dockerfix-lsp: ${String(error)}`);
    }
  }
}

function restart(): Promise<void> {
  starting = starting
    .catch(() => undefined)
    .then(stop)
    .then(start);
  return starting;
}

/** Restart when the Python extension's selected environment changes (and may hold another server). */
function watchInterpreter(context: vscode.ExtensionContext): void {
  const python = vscode.extensions.getExtension("ms-python.python");
  if (!python) {
    return;
  }
  void Promise.resolve(python.isActive ? python.exports : python.activate()).then(
    (api: PythonApi) => {
      const event = api?.environments?.onDidChangeActiveEnvironmentPath;
      if (event) {
        context.subscriptions.push(
          event(() => {
            if (!vscode.workspace.getConfiguration(SECTION).get<string>("path")) {
              log("the selected Python environment changed: restarting");
              void restart();
            }
          }),
        );
      }
    },
    (error: unknown) => log(`could not watch the Python environment: ${String(error)}`),
  );
}

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "dockerfile") {
    void vscode.window.showInformationMessage("dockerfix: open a Dockerfile to fix it.");
    return;
  }
  await starting;
  if (!client || !client.isRunning()) {
    void vscode.window.showErrorMessage("dockerfix: the language server is not running.");
    return;
  }
  // The server applies the fixes itself (workspace/applyEdit); false: nothing to fix.
  const applied: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
    command: APPLY_FIX_ALL,
    arguments: [client.code2ProtocolConverter.asUri(editor.document.uri)],
  });
  if (applied === false) {
    vscode.window.setStatusBarMessage("dockerfix: nothing to fix", 3000);
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("dockerfix", { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("dockerfix.fixAll", fixAll),
    vscode.commands.registerCommand("dockerfix.restart", restart),
    vscode.commands.registerCommand("dockerfix.showOutput", () => output?.show()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The server hears of its own settings' changes through the client (see middleware).
      if (RESTART_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
        void restart();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart()),
    { dispose: () => void stop() },
  );
  watchInterpreter(context);
  await restart();
}

export function deactivate(): Promise<void> | undefined {
  return client ? stop() : undefined;
}
