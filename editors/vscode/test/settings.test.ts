import assert from "node:assert/strict";
import { test } from "node:test";
import {
  configurationResult,
  didChangeConfigurationParams,
  initializationOptions,
  serverSettings,
  type SettingsReader,
} from "../src/settings";

function readerOf(values: Record<string, unknown>): SettingsReader {
  return (key) => values[key];
}

// What VS Code hands over when nothing is set (package.json's defaults).
const DEFAULTS = {
  path: "",
  args: [],
  unsafeFixes: false,
  select: [],
  ignore: [],
  syntaxDirective: "",
  trace: { server: "off" },
};

test("defaults: only unsafeFixes is sent, the rest is left to the project's config file", () => {
  assert.deepEqual(serverSettings(readerOf(DEFAULTS)), { unsafeFixes: false });
});

test("every server key is passed, and nothing that is the extension's own", () => {
  const settings = serverSettings(
    readerOf({
      ...DEFAULTS,
      path: "/opt/dockerfix-lsp",
      args: ["--log-level", "debug"],
      select: ["DF", "BK013"],
      ignore: ["DF001"],
      unsafeFixes: true,
      syntaxDirective: "docker/dockerfile:1.7",
    }),
  );
  assert.deepEqual(settings, {
    select: ["DF", "BK013"],
    ignore: ["DF001"],
    unsafeFixes: true,
    syntaxDirective: "docker/dockerfile:1.7",
  });
});

test("malformed values are dropped, lists are trimmed, a comma-separated string is a list", () => {
  const settings = serverSettings(
    readerOf({
      select: "DF001, BK ,",
      ignore: [" DF002 ", 3, null, ""],
      unsafeFixes: "yes",
      syntaxDirective: 7,
    }),
  );
  assert.deepEqual(settings, { select: ["DF001", "BK"], ignore: ["DF002"] });
});

test("initializationOptions wraps the settings as {settings: ...}", () => {
  assert.deepEqual(initializationOptions(readerOf({ ...DEFAULTS, ignore: ["DF003"] })), {
    settings: { ignore: ["DF003"], unsafeFixes: false },
  });
});

test("workspace/configuration: the dockerfix section per scope, other sections left alone", () => {
  const scopes: (string | undefined)[] = [];
  const result = configurationResult(
    [
      { section: "dockerfix", scopeUri: "file:///a/Dockerfile" },
      { section: "editor" },
      { section: "dockerfix.ignore", scopeUri: "file:///b/Dockerfile" },
      { section: "dockerfix.select" },
      { section: "dockerfix" },
    ],
    (scopeUri) => {
      scopes.push(scopeUri);
      return readerOf({ ...DEFAULTS, ignore: [scopeUri ?? "none"] });
    },
  );
  assert.deepEqual(result, [
    { ignore: ["file:///a/Dockerfile"], unsafeFixes: false },
    undefined,
    ["file:///b/Dockerfile"],
    null,
    { ignore: ["none"], unsafeFixes: false },
  ]);
  assert.deepEqual(scopes, ["file:///a/Dockerfile", "file:///b/Dockerfile", undefined, undefined]);
});

test("workspace/didChangeConfiguration carries the cleaned dockerfix section", () => {
  assert.deepEqual(
    didChangeConfigurationParams(readerOf({ ...DEFAULTS, select: ["BK"], path: "/x" })),
    {
      settings: { dockerfix: { select: ["BK"], unsafeFixes: false } },
    },
  );
});
