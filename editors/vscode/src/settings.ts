// The settings dockerfix-lsp reads (its `dockerfix` configuration section), made from the
// extension's `dockerfix.*` settings. Pure: no `vscode` import, so node's test runner covers it.

/** The configuration section the server asks for (workspace/configuration). */
export const SECTION = "dockerfix";

/** What the server understands; a key left out means "as the project's config file says". */
export interface ServerSettings {
  select?: string[];
  ignore?: string[];
  unsafeFixes?: boolean;
  syntaxDirective?: string;
}

/** Reads one `dockerfix.*` setting (e.g. `read("select")`), as `WorkspaceConfiguration.get`. */
export type SettingsReader = (key: string) => unknown;

function stringList(value: unknown): string[] | undefined {
  if (typeof value === "string") {
    value = value.split(",");
  }
  if (!Array.isArray(value)) {
    return undefined;
  }
  const list = value
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return list.length > 0 ? list : undefined;
}

/** The server's settings from the extension's: empty or malformed values are left out. */
export function serverSettings(read: SettingsReader): ServerSettings {
  const settings: ServerSettings = {};
  const select = stringList(read("select"));
  if (select) {
    settings.select = select;
  }
  const ignore = stringList(read("ignore"));
  if (ignore) {
    settings.ignore = ignore;
  }
  const unsafeFixes = read("unsafeFixes");
  if (typeof unsafeFixes === "boolean") {
    settings.unsafeFixes = unsafeFixes;
  }
  const syntaxDirective = read("syntaxDirective");
  if (typeof syntaxDirective === "string" && syntaxDirective.trim() !== "") {
    settings.syntaxDirective = syntaxDirective.trim();
  }
  return settings;
}

/** initializationOptions for the server: `{"settings": {...}}`. */
export function initializationOptions(read: SettingsReader): { settings: ServerSettings } {
  return { settings: serverSettings(read) };
}

/** A workspace/didChangeConfiguration notification's params: the `dockerfix` section, cleaned. */
export function didChangeConfigurationParams(read: SettingsReader): {
  settings: { [SECTION]: ServerSettings };
} {
  return { settings: { [SECTION]: serverSettings(read) } };
}

/** One item of a workspace/configuration request. */
export interface ConfigurationItem {
  scopeUri?: string | undefined;
  section?: string | undefined;
}

/**
 * The answer to a workspace/configuration request, as far as dockerfix's sections go: for each
 * item asking for `dockerfix` (or one `dockerfix.<key>`), the server settings for its scope
 * (`readerFor(scopeUri)`); `undefined` for any other item, which the caller answers as usual.
 */
export function configurationResult(
  items: readonly ConfigurationItem[],
  readerFor: (scopeUri: string | undefined) => SettingsReader,
): (ServerSettings | unknown | undefined)[] {
  return items.map((item) => {
    if (item.section === SECTION) {
      return serverSettings(readerFor(item.scopeUri));
    }
    if (item.section?.startsWith(SECTION + ".")) {
      const key = item.section.slice(SECTION.length + 1);
      const settings = serverSettings(readerFor(item.scopeUri)) as Record<string, unknown>;
      return key in settings ? settings[key] : null;
    }
    return undefined;
  });
}

/** Settings whose change needs a new server process (not just a configuration update). */
export const RESTART_KEYS = ["path", "args"] as const;
